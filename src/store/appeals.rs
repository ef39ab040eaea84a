//! Appeals: registration and import (numbering, repeat links, idempotency), reading cards,
//! filtered keyset lists, and the single write path every control action goes through.

use super::history;
use super::models::*;
use super::schema::{answers, appeal_links, appeals, applicants, assignments, contributions, outgoing_counters, questions, reg_counters};
use super::{DbPool, StoreError, WriteTx};
use super::outbox::{OutboxChange, OutboxWrite};
use crate::domain::regnum;
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::HashMap;

/// How many earlier appeals a new one is linked to at most.
pub const MAX_LINKS: i64 = 10;

/// A validated appeal ready to be stored; `appeal.reg_number` empty means "assign the next number".
#[derive(Clone, Debug)]
pub struct NewAppeal {
    /// The card (status, deadline and flags already decided by the domain).
    pub appeal: AppealRow,
    /// Applicants.
    pub applicants: Vec<ApplicantRow>,
    /// Questions.
    pub questions: Vec<QuestionRow>,
    /// Year the number belongs to.
    pub reg_year: i32,
    /// Registration-number template.
    pub template: String,
    /// Who registered it.
    pub actor: Option<String>,
    /// History action name (`registered` or `imported`).
    pub action: &'static str,
    /// Notices written with the registration (the acknowledgement; `⟦reg_number⟧` filled here).
    pub outbox: OutboxChange,
}

/// What identifies "the same applicant on the same question": normalised names, addresses,
/// e-mails of the applicants and the question codes.
#[derive(Clone, Debug, Default)]
pub struct MatchKeys {
    /// Name keys.
    pub names: Vec<String>,
    /// Address keys.
    pub addresses: Vec<String>,
    /// E-mail keys.
    pub emails: Vec<String>,
    /// Classifier codes.
    pub codes: Vec<String>,
}

/// The domain's decision on a new appeal's earlier ones: whether it is repeated, and its links.
pub type LinkDecision<'a> = &'a dyn Fn(&[Candidate]) -> (bool, Vec<LinkRow>);

/// An earlier appeal of the same applicant on the same question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its id.
    pub id: String,
    /// Its status code.
    pub status: String,
    /// Its deadline.
    pub due_date: NaiveDate,
}

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
}

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
    /// Restrict to appeals actively assigned to this user (an executor's visibility).
    pub visible_to: Option<String>,
    /// Deadline on or before this date.
    pub due_on_or_before: Option<NaiveDate>,
    /// Deadline strictly before this date.
    pub due_before: Option<NaiveDate>,
    /// Deadline on or after this date.
    pub due_on_or_after: Option<NaiveDate>,
    /// LIKE pattern over the folded search text.
    pub search: Option<String>,
    /// Keyset position: (registered_at, id) of the last item seen.
    pub after: Option<(NaiveDateTime, String)>,
    /// Page size.
    pub limit: i64,
    /// Order.
    pub order: ListOrder,
}

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
    /// Question results: (question id, result, actions_taken, result date).
    pub question_results: Vec<(String, Option<String>, bool, Option<NaiveDate>)>,
    /// A co-executor's contribution.
    pub new_contribution: Option<ContributionRow>,
    /// An approved answer's dispatch.
    pub dispatch: Option<Dispatch>,
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
}

fn group<T, F: Fn(&T) -> &str>(rows: Vec<T>, key: F) -> HashMap<String, Vec<T>> {
    let mut m: HashMap<String, Vec<T>> = HashMap::new();
    for r in rows {
        m.entry(key(&r).to_string()).or_default().push(r);
    }
    m
}

backend_fns! {
    fn next_seq(c: &mut Conn, org: &str, year: i32, by: i64) -> Result<i64, StoreError> {
        Ok(diesel::insert_into(reg_counters::table)
            .values((reg_counters::organization_id.eq(org), reg_counters::year.eq(year), reg_counters::last_seq.eq(by)))
            .on_conflict((reg_counters::organization_id, reg_counters::year))
            .do_update()
            .set(reg_counters::last_seq.eq(reg_counters::last_seq + by))
            .returning(reg_counters::last_seq)
            .get_result(c)?)
    }

    /// The next outgoing (answer) number's sequence for the year, inside the caller's transaction.
    pub fn next_outgoing_seq(c: &mut Conn, org: &str, year: i32) -> Result<i64, StoreError> {
        Ok(diesel::insert_into(outgoing_counters::table)
            .values((outgoing_counters::organization_id.eq(org), outgoing_counters::year.eq(year), outgoing_counters::last_seq.eq(1i64)))
            .on_conflict((outgoing_counters::organization_id, outgoing_counters::year))
            .do_update()
            .set(outgoing_counters::last_seq.eq(outgoing_counters::last_seq + 1i64))
            .returning(outgoing_counters::last_seq)
            .get_result(c)?)
    }

    /// Moves the year's counter past `seq` (a legacy number in the template's format), so
    /// generated numbers never collide with imported ones.
    fn raise_counter(c: &mut Conn, org: &str, year: i32, seq: i64) -> Result<(), StoreError> {
        let current = next_seq(c, org, year, 0)?;
        if current < seq {
            diesel::update(reg_counters::table.find((org, year))).set(reg_counters::last_seq.eq(seq)).execute(c)?;
        }
        Ok(())
    }

    pub fn find_by_external(conn: &mut Conn, org: &str, channel: &str, external_id: &str) -> Result<Option<(String, String)>, StoreError> {
        Ok(appeals::table
            .filter(appeals::organization_id.eq(org))
            .filter(appeals::channel.eq(channel))
            .filter(appeals::external_id.eq(external_id))
            .select((appeals::id, appeals::reg_number))
            .first(conn)
            .optional()?)
    }

    pub fn candidates(conn: &mut Conn, org: &str, keys: &MatchKeys) -> Result<Vec<Candidate>, StoreError> {
        let MatchKeys { names, addresses, emails, codes } = keys;
        if names.is_empty() || (addresses.is_empty() && emails.is_empty()) || codes.is_empty() {
            return Ok(Vec::new());
        }
        // Two plain index lookups rather than one three-way join: the planner cannot pick a
        // bad join order from stale statistics, and the applicant index is the selective one.
        let same_person: Vec<String> = applicants::table
            .filter(applicants::organization_id.eq(org))
            .filter(applicants::name_key.eq_any(names))
            .filter(applicants::address_key.eq_any(addresses).or(applicants::email_key.eq_any(emails)))
            .select(applicants::appeal_id)
            .limit(500)
            .load(conn)?;
        if same_person.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String, NaiveDate)> = appeals::table
            .filter(appeals::id.eq_any(&same_person))
            .filter(appeals::id.eq_any(questions::table.filter(questions::appeal_id.eq_any(&same_person)).filter(questions::code.eq_any(codes)).select(questions::appeal_id)))
            .select((appeals::id, appeals::status, appeals::due_date))
            // The most recent earlier appeals: they are linked to their own predecessors in turn.
            .order((appeals::registered_at.desc(), appeals::id.desc()))
            .limit(MAX_LINKS)
            .load(conn)?;
        Ok(rows.into_iter().map(|(id, status, due_date)| Candidate { id, status, due_date }).collect())
    }

    fn insert_parts(c: &mut Conn, a: &NewAppeal, number: String, links: &[LinkRow]) -> Result<AppealRow, StoreError> {
        let mut row = a.appeal.clone();
        row.search_text = format!("{} {}", crate::domain::keys::search_fold(&number), row.search_text);
        row.reg_number = number;
        diesel::insert_into(appeals::table).values(&row).execute(c)?;
        for p in &a.applicants {
            diesel::insert_into(applicants::table).values(p).execute(c)?;
        }
        for q in &a.questions {
            diesel::insert_into(questions::table).values(q).execute(c)?;
        }
        if !links.is_empty() {
            diesel::insert_into(appeal_links::table).values(links).execute(c)?;
        }
        let details = serde_json::json!({"reg_number": row.reg_number, "status": row.status, "due_date": row.due_date, "repeated": row.repeated,
            "late_registration": row.late_registration, "related_appeal_ids": links.iter().map(|l| &l.related_appeal_id).collect::<Vec<_>>()});
        history_db::append(c, &history::entry(&row.organization_id, &row.id, row.registered_at, a.actor.as_deref(), a.action, details))?;
        c.write_outbox(&row.id, &a.outbox, &[("reg_number", &row.reg_number)], row.registered_at)?;
        Ok(row)
    }

    pub fn register(conn: &mut Conn, a: &NewAppeal, links_for: LinkDecision, keys: &MatchKeys) -> Result<CardData, StoreError> {
        let org = a.appeal.organization_id.clone();
        conn.write_tx(|c| {
            if let Some(x) = &a.appeal.external_id {
                if let Some((id, number)) = find_by_external(c, &org, &a.appeal.channel, x)? {
                    return Err(StoreError::Conflict {
                        code: "duplicate_external_id",
                        message: format!("обращение с external_id «{x}» по этому каналу уже зарегистрировано под номером {number}"),
                        extra: serde_json::json!({"id": id, "reg_number": number}),
                    });
                }
            }
            // Everything that only reads comes before the counter's row lock, to hold it briefly.
            let found = candidates(c, &org, keys)?;
            let (repeated, links) = links_for(&found);
            let number = if a.appeal.reg_number.is_empty() { regnum::render(&a.template, a.reg_year, next_seq(c, &org, a.reg_year, 1)?) } else { a.appeal.reg_number.clone() };
            let mut a = a.clone();
            a.appeal.repeated = repeated;
            let row = insert_parts(c, &a, number, &links)?;
            let mut related: Vec<String> = links.iter().map(|l| l.related_appeal_id.clone()).collect();
            related.sort();
            Ok(CardData { appeal: row, applicants: a.applicants, questions: a.questions, assignments: Vec::new(), answers: Vec::new(), contributions: Vec::new(), related })
        })
    }

    pub fn import(conn: &mut Conn, items: &[NewAppeal]) -> Result<Vec<String>, StoreError> {
        conn.write_tx(|c| {
            let org = match items.first() { Some(i) => i.appeal.organization_id.clone(), None => return Ok(Vec::new()) };
            // Legacy numbers and external ids must be free; one query per chunk, not per row.
            let legacy: Vec<String> = items.iter().filter(|i| !i.appeal.reg_number.is_empty()).map(|i| i.appeal.reg_number.clone()).collect();
            for chunk in legacy.chunks(500) {
                let taken: Vec<String> = appeals::table.filter(appeals::organization_id.eq(&org)).filter(appeals::reg_number.eq_any(chunk)).select(appeals::reg_number).load(c)?;
                if let Some(t) = taken.first() {
                    let idx = items.iter().position(|i| &i.appeal.reg_number == t).unwrap_or(0);
                    return Err(StoreError::Invalid(vec![crate::domain::validation::FieldError { field: format!("items[{idx}].reg_number"), message: format!("номер {t} уже занят") }]));
                }
            }
            for (idx, i) in items.iter().enumerate() {
                if let Some(x) = &i.appeal.external_id {
                    if let Some((id, number)) = find_by_external(c, &org, &i.appeal.channel, x)? {
                        return Err(StoreError::Conflict {
                        code: "duplicate_external_id",
                            message: format!("items[{idx}]: обращение с external_id «{x}» уже зарегистрировано под номером {number}"),
                            extra: serde_json::json!({"id": id, "reg_number": number, "field": format!("items[{idx}].external_id")}),
                        });
                    }
                }
            }
            // Legacy numbers in the template's format move the counters past them first...
            let mut legacy_max: HashMap<i32, i64> = HashMap::new();
            for i in items.iter().filter(|i| !i.appeal.reg_number.is_empty()) {
                if let Some(seq) = regnum::sequence_of(&i.template, i.reg_year, &i.appeal.reg_number) {
                    let m = legacy_max.entry(i.reg_year).or_default();
                    *m = (*m).max(seq);
                }
            }
            for (year, seq) in &legacy_max {
                raise_counter(c, &org, *year, *seq)?;
            }
            // ...then a block of numbers per year is reserved in one counter update.
            let mut per_year: HashMap<i32, i64> = HashMap::new();
            for i in items.iter().filter(|i| i.appeal.reg_number.is_empty()) {
                *per_year.entry(i.reg_year).or_default() += 1;
            }
            let mut next: HashMap<i32, i64> = HashMap::new();
            for (year, n) in &per_year {
                let last = next_seq(c, &org, *year, *n)?;
                next.insert(*year, last - n + 1);
            }
            let mut rows = Vec::with_capacity(items.len());
            let mut people = Vec::new();
            let mut qs = Vec::new();
            let mut hist = Vec::with_capacity(items.len());
            for i in items {
                let mut row = i.appeal.clone();
                if row.reg_number.is_empty() {
                    let seq = next.get_mut(&i.reg_year).expect("reserved above");
                    row.reg_number = regnum::render(&i.template, i.reg_year, *seq);
                    *seq += 1;
                }
                row.search_text = format!("{} {}", crate::domain::keys::search_fold(&row.reg_number), row.search_text);
                hist.push(history::entry(&org, &row.id, row.registered_at, i.actor.as_deref(), i.action, serde_json::json!({"reg_number": row.reg_number, "status": row.status, "due_date": row.due_date})));
                people.extend(i.applicants.iter().cloned());
                qs.extend(i.questions.iter().cloned());
                rows.push(row);
            }
            let ids = rows.iter().map(|r| r.id.clone()).collect();
            c.insert_rows(&rows, &people, &qs, &hist)?;
            Ok(ids)
        })
    }

    pub fn load_cards(conn: &mut Conn, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, StoreError> {
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
        Ok(rows
            .into_iter()
            .map(|appeal| {
                let id = appeal.id.clone();
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
                }
            })
            .collect())
    }

    pub fn get_card(conn: &mut Conn, org: &str, id: &str) -> Result<CardData, StoreError> {
        let row = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq(id)).select(AppealRow::as_select()).first(conn).optional()?.ok_or(StoreError::NotFound)?;
        Ok(load_cards(conn, org, vec![row])?.remove(0))
    }

    pub fn list(conn: &mut Conn, f: &ListFilter) -> Result<Vec<CardData>, StoreError> {
        let mut q = appeals::table.filter(appeals::organization_id.eq(&f.org)).into_boxed();
        if let Some(t) = f.registered_from { q = q.filter(appeals::registered_at.ge(t)); }
        if let Some(t) = f.registered_before { q = q.filter(appeals::registered_at.lt(t)); }
        if !f.statuses.is_empty() { q = q.filter(appeals::status.eq_any(f.statuses.clone())); }
        if let Some(ch) = &f.channel { q = q.filter(appeals::channel.eq(ch.clone())); }
        if let Some(s) = &f.section {
            q = q.filter(appeals::id.eq_any(questions::table.filter(questions::section.eq(s.clone())).select(questions::appeal_id)));
        }
        for who in [&f.executor_id, &f.visible_to].into_iter().flatten() {
            q = q.filter(appeals::id.eq_any(assignments::table.filter(assignments::user_id.eq(who.clone())).filter(assignments::active.eq(true)).select(assignments::appeal_id)));
        }
        if let Some(d) = f.due_on_or_before { q = q.filter(appeals::due_date.le(d)); }
        if let Some(d) = f.due_before { q = q.filter(appeals::due_date.lt(d)); }
        if let Some(d) = f.due_on_or_after { q = q.filter(appeals::due_date.ge(d)); }
        if let Some(p) = &f.search { q = q.filter(appeals::search_text.like(p.clone()).escape('\\')); }
        q = match f.order {
            ListOrder::NewestFirst => {
                if let Some((at, id)) = &f.after {
                    q = q.filter(appeals::registered_at.lt(*at).or(appeals::registered_at.eq(*at).and(appeals::id.lt(id.clone()))));
                }
                q.order((appeals::registered_at.desc(), appeals::id.desc()))
            }
            ListOrder::DueFirst => q.order((appeals::due_date.asc(), appeals::registered_at.asc(), appeals::id.asc())),
        };
        let rows: Vec<AppealRow> = q.limit(f.limit).select(AppealRow::as_select()).load(conn)?;
        load_cards(conn, &f.org, rows)
    }

    pub fn mutate(conn: &mut Conn, org: &str, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, decide: &mut dyn FnMut(&CardData) -> Result<Change, StoreError>) -> Result<CardData, StoreError> {
        conn.write_tx(|c| {
            let card = get_card(c, org, id)?;
            if let Some(v) = if_match {
                if v != card.appeal.version {
                    return Err(StoreError::Stale { current: card.appeal.version });
                }
            }
            let change = decide(&card)?;
            // Optimistic check on the row itself: a concurrent writer between read and update loses nothing.
            let mut row = change.appeal.clone().unwrap_or_else(|| card.appeal.clone());
            row.version = card.appeal.version + 1;
            row.updated_at = now;
            let n = diesel::update(appeals::table.filter(appeals::id.eq(id)).filter(appeals::version.eq(card.appeal.version))).set(&row).execute(c)?;
            if n != 1 {
                return Err(StoreError::Stale { current: card.appeal.version + 1 });
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
            let mut slots: Vec<(&str, String)> = Vec::new();
            if let Some(d) = &change.dispatch {
                let number = match &d.number {
                    OutgoingNumber::Given(n) => n.clone(),
                    OutgoingNumber::Next { year, render, template } => render(template, *year, next_outgoing_seq(c, org, *year)?),
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
            history_db::append(c, &history::entry(org, id, now, Some(actor), &change.action, change.details.clone()))?;
            c.write_outbox(id, &change.outbox, &slots.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(), now)?;
            get_card(c, org, id)
        })
    }
}

/// Writes many appeals' rows at once, the fastest way each backend offers.
pub trait BulkInsert {
    /// Inserts cards, applicants, questions and history rows.
    fn insert_rows(&mut self, rows: &[AppealRow], people: &[ApplicantRow], qs: &[QuestionRow], hist: &[NewHistory]) -> Result<(), StoreError>;
}

#[cfg(feature = "sqlite")]
impl BulkInsert for diesel::SqliteConnection {
    fn insert_rows(&mut self, rows: &[AppealRow], people: &[ApplicantRow], qs: &[QuestionRow], hist: &[NewHistory]) -> Result<(), StoreError> {
        // Multi-row VALUES under SQLite's cap of 32,766 bound parameters per statement.
        let cap = <diesel::SqliteConnection as WriteTx>::MAX_BIND_PARAMS;
        for chunk in rows.chunks(cap / 52) {
            diesel::insert_into(appeals::table).values(chunk).execute(self)?;
        }
        for chunk in people.chunks(cap / 13) {
            diesel::insert_into(applicants::table).values(chunk).execute(self)?;
        }
        for chunk in qs.chunks(cap / 11) {
            diesel::insert_into(questions::table).values(chunk).execute(self)?;
        }
        for chunk in hist.chunks(cap / 6) {
            diesel::insert_into(super::schema::history::table).values(chunk).execute(self)?;
        }
        Ok(())
    }
}

#[cfg(feature = "postgres")]
impl BulkInsert for diesel::PgConnection {
    fn insert_rows(&mut self, rows: &[AppealRow], people: &[ApplicantRow], qs: &[QuestionRow], hist: &[NewHistory]) -> Result<(), StoreError> {
        // COPY FROM in binary format: one round trip per table, no parameter cap.
        diesel::copy_from(appeals::table).from_insertable(rows).execute(self)?;
        diesel::copy_from(applicants::table).from_insertable(people).execute(self)?;
        diesel::copy_from(questions::table).from_insertable(qs).execute(self)?;
        diesel::copy_from(super::schema::history::table).from_insertable(hist).execute(self)?;
        Ok(())
    }
}

/// Registers one appeal in one transaction: idempotency on `external_id`, the next number,
/// links to earlier appeals of the same applicant and question (`links_for` decides repeated
/// vs duplicate), applicants, questions and the first history entry. Returns the card as
/// written, without reading it back.
pub fn register(
    pool: &DbPool,
    a: &NewAppeal,
    links_for: LinkDecision,
    keys: &MatchKeys,
) -> Result<CardData, StoreError> {
    let r = dispatch!(pool, register(a, links_for, keys));
    match r {
        // Two deliveries of one external id raced: the loser reports the winner.
        Err(e) if e.is_unique_violation() && a.appeal.external_id.is_some() => {
            match find_by_external(pool, &a.appeal.organization_id, &a.appeal.channel, a.appeal.external_id.as_deref().unwrap_or_default())? {
                Some((id, number)) => Err(StoreError::Conflict {
                    code: "duplicate_external_id",
                    message: format!("обращение с этим external_id уже зарегистрировано под номером {number}"),
                    extra: serde_json::json!({"id": id, "reg_number": number}),
                }),
                None => Err(e),
            }
        }
        other => other,
    }
}

/// Imports many appeals in one transaction with batched inserts; all or nothing. On PostgreSQL
/// the planner's statistics are refreshed afterwards: a bulk load would otherwise leave them
/// describing nearly empty tables until autovacuum catches up, and lists would pick bad plans.
pub fn import(pool: &DbPool, items: &[NewAppeal]) -> Result<Vec<String>, StoreError> {
    let ids = dispatch!(pool, import(items))?;
    #[cfg(feature = "postgres")]
    #[allow(irrefutable_let_patterns)] // a PostgreSQL-only build has no other variant
    if let DbPool::Pg(p) = pool {
        use diesel::connection::SimpleConnection;
        p.get()?.batch_execute("ANALYZE appeals, applicants, questions, history")?;
    }
    Ok(ids)
}

/// The appeal with this external id on this channel: (id, number).
pub fn find_by_external(pool: &DbPool, org: &str, channel: &str, external_id: &str) -> Result<Option<(String, String)>, StoreError> {
    dispatch!(pool, find_by_external(org, channel, external_id))
}

/// One card.
pub fn get_card(pool: &DbPool, org: &str, id: &str) -> Result<CardData, StoreError> {
    dispatch!(pool, get_card(org, id))
}

/// A page of cards.
pub fn list(pool: &DbPool, f: &ListFilter) -> Result<Vec<CardData>, StoreError> {
    dispatch!(pool, list(f))
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
    decide: &mut dyn FnMut(&CardData) -> Result<Change, StoreError>,
) -> Result<CardData, StoreError> {
    dispatch!(pool, mutate(org, id, if_match, actor, now, decide))
}
