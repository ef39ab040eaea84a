//! Storage of the ССТУ.РФ export: the month's appeals read in chunks inside one snapshot (so
//! the validating pass and the writing pass see the same data), and what was sent per appeal
//! (`sstu_sent`), which the delta compares with the cards' own versions.

use super::appeals::CardData;
use super::exports::{Cards, ExportLogRow, Period};
use super::models::AppealRow;
use super::schema::{answer_file_versions, appeals, bodies, export_log, sstu_sent};
use super::{DbPool, ServiceError, WriteTx};
use crate::backend_fns;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use std::collections::{BTreeMap, HashMap};

/// What selects, orders and skips an appeal of the month without loading its card.
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
    /// Only 59-FZ appeals are reported.
    pub legal_regime: String,
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

/// The reads of one export, all inside one snapshot.
pub trait Reader {
    /// The month's appeals (registered, dispatched, removed from control or forwarded in it),
    /// each once, in registration order.
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
    /// What was sent for the month, every appeal: one range of the key's prefix. (Chunks of
    /// `appeal_id = ANY` let a planner with stale statistics scan the whole prefix per chunk.)
    fn sent_month(&mut self, org: &str, period: &str) -> Result<Vec<SentRow>, ServiceError>;
}

backend_fns! {
    /// This backend's connection as a [`Reader`].
    pub struct Snap<'a>(pub &'a mut Conn);

    impl Reader for Snap<'_> {
        fn month_keys(&mut self, org: &str, p: &Period) -> Result<Vec<MonthKey>, ServiceError> {
            let c = &mut *self.0;
            let cols = (appeals::id, appeals::registered_at, appeals::reg_number, appeals::version, appeals::legal_regime, appeals::source_number);
            let base = || appeals::table.filter(appeals::organization_id.eq(org));
            // Four index range scans (registration, dispatch, removal from control, forwarding).
            let mut all: Vec<MonthKey> = base().filter(appeals::registered_at.ge(p.from_at)).filter(appeals::registered_at.lt(p.to_at)).select(cols).load(c)?;
            all.extend(base().filter(appeals::answer_sent_on.ge(p.from)).filter(appeals::answer_sent_on.lt(p.to)).select(cols).load::<MonthKey>(c)?);
            all.extend(base().filter(appeals::closed_on.ge(p.from)).filter(appeals::closed_on.lt(p.to)).select(cols).load::<MonthKey>(c)?);
            all.extend(base().filter(appeals::forwarded_at.ge(p.from_at)).filter(appeals::forwarded_at.lt(p.to_at)).select(cols).load::<MonthKey>(c)?);
            let mut once: BTreeMap<(NaiveDateTime, String, String), MonthKey> = BTreeMap::new();
            for k in all {
                once.entry((k.registered_at, k.reg_number.clone(), k.id.clone())).or_insert(k);
            }
            Ok(once.into_values().collect())
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

        fn sent_month(&mut self, org: &str, period: &str) -> Result<Vec<SentRow>, ServiceError> {
            Ok(sstu_sent::table.filter(sstu_sent::organization_id.eq(org)).filter(sstu_sent::period.eq(period)).select(SentRow::as_select()).load(&mut *self.0)?)
        }
    }

    pub fn record(conn: &mut Conn, log: &ExportLogRow, sent: &[SentRow]) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            for chunk in sent.chunks(500) {
                let ids: Vec<&str> = chunk.iter().map(|r| r.appeal_id.as_str()).collect();
                diesel::delete(sstu_sent::table.filter(sstu_sent::organization_id.eq(&log.organization_id)).filter(sstu_sent::period.eq(&log.period)).filter(sstu_sent::appeal_id.eq_any(&ids))).execute(c)?;
                diesel::insert_into(sstu_sent::table).values(chunk).execute(c)?;
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
            let mut c = p.get()?;
            c.transaction(|c| f(&mut sqlite::Snap(c)))
        }
        #[cfg(feature = "postgres")]
        DbPool::Pg(p) => {
            let mut c = p.get()?;
            c.build_transaction().read_only().repeatable_read().run(|c| f(&mut pg::Snap(c)))
        }
    }
}

/// Records an export in one transaction: its log row (who, when, what) and, per appeal sent,
/// the version and hash (replacing the month's earlier row of that appeal).
pub fn record(pool: &DbPool, log: &ExportLogRow, sent: &[SentRow]) -> Result<(), ServiceError> {
    crate::dispatch!(pool, record(log, sent))
}
