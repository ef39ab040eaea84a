//! Forwarding to another organization of the instance in ONE transaction: the receiver's row
//! locked against a deactivation, the sender's card changed as any control action changes it,
//! and the receiver's new appeal registered; a refusal on either side leaves nothing written.

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

/// Whether the receiving organization exists and is active, its row locked until the
/// transaction ends. PostgreSQL: `FOR SHARE`, which a deactivation (an `UPDATE` of the row)
/// waits for and which it must wait for in turn, so a deactivation that commits first is always
/// seen; forwardings do not wait for each other on it, nor do other writers' foreign-key checks
/// (`FOR KEY SHARE`). Nothing else is locked in an order that could close a circle: the sender's
/// cover-letter counter and the receiver's registration counter are different rows, so two
/// organizations forwarding to each other at once each wait at most for the other's commit.
/// SQLite has one writer anyway.
macro_rules! lock_sql {
    ($suffix:literal) => {
        concat!("SELECT active FROM organizations WHERE id = ?", $suffix)
    };
}

/// The sender's card after a forwarding's `change`, written as `row`, built from the card read
/// before it: the card row as written, the active assignments ended when the change ends them,
/// the questions' new results; applicants, answers, contributions and related appeals stay as
/// read, and the receiver's appeal is not written yet (the use case fills it in). `None` for a
/// change that writes anything else: the caller reads the card back then.
fn card_after(card: &CardData, change: &Change, row: crate::store::models::AppealRow) -> Option<CardData> {
    // Every field named, so a new kind of change cannot slip past this check unread.
    let Change {
        appeal: _,
        replace_assignments,
        new_assignments,
        new_answer,
        answer_reviews,
        close_on_dispatch,
        question_results,
        new_contribution,
        dispatch,
        forward_number: _,
        replace_applicants,
        replace_questions,
        action: _,
        details: _,
        outbox: _,
        match_keys,
    } = change;
    let other = !new_assignments.is_empty()
        || new_answer.is_some()
        || !answer_reviews.is_empty()
        || close_on_dispatch.is_some()
        || replace_applicants.is_some()
        || replace_questions.is_some()
        || new_contribution.is_some()
        || dispatch.is_some()
        || match_keys.is_some();
    if other {
        return None;
    }
    let mut after = card.clone();
    after.appeal = row;
    if *replace_assignments {
        for a in after.assignments.iter_mut() {
            a.active = false;
        }
    }
    for (qid, result, taken, on) in question_results {
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
        let Handover { sender_org, receiver_org, check_receiver, decide, receive, links_for, numbering } = h;
        conn.write_tx(|c| {
            let receiver_active = lock_receiver(c, receiver_org)?;
            check_receiver(receiver_active)?;
            // The sender's change as every control action makes it (`mutate_in`), except that
            // the card after it is built from the card read and the change written rather than
            // read a second time: a forwarding changes the card row, its active assignments
            // and its questions' results, and nothing else of what a card shows.
            let card = c.card_at_once(sender_org, id)?;
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

    /// Locks the receiving organization's row until the transaction ends (see [`lock_sql`]);
    /// whether it is active (`None`: no such organization).
    fn lock_receiver(c: &mut Conn, receiver: &str) -> Result<Option<bool>, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        #[derive(QueryableByName)]
        struct Active {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            active: bool,
        }
        let sql = if c.is_pg() { lock_sql!(" FOR SHARE") } else { lock_sql!("") };
        let rows: Vec<Active> = Prepared::new(sql, vec![Arg::Text(receiver.to_string())]).load(c)?;
        Ok(rows.into_iter().next().map(|r| r.active))
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


/// The sender's card as [`crate::store::appeals::get_card`] reads it, in one round trip where
/// the backend allows it: inside a forwarding's transaction every statement is waited for by
/// whoever waits for its locks.
trait CardAtOnce {
    fn card_at_once(&mut self, org: &str, id: &str) -> Result<CardData, ServiceError>;
}

#[cfg(feature = "sqlite")]
impl CardAtOnce for diesel::SqliteConnection {
    fn card_at_once(&mut self, org: &str, id: &str) -> Result<CardData, ServiceError> {
        crate::store::appeals::sqlite::get_card(self, org, id)
    }
}

/// The card row and each of its lists as JSON, in the orders `get_card` reads them.
#[cfg(feature = "postgres")]
const PG_CARD_SQL: &str = "SELECT row_to_json(a)::text AS appeal, \
     (SELECT COALESCE(json_agg(p ORDER BY p.position), '[]') FROM applicants p WHERE p.appeal_id = a.id)::text AS applicants, \
     (SELECT COALESCE(json_agg(q ORDER BY q.position), '[]') FROM questions q WHERE q.appeal_id = a.id)::text AS questions, \
     (SELECT COALESCE(json_agg(s ORDER BY s.assigned_at), '[]') FROM assignments s WHERE s.appeal_id = a.id)::text AS assignments, \
     (SELECT COALESCE(json_agg(w ORDER BY w.created_at), '[]') FROM answers w WHERE w.appeal_id = a.id)::text AS answers, \
     (SELECT COALESCE(json_agg(x ORDER BY x.created_at), '[]') FROM contributions x WHERE x.appeal_id = a.id)::text AS contributions, \
     (SELECT COALESCE(json_agg(r.id), '[]') FROM (SELECT related_appeal_id AS id FROM appeal_links WHERE organization_id = a.organization_id AND appeal_id = a.id \
        UNION ALL SELECT appeal_id FROM appeal_links WHERE organization_id = a.organization_id AND related_appeal_id = a.id) r)::text AS related \
     FROM appeals a WHERE a.organization_id = ? AND a.id = ?";

#[cfg(feature = "postgres")]
#[derive(QueryableByName)]
struct CardJson {
    #[diesel(sql_type = diesel::sql_types::Text)]
    appeal: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    applicants: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    questions: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    assignments: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    answers: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    contributions: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    related: String,
}

#[cfg(feature = "postgres")]
impl CardAtOnce for diesel::PgConnection {
    fn card_at_once(&mut self, org: &str, id: &str) -> Result<CardData, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        let found: Vec<CardJson> = Prepared::new(PG_CARD_SQL, vec![Arg::Text(org.to_string()), Arg::Text(id.to_string())]).load(self)?;
        let Some(j) = found.into_iter().next() else { return Err(ServiceError::NotFound) };
        fn parse<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, ServiceError> {
            serde_json::from_str(s).map_err(|e| ServiceError::Db(diesel::result::Error::DeserializationError(Box::new(e))))
        }
        let appeal: crate::store::models::AppealRow = parse(&j.appeal)?;
        if appeal.forwarded_to_appeal_id.is_some() {
            // A card naming a receiver's appeal shows it live: the ordinary read has that step.
            return crate::store::appeals::pg::get_card(self, org, id);
        }
        let mut related: Vec<String> = parse(&j.related)?;
        related.sort();
        related.dedup();
        Ok(CardData {
            appeal,
            applicants: parse(&j.applicants)?,
            questions: parse(&j.questions)?,
            assignments: parse(&j.assignments)?,
            answers: parse(&j.answers)?,
            contributions: parse(&j.contributions)?,
            related,
            receiver: None,
        })
    }
}
