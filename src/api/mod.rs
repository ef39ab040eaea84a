//! The HTTP API: routes, shared state, and the OpenAPI document generated from the handlers.

pub mod actions;
pub mod appeals;
pub mod bodies;
pub mod bulk;
pub mod campaigns;
pub mod exports;
pub mod headers;
pub mod health;
pub mod import_stream;
pub mod imports;
pub mod registry_import;
pub mod metrics;
pub mod notifications;
pub mod organizations;
pub mod receptions;
pub mod reference;
pub mod stats;
pub mod tracing_span;
pub mod users;

use crate::state::AppState;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::{get, web, App, HttpResponse};
use utoipa::OpenApi;
use utoipa_actix_web::AppExt;

/// The problem document of every error (RFC 9457).
#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// Problem type URI.
    #[serde(rename = "type")]
    pub kind: String,
    /// Short summary.
    pub title: String,
    /// HTTP status.
    pub status: u16,
    /// Stable machine-readable code.
    pub code: String,
    /// What happened.
    pub detail: String,
    /// Field errors, for validation problems.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<crate::domain::validation::FieldError>>,
}

/// A problem response, as documented for each status.
fn problem_response(what: &str) -> utoipa::openapi::response::Response {
    use utoipa::openapi::{Content, Ref, ResponseBuilder};
    ResponseBuilder::new().description(what).content("application/problem+json", Content::new(Some(Ref::from_schema_name("Problem")))).build()
}

/// A response map of problems, one per (status, what it means).
fn problem_map(list: &[(&str, &str)]) -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
    list.iter().map(|(code, what)| (code.to_string(), problem_response(what).into())).collect()
}

/// What a 503 of a request means: the database out of reach (a PostgreSQL failover).
const UNAVAILABLE: &str = "the database is out of reach for now (a failover): `database_unavailable`, repeat the request after `Retry-After` seconds";

/// The problems any write with a JSON body may answer (400, 401, 403, 409, 413, 415, 422, 503).
pub struct WriteProblems;

impl utoipa::IntoResponses for WriteProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        problem_map(&[
            ("400", "malformed JSON"),
            ("401", "no or bad token"),
            ("403", "the role may not do this"),
            ("409", "a uniqueness rule (e.g. an external_id already registered; `id` names the existing appeal)"),
            ("413", "body too large"),
            ("415", "body is not JSON"),
            ("422", "invalid fields, each named in `errors`"),
            ("503", UNAVAILABLE),
        ])
    }
}

/// The problems a write to a resource named in the path may answer: those of [`WriteProblems`]
/// and 404 (no such resource in the caller's organization).
pub struct ResourceWriteProblems;

impl utoipa::IntoResponses for ResourceWriteProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        let mut map = WriteProblems::responses();
        map.extend(problem_map(&[("404", "no such resource in the caller's organization")]));
        map
    }
}

/// The problems any read may answer (400, 401, 403, 404, 422, 503).
pub struct ReadProblems;

impl utoipa::IntoResponses for ReadProblems {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        problem_map(&[
            ("400", "a query string that cannot be parsed"),
            ("401", "no or bad token"),
            ("403", "the role may not do this"),
            ("404", "no such resource, or not visible to the caller"),
            ("422", "an invalid query parameter, named in `errors`"),
            ("503", UNAVAILABLE),
        ])
    }
}

/// The responses every control action documents: the updated card, or a problem.
pub struct ActionResponses;

impl utoipa::IntoResponses for ActionResponses {
    fn responses() -> std::collections::BTreeMap<String, utoipa::openapi::RefOr<utoipa::openapi::response::Response>> {
        use utoipa::openapi::{Content, Ref, ResponseBuilder};
        let mut map = problem_map(&[
            ("400", "malformed JSON or If-Match"),
            ("401", "no or bad token"),
            ("403", "the role may not take this action"),
            ("404", "no such appeal, or not assigned to the calling executor"),
            ("409", "the action is not allowed now; `code` says why: `illegal_transition` (names the status and the allowed actions), `already_extended`, `deadline_passed`, `no_pending_answer`, `answer_already_reviewed`, `answer_not_approved`, `already_dispatched`, `nothing_to_dispatch`, `duplicate_outgoing_number`"),
            ("412", "If-Match names an older version"),
            ("413", "body too large"),
            ("415", "body is not JSON"),
            ("422", "invalid fields"),
            ("503", UNAVAILABLE),
        ]);
        let card = ResponseBuilder::new().description("the updated card; its version is also the ETag").content("application/json", Content::new(Some(Ref::from_schema_name("Card"))));
        map.insert("200".into(), card.build().into());
        map
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "appeals",
        description = "Registry and control workflow of citizens' appeals under Federal Law 59-FZ. Every endpoint except /health and /health/ready needs `Authorization: Bearer TOKEN`. Errors are application/problem+json.",
        version = "0.1.0"
    ),
    modifiers(&BearerAuth),
    // Referenced by every problem response and by the `status` filter: declared here so every
    // `$ref` of the document resolves.
    components(schemas(Problem, crate::domain::workflow::Status, crate::domain::validation::FieldError)),
    security(("bearer" = []))
)]
struct ApiDoc;

struct BearerAuth;

/// Documents `?organization=ID` on every operation that may answer 403 and 404: the region's
/// roles name the organization they read (and the regional administrator the one whose users
/// it manages); any other role may name only its own (403 otherwise). See
/// `edge::caller` for the one place the rule is applied.
struct OrganizationScope;

impl utoipa::Modify for OrganizationScope {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::path::{ParameterBuilder, ParameterIn};
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        use utoipa::openapi::Required;
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/v1/") || path.starts_with("/api/v1/organizations") {
                continue;
            }
            for op in [&mut item.get, &mut item.post, &mut item.patch, &mut item.put, &mut item.delete].into_iter().flatten() {
                let answers = |code: &str| op.responses.responses.contains_key(code);
                if !(answers("403") && answers("404")) {
                    continue;
                }
                let param = ParameterBuilder::new()
                    .name("organization")
                    .parameter_in(ParameterIn::Query)
                    .required(Required::False)
                    .description(Some("Regional roles: the id of the organization to act in (default: the caller's own). Any other role may name only its own organization (403); an id naming no organization answers 404."))
                    .schema(Some(ObjectBuilder::new().schema_type(Type::String).format(Some(utoipa::openapi::SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Uuid)))))
                    .build();
                op.parameters.get_or_insert_with(Vec::new).push(param.into());
            }
        }
    }
}

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

/// Registers every documented route.
pub fn routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(health::health)
        .service(health::ready)
        .service(
            utoipa_actix_web::scope("/api/v1")
                .service(spec)
                .service(reference::channels)
                .service(reference::classifier)
                .service(reference::users)
                .service(organizations::create_organization)
                .service(organizations::list_organizations)
                .service(organizations::get_organization)
                .service(organizations::update_organization)
                .service(users::create_user)
                .service(users::revoke_tokens)
                .service(users::update_user)
                .service(users::departments)
                .service(users::create_department)
                .service(appeals::register_appeal)
                .service(appeals::list_appeals)
                .service(appeals::my_assignments)
                .service(appeals::get_appeal)
                .service(appeals::appeal_history)
                .service(imports::import_appeals)
                .service(registry_import::import_registry)
                .service(actions::assign_executors)
                .service(actions::extend_deadline)
                .service(actions::forward_appeal)
                .service(actions::submit_answer)
                .service(actions::contribute)
                .service(actions::dispatch_answer)
                .service(actions::correct_appeal)
                .service(actions::record_consideration)
                .service(actions::approve_answer)
                .service(actions::return_answer)
                .service(actions::close_appeal)
                .service(actions::leave_without_answer)
                .service(bulk::bulk_action)
                .service(campaigns::list_campaigns)
                .service(campaigns::get_campaign)
                .service(campaigns::rename_campaign)
                .service(campaigns::leave_out)
                .service(campaigns::campaign_action)
                .service(notifications::list_notifications)
                .service(notifications::retry_notification)
                .service(stats::get_stats)
                .service(stats::annual_report)

                .service(bodies::list_bodies)
                .service(bodies::create_body)
                .service(exports::sstu_export)
                .service(exports::sstu_push)
                .service(exports::upload_answer_file)
                .service(exports::download_answer_file)
                .service(exports::gasu_appeals)
                .service(exports::gasu_reception)
                .service(receptions::list_receptions)
                .service(receptions::create_reception)
                .service(receptions::book_visitor)
                .service(receptions::register_visit)
                .service(receptions::oral_answer)
                .service(receptions::visitor_card),
        );
}

/// The OpenAPI document, generated from the handlers' annotations.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (_, mut api) = App::new().into_utoipa_app().openapi(ApiDoc::openapi()).configure(routes).split_for_parts();
    // After the routes: the parameter goes on the operations they documented.
    utoipa::Modify::modify(&OrganizationScope, &mut api);
    api
}

/// The OpenAPI document as YAML, as committed in `openapi.yaml`; generated once per process.
pub fn openapi_yaml() -> String {
    static YAML: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    YAML.get_or_init(|| openapi().to_yaml().unwrap_or_default()).clone()
}

/// Largest single request header accepted, in bytes; a larger one answers 431.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Largest sum of all request headers accepted, in bytes. (Beyond 128 KiB or 96 headers
/// the HTTP layer itself answers 431, before the application sees the request.)
pub const MAX_HEADERS_TOTAL: usize = 32 * 1024;

/// The first header that is too large, if any.
fn oversized_header(headers: &actix_web::http::header::HeaderMap) -> Option<String> {
    let mut total = 0;
    for (name, value) in headers {
        let n = name.as_str().len() + value.len();
        total += n;
        if n > MAX_HEADER_BYTES {
            return Some(name.as_str().to_string());
        }
    }
    (total > MAX_HEADERS_TOTAL).then(|| "(все заголовки вместе)".to_string())
}

/// Edge rules of every response: an oversized header answers 431 as problem+json; no response
/// is MIME-sniffed (`X-Content-Type-Options: nosniff`); nothing under `/api/` (cards, lists,
/// history, exports: personal data) is stored by a browser or proxy (`Cache-Control: no-store`).
pub fn edge_headers<S>(req: ServiceRequest, srv: &S) -> impl std::future::Future<Output = Result<ServiceResponse<actix_web::body::BoxBody>, actix_web::Error>>
where
    S: actix_web::dev::Service<ServiceRequest, Response = ServiceResponse<actix_web::body::BoxBody>, Error = actix_web::Error>,
{
    use actix_web::http::header::{HeaderValue, CACHE_CONTROL, X_CONTENT_TYPE_OPTIONS};
    let api = req.path().starts_with("/api/");
    let https = req.app_data::<web::Data<AppState>>().is_some_and(|s| s.settings.web.secure_cookie);
    let (early, fut) = match oversized_header(req.headers()) {
        Some(name) => (Some(req.error_response(crate::edge::ApiError::HeaderTooLarge(name))), None),
        None => (None, Some(srv.call(req))),
    };
    async move {
        let mut res = match (early, fut) {
            (Some(r), _) => r,
            (None, Some(f)) => f.await?,
            (None, None) => unreachable!("one of the two is set"),
        };
        let h = res.headers_mut();
        h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        if api {
            h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
        }
        headers::apply(h, https);
        Ok(res)
    }
}

/// Routes of the document as (path segments, methods), for telling 405 from 404.
fn route_table() -> &'static Vec<(Vec<String>, Vec<String>)> {
    static TABLE: std::sync::OnceLock<Vec<(Vec<String>, Vec<String>)>> = std::sync::OnceLock::new();
    TABLE.get_or_init(|| {
        let doc = serde_json::to_value(openapi()).unwrap_or_default();
        doc["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, ops)| {
                        let segments = path.split('/').map(String::from).collect();
                        let methods = ops.as_object().map(|o| o.keys().map(|m| m.to_uppercase()).collect()).unwrap_or_default();
                        (segments, methods)
                    })
                    .collect()
            })
            .unwrap_or_default()
    })
}

/// No route matched: 405 with `Allow` when the path exists under other methods, 404 otherwise.
pub async fn fallback(req: actix_web::HttpRequest) -> Result<HttpResponse, crate::edge::ApiError> {
    let segments: Vec<&str> = req.path().split('/').collect();
    for (template, methods) in route_table() {
        let same = template.len() == segments.len() && template.iter().zip(&segments).all(|(t, s)| t == s || (t.starts_with('{') && !s.is_empty()));
        if same {
            return Err(crate::edge::ApiError::MethodNotAllowed(methods.clone()));
        }
    }
    Err(crate::edge::ApiError::NotFound)
}

/// This document, as YAML.
#[utoipa::path(tag = "service", security(()), responses((status = 200, description = "the OpenAPI document", content_type = "application/yaml")))]
#[get("/openapi.yaml")]
pub async fn spec(spec: web::Data<String>) -> HttpResponse {
    HttpResponse::Ok().content_type("application/yaml").body(spec.get_ref().clone())
}
