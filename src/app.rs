//! Start-up: connect, migrate, load reference data, create the default organization and,
//! on an empty database, the first administrator.

use crate::state::AppState;
use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::calendar::ProductionCalendar;
use crate::domain::channels::Catalog;
use crate::store::models::OrganizationRow;
use crate::store::{self, DbPool, ServiceError};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::web;
use utoipa_actix_web::AppExt;

/// The classifier shipped with the binary, loaded into an empty database.
pub const SHIPPED_CLASSIFIER: &str = include_str!("../config/classifier/classifier.tsv");

/// Production calendars shipped with the binary, used when `config/calendar/` is absent.
const SHIPPED_CALENDARS: [&str; 4] = [
    include_str!("../config/calendar/2024.toml"),
    include_str!("../config/calendar/2025.toml"),
    include_str!("../config/calendar/2026.toml"),
    include_str!("../config/calendar/2027.toml"),
];

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Database trouble.
    #[error(transparent)]
    Store(#[from] ServiceError),
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
    let opts = store::PoolOptions { size: settings.pool_connections(), failover_timeout: settings.database.failover_timeout() };
    let pool = DbPool::connect_with(&settings.database_url, opts)?;
    tracing::debug!(backend = pool.backend().as_str(), connections = settings.pool_connections(), "database pool opened");
    let applied = pool.migrate()?;
    if applied > 0 {
        tracing::info!(applied, backend = pool.backend().as_str(), "migrations applied");
    } else {
        tracing::debug!("no migrations pending");
    }
    let o = &settings.organization;
    let org = store::users::ensure_organization(&pool, &o.code, &o.name, &o.time_zone, now)?;
    // Statistics rollup: nothing to build before the first appeal; otherwise `serve`
    // builds it in the background (`appeals stats rebuild` does it at once).
    store::stats_deltas::mark_built_if_empty(&pool, &org.id, now)?;
    let hashed = store::exports::backfill_hashes(&pool)?;
    if hashed > 0 {
        tracing::info!(files = hashed, "SHA-256 recorded for answer files stored before versions were kept");
    }
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
    let codes: HashMap<String, String> = store::classifier::all_names(&pool)?.into_iter().collect();
    let channels = Catalog::new(&settings.channels);
    let settings_dir = settings.config_dir.clone();
    let classifier = crate::classifier_index::ClassifierIndex::load(&pool, &settings_dir).map_err(StartError::Classifier)?;
    let replica = match settings.database.read_url.trim() {
        "" => None,
        _ if pool.backend() != crate::store::Backend::Postgres => {
            tracing::warn!("DATABASE_READ_URL ignored: a SQLite database has no replicas; every read goes to it");
            None
        }
        url => {
            let r = crate::store::replica::ReadReplica::open(url, settings.pool_connections(), settings.database.failover_timeout())?;
            tracing::info!("read replica configured: statistics, reports, exports, search and lists read it");
            Some(Arc::new(r))
        }
    };
    Ok(AppState {
        pool,
        replica,
        on_replica: false,
        settings: Arc::new(settings),
        calendar: Arc::new(calendar),
        channels: Arc::new(channels),
        codes: Arc::new(RwLock::new(codes)),
        classifier: Arc::new(classifier),
        clock,
        templates: Arc::new(crate::notify::Templates::load(&settings_dir).map_err(StartError::Io)?),
        pages: Arc::new(crate::web::Pages::load(&settings_dir).map_err(StartError::Io)?),
        orgs: Arc::new(crate::state::OrgDirectory::default()),
    })
}

/// Re-reads the classifier's codes and names, so a revision loaded with `appeals classifier
/// import` while servers run is accepted (and named) by them without a restart (`serve` calls
/// this every minute).
pub fn reload_codes(state: &AppState) -> Result<usize, ServiceError> {
    let codes: HashMap<String, String> = store::classifier::all_names(&state.pool)?.into_iter().collect();
    let n = codes.len();
    // Organizations changed by another instance are read again on their next use.
    state.orgs.clear();
    let changed = *state.codes.read().unwrap_or_else(|e| e.into_inner()) != codes;
    if changed {
        *state.codes.write().unwrap_or_else(|e| e.into_inner()) = codes;
        state.classifier.reload(&state.pool)?;
    }
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
    let path = write_admin_token(&settings.data_dir, &settings.database_url, &token)?;
    store::users::create_user(pool, &org.id, &user, &hash, now, None)?;
    Ok(Some(path))
}

/// Writes the first administrator's token without ever overwriting one: `admin-token` when it
/// is free, else a name of this database's own (`admin-token.postgres-appeals`), numbered if
/// that is taken too. A second backend never costs the first administrator their token.
fn write_admin_token(dir: &std::path::Path, database_url: &str, token: &str) -> Result<PathBuf, StartError> {
    let base = format!("admin-token.{}", database_slug(database_url));
    let names = std::iter::once("admin-token".to_string()).chain(std::iter::once(base.clone())).chain((2..100).map(|n| format!("{base}-{n}")));
    for name in names {
        let path = dir.join(&name);
        match write_private(&path, &format!("{token}\n")) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(StartError::Io(format!("cannot write {}: {e}", path.display()))),
        }
    }
    Err(StartError::Io(format!("too many admin-token files in {}; run `appeals user token --login admin`", dir.display())))
}

/// A file-name-safe name of the database a URL points at: backend and database or file name.
pub fn database_slug(url: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("sqlite", url));
    let scheme = if scheme.starts_with("postgres") { "postgres" } else { "sqlite" };
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let name = rest.rsplit('/').next().unwrap_or("");
    let name = name.strip_suffix(".db").unwrap_or(name);
    let clean: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '_' }).take(60).collect();
    if clean.is_empty() { scheme.to_string() } else { format!("{scheme}-{clean}") }
}

fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts.open(path)?;
    f.write_all(text.as_bytes())
}

#[cfg(test)]
mod admin_token_tests {
    use super::*;

    #[test]
    fn a_second_database_never_overwrites_the_first_token() {
        let dir = std::env::temp_dir().join(format!("appeals-token-{}", crate::store::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let a = write_admin_token(&dir, "sqlite://data/appeals.db", "apl_first").unwrap();
        let b = write_admin_token(&dir, "postgres://postgres@127.0.0.1:5432/appeals", "apl_second").unwrap();
        let c = write_admin_token(&dir, "postgres://postgres@127.0.0.1:5432/appeals", "apl_third").unwrap();
        assert_eq!(a, dir.join("admin-token"));
        assert_eq!(b, dir.join("admin-token.postgres-appeals"));
        assert_eq!(c, dir.join("admin-token.postgres-appeals-2"));
        assert_eq!(std::fs::read_to_string(&a).unwrap(), "apl_first\n");
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "apl_second\n");
        assert_eq!(database_slug("sqlite:///var/lib/appeals/main.db"), "sqlite-main");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

/// The whole application: the API and the pages over one state, used by `serve`, the tests
/// and the benchmarks.
pub fn service(
    state: web::Data<AppState>,
) -> actix_web::App<impl ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error, InitError = ()>> {
    let spec_text = web::Data::new(crate::api::openapi_yaml());
    actix_web::App::new()
        .app_data(state)
        .app_data(spec_text)
        .app_data(web::PathConfig::default().error_handler(|_, _| crate::edge::ApiError::NotFound.into()))
        .app_data(web::QueryConfig::default().error_handler(|e, _| crate::edge::ApiError::BadRequest(e.to_string()).into()))
        .wrap_fn(crate::api::edge_headers)
        .wrap(tracing_actix_web::TracingLogger::<crate::api::tracing_span::SafeRootSpan>::new())
        .wrap_fn(measured)
        .into_utoipa_app()
        .configure(crate::api::routes)
        .into_app()
        .configure(crate::web::routes)
        .default_service(web::to(crate::api::fallback))
}

/// Counts and times every request by its route template (`/api/v1/appeals/{id}`, never the
/// concrete path), method and status.
fn measured<S, B>(req: ServiceRequest, srv: &S) -> impl std::future::Future<Output = Result<ServiceResponse<B>, actix_web::Error>>
where
    S: actix_web::dev::Service<ServiceRequest, Response = ServiceResponse<B>, Error = actix_web::Error>,
{
    let started = std::time::Instant::now();
    let route = req.match_pattern().unwrap_or_else(|| "unmatched".into());
    let method = req.method().clone();
    let answered = srv.call(req);
    async move {
        let res = answered.await;
        let status = match &res {
            Ok(r) => r.status().as_u16(),
            Err(e) => e.as_response_error().status_code().as_u16(),
        };
        crate::telemetry::get().http(&route, method.as_str(), status, started.elapsed());
        res
    }
}

/// The metrics listener's application: `/metrics` in Prometheus' text format, nothing else.
pub fn metrics_service(
    state: web::Data<AppState>,
) -> actix_web::App<impl ServiceFactory<ServiceRequest, Config = (), Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error, InitError = ()>> {
    actix_web::App::new().app_data(state).route("/metrics", web::get().to(crate::api::metrics::scrape))
}
