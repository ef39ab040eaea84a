//! A draft checked against the reference data and turned into the rows a card is made of:
//! the same for registration, import and the card's correction, so a corrected card is
//! validated and matched exactly as a registered one.

use crate::domain::appeal::{self, AppealDraft, Derived};
use crate::domain::keys;
use crate::domain::validation::FieldError;
use crate::state::AppState;
use crate::store::models::{ApplicantRow, MatchKeyRow, QuestionRow};
use crate::store::new_id;
use chrono::{DateTime, NaiveDateTime, Utc};
use std::collections::BTreeSet;

pub mod legacy;

/// Validates a draft against the current reference data.
pub fn validate(state: &AppState, org: &str, d: &AppealDraft, import: bool) -> Result<Derived, Vec<FieldError>> {
    let codes = state.codes.read().unwrap_or_else(|e| e.into_inner());
    let exists = |c: &str| codes.contains_key(c);
    let local_date = |at: DateTime<Utc>| state.local_date(org, at);
    let ctx = appeal::Context { today: state.today(org), local_date: &local_date, channels: &state.channels, code_exists: &exists, email_rule: &state.settings.email_rule, import };
    appeal::validate(d, &ctx)
}

/// The card as a registration draft: a correction is validated by the registration's rules,
/// and an appeal forwarded inside the instance starts from the sender's card.
pub fn draft_of(card: &crate::store::appeals::CardData) -> AppealDraft {
    use crate::domain::appeal::{ApplicantInput, Form, Kind, OfficialRole, QuestionInput, ReceptionInput, ReplyChannel, SourceInput};
    let a = &card.appeal;
    AppealDraft {
        channel: a.channel.clone(),
        form: Form::parse(&a.form).unwrap_or(Form::Written),
        kind: Kind::parse(&a.kind).unwrap_or(Kind::Other),
        received_on: a.received_on,
        legal_regime: appeal::LegalRegime::parse(&a.legal_regime),
        applicants: card
            .applicants
            .iter()
            .map(ApplicantInput::from)
            .collect(),
        collective: a.collective,
        signatures: a.signatures.and_then(|n| u32::try_from(n).ok()),
        summary: a.summary.clone(),
        questions: card.questions.iter().map(|q| QuestionInput { code: q.code.clone(), text: q.text.clone() }).collect(),
        reply_channel: a.reply_channel.as_deref().and_then(ReplyChannel::parse),
        source: a.source_organization.clone().map(|organization| SourceInput { organization, number: a.source_number.clone(), date: a.source_date }),
        external_id: a.external_id.clone(),
        reception: match (&a.reception_official, a.reception_official_role.as_deref().and_then(OfficialRole::parse), a.reception_held_on) {
            (Some(official), Some(official_role), Some(held_on)) => Some(ReceptionInput { official: official.clone(), official_role, held_on }),
            _ => None,
        },
        migration_case: a.migration_case,
        registered_at: None,
        reg_number: None,
    }
}

/// The matching keys of a card (docs/domain.md §1: the same person is the same name with the same
/// address or the same e-mail): one row per applicant key and question code. A corrected card
/// replaces its rows with these (`Change::match_keys`).
pub fn match_key_rows(org: &str, appeal_id: &str, registered_at: NaiveDateTime, applicants: &[ApplicantRow], questions: &[QuestionRow]) -> Vec<MatchKeyRow> {
    let person_keys = person_keys(applicants);
    let codes: BTreeSet<&str> = questions.iter().map(|q| q.code.as_str()).collect();
    person_keys
        .iter()
        .flat_map(|k| codes.iter().map(move |c| (k, c)))
        .map(|(k, c)| MatchKeyRow { organization_id: org.into(), match_key: k.clone(), code: (*c).into(), registered_at, appeal_id: appeal_id.into() })
        .collect()
}

/// The keys that tell one person from another: the name with the address, the name with the
/// e-mail (an applicant without either has none).
pub fn person_keys(applicants: &[ApplicantRow]) -> BTreeSet<String> {
    let mut keys = BTreeSet::new();
    for a in applicants.iter().filter(|a| !a.name_key.is_empty()) {
        if let Some(k) = &a.address_key {
            keys.insert(format!("{}|a|{k}", a.name_key));
        }
        if let Some(k) = &a.email_key {
            keys.insert(format!("{}|e|{k}", a.name_key));
        }
    }
    keys
}

/// The stored rows of an appeal's applicants, with their matching keys (registration and
/// corrections build them alike, so a corrected card is matched as a registered one).
pub fn applicant_rows(org: &str, appeal_id: &str, applicants: &[crate::domain::appeal::ApplicantInput]) -> Vec<ApplicantRow> {
    applicants
        .iter()
        .enumerate()
        .map(|(i, a)| ApplicantRow {
            id: new_id(),
            organization_id: org.into(),
            appeal_id: appeal_id.into(),
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
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn applicant(name: &str, address: Option<&str>, email: Option<&str>) -> ApplicantRow {
        ApplicantRow {
            id: "p".into(), organization_id: "o".into(), appeal_id: "x".into(), position: 0, is_organization: false, full_name: name.into(),
            postal_address: address.map(Into::into), email: email.map(Into::into), phone: None, epgu_id: None,
            name_key: keys::name_key(name), address_key: address.and_then(keys::address_key), email_key: email.and_then(keys::email_key),
        }
    }

    fn question(code: &str) -> QuestionRow {
        QuestionRow { id: "q".into(), organization_id: "o".into(), appeal_id: "x".into(), position: 0, code: code.into(), section: "0003".into(), text: None, result: None, actions_taken: false, result_on: None, executor_id: None }
    }

    #[test]
    fn match_keys_pair_each_person_with_each_question() {
        let at = NaiveDateTime::default();
        let rows = match_key_rows("o", "x", at, &[applicant("Иванов И.И.", Some("ул. Ленина, 5"), Some("A@b.ru")), applicant("", Some("x"), None)], &[question("1"), question("2"), question("1")]);
        let keys: Vec<(String, String)> = rows.iter().map(|r| (r.match_key.clone(), r.code.clone())).collect();
        assert_eq!(keys, vec![
            ("иванов и и|a|улленина5".to_string(), "1".to_string()), ("иванов и и|a|улленина5".into(), "2".into()),
            ("иванов и и|e|a@b.ru".into(), "1".into()), ("иванов и и|e|a@b.ru".into(), "2".into()),
        ]);
        // No address and no e-mail: nothing to recognise the person by.
        assert!(match_key_rows("o", "x", at, &[applicant("Иванов", None, None)], &[question("1")]).is_empty());
    }
}
