//! Set-up shared by the benches that serve the application in-process over a generated registry.

use appeals::store::users::{create_user, NewUser};
use appeals::store::DbPool;
use chrono::NaiveDateTime;

/// The staff the generated datasets assign to: fifty executors `bench_exec_01…50` (the
/// generators pick them by login) and one supervisor `bench_supervisor`, who reads every
/// figure. Returns the supervisor's token and id.
#[allow(dead_code)]
pub fn bench_staff(pool: &DbPool, org: &str, now: NaiveDateTime) -> (String, String) {
    for i in 1..=50 {
        let (_, hash) = appeals::auth::generate_token();
        let u = NewUser { login: format!("bench_exec_{i:02}"), full_name: format!("Исполнитель {i}"), role: "executor".into(), email: None };
        create_user(pool, org, &u, &hash, now, None).expect("user");
    }
    let (token, hash) = appeals::auth::generate_token();
    let sup = NewUser { login: "bench_supervisor".into(), full_name: "Контролёр".into(), role: "supervisor".into(), email: None };
    let id = create_user(pool, org, &sup, &hash, now, None).expect("user").id;
    (token, id)
}

/// One timed GET of `url` with a bearer token, its body read whole and its status checked: the
/// time and the body's size. A pooled keep-alive connection the server closed meanwhile (while
/// raw SQL ran, say) is retried once.
#[allow(dead_code)]
pub async fn timed_get(client: &awc::Client, url: &str, token: &str) -> (std::time::Duration, usize) {
    let t = std::time::Instant::now();
    let mut r = match client.get(url).insert_header(("Authorization", format!("Bearer {token}"))).send().await {
        Ok(r) => r,
        Err(_) => client.get(url).insert_header(("Authorization", format!("Bearer {token}"))).send().await.expect("request"),
    };
    let body = r.body().limit(1 << 30).await.expect("body");
    let took = t.elapsed();
    assert_eq!(r.status().as_u16(), 200, "{}", String::from_utf8_lossy(&body[..body.len().min(4000)]));
    (took, body.len())
}

#[derive(diesel::QueryableByName)]
struct Scan {
    #[diesel(sql_type = diesel::sql_types::Text)]
    relname: String,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    seq_scan: i64,
}

/// Sequential scans so far of `tables` on PostgreSQL (`pg_stat_user_tables`): a benchmark
/// reads them before and after its requests to show every statement reached rows by an index.
#[allow(dead_code)]
pub fn pg_seq_scans(c: &mut diesel::PgConnection, tables: &[&str]) -> Vec<(String, i64)> {
    use diesel::RunQueryDsl;
    let list = tables.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ");
    let sql = format!("SELECT relname::text AS relname, COALESCE(seq_scan, 0)::bigint AS seq_scan FROM pg_stat_user_tables WHERE relname IN ({list}) ORDER BY relname");
    let rows: Vec<Scan> = diesel::sql_query(sql).load(c).expect("pg_stat_user_tables");
    rows.into_iter().map(|r| (r.relname, r.seq_scan)).collect()
}

/// The rollup rows of `from..=to` as a hand-written statement would read them: the pending
/// deltas and the period's yearly, monthly and daily buckets (`domain::buckets::parts`, added or
/// taken away), each `SELECT {columns}, n … WHERE {filter} AND day … {figures}`, in one `UNION ALL`.
#[allow(dead_code)]
pub fn rollup_rows(columns: &str, filter: &str, from: chrono::NaiveDate, to: chrono::NaiveDate, figures: &str) -> String {
    use appeals::domain::buckets::{parts, Level};
    let mut sql = format!("SELECT {columns}, n FROM stats_deltas WHERE {filter} AND day >= '{from}' AND day <= '{to}'{figures}");
    for p in parts(from, to) {
        let table = match p.level {
            Level::Day => "stats_rollup",
            Level::Month => "stats_rollup_month",
            Level::Year => "stats_rollup_year",
        };
        let n = if p.sign < 0 { "-n" } else { "n" };
        sql.push_str(&format!(" UNION ALL SELECT {columns}, {n} FROM {table} WHERE {filter} AND day >= '{}' AND day <= '{}'{figures}", p.first, p.last));
    }
    sql
}

/// p50 and max of timings, in milliseconds.
#[allow(dead_code)]
pub fn p50_max(mut v: Vec<std::time::Duration>) -> (f64, f64) {
    v.sort();
    let ms = |d: std::time::Duration| d.as_secs_f64() * 1e3;
    (ms(v[v.len() / 2]), ms(v[v.len() - 1]))
}

/// A GET and the hand-written SQL doing the same work (`sql`), timed in turn run after run
/// (`runs` after one warm-up), so both meet the same moments of a shared machine:
/// (HTTP p50, max, body size), (SQL p50, max).
#[allow(dead_code)]
pub async fn paired(client: &awc::Client, url: &str, token: &str, runs: usize, mut sql: impl FnMut()) -> ((f64, f64, usize), (f64, f64)) {
    let (mut web, mut own, mut size) = (Vec::new(), Vec::new(), 0);
    for run in 0..=runs {
        let (took, n) = timed_get(client, url, token).await;
        let t = std::time::Instant::now();
        sql();
        if run > 0 {
            web.push(took);
            own.push(t.elapsed());
        }
        size = n;
    }
    let (w50, wmax) = p50_max(web);
    ((w50, wmax, size), p50_max(own))
}

/// Generates `count` appeals of organization `org` (its `k`-th) with `benches/stats_dataset.sql`,
/// registered evenly over `days` days from `start` (`YYYY-MM-DD`), ids tagged `o{k}y{yy}`, and
/// assigned to that organization's executors; nothing for a count of zero.
#[allow(dead_code)]
pub fn generate_org_period(gen: &mut diesel::PgConnection, org: &str, k: usize, year: i32, count: usize, start: &str, days: usize) {
    use diesel::connection::SimpleConnection;
    if count == 0 {
        return;
    }
    let dataset = include_str!("../stats_dataset.sql").replace("login LIKE 'bench\\_exec\\_%'", "organization_id = '{org}' AND role = 'executor'");
    let step = days * 24 * 3600 / (count + 1);
    let sql = dataset
        .replace("{org}", org)
        .replace("{n}", &count.to_string())
        .replace("{tag}", &format!("o{k}y{}", year % 100))
        .replace("{start}", &format!("{start} 00:00:00"))
        .replace("{step}", &step.max(1).to_string());
    gen.batch_execute(&sql).expect("dataset");
}
