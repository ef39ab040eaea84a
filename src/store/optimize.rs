//! The query planner's statistics kept current by the service itself, so nobody has to
//! remember an `ANALYZE`: SQLite's `PRAGMA optimize` when the server closes its database and
//! after a large import (`appeals::import`'s follow-up); PostgreSQL's autovacuum analyzes on its
//! own, and the import's follow-up runs `ANALYZE` there.

use super::{DbPool, ServiceError, WriteTx};

/// SQLite's statistics refreshed where they are missing or stale: `PRAGMA optimize` over every
/// table (`0x10002`: not only those this connection queried), each `ANALYZE` it decides on
/// bounded to about 1,000 rows per index (`analysis_limit`), so it takes milliseconds, not the
/// seconds a full `ANALYZE` of a large registry takes under the writer lock. On the file's
/// writer, in a write transaction of its own. A no-op on PostgreSQL.
pub fn optimize(pool: &DbPool) -> Result<(), ServiceError> {
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(p) => {
            use diesel::connection::SimpleConnection;
            let mut c = super::pool::checkout(p)?;
            c.write_tx(|w| w.batch_execute("PRAGMA analysis_limit = 1000; PRAGMA optimize = 0x10002;"))?;
            Ok(())
        }
        #[cfg(feature = "postgres")]
        DbPool::Pg(_) => Ok(()),
    }
}
