//! The ССТУ.РФ monthly export (Decree 171; docs/domain.md §6): one object per appeal in the
//! connector's JSON model, checked against the connector's rules before anything is sent.
//!
//! Which appeals belong to a month: those registered in it, plus those whose consideration
//! ended in it (answer dispatched, removed from control, forwarded by competence), since the
//! connector takes results monthly and a result reported in October may close an appeal of
//! September. Only 59-FZ appeals are reported. A re-export of unchanged data is byte-identical;
//! a delta (`since_last`) sends the objects that differ from what the month's log already holds.

use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::exports::{AnswerFileRow, ExportLogRow, Period};
use crate::store::StoreError;
use chrono::{Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

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

/// A rule the object breaks, with the appeal's registration number.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Violation {
    /// The appeal's registration number.
    pub reg_number: String,
    /// The object's field, e.g. `questions[0].responseDate`.
    pub field: String,
    /// What is wrong, in Russian.
    pub message: String,
}

/// What the mapping needs besides the card.
pub struct Context<'a> {
    /// The organization's GUID (`[sstu] department_id`).
    pub department_id: Option<&'a str>,
    /// Local date of a stored instant.
    pub local_date: &'a dyn Fn(NaiveDateTime) -> NaiveDate,
    /// The receiving body's GUID when the appeal was forwarded to a body of the directory.
    pub transfer_department: Option<&'a str>,
    /// The dispatched answer's file.
    pub file: Option<&'a AnswerFileRow>,
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

/// Maps a card to the connector's object (no checks: see [`violations`]).
pub fn object(card: &CardData, ctx: &Context) -> SstuAppeal {
    let a = &card.appeal;
    let is_direct = a.source_organization.is_none() && a.channel != "forwarded";
    // A direct appeal's document is the citizen's letter: it cannot be dated after the day it
    // arrived (the connector checks createDate ≤ incomingDate ≤ registrationDate).
    let (number, create_date) = if is_direct { (Some(a.reg_number.clone()), Some(a.received_on)) } else { (a.source_number.clone(), a.source_date) };
    let first = card.applicants.first();
    let dispatched = a.answer_sent_on.is_some();
    let questions = card
        .questions
        .iter()
        .map(|q| {
            let (status, actions_taken) = status_of(q.result.as_deref(), dispatched);
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
            let attachment = match (status, ctx.file) {
                ("InWork" | "Transferred", _) | (_, None) => None,
                (_, Some(f)) => Some(Attachment { name: f.file_name.clone(), content: base64(&f.content), size: f.content.len() }),
            };
            SstuQuestion { code: q.code.clone(), status, incoming_date: a.received_on, registration_date: a.registered_on, response_date, actions_taken, transfer, attachment }
        })
        .collect();
    SstuAppeal {
        department_id: ctx.department_id.map(str::to_string),
        is_direct,
        format: if a.form == "electronic" { "Electronic" } else { "Other" },
        number,
        create_date,
        name: first.map(|p| p.full_name.clone()),
        address: first.and_then(|p| p.postal_address.clone()),
        email: first.and_then(|p| p.email.clone()),
        questions,
    }
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

/// The connector's rules: required fields, GUID and code format, date order, attachment size.
pub fn violations(o: &SstuAppeal, reg_number: &str, max_attachment: usize) -> Vec<Violation> {
    let mut v = Vec::new();
    let mut add = |field: String, message: &str| v.push(Violation { reg_number: reg_number.into(), field, message: message.into() });
    match &o.department_id {
        None => add("departmentId".into(), "не задан идентификатор органа в ССТУ.РФ ([sstu] department_id)"),
        Some(g) if !is_guid(g) => add("departmentId".into(), "идентификатор органа в ССТУ.РФ должен быть GUID"),
        _ => {}
    }
    if o.number.as_deref().is_none_or(|n| n.trim().is_empty()) {
        add("number".into(), if o.is_direct { "нет регистрационного номера" } else { "нет номера сопроводительного письма" });
    }
    if o.create_date.is_none() {
        add("createDate".into(), if o.is_direct { "нет даты регистрации" } else { "нет даты сопроводительного письма" });
    }
    if o.questions.is_empty() {
        add("questions".into(), "нет ни одного вопроса");
    }
    for (i, q) in o.questions.iter().enumerate() {
        let f = |name: &str| format!("questions[{i}].{name}");
        if !is_question_code(&q.code) {
            add(f("code"), "код вопроса — 4 или 5 групп по 4 цифры через точку (уровень вопроса или подвопроса)");
        }
        if q.registration_date < q.incoming_date {
            add(f("registrationDate"), "дата регистрации раньше даты поступления");
        }
        if o.create_date.is_some_and(|c| q.incoming_date < c) {
            add(f("incomingDate"), if o.is_direct { "дата поступления раньше даты обращения" } else { "дата поступления раньше даты сопроводительного письма" });
        }
        let final_status = !matches!(q.status, "InWork" | "Transferred");
        match q.response_date {
            None if final_status => add(f("responseDate"), "для итогового статуса нужна дата ответа"),
            Some(d) if d < q.registration_date => add(f("responseDate"), "дата ответа раньше даты регистрации"),
            _ => {}
        }
        if (q.status == "Supported") != q.actions_taken.is_some() {
            add(f("actionsTaken"), "признак «меры приняты» передаётся только для статуса Supported");
        }
        match (&q.transfer, q.status) {
            (None, "Transferred") => add(f("transfer"), "для статуса Transferred нужны сведения о направлении"),
            (Some(t), _) => {
                match &t.department_id {
                    None => add(f("transfer.departmentId"), "орган, куда направлено обращение, не выбран из справочника или не имеет GUID ССТУ.РФ"),
                    Some(g) if !is_guid(g) => add(f("transfer.departmentId"), "GUID органа в ССТУ.РФ указан неверно"),
                    _ => {}
                }
                match t.transfer_date {
                    None => add(f("transfer.transferDate"), "нет даты сопроводительного письма о направлении"),
                    Some(d) if d < q.registration_date => add(f("transfer.transferDate"), "дата направления раньше даты регистрации"),
                    _ => {}
                }
                if t.transfer_number.as_deref().is_none_or(|n| n.trim().is_empty()) {
                    add(f("transfer.transferNumber"), "нет исходящего номера сопроводительного письма о направлении");
                }
            }
            _ => {}
        }
        if let Some(at) = &q.attachment {
            if at.size > max_attachment {
                add(f("attachment"), &format!("файл ответа больше допустимых {max_attachment} байт"));
            }
            if at.size == 0 || at.name.trim().is_empty() {
                add(f("attachment"), "пустой файл ответа или нет имени файла");
            }
        }
    }
    v
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

/// The export body: `{"items": [...]}`.
#[derive(Serialize)]
pub struct ExportBody<'a> {
    /// One object per appeal.
    pub items: Vec<&'a SstuAppeal>,
}

/// Why an export did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Bad data: every violation, nothing exported.
    #[error("{} violations", .0.len())]
    Invalid(Vec<Violation>),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The connector did not take the export after every attempt.
    #[error("push failed: {0}")]
    Push(String),
}

/// POSTs `body` (JSON) to the connector at `http://host:port/path`, retrying `attempts` times
/// with a growing pause; a 2xx answer is success. Returns the attempts it took.
pub fn push(url: &str, body: &[u8], attempts: u32, backoff_ms: u64) -> Result<u32, String> {
    let rest = url.strip_prefix("http://").ok_or("push_url: only http://host:port/path (the connector runs in the body's network)")?;
    let (host, path) = rest.split_once('/').map(|(h, p)| (h, format!("/{p}"))).unwrap_or((rest, "/".into()));
    let mut last = String::new();
    for n in 1..=attempts.max(1) {
        if n > 1 {
            std::thread::sleep(std::time::Duration::from_millis(backoff_ms * (n as u64 - 1)));
        }
        match post_once(host, &path, body) {
            Ok(status) if (200..300).contains(&status) => return Ok(n),
            Ok(status) => last = format!("HTTP {status}"),
            Err(e) => last = e,
        }
        tracing::warn!(attempt = n, error = %last, "sstu push failed");
    }
    Err(format!("коннектор не принял выгрузку после {} попыток: {last}", attempts.max(1)))
}

fn post_once(host: &str, path: &str, body: &[u8]) -> Result<u16, String> {
    use std::io::{Read, Write};
    use std::net::ToSocketAddrs;
    let timeout = std::time::Duration::from_secs(30);
    let addr = host.to_socket_addrs().map_err(|e| e.to_string())?.next().ok_or("push_url: no address")?;
    let mut s = std::net::TcpStream::connect_timeout(&addr, timeout).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(timeout)).ok();
    s.set_write_timeout(Some(timeout)).ok();
    let head = format!("POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len());
    s.write_all(head.as_bytes()).and_then(|_| s.write_all(body)).map_err(|e| e.to_string())?;
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    while !answer.windows(2).any(|w| w == b"\r\n") {
        let n = s.read(&mut buf).map_err(|e| e.to_string())?;
        if n == 0 {
            break;
        }
        answer.extend_from_slice(&buf[..n]);
    }
    let line = String::from_utf8_lossy(&answer);
    line.split_whitespace().nth(1).and_then(|c| c.parse().ok()).ok_or_else(|| "ответ коннектора не HTTP".to_string())
}

/// A finished export: the exact bytes sent and how many objects.
pub struct Exported {
    /// `{"items": [...]}` as sent.
    pub body: Vec<u8>,
    /// Objects.
    pub items: usize,
    /// Delivery attempts, when pushed.
    pub attempts: Option<u32>,
}

/// The log target of this export.
pub const TARGET: &str = "sstu";

/// Exports month `month` (`YYYY-MM`) of organization `org`: builds, validates, logs (who, when,
/// what) and returns the body; with `since_last`, only objects that differ from the month's log.
pub fn export(state: &AppState, org: &str, actor: Option<&str>, month: &str, since_last: bool) -> Result<Exported, ExportError> {
    export_with(state, org, actor, month, since_last, None)
}

/// A delivery of the export body: the attempts it took, or why it failed.
pub type Deliver<'a> = &'a dyn Fn(&[u8]) -> Result<u32, String>;

/// [`export`], handing the body to `deliver` before logging it: a failed delivery logs nothing,
/// so the next delta still carries those objects.
pub fn export_with(state: &AppState, org: &str, actor: Option<&str>, month: &str, since_last: bool, deliver: Option<Deliver>) -> Result<Exported, ExportError> {
    let (from, to) = parse_month(month).ok_or_else(|| ExportError::Invalid(vec![Violation { reg_number: String::new(), field: "month".into(), message: "месяц в виде ГГГГ-ММ".into() }]))?;
    let period = Period { from, to, from_at: state.start_of(from), to_at: state.start_of(to) };
    let pool = &state.pool;
    let cards: Vec<CardData> = crate::store::exports::month_cards(pool, org, &period)?.into_iter().filter(|c| c.appeal.legal_regime == "fz59").collect();
    let names: Vec<String> = cards.iter().filter_map(|c| c.appeal.forwarded_to.clone()).collect();
    let guids: HashMap<String, Option<String>> = crate::store::bodies::by_names(pool, org, &names)?.into_iter().map(|b| (b.name, b.sstu_department_id)).collect();
    let ids: Vec<String> = cards.iter().map(|c| c.appeal.id.clone()).collect();
    let files: HashMap<String, AnswerFileRow> = crate::store::exports::files_of(pool, org, &ids)?.into_iter().map(|f| (f.answer_id.clone(), f)).collect();
    let tz = state.settings.time_zone();
    let local = move |t: NaiveDateTime| t.and_utc().with_timezone(&tz).date_naive();
    let department = state.settings.sstu.department_id.as_deref();
    let limit = state.settings.sstu.attachment_limit();
    let mut objects = Vec::with_capacity(cards.len());
    let mut bad = Vec::new();
    for card in &cards {
        let dispatched = card.answers.iter().rev().find(|a| a.sent_on.is_some());
        let file = dispatched.and_then(|a| files.get(&a.id));
        let transfer_department = card.appeal.forwarded_to.as_ref().and_then(|n| guids.get(n)).and_then(|g| g.as_deref());
        let o = object(card, &Context { department_id: department, local_date: &local, transfer_department, file });
        bad.extend(violations(&o, &card.appeal.reg_number, limit));
        objects.push((card.appeal.id.clone(), o));
    }
    if !bad.is_empty() {
        return Err(ExportError::Invalid(bad));
    }
    if since_last {
        // What the connector already has for this month: the last object sent per appeal.
        let mut sent: BTreeMap<String, serde_json::Value> = BTreeMap::new();
        for log in crate::store::exports::export_logs(pool, org, TARGET, month)? {
            if let Ok(serde_json::Value::Array(items)) = serde_json::from_str::<serde_json::Value>(&log.payload) {
                for it in items {
                    if let (Some(id), Some(obj)) = (it["id"].as_str(), it.get("item")) {
                        sent.insert(id.to_string(), obj.clone());
                    }
                }
            }
        }
        objects.retain(|(id, o)| sent.get(id) != Some(&serde_json::to_value(o).unwrap_or_default()));
    }
    let body = serde_json::to_vec(&ExportBody { items: objects.iter().map(|(_, o)| o).collect() }).map_err(|e| StoreError::Migration(e.to_string()))?;
    let attempts = match deliver {
        Some(d) => Some(d(&body).map_err(ExportError::Push)?),
        None => None,
    };
    let payload = serde_json::Value::Array(objects.iter().map(|(id, o)| serde_json::json!({"id": id, "item": o})).collect()).to_string();
    let row = ExportLogRow {
        id: crate::store::exports::log_id(month, crate::store::exports::count_exports(pool, org, TARGET, month)?),
        organization_id: org.into(),
        target: TARGET.into(),
        period: month.into(),
        created_at: state.now_naive(),
        created_by: actor.map(Into::into),
        items: objects.len() as i32,
        payload,
    };
    crate::store::exports::log_export(pool, &row)?;
    Ok(Exported { body, items: objects.len(), attempts })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GUID: &str = "3fa85f64-5717-4562-b3fc-2c963f66afa6";

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn good() -> SstuAppeal {
        SstuAppeal {
            department_id: Some(GUID.into()),
            is_direct: true,
            format: "Other",
            number: Some("ОГ-2025-000001".into()),
            create_date: Some(d("2025-10-01")),
            name: Some("Иванов Иван Иванович".into()),
            address: None,
            email: None,
            questions: vec![SstuQuestion {
                code: "0003.0009.0097.0699".into(),
                status: "Explained",
                incoming_date: d("2025-10-01"),
                registration_date: d("2025-10-02"),
                response_date: Some(d("2025-10-20")),
                actions_taken: None,
                transfer: None,
                attachment: None,
            }],
        }
    }

    fn fields(o: &SstuAppeal) -> Vec<String> {
        violations(o, "ОГ-1", 10).into_iter().map(|v| v.field).collect()
    }

    #[test]
    fn a_good_object_passes() {
        assert!(fields(&good()).is_empty());
    }

    #[test]
    fn every_rule_has_a_failing_case() {
        let mut o = good();
        o.department_id = None;
        assert_eq!(fields(&o), ["departmentId"]);
        o.department_id = Some("not-a-guid".into());
        assert_eq!(fields(&o), ["departmentId"]);

        let mut o = good();
        o.number = None;
        o.create_date = None;
        assert_eq!(fields(&o), ["number", "createDate"]);

        let mut o = good();
        o.questions.clear();
        assert_eq!(fields(&o), ["questions"]);

        let mut o = good();
        o.create_date = Some(d("2025-10-02"));
        assert_eq!(fields(&o), ["questions[0].incomingDate"]);

        let mut o = good();
        o.questions[0].code = "0003.0009".into();
        assert_eq!(fields(&o), ["questions[0].code"]);

        let mut o = good();
        o.questions[0].registration_date = d("2025-09-30");
        assert_eq!(fields(&o), ["questions[0].registrationDate"]);

        let mut o = good();
        o.questions[0].response_date = Some(d("2025-10-01"));
        assert_eq!(fields(&o), ["questions[0].responseDate"]);
        o.questions[0].response_date = None;
        assert_eq!(fields(&o), ["questions[0].responseDate"]);

        let mut o = good();
        o.questions[0].status = "Supported";
        assert_eq!(fields(&o), ["questions[0].actionsTaken"]);

        let mut o = good();
        o.questions[0].status = "Transferred";
        o.questions[0].response_date = None;
        assert_eq!(fields(&o), ["questions[0].transfer"]);
        o.questions[0].transfer = Some(Transfer { department_id: None, transfer_date: Some(d("2025-10-01")), transfer_number: Some("ОГ-пер-1".into()) });
        assert_eq!(fields(&o), ["questions[0].transfer.departmentId", "questions[0].transfer.transferDate"]);
        o.questions[0].transfer = Some(Transfer { department_id: Some(GUID.into()), transfer_date: None, transfer_number: None });
        assert_eq!(fields(&o), ["questions[0].transfer.transferDate", "questions[0].transfer.transferNumber"]);
        o.questions[0].transfer = Some(Transfer { department_id: Some(GUID.into()), transfer_date: Some(d("2025-10-03")), transfer_number: Some(" ".into()) });
        assert_eq!(fields(&o), ["questions[0].transfer.transferNumber"]);

        let mut o = good();
        o.questions[0].attachment = Some(Attachment { name: "otvet.pdf".into(), content: String::new(), size: 11 });
        assert_eq!(fields(&o), ["questions[0].attachment"]);
        o.questions[0].attachment = Some(Attachment { name: "otvet.pdf".into(), content: String::new(), size: 0 });
        assert_eq!(fields(&o), ["questions[0].attachment"]);
    }

    #[test]
    fn statuses_come_from_results_once_the_answer_is_sent() {
        assert_eq!(status_of(None, true), ("InWork", None));
        assert_eq!(status_of(Some("explained"), false), ("InWork", None));
        assert_eq!(status_of(Some("explained"), true), ("Explained", None));
        assert_eq!(status_of(Some("supported_measures_taken"), true), ("Supported", Some(true)));
        assert_eq!(status_of(Some("supported"), true), ("Supported", Some(false)));
        assert_eq!(status_of(Some("transferred"), false), ("Transferred", None));
        assert_eq!(status_of(Some("left_without_answer"), false), ("LeftWithoutAnswer", None));
    }

    #[test]
    fn base64_matches_rfc_4648() {
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn months_parse() {
        assert_eq!(parse_month("2025-12"), Some((d("2025-12-01"), d("2026-01-01"))));
        assert_eq!(parse_month("2025-13"), None);
        assert_eq!(parse_month("2025-1"), None);
        assert!(is_guid(GUID) && !is_guid("3fa85f64"));
        assert!(is_question_code("0004.0015.0158.0965.0064") && !is_question_code("0005"));
    }
}
