//! Backups that restore: a consistent copy of the SQLite file taken while the server runs
//! (`VACUUM INTO` inside one read snapshot, so registrations go on), and the copy put back
//! only after it proved whole (`PRAGMA integrity_check`) and at a migration level this binary
//! knows. PostgreSQL has its own tools for this (pgBackRest, `pg_basebackup` with WAL
//! archiving); the service does not pretend to replace them.

use super::pool::{parse_url, Target};
use super::ServiceError;
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl};
use std::path::{Path, PathBuf};

/// What an operator is told when asking this binary to back up PostgreSQL.
pub const POSTGRES_WAY: &str = "\
on PostgreSQL `appeals backup` makes no copy: a dump of a live registry is neither continuous \
nor point-in-time. Use PostgreSQL's own tools:
  - pgBackRest (Debian package `pgbackrest`): `archive_command = 'pgbackrest --stanza=appeals archive-push %p'`,
    then `pgbackrest --stanza=appeals backup --type=full` weekly and `--type=diff` daily;
    restore with `pgbackrest --stanza=appeals restore` (add `--type=time --target=...` for a point in time);
  - or `pg_basebackup -D /backup/base-$(date +%F) -Ft -z -X stream -c fast` nightly, with
    `archive_mode = on` and an `archive_command` copying WAL segments to the backup host.
See the README, section \"Production\".";

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The database is PostgreSQL: see [`POSTGRES_WAY`].
    #[error("{POSTGRES_WAY}")]
    Postgres,
    /// The file named as the copy exists already; a backup never overwrites one.
    #[error("{0} exists: a backup never overwrites a file, name a new one")]
    Exists(PathBuf),
    /// The target database holds data and `--force` was not given.
    #[error("{0} is not empty: restoring over it needs --force (the present file is kept beside it as *.replaced-<time>)")]
    NotEmpty(PathBuf),
    /// Another process has the target database open.
    #[error("{0} is in use (is `appeals serve` running on it?): stop the service before restoring")]
    InUse(PathBuf),
    /// The copy is not whole.
    #[error("{path}: integrity check failed: {detail}")]
    Corrupt {
        /// The file checked.
        path: PathBuf,
        /// The first lines `PRAGMA integrity_check` returned.
        detail: String,
    },
    /// The copy is not a database of this service.
    #[error("{0}: not an appeals database (it has no migration history)")]
    Foreign(PathBuf),
    /// The copy was written by a newer binary: its migrations are unknown to this one.
    #[error("{path}: made by a newer version of appeals (migrations this binary does not know: {unknown}); restore it with that version")]
    Newer {
        /// The file checked.
        path: PathBuf,
        /// The unknown migration versions.
        unknown: String,
    },
    /// File system trouble.
    #[error("{0}")]
    Io(String),
    /// Database trouble.
    #[error(transparent)]
    Store(#[from] ServiceError),
}

impl From<diesel::result::Error> for BackupError {
    fn from(e: diesel::result::Error) -> Self {
        BackupError::Store(ServiceError::Db(e))
    }
}

fn io(path: &Path, e: std::io::Error) -> BackupError {
    BackupError::Io(format!("{}: {e}", path.display()))
}

/// What a checked copy holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyFacts {
    /// Size of the file, bytes.
    pub bytes: u64,
    /// Appeals in it.
    pub appeals: i64,
    /// Its newest applied migration (e.g. `20261207000031`).
    pub migration: String,
    /// Migrations of this binary not applied in it yet (`serve` applies them at start).
    pub pending: usize,
}

/// The SQLite file a database URL names, or [`BackupError::Postgres`].
pub fn sqlite_path(database_url: &str) -> Result<PathBuf, BackupError> {
    match parse_url(database_url)? {
        Target::Sqlite(p) => Ok(p),
        Target::Postgres(_) => Err(BackupError::Postgres),
    }
}

/// Copies the live database behind `database_url` into `to` (which must not exist): one read
/// snapshot, so every commit acknowledged before the copy started is in it and writers are
/// never held up. The copy is written under a temporary name, checked, flushed to disk and
/// only then renamed to `to`.
pub fn backup(database_url: &str, to: &Path) -> Result<CopyFacts, BackupError> {
    let db = sqlite_path(database_url)?;
    if !db.is_file() {
        return Err(BackupError::Io(format!("{}: no such database file", db.display())));
    }
    if to.exists() {
        return Err(BackupError::Exists(to.to_path_buf()));
    }
    let tmp = sibling(to, "partial");
    let result = (|| {
        let mut c = open(&db)?;
        diesel::sql_query("VACUUM INTO ?").bind::<diesel::sql_types::Text, _>(tmp.to_string_lossy().to_string()).execute(&mut c)?;
        drop(c);
        let facts = check(&tmp)?;
        settle(&tmp, to)?;
        Ok(facts)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Puts the copy `from` in place of the database behind `database_url`: checked first (whole,
/// an appeals database, no migration newer than this binary), refused over a non-empty
/// database unless `force` (which keeps the present files beside it, renamed
/// `*.replaced-<time>`) and while another process has that database open.
pub fn restore(database_url: &str, from: &Path, force: bool) -> Result<CopyFacts, BackupError> {
    let db = sqlite_path(database_url)?;
    if !from.is_file() {
        return Err(BackupError::Io(format!("{}: no such file", from.display())));
    }
    let occupied = [db.clone(), with_suffix(&db, "-wal")].iter().any(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 0));
    if occupied && !force {
        return Err(BackupError::NotEmpty(db));
    }
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;
    }
    // Check what will be installed: a private copy beside the target, not the source.
    let tmp = sibling(&db, "restoring");
    let result = (|| {
        std::fs::copy(from, &tmp).map_err(|e| io(from, e))?;
        let facts = check(&tmp)?;
        if occupied {
            ensure_unused(&db)?;
            let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%SZ").to_string();
            for suffix in ["", "-wal", "-shm"] {
                let old = with_suffix(&db, suffix);
                if old.exists() {
                    let kept = with_suffix(&db, &format!(".replaced-{stamp}{suffix}"));
                    std::fs::rename(&old, &kept).map_err(|e| io(&old, e))?;
                }
            }
        } else {
            for suffix in ["-wal", "-shm"] {
                let _ = std::fs::remove_file(with_suffix(&db, suffix));
            }
        }
        settle(&tmp, &db)?;
        Ok(facts)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Checks a copy: `PRAGMA integrity_check`, the migration history against this binary's, and
/// how many appeals it holds.
pub fn check(path: &Path) -> Result<CopyFacts, BackupError> {
    #[derive(diesel::QueryableByName)]
    struct Line {
        #[diesel(sql_type = diesel::sql_types::Text)]
        integrity_check: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        version: String,
    }
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut c = open(path)?;
    let lines: Vec<Line> = diesel::sql_query("PRAGMA integrity_check(20)").load(&mut c)?;
    if lines.len() != 1 || lines[0].integrity_check != "ok" {
        let detail = lines.iter().map(|l| l.integrity_check.as_str()).collect::<Vec<_>>().join("; ");
        return Err(BackupError::Corrupt { path: path.to_path_buf(), detail });
    }
    let has: Vec<Count> = diesel::sql_query("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('__diesel_schema_migrations', 'appeals')").load(&mut c)?;
    if has.first().map_or(0, |h| h.n) != 2 {
        return Err(BackupError::Foreign(path.to_path_buf()));
    }
    let applied: Vec<String> = diesel::sql_query("SELECT version FROM __diesel_schema_migrations ORDER BY version").load::<Version>(&mut c)?.into_iter().map(|v| v.version).collect();
    let known = known_versions();
    let unknown: Vec<&str> = applied.iter().filter(|v| !known.contains(v)).map(String::as_str).collect();
    if !unknown.is_empty() {
        return Err(BackupError::Newer { path: path.to_path_buf(), unknown: unknown.join(", ") });
    }
    let appeals: Vec<Count> = diesel::sql_query("SELECT COUNT(*) AS n FROM appeals").load(&mut c)?;
    drop(c);
    let bytes = std::fs::metadata(path).map_err(|e| io(path, e))?.len();
    Ok(CopyFacts {
        bytes,
        appeals: appeals.first().map_or(0, |a| a.n),
        migration: applied.last().cloned().unwrap_or_default(),
        pending: known.iter().filter(|k| !applied.contains(k)).count(),
    })
}

/// The versions of this binary's SQLite migrations, as diesel records them.
pub fn known_versions() -> Vec<String> {
    use diesel::migration::MigrationSource;
    MigrationSource::<diesel::sqlite::Sqlite>::migrations(&super::pool::SQLITE_MIGRATIONS)
        .map(|list| list.iter().map(|m| m.name().version().to_string()).collect())
        .unwrap_or_default()
}

fn open(path: &Path) -> Result<diesel::SqliteConnection, BackupError> {
    let p = path.to_string_lossy().to_string();
    let mut c = diesel::SqliteConnection::establish(&p).map_err(|e| ServiceError::Connect(format!("{p}: {e}")))?;
    c.batch_execute("PRAGMA busy_timeout = 10000;")?;
    Ok(c)
}

/// Fails when another connection has `db` open: taking the file's exclusive lock needs every
/// other connection (a running server's included) gone.
fn ensure_unused(db: &Path) -> Result<(), BackupError> {
    let p = db.to_string_lossy().to_string();
    let mut c = diesel::SqliteConnection::establish(&p).map_err(|e| ServiceError::Connect(format!("{p}: {e}")))?;
    let taken = c.batch_execute("PRAGMA busy_timeout = 0; PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE; COMMIT;");
    drop(c);
    taken.map_err(|_| BackupError::InUse(db.to_path_buf()))
}

/// Flushes `tmp`, renames it to `to` and flushes the folder, so a crash leaves either no file
/// or the whole one under the final name.
fn settle(tmp: &Path, to: &Path) -> Result<(), BackupError> {
    std::fs::File::open(tmp).and_then(|f| f.sync_all()).map_err(|e| io(tmp, e))?;
    std::fs::rename(tmp, to).map_err(|e| io(to, e))?;
    let dir = to.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::File::open(dir).and_then(|f| f.sync_all()).map_err(|e| io(dir, e))?;
    Ok(())
}

/// `.NAME.<what>-<pid>` in the folder of `path`.
fn sibling(path: &Path, what: &str) -> PathBuf {
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "appeals.db".into());
    path.with_file_name(format!(".{name}.{what}-{}", std::process::id()))
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_os_string();
    s.push(suffix);
    PathBuf::from(s)
}
