//! The test harness: the whole application on a real HTTP server over a fresh database per
//! test — an SQLite file always, and PostgreSQL (a database cloned from a migrated template)
//! when `TEST_DATABASE_URL` is set. The clock is fixed and movable.

use appeals::clock::FixedClock;
use appeals::config::Settings;
use chrono::{DateTime, TimeZone, Utc};
use diesel::{Connection, RunQueryDsl};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex, OnceLock};

/// Which database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// Makes `name(db: Db)` two test cases, `name::sqlite` and `name::postgres`, so a failure
/// names its backend. The PostgreSQL case is reported as ignored when `TEST_DATABASE_URL` was
/// unset at build time (`build.rs` sets `cfg(postgres_tests)`); `.ci/run` always sets it and
/// fails on any ignored test.
#[macro_export]
macro_rules! both_backends {
    ($name:ident) => {
        mod $name {
            #[actix_web::test]
            async fn sqlite() {
                super::$name($crate::support::Db::Sqlite).await
            }
            #[actix_web::test]
            #[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: TEST_DATABASE_URL was not set when the tests were built")]
            async fn postgres() {
                super::$name($crate::support::Db::Postgres).await
            }
        }
    };
}

fn pg_admin() -> Option<String> {
    std::env::var("TEST_DATABASE_URL").ok().filter(|s| !s.trim().is_empty())
}

fn pg_base(admin: &str) -> String {
    admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or_else(|| admin.to_string())
}

fn pg_exec(admin: &str, sql: &str) -> Result<(), diesel::result::Error> {
    let mut c = diesel::PgConnection::establish(admin).expect("TEST_DATABASE_URL must reach PostgreSQL");
    diesel::sql_query(sql).execute(&mut c).map(|_| ())
}

/// The migrated template database of this test process, made once.
fn pg_template() -> String {
    static TEMPLATE: OnceLock<String> = OnceLock::new();
    TEMPLATE
        .get_or_init(|| {
            let admin = pg_admin().expect("postgres");
            // Leftovers of earlier runs that nobody uses any more.
            let mut c = diesel::PgConnection::establish(&admin).expect("TEST_DATABASE_URL must reach PostgreSQL");
            #[derive(diesel::QueryableByName)]
            struct Name {
                #[diesel(sql_type = diesel::sql_types::Text)]
                datname: String,
            }
            // Names carry the creating process's id: another test process running at the same
            // time (a second checkout) keeps its databases.
            let stale: Vec<Name> = diesel::sql_query("SELECT datname FROM pg_database WHERE datname LIKE 'appeals\\_t%'").load(&mut c).unwrap_or_default();
            for n in stale {
                let alive = n.datname.split('_').nth(2).and_then(|p| p.parse::<u32>().ok()).is_some_and(|pid| std::path::Path::new(&format!("/proc/{pid}")).exists());
                if !alive {
                    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", n.datname)).execute(&mut c);
                }
            }
            let name = format!("appeals_tpl_{}", std::process::id());
            pg_exec(&admin, &format!("CREATE DATABASE {name}")).expect("create template");
            let url = format!("{}/{name}", pg_base(&admin));
            let settings = Settings::for_tests(&url);
            let (pool, _) = appeals::app::open(&settings, Utc::now().naive_utc()).expect("migrate template");
            drop(pool);
            name
        })
        .clone()
}

/// A fresh database URL for one test.
pub fn fresh_database(db: Db) -> (String, Option<String>) {
    match db {
        Db::Sqlite => {
            let dir = std::env::temp_dir().join(format!("appeals-test-{}", uuid::Uuid::new_v4()));
            (format!("sqlite://{}/appeals.db", dir.display()), None)
        }
        Db::Postgres => {
            let admin = pg_admin().expect("postgres");
            let tpl = pg_template();
            let name = format!("appeals_t_{}_{}", std::process::id(), uuid::Uuid::new_v4().simple());
            let mut tries = 0;
            // The template's last connection may still be closing.
            while let Err(e) = pg_exec(&admin, &format!("CREATE DATABASE {name} TEMPLATE {tpl}")) {
                tries += 1;
                assert!(tries < 100, "cannot clone the template database: {e}");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
            (format!("{}/{name}", pg_base(&admin)), Some(name))
        }
    }
}

/// A running application with one user per role.
pub struct TestApp {
    #[allow(dead_code)]
    pub db: Db,
    pub srv: actix_test::TestServer,
    pub clock: Arc<FixedClock>,
    pub pool: appeals::store::DbPool,
    #[allow(dead_code)]
    pub org: String,
    pub admin: String,
    pub supervisor: String,
    pub clerk: String,
    pub executor: String,
    pub executor2: String,
    /// The region's administrator and supervisor (users of this organization).
    pub regional_admin: String,
    pub regional_supervisor: String,
    pub ids: Mutex<std::collections::HashMap<String, String>>,
    pub state: actix_web::web::Data<appeals::state::AppState>,
    pg_name: Option<String>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let (Some(name), Some(admin)) = (&self.pg_name, pg_admin()) {
            let _ = pg_exec(&admin, &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        }
    }
}

/// The instant tests start at: Monday 3 March 2025, 10:00 Moscow.
pub fn start_instant() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 3, 7, 0, 0).unwrap()
}

impl TestApp {
    /// Starts the application on a fresh database of `db` with default settings.
    pub async fn start(db: Db) -> TestApp {
        Self::start_with(db, |_| {}).await
    }

    /// Starts it with adjusted settings.
    pub async fn start_with(db: Db, adjust: impl FnOnce(&mut Settings)) -> TestApp {
        capture_logs();
        let (url, pg_name) = fresh_database(db);
        let mut settings = Settings::for_tests(&url);
        adjust(&mut settings);
        let clock = Arc::new(FixedClock::new(start_instant()));
        let now = appeals::store::micros(start_instant());
        let (pool, org) = appeals::app::open(&settings, now).expect("open database");
        let mut tokens = Vec::new();
        let mut ids = std::collections::HashMap::new();
        for (login, role) in [("admin", "admin"), ("supervisor", "supervisor"), ("clerk", "clerk"), ("executor", "executor"), ("executor2", "executor"), ("regional_admin", "regional_admin"), ("regional_supervisor", "regional_supervisor")] {
            let (token, hash) = appeals::auth::generate_token();
            let u = appeals::store::users::NewUser { login: login.into(), full_name: format!("{login} Тестовый"), role: role.into(), email: None };
            let row = appeals::store::users::create_user(&pool, &org.id, &u, &hash, now, None).expect("create user");
            ids.insert(login.to_string(), row.id);
            tokens.push(token);
        }
        let state = actix_web::web::Data::new(appeals::app::state(settings, pool.clone(), clock.clone()).expect("state"));
        let served = state.clone();
        let srv = actix_test::start(move || appeals::app::service(served.clone()));
        TestApp {
            db,
            srv,
            clock,
            pool,
            org: org.id,
            admin: tokens[0].clone(),
            supervisor: tokens[1].clone(),
            clerk: tokens[2].clone(),
            executor: tokens[3].clone(),
            executor2: tokens[4].clone(),
            regional_admin: tokens[5].clone(),
            regional_supervisor: tokens[6].clone(),
            ids: Mutex::new(ids),
            state,
            pg_name,
        }
    }

    /// The user id of a login.
    pub fn user_id(&self, login: &str) -> String {
        self.ids.lock().unwrap()[login].clone()
    }

    /// Moves the clock.
    pub fn set_now(&self, at: DateTime<Utc>) {
        self.clock.set(at);
    }

    /// Sends a request; returns status, JSON body (or the text as a JSON string) and headers.
    pub async fn call(&self, method: &str, path: &str, token: Option<&str>, body: Option<&Value>) -> Resp {
        self.raw(method, path, token, body.map(|b| b.to_string().into_bytes()), &[]).await
    }

    /// Sends raw bytes with extra headers.
    pub async fn raw(&self, method: &str, path: &str, token: Option<&str>, body: Option<Vec<u8>>, headers: &[(&str, &str)]) -> Resp {
        let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.srv.request(m, self.srv.url(path)).timeout(std::time::Duration::from_secs(60));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        if body.is_some() {
            req = req.insert_header(("Content-Type", "application/json"));
        }
        for (k, v) in headers {
            req = req.insert_header((*k, *v));
        }
        let mut resp = match body {
            Some(b) => req.send_body(b).await,
            None => req.send().await,
        }
        .expect("request sent");
        let status = resp.status().as_u16();
        let ctype = resp.headers().get("Content-Type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let headers: Vec<(String, String)> = resp.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
        let bytes = resp.body().limit(64 << 20).await.expect("body read");
        let json = serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
        Resp { status, json, ctype, headers }
    }

    /// The raw body of a successful GET (files: workbooks, CSV).
    pub async fn raw_bytes(&self, method: &str, path: &str, token: Option<&str>) -> Vec<u8> {
        let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.srv.request(m, self.srv.url(path)).timeout(std::time::Duration::from_secs(60));
        if let Some(t) = token {
            req = req.insert_header(("Authorization", format!("Bearer {t}")));
        }
        let mut resp = req.send().await.expect("request sent");
        assert_eq!(resp.status().as_u16(), 200, "{path}");
        resp.body().limit(64 << 20).await.expect("body read").to_vec()
    }

    /// Runs statements on the test's database directly (as data loaded around the service).
    pub fn sql(&self, batch: &str) {
        use diesel::connection::SimpleConnection;
        match &self.pool {
            appeals::store::DbPool::Sqlite(p) => p.get().expect("connection").batch_execute(batch),
            appeals::store::DbPool::Pg(p) => p.get().expect("connection").batch_execute(batch),
        }
        .unwrap_or_else(|e| panic!("{e}: {batch}"));
    }

    /// The rows of one query on the test's database, read straight from the tables (what the
    /// service wrote, seen around it); panics naming the query on an error.
    pub fn rows<T>(&self, sql: &str) -> Vec<T>
    where
        T: diesel::QueryableByName<diesel::sqlite::Sqlite> + diesel::QueryableByName<diesel::pg::Pg> + 'static,
    {
        use diesel::RunQueryDsl;
        match &self.pool {
            appeals::store::DbPool::Sqlite(p) => diesel::sql_query(sql).load(&mut *p.get().expect("connection")),
            appeals::store::DbPool::Pg(p) => diesel::sql_query(sql).load(&mut *p.get().expect("connection")),
        }
        .unwrap_or_else(|e| panic!("{e}: {sql}"))
    }

    /// PostgreSQL: sequential scans so far of `tables`, every pooled connection's pending
    /// statistics flushed first (PostgreSQL 15 flushes them lazily, per backend).
    pub fn seq_scans(&self, tables: &[&str]) -> Vec<(String, i64)> {
        #[derive(diesel::QueryableByName)]
        struct Row {
            #[diesel(sql_type = diesel::sql_types::Text)]
            relname: String,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            seq_scan: i64,
        }
        let appeals::store::DbPool::Pg(pool) = &self.pool else { panic!("PostgreSQL only") };
        let held: Vec<_> = (0..pool.max_size()).map(|_| pool.get().expect("pooled connection")).collect();
        for mut c in held {
            diesel::sql_query("SELECT pg_stat_force_next_flush()").execute(&mut *c).expect("flush");
            diesel::sql_query("SELECT 1").execute(&mut *c).expect("flush");
        }
        let mut c = pool.get().expect("pooled connection");
        diesel::sql_query("SELECT pg_stat_clear_snapshot()").execute(&mut *c).expect("clear snapshot");
        let list = tables.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
        let rows: Vec<Row> = diesel::sql_query(format!("SELECT relname::text AS relname, COALESCE(seq_scan, 0) AS seq_scan FROM pg_stat_user_tables WHERE relname IN ({list}) ORDER BY relname"))
            .load(&mut *c)
            .expect("pg_stat_user_tables");
        let found: Vec<(String, i64)> = rows.into_iter().map(|r| (r.relname, r.seq_scan)).collect();
        assert_eq!(found.len(), tables.len(), "{found:?}");
        found
    }

    /// A second organization of the instance, added through the API by the regional
    /// administrator, with one user per role (logins prefixed `b_`).
    pub async fn second_org(&self, code: &str) -> OtherOrg {
        let r = self.call("POST", "/api/v1/organizations", Some(&self.regional_admin), Some(&json!({"code": code, "name": format!("Администрация {code}"), "time_zone": "Europe/Moscow"}))).await;
        assert_eq!(r.status, 201, "{}", r.json);
        let id = r.json["id"].as_str().unwrap().to_string();
        let mut tokens = std::collections::HashMap::new();
        let mut ids = std::collections::HashMap::new();
        for role in ["admin", "supervisor", "clerk", "executor"] {
            let login = format!("{code}_{role}");
            let r = self.call("POST", "/api/v1/users", Some(&self.regional_admin), Some(&json!({"login": login, "role": role, "full_name": format!("{role} {code}"), "organization_id": id}))).await;
            assert_eq!(r.status, 201, "{}", r.json);
            assert_eq!(r.json["user"]["organization_id"], id.as_str());
            tokens.insert(role.to_string(), r.json["token"].as_str().unwrap().to_string());
            ids.insert(role.to_string(), r.json["user"]["id"].as_str().unwrap().to_string());
        }
        OtherOrg { id, tokens, ids }
    }

    /// A second organization named `name`, with its clerk, supervisor and executor as a
    /// forwarding test needs them.
    pub async fn second_organization(&self, code: &str, name: &str) -> PeerOrg {
        let o = self.second_org(code).await;
        let r = self.call("PATCH", &format!("/api/v1/organizations/{}", o.id), Some(&self.regional_admin), Some(&json!({"name": name}))).await;
        assert_eq!(r.status, 200, "{}", r.json);
        PeerOrg { name: name.into(), clerk: o.token("clerk"), supervisor: o.token("supervisor"), executor: o.token("executor"), executor_id: o.ids["executor"].clone(), id: o.id }
    }

    /// Registers a valid appeal (with `over` merged in) as the clerk; panics unless 201.
    pub async fn register(&self, over: Value) -> Value {
        let r = self.call("POST", "/api/v1/appeals", Some(&self.clerk), Some(&appeal(over))).await;
        assert_eq!(r.status, 201, "registration failed: {}", r.json);
        r.json
    }
}

/// Another organization of the instance and its users.
#[allow(dead_code)]
pub struct OtherOrg {
    pub id: String,
    /// Tokens by role: admin, supervisor, clerk, executor.
    pub tokens: std::collections::HashMap<String, String>,
    /// User ids by role.
    pub ids: std::collections::HashMap<String, String>,
}

impl OtherOrg {
    /// The token of one role.
    pub fn token(&self, role: &str) -> String {
        self.tokens[role].clone()
    }
}

/// Another organization of the instance with one user of each working role, by field.
#[allow(dead_code)]
pub struct PeerOrg {
    pub id: String,
    pub name: String,
    pub clerk: String,
    pub supervisor: String,
    pub executor: String,
    pub executor_id: String,
}

/// A response.
pub struct Resp {
    pub status: u16,
    pub json: Value,
    pub ctype: String,
    pub headers: Vec<(String, String)>,
}

impl Resp {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Asserts a problem+json error with this status whose field list names `field`.
    pub fn assert_problem(&self, status: u16, field: Option<&str>) {
        assert_eq!(self.status, status, "body: {}", self.json);
        assert!(self.ctype.contains("application/problem+json"), "content type {}", self.ctype);
        assert_eq!(self.json["status"], status);
        if let Some(f) = field {
            let fields: Vec<&str> = self.json["errors"].as_array().map(|a| a.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
            assert!(fields.iter().any(|x| x.contains(f)), "no error for {f}: {}", self.json);
        }
    }
}

/// A valid registration body (received on the test start date), with `over` merged in.
pub fn appeal(over: Value) -> Value {
    let mut a = json!({
        "channel": "post", "form": "written", "kind": "complaint", "received_on": "2025-03-03",
        "applicants": [{"full_name": "Смирнова Ольга Петровна", "postal_address": "169300, г. Ухта, ул. Октябрьская, д. 12, кв. 4", "email": "smirnova@example.ru"}],
        "collective": false,
        "summary": "Просит отремонтировать тротуар у дома 12 по ул. Октябрьской",
        "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт тротуара"}],
        "reply_channel": "post"
    });
    if let (Some(obj), Some(o)) = (a.as_object_mut(), over.as_object()) {
        for (k, v) in o {
            obj.insert(k.clone(), v.clone());
        }
    }
    a
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

/// Sends every log line of the test run (debug and up) to `target/test-logs/api.log`, where
/// `.ci/run` checks that no applicant's personal data ever reached a log.
fn capture_logs() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target").join("test-logs");
        std::fs::create_dir_all(&dir).expect("log dir");
        let file = std::fs::OpenOptions::new().create(true).append(true).open(dir.join("api.log")).expect("log file");
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
            .with_ansi(false)
            .with_writer(Mutex::new(file))
            .try_init();
    });
}
