//! The legacy journal import at 20,000 rows (`LEGACY_N`), on SQLite and (when
//! `BENCH_DATABASE_URL` or `TEST_DATABASE_URL` is set) PostgreSQL: an Excel workbook generated
//! with a journal's messiness (title above the header, dates as text, Excel dates and serials,
//! names with addresses in one cell, questions as codes, a section's name or words, results
//! in words, numbers restarting each year, each person writing about four times on one
//! question), then through the library call the API and the CLI share
//! (`appeals::registry::legacy::run`): a dry run, the import, and the same file again (adds
//! nothing). Each into a fresh database; rows per second of each step.
//!
//!     BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test cargo bench --bench legacy

use appeals::clock::SystemClock;
use appeals::config::Settings;
use appeals::intake::legacy::columns::Mapping;
use chrono::{Datelike, Duration, NaiveDate};
use diesel::{Connection, RunQueryDsl};
use std::sync::Arc;
use std::time::Instant;

const RESULTS: [&str; 6] = ["разъяснено", "Поддержано", "поддержано, меры приняты", "Не  поддержано", "направлено по компетенции", "ДАН ОТВЕТ"];
const SURNAMES: [&str; 8] = ["Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Попова", "Лебедев", "Козлова"];

/// The journal workbook of `n` rows, 2020-01-09 to 2025-02-28.
fn workbook(n: usize) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
    sheet.write_string(0, 0, "Журнал регистрации обращений граждан").unwrap();
    for (c, h) in ["Рег.№", "ДАТА ПОСТУПЛЕНИЯ", "Дата  регистрации", "Ф. И. О.", "Содержание", "Вопрос", "Исполнитель", "Срок", "Дата ответа", "Результат"].iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let first = NaiveDate::from_ymd_opt(2020, 1, 9).unwrap();
    let span = (NaiveDate::from_ymd_opt(2025, 2, 28).unwrap() - first).num_days();
    let serial = |d: NaiveDate| (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64;
    let people = (n / 4).max(1);
    let (mut year, mut seq) = (0, 0);
    for i in 0..n {
        let r = i as u32 + 3;
        let reg = first + Duration::days(span * i as i64 / n as i64);
        if reg.year() != year {
            (year, seq) = (reg.year(), 0);
        }
        seq += 1;
        let p = (i * 7919) % people;
        let number = if seq % 10 == 1 { seq.to_string() } else { format!("ОГ-{seq}/{:02}", year % 100) };
        sheet.write_string(r, 0, &number).unwrap();
        sheet.write_string(r, 1, reg.format("%d.%m.%Y").to_string()).unwrap();
        match i % 3 {
            0 => {
                let x = rust_xlsxwriter::ExcelDateTime::from_ymd(reg.year() as u16, reg.month() as u8, reg.day() as u8).unwrap();
                sheet.write_datetime_with_format(r, 2, &x, &date).unwrap();
            }
            1 => {
                sheet.write_string(r, 2, format!("{}.{}.{:02}", reg.day(), reg.month(), reg.year() % 100)).unwrap();
            }
            _ => {
                sheet.write_number(r, 2, serial(reg)).unwrap();
            }
        }
        let who = if i % 17 == 0 { "аноним".to_string() } else { format!("{} {}.{}., ул. Ленина, д. {}, кв. {}", SURNAMES[p % 8], ["А", "Б", "В"][p % 3], ["И", "П"][p % 2], p / 12 + 1, p % 12 + 1) };
        sheet.write_string(r, 3, &who).unwrap();
        let (question, summary) = match (i % 13, i % 11, p % 4) {
            (0, _, _) => ("разное", "Просит помочь"),
            (_, 0, _) => ("Жилищно-коммунальная сфера", "Прошу провести капитальный ремонт крыши дома"),
            (_, _, 0) => ("0003.0009.0097.0699", "Отремонтировать тротуар"),
            (_, _, 1) => ("0005.0005.0056.1170 Капитальный ремонт", "Капремонт дома"),
            (_, _, 2) => ("уличное освещение", "Не горят фонари во дворе"),
            _ => ("ФОНАРИ", "Темно на улице"),
        };
        sheet.write_string(r, 4, summary).unwrap();
        sheet.write_string(r, 5, question).unwrap();
        sheet.write_string(r, 6, if i % 3 == 0 { "bench Т." } else { "Неизвестный А.А." }).unwrap();
        sheet.write_string(r, 7, (reg + Duration::days(30)).format("%d.%m.%Y").to_string()).unwrap();
        if reg < NaiveDate::from_ymd_opt(2025, 1, 15).unwrap() {
            sheet.write_number(r, 8, serial(reg + Duration::days(5 + (i % 25) as i64))).unwrap();
            sheet.write_string(r, 9, RESULTS[i % RESULTS.len()]).unwrap();
        }
    }
    book.save_to_buffer().unwrap()
}

/// Dry run, import and the same file again into the fresh database at `url`.
fn bench(label: &str, url: &str, file: &[u8], n: usize) {
    let settings = Settings::for_tests(url);
    let now = appeals::store::micros(chrono::Utc::now());
    let (pool, org) = appeals::app::open(&settings, now).expect("open");
    let state = appeals::app::state(settings, pool, Arc::new(SystemClock)).expect("state");
    let mapping = Mapping::default();
    for (step, dry) in [("dry run", true), ("import", false), ("same file again", false)] {
        let t = Instant::now();
        let out = appeals::registry::legacy::run(&state, &org.id, None, file, &mapping, dry).expect(step);
        let s = t.elapsed().as_secs_f64();
        assert!(out.errors.is_empty(), "{:?}", &out.errors[..out.errors.len().min(5)]);
        println!(
            "{label}: {step}: {n} rows in {s:.2} s = {:.0} rows/s (imported {}, already imported {}, repeats {}, undetermined questions {})",
            n as f64 / s,
            out.imported,
            out.summary.already_imported,
            out.summary.repeats,
            out.summary.unknown_questions
        );
    }
}

fn main() {
    // `RUST_LOG=info` shows the import's own step times.
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt().with_env_filter(tracing_subscriber::EnvFilter::from_default_env()).with_writer(std::io::stderr).init();
    }
    let n: usize = std::env::var("LEGACY_N").ok().and_then(|v| v.parse().ok()).unwrap_or(20_000);
    let t = Instant::now();
    let file = workbook(n);
    println!("workbook: {n} rows, {} KiB, generated in {:.1} s", file.len() / 1024, t.elapsed().as_secs_f64());
    let only = std::env::var("BENCH_BACKENDS").unwrap_or_else(|_| "sqlite,postgres".into());
    if only.contains("sqlite") {
        let dir = std::env::temp_dir().join(format!("appeals-bench-legacy-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        bench("sqlite", &format!("sqlite://{}/bench.db", dir.display()), &file, n);
        let _ = std::fs::remove_dir_all(&dir);
    }
    let admin = std::env::var("BENCH_DATABASE_URL").or_else(|_| std::env::var("TEST_DATABASE_URL")).ok().filter(|_| only.contains("postgres"));
    if let Some(admin) = admin {
        let name = format!("{}_{}", std::env::var("BENCH_DB_PREFIX").unwrap_or_else(|_| "legacy_bench".into()), std::process::id());
        let mut c = diesel::PgConnection::establish(&admin).expect("PostgreSQL");
        diesel::sql_query(format!("CREATE DATABASE {name}")).execute(&mut c).expect("create bench database");
        let url = format!("{}/{name}", admin.rsplit_once('/').map(|x| x.0).unwrap_or(&admin));
        bench("postgres", &url, &file, n);
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
    } else {
        println!("postgres: skipped (set BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/test)");
    }
}
