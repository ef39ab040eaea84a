//! Storage of the ССТУ.РФ export: the month's appeals read in chunks inside one snapshot (so
//! the validating pass and the writing pass see the same data), and what was sent per appeal
//! (`sstu_sent`), which the delta compares with the cards' own versions, and the month's ZIP
//! part plan (`sstu_part_plans`), reused while the month's data keeps its fingerprint.
//!
//! The month-wide reads (keys, sent rows) come row by row: libpq's default holds a whole result
//! set in memory at once, next to the rows diesel builds from it.

use super::appeals::CardData;
use super::exports::{Cards, ExportLogRow, Period};
use super::models::AppealRow;
use super::schema::{answer_file_versions, appeals, bodies, export_log, sstu_part_plans, sstu_sent};
use super::{DbPool, ServiceError, WriteTx};
use crate::backend_fns;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::HashMap;

/// How a backend hands over a month-wide result: libpq one row at a time (its default mode
/// keeps the whole result set until the last row is read), SQLite always steps row by row.
pub trait RowByRow {
    /// Diesel's loading mode for `load_iter`.
    type Mode;
}

#[cfg(feature = "sqlite")]
impl RowByRow for diesel::SqliteConnection {
    type Mode = diesel::connection::DefaultLoadingMode;
}

#[cfg(feature = "postgres")]
impl RowByRow for diesel::PgConnection {
    type Mode = diesel::pg::PgRowByRowLoadingMode;
}

/// What selects, orders and skips a 59-FZ appeal of the month without loading its card.
#[derive(Clone, Debug, Queryable)]
pub struct MonthKey {
    /// Appeal id.
    pub id: String,
    /// Registration instant (the export's order).
    pub registered_at: NaiveDateTime,
    /// Registration number (order, and the log of skipped appeals).
    pub reg_number: String,
    /// The card's version: the delta's change mark.
    pub version: i32,
    /// The cover letter's number (forwarded appeals): `А26-…` marks the Administration of the President.
    pub source_number: Option<String>,
}

/// The latest file version of an answer, without its bytes.
#[derive(Clone, Debug, Queryable)]
pub struct FileMeta {
    /// Version row id (to fetch the bytes).
    pub id: String,
    /// The answer.
    pub answer_id: String,
    /// 1, 2, …
    pub version: i32,
    /// File name.
    pub file_name: String,
    /// Bytes.
    pub size: i32,
    /// Hex SHA-256 of the bytes (stands for them in the object's hash).
    pub sha256: String,
}

/// What the export sent of one appeal for one month.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sstu_sent)]
pub struct SentRow {
    /// Organization.
    pub organization_id: String,
    /// The month, `YYYY-MM`.
    pub period: String,
    /// The appeal.
    pub appeal_id: String,
    /// The card's version the object was built from.
    pub version: i32,
    /// Hex SHA-256 of the object (the attachment counted by its file's hash).
    pub hash: String,
    /// False while the other parts of its ZIP export are still to be fetched.
    pub complete: bool,
    /// When.
    pub exported_at: NaiveDateTime,
}

/// What `sstu_sent` holds of one appeal, as the delta and the last part compare it.
#[derive(Clone, Debug, Queryable)]
pub struct SentMark {
    /// The appeal.
    pub appeal_id: String,
    /// The card's version the object was built from.
    pub version: i32,
    /// Hex SHA-256 of the object.
    pub hash: String,
    /// False while the other parts of its ZIP export are still to be fetched.
    pub complete: bool,
    /// When.
    pub exported_at: NaiveDateTime,
}

/// The ZIP parts of a month's full export, valid while the data has `fingerprint`.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = sstu_part_plans)]
pub struct PartPlan {
    /// Organization.
    pub organization_id: String,
    /// The month, `YYYY-MM`.
    pub period: String,
    /// Hex SHA-256 of what the objects are built from (appeals, versions, directory, settings).
    pub fingerprint: String,
    /// How many parts.
    pub parts: i32,
    /// JSON array: the appeal id each part starts with, part 1 first.
    pub starts: String,
    /// When it was planned: pending rows of `sstu_sent` written since then belong to its parts.
    pub planned_at: NaiveDateTime,
}

/// Writes rows of `sstu_sent` by their key, replacing what the month held for those appeals.
pub trait UpsertSent {
    /// Inserts `rows`, or updates the rows with their keys.
    fn upsert_sent(&mut self, rows: &[SentRow]) -> QueryResult<()>;
}

/// The `SET` of an upsert of `sstu_sent`: everything but the key, from the proposed row.
macro_rules! sent_update {
    () => {{
        use diesel::upsert::excluded;
        (
            sstu_sent::version.eq(excluded(sstu_sent::version)),
            sstu_sent::hash.eq(excluded(sstu_sent::hash)),
            sstu_sent::complete.eq(excluded(sstu_sent::complete)),
            sstu_sent::exported_at.eq(excluded(sstu_sent::exported_at)),
        )
    }};
}

#[cfg(feature = "postgres")]
impl UpsertSent for diesel::PgConnection {
    fn upsert_sent(&mut self, rows: &[SentRow]) -> QueryResult<()> {
        diesel::insert_into(sstu_sent::table).values(rows).on_conflict((sstu_sent::organization_id, sstu_sent::period, sstu_sent::appeal_id)).do_update().set(sent_update!()).execute(self)?;
        Ok(())
    }
}

/// Diesel has no multi-row upsert for SQLite: one prepared statement per row.
#[cfg(feature = "sqlite")]
impl UpsertSent for diesel::SqliteConnection {
    fn upsert_sent(&mut self, rows: &[SentRow]) -> QueryResult<()> {
        for r in rows {
            diesel::insert_into(sstu_sent::table).values(r).on_conflict((sstu_sent::organization_id, sstu_sent::period, sstu_sent::appeal_id)).do_update().set(sent_update!()).execute(self)?;
        }
        Ok(())
    }
}

/// The reads of one export, all inside one snapshot.
pub trait Reader {
    /// The month's 59-FZ appeals (registered, dispatched, removed from control or forwarded in
    /// it), each once, in registration order.
    fn month_keys(&mut self, org: &str, p: &Period) -> Result<Vec<MonthKey>, ServiceError>;
    /// The cards of `ids`, in that order.
    fn cards(&mut self, org: &str, ids: &[String]) -> Result<Vec<CardData>, ServiceError>;
    /// The latest file version of each answer of these appeals, without bytes.
    fn file_meta(&mut self, org: &str, appeal_ids: &[String]) -> Result<Vec<FileMeta>, ServiceError>;
    /// The bytes of these file versions, by version id.
    fn file_bytes(&mut self, org: &str, version_ids: &[String]) -> Result<Vec<(String, Vec<u8>)>, ServiceError>;
    /// The ССТУ.РФ GUIDs of these directory bodies, by name.
    fn body_guids(&mut self, org: &str, names: &[String]) -> Result<Vec<(String, Option<String>)>, ServiceError>;
    /// What was sent of these appeals for the month.
    fn sent(&mut self, org: &str, period: &str, appeal_ids: &[String]) -> Result<Vec<SentRow>, ServiceError>;
    /// What was sent for the month, every appeal, handed to `each` row by row: one range of the
    /// key's prefix. (Chunks of `appeal_id = ANY` let a planner with stale statistics scan the
    /// whole prefix per chunk.)
    fn sent_month(&mut self, org: &str, period: &str, each: &mut dyn FnMut(SentMark)) -> Result<(), ServiceError>;
    /// Every directory body's name and ССТУ.РФ GUID, by name (a part plan's fingerprint).
    fn directory(&mut self, org: &str) -> Result<Vec<(String, Option<String>)>, ServiceError>;
    /// The month's part plan, if one was made.
    fn part_plan(&mut self, org: &str, period: &str) -> Result<Option<PartPlan>, ServiceError>;
}

backend_fns! {
    /// This backend's connection as a [`Reader`].
    pub struct Snap<'a>(pub &'a mut Conn);

    impl Reader for Snap<'_> {
        fn month_keys(&mut self, org: &str, p: &Period) -> Result<Vec<MonthKey>, ServiceError> {
            let c = &mut *self.0;
            let cols = (appeals::id, appeals::registered_at, appeals::reg_number, appeals::version, appeals::source_number);
            let base = || appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::legal_regime.eq("fz59"));
            // Four index range scans (registration, dispatch, removal from control, forwarding),
            // each read row by row; then sorted, and each appeal kept once.
            let mut all: Vec<MonthKey> = Vec::new();
            for k in base().filter(appeals::registered_at.ge(p.from_at)).filter(appeals::registered_at.lt(p.to_at)).select(cols).load_iter::<MonthKey, <Conn as RowByRow>::Mode>(c)? {
                all.push(k?);
            }
            for k in base().filter(appeals::answer_sent_on.ge(p.from)).filter(appeals::answer_sent_on.lt(p.to)).select(cols).load_iter::<MonthKey, <Conn as RowByRow>::Mode>(c)? {
                all.push(k?);
            }
            for k in base().filter(appeals::closed_on.ge(p.from)).filter(appeals::closed_on.lt(p.to)).select(cols).load_iter::<MonthKey, <Conn as RowByRow>::Mode>(c)? {
                all.push(k?);
            }
            for k in base().filter(appeals::forwarded_at.ge(p.from_at)).filter(appeals::forwarded_at.lt(p.to_at)).select(cols).load_iter::<MonthKey, <Conn as RowByRow>::Mode>(c)? {
                all.push(k?);
            }
            all.sort_unstable_by(|a, b| (a.registered_at, &a.reg_number, &a.id).cmp(&(b.registered_at, &b.reg_number, &b.id)));
            all.dedup_by(|a, b| a.id == b.id);
            all.shrink_to_fit();
            Ok(all)
        }

        fn cards(&mut self, org: &str, ids: &[String]) -> Result<Vec<CardData>, ServiceError> {
            let mut out = Vec::with_capacity(ids.len());
            for chunk in ids.chunks(500) {
                let rows: Vec<AppealRow> = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq_any(chunk)).select(AppealRow::as_select()).load(&mut *self.0)?;
                let mut by_id: HashMap<String, CardData> = self.0.cards(org, rows)?.into_iter().map(|c| (c.appeal.id.clone(), c)).collect();
                out.extend(chunk.iter().filter_map(|id| by_id.remove(id)));
            }
            Ok(out)
        }

        fn file_meta(&mut self, org: &str, appeal_ids: &[String]) -> Result<Vec<FileMeta>, ServiceError> {
            let mut latest: HashMap<String, FileMeta> = HashMap::new();
            for chunk in appeal_ids.chunks(500) {
                let rows: Vec<FileMeta> = answer_file_versions::table
                    .filter(answer_file_versions::appeal_id.eq_any(chunk))
                    .filter(answer_file_versions::organization_id.eq(org))
                    .select((answer_file_versions::id, answer_file_versions::answer_id, answer_file_versions::version, answer_file_versions::file_name, answer_file_versions::size, answer_file_versions::sha256))
                    .load(&mut *self.0)?;
                for r in rows {
                    if latest.get(&r.answer_id).is_none_or(|have| have.version < r.version) {
                        latest.insert(r.answer_id.clone(), r);
                    }
                }
            }
            Ok(latest.into_values().collect())
        }

        fn file_bytes(&mut self, org: &str, version_ids: &[String]) -> Result<Vec<(String, Vec<u8>)>, ServiceError> {
            let mut out = Vec::with_capacity(version_ids.len());
            for chunk in version_ids.chunks(500) {
                out.extend(answer_file_versions::table.filter(answer_file_versions::id.eq_any(chunk)).filter(answer_file_versions::organization_id.eq(org)).select((answer_file_versions::id, answer_file_versions::content)).load::<(String, Vec<u8>)>(&mut *self.0)?);
            }
            Ok(out)
        }

        fn body_guids(&mut self, org: &str, names: &[String]) -> Result<Vec<(String, Option<String>)>, ServiceError> {
            let mut out = Vec::new();
            for chunk in names.chunks(500) {
                out.extend(bodies::table.filter(bodies::organization_id.eq(org)).filter(bodies::name.eq_any(chunk)).select((bodies::name, bodies::sstu_department_id)).load::<(String, Option<String>)>(&mut *self.0)?);
            }
            Ok(out)
        }

        fn sent(&mut self, org: &str, period: &str, appeal_ids: &[String]) -> Result<Vec<SentRow>, ServiceError> {
            let mut out = Vec::with_capacity(appeal_ids.len());
            for chunk in appeal_ids.chunks(500) {
                out.extend(sstu_sent::table.filter(sstu_sent::organization_id.eq(org)).filter(sstu_sent::period.eq(period)).filter(sstu_sent::appeal_id.eq_any(chunk)).select(SentRow::as_select()).load(&mut *self.0)?);
            }
            Ok(out)
        }

        fn sent_month(&mut self, org: &str, period: &str, each: &mut dyn FnMut(SentMark)) -> Result<(), ServiceError> {
            let cols = (sstu_sent::appeal_id, sstu_sent::version, sstu_sent::hash, sstu_sent::complete, sstu_sent::exported_at);
            let rows = sstu_sent::table.filter(sstu_sent::organization_id.eq(org)).filter(sstu_sent::period.eq(period)).select(cols).load_iter::<SentMark, <Conn as RowByRow>::Mode>(&mut *self.0)?;
            for row in rows {
                each(row?);
            }
            Ok(())
        }

        fn directory(&mut self, org: &str) -> Result<Vec<(String, Option<String>)>, ServiceError> {
            Ok(bodies::table.filter(bodies::organization_id.eq(org)).order((bodies::name, bodies::id)).select((bodies::name, bodies::sstu_department_id)).load(&mut *self.0)?)
        }

        fn part_plan(&mut self, org: &str, period: &str) -> Result<Option<PartPlan>, ServiceError> {
            Ok(sstu_part_plans::table.filter(sstu_part_plans::organization_id.eq(org)).filter(sstu_part_plans::period.eq(period)).select(PartPlan::as_select()).first(&mut *self.0).optional()?)
        }
    }

    pub fn save_plan(conn: &mut Conn, plan: &PartPlan) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            diesel::delete(sstu_part_plans::table.filter(sstu_part_plans::organization_id.eq(&plan.organization_id)).filter(sstu_part_plans::period.eq(&plan.period))).execute(c)?;
            diesel::insert_into(sstu_part_plans::table).values(plan).execute(c)?;
            Ok(())
        })
    }

    pub fn record(conn: &mut Conn, log: &ExportLogRow, sent: &mut dyn Iterator<Item = SentRow>, plan: Option<&PartPlan>) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            loop {
                let chunk: Vec<SentRow> = (&mut *sent).take(500).collect();
                if chunk.is_empty() {
                    break;
                }
                // Upserts by the key: a delete of `appeal_id = ANY` first would range over the
                // month's whole key prefix per chunk while the planner still counts the rows
                // this transaction inserted as absent (measured: 0.5–1.2 s a chunk at 110,000).
                c.upsert_sent(&chunk)?;
            }
            if let Some(plan) = plan {
                diesel::delete(sstu_part_plans::table.filter(sstu_part_plans::organization_id.eq(&plan.organization_id)).filter(sstu_part_plans::period.eq(&plan.period))).execute(c)?;
                diesel::insert_into(sstu_part_plans::table).values(plan).execute(c)?;
            }
            diesel::insert_into(export_log::table).values(log).execute(c)?;
            Ok(())
        })
    }
}

/// Runs `f` over one read snapshot of the database: a read-only repeatable-read transaction
/// on PostgreSQL, a read transaction on SQLite (WAL: writers do not wait for it).
pub fn read<T>(pool: &DbPool, f: impl FnOnce(&mut dyn Reader) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(p) => {
            let mut c = crate::store::pool::checkout(p)?;
            c.transaction(|c| f(&mut sqlite::Snap(c)))
        }
        #[cfg(feature = "postgres")]
        DbPool::Pg(p) => {
            let mut c = crate::store::pool::checkout(p)?;
            c.build_transaction().read_only().repeatable_read().run(|c| f(&mut pg::Snap(c)))
        }
    }
}

/// Records an export in one transaction: its log row (who, when, what), per appeal sent the
/// version and hash (replacing the month's earlier row of that appeal; taken from `sent` 500
/// at a time, never all at once), and the part plan it made, if it made one.
pub fn record(pool: &DbPool, log: &ExportLogRow, sent: &mut dyn Iterator<Item = SentRow>, plan: Option<&PartPlan>) -> Result<(), ServiceError> {
    crate::dispatch!(pool, record(log, sent, plan))
}

/// Stores a month's part plan alone, replacing the month's earlier one, in one transaction: a
/// check that passed made it (the regional export's, before anything is sent), so the parts
/// that follow are built from it rather than checked a second time.
pub fn save_plan(pool: &DbPool, plan: &PartPlan) -> Result<(), ServiceError> {
    crate::dispatch!(pool, save_plan(plan))
}
