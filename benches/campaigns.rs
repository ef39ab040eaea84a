//! What grouping mass campaigns adds to a registration, at scale: a registry of `CAMPAIGN_N`
//! (1,000,000) appeals on PostgreSQL and `CAMPAIGN_SQLITE_N` (100,000) on SQLite, every one of
//! them with its signature and 16 bucket rows, then `CAMPAIGN_NEW` (2,000) letters grouped one by
//! one exactly as registration groups them (`campaigns::group_card` on the card just
//! registered): half of them variants of five campaign letters, half written alone. Prints
//! p50/p99/max of the added time, the campaigns formed and, on PostgreSQL, the sequential scans
//! the grouping made (`pg_stat_user_tables`).
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench campaigns

#[path = "support/mod.rs"]
mod support;

use appeals::clock::SystemClock;
use appeals::config::Settings;
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection, RunQueryDsl, SqliteConnection};
use std::sync::Arc;
use std::time::Instant;

/// The column of a classifier entry's name in `classifier.tsv`.
const NAME_COLUMN: usize = 3;

const TEMPLATES: [&str; 5] = [
    "Во дворе дома на улице Строителей третий год не ремонтируют асфальт и тротуары. После дождя между подъездами стоят глубокие лужи. Детская площадка сломана. Просим включить двор в программу благоустройства.",
    "Маршрут автобуса номер двенадцать отменили без предупреждения жителей посёлка. До поликлиники и школы приходится идти пешком по обочине трассы. Просим восстановить маршрут в утренние и вечерние часы.",
    "Возле садовых товариществ за рекой образовалась стихийная свалка мусора. Строительные отходы привозят грузовики по ночам. Летом свалка горит, дым накрывает жилые кварталы. Просим ликвидировать свалку.",
    "В многоквартирном доме по проспекту Мира с начала отопительного сезона холодные батареи. Температура в квартирах не выше шестнадцати градусов. Просим обязать организацию наладить теплоснабжение и сделать перерасчёт.",
    "Дорога от кольцевой развязки до кладбища разбита грузовым транспортом. Ямы глубиной до двадцати сантиметров, освещение не работает. Просим провести капитальный ремонт дороги и установить освещение.",
];

/// Letter `i` of the measured set: a campaign letter with its own greeting and address, or one
/// written alone.
fn letter(i: usize) -> String {
    if i % 2 == 0 {
        let greeting = ["Здравствуйте!", "Уважаемый глава!", "Добрый день.", ""][i % 4 / 2 * 2 % 4];
        format!("{greeting} {} Проживаю: ул. Ленина, д. {}, кв. {}.", TEMPLATES[(i / 2) % 5], i % 90, i % 200)
    } else {
        // Three subjects of the classifier picked by a fixed stream: letters unlike each other.
        let names: Vec<&str> = include_str!("../config/classifier/classifier.tsv").lines().filter_map(|l| l.split('\t').nth(NAME_COLUMN)).filter(|n| n.split(' ').count() > 2).collect();
        let mut x = (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut pick = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            names[(x % names.len() as u64) as usize]
        };
        format!("Прошу разобраться: {}. Кроме того, {}. И ещё {}.", pick(), pick(), pick())
    }
}

enum Raw {
    Pg(PgConnection),
    Lite(SqliteConnection),
}

impl Raw {
    fn batch(&mut self, sql: &str) {
        match self {
            Raw::Pg(c) => c.batch_execute(sql).expect("batch"),
            Raw::Lite(c) => c.batch_execute(sql).expect("batch"),
        }
    }
}

fn bench(label: &str, url: &str, n: usize, new: usize) {
    let mut settings = Settings::for_tests(url);
    settings.campaigns.enabled = true;
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let pg = !url.starts_with("sqlite://");
    let mut raw = if pg { Raw::Pg(PgConnection::establish(url).expect("connect")) } else { Raw::Lite(SqliteConnection::establish(url.trim_start_matches("sqlite://")).expect("connect")) };
    support::bench_staff(&pool, &org.id, now);
    let t = Instant::now();
    let step = 365 * 24 * 3600 / (n + 1);
    let dataset = if pg { include_str!("stats_dataset.sql") } else { include_str!("stats_dataset_sqlite.sql") };
    raw.batch(&dataset.replace("{org}", &org.id).replace("{n}", &n.to_string()).replace("{tag}", "y25").replace("{start}", "2025-01-01 00:00:00").replace("{step}", &step.max(1).to_string()));
    // Every appeal but the last `new` already grouped: its signature and 16 buckets under its
    // first question's section and its day (random keys: the registry's letters are unlike).
    let keep = n - new;
    let fill = if pg {
        format!(
            "INSERT INTO campaign_signatures (appeal_id, organization_id, signature, left_out)
               SELECT id, organization_id, repeat(md5(id), 16), false FROM appeals WHERE id IN (SELECT 'y25a' || i FROM generate_series(1, {keep}) i);
             INSERT INTO campaign_buckets (organization_id, section, band, bucket, registered_on, appeal_id)
               SELECT a.organization_id, q.section, b, ('x' || substr(md5(a.id || b), 1, 16))::bit(64)::bigint, a.registered_on, a.id
               FROM appeals a JOIN questions q ON q.appeal_id = a.id AND q.position = 0, generate_series(0, 15) b
               WHERE a.id IN (SELECT 'y25a' || i FROM generate_series(1, {keep}) i);
             ANALYZE;"
        )
    } else {
        format!(
            "INSERT INTO campaign_signatures (appeal_id, organization_id, signature, left_out)
               SELECT id, organization_id, hex(randomblob(256)), 0 FROM appeals WHERE CAST(substr(id, 5) AS INTEGER) <= {keep};
             WITH RECURSIVE b(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM b WHERE k < 15)
             INSERT INTO campaign_buckets (organization_id, section, band, bucket, registered_on, appeal_id)
               SELECT a.organization_id, q.section, b.k, random(), a.registered_on, a.id
               FROM appeals a JOIN questions q ON q.appeal_id = a.id AND q.position = 0, b
               WHERE CAST(substr(a.id, 5) AS INTEGER) <= {keep};
             ANALYZE;"
        )
    };
    raw.batch(&fill);
    println!("{label}: {n} appeals generated, {keep} with signatures and 16 buckets each, in {:.1} s", t.elapsed().as_secs_f64());
    let state = appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state");
    let scans = |raw: &mut Raw| match raw {
        Raw::Pg(c) => support::pg_seq_scans(c, &["campaigns", "campaign_members", "campaign_signatures", "campaign_buckets", "appeals"]),
        Raw::Lite(_) => Vec::new(),
    };
    let before = scans(&mut raw);
    let mut times = Vec::with_capacity(new);
    let mut grouped = 0;
    for i in 0..new {
        let id = format!("y25a{}", keep + 1 + i);
        let mut card = appeals::store::appeals::get_card(&state.pool, &org.id, &id).expect("card");
        card.appeal.summary = letter(i);
        card.related.clear();
        let t = Instant::now();
        let g = appeals::campaigns::group_card(&state, &card).expect("group");
        times.push(t.elapsed().as_secs_f64() * 1e3);
        grouped += usize::from(matches!(g, appeals::store::campaigns::Grouped::In(_)));
    }
    let after = scans(&mut raw);
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    let campaigns = appeals::store::campaigns::list(&state.pool, &org.id, 500).expect("list");
    println!(
        "{label}: {new} letters grouped: added time p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms; {grouped} in {} campaigns (sizes {:?})",
        at(0.5),
        at(0.99),
        at(1.0),
        campaigns.len(),
        campaigns.iter().map(|c| c.appeals).collect::<Vec<_>>()
    );
    if pg {
        println!("{label}: sequential scans before {before:?}, after {after:?}");
    }
}

fn main() {
    let n: usize = std::env::var("CAMPAIGN_N").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let lite_n: usize = std::env::var("CAMPAIGN_SQLITE_N").ok().and_then(|v| v.parse().ok()).unwrap_or(100_000);
    let new: usize = std::env::var("CAMPAIGN_NEW").ok().and_then(|v| v.parse().ok()).unwrap_or(2_000);
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        let dir = std::env::temp_dir().join(format!("appeals-campaign-bench-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()), lite_n, new);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let Some(admin) = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres")) else {
        println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
        return;
    };
    let name = format!("appeals_campaigns_{}", std::process::id());
    let mut c = PgConnection::establish(&admin).expect("PostgreSQL");
    diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create database");
    let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
    bench("postgres", &url, n, new);
    let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
}
