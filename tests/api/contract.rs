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
            let open = path == "/health" || path == "/health/ready" || path == "/api/v1/openapi.yaml";
            assert!(r.status == 401 || open, "{method} {path} → {}", r.status);
        }
    }
}

/// The two migration folders hold the same migrations, statement for statement; they may
/// differ only where a column type must (SQLite's INTEGER/BLOB/REAL against PostgreSQL's).
#[test]
fn both_backends_have_the_same_migrations() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let names = |b: &str| {
        let mut v: Vec<String> = std::fs::read_dir(format!("{root}/{b}")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    for m in names("sqlite") {
        for file in ["up.sql", "down.sql"] {
            let read = |b: &str| std::fs::read_to_string(format!("{root}/{b}/{m}/{file}")).unwrap_or_default();
            let (lite, pg) = (normalized_sql(&read("sqlite")), normalized_sql(&read("postgres")));
            assert_eq!(lite.len(), pg.len(), "{m}/{file}: the backends' migrations have different numbers of lines");
            for (a, b) in lite.iter().zip(&pg) {
                assert_eq!(a, b, "{m}/{file}: the backends differ beyond column types");
            }
        }
    }
}

/// A migration's lines without comments and blank lines, with each backend's spelling of the
/// same column type replaced by one word. A block between `-- backend-specific: begin` and
/// `-- backend-specific: end` (an index only one backend has a kind of, like the registry's
/// trigram search) becomes one placeholder line: both backends must have it in the same place.
fn normalized_sql(sql: &str) -> Vec<String> {
    let mut kept = String::new();
    let mut inside = false;
    for line in sql.lines() {
        match line.trim() {
            "-- backend-specific: begin" => {
                assert!(!inside, "nested backend-specific block");
                inside = true;
                kept.push_str("BACKEND-SPECIFIC BLOCK\n");
            }
            "-- backend-specific: end" => {
                assert!(inside, "backend-specific block ends before it begins");
                inside = false;
            }
            _ if !inside => {
                kept.push_str(line);
                kept.push('\n');
            }
            _ => {}
        }
    }
    assert!(!inside, "unterminated backend-specific block");
    let sql = kept;
    const TYPES: [(&str, &str); 8] = [
        ("BIGSERIAL", "INT"),
        ("BIGINT", "INT"),
        ("INTEGER", "INT"),
        ("DOUBLE PRECISION", "REAL"),
        ("BYTEA", "BLOB"),
        ("BOOLEAN", "BOOL"),
        ("AUTOINCREMENT", ""),
        ("TIMESTAMP", "TIMESTAMP"),
    ];
    sql.lines()
        .map(|l| l.split("--").next().unwrap_or("").trim().to_string())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut u = l.to_uppercase();
            for (from, to) in TYPES {
                u = u.replace(from, to);
            }
            u.split_whitespace().collect::<Vec<_>>().join(" ").replace(" ,", ",")
        })
        .collect()
}

both_backends!(every_table_answers_on_every_backend);
/// Every table of the schema can be queried, and a fresh database holds exactly its seed: one
/// organization, the test's five users with a token each, the shipped classifier, nothing else.
async fn every_table_answers_on_every_backend(db: Db) {
    use diesel::RunQueryDsl;
    let app = TestApp::start(db).await;
    let tables = [("organizations", Some(1)), ("users", Some(7)), ("api_tokens", Some(7)), ("classifier", None), ("reg_counters", Some(0)), ("appeals", Some(0)), ("applicants", Some(0)), ("questions", Some(0)), ("appeal_links", Some(0)), ("assignments", Some(0)), ("answers", Some(0)), ("notifications", Some(0)), ("export_log", Some(0)), ("history", Some(0))];
    for (t, expected) in tables {
        let sql = format!("SELECT COUNT(*) AS n FROM {t}");
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let n: Vec<N> = match &app.pool {
            appeals::store::DbPool::Sqlite(p) => diesel::sql_query(&sql).load(&mut p.get().unwrap()),
            appeals::store::DbPool::Pg(p) => diesel::sql_query(&sql).load(&mut p.get().unwrap()),
        }
        .unwrap_or_else(|e| panic!("{t} cannot be queried on {db:?}: {e}"));
        match expected {
            Some(want) => assert_eq!(n[0].n, want, "{t} on {db:?}"),
            None => assert!(n[0].n > 2000, "{t}: the shipped classifier is loaded ({} rows)", n[0].n),
        }
    }
}
