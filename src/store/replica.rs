//! The read replica (`DATABASE_READ_URL`): a second pool on a PostgreSQL streaming replica that
//! statistics, reports, exports, search and list pages read from, so they take no connection or
//! CPU from the primary that takes registrations. A replica that does not answer is passed
//! over for a few seconds (with a warning in the log) and those reads go to the primary: a user
//! never sees an error because of it.

use super::pool::{pg_conninfo, DbPool};
use super::ServiceError;
use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long a replica found down is passed over before a request asks it again.
const VERDICT_FOR: Duration = Duration::from_secs(2);
/// How long a probe waits for a connection to the replica.
const PROBE_WAIT: Duration = Duration::from_millis(500);

/// A replica's pool and whether it answered lately.
pub struct ReadReplica {
    /// The pool on the replica.
    pub pool: DbPool,
    /// When the replica was last asked, and whether it answered then.
    verdict: Mutex<Option<(Instant, bool)>>,
}

/// How current a replica's data is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Freshness {
    /// The instant up to which the replica has replayed the primary's commits (now, while it
    /// streams and has replayed all it received).
    pub as_of: DateTime<Utc>,
    /// How far that is behind the replica's clock, seconds.
    pub lag_seconds: f64,
}

impl ReadReplica {
    /// Opens the replica's pool without waiting for it: a replica down at start is only passed
    /// over until it answers. Only PostgreSQL has replicas.
    pub fn open(url: &str, size: u32, failover_timeout: Duration) -> Result<ReadReplica, ServiceError> {
        match super::pool::parse_url(url)? {
            #[cfg(feature = "postgres")]
            super::pool::Target::Postgres(u) => {
                let manager = diesel::r2d2::ConnectionManager::<diesel::PgConnection>::new(pg_conninfo(&u, failover_timeout));
                let pool = diesel::r2d2::Pool::builder()
                    .max_size(size.max(1))
                    .min_idle(Some(0))
                    .connection_timeout(Duration::from_secs(1))
                    .test_on_check_out(true)
                    .connection_customizer(Box::new(ReadOnlySession))
                    .build_unchecked(manager);
                Ok(ReadReplica { pool: DbPool::Pg(pool), verdict: Mutex::new(None) })
            }
            _ => Err(ServiceError::Connect("DATABASE_READ_URL: only a PostgreSQL replica can serve reads (postgres://…)".into())),
        }
    }

    /// Whether reads may go to the replica now: a round trip on one of its connections (within
    /// half a second), so a replica that just died is noticed before a report is sent to it; a
    /// replica found down is passed over for a couple of seconds before it is asked again. A
    /// change is logged: a warning when the replica stops answering (its reads go to the
    /// primary), a note when it is back.
    pub fn usable(&self) -> bool {
        if let Some((at, false)) = *self.verdict.lock().unwrap_or_else(|e| e.into_inner()) {
            if at.elapsed() < VERDICT_FOR {
                return false;
            }
        }
        let probe = self.probe();
        let ok = probe.is_ok();
        let mut v = self.verdict.lock().unwrap_or_else(|e| e.into_inner());
        let was = v.map(|(_, ok)| ok);
        *v = Some((Instant::now(), ok));
        match (&probe, was) {
            (Err(e), Some(true) | None) => tracing::warn!(cause = %e, "read replica not answering: statistics, reports and lists read the primary"),
            (Ok(()), Some(false)) => tracing::info!("read replica answering again: statistics, reports and lists read it"),
            _ => {}
        }
        ok
    }

    /// Marks the replica down after a read lost it (the next requests read the primary for a
    /// couple of seconds, then ask it again), with the warning.
    pub fn passed_over(&self) {
        let mut v = self.verdict.lock().unwrap_or_else(|e| e.into_inner());
        if v.is_none_or(|(_, ok)| ok) {
            tracing::warn!("read replica lost under a read: repeated on the primary; statistics, reports and lists read the primary");
        }
        *v = Some((Instant::now(), false));
    }

    fn probe(&self) -> Result<(), ServiceError> {
        use diesel::connection::SimpleConnection;
        match &self.pool {
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => Ok(p.get_timeout(PROBE_WAIT)?.batch_execute("SELECT 1")?),
            #[allow(unreachable_patterns)]
            _ => Ok(()),
        }
    }

    /// How current the replica's data is (for «данные на …» and the readiness check).
    pub fn freshness(&self) -> Result<Freshness, ServiceError> {
        match &self.pool {
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => freshness(&mut *p.get_timeout(PROBE_WAIT)?),
            #[allow(unreachable_patterns)]
            _ => Err(ServiceError::Connect("not a replica".into())),
        }
    }
}

/// Asks a server how current its data is: on a primary, now; on a streaming replica that has
/// replayed all it received, now; otherwise the time of the last commit it replayed.
#[cfg(feature = "postgres")]
pub fn freshness(c: &mut diesel::PgConnection) -> Result<Freshness, ServiceError> {
    use diesel::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Timestamptz)]
        as_of: DateTime<Utc>,
        #[diesel(sql_type = diesel::sql_types::Double)]
        lag: f64,
    }
    const SQL: &str = "SELECT t AS as_of, GREATEST(0, EXTRACT(EPOCH FROM clock_timestamp() - t))::float8 AS lag FROM (SELECT CASE \
        WHEN NOT pg_is_in_recovery() THEN clock_timestamp() \
        WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() AND EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN clock_timestamp() \
        ELSE COALESCE(pg_last_xact_replay_timestamp(), 'epoch'::timestamptz) END AS t) f";
    let r: Row = diesel::sql_query(SQL).get_result(c)?;
    Ok(Freshness { as_of: r.as_of, lag_seconds: r.lag })
}

/// Sessions on the replica are read-only by default: a write sent there by mistake fails at once.
#[cfg(feature = "postgres")]
#[derive(Debug)]
struct ReadOnlySession;

#[cfg(feature = "postgres")]
impl diesel::r2d2::CustomizeConnection<diesel::PgConnection, diesel::r2d2::Error> for ReadOnlySession {
    fn on_acquire(&self, conn: &mut diesel::PgConnection) -> Result<(), diesel::r2d2::Error> {
        use diesel::connection::SimpleConnection;
        conn.batch_execute("SET TIME ZONE 'UTC'; SET enable_seqscan = off; SET default_transaction_read_only = on").map_err(diesel::r2d2::Error::QueryError)
    }
}
