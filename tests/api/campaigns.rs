//! Mass campaigns over HTTP: near-identical letters from different people grouped as they are
//! registered, shown on the card, listed, renamed, an appeal left out, one action over all of
//! them, counted in the statistics; executors see none of it; the grouping reads through indexes.

use crate::support::*;
use serde_json::{json, Value};

/// The letter a local group's post asked everyone to send, as person `i` wrote it: the
/// sentences in another order, a greeting, a typo, their own name and address.
pub fn campaign_letter(i: usize) -> Value {
    let sentences = [
        "Во дворе дома на улице Строителей третий год не ремонтируют асфальт и тротуары.",
        "После дождя между подъездами стоят глубокие лужи, пожилым людям не пройти.",
        "Детская площадка сломана, качели и горка опасны для детей.",
        "Управляющая компания на заявки жильцов не отвечает.",
        "Просим включить двор в программу благоустройства на следующий год.",
    ];
    let mut order: Vec<&str> = sentences.to_vec();
    order.rotate_left(i % 5);
    let greeting = ["Здравствуйте!", "Уважаемый глава!", "Добрый день.", ""][i % 4];
    let text = format!("{greeting} {} Живу в доме {}.", order.join(" ").replacen("лужи", if i % 2 == 0 { "лжуи" } else { "лужи" }, 1), 10 + i);
    json!({
        "applicants": [{"full_name": format!("Заявитель Кампании {i}"), "postal_address": format!("169300, г. Ухта, ул. Строителей, д. {}, кв. {}", 10 + i, i + 1), "email": format!("campaign{i}@example.ru")}],
        "summary": text,
        "questions": [{"code": "0003.0009.0097.0699", "text": "благоустройство двора"}],
    })
}

/// A letter on the same subject written by someone alone.
fn own_letter(i: usize) -> Value {
    let texts = [
        "Прошу засыпать яму на дороге у моего гаража в кооперативе Северный, машина застревает каждый день.",
        "Сломана скамейка у третьего подъезда, управляющая компания отвечает что это не их зона, прошу разобраться.",
    ];
    json!({
        "applicants": [{"full_name": format!("Одиночный Заявитель {i}"), "postal_address": format!("169300, г. Ухта, ул. Мира, д. {i}"), "email": format!("own{i}@example.ru")}],
        "summary": texts[i % texts.len()],
        "questions": [{"code": "0003.0009.0097.0699", "text": "благоустройство"}],
    })
}

/// A campaign of two fresh letters (joining the one already there, if any): its id and the
/// newer letter's appeal.
pub async fn some_campaign(app: &TestApp) -> (String, String) {
    let n = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as usize + 100;
    app.register(campaign_letter(n)).await;
    let card = app.register(campaign_letter(n + 1)).await;
    let id = card["campaign"]["id"].as_str().unwrap_or_else(|| panic!("no campaign: {}", card["campaign"])).to_string();
    (id, card["id"].as_str().unwrap().to_string())
}

const WATCHED: [&str; 5] = ["campaigns", "campaign_members", "campaign_signatures", "campaign_buckets", "appeals"];

both_backends!(near_identical_letters_of_different_people_form_one_campaign);
async fn near_identical_letters_of_different_people_form_one_campaign(db: Db) {
    let app = TestApp::start(db).await;
    let pg = matches!(app.pool, appeals::store::DbPool::Pg(_));
    let before = if pg { Some(app.seq_scans(&WATCHED)) } else { None };
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(app.register(campaign_letter(i)).await["id"].as_str().unwrap().to_string());
    }
    let own0 = app.register(own_letter(0)).await["id"].as_str().unwrap().to_string();
    let own1 = app.register(own_letter(1)).await["id"].as_str().unwrap().to_string();

    // Every letter of the campaign shows it on its card; the others do not.
    let card = app.call("GET", &format!("/api/v1/appeals/{}", ids[4]), Some(&app.clerk), None).await;
    assert_eq!(card.status, 200, "{}", card.json);
    let campaign = card.json["campaign"].clone();
    assert_eq!(campaign["appeals"], 5, "{campaign}");
    let id = campaign["id"].as_str().unwrap().to_string();
    assert!(campaign["title"].as_str().unwrap().contains("Строителей"), "{campaign}");
    for other in [&own0, &own1] {
        let c = app.call("GET", &format!("/api/v1/appeals/{other}"), Some(&app.clerk), None).await;
        assert!(c.json.get("campaign").is_none(), "{}", c.json["campaign"]);
    }
    let first = app.call("GET", &format!("/api/v1/appeals/{}", ids[0]), Some(&app.supervisor), None).await;
    assert_eq!(first.json["campaign"]["id"], json!(id));

    // The list and the campaign's own card: its appeals, people and addresses.
    let list = app.call("GET", "/api/v1/campaigns", Some(&app.supervisor), None).await;
    assert_eq!(list.status, 200, "{}", list.json);
    assert_eq!(list.json["items"].as_array().unwrap().len(), 1, "{}", list.json);
    let one = app.call("GET", &format!("/api/v1/campaigns/{id}"), Some(&app.supervisor), None).await;
    assert_eq!(one.status, 200, "{}", one.json);
    let members: Vec<&str> = one.json["items"].as_array().unwrap().iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(members, ids.iter().map(String::as_str).collect::<Vec<_>>());
    assert_eq!((one.json["applicants"].as_i64(), one.json["addresses"].as_i64()), (Some(5), Some(5)), "{}", one.json);

    // The registry filtered by the campaign: its appeals, newest first, and nothing else.
    let listed = app.call("GET", &format!("/api/v1/appeals?campaign_id={id}"), Some(&app.clerk), None).await;
    assert_eq!(listed.status, 200, "{}", listed.json);
    let mut found: Vec<&str> = listed.json["items"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    found.reverse();
    assert_eq!(found, ids.iter().map(String::as_str).collect::<Vec<_>>());
    app.call("GET", "/api/v1/appeals?campaign_id=kampania", Some(&app.clerk), None).await.assert_problem(422, Some("campaign_id"));
    // Every list item names its campaign: the API's registry, the registry page, the board, the CSV.
    assert!(listed.json["items"].as_array().unwrap().iter().all(|c| c["campaign"]["id"] == json!(id)), "{}", listed.json);
    let all = app.call("GET", "/api/v1/appeals", Some(&app.clerk), None).await;
    let own_item = all.json["items"].as_array().unwrap().iter().find(|c| c["id"] == json!(own0)).cloned().expect("the lone letter");
    assert!(own_item.get("campaign").is_none(), "{own_item}");
    crate::ended_access::set_password(&app, "clerk");
    let cookie = format!("appeals_session={}", crate::ended_access::sign_in(&app, "clerk").await);
    let link = format!("/appeals?campaign_id={id}");
    for page in ["/appeals", "/"] {
        let r = app.raw("GET", page, None, None, &[("Cookie", &cookie)]).await;
        assert_eq!(r.status, 200, "{page}");
        let html = r.json.as_str().unwrap_or_default();
        assert!(html.contains("Кампания") && html.contains(&link), "{page} shows no campaign column");
    }
    let csv = app.raw("GET", &format!("/registry.csv?campaign_id={id}"), None, None, &[("Cookie", &cookie)]).await;
    let text = csv.json.as_str().unwrap_or_default().to_string();
    assert!(text.lines().next().unwrap_or_default().ends_with("Массовая кампания"), "{text}");
    assert_eq!(text.lines().skip(1).filter(|l| l.contains("Строителей")).count(), 5, "{text}");

    // The statistics count the campaign apart from collective appeals.
    let s = app.call("GET", "/api/v1/stats?from=2025-01-01&to=2025-12-31", Some(&app.supervisor), None).await;
    assert_eq!(s.status, 200, "{}", s.json);
    assert_eq!(s.json["mass"]["campaigns"]["current"], 1, "{}", s.json["mass"]);
    assert_eq!(s.json["mass"]["appeals"]["current"], 5, "{}", s.json["mass"]);
    assert_eq!(s.json["collective"]["current"], 0);

    // Executors learn nothing of other people's letters.
    let r = app.call("GET", "/api/v1/campaigns", Some(&app.executor), None).await;
    r.assert_problem(403, None);
    let r = app.call("GET", &format!("/api/v1/campaigns/{id}"), Some(&app.executor), None).await;
    r.assert_problem(404, None);

    if let Some(before) = before {
        assert_eq!(app.seq_scans(&WATCHED), before, "the grouping and the campaign reads scanned a table");
    }
}

both_backends!(a_campaign_is_renamed_thinned_and_answered_as_one);
async fn a_campaign_is_renamed_thinned_and_answered_as_one(db: Db) {
    let app = TestApp::start(db).await;
    let mut ids = Vec::new();
    for i in 0..4 {
        ids.push(app.register(campaign_letter(i)).await["id"].as_str().unwrap().to_string());
    }
    let card = app.call("GET", &format!("/api/v1/appeals/{}", ids[0]), Some(&app.clerk), None).await;
    let id = card.json["campaign"]["id"].as_str().expect("a campaign").to_string();

    // Rename: a blank title is refused naming the field; another organization's id is 404.
    let r = app.call("PATCH", &format!("/api/v1/campaigns/{id}"), Some(&app.supervisor), Some(&json!({"title": "  "}))).await;
    r.assert_problem(422, Some("title"));
    let r = app.call("PATCH", &format!("/api/v1/campaigns/{}", uuid::Uuid::new_v4()), Some(&app.supervisor), Some(&json!({"title": "Двор"}))).await;
    r.assert_problem(404, None);
    let r = app.call("PATCH", &format!("/api/v1/campaigns/{id}"), Some(&app.supervisor), Some(&json!({"title": "Благоустройство двора на ул. Строителей"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["title"], "Благоустройство двора на ул. Строителей");

    // Left out for good: its card loses the campaign, and a new letter does not bring it back.
    let r = app.call("DELETE", &format!("/api/v1/campaigns/{id}/appeals/{}", ids[3]), Some(&app.supervisor), None).await;
    assert_eq!(r.status, 204, "{}", r.json);
    let r = app.call("DELETE", &format!("/api/v1/campaigns/{id}/appeals/{}", ids[3]), Some(&app.supervisor), None).await;
    r.assert_problem(404, None);
    let c = app.call("GET", &format!("/api/v1/appeals/{}", ids[3]), Some(&app.clerk), None).await;
    assert!(c.json.get("campaign").is_none(), "{}", c.json["campaign"]);
    let late = app.register(campaign_letter(7)).await;
    assert_eq!(late["campaign"]["id"], json!(id), "a new letter joins at registration: {}", late["campaign"]);
    assert_eq!(late["campaign"]["appeals"], 4);
    ids[3] = late["id"].as_str().unwrap().to_string();

    // One resolution for every appeal of the campaign, each through the single action.
    let body = json!({"action": "assign", "params": {"executors": [{"user_id": app.user_id("executor"), "responsible": true}], "instruction": "Подготовить общий ответ по благоустройству двора"}});
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.clerk), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!((r.json["done"].as_u64(), r.json["refused"].as_u64()), (Some(4), Some(0)), "{}", r.json);
    let due_before: Vec<Value> = {
        let mut v = Vec::new();
        for a in &ids {
            let c = app.call("GET", &format!("/api/v1/appeals/{a}"), Some(&app.executor), None).await;
            assert_eq!(c.json["status"], "in_work", "{}", c.json);
            // The executor sees the campaign as far as their own appeals go.
            assert_eq!(c.json["campaign"]["id"], json!(id), "{}", c.json["campaign"]);
            assert_eq!(c.json["campaign"]["appeals"], 4, "{}", c.json["campaign"]);
            v.push(c.json["due_date"].clone());
        }
        v
    };
    // The same action again: each appeal refused as the single action would refuse it.
    let bad = json!({"action": "assign", "params": {"executors": []}});
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.clerk), Some(&bad)).await;
    assert_eq!(r.status, 422, "{}", r.json);

    // Another executor learns nothing of it; the campaign's executor sees their appeals only.
    app.call("GET", &format!("/api/v1/campaigns/{id}"), Some(&app.executor2), None).await.assert_problem(404, None);
    let answer = json!({"action": "answer", "params": {"text": "Двор включён в программу благоустройства на следующий год.", "result": "supported_measures_taken"}});
    app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.executor2), Some(&answer)).await.assert_problem(404, None);
    let mine = app.call("GET", &format!("/api/v1/campaigns/{id}"), Some(&app.executor), None).await;
    assert_eq!(mine.status, 200, "{}", mine.json);
    assert_eq!(mine.json["items"].as_array().unwrap().len(), 4, "{}", mine.json);

    // Answer all with one text: without a result it is refused naming the field; a supervisor
    // is not the responsible executor, so each appeal refuses them; the executor's goes through.
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.executor), Some(&json!({"action": "answer", "params": {"text": "Ответ"}}))).await;
    r.assert_problem(422, Some("params.result"));
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.supervisor), Some(&answer)).await;
    assert_eq!((r.status, r.json["done"].as_u64()), (200, Some(0)), "{}", r.json);
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.executor), Some(&answer)).await;
    assert_eq!((r.status, r.json["done"].as_u64(), r.json["refused"].as_u64()), (200, Some(4), Some(0)), "{}", r.json);
    // Approve and dispatch all: each answer gets an outgoing number of its own.
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.executor), Some(&json!({"action": "approve", "params": {}}))).await;
    r.assert_problem(403, None);
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.supervisor), Some(&json!({"action": "approve", "params": {}}))).await;
    assert_eq!(r.json["done"].as_u64(), Some(4), "{}", r.json);
    let sent_on = "2025-03-03";
    let dispatch = json!({"action": "dispatch", "params": {"sent_on": sent_on, "channel": "post", "outgoing_number": "ОГ-исх-1"}});
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.supervisor), Some(&dispatch)).await;
    r.assert_problem(422, Some("params.outgoing_number"));
    let dispatch = json!({"action": "dispatch", "params": {"sent_on": sent_on, "channel": "post"}});
    let r = app.call("POST", &format!("/api/v1/campaigns/{id}/actions"), Some(&app.supervisor), Some(&dispatch)).await;
    assert_eq!(r.json["done"].as_u64(), Some(4), "{}", r.json);
    let mut numbers = std::collections::BTreeSet::new();
    for (a, due) in ids.iter().zip(&due_before) {
        let c = app.call("GET", &format!("/api/v1/appeals/{a}"), Some(&app.supervisor), None).await;
        let answers = c.json["answers"].as_array().unwrap_or_else(|| panic!("answers: {}", c.json));
        assert_eq!(answers.len(), 1, "each appeal its own answer: {}", c.json["answers"]);
        assert_eq!(answers[0]["text"], "Двор включён в программу благоустройства на следующий год.");
        numbers.insert(answers[0]["outgoing_number"].as_str().expect("an outgoing number").to_string());
        assert_eq!(&c.json["due_date"], due, "each appeal keeps its own deadline");
        assert_eq!(c.json["questions"][0]["result"], "supported_measures_taken", "{}", c.json["questions"]);
    }
    assert_eq!(numbers.len(), 4, "{numbers:?}");
}
