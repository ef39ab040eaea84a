//! The lists a reader pages through, the same for the API and the pages: the registry, the
//! executor's queue and the control board. Each applies the one visibility rule (an executor
//! sees only appeals assigned to them, [`Actor::confined_to`]) and leaves out of every card the
//! related appeals the reader may not open.

use crate::domain::roles::Actor;
use crate::domain::workflow::Status;
use crate::queries::card::redact_related;
use crate::state::AppState;
use crate::store::appeals::{CardData, ListFilter, ListOrder};
use crate::store::ServiceError;
use chrono::{Duration, NaiveDate, NaiveDateTime};

/// One page of a list: at most the page size of cards, and whether more follow (the edge
/// turns the last card into its cursor).
pub struct Page {
    /// The cards, related appeals redacted for the reader.
    pub cards: Vec<CardData>,
    /// True when a next page exists.
    pub more: bool,
    /// The mass campaigns of the page's appeals, by appeal id, as the reader may see them.
    pub campaigns: std::collections::HashMap<String, crate::store::campaigns::CampaignSummary>,
}

/// Reads one more card than the page holds, so the page knows whether another follows.
fn page_of(state: &AppState, actor: &Actor, mut f: ListFilter, read: fn(&crate::store::DbPool, &ListFilter) -> Result<Vec<CardData>, ServiceError>) -> Result<Page, ServiceError> {
    let limit = f.limit.max(0);
    f.limit = limit + 1;
    let mut cards = read(&state.pool, &f)?;
    let more = cards.len() as i64 > limit;
    cards.truncate(limit as usize);
    redact_related(state, actor, &mut cards)?;
    let ids: Vec<String> = cards.iter().map(|c| c.appeal.id.clone()).collect();
    let campaigns = crate::store::campaigns::of_appeals(&state.pool, &actor.org, &ids, actor.confined_to().as_deref())?;
    Ok(Page { cards, more, campaigns })
}

/// A page of the registry for a filter the edge parsed (its visibility already set from the
/// reader, see `edge::list::filter_from`).
pub fn registry(state: &AppState, actor: &Actor, f: ListFilter) -> Result<Page, ServiceError> {
    page_of(state, actor, f, crate::store::appeals::list)
}

/// Statuses an executor's queue shows: the open ones, and an approved answer waiting for its
/// dispatch (the executor often sends it).
fn queue_statuses() -> Vec<String> {
    Status::ALL.iter().filter(|s| s.is_open() || **s == Status::Answered).map(|s| s.as_str().to_string()).collect()
}

/// The reader's own assignments ("Мои поручения"), nearest deadline first: at most `limit`
/// from the keyset position `after_due`, only those due within `due_within_days` when given.
pub fn queue(state: &AppState, actor: &Actor, due_within_days: Option<i64>, after_due: Option<(NaiveDate, NaiveDateTime, String)>, limit: i64) -> Result<Page, ServiceError> {
    let today = state.today(&actor.org);
    let f = ListFilter {
        statuses: queue_statuses(),
        visible_to: Some(actor.id.clone()),
        due_on_or_before: due_within_days.map(|n| today + Duration::days(n)),
        after_due,
        limit,
        ..deadline_order(&actor.org)
    };
    page_of(state, actor, f, crate::store::appeals::list_due_first)
}

/// An unfiltered list of an organization in deadline order, for the filters above to narrow.
fn deadline_order(org: &str) -> ListFilter {
    ListFilter {
        org: org.to_string(),
        registered_from: None,
        registered_before: None,
        statuses: Vec::new(),
        channel: None,
        section: None,
        executor_id: None,
        campaign_id: None,
        visible_to: None,
        due_on_or_before: None,
        due_before: None,
        due_on_or_after: None,
        search: None,
        after: None,
        after_due: None,
        limit: 0,
        order: ListOrder::DueFirst,
    }
}

/// One section of the control board.
pub struct BoardSection {
    /// Stable code (the page's anchors and tests).
    pub code: &'static str,
    /// Its Russian title.
    pub title: &'static str,
    /// The registry's filter that lists the whole section.
    pub link: &'static str,
    /// How many appeals it holds in all (exact, not capped at the shown ones).
    pub count: i64,
    /// The first of them, nearest deadline first.
    pub cards: Vec<CardData>,
    /// Their mass campaigns, by appeal id.
    pub campaigns: std::collections::HashMap<String, crate::store::campaigns::CampaignSummary>,
}

/// The control board for the reader's role: not assigned (for those who read every appeal),
/// in work, due today, overdue; each with its first `shown` cards and its exact count.
pub fn board(state: &AppState, actor: &Actor, shown: i64) -> Result<Vec<BoardSection>, ServiceError> {
    let today = state.today(&actor.org);
    let mine = actor.confined_to();
    let open = ListFilter { statuses: Status::OPEN_CODES.iter().map(|s| s.to_string()).collect(), visible_to: mine.clone(), limit: shown, ..deadline_order(&actor.org) };
    let mut plan: Vec<(&'static str, &'static str, &'static str, ListFilter)> = Vec::new();
    if mine.is_none() {
        plan.push(("unassigned", "Не распределены", "/appeals?status=registered", ListFilter { statuses: vec![Status::Registered.as_str().into()], ..open.clone() }));
    }
    plan.push(("in_work", "На исполнении", "/appeals?status=in_work", ListFilter { statuses: vec![Status::InWork.as_str().into(), Status::AnswerReview.as_str().into()], ..open.clone() }));
    plan.push(("due_today", "Срок истекает сегодня", "/appeals?due_within_days=0", ListFilter { due_on_or_after: Some(today), due_on_or_before: Some(today), ..open.clone() }));
    plan.push(("overdue", "Просрочены", "/appeals?overdue=true", ListFilter { due_before: Some(today), ..open }));
    let mut sections = Vec::new();
    for (code, title, link, f) in plan {
        let counted = f.clone();
        let page = page_of(state, actor, f, crate::store::appeals::list_due_first)?;
        let count = if page.more { crate::store::appeals::count_due_first(&state.pool, &counted)? } else { page.cards.len() as i64 };
        sections.push(BoardSection { code, title, link, count, cards: page.cards, campaigns: page.campaigns });
    }
    Ok(sections)
}
