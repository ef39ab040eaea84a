//! The legacy journal import (`POST /api/v1/imports/registry`): a generated journal with every
//! messiness a body's Excel file has (a title above the header, headers typed differently,
//! dates as text in three ways, as Excel dates and as serial numbers, names with addresses in
//! one cell, questions as codes, names, a section or words, results in words, numbers that
//! restart each year), imported on both backends; then the five-year table of the annual
//! report, the repeat links, the cards, idempotence, a dry run's refusals, and a CSV in
//! Windows-1251 with `;`.

use crate::support::*;
use chrono::{Datelike, Duration, NaiveDate};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};

const REGISTRY: &str = "/api/v1/imports/registry";

/// Rows of the generated workbook. 20,000 rows run for about a minute per backend in a debug
/// build, so the test imports fewer; `cargo bench --bench legacy` imports 20,000.
const ROWS: usize = 4_000;

/// One generated row with what the test expects of it.
struct Row {
    cells: Vec<Cell>,
    registered: NaiveDate,
    /// Who and on what (None: anonymous), for the expected repeats.
    pair: Option<(usize, &'static str)>,
    undetermined: bool,
    number: String,
    card_number: String,
}

enum Cell {
    Text(String),
    Number(f64),
    Date(NaiveDate),
    Empty,
}

const SURNAMES: [&str; 12] = ["Иванов", "Петрова", "Сидоров", "Кузнецова", "Смирнов", "Попова", "Лебедев", "Козлова", "Новиков", "Морозова", "Волков", "Соловьёва"];
const RESULTS: [&str; 7] = ["разъяснено", "Поддержано", "поддержано, меры приняты", "Не  поддержано", "направлено по компетенции", "Рассмотрено. Разъяснено", "ДАН ОТВЕТ"];

fn serial(d: NaiveDate) -> f64 {
    (d - NaiveDate::from_ymd_opt(1899, 12, 30).unwrap()).num_days() as f64
}

/// The journal: 2020-01-09 to 2025-02-28, each person (name with address) writing about four
/// times on the same question, so later letters are repeats.
fn journal(n: usize) -> Vec<Row> {
    let first = NaiveDate::from_ymd_opt(2020, 1, 9).unwrap();
    let span = (NaiveDate::from_ymd_opt(2025, 2, 28).unwrap() - first).num_days();
    let people = (n / 4).max(1);
    let mut seq_in_year: HashMap<i32, usize> = HashMap::new();
    (0..n)
        .map(|i| {
            let reg = first + Duration::days(span * i as i64 / n as i64);
            let seq = {
                let s = seq_in_year.entry(reg.year()).or_default();
                *s += 1;
                *s
            };
            // Numbers restart each year; every tenth one is a bare number, used again every year.
            let (number, card_number) = if seq % 10 == 1 { (seq.to_string(), format!("{seq}/{}", reg.year())) } else { let n = format!("ОГ-{seq}/{:02}", reg.year() % 100); (n.clone(), n) };
            let p = (i * 7919) % people;
            let name = format!("{} {}.{}.", SURNAMES[p % SURNAMES.len()], ["А", "Б", "В", "Г", "Е"][p % 5], ["И", "П", "С", "Н"][p % 4]);
            let street = format!("ул. Ленина, д. {}, кв. {}", p / 12 + 1, p % 12 + 1);
            let anonymous = i % 17 == 0;
            let who = if anonymous {
                "аноним".to_string()
            } else {
                match p % 3 {
                    0 => format!("{name}, {street}"),
                    1 => format!("{name} {street}"),
                    _ => format!("{name}, 169300, г. Ухта, {street}"),
                }
            };
            let (question, class, summary): (&str, &'static str, &str) = if i % 13 == 0 {
                (["", "разное"][i % 2], "U", "Просит помочь")
            } else if i % 11 == 0 {
                ("Жилищно-коммунальная сфера", "S", "Прошу провести капитальный ремонт крыши дома")
            } else {
                match p % 4 {
                    0 => ("0003.0009.0097.0699", "699", "Отремонтировать тротуар"),
                    1 => ("0005.0005.0056.1170 Капитальный ремонт", "1170", "Капремонт дома"),
                    2 => ("уличное освещение", "690", "Не горят фонари во дворе"),
                    _ => ("ФОНАРИ", "690", "Темно на улице"),
                }
            };
            let registered = match i % 5 {
                0 => Cell::Date(reg),
                1 => Cell::Text(reg.format("%d.%m.%Y").to_string()),
                2 => Cell::Text(format!("{}.{}.{:02}", reg.day(), reg.month(), reg.year() % 100)),
                3 => Cell::Text(reg.format("%Y-%m-%d").to_string()),
                _ => Cell::Number(serial(reg)),
            };
            let received = match i % 4 {
                0 => Cell::Text(reg.format("%d.%m.%Y").to_string()),
                1 => Cell::Empty,
                2 if reg.day() > 5 => Cell::Text(format!("{}.{}.{}", (reg - Duration::days(2)).day(), reg.month(), reg.year())),
                _ => Cell::Text(reg.format("%d.%m.%Y г.").to_string()),
            };
            let answered_in_time = reg < NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();
            let answered = reg + Duration::days(5 + (i % 25) as i64);
            let (answer, result) = if answered_in_time { (if i % 2 == 0 { Cell::Text(answered.format("%d.%m.%Y").to_string()) } else { Cell::Number(serial(answered)) }, Cell::Text(RESULTS[i % RESULTS.len()].into())) } else { (Cell::Empty, Cell::Empty) };
            let executor = Cell::Text(if i % 3 == 0 { "executor Т.".into() } else { "Неизвестный А.А.".into() });
            let due = Cell::Text((reg + Duration::days(30)).format("%d.%m.%Y").to_string());
            Row {
                cells: vec![Cell::Text(number.clone()), received, registered, Cell::Text(who), Cell::Text(summary.into()), Cell::Text(question.into()), executor, due, answer, result],
                registered: reg,
                pair: (!anonymous).then_some((p, class)),
                undetermined: class == "U",
                number,
                card_number,
            }
        })
        .collect()
}

const HEADERS: [&str; 10] = ["Рег.№", "ДАТА ПОСТУПЛЕНИЯ", "Дата  регистрации", "Ф. И. О.", "Содержание", "Вопрос", "Исполнитель", "Срок", "Дата ответа", "Результат"];

/// The journal as an Excel workbook: a title, an empty row, the header, and a «N год» title
/// row before each year's first row.
fn workbook(rows: &[Row]) -> (Vec<u8>, usize) {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    let date = rust_xlsxwriter::Format::new().set_num_format("dd.mm.yyyy");
    sheet.write_string(0, 0, "Журнал регистрации обращений граждан 2020–2025").unwrap();
    for (c, h) in HEADERS.iter().enumerate() {
        sheet.write_string(2, c as u16, *h).unwrap();
    }
    let mut r = 3u32;
    let mut titles = 0;
    let mut year = rows[0].registered.year();
    for row in rows {
        if row.registered.year() != year {
            year = row.registered.year();
            sheet.write_string(r, 0, format!("{year} год")).unwrap();
            r += 1;
            titles += 1;
        }
        for (c, cell) in row.cells.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(t) => {
                    sheet.write_string(r, c, t).unwrap();
                }
                Cell::Number(n) => {
                    sheet.write_number(r, c, *n).unwrap();
                }
                Cell::Date(d) => {
                    let x = rust_xlsxwriter::ExcelDateTime::from_ymd(d.year() as u16, d.month() as u8, d.day() as u8).unwrap();
                    sheet.write_datetime_with_format(r, c, &x, &date).unwrap();
                }
                Cell::Empty => {}
            }
        }
        r += 1;
    }
    (book.save_to_buffer().unwrap(), titles)
}

/// A multipart form with the file (and a mapping, when given).
fn form(file: &[u8], file_name: &str, mapping: Option<&str>) -> (Vec<u8>, String) {
    let boundary = "----legacy-journal-7d1f";
    let mut body = Vec::new();
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes());
    body.extend_from_slice(file);
    if let Some(m) = mapping {
        body.extend_from_slice(format!("\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"mapping\"\r\n\r\n{m}").as_bytes());
    }
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (body, format!("multipart/form-data; boundary={boundary}"))
}

/// Uploads a journal to the import as a form, with `?dry_run=true` when asked.
pub async fn upload(app: &TestApp, token: &str, file: &[u8], name: &str, dry_run: bool, mapping: Option<&str>) -> Resp {
    let (body, ct) = form(file, name, mapping);
    let path = if dry_run { format!("{REGISTRY}?dry_run=true") } else { REGISTRY.to_string() };
    app.raw("POST", &path, Some(token), Some(body), &[("Content-Type", ct.as_str())]).await
}

/// Text rows of a query whose one column is `t`.
fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    #[derive(diesel::QueryableByName)]
    struct R {
        #[diesel(sql_type = diesel::sql_types::Text)]
        t: String,
    }
    let rows: Vec<R> = app.rows(sql);
    rows.into_iter().map(|r| r.t).collect()
}

fn count(app: &TestApp, sql: &str) -> usize {
    texts(app, &format!("SELECT CAST(COUNT(*) AS TEXT) AS t FROM ({sql}) x"))[0].parse().unwrap()
}

/// Appeals with an earlier appeal of the same person on the same question, as the journal says.
fn expected_repeats(rows: &[Row]) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    for r in rows {
        if let Some(pair) = r.pair {
            if !seen.insert(pair) {
                n += 1;
            }
        }
    }
    n
}

both_backends!(a_messy_journal_is_imported_once_with_its_years_and_repeats);
async fn a_messy_journal_is_imported_once_with_its_years_and_repeats(db: Db) {
    let app = TestApp::start(db).await;
    let rows = journal(ROWS);
    let (xlsx, titles) = workbook(&rows);
    // Only an administrator imports.
    upload(&app, &app.clerk, &xlsx, "journal.xlsx", true, None).await.assert_problem(403, None);

    // The dry run: nothing refused, the figures of the journal, nothing stored.
    let scans_before = (db == Db::Postgres).then(|| app.seq_scans(&["appeals", "match_keys"]));
    let dry = upload(&app, &app.admin, &xlsx, "journal.xlsx", true, None).await;
    assert_eq!(dry.status, 200, "{}", dry.json);
    if let Some(before) = scans_before {
        assert_eq!(app.seq_scans(&["appeals", "match_keys"]), before, "the dry run scanned a table");
    }
    let s = &dry.json["summary"];
    assert_eq!(dry.json["errors"], serde_json::json!([]), "{}", dry.json["errors"]);
    assert_eq!(s["format"], "xlsx");
    assert_eq!(s["header_row"], 3);
    assert_eq!(s["rows"], ROWS);
    assert_eq!(s["skipped_rows"], titles);
    assert_eq!(s["appeals"], ROWS);
    assert_eq!(s["questions"], ROWS);
    let undetermined = rows.iter().filter(|r| r.undetermined).count();
    assert_eq!(s["unknown_questions"], undetermined);
    assert_eq!(dry.json["unknown_questions"].as_array().unwrap().len(), undetermined.min(appeals::registry::legacy::MAX_LISTED));
    let repeats = expected_repeats(&rows);
    assert!(repeats > ROWS / 2, "{repeats}");
    assert_eq!(s["repeats"], repeats);
    assert_eq!(s["unknown_executors"], (0..ROWS).filter(|i| i % 3 != 0).count());
    assert_eq!(count(&app, "SELECT id FROM appeals"), 0);

    // The real run.
    let r = upload(&app, &app.admin, &xlsx, "journal.xlsx", false, None).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["imported"], ROWS);
    assert_eq!(count(&app, "SELECT id FROM appeals WHERE legacy_number IS NOT NULL"), ROWS);

    // The five-year table of the 2024 annual report: the journal's years, as registered.
    let mut per_year: BTreeMap<i32, usize> = BTreeMap::new();
    for r in &rows {
        *per_year.entry(r.registered.year()).or_default() += 1;
    }
    assert_eq!(s["years"], serde_json::to_value(per_year.iter().map(|(y, n)| (y.to_string(), n)).collect::<BTreeMap<_, _>>()).unwrap());
    let from = NaiveDate::from_ymd_opt(2024, 1, 1).unwrap();
    let to = NaiveDate::from_ymd_opt(2024, 12, 31).unwrap();
    let scope = appeals::store::stats::Scope {
        org: app.org.clone(), start: app.state.start_of(&app.org, from), end: app.state.start_of(&app.org, to + Duration::days(1)), from, to, today: app.state.today(&app.org),
        channel: None, section: None, executor_id: None, department: None, counting: app.state.settings.statistics,
    };
    let years = appeals::reports::statistics::five_years(&app.state, &scope, 2024).unwrap();
    let got: Vec<(i32, i64)> = years.iter().map(|y| (y.year, y.count)).collect();
    let want: Vec<(i32, i64)> = (2020..=2024).map(|y| (y, per_year[&y] as i64)).collect();
    assert_eq!(got, want);
    let html = String::from_utf8(app.raw_bytes("GET", "/api/v1/reports/annual?year=2024", Some(&app.supervisor)).await).unwrap();
    // The report's table row, its cells' digits (thousands are spaced).
    let row = html.split("Поступило обращений</td>").nth(1).and_then(|r| r.split("</tr>").next()).unwrap();
    let cells: Vec<i64> = row.split("</td>").filter(|c| c.contains("<td")).map(|c| c.chars().filter(char::is_ascii_digit).collect::<String>().parse().unwrap()).collect();
    assert_eq!(cells, want.iter().map(|(_, n)| *n).collect::<Vec<_>>(), "{row}");

    // Repeat links: every repeat the journal holds, linked to an earlier card.
    assert_eq!(count(&app, "SELECT DISTINCT appeal_id FROM appeal_links"), repeats);
    // A person's letters in order: the later ones point at the earlier ones, marked repeated
    // (the earlier ones were answered).
    let first_pair = rows.iter().find_map(|r| r.pair.filter(|p| p.1 == "699")).unwrap();
    let mine: Vec<&Row> = rows.iter().filter(|r| r.pair == Some(first_pair)).collect();
    assert!(mine.len() >= 3);
    let ids: Vec<String> = mine.iter().map(|r| texts(&app, &format!("SELECT id AS t FROM appeals WHERE reg_number = '{}'", r.card_number))[0].clone()).collect();
    for w in ids.windows(2) {
        let linked = texts(&app, &format!("SELECT related_appeal_id AS t FROM appeal_links WHERE appeal_id = '{}'", w[1]));
        assert!(linked.contains(&w[0]), "{linked:?}");
    }
    let card = app.call("GET", &format!("/api/v1/appeals/{}", ids[1]), Some(&app.admin), None).await.json;
    assert_eq!(card["repeated"], true, "{card}");

    // The cards keep the journal's number, split name and address, and the result.
    let i = rows.iter().position(|r| r.card_number.contains('/') && r.pair.is_some() && r.registered.year() == 2021 && r.number.parse::<u32>().is_ok()).unwrap();
    let id = texts(&app, &format!("SELECT id AS t FROM appeals WHERE reg_number = '{}'", rows[i].card_number))[0].clone();
    let card = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.admin), None).await.json;
    assert_eq!(card["legacy_number"], Value::String(rows[i].number.clone()));
    assert_eq!(card["reg_number"], Value::String(rows[i].card_number.clone()));
    assert_eq!(card["status"], "closed", "{card}");
    assert!(card["applicants"][0]["postal_address"].as_str().unwrap().contains("ул. Ленина"), "{card}");
    assert!(!card["applicants"][0]["full_name"].as_str().unwrap().contains("Ленина"), "{card}");
    assert!(card["questions"][0]["result"].is_string(), "{card}");

    // A second run adds nothing and says so, finding the imported numbers by index.
    let scans_before = (db == Db::Postgres).then(|| app.seq_scans(&["appeals", "match_keys"]));
    let again = upload(&app, &app.admin, &xlsx, "journal.xlsx", false, None).await;
    assert_eq!(again.status, 200, "{}", again.json);
    if let Some(before) = scans_before {
        assert_eq!(app.seq_scans(&["appeals", "match_keys"]), before, "the second run scanned a table");
    }
    assert_eq!(again.json["imported"], 0);
    assert_eq!(again.json["summary"]["already_imported"], ROWS);
    assert!(again.json["message"].as_str().unwrap().contains("уже импортированы"), "{}", again.json);
    assert_eq!(count(&app, "SELECT id FROM appeals"), ROWS);
}

both_backends!(a_dry_run_names_each_refused_row_and_a_real_run_stores_nothing);
async fn a_dry_run_names_each_refused_row_and_a_real_run_stores_nothing(db: Db) {
    let app = TestApp::start(db).await;
    let lines = [
        "Журнал обращений",
        "Рег. №;Дата регистрации;Ф.И.О.;Содержание;Вопрос;Дата ответа;Результат",
        "1;12.03.2024;Иванов И.И., ул. Ленина 5;Ямы во дворе;0003.0009.0097.0699;01.04.2024;разъяснено",
        ";13.03.2024;Петров П.П., ул. Мира 1;Ямы;0003.0009.0097.0699;;",
        "3;31.02.2024;Петров П.П., ул. Мира 1;Ямы;0003.0009.0097.0699;;",
        "4;01.01.2026;Петров П.П., ул. Мира 1;Ямы;0003.0009.0097.0699;;",
        "5;14.03.2024;Петров П.П., ул. Мира 1;Ямы;0003.0009.0097.0699;20.04.2024;в работе",
        "1;15.03.2024;Сидоров С.С., ул. Мира 2;Ямы;0003.0009.0097.0699;;",
        "7;16.03.2024;Сидоров С.С., ул. Мира 2;Ямы;0003.0009.0097.0699;01.03.2024;поддержано",
        "8;17.03.2024;Сидоров С.С., ул. Мира 2;;;;",
    ];
    let csv = lines.join("\r\n");
    let r = upload(&app, &app.admin, csv.as_bytes(), "bad.csv", true, None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let got: Vec<(u64, String)> = r.json["errors"].as_array().unwrap().iter().map(|e| (e["row"].as_u64().unwrap(), e["column"].as_str().unwrap().to_string())).collect();
    let want: Vec<(u64, String)> = [(4, "Рег. №"), (5, "Дата регистрации"), (6, "Дата регистрации"), (7, "Результат"), (8, "Рег. №"), (9, "Дата ответа"), (10, "Содержание")].iter().map(|(r, c)| (*r, c.to_string())).collect();
    assert_eq!(got, want, "{}", r.json);
    let messages: Vec<&str> = r.json["errors"].as_array().unwrap().iter().map(|e| e["message"].as_str().unwrap()).collect();
    assert!(messages[1].contains("«31.02.2024» не дата"), "{messages:?}");
    assert!(messages[2].contains("ещё не наступила"), "{messages:?}");
    assert!(messages[3].contains("«в работе» не распознан"), "{messages:?}");
    assert!(messages[4].contains("уже есть в строке 3"), "{messages:?}");
    assert!(messages[5].contains("раньше даты регистрации"), "{messages:?}");
    assert_eq!(r.json["summary"]["rows"], 8);
    assert_eq!(r.json["summary"]["refused_rows"], 7);
    assert_eq!(r.json["summary"]["appeals"], 1);
    assert_eq!(r.json["summary"]["format"], "csv (UTF-8, ;)");
    // The real run refuses the whole journal, naming the rows.
    let r = upload(&app, &app.admin, csv.as_bytes(), "bad.csv", false, None).await;
    r.assert_problem(422, Some("rows[5].Дата регистрации"));
    assert_eq!(count(&app, "SELECT id FROM appeals"), 0);
    // A file without a header row, and a form without a file, are refused as such.
    upload(&app, &app.admin, b"a;b\n1;2\n", "x.csv", true, None).await.assert_problem(422, Some("file"));
    let r = app.raw("POST", REGISTRY, Some(&app.admin), Some(b"{}".to_vec()), &[]).await;
    r.assert_problem(422, Some("file"));
    // A mapping with an unknown field is refused by name.
    upload(&app, &app.admin, csv.as_bytes(), "bad.csv", true, Some("[columns]\nnomer = \"№\"\n")).await.assert_problem(422, Some("mapping"));
}

both_backends!(a_windows_1251_csv_with_semicolons_and_its_own_headers);
async fn a_windows_1251_csv_with_semicolons_and_its_own_headers(db: Db) {
    let app = TestApp::start(db).await;
    let mut text = String::from("Вх. индекс;Дата рег.;Заявитель;Адрес;Суть;Тематика;Результат;Дата ответа\r\n");
    for i in 1..=30 {
        let (result, answered) = if i <= 20 { ("Разъяснено", format!("{:02}.05.2024", i % 28 + 1)) } else { ("", String::new()) };
        text.push_str(&format!("К-{i};{}.04.24;Ёлкина Анна Сергеевна;\"г. Ухта, ул. Мира, д. 7\";Просит починить фонарь;уличное освещение;{result};{answered}\r\n", i % 28 + 1));
    }
    let (bytes, _, _) = encoding_rs::WINDOWS_1251.encode(&text);
    let mapping = "[columns]\nnumber = \"Вх. индекс\"\nsummary = \"Суть\"\n[defaults]\nkind = \"proposal\"\n";
    let r = upload(&app, &app.admin, &bytes, "journal.csv", false, Some(mapping)).await;
    assert_eq!(r.status, 201, "{}", r.json);
    assert_eq!(r.json["imported"], 30);
    assert_eq!(r.json["summary"]["format"], "csv (Windows-1251, ;)");
    assert_eq!(r.json["summary"]["unknown_questions"], 0);
    let id = texts(&app, "SELECT id AS t FROM appeals WHERE legacy_number = 'К-7'")[0].clone();
    let card = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.admin), None).await.json;
    assert_eq!(card["reg_number"], "К-7");
    assert_eq!(card["legacy_number"], "К-7");
    assert_eq!(card["kind"], "proposal");
    assert_eq!(card["applicants"][0]["full_name"], "Ёлкина Анна Сергеевна");
    assert_eq!(card["applicants"][0]["postal_address"], "г. Ухта, ул. Мира, д. 7");
    assert_eq!(card["questions"][0]["code"], "0003.0009.0097.0690");
    assert_eq!(card["questions"][0]["result"], "explained");
    assert_eq!(card["received_on"], "2024-04-08");
    // The same person on the same question: 29 of the 30 letters are repeats.
    assert_eq!(r.json["summary"]["repeats"], 29);
    assert_eq!(count(&app, "SELECT DISTINCT appeal_id FROM appeal_links"), 29);
}
