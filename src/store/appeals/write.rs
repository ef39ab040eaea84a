//! The single write path of every control action: the version check, the change the use case
//! decided, the card and its rows, one history entry and the outbox, in one transaction.

use crate::store::appeals::card::CardData;
use crate::store::history;
use crate::store::models::*;
use crate::store::outbox::{OutboxChange, OutboxWrite};
use crate::store::schema::{answers, appeals, applicants, assignments, contributions, match_keys, questions};
use crate::store::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Where a dispatched answer's outgoing number comes from.
#[derive(Clone, Debug)]
pub enum OutgoingNumber {
    /// Typed by the clerk (the number the document already bears).
    Given(String),
    /// The year's next sequence, rendered by the use case's function (the store only counts).
    Next {
        /// Year of the counter.
        year: i32,
        /// Renders a sequence number.
        render: fn(&str, i32, i64) -> String,
        /// The template it renders.
        template: String,
    },
}

/// An approved answer's dispatch: the signed answer leaves the building.
#[derive(Clone, Debug)]
pub struct Dispatch {
    /// The answer.
    pub answer_id: String,
    /// Its outgoing number.
    pub number: OutgoingNumber,
    /// Date sent.
    pub sent_on: NaiveDate,
    /// Way sent.
    pub channel: String,
    /// Who registered the dispatch.
    pub by: String,
}

/// What a control action changes, decided by the domain from the current card.
#[derive(Clone, Debug, Default)]
pub struct Change {
    /// The card after the change (version is bumped by the store).
    pub appeal: Option<AppealRow>,
    /// Deactivate every current assignment first (reassignment).
    pub replace_assignments: bool,
    /// New assignments.
    pub new_assignments: Vec<AssignmentRow>,
    /// New answer.
    pub new_answer: Option<AnswerRow>,
    /// Answer status updates: (id, status, reviewer, comment).
    pub answer_reviews: Vec<(String, String, String, Option<String>)>,
    /// An approved answer's `close_on_dispatch`: whether its dispatch removes the appeal from control.
    pub close_on_dispatch: Option<(String, bool)>,
    /// Question results: (question id, result, actions_taken, result date).
    pub question_results: Vec<(String, Option<String>, bool, Option<NaiveDate>)>,
    /// A co-executor's contribution.
    pub new_contribution: Option<ContributionRow>,
    /// An approved answer's dispatch.
    pub dispatch: Option<Dispatch>,
    /// The outgoing number of the cover letter forwarding the appeal (stored on the card).
    pub forward_number: Option<OutgoingNumber>,
    /// Corrected applicants: replace every applicant row.
    pub replace_applicants: Option<Vec<ApplicantRow>>,
    /// Corrected questions: replace every question row (kept rows carry their old ids and results).
    pub replace_questions: Option<Vec<QuestionRow>>,
    /// History action.
    pub action: String,
    /// History details (before/after of changed fields).
    pub details: serde_json::Value,
    /// Notices and reminder cancellations written in the same transaction.
    pub outbox: OutboxChange,
    /// A corrected card's new matching keys (replace the appeal's rows of `match_keys`).
    pub match_keys: Option<Vec<MatchKeyRow>>,
}

/// One step of a composite write: who takes it (for its history entry) and what it changes.
pub struct Decider<'a> {
    /// The acting user's id.
    pub actor: String,
    /// Computes the change from the card as the previous steps left it.
    pub decide: Box<dyn FnMut(&CardData) -> Result<Change, ServiceError> + 'a>,
}

/// Applies several control steps to one appeal in ONE transaction, each with its own history
/// entry: all of them or none (an oral answer at a reception is answer, approval and handover).
pub fn mutate_chain(pool: &DbPool, org: &str, id: &str, if_match: Option<i32>, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
    dispatch!(pool, mutate_chain(org, id, if_match, now, local_day, steps))
}

/// Applies one control action in one transaction: checks `If-Match`, lets `decide` compute the
/// change from the current card, writes it with a version bump and a history entry.
pub fn mutate(
    pool: &DbPool,
    org: &str,
    id: &str,
    if_match: Option<i32>,
    actor: &str,
    now: NaiveDateTime,
    local_day: crate::store::stats_deltas::LocalDay,
    decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>,
) -> Result<CardData, ServiceError> {
    dispatch!(pool, mutate(org, id, if_match, actor, now, local_day, decide))
}

backend_fns! {
    pub fn mutate(conn: &mut Conn, org: &str, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>) -> Result<CardData, ServiceError> {
        conn.write_tx(|c| mutate_in(c, org, id, if_match, actor, now, local_day, decide))
    }

    pub fn mutate_chain(conn: &mut Conn, org: &str, id: &str, if_match: Option<i32>, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
        conn.write_tx(|c| chain_in(c, org, id, if_match, now, local_day, steps))
    }

    /// Applies `steps` one after another inside the caller's transaction, each to the card the
    /// previous one left (`if_match` guards the first); the card after the last.
    pub fn chain_in(c: &mut Conn, org: &str, id: &str, if_match: Option<i32>, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
        let mut expected = if_match;
        let mut last = None;
        for step in steps.iter_mut() {
            last = Some(mutate_in(c, org, id, expected.take(), &step.actor, now, local_day, &mut *step.decide)?);
        }
        last.ok_or(ServiceError::NotFound)
    }

    /// [`mutate`] inside the caller's transaction.
    pub fn mutate_in(c: &mut Conn, org: &str, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>) -> Result<CardData, ServiceError> {
        let card = appeals_db::get_card(c, org, id)?;
        write_change(c, org, id, &card, if_match, actor, now, decide)?;
        let after = appeals_db::get_card(c, org, id)?;
        // Statistics deltas: the card's new contribution less its old one.
        crate::store::stats_deltas::record_change(c, &card, &after, local_day)?;
        Ok(after)
    }

    /// The write of [`mutate_in`] on `card`, read in the caller's transaction: `If-Match`, the
    /// change `decide` computes, the card with its version bumped, the change's rows, one
    /// history entry and the outbox. Returns the new version; the caller reads the card again
    /// and records the statistics deltas (a batch does both for many cards at once).
    pub fn write_change(c: &mut Conn, org: &str, id: &str, card: &CardData, if_match: Option<i32>, actor: &str, now: NaiveDateTime, decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>) -> Result<i32, ServiceError> {
        Ok(write_change_row(c, org, id, card, if_match, actor, now, decide)?.version)
    }

    /// [`write_change`] answering the card's row as written (its number, version and time), for
    /// a caller that builds the card after the change without reading it again.
    pub fn write_change_row(c: &mut Conn, org: &str, id: &str, card: &CardData, if_match: Option<i32>, actor: &str, now: NaiveDateTime, decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>) -> Result<AppealRow, ServiceError> {
        {
            // `decide` checks visibility first: an appeal the caller may not see answers 404
            // whatever the request carries, so a stale `If-Match` cannot reveal that it exists
            // or how often it changed. For a visible card a stale version wins over the
            // action's own refusals, as a client expects.
            let stale = if_match.is_some_and(|v| v != card.appeal.version);
            let change = match decide(card) {
                Err(ServiceError::NotFound) => return Err(ServiceError::NotFound),
                _ if stale => return Err(ServiceError::Stale { current: card.appeal.version }),
                other => other?,
            };
            // Optimistic check on the row itself: a concurrent writer between read and update loses nothing.
            let mut row = change.appeal.clone().unwrap_or_else(|| card.appeal.clone());
            let mut slots: Vec<(&str, String)> = Vec::new();
            if let Some(n) = &change.forward_number {
                let number = match n {
                    OutgoingNumber::Given(n) => n.clone(),
                    OutgoingNumber::Next { year, render, template } => render(template, *year, appeals_db::next_forward_seq(c, org, *year)?),
                };
                row.forward_number = Some(number.clone());
                slots.push(("forward_number", number));
            }
            row.version = card.appeal.version + 1;
            row.updated_at = now;
            let n = diesel::update(appeals::table.filter(appeals::id.eq(id)).filter(appeals::version.eq(card.appeal.version))).set(&row).execute(c)?;
            if n != 1 {
                return Err(ServiceError::Stale { current: card.appeal.version + 1 });
            }
            if change.replace_assignments {
                diesel::update(assignments::table.filter(assignments::appeal_id.eq(id)).filter(assignments::active.eq(true))).set(assignments::active.eq(false)).execute(c)?;
            }
            for a in &change.new_assignments {
                diesel::insert_into(assignments::table).values(a).execute(c)?;
            }
            if let Some(a) = &change.new_answer {
                diesel::insert_into(answers::table).values(a).execute(c)?;
            }
            for (aid, status, reviewer, comment) in &change.answer_reviews {
                diesel::update(answers::table.filter(answers::id.eq(aid)).filter(answers::appeal_id.eq(id)))
                    .set((answers::status.eq(status), answers::reviewed_by.eq(Some(reviewer)), answers::reviewed_at.eq(Some(now)), answers::review_comment.eq(comment)))
                    .execute(c)?;
            }
            if let Some((aid, close)) = &change.close_on_dispatch {
                diesel::update(answers::table.filter(answers::id.eq(aid)).filter(answers::appeal_id.eq(id))).set(answers::close_on_dispatch.eq(*close)).execute(c)?;
            }
            if let Some(people) = &change.replace_applicants {
                diesel::delete(applicants::table.filter(applicants::appeal_id.eq(id))).execute(c)?;
                for p in people {
                    diesel::insert_into(applicants::table).values(p).execute(c)?;
                }
            }
            if let Some(qs) = &change.replace_questions {
                diesel::delete(questions::table.filter(questions::appeal_id.eq(id))).execute(c)?;
                for q in qs {
                    diesel::insert_into(questions::table).values(q).execute(c)?;
                }
            }
            if let Some(x) = &change.new_contribution {
                diesel::insert_into(contributions::table).values(x).execute(c)?;
            }
            if let Some(d) = &change.dispatch {
                let number = match &d.number {
                    OutgoingNumber::Given(n) => n.clone(),
                    OutgoingNumber::Next { year, render, template } => render(template, *year, appeals_db::next_outgoing_seq(c, org, *year)?),
                };
                diesel::update(answers::table.filter(answers::id.eq(&d.answer_id)).filter(answers::appeal_id.eq(id)))
                    .set((answers::outgoing_number.eq(&number), answers::sent_on.eq(d.sent_on), answers::sent_channel.eq(&d.channel), answers::dispatched_by.eq(&d.by)))
                    .execute(c)?;
                slots.push(("outgoing_number", number));
            }
            for (qid, result, taken, on) in &change.question_results {
                diesel::update(questions::table.filter(questions::id.eq(qid)).filter(questions::appeal_id.eq(id)))
                    .set((questions::result.eq(result), questions::actions_taken.eq(taken), questions::result_on.eq(on)))
                    .execute(c)?;
            }
            if let Some(keys) = &change.match_keys {
                diesel::delete(match_keys::table.filter(match_keys::appeal_id.eq(id))).execute(c)?;
                if !keys.is_empty() {
                    diesel::insert_into(match_keys::table).values(keys).execute(c)?;
                }
            }
            history_db::append(c, &history::entry(org, id, now, Some(actor), &change.action, change.details.clone()))?;
            c.write_outbox(id, &change.outbox, &slots.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(), now)?;
            Ok(row)
        }
    }
}
