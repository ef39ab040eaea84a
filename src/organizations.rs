//! The organizations of one instance (a region's bodies): adding one, changing its settings or
//! deactivating it. Each change refreshes the in-memory settings every request reads.

use crate::domain::error_code::ErrorCode;
use crate::domain::validation::Errors;
use crate::state::{AppState, OrgSettings};
use crate::store::models::OrganizationRow;
use crate::store::organizations::{NewOrganization, OrganizationChange};
use crate::store::ServiceError;

/// A new organization as typed by a regional administrator (API) or an operator (command line).
#[derive(Clone, Debug, Default)]
pub struct OrgInput {
    /// Stable code, unique in the instance: latin letters, digits, `-` and `_`.
    pub code: String,
    /// Name, as notices and reports print it.
    pub name: String,
    /// IANA time zone in which its dates are counted.
    pub time_zone: String,
    /// Its ССТУ.РФ department GUID (none: the config file's `[sstu] department_id`).
    pub sstu_department_id: Option<String>,
    /// The body above it (a municipality's region).
    pub parent_id: Option<String>,
    /// Start of its working day, `HH:MM` (none: the config file's `[reminders] work_start`).
    pub work_start: Option<String>,
    /// End of its working day, `HH:MM` (none: the config file's `[reminders] work_end`).
    pub work_end: Option<String>,
}

/// True for a code of latin letters, digits, `-` and `_`, 1 to 64 characters: codes appear in
/// command lines and configuration, where Cyrillic and spaces only cause trouble.
pub fn is_code(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

fn check_guid(e: &mut Errors, field: &str, v: Option<&str>) {
    if let Some(g) = v {
        let parts: Vec<&str> = g.split('-').collect();
        let ok = parts.len() == 5 && parts.iter().zip([8, 4, 4, 4, 12]).all(|(p, n)| p.len() == n && p.chars().all(|c| c.is_ascii_hexdigit()));
        if !ok {
            e.add(field, "идентификатор подразделения ССТУ.РФ — GUID вида 8-4-4-4-12 шестнадцатеричных цифр");
        }
    }
}

fn check_time_zone(e: &mut Errors, tz: &str) {
    if tz.parse::<chrono_tz::Tz>().is_err() {
        e.add("time_zone", format!("неизвестный часовой пояс «{tz}»: нужно имя из базы IANA, например Europe/Moscow"));
    }
}

fn check_template(e: &mut Errors, field: &str, t: Option<&str>) {
    if let Some(t) = t {
        if crate::domain::regnum::validate_template(t).is_err() {
            e.add(field, "в шаблоне номера нет порядкового номера {seq}");
        } else {
            e.max_len(field, t, 100);
        }
    }
}

/// Checks a body's own working hours, the config file's standing in for a half left unset: a
/// start after the end is refused whichever half the organization sets.
fn check_hours(e: &mut Errors, state: &AppState, start: Option<&str>, end: Option<&str>) {
    use crate::domain::reminders::HoursError;
    if start.is_none() && end.is_none() {
        return;
    }
    let s = start.unwrap_or(&state.settings.reminders.work_start);
    let t = end.unwrap_or(&state.settings.reminders.work_end);
    match crate::domain::reminders::check_hours(s, t) {
        Ok(()) => {}
        Err(HoursError::StartUnreadable) => e.add("work_start", "время в виде ЧЧ:ММ, например 09:00"),
        Err(HoursError::EndUnreadable) => e.add("work_end", "время в виде ЧЧ:ММ, например 18:00"),
        Err(HoursError::Empty) => e.add(if start.is_some() { "work_start" } else { "work_end" }, format!("начало рабочего дня ({s}) должно быть раньше его окончания ({t})")),
    }
}

fn parent_missing() -> ServiceError {
    ServiceError::Invalid(vec![crate::domain::validation::FieldError { field: "parent_id".into(), message: "нет такой организации".into() }])
}

fn code_taken(code: &str) -> ServiceError {
    ServiceError::Conflict { code: ErrorCode::OrganizationCodeTaken, message: format!("код организации «{code}» уже занят"), extra: serde_json::json!({"field": "code"}) }
}

/// Adds an organization: the code unique in the instance (409 naming `code`), the time zone an
/// IANA name (422 naming `time_zone`), the parent an existing organization (422 naming `parent_id`).
pub fn create(state: &AppState, input: &OrgInput) -> Result<OrganizationRow, ServiceError> {
    let mut e = Errors::default();
    let code = input.code.trim().to_string();
    if !is_code(&code) {
        e.add("code", "код: от 1 до 64 латинских букв, цифр, «-» и «_»");
    }
    e.text("name", &input.name, 300);
    check_time_zone(&mut e, input.time_zone.trim());
    let guid = input.sstu_department_id.as_deref().map(str::trim).filter(|g| !g.is_empty()).map(str::to_lowercase);
    check_guid(&mut e, "sstu_department_id", guid.as_deref());
    let parent = input.parent_id.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(String::from);
    if parent.as_deref().is_some_and(|p| uuid::Uuid::parse_str(p).is_err()) {
        e.add("parent_id", "нет такой организации");
    }
    let hour = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(String::from);
    let (work_start, work_end) = (hour(&input.work_start), hour(&input.work_end));
    check_hours(&mut e, state, work_start.as_deref(), work_end.as_deref());
    e.finish().map_err(ServiceError::Invalid)?;
    let new = NewOrganization { code: code.clone(), name: crate::domain::text::nfc(input.name.trim()), time_zone: input.time_zone.trim().into(), sstu_department_id: guid, parent_id: parent, work_start, work_end };
    let row = crate::store::organizations::create(&state.pool, &new, state.now_naive()).map_err(|err| match err {
        ServiceError::NotFound => parent_missing(),
        err if err.is_unique_violation() => code_taken(&code),
        err => err,
    })?;
    // A new organization has no appeals: its statistics rollup is complete as it is, and kept
    // by the deltas of its first registration on (not counted by the scan until a restart).
    crate::store::stats_deltas::mark_built_if_empty(&state.pool, &row.id, state.now_naive())?;
    state.orgs.put(OrgSettings::over(&row, &state.settings));
    Ok(row)
}

/// A change of an organization as typed: `None` leaves a field, an empty text clears a
/// template or GUID (back to the config file's default).
#[derive(Clone, Debug, Default)]
pub struct OrgPatch {
    /// Name.
    pub name: Option<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// ССТУ.РФ department GUID; empty clears it.
    pub sstu_department_id: Option<String>,
    /// Registration number template; empty clears it.
    pub reg_number_template: Option<String>,
    /// Outgoing number template; empty clears it.
    pub outgoing_number_template: Option<String>,
    /// Forwarding cover-letter number template; empty clears it.
    pub forward_number_template: Option<String>,
    /// `false` deactivates: it keeps its registry and users but receives nothing new.
    pub active: Option<bool>,
    /// The body above it; empty clears it.
    pub parent_id: Option<String>,
    /// Start of its working day, `HH:MM`; empty clears it.
    pub work_start: Option<String>,
    /// End of its working day, `HH:MM`; empty clears it.
    pub work_end: Option<String>,
}

/// Changes an organization in one transaction and refreshes its kept settings; 404 for an
/// unknown id, 422 naming each invalid field.
pub fn update(state: &AppState, id: &str, p: &OrgPatch) -> Result<OrganizationRow, ServiceError> {
    let clear = |v: &Option<String>| v.as_ref().map(|s| Some(s.trim().to_string()).filter(|s| !s.is_empty()));
    let mut e = Errors::default();
    if let Some(n) = &p.name {
        e.text("name", n, 300);
    }
    if let Some(tz) = &p.time_zone {
        check_time_zone(&mut e, tz.trim());
    }
    let guid = clear(&p.sstu_department_id).map(|g| g.map(|g| g.to_lowercase()));
    check_guid(&mut e, "sstu_department_id", guid.clone().flatten().as_deref());
    let (reg, out, fwd) = (clear(&p.reg_number_template), clear(&p.outgoing_number_template), clear(&p.forward_number_template));
    check_template(&mut e, "reg_number_template", reg.clone().flatten().as_deref());
    check_template(&mut e, "outgoing_number_template", out.clone().flatten().as_deref());
    check_template(&mut e, "forward_number_template", fwd.clone().flatten().as_deref());
    let (work_start, work_end) = (clear(&p.work_start), clear(&p.work_end));
    if work_start.is_some() || work_end.is_some() {
        // The hours in force after the change: the changed half over what the body has now.
        let now = crate::store::organizations::get(&state.pool, id).ok().flatten();
        let kept = |v: &Option<Option<String>>, had: Option<String>| v.clone().unwrap_or(had);
        let start = kept(&work_start, now.as_ref().and_then(|r| r.work_start.clone()));
        let end = kept(&work_end, now.as_ref().and_then(|r| r.work_end.clone()));
        check_hours(&mut e, state, start.as_deref(), end.as_deref());
    }
    let parent = clear(&p.parent_id);
    match parent.clone().flatten() {
        Some(pid) if pid == id => e.add("parent_id", "организация не может быть подчинена самой себе"),
        Some(pid) if uuid::Uuid::parse_str(&pid).is_err() => e.add("parent_id", "нет такой организации"),
        _ => {}
    }
    e.finish().map_err(ServiceError::Invalid)?;
    if uuid::Uuid::parse_str(id).is_err() {
        return Err(ServiceError::NotFound);
    }
    if parent.clone().flatten().is_some_and(|pid| crate::store::organizations::get(&state.pool, &pid).ok().flatten().is_none()) {
        return Err(parent_missing());
    }
    let change = OrganizationChange {
        name: p.name.as_ref().map(|n| crate::domain::text::nfc(n.trim())),
        time_zone: p.time_zone.as_ref().map(|t| t.trim().to_string()),
        sstu_department_id: guid,
        reg_number_template: reg,
        outgoing_number_template: out,
        forward_number_template: fwd,
        active: p.active,
        parent_id: parent,
        work_start,
        work_end,
    };
    let row = crate::store::organizations::update(&state.pool, id, &change)?;
    state.orgs.put(OrgSettings::over(&row, &state.settings));
    Ok(row)
}
