//! The web pages: signing in and out, CSRF, session expiry, throttled guessing, the
//! registration form's messages, the card showing only the caller's actions, and executors
//! kept out of others' cards — over HTTP with cookies, as a browser would.

use crate::support::*;
use serde_json::{json, Value};

/// Every user's password in these tests.
const PASSWORD: &str = "пароль-для-тестов";

/// A browser: the cookies it holds and the CSRF token of its last page.
pub(crate) struct Browser<'a> {
    app: &'a TestApp,
    cookies: std::collections::BTreeMap<String, String>,
    csrf: String,
}

/// An HTML answer.
pub(crate) struct Page {
    pub(crate) status: u16,
    pub(crate) body: String,
    location: Option<String>,
    set_cookies: Vec<String>,
}

fn csrf_of(body: &str) -> Option<String> {
    let at = body.find("name=\"csrf\" value=\"")? + "name=\"csrf\" value=\"".len();
    Some(body[at..].split('"').next()?.to_string())
}

fn form(pairs: &[(&str, &str)]) -> Vec<u8> {
    serde_urlencoded::to_string(pairs).unwrap().into_bytes()
}

impl<'a> Browser<'a> {
    pub(crate) fn new(app: &'a TestApp) -> Self {
        Browser { app, cookies: Default::default(), csrf: String::new() }
    }

    async fn send(&mut self, method: &str, path: &str, body: Option<Vec<u8>>) -> Page {
        let cookie = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
        // A client that shows each redirect (and the cookies it sets) instead of following it.
        let client = awc::Client::builder().disable_redirects().timeout(std::time::Duration::from_secs(60)).finish();
        let m = actix_web::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = client.request(m, self.app.srv.url(path)).insert_header(("Content-Type", "application/x-www-form-urlencoded"));
        if !cookie.is_empty() {
            req = req.insert_header(("Cookie", cookie));
        }
        let mut resp = match body {
            Some(b) => req.send_body(b).await,
            None => req.send().await,
        }
        .expect("request sent");
        let headers: Vec<(String, String)> = resp.headers().iter().map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_string())).collect();
        let bytes = resp.body().limit(64 << 20).await.expect("body read");
        let r = Resp { status: resp.status().as_u16(), json: Value::String(String::from_utf8_lossy(&bytes).into_owned()), ctype: String::new(), headers };
        let mut set_cookies = Vec::new();
        for (k, v) in &r.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                set_cookies.push(v.clone());
                let pair = v.split(';').next().unwrap_or("");
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_string(), value.to_string());
                    }
                }
            }
        }
        let body = r.json.as_str().map(String::from).unwrap_or_else(|| r.json.to_string());
        if let Some(t) = csrf_of(&body) {
            self.csrf = t;
        }
        Page { status: r.status, location: r.header("Location").map(String::from), body, set_cookies }
    }

    /// A browser holding only this session cookie (a copied or old one).
    fn with_session(app: &'a TestApp, value: &str) -> Self {
        let mut b = Browser::new(app);
        b.cookies.insert("appeals_session".into(), value.into());
        b
    }

    pub(crate) async fn get(&mut self, path: &str) -> Page {
        self.send("GET", path, None).await
    }

    /// Posts a form with this browser's CSRF token added.
    async fn post(&mut self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let csrf = self.csrf.clone();
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(pairs);
        self.send("POST", path, Some(form(&all))).await
    }

    pub(crate) async fn sign_in(&mut self, login: &str) -> Page {
        let p = self.get("/").await;
        assert_eq!(p.status, 200);
        let p = self.post("/login", &[("login", login), ("password", PASSWORD)]).await;
        assert_eq!(p.status, 303, "sign-in of {login}: {}", p.body);
        let home = self.get("/").await;
        assert!(home.body.contains("Ежедневный мониторинг"), "{}", home.body);
        home
    }
}

pub(crate) fn set_passwords(app: &TestApp) {
    let hash = appeals::auth::hash_password(PASSWORD).unwrap();
    for login in ["admin", "supervisor", "clerk", "executor", "executor2"] {
        appeals::store::sessions::set_password(&app.pool, &app.org, &app.user_id(login), &hash, appeals::store::micros(start_instant())).unwrap();
    }
}

/// The card's action forms shown on a page.
fn shown_actions(body: &str) -> Vec<String> {
    let mut out: Vec<String> = body.split("data-action=\"").skip(1).filter_map(|s| s.split('"').next().map(String::from)).collect();
    out.sort();
    out
}

both_backends!(sign_in_csrf_logout_and_expiry);
async fn sign_in_csrf_logout_and_expiry(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut b = Browser::new(&app);
    let login = b.get("/").await;
    assert_eq!(login.status, 200);
    for label in ["<label for=\"login\">Логин</label>", "<label for=\"password\">Пароль</label>", ">Войти</button>"] {
        assert!(login.body.contains(label), "{label} missing");
    }
    // A wrong password is refused and says so.
    let p = b.post("/login", &[("login", "clerk"), ("password", "не тот пароль")]).await;
    assert_eq!(p.status, 401);
    assert!(p.body.contains("Неверный логин или пароль"));
    assert!(!b.cookies.contains_key("appeals_session"));
    // A sign-in form without its CSRF token is refused.
    let p = b.send("POST", "/login", Some(form(&[("login", "clerk"), ("password", PASSWORD)]))).await;
    assert_eq!(p.status, 403);
    assert!(!b.cookies.contains_key("appeals_session"));
    // The right password opens a session with a strict, HttpOnly cookie.
    b.get("/").await;
    let p = b.post("/login", &[("login", "clerk"), ("password", PASSWORD)]).await;
    assert_eq!(p.status, 303);
    let cookie = p.set_cookies.iter().find(|c| c.starts_with("appeals_session=")).expect("session cookie");
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict") && cookie.contains("Max-Age="), "{cookie}");
    let board = b.get("/").await;
    assert!(board.body.contains("Ежедневный мониторинг") && board.body.contains("Не распределены"));
    // Pages carry personal data: never stored by a browser or proxy.
    let r = app.raw("GET", "/appeals", None, None, &[("Cookie", &format!("appeals_session={}", b.cookies["appeals_session"]))]).await;
    assert_eq!(r.header("Cache-Control"), Some("no-store"));
    // A registration without the CSRF token is refused and stores nothing.
    let p = b.send("POST", "/appeals/new", Some(form(&[("go", "register"), ("channel", "post"), ("summary", "x")]))).await;
    assert_eq!(p.status, 403);
    let r = app.call("GET", "/api/v1/appeals", Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0);
    // The API keeps taking tokens; a signed-in browser may read through it, never write.
    let session = format!("appeals_session={}", b.cookies["appeals_session"]);
    let r = app.raw("GET", "/api/v1/appeals", None, None, &[("Cookie", &session)]).await;
    assert_eq!(r.status, 200);
    let r = app.raw("POST", "/api/v1/appeals", None, Some(appeal(json!({})).to_string().into_bytes()), &[("Cookie", &session)]).await;
    assert_eq!(r.status, 401);
    // Sign-out needs the token too, then ends the session for good.
    let p = b.send("POST", "/logout", Some(form(&[]))).await;
    assert_eq!(p.status, 403);
    let p = b.post("/logout", &[]).await;
    assert_eq!(p.status, 303);
    let old = session.trim_start_matches("appeals_session=").to_string();
    let r = Browser::with_session(&app, &old).get("/appeals").await;
    assert_eq!(r.status, 303);
    assert_eq!(r.location.as_deref(), Some("/?expired=1"));
    let r = app.raw("GET", "/api/v1/appeals", None, None, &[("Cookie", &session)]).await;
    assert_eq!(r.status, 401);
    // An expired session is refused the same way.
    let mut b = Browser::new(&app);
    b.sign_in("clerk").await;
    let expired = b.cookies["appeals_session"].clone();
    let find = |v: &str| appeals::store::sessions::find_session(&app.pool, &appeals::auth::hash_token(v)).unwrap();
    assert!(find(&old).is_none(), "signing in again deletes the signed-out session's row");
    app.set_now(start_instant() + chrono::Duration::minutes(app.state.settings.web.session_minutes as i64 + 1));
    let p = b.get("/appeals").await;
    assert_eq!(p.status, 303);
    assert_eq!(p.location.as_deref(), Some("/?expired=1"));
    let p = b.get("/").await;
    assert!(p.body.contains("Сеанс завершён или истёк"));
    // The next sign-in deletes the user's expired session too.
    assert!(find(&expired).is_some(), "kept until the next sign-in");
    let mut again = Browser::new(&app);
    again.sign_in("clerk").await;
    assert!(find(&expired).is_none(), "the expired session's row is deleted");
    assert!(find(&again.cookies["appeals_session"]).is_some());
}

both_backends!(guessing_is_slowed_down_and_passwords_come_from_admins);
async fn guessing_is_slowed_down_and_passwords_come_from_admins(db: Db) {
    let app = TestApp::start(db).await;
    let mut b = Browser::new(&app);
    // No password yet: nobody signs in.
    b.get("/").await;
    assert_eq!(b.post("/login", &[("login", "clerk"), ("password", PASSWORD)]).await.status, 401);
    // The administrator sets one over the API (too short is a field error).
    let id = app.user_id("clerk");
    let r = app.call("PATCH", &format!("/api/v1/users/{id}"), Some(&app.admin), Some(&json!({"password": "short"}))).await;
    r.assert_problem(422, Some("password"));
    let r = app.call("PATCH", &format!("/api/v1/users/{id}"), Some(&app.supervisor), Some(&json!({"password": PASSWORD}))).await;
    assert_eq!(r.status, 403);
    let r = app.call("PATCH", &format!("/api/v1/users/{id}"), Some(&app.admin), Some(&json!({"password": PASSWORD}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert!(r.json.get("password").is_none());
    // After three failures in a row the next attempt must wait, even with the right password.
    let mut b = Browser::new(&app);
    b.get("/").await;
    for _ in 0..2 {
        assert_eq!(b.post("/login", &[("login", "clerk"), ("password", "неверно-неверно")]).await.status, 401);
    }
    let p = b.post("/login", &[("login", "clerk"), ("password", PASSWORD)]).await;
    assert_eq!(p.status, 429, "the first no-password failure counts too: {}", p.body);
    assert!(p.body.contains("Слишком много неудачных попыток"));
    app.set_now(start_instant() + chrono::Duration::seconds(2));
    let p = b.post("/login", &[("login", "clerk"), ("password", PASSWORD)]).await;
    assert_eq!(p.status, 303);
}

/// The form of a forwarded letter with two questions, as a clerk fills it.
fn forwarded_letter<'a>(surname_line: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("go", "register"),
        ("channel", "forwarded"),
        ("form", "written"),
        ("kind", "complaint"),
        ("received_on", "2025-03-03"),
        ("source_organization", "Прокуратура Республики Коми"),
        ("source_number", "7-12-2025"),
        ("source_date", "2025-02-27"),
        ("full_name", surname_line),
        ("postal_address", "169300, г. Ухта, ул. Октябрьская, д. 12, кв. 4"),
        ("email", "smirnova@example.ru"),
        ("summary", "Просит отремонтировать тротуар и осветить двор"),
        ("question", "0003.0009.0097.0699"),
        ("question_text", "ремонт тротуара"),
        ("question", "уличное освещение"),
        ("question_text", "освещение двора"),
        ("reply_channel", "post"),
    ]
}

both_backends!(registration_form_keeps_input_and_names_errors);
async fn registration_form_keeps_input_and_names_errors(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut b = Browser::new(&app);
    b.sign_in("clerk").await;
    let p = b.get("/appeals/new").await;
    assert_eq!(p.status, 200);
    for label in ["Канал поступления", "Форма обращения", "Вид обращения", "Дата поступления", "ФИО заявителя", "Почтовый адрес", "Электронная почта", "Краткое содержание", "Вопрос"] {
        assert!(p.body.contains(&format!("\">{label}</label>")), "label {label} missing");
    }
    assert!(p.body.contains(">Зарегистрировать</button>"));
    // Every control has a visible label: each id'd input, select and textarea is named by one.
    for part in p.body.split("<input id=\"").skip(1).chain(p.body.split("<select id=\"").skip(1)).chain(p.body.split("<textarea id=\"").skip(1)) {
        let id = part.split('"').next().unwrap();
        assert!(p.body.contains(&format!("<label for=\"{id}\">")), "control {id} has no label");
    }
    // Errors beside their fields, typed values kept, nothing stored.
    let mut bad = forwarded_letter("Смирнова Ольга Петровна");
    bad.retain(|(k, _)| *k != "summary" && *k != "email" && *k != "source_organization");
    bad.push(("email", "не-адрес"));
    bad.push(("summary", ""));
    let p = b.post("/appeals/new", &bad).await;
    assert_eq!(p.status, 422, "{}", p.body);
    for field in ["summary", "email_0", "source_organization"] {
        assert!(p.body.contains(&format!("id=\"err-{field}\"")), "no error beside {field}: {}", p.body);
        assert!(p.body.contains(&format!("aria-describedby=\"err-{field}\"")), "{field} not tied to its error");
    }
    assert!(p.body.contains("value=\"Смирнова Ольга Петровна\""));
    assert!(p.body.contains("value=\"7-12-2025\""));
    let r = app.call("GET", "/api/v1/appeals", Some(&app.admin), None).await;
    assert_eq!(r.json["items"].as_array().unwrap().len(), 0);
    // «Вопрос» by words: several matches offer a choice, unknown words say so.
    let mut words = forwarded_letter("Смирнова Ольга Петровна");
    let mut first = true;
    for (k, v) in words.iter_mut() {
        if *k == "question" {
            *v = if first { "дорог" } else { "нет-таких-слов" };
            first = false;
        }
    }
    let p = b.post("/appeals/new", &words).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("id=\"err-question_0\"") && p.body.contains("выберите вопрос из списка"), "{}", p.body);
    assert!(p.body.contains("<select id=\"question_0\" name=\"question\""), "a choice of matches");
    assert!(p.body.contains("id=\"err-question_1\"") && p.body.contains("не найдено «нет-таких-слов»"));
    // Without JavaScript: another question row, and the channel's own fields.
    let p = b.post("/appeals/new", &[("go", "add_question"), ("channel", "personal_reception"), ("question", "0003.0009.0097.0699"), ("question_text", "")]).await;
    assert_eq!(p.status, 200);
    assert!(p.body.contains("<label for=\"question_1\">Вопрос 2</label>"));
    assert!(p.body.contains("value=\"0003.0009.0097.0699\""));
    assert!(p.body.contains("id=\"reception-fields\" data-channel=\"personal_reception\">"), "reception fields shown for personal reception");
    assert!(p.body.contains("id=\"source-fields\" data-channel=\"forwarded\" hidden>"));
}

both_backends!(a_letter_goes_from_form_to_approval_through_the_pages);
async fn a_letter_goes_from_form_to_approval_through_the_pages(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut clerk = Browser::new(&app);
    clerk.sign_in("clerk").await;
    let p = clerk.post("/appeals/new", &forwarded_letter("Кузнецова Мария Ивановна")).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let card_path = p.location.unwrap().split('?').next().unwrap().to_string();
    let id = card_path.trim_start_matches("/appeals/").to_string();
    let card = clerk.get(&format!("{card_path}?done=registered")).await;
    assert!(card.body.contains("ОГ-2025-000001"), "{}", card.body);
    assert!(card.body.contains("Прокуратура Республики Коми"));
    // Questions read with their classifier names, dates the Russian way.
    assert!(card.body.contains("0003.0009.0097.0699 Благоустройство и ремонт подъездных дорог, в том числе тротуаров"), "{}", card.body);
    assert!(card.body.contains("<dd>03.03.2025</dd>"), "{}", card.body);
    let api = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.clerk), None).await;
    assert_eq!(api.json["questions"].as_array().unwrap().len(), 2);
    assert_eq!(api.json["questions"][1]["code"], "0003.0009.0097.0690", "found by words");
    assert_eq!(api.json["source"]["number"], "7-12-2025");
    // Found in the registry by surname, and in its CSV.
    let list = clerk.get(&format!("/appeals?q={}", urlencode("кузнецова"))).await;
    assert!(list.body.contains("ОГ-2025-000001") && list.body.contains("<label for=\"q\">Поиск</label>"), "{}", list.body);
    let none = clerk.get(&format!("/appeals?q={}", urlencode("петров"))).await;
    assert!(!none.body.contains("ОГ-2025-000001"));
    // Too short to look up: the reason beside the search box, what was typed kept.
    let short = clerk.get(&format!("/appeals?q={}", urlencode("Ку"))).await;
    assert_eq!(short.status, 422);
    assert!(short.body.contains("не меньше 3 букв или цифр подряд") && short.body.contains("value=\"Ку\""), "{}", short.body);
    let csv = clerk.get(&format!("/registry.csv?q={}", urlencode("Кузнецова"))).await;
    assert!(csv.body.contains("ОГ-2025-000001") && csv.body.contains("Кузнецова Мария Ивановна"));
    // The supervisor assigns the executor.
    let mut sup = Browser::new(&app);
    sup.sign_in("supervisor").await;
    let page = sup.get(&card_path).await;
    assert!(shown_actions(&page.body).contains(&"assign".to_string()));
    let version = api.json["version"].to_string();
    let executor = app.user_id("executor");
    let p = sup.post(&format!("{card_path}/do/assign"), &[("version", &version), ("responsible", &executor), ("instruction", "Подготовить ответ")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // The executor sees it in «Мои поручения» and answers every question.
    let mut ex = Browser::new(&app);
    ex.sign_in("executor").await;
    let queue = ex.get("/me").await;
    assert!(queue.body.contains("Мои поручения") && queue.body.contains("ОГ-2025-000001"));
    // The resolution, with who gave it, in the queue and on the card.
    assert!(queue.body.contains("Подготовить ответ") && queue.body.contains("supervisor Тестовый"), "{}", queue.body);
    let page = ex.get(&card_path).await;
    assert_eq!(shown_actions(&page.body), vec!["answer".to_string()]);
    assert!(page.body.contains("<dt id=\"resolution\">Поручение</dt>") && page.body.contains("Подготовить ответ"));
    let v = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.executor), None).await.json["version"].to_string();
    let p = ex
        .post(&format!("{card_path}/do/answer"), &[("version", &v), ("text", "Ремонт включён в план на май."), ("code", "0003.0009.0097.0699"), ("result", "explained"), ("code", "0003.0009.0097.0690"), ("result", "supported")])
        .await;
    assert_eq!(p.status, 303, "{}", p.body);
    // The supervisor approves; the appeal stays on control until the answer goes out.
    let page = sup.get(&card_path).await;
    assert!(shown_actions(&page.body).contains(&"approve".to_string()));
    let v = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.supervisor), None).await.json["version"].to_string();
    let answer_id = page.body.split("name=\"answer_id\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let p = sup.post(&format!("{card_path}/do/approve"), &[("version", &v), ("answer_id", &answer_id), ("close", "close")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let after = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.supervisor), None).await;
    assert_eq!(after.json["status"], "answered", "{}", after.json);
    let page = sup.get(&card_path).await;
    assert!(shown_actions(&page.body).contains(&"dispatch".to_string()) && !shown_actions(&page.body).contains(&"close".to_string()));
    let v = after.json["version"].to_string();
    let p = sup.post(&format!("{card_path}/do/dispatch"), &[("version", &v), ("answer_id", &answer_id), ("sent_on", "2025-03-03"), ("channel", "post"), ("outgoing_number", "")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let after = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.supervisor), None).await;
    assert_eq!(after.json["status"], "closed", "{}", after.json);
    // A stale version is refused on the card, not applied.
    let p = sup.post(&format!("{card_path}/do/close"), &[("version", "1")]).await;
    assert!(p.status == 409 || p.status == 422 || p.status == 412, "{}", p.status);
    // The print view carries the card and the resolution.
    let print = sup.get(&format!("{card_path}/print")).await;
    assert!(print.body.contains("Регистрационно-контрольная карточка") && print.body.contains("Резолюция"));
    assert!(print.body.contains("Поручение:") && print.body.contains("Подготовить ответ"));
}

both_backends!(pages_show_only_the_callers_actions_and_hide_others_cards);
async fn pages_show_only_the_callers_actions_and_hide_others_cards(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.supervisor), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    assert_eq!(r.status, 200);
    let tokens = [("admin", &app.admin), ("supervisor", &app.supervisor), ("clerk", &app.clerk), ("executor", &app.executor)];
    for (login, token) in tokens {
        let mut b = Browser::new(&app);
        b.sign_in(login).await;
        let page = b.get(&format!("/appeals/{id}")).await;
        assert_eq!(page.status, 200, "{login}");
        let api = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(token), None).await;
        // Forms are shown for exactly the card's allowed actions that have a web form.
        let with_form = ["assign", "extend", "forward", "answer", "approve", "return", "dispatch", "close", "leave_without_answer"];
        let mut allowed: Vec<String> = api.json["allowed_actions"].as_array().unwrap().iter().filter_map(|a| a.as_str()).filter(|a| with_form.contains(a)).map(String::from).collect();
        allowed.sort();
        assert_eq!(shown_actions(&page.body), allowed, "{login}");
        // The registration form and statistics only for the roles that have them.
        let form = b.get("/appeals/new").await;
        assert_eq!(form.status == 200, ["admin", "clerk"].contains(&login), "{login}: /appeals/new → {}", form.status);
        let stats = b.get("/statistics").await;
        assert_eq!(stats.status == 200, ["admin", "supervisor"].contains(&login), "{login}: /statistics → {}", stats.status);
        if stats.status == 200 {
            // The annual report's inline SVG charts, for channels and sections.
            let charts = b.get("/statistics?from=2025-01-01&to=2025-12-31").await;
            assert_eq!(charts.body.matches("<svg").count(), 2, "{}", charts.body);
            assert!(charts.body.contains("<figcaption>Обращения по каналам поступления"));
            assert!(charts.body.contains("<figcaption>Вопросы по разделам классификатора"));
            // An empty period draws no empty figures.
            let empty = b.get("/statistics?from=2020-01-01&to=2020-12-31").await;
            assert_eq!(empty.status, 200);
            assert!(!empty.body.contains("<svg"), "{}", empty.body);
        }
    }
    // Another executor cannot open, print or act on the card by URL: 404 like the API.
    let mut other = Browser::new(&app);
    other.sign_in("executor2").await;
    assert_eq!(other.get(&format!("/appeals/{id}")).await.status, 404);
    assert_eq!(other.get(&format!("/appeals/{id}/print")).await.status, 404);
    let p = other.post(&format!("/appeals/{id}/do/answer"), &[("text", "x"), ("code", "0003.0009.0097.0699"), ("result", "explained")]).await;
    assert_eq!(p.status, 404);
    let list = other.get("/appeals").await;
    assert!(!list.body.contains(card["reg_number"].as_str().unwrap()));
    let api = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.executor2), None).await;
    assert_eq!(api.status, 404);
    // Not signed in: every page sends to the sign-in page.
    let anon = Browser::new(&app).get(&format!("/appeals/{id}")).await;
    assert_eq!(anon.status, 303);
    let _ = Value::Null;
}

/// Who may open each page (the access matrix of the pages; the API's is in security.rs).
const PAGE_RULES: &[(&str, &[&str])] = &[
    ("/", &["admin", "supervisor", "clerk", "executor"]),
    ("/appeals", &["admin", "supervisor", "clerk", "executor"]),
    ("/appeals/new", &["admin", "clerk"]),
    ("/me", &["admin", "supervisor", "clerk", "executor"]),
    ("/statistics", &["admin", "supervisor"]),
    ("/registry.csv", &["admin", "supervisor", "clerk", "executor"]),
    ("/classifier/suggest?q=%D1%82%D1%80%D0%BE%D1%82%D1%83%D0%B0%D1%80", &["admin", "supervisor", "clerk", "executor"]),
];

both_backends!(every_page_keeps_its_access_rule);
async fn every_page_keeps_its_access_rule(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    for login in ["admin", "supervisor", "clerk", "executor"] {
        let mut b = Browser::new(&app);
        b.sign_in(login).await;
        for (path, allowed) in PAGE_RULES {
            let p = b.get(path).await;
            if allowed.contains(&login) {
                assert_eq!(p.status, 200, "{path} as {login}: {}", p.body);
            } else {
                assert_eq!(p.status, 403, "{path} as {login}");
            }
        }
    }
    for (path, _) in PAGE_RULES {
        let r = Browser::new(&app).get(path).await;
        if *path == "/" {
            assert_eq!(r.status, 200);
        } else {
            assert_eq!(r.status, 303, "{path} without a session");
        }
    }
}

both_backends!(password_and_other_fields_change_together);
async fn password_and_other_fields_change_together(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut old = Browser::new(&app);
    old.sign_in("executor2").await;
    let id = app.user_id("executor2");
    // A missing department refuses the whole change: the old password keeps working.
    let r = app.call("PATCH", &format!("/api/v1/users/{id}"), Some(&app.admin), Some(&json!({"role": "supervisor", "department": "nope", "password": "новый-пароль-2025"}))).await;
    r.assert_problem(422, Some("department"));
    assert_eq!(old.get("/me").await.status, 200, "the open session survives a refused change");
    // Role and password in one request: both land, and the open session ends.
    let r = app.call("PATCH", &format!("/api/v1/users/{id}"), Some(&app.admin), Some(&json!({"role": "supervisor", "password": "новый-пароль-2025"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(r.json["role"], "supervisor");
    assert_ne!(old.get("/me").await.status, 200, "a new password ends the open session");
    let mut b = Browser::new(&app);
    b.get("/").await;
    assert_eq!(b.post("/login", &[("login", "executor2"), ("password", PASSWORD)]).await.status, 401);
    assert_eq!(b.post("/login", &[("login", "executor2"), ("password", "новый-пароль-2025")]).await.status, 303);
    // An unknown user: 404, and nothing is written.
    let ghost = uuid::Uuid::new_v4();
    let r = app.call("PATCH", &format!("/api/v1/users/{ghost}"), Some(&app.admin), Some(&json!({"password": "новый-пароль-2025"}))).await;
    assert_eq!(r.status, 404);
}

both_backends!(my_queue_pages_with_a_cursor);
async fn my_queue_pages_with_a_cursor(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut regs = Vec::new();
    for _ in 0..3 {
        let card = app.register(json!({})).await;
        let id = card["id"].as_str().unwrap().to_string();
        let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.supervisor), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
        assert_eq!(r.status, 200, "{}", r.json);
        regs.push(card["reg_number"].as_str().unwrap().to_string());
    }
    let mut b = Browser::new(&app);
    b.sign_in("executor").await;
    // Two per page: the first page links to the next, the last page does not; every assignment shows once.
    let mut path = "/me?limit=2".to_string();
    let mut seen = Vec::new();
    let mut pages = 0;
    loop {
        let p = b.get(&path).await;
        assert_eq!(p.status, 200, "{}", p.body);
        pages += 1;
        for r in &regs {
            if p.body.contains(r.as_str()) {
                seen.push(r.clone());
            }
        }
        match p.body.split("href=\"/me?").nth(1).and_then(|s| s.split('"').next()) {
            Some(next) => path = format!("/me?{}", next.replace("&amp;", "&")),
            None => break,
        }
        assert!(pages < 5, "paging does not end");
    }
    assert_eq!(pages, 2);
    seen.sort();
    regs.sort();
    assert_eq!(seen, regs);
    // A damaged cursor is named, not a crash.
    let p = b.get("/me?cursor=zz").await;
    assert!(p.status == 400 || p.status == 422, "{} {}", p.status, p.body);
}

/// The form's one-time token as the page carries it.
fn form_token_of(body: &str) -> String {
    let at = body.find("name=\"form_token\" value=\"").expect("the form carries a one-time token") + "name=\"form_token\" value=\"".len();
    body[at..].split('"').next().unwrap().to_string()
}

/// Appeals in the registry, as the API counts them.
async fn registered_count(app: &TestApp) -> usize {
    app.call("GET", "/api/v1/appeals?limit=100", Some(&app.supervisor), None).await.json["items"].as_array().unwrap().len()
}

both_backends!(a_form_posted_after_the_session_ended_comes_back_after_signing_in);
async fn a_form_posted_after_the_session_ended_comes_back_after_signing_in(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut b = Browser::new(&app);
    b.sign_in("clerk").await;
    let blank = b.get("/appeals/new").await;
    let token = form_token_of(&blank.body);
    // The session (600 minutes by default) ends while the clerk types.
    app.set_now(start_instant() + chrono::Duration::minutes(601));
    let mut letter = forwarded_letter("Смирнова Ольга Петровна");
    letter.push(("form_token", &token));
    letter.retain(|(k, _)| *k != "summary");
    letter.push(("summary", "Просит убрать сосульки над входом в подъезд дома 12"));
    let p = b.post("/appeals/new", &letter).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("Сеанс истёк. Войдите снова — введённые данные сохранены."), "{}", p.body);
    assert_eq!(registered_count(&app).await, 0, "nothing registered");
    let draft = p.body.split("name=\"draft\" value=\"").nth(1).expect("the sign-in form carries the kept form").split('"').next().unwrap().to_string();
    // Someone else signing in with that token gets nothing back.
    let mut other = Browser::new(&app);
    other.get("/").await;
    let p = other.post("/login", &[("login", "supervisor"), ("password", PASSWORD), ("draft", &draft)]).await;
    assert_eq!(p.location.as_deref(), Some("/"));
    // The clerk signs in again and lands on the form, filled as typed.
    let p = b.post("/login", &[("login", "clerk"), ("password", PASSWORD), ("draft", &draft)]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let back = p.location.unwrap();
    assert_eq!(back, format!("/appeals/new?draft={draft}"));
    let form = b.get(&back).await;
    assert!(form.body.contains("Введённые данные восстановлены"), "{}", form.body);
    assert!(form.body.contains("Просит убрать сосульки над входом в подъезд дома 12") && form.body.contains("Смирнова Ольга Петровна"));
    assert_eq!(form_token_of(&form.body), token, "the same form, the same one-time token");
    assert_eq!(registered_count(&app).await, 0, "still nothing registered until the clerk sends it");
    // A draft is used once.
    let again = b.get(&back).await;
    assert!(!again.body.contains("Просит убрать сосульки"));
    // Sent again, it registers once.
    let mut resend = letter.clone();
    resend.retain(|(k, _)| *k != "form_token");
    resend.push(("form_token", &token));
    let p = b.post("/appeals/new", &resend).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(registered_count(&app).await, 1);

    // An answer typed on the card survives the same way.
    let id = p.location.unwrap().trim_start_matches("/appeals/").split('?').next().unwrap().to_string();
    app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    let mut ex = Browser::new(&app);
    ex.sign_in("executor").await;
    ex.get(&format!("/appeals/{id}")).await;
    app.set_now(start_instant() + chrono::Duration::minutes(601 + 601));
    let p = ex.post(&format!("/appeals/{id}/do/answer"), &[("version", "2"), ("text", "Сосульки убраны 5 марта."), ("code", "0003.0009.0097.0699"), ("result", "explained")]).await;
    assert!(p.body.contains("Сеанс истёк"), "{}", p.body);
    let draft = p.body.split("name=\"draft\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    let p = ex.post("/login", &[("login", "executor"), ("password", PASSWORD), ("draft", &draft)]).await;
    assert_eq!(p.location, Some(format!("/appeals/{id}?draft={draft}")));
    let card = ex.get(&format!("/appeals/{id}?draft={draft}")).await;
    assert!(card.body.contains(">Сосульки убраны 5 марта.</textarea>"), "{}", card.body);
}

both_backends!(back_and_submit_registers_one_appeal);
async fn back_and_submit_registers_one_appeal(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut b = Browser::new(&app);
    b.sign_in("clerk").await;
    let token = form_token_of(&b.get("/appeals/new").await.body);
    let mut letter = forwarded_letter("Смирнова Ольга Петровна");
    letter.push(("form_token", &token));
    let first = b.post("/appeals/new", &letter).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let card = first.location.unwrap().split('?').next().unwrap().to_string();
    // Back, then «Зарегистрировать» again: the first card opens, nothing new is registered.
    let second = b.post("/appeals/new", &letter).await;
    assert_eq!(second.status, 303, "{}", second.body);
    assert_eq!(second.location, Some(format!("{card}?done=already")));
    let page = b.get(&second.location.unwrap()).await;
    assert!(page.body.contains("Это обращение уже зарегистрировано: <strong>ОГ-2025-000001</strong>"), "{}", page.body);
    assert_eq!(registered_count(&app).await, 1);
}

both_backends!(a_near_identical_letter_of_the_same_person_asks_first);
async fn a_near_identical_letter_of_the_same_person_asks_first(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut b = Browser::new(&app);
    b.sign_in("clerk").await;
    let mut letter = forwarded_letter("Смирнова Ольга Петровна");
    let t1 = form_token_of(&b.get("/appeals/new").await.body);
    letter.push(("form_token", &t1));
    assert_eq!(b.post("/appeals/new", &letter).await.status, 303);
    // The same letter again on a fresh form (it came by e-mail too): the form asks first.
    let t2 = form_token_of(&b.get("/appeals/new").await.body);
    let mut again: Vec<(&str, &str)> = letter.iter().filter(|(k, _)| *k != "form_token").cloned().collect();
    again.push(("form_token", &t2));
    let p = b.post("/appeals/new", &again).await;
    assert_eq!(p.status, 200, "{}", p.body);
    assert!(p.body.contains("id=\"near-duplicate\"") && p.body.contains("ОГ-2025-000001") && p.body.contains("Это новое обращение"), "{}", p.body);
    assert_eq!(registered_count(&app).await, 1);
    // Another matter of the same person is not asked about.
    let t3 = form_token_of(&b.get("/appeals/new").await.body);
    let mut other: Vec<(&str, &str)> = letter.iter().filter(|(k, _)| *k != "form_token" && *k != "summary").cloned().collect();
    other.push(("form_token", &t3));
    other.push(("summary", "Просит выделить место в детском саду для сына"));
    assert_eq!(b.post("/appeals/new", &other).await.status, 303);
    // Confirmed as new, the near-identical one registers.
    again.push(("confirm_new", "1"));
    let p = b.post("/appeals/new", &again).await;
    assert_eq!(p.status, 303, "{}", p.body);
    assert_eq!(registered_count(&app).await, 3);
}

both_backends!(an_empty_applicant_is_named_at_the_top_and_beside_the_field);
async fn an_empty_applicant_is_named_at_the_top_and_beside_the_field(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let mut b = Browser::new(&app);
    b.sign_in("clerk").await;
    let written = |name: &'static str, address: &'static str| {
        vec![("go", "register"), ("channel", "post"), ("form", "written"), ("kind", "complaint"), ("received_on", "2025-03-03"), ("full_name", name), ("postal_address", address), ("email", ""), ("summary", "Просит отремонтировать тротуар"), ("question", "0003.0009.0097.0699"), ("question_text", "")]
    };
    let p = b.post("/appeals/new", &written("", "")).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("<a href=\"#full_name_0\">ФИО заявителя: обязательное поле"), "{}", p.body);
    assert!(p.body.contains("id=\"err-full_name_0\""));
    // A name with nowhere to send the answer (Art. 7).
    let p = b.post("/appeals/new", &written("Смирнова Ольга Петровна", "")).await;
    assert_eq!(p.status, 422);
    assert!(p.body.contains("<a href=\"#postal_address_0\">Почтовый адрес: укажите почтовый адрес или электронную почту"), "{}", p.body);
    assert_eq!(registered_count(&app).await, 0);
    // Anonymous when the clerk says so.
    let mut anonymous = written("", "");
    anonymous.push(("anonymous", "1"));
    let p = b.post("/appeals/new", &anonymous).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let list = app.call("GET", "/api/v1/appeals", Some(&app.supervisor), None).await;
    assert_eq!(list.json["items"][0]["anonymous"], true);
    // The card names its registration date and the way the answer goes; the board reads Russian.
    let card = b.get(p.location.as_deref().unwrap()).await;
    assert!(card.body.contains("<dt>Дата регистрации</dt><dd>03.03.2025</dd>"), "{}", card.body);
    assert!(card.body.contains("<dt>Способ ответа</dt><dd>не указан</dd>"));
    let board = b.get("/").await;
    assert!(board.body.contains("Сегодня 3 марта 2025 г."), "{}", board.body);
    assert!(!board.body.contains("более"));
}

/// Internal codes that must never reach a page, report, workbook or letter a person reads.
const INTERNAL_CODES: [&str; 27] = [
    "post", "email", "by_hand", "internet_reception", "gis_zhkh", "feedback_platform", "dobrodel", "personal_reception", "forwarded", "live_broadcast",
    "written", "electronic", "oral", "complaint", "statement", "proposal", "explained", "supported", "supported_measures_taken", "not_supported",
    "left_without_answer", "transferred", "answered", "in_work", "registered", "closed", "fz59",
];

/// What a reader sees of an HTML page: the text between tags (no attributes, scripts or styles).
fn visible_text(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        out.push(' ');
        let tail = &rest[at..];
        let skip_to = |end: &str| tail.find(end).map(|i| i + end.len()).unwrap_or(tail.len());
        let n = if tail.starts_with("<script") { skip_to("</script>") } else if tail.starts_with("<style") { skip_to("</style>") } else { skip_to(">") };
        rest = &tail[n..];
    }
    out.push_str(rest);
    out
}

/// The internal codes and ISO dates a text shows, for the assertion's message.
fn codes_and_iso_dates(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let words: Vec<&str> = text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '-')).filter(|w| !w.is_empty()).collect();
    for w in &words {
        if INTERNAL_CODES.contains(w) {
            found.push(format!("code «{w}»"));
        }
        let b = w.as_bytes();
        if b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()) {
            found.push(format!("ISO date «{w}»"));
        }
    }
    found
}

both_backends!(what_a_head_of_administration_reads_is_russian_throughout);
async fn what_a_head_of_administration_reads_is_russian_throughout(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    // A month with every kind of figure: channels, forms, kinds, results, a reception.
    for over in [
        json!({}),
        json!({"channel": "email", "form": "electronic", "kind": "statement"}),
        json!({"channel": "personal_reception", "form": "written", "reception": {"official": "Глава", "official_role": "head", "held_on": "2025-03-03"}}),
        json!({"channel": "live_broadcast", "form": "oral", "kind": "proposal"}),
        json!({"source": {"organization": "Прокуратура г. Ухты", "number": "7-12", "date": "2025-02-27"}, "channel": "forwarded"}),
    ] {
        app.register(over).await;
    }
    let id = app.register(json!({})).await["id"].as_str().unwrap().to_string();
    app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": app.user_id("executor"), "responsible": true}]}))).await;
    let card = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.executor), None).await.json;
    let results: Vec<Value> = card["questions"].as_array().unwrap().iter().map(|q| json!({"code": q["code"], "result": "supported"})).collect();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/answers"), Some(&app.executor), Some(&json!({"text": "Поддержано.", "results": results}))).await;
    let answer = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    app.call("POST", &format!("/api/v1/appeals/{id}/answers/{answer}/approve"), Some(&app.supervisor), Some(&json!({}))).await;
    let mut b = Browser::new(&app);
    b.sign_in("supervisor").await;
    let mut outputs: Vec<(String, String)> = Vec::new();
    let page = b.get("/statistics?from=2025-03-01&to=2025-03-31").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("с 1 по 31 марта 2025 г."), "{}", page.body);
    outputs.push(("/statistics".into(), visible_text(&page.body)));
    let html = String::from_utf8(app.raw_bytes("GET", "/api/v1/reports/annual?year=2025", Some(&app.supervisor)).await).unwrap();
    outputs.push(("annual report".into(), visible_text(&html)));
    for breakdown in ["by_channel", "by_form", "by_kind", "by_legal_regime", "by_section", "top_questions", "results"] {
        let csv = String::from_utf8(app.raw_bytes("GET", &format!("/api/v1/reports/annual?year=2025&format=csv&breakdown={breakdown}"), Some(&app.supervisor)).await).unwrap();
        assert!(!csv.contains("problem"), "{breakdown}: {csv}");
        outputs.push((format!("annual CSV {breakdown}"), csv));
    }
    let xlsx = app.raw_bytes("GET", "/api/v1/reports/annual?year=2025&format=xlsx", Some(&app.supervisor)).await;
    {
        use calamine::{Reader, Xlsx};
        let mut wb: Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).unwrap();
        for name in wb.sheet_names().to_vec() {
            let range = wb.worksheet_range(&name).unwrap();
            let cells: Vec<String> = range.rows().flat_map(|r| r.iter().map(|c| c.to_string())).collect();
            outputs.push((format!("workbook sheet «{name}»"), cells.join(" | ")));
        }
    }
    for form in ["appeals", "reception"] {
        let csv = String::from_utf8(app.raw_bytes("GET", &format!("/api/v1/exports/gasu/{form}?month=2025-03&format=csv"), Some(&app.supervisor)).await).unwrap();
        outputs.push((format!("ГАСУ {form}"), csv));
    }
    for (what, text) in &outputs {
        let found = codes_and_iso_dates(text);
        assert!(found.is_empty(), "{what} shows {found:?}:\n{text}");
    }
}

both_backends!(an_imported_cards_page_shows_the_journal_number);
async fn an_imported_cards_page_shows_the_journal_number(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let csv = "Рег. №;Дата регистрации;Ф.И.О.;Содержание;Вопрос\r\n17-В;12.03.2024;Иванов И.И., ул. Ленина 5;Ямы во дворе;0003.0009.0097.0699\r\n";
    let r = crate::legacy_import::upload(&app, &app.admin, csv.as_bytes(), "j.csv", false, None).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let list = app.call("GET", "/api/v1/appeals?registered_from=2024-01-01", Some(&app.admin), None).await;
    let id = list.json["items"][0]["id"].as_str().unwrap().to_string();
    let mut b = Browser::new(&app);
    b.sign_in("clerk").await;
    let card = b.get(&format!("/appeals/{id}")).await;
    assert_eq!(card.status, 200);
    assert!(card.body.contains("Номер в прежнем журнале</dt><dd id=\"legacy-number\">17-В</dd>"), "{}", card.body);
}

/// Gives `login` (of the first organization) the test password, so it can sign in to the pages.
fn set_password_of(app: &TestApp, login: &str) {
    let hash = appeals::auth::hash_password(PASSWORD).unwrap();
    appeals::store::sessions::set_password(&app.pool, &app.org, &app.user_id(login), &hash, appeals::store::micros(start_instant())).unwrap();
}

both_backends!(the_card_forwards_to_an_organization_of_the_instance);
async fn the_card_forwards_to_an_organization_of_the_instance(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap();
    let mut sup = Browser::new(&app);
    sup.sign_in("supervisor").await;
    // The form lists the other organizations of the instance; its own is not among them.
    let page = sup.get(&format!("/appeals/{id}")).await;
    assert!(page.body.contains("name=\"organization_id\"") && page.body.contains(&format!("<option value=\"{}\">Администрация городского округа «Ухта»</option>", town.id)), "{}", page.body);
    assert!(!page.body.contains(&format!("<option value=\"{}\"", app.org)), "the sender itself is not offered");
    let version = card["version"].to_string();
    let p = sup.post(&format!("/appeals/{id}/do/forward"), &[("version", &version), ("organization_id", &town.id), ("organization", ""), ("reason", "Вопрос относится к ведению городского округа")]).await;
    assert_eq!(p.status, 303, "{}", p.body);
    // Both cards, linked: the sender's says where it went, the town has its own appeal.
    let sent = app.call("GET", &format!("/api/v1/appeals/{id}"), Some(&app.supervisor), None).await;
    assert_eq!(sent.json["status"], "forwarded", "{}", sent.json);
    assert_eq!(sent.json["forwarded"]["organization"], "Администрация городского округа «Ухта»");
    let to = sent.json["forwarded"]["to_appeal_id"].as_str().expect("linked to the receiver's appeal").to_string();
    let got = app.call("GET", &format!("/api/v1/appeals/{to}"), Some(&town.clerk), None).await;
    assert_eq!(got.status, 200, "{}", got.json);
    assert_eq!((got.json["channel"].as_str(), got.json["source"]["appeal_id"].as_str()), (Some("forwarded"), Some(id)));
    // The card now shows the receiver's side.
    let page = sup.get(&format!("/appeals/{id}")).await;
    assert!(page.body.contains("id=\"receiver\"") && page.body.contains(got.json["reg_number"].as_str().unwrap()), "{}", page.body);
    // Nothing left to do on it here: no «Действия» heading over no form.
    assert!(!page.body.contains("<h2>Действия</h2>") && page.body.contains("Доступных вам действий сейчас нет"), "{}", page.body);
    // A refusal comes back beside the form: the town deactivated, another letter.
    let r = app.call("PATCH", &format!("/api/v1/organizations/{}", town.id), Some(&app.regional_admin), Some(&json!({"active": false}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let other = app.register(json!({})).await;
    let oid = other["id"].as_str().unwrap();
    let p = sup.post(&format!("/appeals/{oid}/do/forward"), &[("version", &other["version"].to_string()), ("organization_id", &town.id), ("reason", "По компетенции")]).await;
    assert_eq!(p.status, 422, "{}", p.body);
    assert!(p.body.contains("организация отключена и не принимает новые обращения"), "the reason beside the form: {}", p.body);
    let left = app.call("GET", &format!("/api/v1/appeals/{oid}"), Some(&app.supervisor), None).await;
    assert_eq!(left.json["status"], other["status"], "nothing half-written");
}

both_backends!(a_regional_supervisor_reads_the_regions_statistics_page);
async fn a_regional_supervisor_reads_the_regions_statistics_page(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    set_password_of(&app, "regional_supervisor");
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    app.register(json!({})).await;
    app.register(json!({})).await;
    let r = app.call("POST", "/api/v1/appeals", Some(&town.clerk), Some(&appeal(json!({})))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let mut reg = Browser::new(&app);
    reg.sign_in("regional_supervisor").await;
    let year = "/statistics?from=2025-01-01&to=2025-12-31";
    // The region: every organization's appeals summed, a row for each.
    let all = reg.get(&format!("{year}&organization=all")).await;
    assert_eq!(all.status, 200, "{}", all.body);
    assert!(all.body.contains("<option value=\"all\" selected>Весь регион"), "{}", all.body);
    let table = all.body.split("id=\"by-organization\"").nth(1).expect("the table by organization").split("</table>").next().unwrap();
    assert!(table.contains("Администрация городского округа «Ухта»") && table.contains("<td class=\"n\">1</td>") && table.contains("<td class=\"n\">2</td>"), "{table}");
    assert!(all.body.contains("breakdown=by_organization&amp;organization=all"), "the report links carry the region");
    // One organization, picked from the list: its own figures, no table by organization.
    let one = reg.get(&format!("{year}&organization={}", town.id)).await;
    assert_eq!(one.status, 200, "{}", one.body);
    assert!(one.body.contains(&format!("<option value=\"{}\" selected>", town.id)) && !one.body.contains("id=\"by-organization\""), "{}", one.body);
    // An id that names no organization: not found.
    assert_eq!(reg.get(&format!("{year}&organization={}", uuid::Uuid::new_v4())).await.status, 404);
    // An organization's own supervisor gets no choice and only its own figures.
    let mut sup = Browser::new(&app);
    sup.sign_in("supervisor").await;
    let own = sup.get(&format!("{year}&organization=all")).await;
    assert_eq!(own.status, 200, "{}", own.body);
    assert!(!own.body.contains("id=\"organization\"") && !own.body.contains("id=\"by-organization\""), "{}", own.body);
}

both_backends!(a_regional_supervisor_picks_the_organization_the_pages_show);
async fn a_regional_supervisor_picks_the_organization_the_pages_show(db: Db) {
    let app = TestApp::start(db).await;
    set_passwords(&app);
    set_password_of(&app, "regional_supervisor");
    let town = app.second_organization("ukhta", "Администрация городского округа «Ухта»").await;
    app.register(json!({"summary": "Письмо в администрацию региона"})).await;
    let r = app.call("POST", "/api/v1/appeals", Some(&town.clerk), Some(&appeal(json!({"summary": "Письмо в администрацию города"})))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let theirs = r.json;
    let their_path = format!("/appeals/{}", theirs["id"].as_str().unwrap());
    let mut reg = Browser::new(&app);
    reg.sign_in("regional_supervisor").await;
    // Its own organization first: the town's card is not found, the header offers the town.
    let registry = reg.get("/appeals").await;
    assert!(registry.body.contains("Письмо в администрацию региона") && !registry.body.contains("Письмо в администрацию города"), "{}", registry.body);
    assert!(registry.body.contains(&format!("<option value=\"{}\">Администрация городского округа «Ухта»</option>", town.id)), "{}", registry.body);
    assert_eq!(reg.get(&their_path).await.status, 404);
    // The town picked: its registry and card, read as the town's own staff would (the read recorded).
    let p = reg.get(&format!("/organization?id={}", town.id)).await;
    assert_eq!(p.status, 303, "{}", p.body);
    let registry = reg.get("/appeals").await;
    assert!(registry.body.contains("Письмо в администрацию города") && !registry.body.contains("Письмо в администрацию региона"), "{}", registry.body);
    let card = reg.get(&their_path).await;
    assert_eq!(card.status, 200, "{}", card.body);
    assert!(card.body.contains(theirs["reg_number"].as_str().unwrap()) && !card.body.contains("data-action="), "a card to read, with no action form: {}", card.body);
    let history = app.call("GET", &format!("/api/v1/appeals/{}/history", theirs["id"].as_str().unwrap()), Some(&town.supervisor), None).await;
    assert!(history.json.to_string().contains("viewed"), "{}", history.json);
    // Back to its own; no other role may pick, and an unknown id is not found.
    assert_eq!(reg.get(&format!("/organization?id={}", app.org)).await.status, 303);
    assert!(reg.get("/appeals").await.body.contains("Письмо в администрацию региона"));
    assert_eq!(reg.get(&format!("/organization?id={}", uuid::Uuid::new_v4())).await.status, 404);
    let mut sup = Browser::new(&app);
    sup.sign_in("supervisor").await;
    assert_eq!(sup.get(&format!("/organization?id={}", town.id)).await.status, 403);
    assert_eq!(sup.get(&their_path).await.status, 404);
}
