//! Storage of the monthly exports: the appeals of a month (each through an index on its date),
//! the export log, and answer files (PDF kept in the database, attached to the ССТУ.РФ export).

use crate::domain::error_code::ErrorCode;
use super::appeals::CardData;
use super::models::AppealRow;
use super::schema::{answer_file_versions, answers, appeals, export_log};
use super::{history, new_id, DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// One export as logged: what was sent for which period, when and by whom.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = export_log)]
pub struct ExportLogRow {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// `sstu`, `gasu_appeals`, …
    pub target: String,
    /// The month, `YYYY-MM`.
    pub period: String,
    /// When.
    pub created_at: NaiveDateTime,
    /// Who (none from the command line).
    pub created_by: Option<String>,
    /// Objects sent.
    pub items: i32,
    /// What was sent (JSON).
    pub payload: String,
}

/// One version of an answer's file: every upload is a new version, none is ever overwritten.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = answer_file_versions)]
pub struct AnswerFileRow {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// The appeal.
    pub appeal_id: String,
    /// The answer.
    pub answer_id: String,
    /// 1, 2, … per answer.
    pub version: i32,
    /// File name as uploaded.
    pub file_name: String,
    /// Bytes.
    pub size: i32,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    /// The PDF.
    pub content: Vec<u8>,
    /// Who uploaded it.
    pub uploaded_by: Option<String>,
    /// When.
    pub uploaded_at: NaiveDateTime,
}

/// Hex SHA-256 of a file's bytes.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// Keeps the latest version of each answer's file.
fn latest_per_answer(rows: Vec<AnswerFileRow>) -> Vec<AnswerFileRow> {
    let mut by_answer: std::collections::HashMap<String, AnswerFileRow> = std::collections::HashMap::new();
    for r in rows {
        match by_answer.get(&r.answer_id) {
            Some(have) if have.version >= r.version => {}
            _ => {
                by_answer.insert(r.answer_id.clone(), r);
            }
        }
    }
    by_answer.into_values().collect()
}

/// The month's bounds: local dates `[from, to)` and the UTC instants they begin at.
#[derive(Clone, Copy, Debug)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// First day after.
    pub to: NaiveDate,
    /// Instant the first day begins.
    pub from_at: NaiveDateTime,
    /// Instant the first day after begins.
    pub to_at: NaiveDateTime,
}

/// Loads whole cards for rows, on each backend's copy of the appeals store.
pub trait Cards {
    /// The cards of `rows`, in their order.
    fn cards(&mut self, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, ServiceError>;
}

#[cfg(feature = "sqlite")]
impl Cards for diesel::SqliteConnection {
    fn cards(&mut self, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, ServiceError> {
        super::appeals::sqlite::load_cards(self, org, rows)
    }
}

#[cfg(feature = "postgres")]
impl Cards for diesel::PgConnection {
    fn cards(&mut self, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, ServiceError> {
        super::appeals::pg::load_cards(self, org, rows)
    }
}

backend_fns! {
    pub fn cards_by_ids(conn: &mut Conn, org: &str, ids: &[String]) -> Result<Vec<CardData>, ServiceError> {
        let mut cards = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<AppealRow> = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq_any(chunk)).select(AppealRow::as_select()).load(conn)?;
            cards.extend(conn.cards(org, rows)?);
        }
        Ok(cards)
    }

    pub fn log_export(conn: &mut Conn, row: &ExportLogRow) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            diesel::insert_into(export_log::table).values(row).execute(c)?;
            Ok(())
        })
    }

    pub fn export_logs(conn: &mut Conn, org: &str, target: &str, period: &str) -> Result<Vec<ExportLogRow>, ServiceError> {
        Ok(export_log::table
            .filter(export_log::organization_id.eq(org))
            .filter(export_log::target.eq(target))
            .filter(export_log::period.eq(period))
            .order((export_log::created_at.asc(), export_log::id.asc()))
            .select(ExportLogRow::as_select())
            .load(conn)?)
    }

    pub fn count_exports(conn: &mut Conn, org: &str, target: &str, period: &str) -> Result<i64, ServiceError> {
        Ok(export_log::table.filter(export_log::organization_id.eq(org)).filter(export_log::target.eq(target)).filter(export_log::period.eq(period)).count().get_result(conn)?)
    }

    pub fn save_file(conn: &mut Conn, f: &AnswerFileRow) -> Result<i32, ServiceError> {
        conn.write_tx(|c| {
            // Only while the answer awaits review, checked and held in this transaction (the
            // no-op update locks the answer's row against a concurrent approval).
            let pending = diesel::update(answers::table.filter(answers::id.eq(&f.answer_id)).filter(answers::appeal_id.eq(&f.appeal_id)).filter(answers::status.eq("pending")))
                .set(answers::status.eq("pending"))
                .execute(c)?;
            if pending != 1 {
                let status: Option<String> = answers::table.filter(answers::id.eq(&f.answer_id)).filter(answers::appeal_id.eq(&f.appeal_id)).select(answers::status).first(c).optional()?;
                let Some(status) = status else { return Err(ServiceError::NotFound) };
                return Err(ServiceError::conflict(
                    ErrorCode::AnswerFileFrozen,
                    crate::domain::refusals::answer_file_frozen(),
                    serde_json::json!({"answer_status": status}),
                ));
            }
            let last: Option<i32> = answer_file_versions::table
                .filter(answer_file_versions::organization_id.eq(&f.organization_id))
                .filter(answer_file_versions::answer_id.eq(&f.answer_id))
                .select(diesel::dsl::max(answer_file_versions::version))
                .first(c)?;
            let mut row = f.clone();
            row.version = last.unwrap_or(0) + 1;
            diesel::insert_into(answer_file_versions::table).values(&row).execute(c)?;
            let details = serde_json::json!({"answer_id": row.answer_id, "file_name": row.file_name, "size": row.size, "sha256": row.sha256, "version": row.version});
            history_db::append(c, &history::entry(&row.organization_id, &row.appeal_id, row.uploaded_at, row.uploaded_by.as_deref(), "answer_file_attached", details))?;
            Ok(row.version)
        })
    }

    pub fn file(conn: &mut Conn, org: &str, answer_id: &str, version: Option<i32>) -> Result<Option<AnswerFileRow>, ServiceError> {
        let mut q = answer_file_versions::table.filter(answer_file_versions::organization_id.eq(org)).filter(answer_file_versions::answer_id.eq(answer_id)).into_boxed();
        if let Some(v) = version {
            q = q.filter(answer_file_versions::version.eq(v));
        }
        Ok(q.order(answer_file_versions::version.desc()).select(AnswerFileRow::as_select()).first(conn).optional()?)
    }

    pub fn files_of(conn: &mut Conn, org: &str, appeal_ids: &[String]) -> Result<Vec<AnswerFileRow>, ServiceError> {
        let mut out = Vec::new();
        for chunk in appeal_ids.chunks(500) {
            out.extend(answer_file_versions::table.filter(answer_file_versions::appeal_id.eq_any(chunk)).filter(answer_file_versions::organization_id.eq(org)).select(AnswerFileRow::as_select()).load(conn)?);
        }
        Ok(latest_per_answer(out))
    }

    pub fn backfill_hashes(conn: &mut Conn) -> Result<usize, ServiceError> {
        let ids: Vec<String> = answer_file_versions::table.filter(answer_file_versions::sha256.eq("")).select(answer_file_versions::id).load(conn)?;
        for id in &ids {
            let content: Vec<u8> = answer_file_versions::table.filter(answer_file_versions::id.eq(id)).select(answer_file_versions::content).first(conn)?;
            diesel::update(answer_file_versions::table.filter(answer_file_versions::id.eq(id))).set(answer_file_versions::sha256.eq(sha256_hex(&content))).execute(conn)?;
        }
        Ok(ids.len())
    }
}

/// The cards of these appeals (any order).
pub fn cards_by_ids(pool: &DbPool, org: &str, ids: &[String]) -> Result<Vec<CardData>, ServiceError> {
    dispatch!(pool, cards_by_ids(org, ids))
}

/// Records an export.
pub fn log_export(pool: &DbPool, row: &ExportLogRow) -> Result<(), ServiceError> {
    dispatch!(pool, log_export(row))
}

/// Earlier exports of a period, oldest first.
pub fn export_logs(pool: &DbPool, org: &str, target: &str, period: &str) -> Result<Vec<ExportLogRow>, ServiceError> {
    dispatch!(pool, export_logs(org, target, period))
}

/// How many exports of a period were logged.
pub fn count_exports(pool: &DbPool, org: &str, target: &str, period: &str) -> Result<i64, ServiceError> {
    dispatch!(pool, count_exports(org, target, period))
}

/// Adds a new version of an answer's file (never replacing one) with a history entry holding
/// its SHA-256, size and version, in one transaction; refused with 409 `answer_file_frozen`
/// once the answer is no longer pending review. The version number given.
pub fn save_file(pool: &DbPool, f: &AnswerFileRow) -> Result<i32, ServiceError> {
    dispatch!(pool, save_file(f))
}

/// An answer's file: the given version, or the latest.
pub fn file(pool: &DbPool, org: &str, answer_id: &str, version: Option<i32>) -> Result<Option<AnswerFileRow>, ServiceError> {
    dispatch!(pool, file(org, answer_id, version))
}

/// Fills in the SHA-256 of versions stored before hashes were kept; how many it filled.
pub fn backfill_hashes(pool: &DbPool) -> Result<usize, ServiceError> {
    dispatch!(pool, backfill_hashes())
}

/// The files of these appeals' answers, the latest version of each (frozen at approval, so
/// the version a dispatched answer went out with).
pub fn files_of(pool: &DbPool, org: &str, appeal_ids: &[String]) -> Result<Vec<AnswerFileRow>, ServiceError> {
    dispatch!(pool, files_of(org, appeal_ids))
}

/// A log row id that sorts after the period's earlier ones even within one instant
/// (`seq` is the period's export count so far).
pub fn log_id(period: &str, seq: i64) -> String {
    format!("{period}-{seq:08}-{}", new_id())
}
