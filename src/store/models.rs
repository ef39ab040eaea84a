//! Rows as stored: one struct per table, separate from the API's request and response types.
#![allow(missing_docs)] // column-for-column mirrors of the tables documented in migrations/

use super::schema::*;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// An organization served by this instance.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    /// Id.
    pub id: String,
    /// Stable code.
    pub code: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// GUID of the body in SSTU.RF.
    pub sstu_department_id: Option<String>,
    /// Created.
    pub created_at: NaiveDateTime,
    /// False once deactivated: it keeps its registry but receives nothing new.
    pub active: bool,
    /// The body above it (a municipality's region), if any.
    pub parent_id: Option<String>,
    /// Its registration number template (none: the config file's).
    pub reg_number_template: Option<String>,
    /// Its outgoing number template of dispatched answers (none: the config file's).
    pub outgoing_number_template: Option<String>,
    /// Its cover-letter number template when forwarding (none: the config file's).
    pub forward_number_template: Option<String>,
    /// Start of its working day (`HH:MM`; none: the config file's `[reminders] work_start`).
    pub work_start: Option<String>,
    /// End of its working day (`HH:MM`; none: the config file's `[reminders] work_end`).
    pub work_end: Option<String>,
}

/// A user.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// Login.
    pub login: String,
    /// Full name.
    pub full_name: String,
    /// Role code.
    pub role: String,
    /// E-mail for notifications.
    pub email: Option<String>,
    /// Deactivated users cannot authenticate.
    pub active: bool,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Department, if any.
    pub department_id: Option<String>,
}

/// A department of the organization.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = departments)]
pub struct DepartmentRow {
    pub id: String,
    pub organization_id: String,
    pub code: String,
    pub name: String,
    pub created_at: NaiveDateTime,
}

/// An API token, kept only as its SHA-256 hash.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = api_tokens)]
pub struct TokenRow {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// Owner.
    pub user_id: String,
    /// Hex SHA-256 of the token.
    pub token_hash: String,
    /// What it is for.
    pub label: String,
    /// Created.
    pub created_at: NaiveDateTime,
    /// Expiry, if any.
    pub expires_at: Option<NaiveDateTime>,
    /// Revocation, if any.
    pub revoked_at: Option<NaiveDateTime>,
}

/// A classifier entry.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = classifier)]
pub struct ClassifierRow {
    /// Full code.
    pub code: String,
    /// Level 1–5.
    pub level: i32,
    /// Parent code.
    pub parent: Option<String>,
    /// Name.
    pub name: String,
    /// Folded code + name for search.
    pub search_text: String,
}

/// An appeal's registration card and control state.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, AsChangeset, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = appeals, treat_none_as_null = true, treat_none_as_default_value = false)]
pub struct AppealRow {
    pub id: String,
    pub organization_id: String,
    pub reg_number: String,
    pub registered_at: NaiveDateTime,
    pub registered_on: NaiveDate,
    pub received_on: NaiveDate,
    pub channel: String,
    pub form: String,
    pub kind: String,
    pub legal_regime: String,
    pub collective: bool,
    pub signatures: Option<i32>,
    pub anonymous: bool,
    pub from_organization: bool,
    pub summary: String,
    pub reply_channel: Option<String>,
    pub source_organization: Option<String>,
    pub source_number: Option<String>,
    pub source_date: Option<NaiveDate>,
    pub external_id: Option<String>,
    pub reception_official: Option<String>,
    pub reception_official_role: Option<String>,
    pub reception_held_on: Option<NaiveDate>,
    pub migration_case: bool,
    pub late_registration: bool,
    pub repeated: bool,
    pub status: String,
    pub due_date: NaiveDate,
    pub due_explanation: String,
    pub control_date: Option<NaiveDate>,
    pub extension_days: Option<i32>,
    pub extension_reason: Option<String>,
    pub extended_by: Option<String>,
    pub extended_on: Option<NaiveDate>,
    pub forwarded_to: Option<String>,
    pub forward_reason: Option<String>,
    pub forwarded_at: Option<NaiveDateTime>,
    pub forward_late: bool,
    pub left_reason: Option<String>,
    pub put_on_control_at: Option<NaiveDateTime>,
    pub answered_at: Option<NaiveDateTime>,
    pub closed_at: Option<NaiveDateTime>,
    pub returned_count: i32,
    pub search_text: String,
    pub created_by: Option<String>,
    pub version: i32,
    pub updated_at: NaiveDateTime,
    pub art11_notice_due: Option<NaiveDate>,
    pub answered_on: Option<NaiveDate>,
    pub answer_sent_on: Option<NaiveDate>,
    pub closed_on: Option<NaiveDate>,
    pub documents_requested: bool,
    pub on_site_check: bool,
    pub by_commission: bool,
    pub with_applicant: bool,
    /// Our cover letter's outgoing number when forwarded by competence (its own counter).
    pub forward_number: Option<String>,
    /// That letter's date.
    pub forward_date: Option<NaiveDate>,
    /// Its number in the body's journal before the service, when imported from one.
    pub legacy_number: Option<String>,
    /// The appeal the receiving organization of this instance registered from this one when it
    /// was forwarded there (read live for the sender's card).
    pub forwarded_to_appeal_id: Option<String>,
    /// The appeal of another organization of this instance this one was forwarded from.
    pub source_appeal_id: Option<String>,
}

/// An applicant of an appeal.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, Default, serde::Deserialize)]
#[diesel(table_name = applicants, treat_none_as_default_value = false)]
pub struct ApplicantRow {
    pub id: String,
    pub organization_id: String,
    pub appeal_id: String,
    pub position: i32,
    pub is_organization: bool,
    pub full_name: String,
    pub postal_address: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub epgu_id: Option<String>,
    pub name_key: String,
    pub address_key: Option<String>,
    pub email_key: Option<String>,
}

/// A question of an appeal.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize, Default, serde::Deserialize)]
#[diesel(table_name = questions, treat_none_as_default_value = false)]
pub struct QuestionRow {
    pub id: String,
    pub organization_id: String,
    pub appeal_id: String,
    pub position: i32,
    pub code: String,
    pub section: String,
    pub text: Option<String>,
    pub result: Option<String>,
    pub actions_taken: bool,
    pub result_on: Option<NaiveDate>,
    pub executor_id: Option<String>,
}

/// A link to a related (earlier) appeal: repeated or duplicate.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = appeal_links, treat_none_as_default_value = false)]
pub struct LinkRow {
    pub organization_id: String,
    pub appeal_id: String,
    pub related_appeal_id: String,
    pub kind: String,
    pub confirmed: Option<bool>,
    pub created_at: NaiveDateTime,
}

/// An executor's assignment.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = assignments)]
pub struct AssignmentRow {
    pub id: String,
    pub organization_id: String,
    pub appeal_id: String,
    pub user_id: String,
    pub responsible: bool,
    pub instruction: Option<String>,
    pub active: bool,
    pub assigned_by: Option<String>,
    pub assigned_at: NaiveDateTime,
}

/// A draft or final answer.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = answers)]
pub struct AnswerRow {
    pub id: String,
    pub organization_id: String,
    pub appeal_id: String,
    pub author_id: String,
    pub text: String,
    pub results: String,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub reviewed_by: Option<String>,
    pub reviewed_at: Option<NaiveDateTime>,
    pub review_comment: Option<String>,
    pub outgoing_number: Option<String>,
    pub sent_on: Option<NaiveDate>,
    pub sent_channel: Option<String>,
    pub dispatched_by: Option<String>,
    /// Whether dispatching this answer (once approved) removes the appeal from control.
    pub close_on_dispatch: bool,
}

/// A co-executor's input to the responsible executor's answer.
#[derive(Clone, Debug, Queryable, Selectable, Insertable, serde::Deserialize)]
#[diesel(table_name = contributions)]
pub struct ContributionRow {
    pub id: String,
    pub organization_id: String,
    pub appeal_id: String,
    pub author_id: String,
    pub text: String,
    pub created_at: NaiveDateTime,
}

/// A history (audit) entry as read.
#[derive(Clone, Debug, Queryable, Selectable)]
#[diesel(table_name = history)]
pub struct HistoryRow {
    pub id: i64,
    pub organization_id: String,
    pub appeal_id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub action: String,
    pub details: String,
}

/// A history entry to write; the id is assigned by the database.
#[derive(Clone, Debug, Insertable, serde::Serialize)]
#[diesel(table_name = history, treat_none_as_default_value = false)]
pub struct NewHistory {
    pub organization_id: String,
    pub appeal_id: String,
    pub at: NaiveDateTime,
    pub actor_id: Option<String>,
    pub action: String,
    pub details: String,
}

/// A row of the notification outbox: one message to one recipient, with its delivery state.
#[derive(Clone, Debug, Default, Queryable, QueryableByName, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = notifications, treat_none_as_default_value = false)]
pub struct NotificationRow {
    pub id: String,
    pub organization_id: String,
    pub appeal_id: Option<String>,
    pub recipient: String,
    pub kind: String,
    /// Unique per organization: appeal, rule, recipient and deadline version (or day).
    pub dedup_key: String,
    pub subject: String,
    pub body: String,
    /// pending | sent | failed | cancelled | skipped
    pub status: String,
    /// When the next attempt is due (a retry moves it).
    pub scheduled_for: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    /// A dispatcher's lease: until then no other dispatcher takes the row.
    pub claimed_until: Option<NaiveDateTime>,
    pub claimed_by: Option<String>,
    pub message_id: Option<String>,
    pub skip_reason: Option<String>,
    /// A planned staff reminder's parameters (JSON); its text is rendered at send time.
    pub params: Option<String>,
}

/// One (applicant key, question code) of an appeal: what the repeat-candidate lookup reads.
#[derive(Clone, Debug, PartialEq, Eq, Queryable, Selectable, Insertable, serde::Serialize)]
#[diesel(table_name = match_keys, treat_none_as_default_value = false)]
pub struct MatchKeyRow {
    pub organization_id: String,
    pub match_key: String,
    pub code: String,
    pub registered_at: NaiveDateTime,
    pub appeal_id: String,
}

impl From<&ApplicantRow> for crate::domain::appeal::ApplicantInput {
    /// A stored applicant as a draft names them again (a correction, a forwarded copy).
    fn from(p: &ApplicantRow) -> Self {
        Self { full_name: p.full_name.clone(), postal_address: p.postal_address.clone(), email: p.email.clone(), phone: p.phone.clone(), epgu_id: p.epgu_id.clone(), is_organization: p.is_organization }
    }
}
