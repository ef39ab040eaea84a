//! Bulk control writes: one control step applied to many appeals, each row through the same
//! write as a single action (`appeals::write::mutate_in`: read, version check, update, history,
//! outbox, statistics deltas), so a batch writes exactly what the single actions would.
//!
//! Rows are independent: a refusal undoes only its row, and [`ROWS_PER_COMMIT`] rows share one
//! commit (one WAL flush or one PostgreSQL commit
//! instead of fifty; the write lock and the rows' locks are released between groups). Rows are
//! applied in id order whatever the request's order, so two batches over the same appeals take
//! their row locks in the same order and never wait for each other in a circle; the only
//! lock a step takes besides its appeal's own rows (the forwarding counter) comes before the
//! appeal's row, as in the single action. A row that still meets a deadlock or a serialization
//! failure, or whose card a concurrent writer changed between the read and the update (when
//! the caller named no version), is tried again. All-or-nothing batches are one transaction.
//!
//! A row is first written without a savepoint of its own: every refusal of a control step
//! (visibility, state machine, precondition, a stale version) comes before its first write, so
//! a refused row has written nothing. Only a step that writes before it can be refused (the
//! forwarding counter comes before the card's version check) runs each row in a savepoint; and
//! when a group meets a database error (which on PostgreSQL voids the whole transaction) it is
//! rolled back and applied again with a savepoint per row, so that error stays its row's.

use super::appeals::{CardData, Change};
use super::{ServiceError, WriteTx};
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
pub type RowResult = Result<i32, ServiceError>;

/// The change of one row, decided from the card read in its transaction.
pub type Decide<'a> = &'a mut dyn FnMut(&CardData) -> Result<Change, ServiceError>;

/// How many rows of an independent batch share one commit.
pub const ROWS_PER_COMMIT: usize = 50;

/// How often a row is tried again after a concurrent writer got in its way.
const RACE_RETRIES: usize = 3;

/// Why an all-or-nothing transaction was rolled back.
enum Abort {
    /// The database failed.
    Store(ServiceError),
    /// A row was refused: every row's outcome as it would have been.
    Refused(Vec<RowResult>),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Store(e.into())
    }
}

/// True when a row failed only because another transaction got in its way.
fn raced(e: &ServiceError, named_version: bool) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    match e {
        ServiceError::Stale { .. } => !named_version,
        ServiceError::Db(Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _)) => true,
        ServiceError::Db(Error::DatabaseError(_, info)) => info.message().contains("deadlock"),
        _ => false,
    }
}

/// The targets' positions in id order (the order rows are applied in).
fn in_id_order(targets: &[Target]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by(|a, b| targets[*a].id.cmp(&targets[*b].id));
    order
}

backend_fns! {
    use crate::store::models::AppealRow;

    /// The organization's cards among `ids`, read in one go (a query per table), by id.
    fn cards_of(c: &mut Conn, org: &str, ids: &[&str]) -> Result<std::collections::HashMap<String, CardData>, ServiceError> {
        use crate::store::schema::appeals;
        use diesel::prelude::*;
        let valid: Vec<String> = ids.iter().filter(|i| uuid::Uuid::parse_str(i).is_ok()).map(|i| i.to_string()).collect();
        if valid.is_empty() {
            return Ok(Default::default());
        }
        let rows: Vec<AppealRow> = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq_any(valid)).select(AppealRow::as_select()).load(c)?;
        Ok(appeals_db::load_cards(c, org, rows)?.into_iter().map(|k| (k.appeal.id.clone(), k)).collect())
    }

    /// Applies the rows at positions `group` of `targets` inside the caller's transaction,
    /// each in a savepoint of its own through the single action's write
    /// (`appeals::write::write_change`); then the statistics deltas of those done, from their cards
    /// before and after, as `appeals::write::mutate_in` records them one by one. Outcomes in `group`'s
    /// order; `Err` only when the database itself fails.
    fn apply_group(c: &mut Conn, org: &str, targets: &[Target], group: &[usize], savepoints: bool, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<Vec<RowResult>, ServiceError> {
        let ids: Vec<&str> = group.iter().map(|i| targets[*i].id.as_str()).collect();
        let mut before = cards_of(c, org, &ids)?;
        let mut out = Vec::with_capacity(group.len());
        let mut done: Vec<CardData> = Vec::new();
        for i in group {
            let t = &targets[*i];
            let Some(mut card) = before.remove(&t.id) else {
                out.push(Err(ServiceError::NotFound));
                continue;
            };
            let mut tries = 0;
            let r = loop {
                let written = if savepoints {
                    diesel::Connection::transaction(c, |c| appeals_db::write_change(c, org, &t.id, &card, t.if_match, actor, now, &mut *decide))
                } else {
                    match appeals_db::write_change(c, org, &t.id, &card, t.if_match, actor, now, &mut *decide) {
                        // The transaction may be void: the caller applies the group again, row by row in savepoints.
                        Err(ServiceError::Db(e)) => return Err(ServiceError::Db(e)),
                        other => other,
                    }
                };
                match written {
                    Err(e) if tries < RACE_RETRIES && raced(&e, t.if_match.is_some()) => {
                        tries += 1;
                        // Read again what the other writer left, and decide again.
                        match appeals_db::get_card(c, org, &t.id) {
                            Ok(k) => card = k,
                            Err(e) => break Err(e),
                        }
                    }
                    other => break other,
                }
            };
            if r.is_ok() {
                done.push(card);
            }
            out.push(r);
        }
        let ids: Vec<&str> = done.iter().map(|k| k.appeal.id.as_str()).collect();
        let after = cards_of(c, org, &ids)?;
        // Each card's deltas exactly as `record_change` computes them, written in one go.
        let mut pairs = Vec::new();
        for card in &done {
            let now_card = after.get(&card.appeal.id).ok_or(ServiceError::NotFound)?;
            pairs.push((card, now_card));
        }
        crate::store::stats_deltas::record_changes(c, &pairs, local_day)?;
        Ok(out)
    }

    /// Applies `decide` to every target, each row on its own (see the module's doc); the
    /// outcomes in the targets' order. A group the database fails for answers its rows with
    /// the failure (the groups before it stay written).
    pub fn apply_each(conn: &mut Conn, org: &str, targets: &[Target], savepoints: bool, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<Vec<RowResult>, ServiceError> {
        let mut out: Vec<Option<RowResult>> = (0..targets.len()).map(|_| None).collect();
        for group in in_id_order(targets).chunks(ROWS_PER_COMMIT) {
            let fast = if savepoints { Err(()) } else { conn.write_tx(|c| apply_group(c, org, targets, group, false, actor, now, local_day, &mut *decide)).map_err(|_| ()) };
            let rows = match fast {
                Ok(rows) => rows,
                Err(()) => match conn.write_tx(|c| apply_group(c, org, targets, group, true, actor, now, local_day, &mut *decide)) {
                    Ok(rows) => rows,
                    // The groups before stand: this group's rows answer 500 (the caller logs the cause).
                    Err(e) => {
                        let cause = e.to_string();
                        group.iter().map(|_| Err(ServiceError::Connect(cause.clone()))).collect()
                    }
                },
            };
            for (i, r) in group.iter().zip(rows) {
                out[*i] = Some(r);
            }
        }
        Ok(out.into_iter().map(|r| r.unwrap_or(Err(ServiceError::NotFound))).collect())
    }

    /// Applies `decide` to every target in ONE transaction: every row is tried (so the caller
    /// learns every refusal at once), and if any is refused nothing is written. Returns the
    /// outcomes and whether they were committed.
    pub fn apply_all_or_nothing(conn: &mut Conn, org: &str, targets: &[Target], actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<(Vec<RowResult>, bool), ServiceError> {
        let order = in_id_order(targets);
        let r = conn.write_tx(|c| -> Result<Vec<RowResult>, Abort> {
            let rows = apply_group(c, org, targets, &order, true, actor, now, local_day, &mut *decide).map_err(Abort::Store)?;
            let mut out: Vec<Option<RowResult>> = (0..targets.len()).map(|_| None).collect();
            for (i, r) in order.iter().zip(rows) {
                out[*i] = Some(r);
            }
            let out: Vec<RowResult> = out.into_iter().map(|r| r.unwrap_or(Err(ServiceError::NotFound))).collect();
            if out.iter().any(|r| r.is_err()) {
                return Err(Abort::Refused(out));
            }
            Ok(out)
        });
        match r {
            Ok(rows) => Ok((rows, true)),
            Err(Abort::Refused(rows)) => Ok((rows, false)),
            Err(Abort::Store(e)) => Err(e),
        }
    }

    /// Registration numbers and versions of the organization's appeals among `ids` (a batch's
    /// result page names them).
    pub fn numbers(conn: &mut Conn, org: &str, ids: &[String]) -> Result<Vec<(String, String, i32)>, ServiceError> {
        use crate::store::schema::appeals;
        use diesel::prelude::*;
        let mut out = Vec::with_capacity(ids.len());
        for part in ids.chunks(500) {
            let rows: Vec<(String, String, i32)> = appeals::table
                .filter(appeals::organization_id.eq(org))
                .filter(appeals::id.eq_any(part.to_vec()))
                .select((appeals::id, appeals::reg_number, appeals::version))
                .load(conn)?;
            out.extend(rows);
        }
        Ok(out)
    }
}

/// [`sqlite::apply_each`] / [`pg::apply_each`] on a pooled connection.
///
/// `savepoints`: the step may write before it is refused (see the module's doc), so every row
/// runs in a savepoint of its own from the start.
pub fn apply_each(pool: &super::DbPool, org: &str, targets: &[Target], savepoints: bool, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<Vec<RowResult>, ServiceError> {
    dispatch!(pool, apply_each(org, targets, savepoints, actor, now, local_day, decide))
}

/// All-or-nothing on a pooled connection: the outcomes and whether they were committed.
pub fn apply_all_or_nothing(pool: &super::DbPool, org: &str, targets: &[Target], actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: Decide<'_>) -> Result<(Vec<RowResult>, bool), ServiceError> {
    dispatch!(pool, apply_all_or_nothing(org, targets, actor, now, local_day, decide))
}

/// (id, registration number, version) of the organization's appeals among `ids`.
pub fn numbers(pool: &super::DbPool, org: &str, ids: &[String]) -> Result<Vec<(String, String, i32)>, ServiceError> {
    dispatch!(pool, numbers(org, ids))
}
