//! Storage of the monthly exports: the appeals of a month (each through an index on its date),
//! the export log, and answer files (PDF kept in the database, attached to the ССТУ.РФ export).

use super::appeals::CardData;
use super::models::AppealRow;
use super::schema::{answer_files, appeals, export_log};
use super::{history, new_id, DbPool, StoreError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::BTreeSet;

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

/// An answer's file.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = answer_files)]
pub struct AnswerFileRow {
    /// The answer.
    pub answer_id: String,
    /// Organization.
    pub organization_id: String,
    /// The appeal.
    pub appeal_id: String,
    /// File name as uploaded.
    pub file_name: String,
    /// Bytes.
    pub size: i32,
    /// The PDF.
    pub content: Vec<u8>,
    /// Who uploaded it.
    pub uploaded_by: Option<String>,
    /// When.
    pub uploaded_at: NaiveDateTime,
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
    fn cards(&mut self, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, StoreError>;
}

#[cfg(feature = "sqlite")]
impl Cards for diesel::SqliteConnection {
    fn cards(&mut self, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, StoreError> {
        super::appeals::sqlite::load_cards(self, org, rows)
    }
}

#[cfg(feature = "postgres")]
impl Cards for diesel::PgConnection {
    fn cards(&mut self, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, StoreError> {
        super::appeals::pg::load_cards(self, org, rows)
    }
}

backend_fns! {
    pub fn month_cards(conn: &mut Conn, org: &str, p: &Period) -> Result<Vec<CardData>, StoreError> {
        // Four index range scans (registration, dispatch, removal from control, forwarding).
        let mut ids: BTreeSet<String> = BTreeSet::new();
        ids.extend(appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::registered_at.ge(p.from_at)).filter(appeals::registered_at.lt(p.to_at)).select(appeals::id).load::<String>(conn)?);
        ids.extend(appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::answer_sent_on.ge(p.from)).filter(appeals::answer_sent_on.lt(p.to)).select(appeals::id).load::<String>(conn)?);
        ids.extend(appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::closed_on.ge(p.from)).filter(appeals::closed_on.lt(p.to)).select(appeals::id).load::<String>(conn)?);
        ids.extend(appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::forwarded_at.ge(p.from_at)).filter(appeals::forwarded_at.lt(p.to_at)).select(appeals::id).load::<String>(conn)?);
        let ids: Vec<String> = ids.into_iter().collect();
        let mut rows: Vec<AppealRow> = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            rows.extend(appeals::table.filter(appeals::id.eq_any(chunk)).select(AppealRow::as_select()).load(conn)?);
        }
        rows.sort_by(|a, b| (a.registered_at, &a.reg_number, &a.id).cmp(&(b.registered_at, &b.reg_number, &b.id)));
        let mut cards = Vec::with_capacity(rows.len());
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<AppealRow> = rows.by_ref().take(500).collect();
            cards.extend(conn.cards(org, chunk)?);
        }
        Ok(cards)
    }

    pub fn registered_cards(conn: &mut Conn, org: &str, p: &Period) -> Result<Vec<CardData>, StoreError> {
        let rows: Vec<AppealRow> = appeals::table
            .filter(appeals::organization_id.eq(org))
            .filter(appeals::registered_at.ge(p.from_at))
            .filter(appeals::registered_at.lt(p.to_at))
            .order((appeals::registered_at.asc(), appeals::id.asc()))
            .select(AppealRow::as_select())
            .load(conn)?;
        let mut cards = Vec::with_capacity(rows.len());
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<AppealRow> = rows.by_ref().take(500).collect();
            cards.extend(conn.cards(org, chunk)?);
        }
        Ok(cards)
    }

    pub fn cards_by_ids(conn: &mut Conn, org: &str, ids: &[String]) -> Result<Vec<CardData>, StoreError> {
        let mut cards = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let rows: Vec<AppealRow> = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq_any(chunk)).select(AppealRow::as_select()).load(conn)?;
            cards.extend(conn.cards(org, rows)?);
        }
        Ok(cards)
    }

    pub fn log_export(conn: &mut Conn, row: &ExportLogRow) -> Result<(), StoreError> {
        conn.write_tx(|c| {
            diesel::insert_into(export_log::table).values(row).execute(c)?;
            Ok(())
        })
    }

    pub fn export_logs(conn: &mut Conn, org: &str, target: &str, period: &str) -> Result<Vec<ExportLogRow>, StoreError> {
        Ok(export_log::table
            .filter(export_log::organization_id.eq(org))
            .filter(export_log::target.eq(target))
            .filter(export_log::period.eq(period))
            .order((export_log::created_at.asc(), export_log::id.asc()))
            .select(ExportLogRow::as_select())
            .load(conn)?)
    }

    pub fn count_exports(conn: &mut Conn, org: &str, target: &str, period: &str) -> Result<i64, StoreError> {
        Ok(export_log::table.filter(export_log::organization_id.eq(org)).filter(export_log::target.eq(target)).filter(export_log::period.eq(period)).count().get_result(conn)?)
    }

    pub fn save_file(conn: &mut Conn, f: &AnswerFileRow) -> Result<(), StoreError> {
        conn.write_tx(|c| {
            diesel::delete(answer_files::table.filter(answer_files::answer_id.eq(&f.answer_id))).execute(c)?;
            diesel::insert_into(answer_files::table).values(f).execute(c)?;
            let details = serde_json::json!({"answer_id": f.answer_id, "file_name": f.file_name, "size": f.size});
            history_db::append(c, &history::entry(&f.organization_id, &f.appeal_id, f.uploaded_at, f.uploaded_by.as_deref(), "answer_file_attached", details))?;
            Ok(())
        })
    }

    pub fn file(conn: &mut Conn, org: &str, answer_id: &str) -> Result<Option<AnswerFileRow>, StoreError> {
        Ok(answer_files::table.filter(answer_files::answer_id.eq(answer_id)).filter(answer_files::organization_id.eq(org)).select(AnswerFileRow::as_select()).first(conn).optional()?)
    }

    pub fn files_of(conn: &mut Conn, org: &str, appeal_ids: &[String]) -> Result<Vec<AnswerFileRow>, StoreError> {
        let mut out = Vec::new();
        for chunk in appeal_ids.chunks(500) {
            out.extend(answer_files::table.filter(answer_files::appeal_id.eq_any(chunk)).filter(answer_files::organization_id.eq(org)).select(AnswerFileRow::as_select()).load(conn)?);
        }
        Ok(out)
    }
}

/// The cards of appeals registered, answered (dispatched), removed from control or forwarded
/// in the period, in registration order.
pub fn month_cards(pool: &DbPool, org: &str, p: &Period) -> Result<Vec<CardData>, StoreError> {
    dispatch!(pool, month_cards(org, p))
}

/// The cards of appeals registered in the period, in registration order.
pub fn registered_cards(pool: &DbPool, org: &str, p: &Period) -> Result<Vec<CardData>, StoreError> {
    dispatch!(pool, registered_cards(org, p))
}

/// The cards of these appeals (any order).
pub fn cards_by_ids(pool: &DbPool, org: &str, ids: &[String]) -> Result<Vec<CardData>, StoreError> {
    dispatch!(pool, cards_by_ids(org, ids))
}

/// Records an export.
pub fn log_export(pool: &DbPool, row: &ExportLogRow) -> Result<(), StoreError> {
    dispatch!(pool, log_export(row))
}

/// Earlier exports of a period, oldest first.
pub fn export_logs(pool: &DbPool, org: &str, target: &str, period: &str) -> Result<Vec<ExportLogRow>, StoreError> {
    dispatch!(pool, export_logs(org, target, period))
}

/// How many exports of a period were logged.
pub fn count_exports(pool: &DbPool, org: &str, target: &str, period: &str) -> Result<i64, StoreError> {
    dispatch!(pool, count_exports(org, target, period))
}

/// Stores (or replaces) an answer's file with a history entry, in one transaction.
pub fn save_file(pool: &DbPool, f: &AnswerFileRow) -> Result<(), StoreError> {
    dispatch!(pool, save_file(f))
}

/// An answer's file.
pub fn file(pool: &DbPool, org: &str, answer_id: &str) -> Result<Option<AnswerFileRow>, StoreError> {
    dispatch!(pool, file(org, answer_id))
}

/// The files of these appeals' answers.
pub fn files_of(pool: &DbPool, org: &str, appeal_ids: &[String]) -> Result<Vec<AnswerFileRow>, StoreError> {
    dispatch!(pool, files_of(org, appeal_ids))
}

/// A log row id that sorts after the period's earlier ones even within one instant
/// (`seq` is the period's export count so far).
pub fn log_id(period: &str, seq: i64) -> String {
    format!("{period}-{seq:08}-{}", new_id())
}
