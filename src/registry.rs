//! Registration use case: turns a validated draft into rows (deadline with its explanation,
//! late-registration flag, search text, matching keys), renders registration numbers from the
//! template once the store has reserved them, and decides how an earlier appeal of the same
//! applicant and question is linked (repeated, duplicate, or related when it was forwarded).

use crate::intake::{applicant_rows, match_key_rows, person_keys};
use crate::state::AppState;
use crate::domain::appeal::{AppealDraft, Derived, LegalRegime};
use crate::domain::deadline;
use crate::domain::forwarding::{self, ReceiverRefusal};
use std::cell::RefCell;
use crate::domain::{keys, regnum};
use crate::domain::workflow::Status;
use crate::store::appeals::{Candidate, CardData, NewAppeal};
use crate::store::models::{AppealRow, LinkRow, QuestionRow};
use crate::store::{micros, new_id, ServiceError};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};

pub mod legacy;


/// Builds the rows of a new appeal; `registered_at` is now for a registration, the legacy instant for an import.
pub fn prepare(state: &AppState, org: &str, actor: Option<&str>, d: &AppealDraft, derived: &Derived, registered_at: DateTime<Utc>, action: &'static str) -> NewAppeal {
    let id = new_id();
    let registered_on = state.local_date(org, registered_at);
    let due = state.deadline_for(derived.legal_regime, registered_on, d.migration_case, None);
    let late = deadline::is_registration_late(&state.calendar, &state.settings.deadlines, d.received_on, registered_on);
    let settings = state.org(org);
    let template = &settings.reg_number_template;
    let mut search = String::new();
    // A legacy number is searchable like a generated one (see `numbering`).
    if let Some(n) = &d.reg_number {
        search.push_str(&crate::domain::text::search_fold(n));
        search.push(' ');
    }
    for a in &d.applicants {
        search.push_str(&crate::domain::text::search_fold(&a.full_name));
        search.push(' ');
    }
    search.push_str(&crate::domain::text::search_fold(&d.summary));
    if let Some(x) = &d.external_id {
        search.push(' ');
        search.push_str(&crate::domain::text::search_fold(x));
    }
    let at: NaiveDateTime = micros(registered_at);
    let row = AppealRow {
        id: id.clone(),
        organization_id: org.into(),
        reg_number: d.reg_number.clone().unwrap_or_default(),
        registered_at: at,
        registered_on,
        received_on: d.received_on,
        channel: d.channel.clone(),
        form: d.form.as_str().into(),
        kind: d.kind.as_str().into(),
        legal_regime: derived.legal_regime.as_str().into(),
        collective: d.collective,
        signatures: d.signatures.map(|n| n as i32),
        anonymous: derived.anonymous,
        from_organization: derived.from_organization,
        summary: d.summary.trim().into(),
        reply_channel: d.reply_channel.map(|r| r.as_str().into()),
        source_organization: d.source.as_ref().map(|s| s.organization.trim().into()),
        source_number: d.source.as_ref().and_then(|s| s.number.clone()),
        source_date: d.source.as_ref().and_then(|s| s.date),
        external_id: d.external_id.as_ref().map(|x| x.trim().into()),
        reception_official: d.reception.as_ref().map(|r| r.official.trim().into()),
        reception_official_role: d.reception.as_ref().map(|r| r.official_role.as_str().into()),
        reception_held_on: d.reception.as_ref().map(|r| r.held_on),
        migration_case: d.migration_case,
        late_registration: late,
        repeated: false,
        status: Status::Registered.as_str().into(),
        due_date: due.due,
        due_explanation: serde_json::to_string(&due).unwrap_or_default(),
        control_date: due.control_date,
        extension_days: None,
        extension_reason: None,
        extended_by: None,
        extended_on: None,
        forwarded_to: None,
        forward_reason: None,
        forwarded_at: None,
        forward_late: false,
        left_reason: None,
        put_on_control_at: None,
        answered_at: None,
        closed_at: None,
        returned_count: 0,
        search_text: search,
        created_by: actor.map(Into::into),
        version: 1,
        updated_at: at,
        art11_notice_due: None,
        answered_on: None,
        answer_sent_on: None,
        closed_on: None,
        documents_requested: false,
        on_site_check: false,
        by_commission: false,
        with_applicant: false,
        forward_number: None,
        forward_date: None,
        legacy_number: None,
        forwarded_to_appeal_id: None,
        source_appeal_id: None,
    };
    let applicants = applicant_rows(org, &id, &d.applicants);
    let questions: Vec<QuestionRow> = d
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| QuestionRow {
            id: new_id(),
            organization_id: org.into(),
            appeal_id: id.clone(),
            position: i as i32,
            code: q.code.clone(),
            section: crate::domain::classifier::section_of(&q.code).into(),
            text: q.text.clone(),
            result: None,
            actions_taken: false,
            result_on: None,
            executor_id: None,
        })
        .collect();
    let match_keys = match_key_rows(org, &id, at, &applicants, &questions);
    // The acknowledgement goes out with the registration; imports send nothing. It cites the
    // rule the appeal was registered under: Art. 12 of 59-FZ, or the regime's own.
    let basis = if derived.legal_regime == LegalRegime::Fz59 { "ст. 12 Федерального закона от 02.05.2006 № 59-ФЗ".to_string() } else { state.rules_for(derived.legal_regime).consideration_basis };
    let ack = if action == "registered" { crate::notify::applicant_notices(&state.templates, &settings.name, &row, &applicants, "registration_ack", "", serde_json::json!({"deadline_basis": basis}), at) } else { Vec::new() };
    let outbox = crate::store::outbox::OutboxChange { notices: ack, cancel_reminders: false };
    NewAppeal {
        legacy_seq: d.reg_number.as_deref().and_then(|n| regnum::sequence_of(template, registered_on.year(), n)),
        appeal: row,
        applicants,
        questions,
        match_keys,
        reg_year: registered_on.year(),
        actor: actor.map(Into::into),
        action,
        outbox,
        campaign: None,
    }
}

/// Appeals the same person registered since `since` whose summary is near-identical to this
/// draft's: the registration form asks the clerk whether the letter is really a new one.
pub fn near_duplicates(state: &AppState, org: &str, d: &AppealDraft, since: NaiveDateTime) -> Result<Vec<crate::store::drafts::Earlier>, ServiceError> {
    let keys: Vec<String> = person_keys(&applicant_rows(org, "", &d.applicants)).into_iter().collect();
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let found = crate::store::drafts::recent_by_person(&state.pool, org, &keys, since)?;
    Ok(found.into_iter().filter(|e| keys::near_identical(&e.summary, &d.summary)).collect())
}

/// Renders a reserved sequence number into a card with the organization's template, and makes
/// the number searchable; the store calls it once the number is reserved.
pub fn numbering(state: &AppState, org: &str) -> impl Fn(&mut AppealRow, i64) + Sync {
    numbering_with(state.org(org).reg_number_template.clone())
}

/// [`numbering`] with a given registration number template.
pub fn numbering_with(template: String) -> impl Fn(&mut AppealRow, i64) + Sync {
    move |row: &mut AppealRow, seq: i64| {
        row.reg_number = regnum::render(&template, row.registered_on.year(), seq);
        row.search_text = format!("{} {}", crate::domain::text::search_fold(&row.reg_number), row.search_text);
    }
}

/// The store's view of the numbering: `render` and the template's sequence width.
fn number_rule<'a>(state: &AppState, org: &str, render: &'a (dyn Fn(&mut AppealRow, i64) + Sync)) -> crate::store::appeals::Numbering<'a> {
    crate::store::appeals::Numbering::new(render, regnum::seq_width(&state.org(org).reg_number_template))
}

/// The registration number template of organization `org` of the instance: the one function
/// the receiving side of a forwarding reads it through.
pub fn receiver_numbering(state: &AppState, org: &str) -> String {
    state.org(org).reg_number_template.clone()
}

/// The receiving organization's new appeal for a card another organization of the instance
/// forwards to it: channel `forwarded`, received and registered now, its own deadline (and,
/// when the store reserves it, its own number), the applicants, summary and questions copied,
/// and the source naming the sender (the cover letter's number and date are filled in by
/// [`forwarded_letter`] once the sender's counter has given the number). Registered by nobody
/// of the receiver: its first history entry has no actor. The applicant is told by the
/// sender's forwarding notice, so the receiver sends no acknowledgement of its own. It is not
/// grouped into a mass campaign (the grouping reads the registry before the write, and this
/// appeal is built inside the sender's transaction).
pub fn receive_forwarded(state: &AppState, receiver_org: &str, sender_name: &str, card: &CardData) -> NewAppeal {
    let a = &card.appeal;
    let regime = LegalRegime::parse(&a.legal_regime).unwrap_or(LegalRegime::Fz59);
    let draft = AppealDraft {
        channel: "forwarded".into(),
        received_on: state.today(receiver_org),
        legal_regime: Some(regime),
        source: Some(crate::domain::appeal::SourceInput { organization: sender_name.into(), number: None, date: None }),
        external_id: None,
        reception: None,
        ..crate::intake::draft_of(card)
    };
    let derived = Derived { legal_regime: regime, anonymous: a.anonymous, from_organization: a.from_organization };
    let mut new = prepare(state, receiver_org, None, &draft, &derived, state.now(), "registered");
    new.appeal.source_appeal_id = Some(a.id.clone());
    new.outbox.notices.clear();
    new
}

/// The receiver's new appeal with the sender's cover letter (number and date) as the sender's
/// card bears it after the forwarding.
pub fn forwarded_letter(new: &NewAppeal, sender: &CardData) -> NewAppeal {
    let mut new = new.clone();
    new.appeal.source_number = sender.appeal.forward_number.clone();
    new.appeal.source_date = sender.appeal.forward_date;
    new.appeal.source_appeal_id = Some(sender.appeal.id.clone());
    new
}

/// Forwards appeal `id` to another organization of the instance in ONE transaction: the
/// sender's `step` (planned by the control use case, guarded as every action is) and the
/// receiver's own appeal registered from the card it changed, both cards naming each other.
/// Answers the sender's card after the change and the receiver's new one. A receiver that is
/// unknown, deactivated or the sender itself (checked again under its lock) is refused with
/// nothing written (`refuse` words the refusal); `number_taken` words a taken typed letter number.
pub fn forward_within(
    state: &AppState,
    sender_org: &str,
    id: &str,
    expected: Option<i32>,
    receiver: (&str, &str, Option<String>),
    sender_name: &str,
    step: crate::store::appeals::Decider<'_>,
    refuse: fn(ReceiverRefusal) -> ServiceError,
) -> Result<(CardData, CardData), ServiceError> {
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ServiceError::NotFound);
    }
    let (receiver_org, receiver_name, receiver_sstu_id) = receiver;
    let (now, today) = (state.now_naive(), state.today(sender_org));
    let crate::store::appeals::Decider { actor, decide: mut sender_step } = step;
    // The receiver's appeal is built from the card read in the write transaction, once the
    // sender's change is decided; the cover letter's number is known only after the write.
    let pending: RefCell<Option<NewAppeal>> = RefCell::new(None);
    let mut decide = |card: &CardData| -> Result<crate::store::appeals::Change, ServiceError> {
        let mut change = sender_step(card)?;
        let new = receive_forwarded(state, receiver_org, sender_name, card);
        if let Some(row) = change.appeal.as_mut() {
            row.forwarded_to_appeal_id = Some(new.appeal.id.clone());
        }
        if let Some(d) = change.details.as_object_mut() {
            d.insert("organization_id".into(), serde_json::json!(receiver_org));
            d.insert("to_appeal_id".into(), serde_json::json!(new.appeal.id));
        }
        *pending.borrow_mut() = Some(new);
        Ok(change)
    };
    let mut receive = |sender: &CardData| pending.borrow().as_ref().map(|new| forwarded_letter(new, sender)).ok_or(ServiceError::NotFound);
    let template = receiver_numbering(state, receiver_org);
    let render = numbering_with(template.clone());
    let links = move |row: &AppealRow, found: &[Candidate]| links(&row.organization_id, &row.id, now, today, found);
    let check = |active: Option<bool>| forwarding::check_receiver(sender_org, receiver_org, active).map_err(refuse);
    let local_day = |t: chrono::NaiveDateTime| state.local_date(sender_org, t.and_utc());
    let handover = crate::store::appeals::Handover {
        sender_org,
        receiver_org,
        check_receiver: &check,
        decide: &mut decide,
        receive: &mut receive,
        links_for: &links,
        numbering: number_rule_with(&template, &render),
    };
    let (mut sender, received) = crate::store::appeals::forward_between(&state.pool, id, expected, &actor, now, &local_day, handover)?;
    // The sender's card was read before the receiver's appeal existed: it shows it as just registered.
    sender.receiver = Some(crate::store::appeals::ReceiverFacts::of(&received, receiver_name.to_string(), receiver_sstu_id));
    crate::telemetry::get().action("forward");
    crate::telemetry::get().registered(&received.appeal.channel, 1);
    Ok((sender, received))
}

/// The store's view of a given template's numbering: `render` and the template's sequence width.
pub fn number_rule_with<'a>(template: &str, render: &'a (dyn Fn(&mut AppealRow, i64) + Sync)) -> crate::store::appeals::Numbering<'a> {
    crate::store::appeals::Numbering::new(render, regnum::seq_width(template))
}

/// Registers a validated draft now: one transaction with its number, links and history.
pub fn register(state: &AppState, org: &str, actor: &str, d: &AppealDraft, derived: &Derived) -> Result<CardData, ServiceError> {
    let mut new = prepare(state, org, Some(actor), d, derived, state.now(), "registered");
    new.campaign = crate::campaigns::plan(state, &new.appeal, &new.questions);
    let (now, today) = (state.now_naive(), state.today(org));
    let links = move |row: &AppealRow, found: &[Candidate]| links(&row.organization_id, &row.id, now, today, found);
    let render = numbering(state, org);
    let card = crate::store::appeals::register(&state.pool, &new, &links, number_rule(state, org, &render))?;
    crate::telemetry::get().registered(&card.appeal.channel, 1);
    Ok(card)
}

/// Registers a validated draft for a reception's visitor, linking the visitor and applying
/// `then` (an oral answer's control steps, see [`crate::control::oral`]) in the same transaction.
pub fn register_visit(state: &AppState, org: &str, actor: &str, visitor_id: &str, d: &AppealDraft, derived: &Derived, then: &mut [crate::store::appeals::Decider<'_>]) -> Result<CardData, ServiceError> {
    let new = prepare(state, org, Some(actor), d, derived, state.now(), "registered");
    let (now, today) = (state.now_naive(), state.today(org));
    let links = move |row: &AppealRow, found: &[Candidate]| links(&row.organization_id, &row.id, now, today, found);
    let local_day = |t: chrono::NaiveDateTime| state.local_date(org, t.and_utc());
    let render = numbering(state, org);
    let card = crate::store::receptions::register_visit(&state.pool, visitor_id, &new, &links, number_rule(state, org, &render), now, &local_day, then)?;
    crate::telemetry::get().registered(&card.appeal.channel, 1);
    Ok(card)
}

/// Imports prepared rows in one transaction; each row's earlier appeals are judged as of its
/// own registration date (was the earlier one still being considered then?).
pub fn import(state: &AppState, items: &[NewAppeal]) -> Result<Vec<String>, ServiceError> {
    let now = state.now_naive();
    let links = move |row: &AppealRow, found: &[Candidate]| links(&row.organization_id, &row.id, now, row.registered_on, found);
    // A batch is one organization's (the caller's): its rows carry its id.
    let org = items.first().map(|a| a.appeal.organization_id.clone()).unwrap_or_default();
    let render = numbering(state, &org);
    let stored = crate::store::appeals::import(&state.pool, items, &links, number_rule(state, &org, &render))?;
    let mut by_channel: std::collections::BTreeMap<&str, u64> = std::collections::BTreeMap::new();
    for a in items {
        *by_channel.entry(a.appeal.channel.as_str()).or_default() += 1;
    }
    for (channel, n) in by_channel {
        crate::telemetry::get().registered(channel, n);
    }
    Ok(stored)
}

/// How an earlier appeal of the same applicant and question relates to a new one (docs/domain.md §1):
/// repeated when the earlier one was answered or is overdue, a duplicate while it is still being
/// considered, merely related when this body forwarded it by competence (it never answered it).
pub fn link_kind(earlier_status: &str, earlier_due: NaiveDate, today: NaiveDate) -> &'static str {
    match Status::parse(earlier_status) {
        Some(Status::Forwarded) => "related",
        Some(s) if s.is_open() && earlier_due >= today => "duplicate",
        _ => "repeated",
    }
}

/// Decides the links of a new appeal and whether it is repeated.
pub fn links(org: &str, appeal_id: &str, now: NaiveDateTime, today: NaiveDate, found: &[Candidate]) -> (bool, Vec<LinkRow>) {
    let rows: Vec<LinkRow> = found
        .iter()
        .map(|c| LinkRow {
            organization_id: org.into(),
            appeal_id: appeal_id.into(),
            related_appeal_id: c.id.clone(),
            kind: link_kind(&c.status, c.due_date, today).into(),
            confirmed: None,
            created_at: now,
        })
        .collect();
    (rows.iter().any(|l| l.kind == "repeated"), rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_versus_duplicate() {
        let today: NaiveDate = "2025-04-10".parse().unwrap();
        assert_eq!(link_kind("closed", "2025-05-01".parse().unwrap(), today), "repeated");
        assert_eq!(link_kind("answered", "2025-05-01".parse().unwrap(), today), "repeated");
        assert_eq!(link_kind("in_work", "2025-04-09".parse().unwrap(), today), "repeated");
        assert_eq!(link_kind("in_work", "2025-04-10".parse().unwrap(), today), "duplicate");
        assert_eq!(link_kind("registered", "2025-05-10".parse().unwrap(), today), "duplicate");
        assert_eq!(link_kind("forwarded", "2025-04-01".parse().unwrap(), today), "related");
        assert_eq!(link_kind("forwarded", "2025-05-01".parse().unwrap(), today), "related");
    }

    #[test]
    fn a_forwarded_earlier_appeal_does_not_make_a_repeat() {
        let c = |id: &str, status: &str| Candidate { id: id.into(), status: status.into(), due_date: "2025-04-01".parse().unwrap(), registered_at: NaiveDateTime::default() };
        let now = NaiveDateTime::default();
        let today: NaiveDate = "2025-04-10".parse().unwrap();
        let (repeated, made) = links("o", "new", now, today, &[c("a", "forwarded")]);
        assert!(!repeated);
        assert_eq!(made[0].kind, "related");
        let (repeated, _) = links("o", "new", now, today, &[c("a", "forwarded"), c("b", "closed")]);
        assert!(repeated);
    }

}
