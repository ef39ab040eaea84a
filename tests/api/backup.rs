//! Backups that restore: `appeals backup` taken by the binary while 500 registrations run
//! against the server, restored into a fresh folder, and a server started on the copy holds
//! every appeal acknowledged before the backup began, whole. On PostgreSQL the command
//! explains the production way and fails instead of pretending.

use crate::support::*;
use diesel::RunQueryDsl;
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// Runs the binary with `DATABASE_URL` and the shipped configuration; returns (success, stdout, stderr).
fn appeals_cmd(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_appeals"))
        .args(args)
        .env("APPEALS_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .output()
        .expect("run appeals");
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn scratch() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("appeals-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

both_backends!(a_backup_taken_under_registrations_restores_every_acknowledged_appeal);
async fn a_backup_taken_under_registrations_restores_every_acknowledged_appeal(db: Db) {
    let app = TestApp::start(db).await;
    let url = app.state.settings.database_url.clone();
    let dir = scratch();
    let copy = dir.join("copy.db");
    if db == Db::Postgres {
        let (ok, _, err) = appeals_cmd(&url, &["backup", "--to", copy.to_str().unwrap()]);
        assert!(!ok, "backup on PostgreSQL must not pretend to succeed");
        assert!(err.contains("pg_basebackup") && err.contains("pgBackRest"), "{err}");
        assert!(!copy.exists());
        let (ok, _, err) = appeals_cmd(&url, &["restore", "--from", copy.to_str().unwrap()]);
        assert!(!ok && err.contains("pg_basebackup"), "{err}");
        return;
    }

    // 500 registrations at once; when 100 are acknowledged, the backup starts (as another
    // process, as an operator would run it) with the registrations still going.
    let acked: Arc<Mutex<Vec<Value>>> = Arc::default();
    let bodies: Vec<Value> = (0..500).map(|i| appeal(json!({"summary": format!("Обращение о ремонте №{i}")}))).collect();
    let app_ref = &app;
    let registrations = futures_util::future::join_all(bodies.iter().map(|b| {
        let (acked, app) = (acked.clone(), app_ref);
        async move {
            let r = app.call("POST", "/api/v1/appeals", Some(&app.clerk), Some(b)).await;
            assert_eq!(r.status, 201, "{}", r.json);
            acked.lock().unwrap().push(r.json);
        }
    }));
    let backup = {
        let (acked, url, copy) = (acked.clone(), url.clone(), copy.clone());
        async move {
            while acked.lock().unwrap().len() < 100 {
                actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            let before: Vec<Value> = acked.lock().unwrap().clone();
            let done = actix_web::rt::task::spawn_blocking(move || appeals_cmd(&url, &["backup", "--to", copy.to_str().unwrap()])).await.unwrap();
            let during = acked.lock().unwrap().len();
            (before, done, during)
        }
    };
    let (_, (before, (ok, out, err), during)) = futures_util::future::join(registrations, backup).await;
    assert!(ok, "backup failed: {err}");
    assert!(out.contains("integrity ok"), "{out}");
    assert!(during < 500, "the backup should have run beside the registrations (acknowledged by its end: {during})");
    assert_eq!(acked.lock().unwrap().len(), 500);

    // Restoring over the database the running server has open is refused, and changes nothing.
    let (ok, _, err) = appeals_cmd(&url, &["restore", "--force", "--from", copy.to_str().unwrap()]);
    assert!(!ok && err.contains("in use"), "{err}");
    assert_eq!(app.call("GET", &format!("/api/v1/appeals/{}", before[0]["id"].as_str().unwrap()), Some(&app.clerk), None).await.status, 200);

    // A backup never overwrites a file.
    let (ok, _, err) = appeals_cmd(&url, &["backup", "--to", copy.to_str().unwrap()]);
    assert!(!ok && err.contains("exists"), "{err}");

    // Restore into a fresh folder; a second restore over it needs --force.
    let restored = dir.join("fresh").join("appeals.db");
    let target = sqlite_url(&restored);
    let (ok, out, err) = appeals_cmd(&target, &["restore", "--from", copy.to_str().unwrap()]);
    assert!(ok, "restore failed: {err}");
    assert!(out.contains("integrity ok"), "{out}");
    let (ok, _, err) = appeals_cmd(&target, &["restore", "--from", copy.to_str().unwrap()]);
    assert!(!ok && err.contains("--force"), "{err}");

    // A damaged copy is refused before anything is touched.
    let bad = dir.join("damaged.db");
    let mut bytes = std::fs::read(&copy).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid..mid + 4096].iter_mut().for_each(|b| *b = 0x5a);
    std::fs::write(&bad, bytes).unwrap();
    let (ok, _, err) = appeals_cmd(&target, &["restore", "--force", "--from", bad.to_str().unwrap()]);
    assert!(!ok, "a damaged copy must be refused");
    assert!(err.contains("integrity") || err.contains("malformed") || err.contains("not a database"), "{err}");
    assert!(std::fs::metadata(&restored).unwrap().len() > 0);

    // The server starts on the copy and shows every appeal acknowledged before the backup, whole.
    let mut settings = appeals::config::Settings::for_tests(&target);
    settings.data_dir = dir.join("data");
    let (pool, _) = appeals::app::open(&settings, appeals::store::micros(start_instant())).expect("start on the restored copy");
    let clock = Arc::new(appeals::clock::FixedClock::new(start_instant()));
    let state = actix_web::web::Data::new(appeals::app::state(settings, pool.clone(), clock).expect("state"));
    let served = state.clone();
    let srv = actix_test::start(move || appeals::app::service(served.clone()));
    let health = srv.get("/health/ready").send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    for card in &before {
        let id = card["id"].as_str().unwrap();
        let mut r = srv.get(format!("/api/v1/appeals/{id}")).insert_header(("Authorization", format!("Bearer {}", app.clerk))).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "acknowledged before the backup, missing from it: {}", card["reg_number"]);
        let got: Value = serde_json::from_slice(&r.body().await.unwrap()).unwrap();
        assert_eq!(got["reg_number"], card["reg_number"]);
        assert_eq!(got["summary"], card["summary"]);
        assert_eq!(got["deadline"], card["deadline"]);
        assert_eq!(got["applicants"].as_array().map(Vec::len), Some(1), "{got}");
        assert_eq!(got["questions"].as_array().map(Vec::len), Some(1), "{got}");
    }
    // Nothing half-written: every appeal in the copy has its applicant, question and first history entry.
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let appeals::store::DbPool::Sqlite(p) = &pool else { unreachable!() };
    let mut c = p.get().unwrap();
    let count = |sql: &str, c: &mut diesel::SqliteConnection| diesel::sql_query(sql).get_result::<N>(c).unwrap().n;
    let total = count("SELECT COUNT(*) AS n FROM appeals", &mut c);
    assert!(total >= before.len() as i64, "{total}");
    for missing in [
        "SELECT COUNT(*) AS n FROM appeals a WHERE NOT EXISTS (SELECT 1 FROM applicants x WHERE x.appeal_id = a.id)",
        "SELECT COUNT(*) AS n FROM appeals a WHERE NOT EXISTS (SELECT 1 FROM questions x WHERE x.appeal_id = a.id)",
        "SELECT COUNT(*) AS n FROM appeals a WHERE NOT EXISTS (SELECT 1 FROM history x WHERE x.appeal_id = a.id)",
    ] {
        assert_eq!(count(missing, &mut c), 0, "{missing}");
    }
    drop(c);
    drop(srv);
    drop(state);
    drop(pool);
    let _ = std::fs::remove_dir_all(&dir);
}
