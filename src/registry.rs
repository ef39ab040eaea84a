//! Registration use case: turns a validated draft into rows (number template, deadline with its
//! explanation, late-registration flag, search text, matching keys) and decides how an earlier
//! appeal of the same applicant and question is linked (repeated or duplicate).

use crate::state::AppState;
use crate::domain::appeal::{self, AppealDraft, Derived, LegalRegime};
use crate::domain::deadline::{self, Deadline, DeadlineRules};
use crate::domain::keys;
use crate::domain::validation::FieldError;
use crate::domain::workflow::Status;
use crate::store::appeals::{Candidate, MatchKeys, NewAppeal};
use crate::store::models::{AppealRow, ApplicantRow, LinkRow, QuestionRow};
use crate::store::{micros, new_id};
use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime, Utc};


/// Validates a draft against the current reference data.
pub fn validate(state: &AppState, d: &AppealDraft, import: bool) -> Result<Derived, Vec<FieldError>> {
    let codes = state.codes.read().unwrap_or_else(|e| e.into_inner());
    let exists = |c: &str| codes.contains(c);
    let ctx = appeal::Context { today: state.today(), channels: &state.channels, code_exists: &exists, email_rule: &state.settings.email_rule, import };
    appeal::validate(d, &ctx)
}

/// The deadline rules of a legal regime: 59-FZ's, or the configured days of another regime.
pub fn rules_for(state: &AppState, regime: LegalRegime) -> DeadlineRules {
    let mut rules = state.settings.deadlines.clone();
    if regime != LegalRegime::Fz59 {
        if let Some(days) = state.settings.regime_days.get(regime.as_str()) {
            rules.consideration_days = *days;
        }
    }
    rules
}

/// The consideration deadline of an appeal registered on `registered_on`.
pub fn deadline_for(state: &AppState, regime: LegalRegime, registered_on: NaiveDate, migration_case: bool, ext: Option<&deadline::Extension>) -> Deadline {
    deadline::consideration_deadline(&state.calendar, &rules_for(state, regime), registered_on, migration_case, ext)
}

/// Builds the rows of a new appeal; `registered_at` is now for a registration, the legacy instant for an import.
pub fn prepare(state: &AppState, org: &str, actor: Option<&str>, d: &AppealDraft, derived: &Derived, registered_at: DateTime<Utc>, action: &'static str) -> (NewAppeal, MatchKeys) {
    let id = new_id();
    let registered_on = state.local_date(registered_at);
    let due = deadline_for(state, derived.legal_regime, registered_on, d.migration_case, None);
    let late = deadline::is_registration_late(&state.calendar, &state.settings.deadlines, d.received_on, registered_on);
    let mut search = String::new();
    for a in &d.applicants {
        search.push_str(&keys::search_fold(&a.full_name));
        search.push(' ');
    }
    search.push_str(&keys::search_fold(&d.summary));
    if let Some(x) = &d.external_id {
        search.push(' ');
        search.push_str(&keys::search_fold(x));
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
    };
    let applicants: Vec<ApplicantRow> = d
        .applicants
        .iter()
        .enumerate()
        .map(|(i, a)| ApplicantRow {
            id: new_id(),
            organization_id: org.into(),
            appeal_id: id.clone(),
            position: i as i32,
            is_organization: a.is_organization,
            full_name: a.full_name.trim().into(),
            postal_address: a.postal_address.clone(),
            email: a.email.as_ref().map(|e| e.trim().into()),
            phone: a.phone.clone(),
            epgu_id: a.epgu_id.clone(),
            name_key: keys::name_key(&a.full_name),
            address_key: a.postal_address.as_deref().and_then(keys::address_key),
            email_key: a.email.as_deref().and_then(keys::email_key),
        })
        .collect();
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
    let match_keys = MatchKeys {
        names: applicants.iter().map(|a| a.name_key.clone()).filter(|k| !k.is_empty()).collect(),
        addresses: applicants.iter().filter_map(|a| a.address_key.clone()).collect(),
        emails: applicants.iter().filter_map(|a| a.email_key.clone()).collect(),
        codes: questions.iter().map(|q| q.code.clone()).collect(),
    };
    // The acknowledgement goes out with the registration (issue 10); imports send nothing.
    let ack = if action == "registered" { crate::notify::applicant_notices(&state.templates, &state.settings.organization.name, &row, &applicants, "registration_ack", "", serde_json::json!({}), at) } else { Vec::new() };
    let outbox = crate::store::outbox::OutboxChange { notices: ack, cancel_reminders: false };
    (NewAppeal { appeal: row, applicants, questions, reg_year: registered_on.year(), template: state.settings.organization.reg_number_template.clone(), actor: actor.map(Into::into), action, outbox }, match_keys)
}

/// How an earlier appeal of the same applicant and question relates to a new one (DOMAIN.md §1):
/// repeated when the earlier one was answered or is overdue, a duplicate while it is still being considered.
pub fn link_kind(earlier_status: &str, earlier_due: NaiveDate, today: NaiveDate) -> &'static str {
    match Status::parse(earlier_status) {
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
    }
}
