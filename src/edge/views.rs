//! Response shapes: the appeal card and list pages, built from stored rows.

use crate::domain::roles::Role;
use crate::domain::workflow::{Action, Status};
use crate::store::appeals::CardData;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// An applicant as shown on the card.
#[derive(Serialize, ToSchema)]
pub struct ApplicantOut {
    /// Full name.
    pub full_name: String,
    /// Postal address.
    pub postal_address: Option<String>,
    /// E-mail.
    pub email: Option<String>,
    /// Phone.
    pub phone: Option<String>,
    /// ЕПГУ account id.
    pub epgu_id: Option<String>,
    /// Organization rather than a citizen.
    pub is_organization: bool,
}

/// A question with its result.
#[derive(Serialize, ToSchema)]
pub struct QuestionOut {
    /// Question id.
    pub id: String,
    /// Classifier code.
    pub code: String,
    /// Applicant's wording.
    pub text: Option<String>,
    /// Result code once answered.
    pub result: Option<String>,
    /// The result as SSTU.RF words it, in Russian.
    pub result_label: Option<String>,
    /// Measures taken (Supported).
    pub actions_taken: bool,
}

/// The forwarding body's cover letter.
#[derive(Serialize, ToSchema)]
pub struct SourceOut {
    /// Body.
    pub organization: String,
    /// Letter number.
    pub number: Option<String>,
    /// Letter date.
    pub date: Option<NaiveDate>,
    /// The sender's appeal, when the body is an organization of this instance (it stays the
    /// sender's: this organization's users cannot open it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub appeal_id: Option<String>,
}

/// The personal reception.
#[derive(Serialize, ToSchema)]
pub struct ReceptionOut {
    /// Official.
    pub official: String,
    /// `head` or `deputy`.
    pub official_role: String,
    /// Date held.
    pub held_on: NaiveDate,
}

/// An active assignment.
#[derive(Serialize, ToSchema)]
pub struct AssignmentOut {
    /// Executor.
    pub user_id: String,
    /// Responsible executor (others are co-executors).
    pub responsible: bool,
    /// Resolution text.
    pub instruction: Option<String>,
    /// When assigned.
    pub assigned_at: DateTime<Utc>,
}

/// An answer.
#[derive(Serialize, ToSchema)]
pub struct AnswerOut {
    /// Answer id.
    pub id: String,
    /// Text.
    pub text: String,
    /// Executor.
    pub author_id: String,
    /// Submitted.
    pub created_at: DateTime<Utc>,
    /// `pending`, `approved`, `returned`, or `withdrawn` (the appeal was left without answer).
    pub status: String,
    /// Results per question: `[{code, result}]`.
    #[schema(value_type = Vec<Object>)]
    pub results: Value,
    /// Reviewer's comment.
    pub review_comment: Option<String>,
    /// Outgoing number of the dispatched answer.
    pub outgoing_number: Option<String>,
    /// Date the answer was sent: the answer's date in statistics and exports.
    pub sent_on: Option<NaiveDate>,
    /// How it was sent: `post`, `email`, `epgu`, `by_hand`.
    pub sent_channel: Option<String>,
}

/// How the appeal is being considered: the flags reports count.
#[derive(Serialize, ToSchema)]
pub struct ConsiderationOut {
    /// Documents requested from another body.
    pub documents_requested: bool,
    /// Checked on site.
    pub on_site_check: bool,
    /// By a commission.
    pub by_commission: bool,
    /// With the applicant present.
    pub with_applicant: bool,
}

/// A co-executor's input to the answer.
#[derive(Serialize, ToSchema)]
pub struct ContributionOut {
    /// Id.
    pub id: String,
    /// Co-executor.
    pub author_id: String,
    /// Text.
    pub text: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The deadline extension.
#[derive(Serialize, ToSchema)]
pub struct ExtensionOut {
    /// Days added.
    pub days: i32,
    /// Reason.
    pub reason: Option<String>,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When.
    pub decided_on: Option<NaiveDate>,
}

/// Forwarding by competence.
#[derive(Serialize, ToSchema)]
pub struct ForwardOut {
    /// Receiving body.
    pub organization: Option<String>,
    /// Reason.
    pub reason: Option<String>,
    /// When.
    pub at: Option<DateTime<Utc>>,
    /// Later than 7 days after registration.
    pub late: bool,
    /// Our cover letter's outgoing number (ССТУ.РФ `transferNumber`).
    pub letter_number: Option<String>,
    /// Its date (ССТУ.РФ `transferDate`).
    pub letter_date: Option<NaiveDate>,
    /// The receiver's appeal, when the body is an organization of this instance.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub to_appeal_id: Option<String>,
    /// Where the receiver's appeal stands now, read live (forwarded inside the instance only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub receiver: Option<ReceiverOut>,
}

/// The receiver's appeal as the sender sees it: status, deadline, results per question and
/// whether the answer went out; not its history, executors, answers' texts or files.
#[derive(Serialize, ToSchema)]
pub struct ReceiverOut {
    /// The receiving organization.
    pub organization_id: String,
    /// Its name.
    pub organization: String,
    /// The receiver's registration number.
    pub reg_number: String,
    /// The receiver's status code.
    pub status: String,
    /// The status in Russian.
    pub status_label: String,
    /// The receiver's deadline.
    pub due_date: NaiveDate,
    /// Local date the receiver approved its answer.
    pub answered_on: Option<NaiveDate>,
    /// The receiver has sent its answer to the applicant.
    pub dispatched: bool,
    /// Local date it was sent.
    pub answer_sent_on: Option<NaiveDate>,
    /// The receiver's results per question, in its order.
    pub questions: Vec<ReceiverQuestionOut>,
}

/// One of the receiver's questions with its result.
#[derive(Serialize, ToSchema)]
pub struct ReceiverQuestionOut {
    /// Classifier code.
    pub code: String,
    /// Result code once answered.
    pub result: Option<String>,
    /// The result in Russian.
    pub result_label: Option<String>,
    /// Measures taken.
    pub actions_taken: bool,
}

impl ReceiverOut {
    /// The sender's view of the receiver's facts.
    pub fn from_facts(r: crate::store::appeals::ReceiverFacts) -> ReceiverOut {
        let status = Status::parse(&r.status).unwrap_or(Status::Registered);
        ReceiverOut {
            organization_id: r.organization_id,
            organization: r.organization_name,
            reg_number: r.reg_number,
            status_label: status.label_of_card(true).into(),
            status: r.status,
            due_date: r.due_date,
            answered_on: r.answered_on,
            dispatched: r.answer_sent_on.is_some(),
            answer_sent_on: r.answer_sent_on,
            questions: r
                .questions
                .into_iter()
                .map(|(code, result, actions_taken)| ReceiverQuestionOut {
                    code,
                    result_label: result.as_deref().and_then(crate::domain::appeal::QuestionResult::parse).map(|x| x.label().to_string()),
                    result,
                    actions_taken,
                })
                .collect(),
        }
    }
}

/// The registration card with its control state.
#[derive(Serialize, ToSchema)]
pub struct Card {
    /// Id.
    pub id: String,
    /// Registration number.
    pub reg_number: String,
    /// The number in the body's own journal before the service (imported appeals only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legacy_number: Option<String>,
    /// Registration instant.
    pub registered_at: DateTime<Utc>,
    /// Received on.
    pub received_on: NaiveDate,
    /// Channel code.
    pub channel: String,
    /// Form.
    pub form: String,
    /// Kind.
    pub kind: String,
    /// Legal regime.
    pub legal_regime: String,
    /// Applicants.
    pub applicants: Vec<ApplicantOut>,
    /// Collective.
    pub collective: bool,
    /// Signatures.
    pub signatures: Option<i32>,
    /// Anonymous (Art. 11).
    pub anonymous: bool,
    /// Summary.
    pub summary: String,
    /// Questions.
    pub questions: Vec<QuestionOut>,
    /// Reply channel.
    pub reply_channel: Option<String>,
    /// Forwarding body.
    pub source: Option<SourceOut>,
    /// External id.
    pub external_id: Option<String>,
    /// Personal reception.
    pub reception: Option<ReceptionOut>,
    /// Status.
    pub status: String,
    /// Status label in Russian.
    pub status_label: String,
    /// Deadline.
    pub due_date: NaiveDate,
    /// How the deadline was computed, in Russian.
    pub due_date_explanation: String,
    /// The same, structured.
    #[schema(value_type = Object)]
    pub due_date_details: Value,
    /// Internal control date.
    pub control_date: Option<NaiveDate>,
    /// Overdue now (derived).
    pub overdue: bool,
    /// Extended once.
    pub extended: bool,
    /// Extension.
    pub extension: Option<ExtensionOut>,
    /// Registered more than 3 days after receipt.
    pub late_registration: bool,
    /// Migration-law case (20 days).
    pub migration_case: bool,
    /// Repeated appeal.
    pub repeated: bool,
    /// Related earlier or later appeals.
    pub related_appeal_ids: Vec<String>,
    /// The mass campaign the appeal belongs to (shown to those who read every appeal); a
    /// collective appeal is one letter signed by many, a campaign many letters alike.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub campaign: Option<crate::store::campaigns::CampaignSummary>,
    /// Active assignments.
    pub assignments: Vec<AssignmentOut>,
    /// Answers, oldest first.
    pub answers: Vec<AnswerOut>,
    /// Times an answer was returned for rework.
    pub returned_count: i32,
    /// Forwarding by competence.
    pub forwarded: Option<ForwardOut>,
    /// Art. 11 reason.
    pub left_without_answer_reason: Option<String>,
    /// When the applicant must be told there is no answer (Art. 11, 7 days from registration).
    pub art11_notice_due: Option<NaiveDate>,
    /// Co-executors' input, oldest first.
    pub contributions: Vec<ContributionOut>,
    /// How the appeal is being considered.
    pub consideration: ConsiderationOut,
    /// Local date the answer was approved.
    pub answered_on: Option<NaiveDate>,
    /// Local date the (first) answer was sent.
    pub answer_sent_on: Option<NaiveDate>,
    /// Local date the appeal left control (closed, forwarded, left without answer).
    pub closed_on: Option<NaiveDate>,
    /// Actions the caller may take now.
    #[schema(value_type = Vec<String>)]
    pub allowed_actions: Vec<Action>,
    /// Version (also the ETag).
    pub version: i32,
}

/// A page of cards.
#[derive(Serialize, ToSchema)]
pub struct CardPage {
    /// Cards.
    pub items: Vec<Card>,
    /// Cursor of the next page, if any.
    pub next_cursor: Option<String>,
}

fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    DateTime::from_naive_utc_and_offset(t, Utc)
}

impl Card {
    /// Builds the card as `caller` sees it on `today`.
    pub fn from_data(d: CardData, caller_id: &str, role: Role, today: NaiveDate) -> Card {
        let allowed = crate::control::available_actions(&d, caller_id, role, today);
        let receiver = d.receiver;
        let a = d.appeal;
        let status = Status::parse(&a.status).unwrap_or(Status::Registered);
        let answer_sent = !d.answers.iter().any(|x| x.status == "approved" && x.outgoing_number.is_none());
        let details: Value = serde_json::from_str(&a.due_explanation).unwrap_or(Value::Null);
        let explanation = details.get("text").and_then(|t| t.as_str()).unwrap_or_default().to_string();
        Card {
            id: a.id,
            reg_number: a.reg_number,
            legacy_number: a.legacy_number,
            registered_at: utc(a.registered_at),
            received_on: a.received_on,
            channel: a.channel,
            form: a.form,
            kind: a.kind,
            legal_regime: a.legal_regime,
            applicants: d
                .applicants
                .into_iter()
                .map(|p| ApplicantOut { full_name: p.full_name, postal_address: p.postal_address, email: p.email, phone: p.phone, epgu_id: p.epgu_id, is_organization: p.is_organization })
                .collect(),
            collective: a.collective,
            signatures: a.signatures,
            anonymous: a.anonymous,
            summary: a.summary,
            questions: d
                .questions
                .into_iter()
                .map(|q| QuestionOut {
                    id: q.id,
                    code: q.code,
                    text: q.text,
                    result_label: q.result.as_deref().and_then(crate::domain::appeal::QuestionResult::parse).map(|r| r.label().to_string()),
                    result: q.result,
                    actions_taken: q.actions_taken,
                })
                .collect(),
            reply_channel: a.reply_channel,
            source: a.source_organization.map(|o| SourceOut { organization: o, number: a.source_number, date: a.source_date, appeal_id: a.source_appeal_id }),
            external_id: a.external_id,
            reception: match (a.reception_official, a.reception_official_role, a.reception_held_on) {
                (Some(official), Some(official_role), Some(held_on)) => Some(ReceptionOut { official, official_role, held_on }),
                _ => None,
            },
            status: status.as_str().into(),
            status_label: status.label_of_card(answer_sent).into(),
            due_date: a.due_date,
            due_date_explanation: explanation,
            due_date_details: details,
            control_date: a.control_date,
            overdue: status.is_open() && a.due_date < today,
            extended: a.extension_days.is_some(),
            extension: a.extension_days.map(|days| ExtensionOut { days, reason: a.extension_reason, decided_by: a.extended_by, decided_on: a.extended_on }),
            late_registration: a.late_registration,
            migration_case: a.migration_case,
            repeated: a.repeated,
            related_appeal_ids: d.related,
            campaign: None,
            assignments: d
                .assignments
                .into_iter()
                .filter(|x| x.active)
                .map(|x| AssignmentOut { user_id: x.user_id, responsible: x.responsible, instruction: x.instruction, assigned_at: utc(x.assigned_at) })
                .collect(),
            answers: d
                .answers
                .into_iter()
                .map(|x| AnswerOut {
                    id: x.id,
                    text: x.text,
                    author_id: x.author_id,
                    created_at: utc(x.created_at),
                    status: x.status,
                    results: serde_json::from_str(&x.results).unwrap_or(Value::Array(vec![])),
                    review_comment: x.review_comment,
                    outgoing_number: x.outgoing_number,
                    sent_on: x.sent_on,
                    sent_channel: x.sent_channel,
                })
                .collect(),
            returned_count: a.returned_count,
            forwarded: a.forwarded_to.clone().map(|o| ForwardOut { organization: Some(o), reason: a.forward_reason, at: a.forwarded_at.map(utc), late: a.forward_late, letter_number: a.forward_number, letter_date: a.forward_date, to_appeal_id: a.forwarded_to_appeal_id, receiver: receiver.map(ReceiverOut::from_facts) }),
            left_without_answer_reason: a.left_reason,
            art11_notice_due: a.art11_notice_due,
            consideration: ConsiderationOut { documents_requested: a.documents_requested, on_site_check: a.on_site_check, by_commission: a.by_commission, with_applicant: a.with_applicant },
            answered_on: a.answered_on,
            answer_sent_on: a.answer_sent_on,
            closed_on: a.closed_on,
            contributions: d.contributions.into_iter().map(|c| ContributionOut { id: c.id, author_id: c.author_id, text: c.text, created_at: utc(c.created_at) }).collect(),
            allowed_actions: allowed,
            version: a.version,
        }
    }
}

/// An applicant as a list shows them: the name clerks search by, no contacts.
#[derive(Serialize, ToSchema)]
pub struct ApplicantBrief {
    /// Full name.
    pub full_name: String,
    /// Organization rather than a citizen.
    pub is_organization: bool,
}

/// A registry list item: the card without the applicants' contacts (postal address, e-mail,
/// phone, ЕПГУ id). Lists hand out many cards at once and are not recorded; the full card
/// (`GET /api/v1/appeals/{id}`) is the one recorded way to read contacts.
pub struct ListItem(pub Card);

/// Applicant members a list never carries.
pub const CONTACT_FIELDS: [&str; 4] = ["postal_address", "email", "phone", "epgu_id"];

impl Serialize for ListItem {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = serde_json::to_value(&self.0).map_err(serde::ser::Error::custom)?;
        if let Some(people) = v.get_mut("applicants").and_then(Value::as_array_mut) {
            for p in people.iter_mut().filter_map(Value::as_object_mut) {
                for f in CONTACT_FIELDS {
                    p.remove(f);
                }
            }
        }
        v.serialize(s)
    }
}

impl utoipa::PartialSchema for ListItem {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ArrayBuilder, Schema};
        use utoipa::openapi::{Ref, RefOr};
        let mut s = <Card as utoipa::PartialSchema>::schema();
        if let RefOr::T(Schema::Object(o)) = &mut s {
            o.description = Some("The card without the applicants' contacts; read the card itself for them (the read is recorded).".into());
            o.properties.insert("applicants".into(), ArrayBuilder::new().items(Ref::from_schema_name("ApplicantBrief")).description(Some("Applicants: names only.")).into());
        }
        s
    }
}

impl ToSchema for ListItem {
    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        <Card as ToSchema>::schemas(schemas);
        schemas.push(("ApplicantBrief".into(), <ApplicantBrief as utoipa::PartialSchema>::schema()));
    }
}

/// A page of list items.
#[derive(Serialize, ToSchema)]
pub struct ListPage {
    /// Items.
    pub items: Vec<ListItem>,
    /// Cursor of the next page, if any; null on the last page.
    pub next_cursor: Option<String>,
}
