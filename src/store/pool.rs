//! Connection pools for SQLite and PostgreSQL, chosen from the URL scheme, with per-connection
//! settings (SQLite pragmas for durability, UTC on PostgreSQL) and embedded migrations.

#[cfg(feature = "sqlite")]
use super::sqlite_session::SQLITE_SESSION;
use super::ServiceError;
use diesel::connection::SimpleConnection;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::path::PathBuf;
use std::time::Duration;

/// SQLite migrations, embedded in the binary.
#[cfg(feature = "sqlite")]
pub const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
/// PostgreSQL migrations, embedded in the binary.
#[cfg(feature = "postgres")]
pub const PG_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Which database the pool talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file.
    Sqlite,
    /// PostgreSQL server.
    Postgres,
}

impl Backend {
    /// The name `/health` reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A pool of connections to one of the backends.
#[derive(Clone)]
pub enum DbPool {
    /// SQLite.
    #[cfg(feature = "sqlite")]
    Sqlite(Pool<ConnectionManager<diesel::SqliteConnection>>),
    /// PostgreSQL.
    #[cfg(feature = "postgres")]
    Pg(Pool<ConnectionManager<diesel::PgConnection>>),
}

/// What a database URL points at.
#[derive(Debug, PartialEq, Eq)]
pub enum Target {
    /// A file path.
    Sqlite(PathBuf),
    /// A PostgreSQL URL, as given.
    Postgres(String),
}

/// Parses `sqlite://PATH`, `sqlite:PATH` or `postgres://…`/`postgresql://…`.
pub fn parse_url(url: &str) -> Result<Target, ServiceError> {
    let url = url.trim();
    if let Some(rest) = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")) {
        if rest.is_empty() {
            return Err(ServiceError::Connect("sqlite URL without a path".into()));
        }
        return Ok(Target::Sqlite(PathBuf::from(rest)));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        return Ok(Target::Postgres(url.to_string()));
    }
    Err(ServiceError::Connect(format!("unsupported database URL scheme (use sqlite:// or postgres://): `{}`", url.split("://").next().unwrap_or(""))))
}

/// Applies [`SQLITE_SESSION`] to each pooled connection, and holds the file's writer
/// (`wal_sync`) for as long as the pool lives.
#[cfg(feature = "sqlite")]
struct SqlitePragmas {
    _writer: std::sync::Arc<super::wal_sync::WalSync>,
}

#[cfg(feature = "sqlite")]
impl std::fmt::Debug for SqlitePragmas {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SqlitePragmas")
    }
}

#[cfg(feature = "sqlite")]
impl CustomizeConnection<diesel::SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut diesel::SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        conn.batch_execute(SQLITE_SESSION).map_err(diesel::r2d2::Error::QueryError)
    }
}

#[cfg(feature = "postgres")]
#[derive(Debug)]
struct PgSession;

#[cfg(feature = "postgres")]
impl CustomizeConnection<diesel::PgConnection, diesel::r2d2::Error> for PgSession {
    fn on_acquire(&self, conn: &mut diesel::PgConnection) -> Result<(), diesel::r2d2::Error> {
        // Plans that cannot go wrong. Registration's statements follow their index by shape
        // (match_keys' key range, primary keys, unique probes) and take no sequential scan even
        // without this setting; batched card reads (`appeal_id = ANY(50 ids)` on a table never
        // analyzed) would, and a prepared statement keeps such a plan until the next ANALYZE.
        // Every request path has an index to follow (tests/api/scale.rs proves it), so the
        // planner is told to take one whatever the statistics say; a query without a usable
        // index still runs, and shows up in pg_stat_user_tables.seq_scan.
        conn.batch_execute("SET TIME ZONE 'UTC'; SET enable_seqscan = off").map_err(diesel::r2d2::Error::QueryError)
    }
}

/// Tells the metrics how long each checkout waited and which ones gave up.
#[derive(Debug)]
struct PoolEvents;

impl diesel::r2d2::HandleEvent for PoolEvents {
    fn handle_checkout(&self, event: diesel::r2d2::event::CheckoutEvent) {
        crate::telemetry::get().pool_checkout(event.duration());
    }

    fn handle_timeout(&self, _event: diesel::r2d2::event::TimeoutEvent) {
        crate::telemetry::get().pool_timeout();
    }
}

/// How the pool's connections are used right now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolUsage {
    /// Checked out.
    pub in_use: u32,
    /// Open and free.
    pub idle: u32,
    /// The most the pool opens.
    pub max: u32,
}

/// How far the database's migrations are from this binary's.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MigrationGap {
    /// This binary's migrations not applied yet.
    pub pending: Vec<String>,
    /// Applied migrations this binary does not know (a newer binary migrated the database).
    pub unknown: Vec<String>,
}

/// How long a readiness check waits for a pooled connection.
const READY_CHECKOUT: Duration = Duration::from_secs(2);

/// How the pools wait for the database: `[database]` of the settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolOptions {
    /// Connections the pool opens.
    pub size: u32,
    /// The longest a request waits for a connection (a failover of PostgreSQL included) before
    /// it is answered 503; a dead server under a running query is noticed within a third of it.
    pub failover_timeout: Duration,
}

impl PoolOptions {
    /// `size` connections, waiting the default 30 seconds.
    pub fn sized(size: u32) -> PoolOptions {
        PoolOptions { size, failover_timeout: Duration::from_secs(30) }
    }
}

/// The longest a checkout waits, in milliseconds ([`PoolOptions::failover_timeout`] of the
/// last pool opened: one process serves one database).
static CHECKOUT_WAIT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(30_000);

/// A connection from `pool`, waiting at most the failover timeout: while a PostgreSQL primary
/// is replaced the pool keeps trying the hosts of the URL (every half second), and a request
/// that finds none in time is answered 503 instead of hanging.
pub fn checkout<M: r2d2::ManageConnection>(pool: &Pool<M>) -> Result<r2d2::PooledConnection<M>, r2d2::Error> {
    pool.get_timeout(Duration::from_millis(CHECKOUT_WAIT_MS.load(std::sync::atomic::Ordering::Relaxed)))
}

/// The connection string the pool opens: the configured URL, plus the libpq parameters that
/// bound how long a dead or unreachable server can hold a request, unless the URL sets them:
/// `connect_timeout` per host tried, TCP keepalives and `tcp_user_timeout` (a server that
/// vanished under a running statement is given up after a third of the failover timeout).
/// Several hosts (`postgres://h1:5432,h2:5432/db?target_session_attrs=read-write`) are libpq's
/// own: it tries them in order and keeps the one that takes writes.
pub fn pg_conninfo(url: &str, failover_timeout: Duration) -> String {
    let third = (failover_timeout.as_millis() / 3).max(1000) as u64;
    let defaults = [
        ("connect_timeout", (third / 1000).max(2).to_string()),
        ("keepalives", "1".to_string()),
        ("keepalives_idle", "5".to_string()),
        ("keepalives_interval", "2".to_string()),
        ("keepalives_count", "3".to_string()),
        ("tcp_user_timeout", third.to_string()),
    ];
    let query = url.split_once('?').map(|(_, q)| q).unwrap_or("");
    let given: Vec<&str> = query.split('&').filter_map(|kv| kv.split('=').next()).collect();
    let mut out = url.to_string();
    for (k, v) in defaults {
        if given.contains(&k) {
            continue;
        }
        if !out.ends_with(['?', '&']) {
            out.push(if out.contains('?') { '&' } else { '?' });
        }
        out.push_str(&format!("{k}={v}"));
    }
    out
}

impl DbPool {
    /// Opens a pool for `url`, reporting the real cause when the database cannot be reached.
    pub fn connect(url: &str, size: u32) -> Result<DbPool, ServiceError> {
        DbPool::connect_with(url, PoolOptions::sized(size))
    }

    /// [`DbPool::connect`] with the settings' failover timeout.
    pub fn connect_with(url: &str, opts: PoolOptions) -> Result<DbPool, ServiceError> {
        let size = opts.size;
        CHECKOUT_WAIT_MS.store(opts.failover_timeout.as_millis().max(1) as u64, std::sync::atomic::Ordering::Relaxed);
        match parse_url(url)? {
            #[cfg(feature = "sqlite")]
            Target::Sqlite(path) => {
                super::stable_plans::enable();
                if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                    std::fs::create_dir_all(dir).map_err(|e| ServiceError::Connect(format!("cannot create {}: {e}", dir.display())))?;
                }
                let p = path.to_string_lossy().to_string();
                // WAL is a property of the file: set it once here, not racing on every pooled connection.
                let mut first = diesel::SqliteConnection::establish(&p).map_err(|e| ServiceError::Connect(format!("{p}: {e}")))?;
                first.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL;").map_err(|e| ServiceError::Connect(format!("{p}: {e}")))?;
                let writer = super::wal_sync::WalSync::of(&super::sqlite_file(&mut first).map_err(|e| ServiceError::Connect(format!("{p}: {e}")))?);
                let pool = Pool::builder()
                    .max_size(size.max(1))
                    .connection_timeout(Duration::from_secs(30))
                    // No validation query on every checkout: a broken connection is dropped when returned.
                    .test_on_check_out(false)
                    .connection_customizer(Box::new(SqlitePragmas { _writer: writer }))
                    .event_handler(Box::new(PoolEvents))
                    .build(ConnectionManager::new(p))?;
                Ok(DbPool::Sqlite(pool))
            }
            #[cfg(feature = "postgres")]
            Target::Postgres(u) => {
                let u = pg_conninfo(&u, opts.failover_timeout);
                diesel::PgConnection::establish(&u).map_err(|e| ServiceError::Connect(e.to_string()))?;
                let pool = Pool::builder()
                    .max_size(size.max(1))
                    // Not the wait of a request (that is [`checkout`]'s): r2d2 retries a failed
                    // connect after at most half of this, so a new primary is found within a
                    // second of its promotion.
                    .connection_timeout(Duration::from_secs(1))
                    // A connection whose server died (a failover) fails this round trip and is
                    // dropped, so no request is handed a dead connection.
                    .test_on_check_out(true)
                    .connection_customizer(Box::new(PgSession))
                    .event_handler(Box::new(PoolEvents))
                    .build(ConnectionManager::new(u))?;
                Ok(DbPool::Pg(pool))
            }
            #[allow(unreachable_patterns)]
            _ => Err(ServiceError::Connect("this build has no support for that database".into())),
        }
    }

    /// The backend behind this pool.
    pub fn backend(&self) -> Backend {
        match self {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(_) => Backend::Sqlite,
            #[cfg(feature = "postgres")]
            DbPool::Pg(_) => Backend::Postgres,
        }
    }

    /// Applies pending migrations; returns how many ran.
    pub fn migrate(&self) -> Result<usize, ServiceError> {
        let err = |e: Box<dyn std::error::Error + Send + Sync>| ServiceError::Migration(e.to_string());
        match self {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => {
                let mut c = checkout(p)?;
                refuse_shared_logins(&mut c)?;
                Ok(c.run_pending_migrations(SQLITE_MIGRATIONS).map_err(err)?.len())
            }
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => {
                let mut c = checkout(p)?;
                // Serialise concurrent starts of several instances on one database.
                c.batch_execute("SELECT pg_advisory_lock(5959)")?;
                let r = c.run_pending_migrations(PG_MIGRATIONS).map(|v| v.len()).map_err(err);
                c.batch_execute("SELECT pg_advisory_unlock(5959)")?;
                r
            }
        }
    }

    /// Connections in use, idle and the pool's size, for the metrics.
    pub fn usage(&self) -> PoolUsage {
        let (s, max) = match self {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => (p.state(), p.max_size()),
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => (p.state(), p.max_size()),
        };
        PoolUsage { in_use: s.connections.saturating_sub(s.idle_connections), idle: s.idle_connections, max }
    }

    /// A round trip that waits at most a couple of seconds for a pooled connection (readiness
    /// must answer quickly even when every connection is taken).
    pub fn ping_within(&self) -> Result<(), ServiceError> {
        match self {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => Ok(p.get_timeout(READY_CHECKOUT)?.batch_execute("SELECT 1")?),
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => Ok(p.get_timeout(READY_CHECKOUT)?.batch_execute("SELECT 1")?),
        }
    }

    /// Whether the database takes writes now: on SQLite the file's write lock can be taken
    /// (and released at once, writing nothing; an error names why not: locked, read-only); on
    /// PostgreSQL the server is a primary and the session is not read-only. Waits at most a
    /// couple of seconds for a connection.
    pub fn writable(&self) -> Result<bool, ServiceError> {
        #[derive(diesel::QueryableByName)]
        struct Ok {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            ok: bool,
        }
        match self {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => {
                let mut c = p.get_timeout(READY_CHECKOUT)?;
                c.batch_execute("PRAGMA busy_timeout = 2000")?;
                let taken = c.batch_execute("BEGIN IMMEDIATE; ROLLBACK;");
                c.batch_execute("PRAGMA busy_timeout = 10000")?;
                taken?;
                Ok(true)
            }
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => {
                use diesel::RunQueryDsl;
                let mut c = p.get_timeout(READY_CHECKOUT)?;
                let r: Ok = diesel::sql_query("SELECT (NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off') AS ok").get_result(&mut *c)?;
                Ok(r.ok)
            }
        }
    }

    /// The database's migrations against this binary's (both directions), read from diesel's
    /// history table only (nothing is created or written: a read-only server answers too).
    pub fn migration_gap(&self) -> Result<MigrationGap, ServiceError> {
        use diesel::migration::MigrationSource;
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Version {
            #[diesel(sql_type = diesel::sql_types::Text)]
            version: String,
        }
        const APPLIED: &str = "SELECT version FROM __diesel_schema_migrations";
        let err = |e: Box<dyn std::error::Error + Send + Sync>| ServiceError::Migration(e.to_string());
        let (known, applied): (Vec<String>, Vec<String>) = match self {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => {
                let mut c = p.get_timeout(READY_CHECKOUT)?;
                let known = MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS).map_err(err)?.iter().map(|m| m.name().version().to_string()).collect();
                (known, diesel::sql_query(APPLIED).load::<Version>(&mut *c)?.into_iter().map(|v| v.version).collect())
            }
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => {
                let mut c = p.get_timeout(READY_CHECKOUT)?;
                let known = MigrationSource::<diesel::pg::Pg>::migrations(&PG_MIGRATIONS).map_err(err)?.iter().map(|m| m.name().version().to_string()).collect();
                (known, diesel::sql_query(APPLIED).load::<Version>(&mut *c)?.into_iter().map(|v| v.version).collect())
            }
        };
        Ok(MigrationGap { pending: known.iter().filter(|k| !applied.contains(k)).cloned().collect(), unknown: applied.iter().filter(|a| !known.contains(a)).cloned().collect() })
    }

    /// A cheap round trip, for health checks.
    pub fn ping(&self) -> Result<(), ServiceError> {
        match self {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => Ok(checkout(p)?.batch_execute("SELECT 1")?),
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => Ok(checkout(p)?.batch_execute("SELECT 1")?),
        }
    }
}

/// The migration that makes logins unique in the instance (SQLite cannot raise a message of its
/// own from a migration script, so the runner checks before it runs).
#[cfg(feature = "sqlite")]
const UNIQUE_LOGINS: &str = "000040_organization_settings";

/// Refuses, before migrating, a SQLite database where two organizations share a login, naming
/// the login: the unique index of [`UNIQUE_LOGINS`] would otherwise fail with a bare key error.
#[cfg(feature = "sqlite")]
fn refuse_shared_logins(c: &mut diesel::SqliteConnection) -> Result<(), ServiceError> {
    use diesel::sql_types::Text;
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Shared {
        #[diesel(sql_type = Text)]
        login: String,
    }
    let pending = c.pending_migrations(SQLITE_MIGRATIONS).map_err(|e| ServiceError::Migration(e.to_string()))?;
    if !pending.iter().any(|m| m.name().to_string().ends_with(UNIQUE_LOGINS)) {
        return Ok(());
    }
    let has_users = diesel::sql_query("SELECT name AS login FROM sqlite_master WHERE type = 'table' AND name = 'users'").load::<Shared>(c)?;
    if has_users.is_empty() {
        return Ok(());
    }
    let shared = diesel::sql_query("SELECT login FROM users GROUP BY login HAVING COUNT(DISTINCT organization_id) > 1 ORDER BY login LIMIT 1").load::<Shared>(c)?;
    match shared.into_iter().next() {
        Some(s) => Err(ServiceError::Migration(crate::domain::refusals::shared_login(&s.login))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(parse_url("sqlite://data/appeals.db").unwrap(), Target::Sqlite("data/appeals.db".into()));
        assert_eq!(parse_url("sqlite:///var/lib/a.db").unwrap(), Target::Sqlite("/var/lib/a.db".into()));
        assert!(matches!(parse_url("postgres://u@h:5432/db").unwrap(), Target::Postgres(_)));
        assert!(parse_url("mysql://x").is_err());
        assert!(parse_url("sqlite://").is_err());
    }

    #[test]
    fn conninfo_bounds_waits_unless_the_url_does() {
        let t = Duration::from_secs(30);
        let u = pg_conninfo("postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write", t);
        assert!(u.starts_with("postgres://u@h1:5432,h2:5433/db?target_session_attrs=read-write&connect_timeout=10&"), "{u}");
        assert!(u.ends_with("&tcp_user_timeout=10000"), "{u}");
        let own = pg_conninfo("postgres://u@h/db?connect_timeout=3", t);
        assert!(own.starts_with("postgres://u@h/db?connect_timeout=3&keepalives=1&"), "{own}");
        assert_eq!(own.matches("connect_timeout").count(), 1);
        assert!(pg_conninfo("postgres://u@h/db", t).starts_with("postgres://u@h/db?connect_timeout=10&"));
        assert!(pg_conninfo("postgres://u@h/db?", t).starts_with("postgres://u@h/db?connect_timeout=10&"));
    }
}
