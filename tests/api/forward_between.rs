//! Forwarding by competence to another organization of the same instance: the receiver's own
//! appeal (number, deadline, source), the links both ways, the receiver's result on the
//! sender's card, refusals that leave nothing written, isolation, and two organizations
//! forwarding to each other at once.

use crate::support::*;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[derive(diesel::QueryableByName)]
struct T {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

fn count(app: &TestApp, sql: &str) -> i64 {
    app.rows::<N>(sql)[0].n
}

fn texts(app: &TestApp, sql: &str) -> Vec<String> {
    app.rows::<T>(sql).into_iter().map(|r| r.t).collect()
}

/// Appeals of organization `org`.
fn appeals_of(app: &TestApp, org: &str) -> i64 {
    count(app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals WHERE organization_id = '{org}'"))
}

async fn forward(app: &TestApp, token: &str, id: &str, org: &str) -> Resp {
    app.call("POST", &format!("/api/v1/appeals/{id}/forward"), Some(token), Some(&json!({"organization_id": org, "reason": "Вопрос относится к ведению городского округа"}))).await
}

fn id_of(card: &Value) -> String {
    card["id"].as_str().unwrap().to_string()
}

both_backends!(forwarded_appeal_arrives_in_the_receivers_registry);
async fn forwarded_appeal_arrives_in_the_receivers_registry(db: Db) {
    let app = TestApp::start(db).await;
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    // The receiver has one appeal of its own already: its counter, not the sender's, numbers the next.
    let own = app.call("POST", "/api/v1/appeals", Some(&town.clerk), Some(&appeal(json!({"summary": "Своё обращение"})))).await;
    assert_eq!(own.status, 201, "{}", own.json);
    assert_eq!(own.json["reg_number"], "ОГ-2025-000001");
    let first = app.register(json!({})).await;
    let card = app.register(json!({"summary": "Просит убрать снег во дворе дома 5", "collective": true, "signatures": 3})).await;
    assert_eq!(first["reg_number"], "ОГ-2025-000001");
    assert_eq!(card["reg_number"], "ОГ-2025-000002");
    let id = id_of(&card);
    // Forwarded two days later: the receiver's deadline counts from its own registration.
    app.set_now(Utc.with_ymd_and_hms(2025, 3, 5, 9, 0, 0).unwrap());
    let r = forward(&app, &app.clerk, &id, &town.id).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let sent = r.json;
    assert_eq!(sent["status"], "forwarded");
    assert_eq!(sent["forwarded"]["organization"], town.name.as_str());
    assert_eq!(sent["forwarded"]["letter_number"], "ОГ-пер-2025-000001");
    assert_eq!(sent["forwarded"]["letter_date"], "2025-03-05");
    assert_eq!(sent["questions"][0]["result"], "transferred");
    let to = sent["forwarded"]["to_appeal_id"].as_str().expect("linked to the receiver's appeal").to_string();
    let receiver = &sent["forwarded"]["receiver"];
    assert_eq!(receiver["organization_id"], town.id.as_str());
    assert_eq!(receiver["reg_number"], "ОГ-2025-000002", "the receiver's own counter: {receiver}");
    assert_eq!(receiver["status"], "registered");
    assert_eq!(receiver["due_date"], "2025-04-04");
    assert_eq!(receiver["dispatched"], false);
    assert!(receiver.get("history").is_none() && receiver.get("assignments").is_none(), "{receiver}");

    // The receiver's card.
    let got = app.call("GET", &format!("/api/v1/appeals/{to}"), Some(&town.clerk), None).await;
    assert_eq!(got.status, 200, "{}", got.json);
    let recv = got.json;
    assert_eq!(recv["channel"], "forwarded");
    assert_eq!(recv["status"], "registered");
    assert_eq!(recv["reg_number"], "ОГ-2025-000002");
    assert_eq!(recv["received_on"], "2025-03-05");
    assert_eq!(recv["registered_at"].as_str().unwrap()[..10], *"2025-03-05");
    assert_eq!(recv["due_date"], "2025-04-04");
    assert_eq!(card["due_date"], "2025-04-02", "the sender's deadline stays its own");
    assert_eq!(recv["source"]["organization"], "Администрация муниципального образования");
    assert_eq!(recv["source"]["number"], "ОГ-пер-2025-000001");
    assert_eq!(recv["source"]["date"], "2025-03-05");
    assert_eq!(recv["source"]["appeal_id"], id.as_str());
    assert_eq!(recv["summary"], card["summary"]);
    assert_eq!(recv["collective"], true);
    assert_eq!(recv["signatures"], 3);
    assert_eq!(recv["applicants"], card["applicants"]);
    assert_eq!(recv["questions"].as_array().unwrap().len(), 1);
    assert_eq!(recv["questions"][0]["code"], card["questions"][0]["code"]);
    assert_eq!(recv["questions"][0]["text"], card["questions"][0]["text"]);
    assert!(recv["questions"][0]["result"].is_null());
    assert_eq!(recv["allowed_actions"], json!(["assign", "forward", "correct"]));
    // The sender's counters did not move for the receiver's registration.
    assert_eq!(app.register(json!({"summary": "Ещё одно"})).await["reg_number"], "ОГ-2025-000003");

    // Notices: the applicant hears of the forwarding once, from the sender.
    let kinds = texts(&app, &format!("SELECT kind AS t FROM notifications WHERE appeal_id = '{id}' AND kind <> 'registration_ack' ORDER BY kind"));
    assert_eq!(kinds, ["forwarding_notice"]);
    assert_eq!(count(&app, &format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM notifications WHERE appeal_id = '{to}'")), 0);
    // One history entry each: the sender's forwarding names the receiver's appeal.
    let h = app.call("GET", &format!("/api/v1/appeals/{id}/history"), Some(&app.supervisor), None).await;
    let last = h.json["items"].as_array().unwrap().iter().find(|e| e["action"] == "forward").expect("forward entry").clone();
    assert_eq!(last["details"]["to_appeal_id"], to.as_str(), "{last}");
    let h = app.call("GET", &format!("/api/v1/appeals/{to}/history"), Some(&town.supervisor), None).await;
    assert_eq!(h.status, 200, "{}", h.json);
    assert_eq!(h.json["items"][0]["action"], "registered");

    // Isolation: neither side opens the other's card, its history or actions.
    for path in [format!("/api/v1/appeals/{id}"), format!("/api/v1/appeals/{id}/history")] {
        assert_eq!(app.call("GET", &path, Some(&town.clerk), None).await.status, 404, "{path}");
        assert_eq!(app.call("GET", &path, Some(&town.supervisor), None).await.status, 404, "{path}");
    }
    for path in [format!("/api/v1/appeals/{to}"), format!("/api/v1/appeals/{to}/history")] {
        assert_eq!(app.call("GET", &path, Some(&app.clerk), None).await.status, 404, "{path}");
        assert_eq!(app.call("GET", &path, Some(&app.supervisor), None).await.status, 404, "{path}");
    }
    assert_eq!(forward(&app, &town.clerk, &id, &app.org).await.status, 404, "the receiver cannot act on the sender's card");
    let listed = app.call("GET", "/api/v1/appeals", Some(&town.supervisor), None).await;
    let ids: Vec<&str> = listed.json["items"].as_array().unwrap().iter().filter_map(|c| c["id"].as_str()).collect();
    assert!(ids.contains(&to.as_str()) && !ids.contains(&id.as_str()), "{ids:?}");

    // The receiver works on it; the sender's card follows.
    let body = json!({"executors": [{"user_id": town.executor_id, "responsible": true}], "instruction": "Подготовить ответ"});
    let r = app.call("POST", &format!("/api/v1/appeals/{to}/assign"), Some(&town.clerk), Some(&body)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let code = recv["questions"][0]["code"].as_str().unwrap();
    let r = app.call("POST", &format!("/api/v1/appeals/{to}/answers"), Some(&town.executor), Some(&json!({"text": "Снег убран 6 марта.", "results": [{"code": code, "result": "supported_measures_taken"}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let answer = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    let seen = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await.json;
    assert_eq!(seen["forwarded"]["receiver"]["status"], "answer_review");
    assert!(seen["forwarded"]["receiver"]["answered_on"].is_null());
    assert_eq!(seen["status"], "forwarded", "the sender's own card does not change");
    assert_eq!(seen["version"], sent["version"]);
    let r = app.call("POST", &format!("/api/v1/appeals/{to}/answers/{answer}/approve"), Some(&town.supervisor), Some(&json!({"close": true}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let seen = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await.json;
    assert_eq!(seen["forwarded"]["receiver"]["answered_on"], "2025-03-05");
    assert_eq!(seen["forwarded"]["receiver"]["dispatched"], false);
    let r = app.call("POST", &format!("/api/v1/appeals/{to}/answers/{answer}/dispatch"), Some(&town.clerk), Some(&json!({"sent_on": "2025-03-05", "channel": "post"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let seen = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await.json;
    let receiver = &seen["forwarded"]["receiver"];
    assert_eq!(receiver["dispatched"], true, "{receiver}");
    assert_eq!(receiver["answer_sent_on"], "2025-03-05");
    assert_eq!(receiver["status"], "closed");
    assert_eq!(receiver["questions"][0]["result"], "supported_measures_taken");
    assert!(receiver.get("answers").is_none() && receiver.get("text").is_none(), "the answer's text stays the receiver's: {receiver}");
}

both_backends!(returned_as_not_ours_arrives_back_linked);
async fn returned_as_not_ours_arrives_back_linked(db: Db) {
    let app = TestApp::start(db).await;
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    let id = id_of(&app.register(json!({})).await);
    let sent = forward(&app, &app.clerk, &id, &town.id).await;
    assert_eq!(sent.status, 200, "{}", sent.json);
    let to = sent.json["forwarded"]["to_appeal_id"].as_str().unwrap().to_string();
    // «Не по компетенции»: the town sends it back the same way.
    let back = forward(&app, &town.clerk, &to, &app.org).await;
    assert_eq!(back.status, 200, "{}", back.json);
    assert_eq!(back.json["forwarded"]["letter_number"], "ОГ-пер-2025-000001", "the town's own cover-letter counter");
    let again = back.json["forwarded"]["to_appeal_id"].as_str().unwrap().to_string();
    assert_ne!(again, id);
    let card = app.call("GET", &format!("/api/v1/appeals/{again}"), Some(&app.clerk), None).await;
    assert_eq!(card.status, 200, "{}", card.json);
    assert_eq!(card.json["reg_number"], "ОГ-2025-000002");
    assert_eq!(card.json["channel"], "forwarded");
    assert_eq!(card.json["source"]["organization"], town.name.as_str());
    assert_eq!(card.json["source"]["appeal_id"], to.as_str());
    // The applicant's earlier appeal here was forwarded: the new one is related to it, not repeated.
    assert_eq!(card.json["repeated"], false);
    assert_eq!(card.json["related_appeal_ids"], json!([id]));
    // The first card still shows the town's appeal, now forwarded on.
    let first = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    assert_eq!(first.json["forwarded"]["receiver"]["status"], "forwarded");
    assert_eq!(first.json["forwarded"]["receiver"]["questions"][0]["result"], "transferred");
    assert_eq!(appeals_of(&app, &app.org), 2);
    assert_eq!(appeals_of(&app, &town.id), 1);
}

both_backends!(a_refused_receiver_leaves_nothing_written);
async fn a_refused_receiver_leaves_nothing_written(db: Db) {
    let app = TestApp::start(db).await;
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    let card = app.register(json!({})).await;
    let id = id_of(&card);
    let notices = |app: &TestApp| count(app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM notifications");
    let history = |app: &TestApp| count(app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM history");
    let (n0, h0, a0) = (notices(&app), history(&app), count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals"));

    app.sql(&format!("UPDATE organizations SET active = FALSE WHERE id = '{}'", town.id));
    let r = forward(&app, &app.clerk, &id, &town.id).await;
    r.assert_problem(409, Some("organization_id"));
    assert_eq!(r.json["code"], "receiver_inactive", "{}", r.json);
    assert_eq!(r.json["field"], "organization_id", "{}", r.json);
    let unknown = uuid::Uuid::new_v4().to_string();
    forward(&app, &app.clerk, &id, &unknown).await.assert_problem(422, Some("organization_id"));
    forward(&app, &app.clerk, &id, "не-идентификатор").await.assert_problem(422, Some("organization_id"));
    forward(&app, &app.clerk, &id, &app.org).await.assert_problem(422, Some("organization_id"));
    let both = app.call("POST", &format!("/api/v1/appeals/{id}/forward"), Some(&app.clerk), Some(&json!({"organization_id": town.id, "organization": "Прокуратура"}))).await;
    both.assert_problem(422, Some("organization"));
    // Nothing half-written: the card, the counters, the notices, the history and the registry.
    let after = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await.json;
    assert_eq!(after["status"], "registered");
    assert_eq!(after["version"], card["version"]);
    assert!(after["forwarded"].is_null());
    assert_eq!((notices(&app), history(&app) - h0 - 1, count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals")), (n0, 0, a0), "only the card read was recorded");
    assert_eq!(count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM forward_counters"), 0);
    assert_eq!(appeals_of(&app, &town.id), 0);

    // Reactivated, it receives again; the sender's first cover letter takes the first number.
    app.sql(&format!("UPDATE organizations SET active = TRUE WHERE id = '{}'", town.id));
    let r = forward(&app, &app.clerk, &id, &town.id).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["forwarded"]["letter_number"], "ОГ-пер-2025-000001");
    // Bulk forwarding names bodies, not organizations of the instance.
    let bulk = app.call("POST", "/api/v1/appeals/bulk", Some(&app.clerk), Some(&json!({"action": "forward", "ids": [id], "params": {"organization_id": town.id}}))).await;
    bulk.assert_problem(422, Some("organization_id"));
}

both_backends!(two_organizations_forward_to_each_other_at_once);
async fn two_organizations_forward_to_each_other_at_once(db: Db) {
    const EACH_WAY: usize = 8;
    let app = TestApp::start(db).await;
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    for i in 0..EACH_WAY {
        ours.push(id_of(&app.register(json!({"summary": format!("Обращение региона {i}")})).await));
        let r = app.call("POST", "/api/v1/appeals", Some(&town.clerk), Some(&appeal(json!({"summary": format!("Обращение города {i}")})))).await;
        assert_eq!(r.status, 201, "{}", r.json);
        theirs.push(id_of(&r.json));
    }
    let calls = ours.iter().map(|id| (app.clerk.as_str(), id.as_str(), town.id.as_str())).chain(theirs.iter().map(|id| (town.clerk.as_str(), id.as_str(), app.org.as_str())));
    let results = futures_util::future::join_all(calls.map(|(token, id, to)| forward(&app, token, id, to))).await;
    for r in &results {
        assert_eq!(r.status, 200, "{}", r.json);
    }
    // Every appeal arrived once, each organization's numbers without gaps or repeats.
    for org in [&app.org, &town.id] {
        assert_eq!(appeals_of(&app, org), 2 * EACH_WAY as i64);
        let mut numbers = texts(&app, &format!("SELECT reg_number AS t FROM appeals WHERE organization_id = '{org}' ORDER BY reg_number"));
        numbers.dedup();
        let expected: Vec<String> = (1..=2 * EACH_WAY).map(|n| format!("ОГ-2025-{n:06}")).collect();
        assert_eq!(numbers, expected);
        let mut letters = texts(&app, &format!("SELECT forward_number AS t FROM appeals WHERE organization_id = '{org}' AND forward_number IS NOT NULL ORDER BY forward_number"));
        letters.dedup();
        assert_eq!(letters.len(), EACH_WAY);
    }
    // Every link is mutual.
    assert_eq!(
        count(&app, "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM appeals s JOIN appeals r ON r.id = s.forwarded_to_appeal_id AND r.source_appeal_id = s.id AND r.organization_id <> s.organization_id"),
        2 * EACH_WAY as i64
    );
}

both_backends!(statistics_and_exports_count_each_side_in_its_own_organization);
async fn statistics_and_exports_count_each_side_in_its_own_organization(db: Db) {
    const OWN: &str = "5ae1a6a2-3e1f-4a3b-9c55-0d6a6f0e1b01";
    const TOWN: &str = "8f3c2b1a-6d5e-4f70-8a9b-1c2d3e4f5a6b";
    let app = TestApp::start_with(db, |s| s.sstu.department_id = Some(OWN.into())).await;
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    app.sql(&format!("UPDATE organizations SET sstu_department_id = '{TOWN}' WHERE id = '{}'", town.id));
    let id = id_of(&app.register(json!({})).await);
    assert_eq!(forward(&app, &app.clerk, &id, &town.id).await.status, 200);
    let figure = |stats: &Value, list: &str, code: &str| -> i64 {
        stats[list].as_array().and_then(|a| a.iter().find(|x| x["code"] == code)).map(|x| x["current"].as_i64().unwrap_or(0)).unwrap_or(0)
    };
    let ours = app.call("GET", "/api/v1/stats?from=2025-03-01&to=2025-03-31", Some(&app.supervisor), None).await;
    assert_eq!(ours.status, 200, "{}", ours.json);
    let theirs = app.call("GET", "/api/v1/stats?from=2025-03-01&to=2025-03-31", Some(&town.supervisor), None).await;
    assert_eq!(theirs.status, 200, "{}", theirs.json);
    // The sender received it by post and forwarded it; the receiver received it forwarded.
    assert_eq!(figure(&ours.json, "by_channel", "post"), 1, "{}", ours.json);
    assert_eq!(figure(&ours.json, "by_channel", "forwarded"), 0, "{}", ours.json);
    assert_eq!(figure(&theirs.json, "by_channel", "forwarded"), 1, "{}", theirs.json);
    assert_eq!(figure(&theirs.json, "by_channel", "post"), 0, "{}", theirs.json);
    assert_eq!(ours.json["appeals"]["current"], 1, "{}", ours.json);
    assert_eq!(theirs.json["appeals"]["current"], 1, "{}", theirs.json);
    assert_eq!(ours.json["forwarded"]["current"], 1, "{}", ours.json);
    assert_eq!(theirs.json["forwarded"]["current"], 0, "{}", theirs.json);

    // ССТУ.РФ: the sender reports the question transferred with its cover letter, the receiver
    // reports an appeal received from another body under that letter's number and date.
    let ours = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&app.supervisor), None).await;
    assert_eq!(ours.status, 200, "{}", ours.json);
    let theirs = app.call("GET", "/api/v1/exports/sstu?month=2025-03", Some(&town.supervisor), None).await;
    assert_eq!(theirs.status, 200, "{}", theirs.json);
    let (ours, theirs) = (ours.json["items"].as_array().unwrap().clone(), theirs.json["items"].as_array().unwrap().clone());
    assert_eq!((ours.len(), theirs.len()), (1, 1), "{ours:?} {theirs:?}");
    assert_eq!(ours[0]["isDirect"], true);
    assert_eq!(ours[0]["questions"][0]["status"], "Transferred");
    assert_eq!(ours[0]["questions"][0]["transfer"]["transferNumber"], "ОГ-пер-2025-000001", "{}", ours[0]);
    assert_eq!(ours[0]["questions"][0]["transfer"]["departmentId"], TOWN, "the receiving organization's own GUID");
    assert_eq!(theirs[0]["isDirect"], false);
    assert_eq!(theirs[0]["number"], "ОГ-пер-2025-000001", "{}", theirs[0]);
    assert_eq!(theirs[0]["createDate"], "2025-03-03");
    assert_eq!(theirs[0]["questions"][0]["status"], "InWork");
}

both_backends!(the_forwarding_answers_the_card_as_stored);
async fn the_forwarding_answers_the_card_as_stored(db: Db) {
    let app = TestApp::start(db).await;
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    // An earlier appeal of the same person (a related one on the card), two questions, and
    // executors at work on it: the forwarding ends their assignments and transfers both questions.
    let applicant = json!([{"full_name": "Петров Пётр Петрович", "postal_address": "г. Ухта, ул. Ленина, д. 5, кв. 1", "email": "petrov@example.ru"}]);
    let earlier = id_of(&app.register(json!({"applicants": applicant})).await);
    let card = app.register(json!({"applicants": applicant, "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт тротуара"}, {"code": "0005.0005.0056.1157", "text": "освещение"}]})).await;
    let id = id_of(&card);
    assert_eq!(card["related_appeal_ids"], json!([earlier]), "{card}");
    let execs = json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}, {"user_id": app.user_id("executor2"), "responsible": false}], "instruction": "Рассмотреть"});
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&execs)).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let sent = forward(&app, &app.clerk, &id, &town.id).await;
    assert_eq!(sent.status, 200, "{}", sent.json);
    assert_eq!(sent.json["status"], "forwarded");
    assert!(sent.json["questions"].as_array().unwrap().iter().all(|q| q["result"] == "transferred"), "{}", sent.json);
    // The answer of the forwarding is the card as the database has it afterwards.
    let stored = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    assert_eq!(stored.status, 200, "{}", stored.json);
    assert_eq!(sent.json, stored.json);
}
