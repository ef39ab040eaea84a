//! Correction of the registration card (`PATCH /api/v1/appeals/{id}`): applicants, summary,
//! questions, source, reply channel, kind, form. The corrected card is validated whole, as a
//! registration would be; a changed question code re-derives its section, while questions
//! whose code stays keep their results. A finished appeal (closed, forwarded, left without
//! answer) is corrected only by an administrator giving a reason.

use super::{run_picking, Actor, Invalid};
use crate::domain::appeal::{ApplicantInput, Form, Kind, QuestionInput, ReplyChannel, SourceInput};
use crate::domain::classifier::section_of;
use crate::domain::keys;
use crate::domain::roles::Role;
use crate::domain::validation::Errors;
use crate::domain::workflow::{Action, Status};
use crate::state::AppState;
use crate::store::appeals::{CardData, Change};
use crate::store::models::{ApplicantRow, QuestionRow};
use crate::store::{new_id, ServiceError};
use serde::{Deserialize, Deserializer};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// The fields of the card a correction may change; absent ones stay as they are.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionInput {
    /// Applicants, replacing the current ones.
    #[serde(default)]
    pub applicants: Option<Vec<ApplicantInput>>,
    /// Summary.
    #[serde(default)]
    pub summary: Option<String>,
    /// Questions, replacing the current ones.
    #[serde(default)]
    pub questions: Option<Vec<QuestionInput>>,
    /// The forwarding body and cover letter; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<SourceInput>)]
    pub source: Option<Option<SourceInput>>,
    /// Reply channel; `null` removes it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<ReplyChannel>)]
    pub reply_channel: Option<Option<ReplyChannel>>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<Kind>,
    /// Form.
    #[serde(default)]
    pub form: Option<Form>,
    /// Why: required from an administrator correcting a finished appeal.
    #[serde(default)]
    pub reason: Option<String>,
}

/// A member that is present, even as `null`, is `Some`.
fn present<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl CorrectionInput {
    /// Field checks that need no database.
    pub fn validate(&self) -> Result<(), Invalid> {
        let mut e = Errors::default();
        let nothing = self.applicants.is_none() && self.summary.is_none() && self.questions.is_none() && self.source.is_none() && self.reply_channel.is_none() && self.kind.is_none() && self.form.is_none();
        if nothing {
            e.add("body", "нечего исправлять: укажите applicants, summary, questions, source, reply_channel, kind или form");
        }
        if let Some(r) = &self.reason {
            e.text("reason", r, 2000);
        }
        e.finish()
    }
}

/// Records `before → after` of one field when it changed.
fn note(details: &mut Map<String, Value>, field: &str, before: Value, after: Value) {
    if before != after {
        details.insert(field.into(), json!({"before": before, "after": after}));
    }
}

/// Corrects the card of appeal `id`; `expected` (the `If-Match` version) is required, and its
/// absence is reported only to a caller who may correct the card at all.
pub fn correct(state: &AppState, actor: &Actor, id: &str, expected: Option<i32>, input: CorrectionInput) -> Result<CardData, ServiceError> {
    input.validate().map_err(ServiceError::Invalid)?;
    let admin_with_reason = actor.role == Role::Admin && input.reason.is_some();
    let pick = |status: Status| if matches!(status, Status::Closed | Status::Forwarded | Status::LeftWithoutAnswer) && admin_with_reason { Action::CorrectFinished } else { Action::Correct };
    run_picking(state, actor, id, expected, &pick, &mut |card| {
        if expected.is_none() {
            return Err(ServiceError::VersionRequired);
        }
        let before = crate::intake::draft_of(card);
        let mut after = before.clone();
        if let Some(x) = &input.applicants {
            after.applicants = x.clone();
        }
        if let Some(x) = &input.summary {
            after.summary = x.clone();
        }
        if let Some(x) = &input.questions {
            after.questions = x.clone();
        }
        if let Some(x) = &input.source {
            after.source = x.clone();
        }
        if let Some(x) = &input.reply_channel {
            after.reply_channel = *x;
        }
        if let Some(x) = input.kind {
            after.kind = x;
        }
        if let Some(x) = input.form {
            after.form = x;
        }
        let derived = crate::intake::validate(state, &actor.org, &after, false).map_err(ServiceError::Invalid)?;
        let a = &card.appeal;
        let mut row = a.clone();
        row.summary = after.summary.trim().into();
        row.kind = after.kind.as_str().into();
        row.form = after.form.as_str().into();
        row.reply_channel = after.reply_channel.map(|r| r.as_str().into());
        row.source_organization = after.source.as_ref().map(|s| s.organization.trim().into());
        row.source_number = after.source.as_ref().and_then(|s| s.number.clone());
        row.source_date = after.source.as_ref().and_then(|s| s.date);
        row.anonymous = derived.anonymous;
        row.from_organization = derived.from_organization;
        let names: Vec<&str> = after.applicants.iter().map(|p| p.full_name.as_str()).collect();
        row.search_text = keys::search_text(&row.reg_number, &names, &row.summary, row.external_id.as_deref());

        let mut details = Map::new();
        note(&mut details, "applicants", json!(before.applicants), json!(after.applicants));
        note(&mut details, "summary", json!(before.summary), json!(after.summary));
        note(&mut details, "questions", json!(before.questions), json!(after.questions));
        note(&mut details, "source", json!(before.source), json!(after.source));
        note(&mut details, "reply_channel", json!(before.reply_channel), json!(after.reply_channel));
        note(&mut details, "kind", json!(before.kind), json!(after.kind));
        note(&mut details, "form", json!(before.form), json!(after.form));
        if let Some(r) = &input.reason {
            details.insert("reason".into(), json!(r.trim()));
        }
        let replace_applicants = input.applicants.as_ref().map(|people| crate::intake::applicant_rows(&a.organization_id, &a.id, people));
        let replace_questions = input.questions.as_ref().map(|qs| {
            let mut kept = std::collections::HashSet::new();
            qs.iter()
                .enumerate()
                .map(|(i, q)| {
                    // A question whose code stays keeps its row: its result and executor.
                    match card.questions.iter().find(|old| old.code == q.code && !kept.contains(&old.id)) {
                        Some(old) => {
                            kept.insert(old.id.clone());
                            QuestionRow { position: i as i32, text: q.text.clone(), ..old.clone() }
                        }
                        None => QuestionRow {
                            id: new_id(),
                            organization_id: a.organization_id.clone(),
                            appeal_id: a.id.clone(),
                            position: i as i32,
                            code: q.code.clone(),
                            section: section_of(&q.code).into(),
                            text: q.text.clone(),
                            result: None,
                            actions_taken: false,
                            result_on: None,
                            executor_id: None,
                        },
                    }
                })
                .collect()
        });
        // Repeat detection matches on applicants and codes: a corrected card is matched as corrected.
        let match_keys = (replace_applicants.is_some() || replace_questions.is_some()).then(|| {
            let people: &[ApplicantRow] = replace_applicants.as_deref().unwrap_or(&card.applicants);
            let qs: &[QuestionRow] = replace_questions.as_deref().unwrap_or(&card.questions);
            crate::intake::match_key_rows(&a.organization_id, &a.id, a.registered_at, people, qs)
        });
        Ok(Change { appeal: Some(row), replace_applicants, replace_questions, match_keys, details: Value::Object(details), ..Default::default() }.into())
    })
}
