//! The registry's text search on both backends, on both of its paths: the newest
//! cards walked in order (the default window covers this small registry) and the trigram index
//! (`search_window = 1`: nothing but the newest card is walked, every other page comes from
//! `pg_trgm` / FTS5). Each query's result, paged two at a time, must equal a brute-force
//! contains-match over every card, in the registry's order.

use crate::support::*;
use appeals::domain::keys::search_text;
use appeals::domain::text::search_fold;
use serde_json::{json, Value};

/// Ids of a page's items.
fn ids(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap().to_string()).collect()
}

/// Every card the API finds for `query` (the rest of the query string in `more`), two per
/// page, following `next_cursor` to the end.
async fn search_all(app: &TestApp, query: &str, more: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut cursor = String::new();
    loop {
        let r = app.call("GET", &format!("/api/v1/appeals?q={}&limit=2{more}{cursor}", urlencode(query)), Some(&app.supervisor), None).await;
        assert_eq!(r.status, 200, "q={query}: {}", r.json);
        found.extend(ids(&r.json));
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => return found,
        }
    }
}

/// The whole registry, newest first, as the list shows it.
async fn everything(app: &TestApp) -> Vec<Value> {
    let r = app.call("GET", "/api/v1/appeals?limit=100", Some(&app.supervisor), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["items"].as_array().unwrap().clone()
}

/// The oracle: cards whose search text (number, applicants, summary) contains the folded
/// query, in the registry's order.
fn expected(all: &[Value], query: &str) -> Vec<String> {
    let needle = search_fold(query);
    all.iter()
        .filter(|c| {
            let names: Vec<&str> = c["applicants"].as_array().unwrap().iter().map(|a| a["full_name"].as_str().unwrap()).collect();
            search_text(c["reg_number"].as_str().unwrap(), &names, c["summary"].as_str().unwrap(), None).contains(&needle)
        })
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect()
}

/// Twelve cards a minute apart: seven of Смирнова about roads, Ёлкин Пётр by the internet
/// reception, Иванов-Петров about flat 125, three more. Returns the card of Ёлкин and Иванов.
async fn registry(app: &TestApp) -> (Value, Value) {
    let mut elkin = Value::Null;
    let mut ivanov = Value::Null;
    for i in 0..12 {
        app.set_now(start_instant() + chrono::Duration::minutes(i));
        let body = match i {
            3 => json!({"channel": "internet_reception", "form": "electronic", "applicants": [{"full_name": "ЁЛКИН Пётр", "email": "elkin@example.ru"}]}),
            6 => json!({"applicants": [{"full_name": "Иванов-Петров Семён", "postal_address": "169300, г. Ухта, ул. Ленина, д. 1, кв. 125"}], "summary": "Протечка крыши над кв. 125"}),
            9..=11 => json!({"applicants": [{"full_name": format!("Заявитель Номер{i}"), "postal_address": "169300, г. Ухта"}], "summary": format!("Вопрос №{i} о школе")}),
            _ => json!({"summary": format!("Обращение о дороге №{i}")}),
        };
        let card = app.register(body).await;
        match i {
            3 => elkin = card,
            6 => ivanov = card,
            _ => {}
        }
    }
    (elkin, ivanov)
}

both_backends!(text_search_finds_exactly_the_contains_matches_on_both_paths);
async fn text_search_finds_exactly_the_contains_matches_on_both_paths(db: Db) {
    for window in [1, 20_000] {
        let app = TestApp::start_with(db, |s| s.limits.search_window = window).await;
        let (elkin, ivanov) = registry(&app).await;
        let all = everything(&app).await;
        assert_eq!(all.len(), 12);
        let (elkin_id, ivanov_id) = (elkin["id"].as_str().unwrap().to_string(), ivanov["id"].as_str().unwrap().to_string());
        let number = ivanov["reg_number"].as_str().unwrap().to_string();
        // Case, ё/е, several words, numbers, the registration number, punctuation, wildcards.
        let queries = [
            "смирнова", "СМИРНОВА", "Смирнова Ольга", "ёлкин", "ЕЛКИН ПЕТР", "пётр", "петр", "семен", "иванов-петров", "125", "кв. 125",
            number.as_str(), &number.to_lowercase(), "дороге №4", "дороге №1", "номер1", "о школе", "кузнецов", "дор%", "дор_ге", "обращение",
        ];
        for q in queries {
            let want = expected(&all, q);
            assert_eq!(search_all(&app, q, "").await, want, "window {window}, q={q}");
        }
        // The oracle is not vacuous: the hand-counted answers.
        assert_eq!(expected(&all, "смирнова").len(), 7);
        assert_eq!(expected(&all, "ЕЛКИН ПЕТР"), [elkin_id.clone()]);
        assert_eq!(expected(&all, "пётр").len(), 9, "Пётр, Петровна ×7, Петров");
        assert_eq!(expected(&all, "125"), [ivanov_id.clone()]);
        assert_eq!(expected(&all, &number), [ivanov_id.clone()]);
        assert!(expected(&all, "кузнецов").is_empty() && expected(&all, "дор%").is_empty());
        // With the other filters.
        assert_eq!(search_all(&app, "петр", "&channel=internet_reception").await, [elkin_id.clone()]);
        assert!(search_all(&app, "смирнова", "&channel=internet_reception").await.is_empty());
        assert_eq!(search_all(&app, "смирнова", "&registered_from=2025-03-03&registered_to=2025-03-03").await, expected(&all, "смирнова"));
        assert!(search_all(&app, "смирнова", "&registered_from=2025-03-04").await.is_empty());
        // A correction that renames the applicant: found by the new name, not by the old.
        let fix = json!({"applicants": [{"full_name": "Кузнецова Анна", "postal_address": "169300, г. Ухта, ул. Ленина, д. 1, кв. 125"}]});
        let r = app.raw("PATCH", &format!("/api/v1/appeals/{ivanov_id}"), Some(&app.clerk), Some(fix.to_string().into_bytes()), &[("If-Match", "\"1\"")]).await;
        assert_eq!(r.status, 200, "{}", r.json);
        assert_eq!(search_all(&app, "кузнецова", "").await, [ivanov_id.clone()], "window {window}");
        assert!(search_all(&app, "иванов", "").await.is_empty(), "window {window}");
        assert_eq!(search_all(&app, "крыши", "").await, [ivanov_id.clone()], "the summary is kept");
    }
}

both_backends!(short_queries_are_refused_naming_q);
async fn short_queries_are_refused_naming_q(db: Db) {
    let app = TestApp::start(db).await;
    app.register(json!({"applicants": [{"full_name": "Ли Ин", "postal_address": "169300, г. Ухта"}]})).await;
    // Fewer than three letters or digits in a row: no trigram to look up.
    for q in ["Ли", "ли ин", "%", "12", "а-б-в"] {
        let r = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode(q)), Some(&app.supervisor), None).await;
        r.assert_problem(422, Some("q"));
        assert!(r.json.to_string().contains("не меньше 3 букв или цифр подряд"), "{}", r.json);
    }
    let r = app.call("GET", &format!("/api/v1/appeals?q={}", urlencode("ОГ-2025-000001")), Some(&app.supervisor), None).await;
    assert_eq!(ids(&r.json).len(), 1, "{}", r.json);
}
