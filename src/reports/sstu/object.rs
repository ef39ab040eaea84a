//! The connector's JSON model of one appeal (docs/domain.md §6) and the mapping of a card to it.

use crate::store::appeals::CardData;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

/// One appeal as the connector takes it; field order is fixed, so output is reproducible.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SstuAppeal {
    /// GUID of the reporting body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    /// False when it came with another body's cover letter.
    pub is_direct: bool,
    /// `Electronic` or `Other`.
    pub format: &'static str,
    /// The cover letter's number (forwarded), else the registration number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
    /// The cover letter's date (forwarded), else the registration date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub create_date: Option<NaiveDate>,
    /// Applicant's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Postal address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// E-mail.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Questions.
    pub questions: Vec<SstuQuestion>,
}

/// One question with its result.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SstuQuestion {
    /// Classifier code.
    pub code: String,
    /// `InWork`, `Explained`, `Supported`, `NotSupported`, `Transferred`, `Answered`, `LeftWithoutAnswer`.
    pub status: &'static str,
    /// Received on.
    pub incoming_date: NaiveDate,
    /// Registered on.
    pub registration_date: NaiveDate,
    /// The answer's dispatch date (final statuses).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub response_date: Option<NaiveDate>,
    /// Supported only: measures taken.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actions_taken: Option<bool>,
    /// Transferred only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    /// The answer file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<Attachment>,
}

/// Where a question was forwarded by competence.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Transfer {
    /// The receiving body's ССТУ.РФ GUID.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_id: Option<String>,
    /// The date of our cover letter forwarding the appeal.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_date: Option<NaiveDate>,
    /// The outgoing number of that cover letter (its own numbering, not our registration number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transfer_number: Option<String>,
}

/// The answer file, base64.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Attachment {
    /// File name.
    pub name: String,
    /// Base64 of the bytes.
    pub content: String,
    /// Bytes before encoding (checked against the connector's limit; not sent).
    #[serde(skip)]
    pub size: usize,
}

/// What the mapping needs besides the card.
pub struct Context<'a> {
    /// The organization's GUID (`[sstu] department_id`).
    pub department_id: Option<&'a str>,
    /// Local date of a stored instant.
    pub local_date: &'a dyn Fn(NaiveDateTime) -> NaiveDate,
    /// The receiving body's GUID when the appeal was forwarded to a body of the directory.
    pub transfer_department: Option<&'a str>,
    /// The dispatched answer's file, ready to attach.
    pub attachment: Option<Attachment>,
    /// Forms and channels sent as `Electronic` (`[sstu] electronic_forms`, `electronic_channels`).
    pub electronic: (&'a [String], &'a [String]),
}

/// The connector's status of a stored per-question result. A result counts as final only once
/// the answer has been dispatched (until then the question is still `InWork` for the citizen).
pub fn status_of(result: Option<&str>, dispatched: bool) -> (&'static str, Option<bool>) {
    match (result, dispatched) {
        (Some("transferred"), _) => ("Transferred", None),
        (Some("left_without_answer"), _) => ("LeftWithoutAnswer", None),
        (Some("supported"), true) => ("Supported", Some(false)),
        (Some("supported_measures_taken"), true) => ("Supported", Some(true)),
        (Some("explained"), true) => ("Explained", None),
        (Some("not_supported"), true) => ("NotSupported", None),
        (Some("answered"), true) => ("Answered", None),
        _ => ("InWork", None),
    }
}

/// Statuses the connector takes only with the answer file.
pub const NEED_FILE: [&str; 3] = ["Explained", "Supported", "Answered"];

/// Which question carries the answer file: it goes once per appeal (the file is the appeal's
/// one answer), on the first question whose status needs it, else on the first `NotSupported`
/// one (the public clients' model has the attachment on considered questions only).
pub fn attachment_slot(statuses: &[&str]) -> Option<usize> {
    statuses.iter().position(|s| NEED_FILE.contains(s)).or_else(|| statuses.iter().position(|s| *s == "NotSupported"))
}

/// Maps a card to the connector's object (no checks: see [`super::rules::violations`]).
pub fn object(card: &CardData, ctx: Context) -> SstuAppeal {
    let a = &card.appeal;
    let is_direct = a.source_organization.is_none() && a.channel != "forwarded";
    // A direct appeal's document is the citizen's letter: it cannot be dated after the day it
    // arrived (the connector checks createDate ≤ incomingDate ≤ registrationDate).
    let (number, create_date) = if is_direct { (Some(a.reg_number.clone()), Some(a.received_on)) } else { (a.source_number.clone(), a.source_date) };
    let first = card.applicants.first();
    let dispatched = a.answer_sent_on.is_some();
    let statuses: Vec<(&'static str, Option<bool>)> = card.questions.iter().map(|q| status_of(q.result.as_deref(), dispatched)).collect();
    let slot = attachment_slot(&statuses.iter().map(|s| s.0).collect::<Vec<_>>());
    let mut attachment = ctx.attachment;
    let questions = card
        .questions
        .iter()
        .zip(statuses)
        .enumerate()
        .map(|(i, (q, (status, actions_taken)))| {
            let transfer = (status == "Transferred").then(|| Transfer {
                department_id: ctx.transfer_department.map(str::to_string),
                transfer_date: a.forward_date.or_else(|| a.forwarded_at.map(ctx.local_date)),
                transfer_number: a.forward_number.clone(),
            });
            let response_date = match status {
                "InWork" | "Transferred" => None,
                "LeftWithoutAnswer" => a.answer_sent_on.or(a.closed_on).or(q.result_on),
                _ => a.answer_sent_on,
            };
            let attachment = if slot == Some(i) { attachment.take() } else { None };
            SstuQuestion { code: q.code.clone(), status, incoming_date: a.received_on, registration_date: a.registered_on, response_date, actions_taken, transfer, attachment }
        })
        .collect();
    let (forms, channels) = ctx.electronic;
    SstuAppeal {
        department_id: ctx.department_id.map(str::to_string),
        is_direct,
        format: if forms.contains(&a.form) || channels.contains(&a.channel) { "Electronic" } else { "Other" },
        number,
        create_date,
        name: first.map(|p| p.full_name.clone()),
        address: first.and_then(|p| p.postal_address.clone()),
        email: first.and_then(|p| p.email.clone()),
        questions,
    }
}

/// The appeal's GUID in a batch file (`<guid>.json`): the appeal id itself when it is a UUID,
/// else a UUID made from the id's SHA-256, so a re-export names the file the same way.
pub fn guid_of(appeal_id: &str) -> String {
    match uuid::Uuid::parse_str(appeal_id) {
        Ok(u) => u.hyphenated().to_string(),
        Err(_) => {
            use sha2::Digest;
            let d = sha2::Sha256::digest(appeal_id.as_bytes());
            let mut b = [0u8; 16];
            b.copy_from_slice(&d[..16]);
            uuid::Builder::from_custom_bytes(b).into_uuid().hyphenated().to_string()
        }
    }
}

/// Length of the base64 text of `n` bytes.
pub fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// True for a GUID `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` (hex digits).
pub fn is_guid(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()))
}

/// True for a question or sub-question code: four or five dotted groups of four digits.
pub fn is_question_code(s: &str) -> bool {
    let parts: Vec<&str> = s.split('.').collect();
    (4..=5).contains(&parts.len()) && parts.iter().all(|p| p.len() == 4 && p.chars().all(|c| c.is_ascii_digit()))
}

/// Standard base64 with padding (RFC 4648), for the attachment's content.
pub fn base64(bytes: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (c[0] as u32) << 16 | (*c.get(1).unwrap_or(&0) as u32) << 8 | *c.get(2).unwrap_or(&0) as u32;
        for (i, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            out.push(if i <= c.len() { T[(n >> shift & 63) as usize] as char } else { '=' });
        }
    }
    out
}

/// A month `YYYY-MM`, as its first day and the first day after.
pub fn parse_month(s: &str) -> Option<(NaiveDate, NaiveDate)> {
    let (y, m) = s.split_once('-')?;
    if y.len() != 4 || m.len() != 2 {
        return None;
    }
    let first = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, 1)?;
    let next = if first.month() == 12 { NaiveDate::from_ymd_opt(first.year() + 1, 1, 1)? } else { NaiveDate::from_ymd_opt(first.year(), first.month() + 1, 1)? };
    Some((first, next))
}

