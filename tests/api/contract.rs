//! The published contract and the schema: openapi.yaml matches the code; both backends'
//! migrations match; every table answers on every backend.

use crate::support::*;

#[test]
fn committed_openapi_matches_the_code() {
    let generated = appeals::api::openapi_yaml();
    let committed = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap_or_default();
    assert!(
        committed == generated,
        "openapi.yaml is out of date: run `cargo run -- openapi > openapi.yaml`"
    );
    for path in ["/health", "/api/v1/appeals", "/api/v1/appeals/{id}", "/api/v1/appeals/{id}/history", "/api/v1/imports/appeals", "/api/v1/appeals/{id}/answers/{answer_id}/approve", "/api/v1/me/assignments", "/api/v1/classifier", "/api/v1/channels", "/api/v1/users"] {
        assert!(generated.contains(&format!("  {path}:")), "{path} missing from the document");
    }
}

#[actix_web::test]
async fn served_routes_are_the_documented_ones() {
    let app = TestApp::start(Db::Sqlite).await;
    let r = app.call("GET", "/api/v1/openapi.yaml", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.json.as_str().unwrap(), appeals::api::openapi_yaml());
    // A path the document does not have is not served.
    let r = app.call("GET", "/api/v1/nothing-here", Some(&app.admin), None).await;
    r.assert_problem(404, None);
    // Every documented operation answers something other than "no such route" (404 with no route code).
    let spec: serde_json::Value = serde_json::to_value(appeals::api::openapi()).unwrap();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let concrete = path.replace("{id}", "00000000-0000-0000-0000-000000000000").replace("{answer_id}", "00000000-0000-0000-0000-000000000000");
            let r = app.call(&method.to_uppercase(), &concrete, None, None).await;
            let open = path == "/health" || path == "/api/v1/openapi.yaml";
            assert!(r.status == 401 || open, "{method} {path} → {}", r.status);
        }
    }
}

#[test]
fn both_backends_have_the_same_migrations() {
    let names = |b: &str| {
        let mut v: Vec<String> = std::fs::read_dir(format!("{}/migrations/{b}", env!("CARGO_MANIFEST_DIR"))).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
}

#[actix_web::test]
async fn every_table_answers_on_every_backend() {
    use diesel::RunQueryDsl;
    for db in backends() {
        let app = TestApp::start(db).await;
        let tables = ["organizations", "users", "api_tokens", "classifier", "reg_counters", "appeals", "applicants", "questions", "appeal_links", "assignments", "answers", "notifications", "export_log", "history"];
        for t in tables {
            let sql = format!("SELECT COUNT(*) AS n FROM {t}");
            #[derive(diesel::QueryableByName)]
            struct N {
                #[diesel(sql_type = diesel::sql_types::BigInt)]
                n: i64,
            }
            let n: Vec<N> = match &app.pool {
                appeals::store::DbPool::Sqlite(p) => diesel::sql_query(&sql).load(&mut p.get().unwrap()).unwrap(),
                appeals::store::DbPool::Pg(p) => diesel::sql_query(&sql).load(&mut p.get().unwrap()).unwrap(),
            };
            assert!(n[0].n >= 0, "{t}");
        }
    }
}
