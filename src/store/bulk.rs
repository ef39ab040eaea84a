//! Bulk control writes: one control step applied to many appeals, each row through the same
//! write as a single action (`appeals::mutate_in`: read, version check, update, history,
//! outbox, statistics deltas), so a batch writes exactly what the single actions would.
//!
//! Rows are independent: each runs in a savepoint of its own, so a refusal undoes only its row.
//! How rows share commits depends on the backend. SQLite writes one transaction at a time
//! anyway, so [`ROWS_PER_COMMIT`] rows share one commit (one WAL flush instead of fifty) and
//! the writer lock is still released between groups. PostgreSQL commits every row on its own:
//! a transaction holding one appeal's row while it waits for another's (or for a statistics
//! row that a concurrent single action holds) could deadlock. All-or-nothing batches are one
//! transaction on both; on PostgreSQL it locks every appeal of the batch first, in id order.

use super::appeals::{CardData, Change};
use super::{StoreError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;

/// One appeal of a batch and the version the caller expects it at (`None`: whatever is current).
#[derive(Clone, Debug)]
pub struct Target {
    /// Appeal id.
    pub id: String,
    /// Expected version.
    pub if_match: Option<i32>,
}

/// What became of one row: the card's new version, or why it was refused.
pub type RowResult = Result<i32, StoreError>;

/// The change of one row, decided from the card read in its transaction.
pub type Decide<'a> = &'a mut dyn FnMut(&CardData) -> Result<Change, StoreError>;

/// How many rows of an independent batch share one SQLite commit.
pub const ROWS_PER_COMMIT: usize = 50;

/// How often a row without an expected version is tried again after a concurrent writer
/// changed its card between the read and the update (PostgreSQL; SQLite's writer is alone).
const RACE_RETRIES: usize = 3;

/// Per-backend grouping of rows into commits.
pub trait BulkCommit {
    /// Rows of an independent batch per commit.
    const ROWS_PER_COMMIT: usize;
    /// Locks the appeals' rows in id order (all-or-nothing on a backend with row locks).
    fn lock_rows(&mut self, org: &str, ids: &[String]) -> Result<(), StoreError>;
}

#[cfg(feature = "sqlite")]
impl BulkCommit for diesel::SqliteConnection {
    const ROWS_PER_COMMIT: usize = ROWS_PER_COMMIT;
    fn lock_rows(&mut self, _: &str, _: &[String]) -> Result<(), StoreError> {
        // `BEGIN IMMEDIATE` already holds the database's one write lock.
        Ok(())
    }
}

#[cfg(feature = "postgres")]
impl BulkCommit for diesel::PgConnection {
    const ROWS_PER_COMMIT: usize = 1;
    fn lock_rows(&mut self, org: &str, ids: &[String]) -> Result<(), StoreError> {
        use super::schema::appeals;
        use diesel::prelude::*;
        let mut sorted = ids.to_vec();
        sorted.sort();
        appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq_any(sorted)).order(appeals::id).select(appeals::id).for_update().load::<String>(self)?;
        Ok(())
    }
}

/// Why an all-or-nothing transaction was rolled back.
enum Abort {
    /// The database failed.
    Db(diesel::result::Error),
    /// A row was refused: every row's outcome as it would have been.
    Refused(Vec<RowResult>),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Db(e)
    }
}

backend_fns! {
    /// One row in a savepoint of the caller's transaction; a card changed under it by a
    /// concurrent writer is read again when the caller named no version.
    fn one_row(c: &mut Conn, org: &str, t: &Target, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> RowResult {
        if uuid::Uuid::parse_str(&t.id).is_err() {
            return Err(StoreError::NotFound);
        }
        let mut tries = 0;
        loop {
            let r = diesel::Connection::transaction(c, |c| appeals_db::mutate_in(c, org, &t.id, t.if_match, actor, now, local_day, &mut *decide));
            match r {
                Err(StoreError::Stale { .. }) if t.if_match.is_none() && tries < RACE_RETRIES => tries += 1,
                other => return other.map(|card| card.appeal.version),
            }
        }
    }

    /// Applies `decide` to every target, each row on its own (see the module's doc); the
    /// outcomes in the targets' order. `Err` only when the database itself fails.
    pub fn apply_each(conn: &mut Conn, org: &str, targets: &[Target], actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<Vec<RowResult>, StoreError> {
        let mut out = Vec::with_capacity(targets.len());
        for group in targets.chunks(<Conn as BulkCommit>::ROWS_PER_COMMIT) {
            let rows = conn.write_tx(|c| -> Result<Vec<RowResult>, diesel::result::Error> {
                Ok(group.iter().map(|t| one_row(c, org, t, actor, now, local_day, &mut *decide)).collect())
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// Applies `decide` to every target in ONE transaction: every row is tried (so the caller
    /// learns every refusal at once), and if any is refused nothing is written. Returns the
    /// outcomes and whether they were committed.
    pub fn apply_all_or_nothing(conn: &mut Conn, org: &str, targets: &[Target], actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<(Vec<RowResult>, bool), StoreError> {
        let ids: Vec<String> = targets.iter().filter(|t| uuid::Uuid::parse_str(&t.id).is_ok()).map(|t| t.id.clone()).collect();
        let r = conn.write_tx(|c| -> Result<Vec<RowResult>, Abort> {
            c.lock_rows(org, &ids).map_err(|e| match e {
                StoreError::Db(d) => Abort::Db(d),
                other => Abort::Refused(vec![Err(other)]),
            })?;
            let rows: Vec<RowResult> = targets.iter().map(|t| one_row(c, org, t, actor, now, local_day, &mut *decide)).collect();
            if rows.iter().any(|r| r.is_err()) {
                return Err(Abort::Refused(rows));
            }
            Ok(rows)
        });
        match r {
            Ok(rows) => Ok((rows, true)),
            Err(Abort::Refused(rows)) => Ok((rows, false)),
            Err(Abort::Db(e)) => Err(e.into()),
        }
    }

    /// Registration numbers and statuses of the organization's appeals among `ids` (a batch's
    /// result page names them).
    pub fn numbers(conn: &mut Conn, org: &str, ids: &[String]) -> Result<Vec<(String, String, String)>, StoreError> {
        use crate::store::schema::appeals;
        use diesel::prelude::*;
        let mut out = Vec::with_capacity(ids.len());
        for part in ids.chunks(500) {
            let rows: Vec<(String, String, String)> = appeals::table
                .filter(appeals::organization_id.eq(org))
                .filter(appeals::id.eq_any(part.to_vec()))
                .select((appeals::id, appeals::reg_number, appeals::status))
                .load(conn)?;
            out.extend(rows);
        }
        Ok(out)
    }
}

/// [`sqlite::apply_each`] / [`pg::apply_each`] on a pooled connection.
pub fn apply_each(pool: &super::DbPool, org: &str, targets: &[Target], actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<Vec<RowResult>, StoreError> {
    dispatch!(pool, apply_each(org, targets, actor, now, local_day, decide))
}

/// All-or-nothing on a pooled connection: the outcomes and whether they were committed.
pub fn apply_all_or_nothing(pool: &super::DbPool, org: &str, targets: &[Target], actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<(Vec<RowResult>, bool), StoreError> {
    dispatch!(pool, apply_all_or_nothing(org, targets, actor, now, local_day, decide))
}

/// (id, registration number, status) of the organization's appeals among `ids`.
pub fn numbers(pool: &super::DbPool, org: &str, ids: &[String]) -> Result<Vec<(String, String, String)>, StoreError> {
    dispatch!(pool, numbers(org, ids))
}
