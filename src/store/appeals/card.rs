//! Reading whole cards: the card row with its applicants, questions, assignments, answers,
//! contributions and related appeals, a batch of cards in a few queries.

use crate::store::models::*;
use crate::store::schema::{answers, appeal_links, appeals, applicants, assignments, contributions, organizations, questions};
use chrono::NaiveDate;
use crate::store::{DbPool, ServiceError};
use crate::{backend_fns, dispatch};
use diesel::prelude::*;
use std::collections::HashMap;

/// Everything a card shows, read in a few batched queries.
#[derive(Clone, Debug)]
pub struct CardData {
    /// The card row.
    pub appeal: AppealRow,
    /// Applicants in order.
    pub applicants: Vec<ApplicantRow>,
    /// Questions in order.
    pub questions: Vec<QuestionRow>,
    /// Assignments, active and past.
    pub assignments: Vec<AssignmentRow>,
    /// Answers, oldest first.
    pub answers: Vec<AnswerRow>,
    /// Co-executors' contributions, oldest first.
    pub contributions: Vec<ContributionRow>,
    /// Related appeals (repeated / duplicate), both directions.
    pub related: Vec<String>,
    /// The appeal another organization of the instance registered from this one, read live
    /// when the card is read (forwarded inside the instance only).
    pub receiver: Option<ReceiverFacts>,
}

/// What the sender's card shows of the receiver's appeal: where it stands and its results,
/// never its history, executors, answers' texts or files (they are the receiver's own).
#[derive(Clone, Debug, PartialEq)]
pub struct ReceiverFacts {
    /// The receiver's appeal.
    pub appeal_id: String,
    /// The receiving organization.
    pub organization_id: String,
    /// Its name now.
    pub organization_name: String,
    /// The receiver's registration number.
    pub reg_number: String,
    /// The receiver's status code.
    pub status: String,
    /// The receiver's deadline.
    pub due_date: NaiveDate,
    /// Local date the receiver approved its answer.
    pub answered_on: Option<NaiveDate>,
    /// Local date the receiver sent its answer to the applicant.
    pub answer_sent_on: Option<NaiveDate>,
    /// The receiver's questions: (classifier code, result, measures taken), in order.
    pub questions: Vec<(String, Option<String>, bool)>,
    /// The receiving organization's ССТУ.РФ GUID: the sender's export names it as the transfer's department.
    pub sstu_department_id: Option<String>,
}

impl ReceiverFacts {
    /// The facts of `card`, the receiver's appeal, in organization `organization_name`.
    pub fn of(card: &CardData, organization_name: String, sstu_department_id: Option<String>) -> ReceiverFacts {
        let a = &card.appeal;
        ReceiverFacts {
            appeal_id: a.id.clone(),
            organization_id: a.organization_id.clone(),
            organization_name,
            reg_number: a.reg_number.clone(),
            status: a.status.clone(),
            due_date: a.due_date,
            answered_on: a.answered_on,
            answer_sent_on: a.answer_sent_on,
            questions: card.questions.iter().map(|q| (q.code.clone(), q.result.clone(), q.actions_taken)).collect(),
            sstu_department_id,
        }
    }
}

fn group<T, F: Fn(&T) -> &str>(rows: Vec<T>, key: F) -> HashMap<String, Vec<T>> {
    let mut m: HashMap<String, Vec<T>> = HashMap::new();
    for r in rows {
        m.entry(key(&r).to_string()).or_default().push(r);
    }
    m
}

/// One card.
pub fn get_card(pool: &DbPool, org: &str, id: &str) -> Result<CardData, ServiceError> {
    dispatch!(pool, get_card(org, id))
}

backend_fns! {
    pub fn load_cards(conn: &mut Conn, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, ServiceError> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut people = group(applicants::table.filter(applicants::appeal_id.eq_any(&ids)).order((applicants::appeal_id, applicants::position)).select(ApplicantRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut qs = group(questions::table.filter(questions::appeal_id.eq_any(&ids)).order((questions::appeal_id, questions::position)).select(QuestionRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut asg = group(assignments::table.filter(assignments::appeal_id.eq_any(&ids)).order(assignments::assigned_at.asc()).select(AssignmentRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut ans = group(answers::table.filter(answers::appeal_id.eq_any(&ids)).order(answers::created_at.asc()).select(AnswerRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut contrib = group(contributions::table.filter(contributions::appeal_id.eq_any(&ids)).order(contributions::created_at.asc()).select(ContributionRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let forward: Vec<(String, String)> = appeal_links::table.filter(appeal_links::organization_id.eq(org)).filter(appeal_links::appeal_id.eq_any(&ids)).select((appeal_links::appeal_id, appeal_links::related_appeal_id)).load(conn)?;
        let backward: Vec<(String, String)> = appeal_links::table.filter(appeal_links::organization_id.eq(org)).filter(appeal_links::related_appeal_id.eq_any(&ids)).select((appeal_links::related_appeal_id, appeal_links::appeal_id)).load(conn)?;
        let mut related: HashMap<String, Vec<String>> = HashMap::new();
        for (a, b) in forward.into_iter().chain(backward) {
            related.entry(a).or_default().push(b);
        }
        let mut receivers = receivers(conn, &rows)?;
        Ok(rows
            .into_iter()
            .map(|appeal| {
                let id = appeal.id.clone();
                let receiver = appeal.forwarded_to_appeal_id.as_ref().and_then(|r| receivers.remove(r));
                let mut rel = related.remove(&id).unwrap_or_default();
                rel.sort();
                rel.dedup();
                CardData {
                    appeal,
                    applicants: people.remove(&id).unwrap_or_default(),
                    questions: qs.remove(&id).unwrap_or_default(),
                    assignments: asg.remove(&id).unwrap_or_default(),
                    answers: ans.remove(&id).unwrap_or_default(),
                    contributions: contrib.remove(&id).unwrap_or_default(),
                    related: rel,
                    receiver,
                }
            })
            .collect())
    }

    /// The receivers' appeals of the cards forwarded inside the instance, by primary key, with
    /// their questions (a card with no such link costs nothing).
    fn receivers(conn: &mut Conn, rows: &[AppealRow]) -> Result<HashMap<String, ReceiverFacts>, ServiceError> {
        let ids: Vec<&String> = rows.iter().filter_map(|r| r.forwarded_to_appeal_id.as_ref()).collect();
        if ids.is_empty() {
            return Ok(HashMap::new());
        }
        type Found = (String, String, String, Option<String>, String, String, NaiveDate, Option<NaiveDate>, Option<NaiveDate>);
        let found: Vec<Found> = appeals::table
            .inner_join(organizations::table.on(organizations::id.eq(appeals::organization_id)))
            .filter(appeals::id.eq_any(&ids))
            .select((appeals::id, appeals::organization_id, organizations::name, organizations::sstu_department_id, appeals::reg_number, appeals::status, appeals::due_date, appeals::answered_on, appeals::answer_sent_on))
            .load(conn)?;
        let mut qs = group(
            questions::table.filter(questions::appeal_id.eq_any(&ids)).order((questions::appeal_id, questions::position)).select(QuestionRow::as_select()).load(conn)?,
            |r| &r.appeal_id,
        );
        Ok(found
            .into_iter()
            .map(|(appeal_id, organization_id, organization_name, sstu_department_id, reg_number, status, due_date, answered_on, answer_sent_on)| {
                let questions = qs.remove(&appeal_id).unwrap_or_default().into_iter().map(|q| (q.code, q.result, q.actions_taken)).collect();
                (appeal_id.clone(), ReceiverFacts { appeal_id, organization_id, organization_name, reg_number, status, due_date, answered_on, answer_sent_on, questions, sstu_department_id })
            })
            .collect())
    }

    pub fn get_card(conn: &mut Conn, org: &str, id: &str) -> Result<CardData, ServiceError> {
        let row = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq(id)).select(AppealRow::as_select()).first(conn).optional()?.ok_or(ServiceError::NotFound)?;
        Ok(load_cards(conn, org, vec![row])?.remove(0))
    }
}
