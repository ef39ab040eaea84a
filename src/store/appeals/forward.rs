//! Forwarding to another organization of the instance in ONE transaction: both organizations'
//! rows locked in one order, the sender's card changed as any control action changes it, and
//! the receiver's new appeal registered; a refusal on either side leaves nothing written.

use crate::store::appeals::card::CardData;
use crate::store::appeals::numbering::Numbering;
use crate::store::appeals::register::{LinkDecision, NewAppeal};
use crate::store::appeals::write::Change;
use crate::store::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The two sides of one forwarding inside the instance, decided by the use case.
pub struct Handover<'a> {
    /// The sending organization.
    pub sender_org: &'a str,
    /// The receiving organization.
    pub receiver_org: &'a str,
    /// Both organizations in the order their rows are locked (the domain's `lock_order`).
    pub lock_order: [&'a str; 2],
    /// Judges the receiver from whether it exists and is active (`None`: unknown), read under its lock.
    pub check_receiver: &'a dyn Fn(Option<bool>) -> Result<(), ServiceError>,
    /// The sender's change (the control action, guarded as every action is).
    pub decide: &'a mut dyn FnMut(&CardData) -> Result<Change, ServiceError>,
    /// The receiver's new appeal built from the sender's card as the change left it (the cover letter's number and date).
    pub receive: &'a mut dyn FnMut(&CardData) -> Result<NewAppeal, ServiceError>,
    /// Links of the new appeal to the receiver's earlier ones.
    pub links_for: LinkDecision<'a>,
    /// The receiver's registration numbering.
    pub numbering: Numbering<'a>,
}

/// Forwards appeal `id` of `h.sender_org` to `h.receiver_org` in one transaction: the sender's
/// card after the change and the receiver's new card.
pub fn forward_between(pool: &DbPool, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, h: Handover<'_>) -> Result<(CardData, CardData), ServiceError> {
    dispatch!(pool, forward_between(id, if_match, actor, now, local_day, h))
}

/// Whether an organization exists and is active, its row locked until the transaction ends
/// (PostgreSQL: `FOR NO KEY UPDATE`, which leaves the foreign-key checks of other writers of
/// this organization unblocked; SQLite has one writer anyway).
macro_rules! lock_sql {
    ($suffix:literal) => {
        concat!("SELECT id, active FROM organizations WHERE id IN (?, ?)", $suffix)
    };
}

/// The sender's card after a forwarding's `change`, written as `row`, built from the card read
/// before it: the card row as written, the active assignments ended when the change ends them,
/// the questions' new results; applicants, answers, contributions and related appeals stay as
/// read, and the receiver's appeal is not written yet (the use case fills it in). `None` for a
/// change that writes anything else: the caller reads the card back then.
fn card_after(card: &CardData, change: &Change, row: crate::store::models::AppealRow) -> Option<CardData> {
    let other = !change.new_assignments.is_empty()
        || change.new_answer.is_some()
        || !change.answer_reviews.is_empty()
        || change.close_on_dispatch.is_some()
        || change.replace_applicants.is_some()
        || change.replace_questions.is_some()
        || change.new_contribution.is_some()
        || change.dispatch.is_some()
        || change.match_keys.is_some();
    if other {
        return None;
    }
    let mut after = card.clone();
    after.appeal = row;
    if change.replace_assignments {
        for a in after.assignments.iter_mut() {
            a.active = false;
        }
    }
    for (qid, result, taken, on) in &change.question_results {
        let q = after.questions.iter_mut().find(|q| &q.id == qid)?;
        q.result = result.clone();
        q.actions_taken = *taken;
        q.result_on = *on;
    }
    after.receiver = None;
    Some(after)
}

backend_fns! {
    pub fn forward_between(conn: &mut Conn, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, h: Handover<'_>) -> Result<(CardData, CardData), ServiceError> {
        let Handover { sender_org, receiver_org, lock_order, check_receiver, decide, receive, links_for, numbering } = h;
        conn.write_tx(|c| {
            let receiver_active = lock_organizations(c, lock_order, receiver_org)?;
            check_receiver(receiver_active)?;
            // The sender's change as every control action makes it (`mutate_in`), except that
            // the card after it is built from the card read and the change written rather than
            // read a second time: a forwarding changes the card row, its active assignments
            // and its questions' results, and nothing else of what a card shows.
            let card = appeals_db::get_card(c, sender_org, id)?;
            let mut decided: Option<Change> = None;
            let mut keep = |card: &CardData| -> Result<Change, ServiceError> {
                let change = decide(card)?;
                decided = Some(change.clone());
                Ok(change)
            };
            let row = appeals_db::write_change_row(c, sender_org, id, &card, if_match, actor, now, &mut keep)?;
            let sender = match decided.as_ref().and_then(|change| card_after(&card, change, row)) {
                Some(after) => after,
                None => appeals_db::get_card(c, sender_org, id)?,
            };
            crate::store::stats_deltas::record_change(c, &card, &sender, local_day)?;
            let new = receive(&sender)?;
            let received = appeals_db::register_in(c, &new, links_for, numbering)?;
            Ok((sender, received))
        })
    }

    /// The organization with this id.
    pub fn organization(c: &mut Conn, id: &str) -> Result<Option<OrganizationName>, ServiceError> {
        use crate::store::schema::organizations;
        let found: Option<(String, bool, Option<String>)> = organizations::table.find(id).select((organizations::name, organizations::active, organizations::sstu_department_id)).first(c).optional()?;
        Ok(found.map(|(name, active, sstu_department_id)| OrganizationName { name, active, sstu_department_id }))
    }

    /// Locks both organizations' rows until the transaction ends, in `order` (one statement:
    /// PostgreSQL locks the rows as the sort returns them, and `COLLATE "C"` sorts as the
    /// domain's `lock_order` does); whether `receiver` is active (`None`: no such organization).
    fn lock_organizations(c: &mut Conn, order: [&str; 2], receiver: &str) -> Result<Option<bool>, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        #[derive(QueryableByName)]
        struct Active {
            #[diesel(sql_type = diesel::sql_types::Text)]
            id: String,
            #[diesel(sql_type = diesel::sql_types::Bool)]
            active: bool,
        }
        let sql = if c.is_pg() { lock_sql!(" ORDER BY id COLLATE \"C\" FOR NO KEY UPDATE") } else { lock_sql!("") };
        let rows: Vec<Active> = Prepared::new(sql, vec![Arg::Text(order[0].to_string()), Arg::Text(order[1].to_string())]).load(c)?;
        Ok(rows.into_iter().find(|r| r.id == receiver).map(|r| r.active))
    }
}

/// Whether a connection is PostgreSQL's (the lock clause SQLite does not know).
trait IsPg {
    fn is_pg(&self) -> bool;
}

#[cfg(feature = "sqlite")]
impl IsPg for diesel::SqliteConnection {
    fn is_pg(&self) -> bool {
        false
    }
}

#[cfg(feature = "postgres")]
impl IsPg for diesel::PgConnection {
    fn is_pg(&self) -> bool {
        true
    }
}

/// An organization of the instance as forwarding names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationName {
    /// Its name.
    pub name: String,
    /// Whether it receives new appeals.
    pub active: bool,
    /// Its ССТУ.РФ GUID.
    pub sstu_department_id: Option<String>,
}

/// The organization with this id, if the instance has it.
pub fn organization(pool: &DbPool, id: &str) -> Result<Option<OrganizationName>, ServiceError> {
    dispatch!(pool, organization(id))
}

