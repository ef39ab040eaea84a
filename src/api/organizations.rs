//! The organizations of the instance (a region's bodies): the regional administrator adds them,
//! changes their settings and deactivates them; an organization's own administrator reads its own.

use super::{AppState, ReadProblems, ResourceWriteProblems, WriteProblems};
use crate::domain::roles::{allows, Capability, Role};
use crate::edge::{ApiError, Caller, ValidJson};
use crate::store::models::OrganizationRow;
use actix_web::{get, patch, post, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A new organization.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOrganizationBody {
    /// Stable code, unique in the instance (latin letters, digits, `-`, `_`).
    pub code: String,
    /// Name, as notices and reports print it.
    pub name: String,
    /// IANA time zone, e.g. `Europe/Moscow`.
    pub time_zone: String,
    /// Its ССТУ.РФ department GUID (none: the config file's `[sstu] department_id`).
    #[serde(default)]
    pub sstu_department_id: Option<String>,
    /// The body above it (a municipality's region).
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Start of its working day, `HH:MM`: staff reminders reach its people from then, in its
    /// time zone (none: the config file's `[reminders] work_start`).
    #[serde(default)]
    pub work_start: Option<String>,
    /// End of its working day, `HH:MM` (none: the config file's `[reminders] work_end`).
    #[serde(default)]
    pub work_end: Option<String>,
}

/// A change of an organization; absent members stay, an empty text clears a template or GUID
/// (back to the config file's default).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrganizationPatch {
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// IANA time zone.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// ССТУ.РФ department GUID; `""` clears it.
    #[serde(default)]
    pub sstu_department_id: Option<String>,
    /// Registration number template, e.g. `ОГ-{year}-{seq:06}`; `""` clears it.
    #[serde(default)]
    pub reg_number_template: Option<String>,
    /// Outgoing number template of dispatched answers; `""` clears it.
    #[serde(default)]
    pub outgoing_number_template: Option<String>,
    /// Cover-letter number template when forwarding; `""` clears it.
    #[serde(default)]
    pub forward_number_template: Option<String>,
    /// `false` deactivates it: it keeps its registry and users but receives nothing new.
    #[serde(default)]
    pub active: Option<bool>,
    /// The body above it; `""` clears it.
    #[serde(default)]
    pub parent_id: Option<String>,
    /// Start of its working day, `HH:MM`; `""` clears it.
    #[serde(default)]
    pub work_start: Option<String>,
    /// End of its working day, `HH:MM`; `""` clears it.
    #[serde(default)]
    pub work_end: Option<String>,
}

/// An organization: its own settings (`null` where the config file's default applies) and the
/// effective ones.
#[derive(Serialize, ToSchema)]
pub struct Organization {
    /// Id.
    pub id: String,
    /// Stable code.
    pub code: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// Its ССТУ.РФ department GUID, if set.
    pub sstu_department_id: Option<String>,
    /// Its registration number template, if set.
    pub reg_number_template: Option<String>,
    /// Its outgoing number template, if set.
    pub outgoing_number_template: Option<String>,
    /// Its forwarding number template, if set.
    pub forward_number_template: Option<String>,
    /// False once deactivated.
    pub active: bool,
    /// The body above it.
    pub parent_id: Option<String>,
    /// Its own start of the working day, if set.
    pub work_start: Option<String>,
    /// Its own end of the working day, if set.
    pub work_end: Option<String>,
    /// The settings in force: its own over the config file's defaults.
    pub effective: EffectiveSettings,
}

/// The settings an organization works with.
#[derive(Serialize, ToSchema)]
pub struct EffectiveSettings {
    /// Registration number template.
    pub reg_number_template: String,
    /// Outgoing number template.
    pub outgoing_number_template: String,
    /// Forwarding number template.
    pub forward_number_template: String,
    /// ССТУ.РФ department GUID of its exports.
    pub sstu_department_id: Option<String>,
    /// Start of the working day in force, `HH:MM`.
    pub work_start: String,
    /// End of the working day in force, `HH:MM`.
    pub work_end: String,
}

/// The created organization's id.
#[derive(Serialize, ToSchema)]
pub struct CreatedOrganization {
    /// Id.
    pub id: String,
    /// The organization.
    pub organization: Organization,
}

/// Organizations.
#[derive(Serialize, ToSchema)]
pub struct OrganizationList {
    /// By code.
    pub items: Vec<Organization>,
}

fn view(state: &AppState, r: OrganizationRow) -> Organization {
    let e = crate::state::OrgSettings::over(&r, &state.settings);
    Organization {
        id: r.id,
        code: r.code,
        name: r.name,
        time_zone: r.time_zone,
        sstu_department_id: r.sstu_department_id,
        reg_number_template: r.reg_number_template,
        outgoing_number_template: r.outgoing_number_template,
        forward_number_template: r.forward_number_template,
        active: r.active,
        parent_id: r.parent_id,
        work_start: r.work_start,
        work_end: r.work_end,
        effective: EffectiveSettings {
            reg_number_template: e.reg_number_template,
            outgoing_number_template: e.outgoing_number_template,
            forward_number_template: e.forward_number_template,
            sstu_department_id: e.sstu_department_id,
            work_start: e.work_start,
            work_end: e.work_end,
        },
    }
}

/// Adds an organization to the instance (regional administrator). A taken code answers 409
/// naming `code`; an unknown time zone or parent 422 naming the field.
#[utoipa::path(tag = "organizations", request_body = NewOrganizationBody,
    responses((status = 201, body = CreatedOrganization), WriteProblems))]
#[post("/organizations")]
pub async fn create_organization(caller: Caller, state: web::Data<AppState>, body: ValidJson<NewOrganizationBody>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageOrganizations)?;
    let b = body.0;
    let input = crate::organizations::OrgInput { code: b.code, name: b.name, time_zone: b.time_zone, sstu_department_id: b.sstu_department_id, parent_id: b.parent_id, work_start: b.work_start, work_end: b.work_end };
    let st = state.clone();
    let row = web::block(move || crate::organizations::create(&st, &input)).await??;
    tracing::info!(organization = %row.id, code = %row.code, actor = %caller.login, "organization created");
    let id = row.id.clone();
    Ok(HttpResponse::Created().insert_header(("Location", format!("/api/v1/organizations/{id}"))).json(CreatedOrganization { id, organization: view(&state, row) }))
}

/// The organizations of the instance (regional roles); an organization's administrator sees
/// only its own.
#[utoipa::path(tag = "organizations", responses((status = 200, body = OrganizationList), ReadProblems))]
#[get("/organizations")]
pub async fn list_organizations(caller: Caller, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    if !caller.role.regional() && caller.role != Role::Admin {
        return Err(ApiError::Forbidden(format!("роль «{}» не позволяет это действие", caller.role.label())));
    }
    let pool = state.pool.clone();
    let rows = web::block(move || crate::store::organizations::list(&pool)).await??;
    let own = caller.org.clone();
    let items = rows.into_iter().filter(|r| caller.role.regional() || r.id == own).map(|r| view(&state, r)).collect();
    Ok(HttpResponse::Ok().json(OrganizationList { items }))
}

/// One organization (regional roles; an organization's administrator its own, 404 for others).
#[utoipa::path(tag = "organizations", params(("id" = String, Path, description = "organization id")),
    responses((status = 200, body = Organization), ReadProblems))]
#[get("/organizations/{id}")]
pub async fn get_organization(caller: Caller, state: web::Data<AppState>, id: web::Path<String>) -> Result<HttpResponse, ApiError> {
    if !caller.role.regional() && caller.role != Role::Admin {
        return Err(ApiError::Forbidden(format!("роль «{}» не позволяет это действие", caller.role.label())));
    }
    let id = id.into_inner();
    if uuid::Uuid::parse_str(&id).is_err() || (!caller.role.regional() && id != caller.org) {
        return Err(ApiError::NotFound);
    }
    let pool = state.pool.clone();
    let row = web::block(move || crate::store::organizations::get(&pool, &id)).await??.ok_or(ApiError::NotFound)?;
    Ok(HttpResponse::Ok().json(view(&state, row)))
}

/// Changes an organization's name or settings, or deactivates it (`"active": false`; regional
/// administrator). Takes effect at once in this process, within a minute in the others.
#[utoipa::path(tag = "organizations", request_body = OrganizationPatch, params(("id" = String, Path, description = "organization id")),
    responses((status = 200, body = Organization), ResourceWriteProblems))]
#[patch("/organizations/{id}")]
pub async fn update_organization(caller: Caller, state: web::Data<AppState>, id: web::Path<String>, body: ValidJson<OrganizationPatch>) -> Result<HttpResponse, ApiError> {
    caller.require(Capability::ManageOrganizations)?;
    let id = id.into_inner();
    let b = body.0;
    let patch = crate::organizations::OrgPatch {
        name: b.name,
        time_zone: b.time_zone,
        sstu_department_id: b.sstu_department_id,
        reg_number_template: b.reg_number_template,
        outgoing_number_template: b.outgoing_number_template,
        forward_number_template: b.forward_number_template,
        active: b.active,
        parent_id: b.parent_id,
        work_start: b.work_start,
        work_end: b.work_end,
    };
    let st = state.clone();
    let target = id.clone();
    let row = web::block(move || crate::organizations::update(&st, &target, &patch)).await??;
    tracing::info!(organization = %id, active = row.active, actor = %caller.login, "organization changed");
    Ok(HttpResponse::Ok().json(view(&state, row)))
}

/// True when the caller may name organization `org` for a new user: a regional administrator
/// any, an organization's administrator only its own.
pub fn may_add_users_to(caller: &Caller, org: &str) -> bool {
    allows(caller.role, Capability::ManageAnyOrganizationUsers) || (allows(caller.role, Capability::ManageUsers) && org == caller.org)
}
