//! Personal reception: the schedule, the citizens booked into each reception, and the appeal
//! each visitor was registered as.

use crate::domain::error_code::ErrorCode;
use super::schema::{reception_visitors, receptions, visitor_reads};
use super::appeals::{CardData, Decider, LinkDecision, NewAppeal, Numbering};
use super::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A reception of the schedule.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = receptions)]
pub struct ReceptionRow {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// The official's name.
    pub official: String,
    /// `head` or `deputy`.
    pub official_role: String,
    /// Date.
    pub held_on: NaiveDate,
    /// Local start time, `HH:MM`.
    pub starts_at: String,
    /// Where (or the link, when remote).
    pub place: String,
    /// Remote (video) rather than in person.
    pub remote: bool,
    /// Who scheduled it.
    pub created_by: Option<String>,
    /// When.
    pub created_at: NaiveDateTime,
}

/// A citizen booked into a reception.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = reception_visitors)]
pub struct VisitorRow {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// The reception.
    pub reception_id: String,
    /// Citizen's name.
    pub full_name: String,
    /// Phone or e-mail for the booking.
    pub contact: Option<String>,
    /// When booked.
    pub booked_at: NaiveDateTime,
    /// The appeal registered from the visit.
    pub appeal_id: Option<String>,
}

backend_fns! {
    pub fn create(conn: &mut Conn, r: &ReceptionRow) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            diesel::insert_into(receptions::table).values(r).execute(c)?;
            Ok(())
        })
    }

    pub fn list(conn: &mut Conn, org: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<(ReceptionRow, Vec<VisitorRow>)>, ServiceError> {
        let rows: Vec<ReceptionRow> = receptions::table
            .filter(receptions::organization_id.eq(org))
            .filter(receptions::held_on.ge(from))
            .filter(receptions::held_on.le(to))
            .order((receptions::held_on.asc(), receptions::starts_at.asc(), receptions::id.asc()))
            .limit(1000)
            .select(ReceptionRow::as_select())
            .load(conn)?;
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let mut visitors: Vec<VisitorRow> = reception_visitors::table.filter(reception_visitors::reception_id.eq_any(&ids)).order((reception_visitors::booked_at.asc(), reception_visitors::id.asc())).select(VisitorRow::as_select()).load(conn)?;
        Ok(rows
            .into_iter()
            .map(|r| {
                let (mine, rest): (Vec<VisitorRow>, Vec<VisitorRow>) = std::mem::take(&mut visitors).into_iter().partition(|v| v.reception_id == r.id);
                visitors = rest;
                (r, mine)
            })
            .collect())
    }

    pub fn get(conn: &mut Conn, org: &str, id: &str) -> Result<Option<(ReceptionRow, Vec<VisitorRow>)>, ServiceError> {
        let Some(r) = receptions::table.filter(receptions::organization_id.eq(org)).filter(receptions::id.eq(id)).select(ReceptionRow::as_select()).first(conn).optional()? else {
            return Ok(None);
        };
        let v = reception_visitors::table.filter(reception_visitors::reception_id.eq(id)).order((reception_visitors::booked_at.asc(), reception_visitors::id.asc())).select(VisitorRow::as_select()).load(conn)?;
        Ok(Some((r, v)))
    }

    pub fn visitor(conn: &mut Conn, org: &str, id: &str) -> Result<Option<VisitorRow>, ServiceError> {
        Ok(reception_visitors::table.filter(reception_visitors::id.eq(id)).filter(reception_visitors::organization_id.eq(org)).select(VisitorRow::as_select()).first(conn).optional()?)
    }

    pub fn read_visitor(conn: &mut Conn, org: &str, id: &str, user_id: &str, now: NaiveDateTime) -> Result<Option<(VisitorRow, Vec<(String, NaiveDateTime)>)>, ServiceError> {
        conn.write_tx(|c| {
            let Some(v) = visitor(c, org, id)? else { return Ok(None) };
            diesel::insert_into(visitor_reads::table)
                .values((
                    visitor_reads::id.eq(crate::store::new_id()),
                    visitor_reads::organization_id.eq(org),
                    visitor_reads::visitor_id.eq(id),
                    visitor_reads::user_id.eq(user_id),
                    visitor_reads::read_at.eq(now),
                ))
                .execute(c)?;
            if let Some(appeal) = &v.appeal_id {
                // The appeal's own history records the read too, as its card's reads are.
                history_db::append(c, &crate::store::history::entry(org, appeal, now, Some(user_id), "viewed", serde_json::json!({"via": "reception_visitor"})))?;
            }
            let reads = visitor_reads::table
                .filter(visitor_reads::organization_id.eq(org))
                .filter(visitor_reads::visitor_id.eq(id))
                .order(visitor_reads::read_at.desc())
                .limit(50)
                .select((visitor_reads::user_id, visitor_reads::read_at))
                .load(c)?;
            Ok(Some((v, reads)))
        })
    }

    pub fn book(conn: &mut Conn, v: &VisitorRow) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            diesel::insert_into(reception_visitors::table).values(v).execute(c)?;
            Ok(())
        })
    }

    /// Records the appeal a visitor was registered as, inside the caller's transaction (once).
    pub fn link_in(c: &mut Conn, visitor_id: &str, appeal_id: &str) -> Result<(), ServiceError> {
        let n = diesel::update(reception_visitors::table.filter(reception_visitors::id.eq(visitor_id)).filter(reception_visitors::appeal_id.is_null())).set(reception_visitors::appeal_id.eq(Some(appeal_id))).execute(c)?;
        if n != 1 {
            return Err(ServiceError::conflict(ErrorCode::VisitorAlreadyRegistered, crate::domain::refusals::visitor_already_registered(), serde_json::json!({})));
        }
        Ok(())
    }

    pub fn register_visit(conn: &mut Conn, visitor_id: &str, a: &NewAppeal, links_for: LinkDecision, numbering: Numbering, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
        conn.write_tx(|c| {
            let card = appeals_db::register_in(c, a, links_for, numbering)?;
            link_in(c, visitor_id, &card.appeal.id)?;
            if steps.is_empty() {
                return Ok(card);
            }
            appeals_db::chain_in(c, &card.appeal.organization_id, &card.appeal.id, None, now, local_day, steps)
        })
    }
}

/// A visitor's card: the row with its contact, after recording this read (and, when the visit
/// became an appeal, a `viewed` entry in its history) in one transaction; the last 50 reads.
pub fn read_visitor(pool: &DbPool, org: &str, id: &str, user_id: &str, now: NaiveDateTime) -> Result<Option<(VisitorRow, Vec<(String, NaiveDateTime)>)>, ServiceError> {
    dispatch!(pool, read_visitor(org, id, user_id, now))
}

/// Schedules a reception.
pub fn create(pool: &DbPool, r: &ReceptionRow) -> Result<(), ServiceError> {
    dispatch!(pool, create(r))
}

/// Receptions held in `[from, to]` with their visitors, in time order (at most 1000).
pub fn list(pool: &DbPool, org: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<(ReceptionRow, Vec<VisitorRow>)>, ServiceError> {
    dispatch!(pool, list(org, from, to))
}

/// One reception with its visitors.
pub fn get(pool: &DbPool, org: &str, id: &str) -> Result<Option<(ReceptionRow, Vec<VisitorRow>)>, ServiceError> {
    dispatch!(pool, get(org, id))
}

/// One booked visitor.
pub fn visitor(pool: &DbPool, org: &str, id: &str) -> Result<Option<VisitorRow>, ServiceError> {
    dispatch!(pool, visitor(org, id))
}

/// Books a citizen.
pub fn book(pool: &DbPool, v: &VisitorRow) -> Result<(), ServiceError> {
    dispatch!(pool, book(v))
}

/// Registers a visitor as an appeal in ONE transaction: the appeal (number, links, history),
/// the visitor's link to it, and then `steps` (an oral answer's control actions) applied to it;
/// any refusal leaves nothing written, the number included.
pub fn register_visit(pool: &DbPool, visitor_id: &str, a: &NewAppeal, links_for: LinkDecision, numbering: Numbering, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
    dispatch!(pool, register_visit(visitor_id, a, links_for, numbering, now, local_day, steps))
}
