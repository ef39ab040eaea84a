//! Storage: diesel over SQLite or PostgreSQL, chosen at run time from the URL.
//!
//! Store code is written once inside [`backend_fns!`] and compiled for each enabled backend
//! (SQLite and PostgreSQL get their own concrete connection type, so backend-specific
//! statements and SQLite's `BEGIN IMMEDIATE` stay possible); [`dispatch!`] picks the copy
//! matching the pool. Store functions run queries; they never decide business rules.

pub mod appeals;
#[cfg(feature = "sqlite")]
pub mod backup;
pub mod dialect;
pub mod bodies;
pub mod bulk;
pub mod campaigns;
pub mod demo;
pub mod exports;
pub mod gasu;
pub mod classifier;
pub mod drafts;
pub mod error;
pub mod history;
pub mod legacy;
pub mod login_attempts;
pub mod models;
pub mod optimize;
pub mod organizations;
pub mod outbox;
pub mod pool;
pub mod prepared;
pub mod receptions;
pub mod reminder_plan;
pub mod replica;
pub mod schema;
pub mod search;
pub mod sessions;
#[cfg(feature = "sqlite")]
pub mod sqlite_session;
#[cfg(feature = "sqlite")]
pub mod stable_plans;
pub mod stats;
pub mod stats_deltas;
pub mod sstu;
pub mod users;
pub mod visibility;
#[cfg(feature = "sqlite")]
pub mod wal_sync;

pub use error::ServiceError;
pub use pool::{Backend, DbPool, PoolOptions};

/// Compiles the enclosed items once per enabled backend, in modules `sqlite` and `pg`,
/// with `Conn` naming that backend's connection type.
#[macro_export]
macro_rules! backend_fns {
    ($($item:item)*) => {
        /// The SQLite copy of this module's queries.
        #[cfg(feature = "sqlite")]
        #[allow(unused_imports, dead_code)]
        pub(crate) mod sqlite {
            use super::*;
            /// This backend's connection.
            pub(crate) type Conn = diesel::SqliteConnection;
            use $crate::store::history::sqlite as history_db;
            use $crate::store::appeals::sqlite as appeals_db;
            $($item)*
        }
        /// The PostgreSQL copy of this module's queries.
        #[cfg(feature = "postgres")]
        #[allow(unused_imports, dead_code)]
        pub(crate) mod pg {
            use super::*;
            /// This backend's connection.
            pub(crate) type Conn = diesel::PgConnection;
            use $crate::store::history::pg as history_db;
            use $crate::store::appeals::pg as appeals_db;
            $($item)*
        }
    };
}

/// Takes a connection from `pool` and calls `func(conn, args…)` from the matching backend module.
#[macro_export]
macro_rules! dispatch {
    ($pool:expr, $func:ident ( $($arg:expr),* $(,)? )) => {{
        match $pool {
            #[cfg(feature = "sqlite")]
            $crate::store::DbPool::Sqlite(p) => {
                let mut c = $crate::store::pool::checkout(p)?;
                sqlite::$func(&mut c, $($arg),*)
            }
            #[cfg(feature = "postgres")]
            $crate::store::DbPool::Pg(p) => {
                let mut c = $crate::store::pool::checkout(p)?;
                pg::$func(&mut c, $($arg),*)
            }
        }
    }};
}

/// A write transaction: `BEGIN IMMEDIATE` on SQLite (so concurrent writers queue on the
/// busy timeout instead of failing on lock upgrade), an ordinary transaction on PostgreSQL.
pub trait WriteTx: diesel::Connection {
    /// Most bound parameters one statement may carry on this backend.
    const MAX_BIND_PARAMS: usize;

    /// Runs `f` in one transaction that takes the write lock up front where the backend needs it.
    fn write_tx<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>;

    /// [`WriteTx::write_tx`] for derived rows whose loss in a crash loses nothing anybody was
    /// told (a letter's campaign grouping: it stands alone, as if unlike the others): the commit
    /// does not wait for the disk. On SQLite the WAL frames are written and the next durable
    /// commit's flush covers them (the WAL keeps their order); on PostgreSQL
    /// `synchronous_commit` is off for this transaction only.
    fn derived_write_tx<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>;

    /// Whether another write transaction of this process holds the writer right now: a hint for
    /// where to read before writing (a read on an idle writer finds its cache warm).
    fn writer_busy() -> bool {
        false
    }
}

/// Serialises this process's SQLite write transactions (other processes still meet the busy timeout).
#[cfg(feature = "sqlite")]
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[cfg(feature = "sqlite")]
impl WriteTx for diesel::SqliteConnection {
    const MAX_BIND_PARAMS: usize = 32_766;

    fn writer_busy() -> bool {
        matches!(SQLITE_WRITER.try_lock(), Err(std::sync::TryLockError::WouldBlock))
    }

    fn write_tx<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        sqlite_write(self, f, true)
    }

    fn derived_write_tx<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        sqlite_write(self, f, false)
    }
}

/// A SQLite write transaction on the file's writer; `durable`: answer only once the commit is
/// flushed (shared with the commits queued behind it).
#[cfg(feature = "sqlite")]
fn sqlite_write<T, E, F>(this: &mut diesel::SqliteConnection, f: F, durable: bool) -> Result<T, E>
where
    F: FnOnce(&mut diesel::SqliteConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // SQLite has one writer at a time; queueing writers on an in-process lock instead of
    // SQLite's sleeping busy handler keeps latency flat under concurrent registrations.
    let file = sqlite_file(this)?;
    if file.is_empty() {
        // An in-memory database: nothing to flush, no other connection to share it.
        let _guard = SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner());
        return this.immediate_transaction(f);
    }
    // Every write transaction runs on the file's one writer connection (`wal_sync`), whose
    // page cache no other connection's commit invalidates, and commits in a group: its WAL
    // frames are written, and flushed after the lock is released, shared with the commits
    // queued behind it.
    let sync = wal_sync::WalSync::of(&file);
    let (r, ticket) = {
        let _guard = SQLITE_WRITER.lock().unwrap_or_else(|e| e.into_inner());
        let mut writer = sync.writer()?;
        let c = writer.as_mut().expect("opened by WalSync::writer");
        let r = c.immediate_transaction(f);
        let ticket = r.is_ok().then(|| sync.committed());
        (r, ticket)
    };
    let v = r?;
    if let Some(t) = ticket.filter(|_| durable) {
        sync.wait(t).map_err(|e| diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::Unknown, Box::new(format!("flushing the WAL: {e}"))))?;
        if t % wal_sync::CHECKPOINT_EVERY == 0 {
            use diesel::connection::SimpleConnection;
            // Copying the WAL into the database, outside the writer lock (a passive
            // checkpoint runs beside the next writers); connections have no automatic
            // checkpoint, which would run inside the commit, under the lock. Busy (another
            // checkpoint running) is not an error: the next one catches up.
            let _ = this.batch_execute("PRAGMA wal_checkpoint(PASSIVE)");
        }
    }
    Ok(v)
}

/// The file behind a SQLite connection's main database, as SQLite names it (empty in memory).
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_file(c: &mut diesel::SqliteConnection) -> Result<String, diesel::result::Error> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct File {
        #[diesel(sql_type = diesel::sql_types::Text)]
        file: String,
    }
    let rows: Vec<File> = prepared::Prepared::new("SELECT file FROM pragma_database_list WHERE name = 'main'", Vec::new()).load(c)?;
    Ok(rows.into_iter().next().map(|f| f.file).unwrap_or_default())
}

#[cfg(feature = "postgres")]
impl WriteTx for diesel::PgConnection {
    const MAX_BIND_PARAMS: usize = 65_535;

    fn write_tx<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        diesel::Connection::transaction(self, f)
    }

    fn derived_write_tx<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut Self) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        diesel::Connection::transaction(self, |c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SET LOCAL synchronous_commit = off")?;
            f(c)
        })
    }
}

/// An instant truncated to microseconds, the precision both backends keep, so values read
/// back compare equal to the ones written (keyset cursors depend on it).
pub fn micros(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDateTime {
    use chrono::{SubsecRound, Timelike};
    let n = t.naive_utc();
    n.with_nanosecond(n.nanosecond() / 1000 * 1000).unwrap_or(n).trunc_subsecs(6)
}

/// A fresh id, stored as text on both backends: a UUIDv7, whose leading timestamp (monotonic
/// within the process) makes new rows land at the right edge of every index keyed by an id
/// (primary keys, `appeal_id` of applicants, questions, keys and history) instead of on random
/// pages: a large import touches a few hot pages rather than the whole B-tree.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}
