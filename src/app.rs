//! Start-up: connect, migrate, load reference data, create the default organization and,
//! on an empty database, the first administrator.

use crate::state::AppState;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::calendar::ProductionCalendar;
use crate::domain::channels::Catalog;
use crate::store::models::OrganizationRow;
use crate::store::{self, DbPool, StoreError};
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};

/// The classifier shipped with the binary, loaded into an empty database.
pub const SHIPPED_CLASSIFIER: &str = include_str!("../config/classifier/classifier.tsv");

/// Production calendars shipped with the binary, used when `config/calendar/` is absent.
const SHIPPED_CALENDARS: [&str; 3] = [
    include_str!("../config/calendar/2024.toml"),
    include_str!("../config/calendar/2025.toml"),
    include_str!("../config/calendar/2026.toml"),
];

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Database trouble.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A bad calendar file.
    #[error("production calendar: {0}")]
    Calendar(#[from] crate::domain::calendar::CalendarError),
    /// A bad classifier file.
    #[error("classifier: {0}")]
    Classifier(String),
    /// File system trouble.
    #[error("{0}")]
    Io(String),
}

/// The calendar from `config/calendar/`, or the shipped years when that folder is missing.
pub fn load_calendar(settings: &Settings) -> Result<ProductionCalendar, StartError> {
    let dir = settings.config_dir.join("calendar");
    if dir.is_dir() {
        return Ok(ProductionCalendar::load_dir(&dir)?);
    }
    let mut cal = ProductionCalendar::default();
    for text in SHIPPED_CALENDARS {
        cal.add_year_toml(text)?;
    }
    Ok(cal)
}

/// Connects, migrates, and makes sure the default organization and the classifier exist.
pub fn open(settings: &Settings, now: chrono::NaiveDateTime) -> Result<(DbPool, OrganizationRow), StartError> {
    let pool = DbPool::connect(&settings.database_url, settings.pool_size)?;
    let applied = pool.migrate()?;
    if applied > 0 {
        tracing::info!(applied, backend = pool.backend().as_str(), "migrations applied");
    }
    let o = &settings.organization;
    let org = store::users::ensure_organization(&pool, &o.code, &o.name, &o.time_zone, now)?;
    if store::classifier::count(&pool)? == 0 {
        let entries = crate::domain::classifier::parse_tsv(SHIPPED_CLASSIFIER).map_err(StartError::Classifier)?;
        let n = store::classifier::insert_all(&pool, &entries)?;
        tracing::info!(entries = n, "classifier loaded");
    }
    Ok((pool, org))
}

/// Builds the shared state of the HTTP application.
pub fn state(settings: Settings, pool: DbPool, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
    let calendar = load_calendar(&settings)?;
    let codes: HashSet<String> = store::classifier::all_codes(&pool)?.into_iter().collect();
    let channels = Catalog::new(&settings.channels);
    let settings_dir = settings.config_dir.clone();
    Ok(AppState {
        pool,
        settings: Arc::new(settings),
        calendar: Arc::new(calendar),
        channels: Arc::new(channels),
        codes: Arc::new(RwLock::new(codes)),
        clock,
        templates: Arc::new(crate::notify::Templates::load(&settings_dir).map_err(StartError::Io)?),
    })
}

/// Re-reads the classifier's codes, so a revision loaded with `appeals classifier import` while
/// servers run is accepted by them without a restart (`serve` calls this every minute).
pub fn reload_codes(state: &AppState) -> Result<usize, StoreError> {
    let codes: HashSet<String> = store::classifier::all_codes(&state.pool)?.into_iter().collect();
    let n = codes.len();
    *state.codes.write().unwrap_or_else(|e| e.into_inner()) = codes;
    Ok(n)
}

/// On a database without users: creates `admin` and writes its token to a file only the owner
/// can read. Returns the file's path when it did.
pub fn bootstrap_admin(settings: &Settings, pool: &DbPool, org: &OrganizationRow, now: chrono::NaiveDateTime) -> Result<Option<PathBuf>, StartError> {
    if store::users::count_users(pool, &org.id)? > 0 {
        return Ok(None);
    }
    let (token, hash) = crate::auth::generate_token();
    let user = store::users::NewUser { login: "admin".into(), full_name: "Администратор".into(), role: "admin".into(), email: None };
    std::fs::create_dir_all(&settings.data_dir).map_err(|e| StartError::Io(format!("cannot create {}: {e}", settings.data_dir.display())))?;
    let path = settings.data_dir.join("admin-token");
    write_private(&path, &format!("{token}\n")).map_err(|e| StartError::Io(format!("cannot write {}: {e}", path.display())))?;
    store::users::create_user(pool, &org.id, &user, &hash, now, None)?;
    Ok(Some(path))
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())
}
