//! Lists of appeals: the registry newest first and the deadline-ordered board and queues, by
//! keyset pages through the indexes, with the text search's bounded walk.

use crate::store::appeals::card::CardData;
use crate::store::models::*;
use crate::store::schema::{appeals, assignments, questions};
use crate::store::search::{newest_first_after, Scope, SearchIndex, TextSearch};
use crate::store::{DbPool, ServiceError};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Order of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest registration first (the registry).
    NewestFirst,
    /// Nearest deadline first (an executor's queue).
    DueFirst,
}

/// Filters of `GET /api/v1/appeals`, already resolved to stored values.
#[derive(Clone, Debug)]
pub struct ListFilter {
    /// Organization.
    pub org: String,
    /// Registered at or after.
    pub registered_from: Option<NaiveDateTime>,
    /// Registered before.
    pub registered_before: Option<NaiveDateTime>,
    /// Status codes (any of).
    pub statuses: Vec<String>,
    /// Channel code.
    pub channel: Option<String>,
    /// Section code of any question.
    pub section: Option<String>,
    /// Actively assigned to this user (a filter).
    pub executor_id: Option<String>,
    /// In this mass campaign.
    pub campaign_id: Option<String>,
    /// Restrict to appeals actively assigned to this user (an executor's visibility).
    pub visible_to: Option<String>,
    /// Deadline on or before this date.
    pub due_on_or_before: Option<NaiveDate>,
    /// Deadline strictly before this date.
    pub due_before: Option<NaiveDate>,
    /// Deadline on or after this date.
    pub due_on_or_after: Option<NaiveDate>,
    /// Text search (`q`): a contains-match over the folded search text.
    pub search: Option<TextSearch>,
    /// Keyset position: (registered_at, id) of the last item seen.
    pub after: Option<(NaiveDateTime, String)>,
    /// Keyset position in deadline order: (due_date, registered_at, id) of the last item seen.
    pub after_due: Option<(NaiveDate, NaiveDateTime, String)>,
    /// Page size.
    pub limit: i64,
    /// Order.
    pub order: ListOrder,
}

/// A page of cards.
pub fn list(pool: &DbPool, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
    dispatch!(pool, list(f))
}

/// A deadline-ordered list over several statuses (the board, «Мои поручения»), read as one
/// index-ordered query per status (`appeals (organization_id, status, due_date)`), each stopped
/// at the limit, merged, and only the rows kept loaded as cards: the database never sorts every
/// open appeal to return the first twenty.
pub fn list_due_first(pool: &DbPool, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
    dispatch!(pool, list_due_first(f))
}

/// How many appeals a board section holds in all (its statuses, deadlines and visibility;
/// the other filters of [`ListFilter`] are not read): the board shows exact figures.
pub fn count_due_first(pool: &DbPool, f: &ListFilter) -> Result<i64, ServiceError> {
    dispatch!(pool, count_due_first(f))
}

backend_fns! {
    pub fn list(conn: &mut Conn, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
        let rows = list_rows(conn, f)?;
        appeals_db::load_cards(conn, &f.org, rows)
    }

    fn list_rows(conn: &mut Conn, f: &ListFilter) -> Result<Vec<AppealRow>, ServiceError> {
        match &f.search {
            None => rows(conn, f, Scope::Everything),
            Some(s) => searched(conn, f, s),
        }
    }

    pub fn list_due_first(conn: &mut Conn, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
        let mut all = Vec::new();
        if f.statuses.len() <= 1 {
            all = list_rows(conn, f)?;
        } else {
            for st in &f.statuses {
                all.extend(list_rows(conn, &ListFilter { statuses: vec![st.clone()], ..f.clone() })?);
            }
            all.sort_by(|a, b| (a.due_date, a.registered_at, &a.id).cmp(&(b.due_date, b.registered_at, &b.id)));
            all.truncate(f.limit.max(0) as usize);
        }
        // Only the rows shown get their applicants, questions and the rest.
        appeals_db::load_cards(conn, &f.org, all)
    }

    pub fn count_due_first(conn: &mut Conn, f: &ListFilter) -> Result<i64, ServiceError> {
        let mut total = 0;
        // One count per status, each a range of `(organization_id, status, due_date)`.
        for st in &f.statuses {
            let mut q = appeals::table.filter(appeals::organization_id.eq(&f.org)).filter(appeals::status.eq(st.clone())).into_boxed();
            for who in [&f.executor_id, &f.visible_to].into_iter().flatten() {
                q = q.filter(appeals::id.eq_any(assignments::table.filter(assignments::user_id.eq(who.clone())).filter(assignments::active.eq(true)).select(assignments::appeal_id)));
            }
            if let Some(d) = f.due_on_or_before { q = q.filter(appeals::due_date.le(d)); }
            if let Some(d) = f.due_before { q = q.filter(appeals::due_date.lt(d)); }
            if let Some(d) = f.due_on_or_after { q = q.filter(appeals::due_date.ge(d)); }
            let n: i64 = q.count().get_result(conn)?;
            total += n;
        }
        Ok(total)
    }

    /// A page of a text search (see [`super::search`]): the newest `window` cards from the
    /// page's position walked in order, and if the page is not full there, every match
    /// through the trigram index, newest first, the page's rows read by primary key.
    fn searched(c: &mut Conn, f: &ListFilter, s: &TextSearch) -> Result<Vec<AppealRow>, ServiceError> {
        if f.order == ListOrder::NewestFirst {
            match window_floor(c, f, s.window)? {
                // Fewer cards than the window are left: walking them all is the bounded walk.
                None => return rows(c, f, Scope::Everything),
                Some(floor) => {
                    let page = rows(c, f, Scope::Since(floor))?;
                    if page.len() as i64 >= f.limit {
                        return Ok(page);
                    }
                }
            }
        }
        let after = if f.order == ListOrder::NewestFirst { f.after.as_ref() } else { None };
        let ids = newest_first_after(c.matching(&f.org, &s.query)?, after);
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            out.extend(rows(c, f, Scope::Only(chunk))?);
            // Newest first, chunks come in the page's order: stop once it is full.
            if f.order == ListOrder::NewestFirst && out.len() as i64 >= f.limit {
                break;
            }
        }
        if f.order == ListOrder::DueFirst {
            out.sort_by(|a, b| (a.due_date, a.registered_at, &a.id).cmp(&(b.due_date, b.registered_at, &b.id)));
        }
        out.truncate(f.limit.max(0) as usize);
        Ok(out)
    }

    /// The registration time of the `window`-th newest card from the page's position (within
    /// the registration-date filters), or `None` when fewer are left: one walk of at most
    /// `window` entries of `appeals_org_registered`.
    fn window_floor(c: &mut Conn, f: &ListFilter, window: i64) -> Result<Option<NaiveDateTime>, ServiceError> {
        let mut q = appeals::table.filter(appeals::organization_id.eq(&f.org)).into_boxed();
        if let Some(t) = f.registered_from { q = q.filter(appeals::registered_at.ge(t)); }
        if let Some(t) = f.registered_before { q = q.filter(appeals::registered_at.lt(t)); }
        if let Some((at, id)) = &f.after {
            q = q.filter(appeals::registered_at.le(*at)).filter(appeals::registered_at.lt(*at).or(appeals::id.lt(id.clone())));
        }
        Ok(q.order((appeals::registered_at.desc(), appeals::id.desc())).offset(window - 1).limit(1).select(appeals::registered_at).first(c).optional()?)
    }

    /// One list query: the filter's conditions and order, limited to `scope`.
    fn rows(conn: &mut Conn, f: &ListFilter, scope: Scope<'_>) -> Result<Vec<AppealRow>, ServiceError> {
        let mut q = appeals::table.filter(appeals::organization_id.eq(&f.org)).into_boxed();
        if let Some(t) = f.registered_from { q = q.filter(appeals::registered_at.ge(t)); }
        if let Some(t) = f.registered_before { q = q.filter(appeals::registered_at.lt(t)); }
        // One status as `status = $n`, not `= ANY($n)`: PostgreSQL's generic plan of a prepared
        // `= ANY` cannot read `(organization_id, status, due_date)` in order, so the board's
        // per-status lists sorted every open appeal of that status (~300 ms at 1,000,000).
        match f.statuses.as_slice() {
            [] => {}
            [one] => q = q.filter(appeals::status.eq(one.clone())),
            many => q = q.filter(appeals::status.eq_any(many.to_vec())),
        }
        if let Some(ch) = &f.channel { q = q.filter(appeals::channel.eq(ch.clone())); }
        if let Some(s) = &f.section {
            q = q.filter(appeals::id.eq_any(questions::table.filter(questions::organization_id.eq(f.org.clone())).filter(questions::section.eq(s.clone())).select(questions::appeal_id)));
        }
        if let Some(c) = &f.campaign_id {
            use crate::store::schema::campaign_members;
            q = q.filter(appeals::id.eq_any(campaign_members::table.filter(campaign_members::organization_id.eq(f.org.clone())).filter(campaign_members::campaign_id.eq(c.clone())).select(campaign_members::appeal_id)));
        }
        for who in [&f.executor_id, &f.visible_to].into_iter().flatten() {
            q = q.filter(appeals::id.eq_any(assignments::table.filter(assignments::user_id.eq(who.clone())).filter(assignments::active.eq(true)).select(assignments::appeal_id)));
        }
        if let Some(d) = f.due_on_or_before { q = q.filter(appeals::due_date.le(d)); }
        if let Some(d) = f.due_before { q = q.filter(appeals::due_date.lt(d)); }
        if let Some(d) = f.due_on_or_after { q = q.filter(appeals::due_date.ge(d)); }
        match (scope, &f.search) {
            (Scope::Only(ids), _) => q = q.filter(appeals::id.eq_any(ids.to_vec())),
            (Scope::Since(floor), Some(s)) => q = q.filter(appeals::registered_at.ge(floor)).filter(appeals::search_text.like(s.query.like_pattern()).escape('\\')),
            (Scope::Since(floor), None) => q = q.filter(appeals::registered_at.ge(floor)),
            (Scope::Everything, Some(s)) => q = q.filter(appeals::search_text.like(s.query.like_pattern()).escape('\\')),
            (Scope::Everything, None) => {}
        }
        q = match f.order {
            ListOrder::NewestFirst => {
                if let Some((at, id)) = &f.after {
                    // `registered_at <= at` is the index range; the OR only breaks the tie.
                    q = q.filter(appeals::registered_at.le(*at)).filter(appeals::registered_at.lt(*at).or(appeals::id.lt(id.clone())));
                }
                q.order((appeals::registered_at.desc(), appeals::id.desc()))
            }
            ListOrder::DueFirst => {
                if let Some((due, at, id)) = &f.after_due {
                    q = q.filter(
                        appeals::due_date.gt(*due)
                            .or(appeals::due_date.eq(*due).and(appeals::registered_at.gt(*at)))
                            .or(appeals::due_date.eq(*due).and(appeals::registered_at.eq(*at)).and(appeals::id.gt(id.clone()))),
                    );
                }
                q.order((appeals::due_date.asc(), appeals::registered_at.asc(), appeals::id.asc()))
            }
        };
        Ok(q.limit(f.limit).select(AppealRow::as_select()).load(conn)?)
    }
}
