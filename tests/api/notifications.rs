//! Notifications through the outbox: applicant notices written with their actions,
//! staff reminders planned by the rules, delivery to a real SMTP server started here, crash
//! safety of the dispatcher, and the admin's endpoints.

use crate::support::*;
use appeals::notify::mail::Mailer;
use appeals::scheduler::{self, Report};
use chrono::{DateTime, TimeZone, Utc};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// One message as the SMTP server received it.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub data: String,
}

impl Mail {
    /// A header's value, unfolded, with RFC 2047 words decoded.
    pub fn header(&self, name: &str) -> Option<String> {
        let head = self.data.split("\r\n\r\n").next().unwrap_or("");
        let mut value: Option<String> = None;
        for line in head.split("\r\n") {
            if let Some(v) = value.as_mut().filter(|_| line.starts_with(' ') || line.starts_with('\t')) {
                v.push_str(line);
                continue;
            }
            if value.is_some() {
                break;
            }
            if let Some((k, v)) = line.split_once(':') {
                if k.eq_ignore_ascii_case(name) {
                    value = Some(v.trim().to_string());
                }
            }
        }
        value.map(|v| decode_words(&v))
    }

    /// The text body (base64 decoded).
    pub fn body(&self) -> String {
        use base64::Engine;
        let body: String = self.data.split_once("\r\n\r\n").map(|x| x.1).unwrap_or("").chars().filter(|c| !c.is_whitespace()).collect();
        String::from_utf8(base64::engine::general_purpose::STANDARD.decode(body).expect("base64 body")).expect("UTF-8 body")
    }
}

/// Decodes `=?utf-8?b?…?=` words (whitespace between them dropped, as RFC 2047 says).
fn decode_words(v: &str) -> String {
    use base64::Engine;
    let mut out = Vec::new();
    let mut rest = v;
    while let Some(start) = rest.find("=?") {
        let plain = &rest[..start];
        if !plain.trim().is_empty() {
            out.extend_from_slice(plain.as_bytes());
        }
        let word = &rest[start + 2..];
        let parts: Vec<&str> = word.splitn(3, '?').collect();
        let end = parts[2].find("?=").expect("closed word");
        assert!(parts[1].eq_ignore_ascii_case("b"), "base64 words expected: {v}");
        out.extend(base64::engine::general_purpose::STANDARD.decode(&parts[2][..end]).expect("base64 word"));
        rest = &parts[2][end + 2..];
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8(out).expect("UTF-8 header")
}

/// A small SMTP server on a free port: EHLO, MAIL, RCPT, DATA, RSET, NOOP, QUIT.
pub struct SmtpServer {
    pub port: u16,
    pub received: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpServer {
    pub fn start() -> SmtpServer {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let store = received.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let store = store.clone();
                std::thread::spawn(move || session(stream, store));
            }
        });
        SmtpServer { port, received }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn mails(&self) -> Vec<Mail> {
        self.received.lock().unwrap().clone()
    }
}

fn session(stream: TcpStream, store: Arc<Mutex<Vec<Mail>>>) {
    // Replies go out at once: each is one write awaited by the client.
    let _ = stream.set_nodelay(true);
    let mut out = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let _ = out.write_all(b"220 test.local ESMTP\r\n");
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let cmd = line.trim_end().to_string();
        let upper = cmd.to_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-test.local\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(cmd[8..].trim().trim_start_matches('<').split('>').next().unwrap_or("").to_string());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            let _ = out.write_all(b"354 go ahead\r\n");
            let mut data = String::new();
            loop {
                let mut l = String::new();
                if reader.read_line(&mut l).unwrap_or(0) == 0 {
                    return;
                }
                if l == ".\r\n" {
                    break;
                }
                data.push_str(l.strip_prefix('.').filter(|_| l.starts_with("..")).unwrap_or(&l));
            }
            store.lock().unwrap().push(Mail { to: std::mem::take(&mut to), data });
            b"250 queued\r\n"
        } else if upper == "QUIT" {
            let _ = out.write_all(b"221 bye\r\n");
            return;
        } else if upper == "RSET" {
            to.clear();
            b"250 OK\r\n"
        } else {
            b"250 OK\r\n"
        };
        if out.write_all(reply).is_err() {
            return;
        }
    }
}

/// An instant in Moscow.
fn msk(y: i32, m: u32, d: u32, h: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h - 3, 0, 0).unwrap()
}

/// A service whose mail goes over SMTP to `smtp` (the test's own server), `adjust` applied after.
async fn mailing_to(smtp: &SmtpServer, db: Db, adjust: impl FnOnce(&mut appeals::config::Settings)) -> TestApp {
    let url = smtp.url();
    TestApp::start_with(db, move |s| {
        s.mail.transport = "smtp".into();
        s.mail.url = url;
        adjust(s);
    })
    .await
}

fn mailer(app: &TestApp) -> Arc<Mailer> {
    Arc::new(Mailer::from_settings(&app.state.settings).expect("mailer"))
}

async fn run(app: &TestApp, m: &Arc<Mailer>, at: DateTime<Utc>) -> Report {
    let (st, m) = (app.state.clone(), m.clone());
    actix_web::web::block(move || scheduler::run_once(&st, &m, at)).await.unwrap().unwrap()
}

/// A planning pass and the expansion of every batch it left: the rows written.
async fn plan(app: &TestApp, at: DateTime<Utc>) -> usize {
    let st = app.state.clone();
    actix_web::web::block(move || {
        let p = scheduler::plan(&st, at).unwrap();
        p.rows + scheduler::expand(&st, at, usize::MAX).unwrap().1
    })
    .await
    .unwrap()
}

/// A planning pass alone.
async fn plan_only(app: &TestApp, at: DateTime<Utc>) -> appeals::store::reminder_plan::Planned {
    let st = app.state.clone();
    actix_web::web::block(move || scheduler::plan(&st, at)).await.unwrap().unwrap()
}

/// Expands up to `limit` batches: (batches, rows).
async fn expand(app: &TestApp, at: DateTime<Utc>, limit: usize) -> (usize, usize) {
    let st = app.state.clone();
    actix_web::web::block(move || scheduler::expand(&st, at, limit)).await.unwrap().unwrap()
}

async fn dispatch(app: &TestApp, m: &Arc<Mailer>, at: DateTime<Utc>, worker: &str) -> Report {
    let (st, m, w) = (app.state.clone(), m.clone(), worker.to_string());
    actix_web::web::block(move || scheduler::dispatch(&st, &m, at, &w)).await.unwrap().unwrap()
}

async fn outbox(app: &TestApp, query: &str) -> Vec<Value> {
    let r = app.call("GET", &format!("/api/v1/notifications?{query}"), Some(&app.admin), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json["items"].as_array().unwrap().clone()
}

/// A staff member with an e-mail address: (id, token).
async fn staff(app: &TestApp, login: &str, role: &str, email: &str) -> (String, String) {
    let r = app.call("POST", "/api/v1/users", Some(&app.admin), Some(&json!({"login": login, "role": role, "full_name": format!("{login} Почтовый"), "email": email}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    (r.json["user"]["id"].as_str().unwrap().into(), r.json["token"].as_str().unwrap().into())
}

/// Registers an appeal and assigns it to `executor` as the responsible one.
async fn assigned(app: &TestApp, executor: &str, over: Value) -> Value {
    let card = app.register(over).await;
    let id = card["id"].as_str().unwrap();
    let r = app.call("POST", &format!("/api/v1/appeals/{id}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": executor, "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    r.json
}

/// Any notification's id (for the access matrix in security.rs).
pub async fn some_notification_id(app: &TestApp) -> String {
    outbox(app, "").await.first().expect("the registration acknowledgement")["id"].as_str().unwrap().to_string()
}

fn parse_date(v: &Value) -> chrono::NaiveDate {
    v.as_str().unwrap().parse().unwrap()
}

both_backends!(registration_acknowledgement_arrives_over_smtp_in_russian);
async fn registration_acknowledgement_arrives_over_smtp_in_russian(db: Db) {
    let smtp = SmtpServer::start();
    let app = mailing_to(&smtp, db, |s| {
        s.mail.from = "Администрация МОГО «Ухта» <obrashcheniya@uhta.ru>".into();
    })
    .await;
    let card = app.register(json!({})).await;
    let number = card["reg_number"].as_str().unwrap().to_string();
    // Written with the registration, before any dispatch.
    let rows = outbox(&app, &format!("appeal_id={}", card["id"].as_str().unwrap())).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!((rows[0]["kind"].as_str(), rows[0]["status"].as_str(), rows[0]["recipient"].as_str()), (Some("registration_ack"), Some("pending"), Some("smirnova@example.ru")));
    let m = mailer(&app);
    // Sent at once, at any hour: a Sunday night.
    let r = run(&app, &m, msk(2025, 3, 9, 23)).await;
    assert_eq!((r.sent, r.failed), (1, 0));
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["smirnova@example.ru".to_string()]);
    assert_eq!(mail.header("Subject").unwrap(), format!("Ваше обращение зарегистрировано: № {number}"));
    assert!(mail.header("From").unwrap().contains("Администрация МОГО «Ухта»"), "{:?}", mail.header("From"));
    let body = mail.body();
    assert!(body.contains(&format!("под номером {number}")), "{body}");
    assert!(body.contains("Уважаемый(ая) Смирнова Ольга Петровна!"), "{body}");
    let due = parse_date(&card["due_date"]).format("%d.%m.%Y").to_string();
    assert!(body.contains(&format!("до {due}")), "{body}");
    let row = &outbox(&app, "status=sent").await[0];
    assert_eq!(mail.header("Message-ID").unwrap(), format!("<{}@uhta.ru>", row["id"].as_str().unwrap()));
    assert_eq!(row["message_id"], mail.header("Message-ID").unwrap().as_str());
    assert_eq!(row["attempts"], 1);
    // A second pass sends nothing more.
    assert_eq!(run(&app, &m, msk(2025, 3, 10, 10)).await.sent, 0);
    assert_eq!(smtp.mails().len(), 1);
    assert!(body.contains("ст. 12 Федерального закона от 02.05.2006 № 59-ФЗ"), "{body}");
    // A letter e-mailed after 29 March 2025 is registered outside 59-FZ (547-FZ): its
    // acknowledgement cites the rule it was registered under, not Art. 12 of 59-FZ.
    app.set_now(msk(2025, 4, 7, 10));
    let card = app.register(json!({"channel": "email", "form": "electronic", "received_on": "2025-04-07"})).await;
    assert_eq!(card["legal_regime"], "other", "{card}");
    run(&app, &m, msk(2025, 4, 7, 11)).await;
    let later = smtp.mails();
    let body = later.last().unwrap().body();
    assert!(body.contains("вне 59-ФЗ") && !body.contains("ст. 12 Федерального закона"), "{body}");
}

both_backends!(a_foreign_zone_address_is_skipped_with_a_reason);
async fn a_foreign_zone_address_is_skipped_with_a_reason(db: Db) {
    let dir = std::env::temp_dir().join(format!("appeals-mail-{}", uuid::Uuid::new_v4()));
    let data = dir.clone();
    let app = TestApp::start_with(db, move |s| s.data_dir = data).await;
    let applicants = json!([
        {"full_name": "Смирнова Ольга Петровна", "postal_address": "169300, г. Ухта, ул. Октябрьская, д. 12", "email": "smirnova@example.com"},
        {"full_name": "Петров Пётр Петрович", "postal_address": "169300, г. Ухта, ул. Ленина, д. 1", "email": "petrov@почта.рф"}
    ]);
    let card = app.register(json!({"applicants": applicants, "collective": true})).await;
    let rows = outbox(&app, &format!("appeal_id={}&kind=registration_ack", card["id"].as_str().unwrap())).await;
    assert_eq!(rows.len(), 2);
    let skipped = rows.iter().find(|r| r["recipient"] == "smirnova@example.com").unwrap();
    assert_eq!(skipped["status"], "skipped");
    assert!(skipped["skip_reason"].as_str().unwrap().contains("547-ФЗ"), "{skipped}");
    let r = run(&app, &mailer(&app), msk(2025, 3, 3, 12)).await;
    assert_eq!(r.sent, 1, "only the .рф address");
    // The file transport: one .eml per message under the data directory.
    let files: Vec<_> = std::fs::read_dir(dir.join("mail")).unwrap().flatten().map(|e| e.file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(outbox(&app, "status=skipped").await.len(), 1);
    let retry = app.call("POST", &format!("/api/v1/notifications/{}/retry", skipped["id"].as_str().unwrap()), Some(&app.admin), None).await;
    retry.assert_problem(409, None);
    assert_eq!(retry.json["code"], "notification_not_retryable");
    let _ = std::fs::remove_dir_all(dir);
}

both_backends!(reminders_follow_working_days_and_hours_and_plan_once);
async fn reminders_follow_working_days_and_hours_and_plan_once(db: Db) {
    let app = TestApp::start(db).await;
    let (exec, _) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    let card = assigned(&app, &exec, json!({"applicants": []})).await;
    let id = card["id"].as_str().unwrap();
    let due = parse_date(&card["due_date"]);
    assert_eq!(due.to_string(), "2025-04-02", "30 days from 3 March 2025");
    // Saturday 29 March, and Monday 31 March before nine: nothing is planned for staff.
    assert_eq!(plan(&app, msk(2025, 3, 29, 11)).await, 0);
    assert_eq!(plan(&app, Utc.with_ymd_and_hms(2025, 3, 31, 5, 59, 0).unwrap()).await, 0);
    // Monday 31 March, 10:00: two working days left → the 3-day reminder, and the morning digest.
    assert_eq!(plan(&app, msk(2025, 3, 31, 10)).await, 2);
    assert_eq!(plan(&app, msk(2025, 3, 31, 15)).await, 0, "planning twice gives one message");
    let reminders = outbox(&app, &format!("appeal_id={id}&kind=reminder")).await;
    assert_eq!(reminders.len(), 1);
    assert_eq!(reminders[0]["recipient"], "ivanova@uhta.ru");
    assert_eq!(outbox(&app, "kind=digest").await.len(), 1);
    // Tuesday: the 1-day step and a new digest; Wednesday: the due day; Thursday: overdue, daily.
    assert_eq!(plan(&app, msk(2025, 4, 1, 10)).await, 2);
    assert_eq!(plan(&app, msk(2025, 4, 2, 10)).await, 2);
    assert_eq!(plan(&app, msk(2025, 4, 3, 10)).await, 2);
    assert_eq!(outbox(&app, &format!("appeal_id={id}&kind=overdue")).await.len(), 1);
    let m = mailer(&app);
    let r = run(&app, &m, msk(2025, 4, 3, 11)).await;
    assert_eq!((r.planned, r.sent), (0, 8));
    let subjects: Vec<String> = outbox(&app, &format!("appeal_id={id}")).await.iter().map(|r| r["subject"].as_str().unwrap().to_string()).collect();
    assert!(subjects.iter().any(|s| s.starts_with("Срок рассмотрения обращения № ") && s.ends_with(" истекает сегодня")), "{subjects:?}");
    assert!(subjects.iter().any(|s| s.starts_with("Просрочено обращение")), "{subjects:?}");
}

/// What a letter must not show its reader: ISO dates, abbreviations, internal codes.
fn unreadable_bits(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    for w in chars.windows(10) {
        let s: String = w.iter().collect();
        let b = s.as_bytes();
        if s.is_ascii() && b[4] == b'-' && b[7] == b'-' && s.chars().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()) {
            found.push(s);
        }
    }
    for bad in ["раб. дн", "in_work", "registered", "answer_review", "closed", "2025-W", "null"] {
        if text.contains(bad) {
            found.push(bad.to_string());
        }
    }
    found
}

both_backends!(escalation_reaches_supervisors_after_two_working_days_overdue);
async fn escalation_reaches_supervisors_after_two_working_days_overdue(db: Db) {
    let smtp = SmtpServer::start();
    let app = mailing_to(&smtp, db, |_| {}).await;
    let (exec, _) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    staff(&app, "chief", "supervisor", "chief@uhta.ru").await;
    let card = assigned(&app, &exec, json!({"applicants": []})).await;
    let id = card["id"].as_str().unwrap();
    // Due Wednesday 2 April; Thursday is one working day over, Friday two.
    plan(&app, msk(2025, 4, 3, 10)).await;
    assert!(outbox(&app, &format!("appeal_id={id}&kind=escalation")).await.is_empty());
    plan(&app, msk(2025, 4, 4, 10)).await;
    plan(&app, msk(2025, 4, 7, 10)).await;
    let esc = outbox(&app, &format!("appeal_id={id}&kind=escalation")).await;
    assert_eq!(esc.len(), 1, "once per deadline: {esc:?}");
    assert_eq!(esc[0]["recipient"], "chief@uhta.ru");
    // Monday 7 April is the first working day of the week: the supervisors' weekly summary.
    let summary = outbox(&app, "kind=summary").await;
    assert_eq!(summary.len(), 1);
    // Every letter sent reads as Russian: sentences for subjects, dates in words or dd.mm.yyyy.
    let m = mailer(&app);
    run(&app, &m, msk(2025, 4, 7, 11)).await;
    let mails = smtp.mails();
    assert!(mails.len() >= 4, "{}", mails.len());
    for mail in &mails {
        let text = format!("{}\n{}", mail.header("Subject").unwrap_or_default(), mail.body());
        assert!(unreadable_bits(&text).is_empty(), "{:?} in:\n{text}", unreadable_bits(&text));
    }
    let escalation = mails.iter().find(|m| m.header("Subject").unwrap_or_default().starts_with("Нарушен срок")).expect("the escalation letter");
    assert!(escalation.body().contains("истёк 02.04.2025, 2 рабочих дня назад"), "{}", escalation.body());
    let summary = mails.iter().find(|m| m.header("Subject").unwrap_or_default().starts_with("Недельная сводка")).expect("the weekly summary");
    assert_eq!(summary.header("Subject").unwrap(), "Недельная сводка контроля за неделю с 7 по 13 апреля 2025 г.");
}

both_backends!(an_extension_replans_and_closing_or_forwarding_cancels);
async fn an_extension_replans_and_closing_or_forwarding_cancels(db: Db) {
    let app = TestApp::start(db).await;
    let (exec, exec_token) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    let a = assigned(&app, &exec, json!({})).await;
    let b = assigned(&app, &exec, json!({})).await;
    let c = assigned(&app, &exec, json!({})).await;
    let (a, b, c) = (a["id"].as_str().unwrap(), b["id"].as_str().unwrap(), c["id"].as_str().unwrap());
    app.set_now(msk(2025, 4, 1, 10));
    plan(&app, msk(2025, 4, 1, 10)).await;
    for x in [a, b, c] {
        assert_eq!(outbox(&app, &format!("appeal_id={x}&kind=reminder&status=pending")).await.len(), 1);
    }
    // Extension: the old reminder is cancelled, the applicant told the new date and reason.
    let r = app.call("POST", &format!("/api/v1/appeals/{a}/extend"), Some(&app.supervisor), Some(&json!({"days": 10, "reason": "Запрос документов в Росреестр"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let new_due = parse_date(&r.json["due_date"]);
    let old = outbox(&app, &format!("appeal_id={a}&kind=reminder")).await;
    assert_eq!((old.len(), old[0]["status"].as_str()), (1, Some("cancelled")));
    let notice = outbox(&app, &format!("appeal_id={a}&kind=extension_notice")).await;
    assert_eq!(notice.len(), 1);
    assert_eq!(notice[0]["subject"], format!("Срок рассмотрения обращения № {} продлён до {}", r.json["reg_number"].as_str().unwrap(), new_due.format("%d.%m.%Y")));
    // …and the new deadline gets its own reminders.
    let on_new_due = Utc.from_utc_datetime(&new_due.and_hms_opt(7, 0, 0).unwrap());
    plan(&app, on_new_due).await;
    let now = outbox(&app, &format!("appeal_id={a}&kind=reminder&status=pending")).await;
    assert_eq!(now.len(), 1, "{now:?}");
    assert!(now[0]["subject"].as_str().unwrap().ends_with("истекает сегодня"));
    // Forwarding cancels and tells the applicant where the appeal went.
    let r = app.call("POST", &format!("/api/v1/appeals/{b}/forward"), Some(&app.clerk), Some(&json!({"organization": "Прокуратура г. Ухты", "reason": "вопрос надзора"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(outbox(&app, &format!("appeal_id={b}&kind=reminder")).await[0]["status"], "cancelled");
    assert_eq!(outbox(&app, &format!("appeal_id={b}&kind=forwarding_notice")).await.len(), 1);
    // Closing (approval with close) cancels; the answer sent by e-mail goes out through the outbox.
    let r = app.call("POST", &format!("/api/v1/appeals/{c}/answers"), Some(&exec_token), Some(&json!({"text": "Тротуар будет отремонтирован до 1 июня 2025 года.", "results": [{"code": "0003.0009.0097.0699", "result": "supported_measures_taken"}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let answer = r.json["answers"][0]["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &format!("/api/v1/appeals/{c}/answers/{answer}/approve"), Some(&app.supervisor), Some(&json!({"close": true}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(outbox(&app, &format!("appeal_id={c}&kind=reminder")).await[0]["status"], "cancelled");
    let r = app.call("POST", &format!("/api/v1/appeals/{c}/answers/{answer}/dispatch"), Some(&app.clerk), Some(&json!({"sent_on": "2025-04-01", "channel": "email"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let sent = outbox(&app, &format!("appeal_id={c}&kind=answer")).await;
    assert_eq!(sent.len(), 1);
    let number = r.json["answers"][0]["outgoing_number"].as_str().unwrap();
    assert_eq!(sent[0]["subject"], format!("Ответ на обращение № {} (исх. № {number} от 01.04.2025)", r.json["reg_number"].as_str().unwrap()));
    // Art. 11 notice on leaving without an answer.
    let d = app.register(json!({})).await;
    let r = app.call("POST", &format!("/api/v1/appeals/{}/leave-without-answer", d["id"].as_str().unwrap()), Some(&app.supervisor), Some(&json!({"reason": "obscene"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(outbox(&app, &format!("appeal_id={}&kind=art11_notice", d["id"].as_str().unwrap())).await.len(), 1);
}

both_backends!(a_reminder_of_a_deadline_that_moved_is_cancelled_at_sending_time);
/// A reminder planned for a deadline that no longer holds (the planner read the appeal just
/// before an extension committed, or an admin put a cancelled reminder back) is not sent: the
/// dispatcher cancels it with the reason.
async fn a_reminder_of_a_deadline_that_moved_is_cancelled_at_sending_time(db: Db) {
    let smtp = SmtpServer::start();
    let app = mailing_to(&smtp, db, |_| {}).await;
    let (exec, _) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    let a = assigned(&app, &exec, json!({})).await;
    let a = a["id"].as_str().unwrap();
    let m = mailer(&app);
    let at = msk(2025, 4, 1, 10);
    app.set_now(at);
    plan(&app, at).await;
    let old = outbox(&app, &format!("appeal_id={a}&kind=reminder&status=pending")).await;
    assert_eq!(old.len(), 1);
    let r = app.call("POST", &format!("/api/v1/appeals/{a}/extend"), Some(&app.supervisor), Some(&json!({"days": 10, "reason": "Запрос документов в Росреестр"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // The old deadline's reminder back in the queue, as a late planner read would leave it.
    let id = old[0]["id"].as_str().unwrap();
    let r = app.call("POST", &format!("/api/v1/notifications/{id}/retry"), Some(&app.admin), None).await;
    assert_eq!((r.status, r.json["status"].as_str()), (200, Some("pending")), "{}", r.json);
    let before = smtp.mails().len();
    let report = dispatch(&app, &m, at, "w").await;
    assert_eq!(report.cancelled, 1, "{report:?}");
    let row = outbox(&app, &format!("appeal_id={a}&kind=reminder")).await.into_iter().find(|n| n["id"] == id).unwrap();
    assert_eq!(row["status"], "cancelled");
    assert!(row["last_error"].as_str().unwrap().contains("срок изменён"), "{row}");
    let subjects: Vec<_> = smtp.mails()[before..].iter().map(|mail| mail.header("Subject")).collect();
    let reminders_sent = subjects.iter().flatten().filter(|s| s.contains("срок по обращению")).count();
    assert_eq!(reminders_sent, 0, "no reminder of the old deadline reached the executor: {subjects:?}");
}

both_backends!(later_passes_of_a_day_plan_only_what_changed_and_at_once);
/// The day marker: after the day's full pass an unchanged registry gets nothing new,
/// while an assignment, an extension or a new executor is planned by the very next pass.
async fn later_passes_of_a_day_plan_only_what_changed_and_at_once(db: Db) {
    let app = TestApp::start(db).await;
    let (exec, _) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    let a = assigned(&app, &exec, json!({})).await;
    let a = a["id"].as_str().unwrap();
    let b = app.register(json!({})).await;
    let b = b["id"].as_str().unwrap();
    let c = app.register(json!({})).await;
    let c = c["id"].as_str().unwrap();
    app.set_now(msk(2025, 3, 31, 9));
    // Monday 31 March 10:00, due Wednesday 2 April: A's 3-day reminder and the digest.
    assert_eq!(plan(&app, msk(2025, 3, 31, 10)).await, 2);
    assert_eq!(plan(&app, msk(2025, 3, 31, 10)).await, 0, "a second pass writes nothing");
    // B is assigned after the day's pass: the next pass plans it at once (the digest exists).
    let r = app.call("POST", &format!("/api/v1/appeals/{b}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": exec, "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(plan(&app, msk(2025, 3, 31, 11)).await, 1);
    assert_eq!(outbox(&app, &format!("appeal_id={b}&kind=reminder&status=pending")).await.len(), 1);
    // An extension on the same day cancels A's reminder and the next pass plans the new deadline.
    let r = app.call("POST", &format!("/api/v1/appeals/{a}/extend"), Some(&app.supervisor), Some(&json!({"days": 2, "reason": "Запрос документов в Росреестр"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let new_due = parse_date(&r.json["due_date"]);
    assert_eq!(new_due.to_string(), "2025-04-04", "two more days");
    assert!(outbox(&app, &format!("appeal_id={a}&kind=reminder&status=pending")).await.is_empty(), "the old deadline's reminder is cancelled");
    assert_eq!(plan(&app, msk(2025, 3, 31, 12)).await, 1);
    let now = outbox(&app, &format!("appeal_id={a}&kind=reminder&status=pending")).await;
    assert_eq!(now.len(), 1, "{now:?}");
    let org = appeals::store::outbox::organizations(&app.pool).unwrap().remove(0).id;
    let filter = appeals::store::outbox::ListFilter { appeal_id: Some(a.to_string()), status: Some("pending".into()), kind: Some("reminder".into()), limit: 10, ..Default::default() };
    let rows = appeals::store::outbox::list(&app.pool, &org, &filter).unwrap();
    assert!(rows[0].dedup_key.ends_with(":2025-04-04"), "planned for the new deadline: {}", rows[0].dedup_key);
    assert_eq!(plan(&app, msk(2025, 3, 31, 13)).await, 0, "the queue is empty again");
    // A new executor changes the staff: the next pass is a full one and plans C for her.
    let (other, _) = staff(&app, "petrova", "executor", "petrova@uhta.ru").await;
    let r = app.call("POST", &format!("/api/v1/appeals/{c}/assign"), Some(&app.clerk), Some(&json!({"executors": [{"user_id": other, "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!(plan(&app, msk(2025, 3, 31, 14)).await, 2, "C's reminder and Petrova's digest");
    assert_eq!(plan(&app, msk(2025, 3, 31, 15)).await, 0);
    // The next day starts with a full pass again: A's 3-day step (due Friday now), the 1-day
    // step for B and C, two digests.
    assert_eq!(plan(&app, msk(2025, 4, 1, 10)).await, 5);
}

/// Sequential scans so far of the tables the planner reads and writes.
fn planner_seq_scans(app: &TestApp) -> Vec<(String, i64)> {
    app.seq_scans(&["appeals", "assignments", "notifications", "plan_marks", "plan_queue", "plan_batches"])
}

/// The planner's full pass and a later pass of the day over queued appeals reach every row
/// through an index on PostgreSQL (its sessions run with `enable_seqscan = off`, so a missing
/// index shows as a sequential scan).
#[actix_web::test]
#[cfg_attr(not(postgres_tests), ignore = "PostgreSQL: TEST_DATABASE_URL was not set when the tests were built")]
async fn planner_passes_follow_indexes_on_postgres() {
    let app = TestApp::start(Db::Postgres).await;
    let (exec, _) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    staff(&app, "chief", "supervisor", "chief@uhta.ru").await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(assigned(&app, &exec, json!({})).await["id"].as_str().unwrap().to_string());
    }
    let before = planner_seq_scans(&app);
    assert_eq!(before.len(), 6, "{before:?}");
    // Monday 7 April: overdue, escalation, the digest and the weekly summary all fire.
    assert!(plan(&app, msk(2025, 4, 7, 10)).await > 0);
    assert_eq!(planner_seq_scans(&app), before, "the full pass scanned a table sequentially");
    let r = app.call("POST", &format!("/api/v1/appeals/{}/extend", ids[0]), Some(&app.supervisor), Some(&json!({"days": 10, "reason": "Запрос документов"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let before_pass = planner_seq_scans(&app);
    assert!(plan(&app, msk(2025, 4, 7, 11)).await > 0, "the extended appeal is re-planned");
    assert_eq!(plan(&app, msk(2025, 4, 7, 12)).await, 0);
    let after = planner_seq_scans(&app);
    assert_eq!(after, before_pass, "the day's later passes scanned a table sequentially");
}

both_backends!(the_days_first_pass_leaves_a_batch_per_executor_that_the_dispatcher_expands);
/// The day's first pass writes no per-appeal row: one batch per executor with something due
/// (and one for unassigned appeals' escalations). Expanding writes each executor's reminders
/// once; a batch left from an earlier day is dropped, not sent late; a dispatch pass expands
/// what is left and sends it.
async fn the_days_first_pass_leaves_a_batch_per_executor_that_the_dispatcher_expands(db: Db) {
    let smtp = SmtpServer::start();
    let app = mailing_to(&smtp, db, |_| {}).await;
    let (busy, _) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    let (idle, _) = staff(&app, "petrova", "executor", "petrova@uhta.ru").await;
    let (gone, _) = staff(&app, "sidorov", "executor", "sidorov@uhta.ru").await;
    staff(&app, "chief", "supervisor", "chief@uhta.ru").await;
    // Registered 3 March: due Wednesday 2 April.
    let a = assigned(&app, &busy, json!({"applicants": []})).await["id"].as_str().unwrap().to_string();
    let b = assigned(&app, &gone, json!({"applicants": []})).await["id"].as_str().unwrap().to_string();
    let unassigned = app.register(json!({"applicants": []})).await["id"].as_str().unwrap().to_string();
    // Petrova's appeal is due long after the week: nothing for her today.
    let far = assigned(&app, &idle, json!({"applicants": []})).await["id"].as_str().unwrap().to_string();
    let r = app.call("POST", &format!("/api/v1/appeals/{far}/extend"), Some(&app.supervisor), Some(&json!({"days": 30, "reason": "Запрос документов"}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // Sidorov leaves: his overdue appeal still escalates to the supervisor.
    let r = app.call("PATCH", &format!("/api/v1/users/{gone}"), Some(&app.admin), Some(&json!({"active": false}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    let before = outbox(&app, "").await.len();

    // Tuesday 8 April, 10:00: A and B are four working days overdue.
    let at = msk(2025, 4, 8, 10);
    let p = plan_only(&app, at).await;
    assert_eq!(p, appeals::store::reminder_plan::Planned { rows: 0, batches: 3 }, "Ivanova, Sidorov and the unassigned appeals; not Petrova");
    assert_eq!(outbox(&app, "").await.len(), before, "no reminder is written by the pass itself");
    assert_eq!(plan_only(&app, at + chrono::Duration::hours(1)).await, appeals::store::reminder_plan::Planned::default(), "a later pass of the day adds no batch");
    // A batch left unexpanded is not sent on a later day.
    assert_eq!(expand(&app, msk(2025, 4, 9, 10), usize::MAX).await, (0, 0));
    let p = plan_only(&app, msk(2025, 4, 9, 10)).await;
    assert_eq!(p.batches, 3);
    let (batches, rows) = expand(&app, msk(2025, 4, 9, 10), 1).await;
    assert_eq!(batches, 1);
    let (rest, more) = expand(&app, msk(2025, 4, 9, 10), usize::MAX).await;
    assert_eq!(rest, 2);
    assert_eq!(expand(&app, msk(2025, 4, 9, 10), usize::MAX).await, (0, 0), "every batch is expanded once");
    // Ivanova: the overdue reminder and her digest; the supervisor: three escalations.
    assert_eq!(rows + more, 5);
    assert_eq!(outbox(&app, &format!("appeal_id={a}&kind=overdue")).await.len(), 1);
    assert!(outbox(&app, &format!("appeal_id={b}&kind=overdue")).await.is_empty(), "Sidorov is no longer active");
    for x in [&a, &b, &unassigned] {
        let esc = outbox(&app, &format!("appeal_id={x}&kind=escalation")).await;
        assert_eq!(esc.len(), 1, "{x}: {esc:?}");
    }
    assert!(outbox(&app, &format!("appeal_id={far}")).await.iter().all(|n| n["kind"] != "reminder" && n["kind"] != "overdue"));
    // Thursday: the dispatch pass expands the day's batches itself and sends what they hold.
    let m = mailer(&app);
    let sent_before = smtp.mails().len();
    let r = run(&app, &m, msk(2025, 4, 10, 10)).await;
    assert_eq!(r.planned, 2, "Ivanova's overdue reminder and digest (escalation is once per deadline)");
    assert_eq!(r.sent, smtp.mails().len() - sent_before);
    assert!(outbox(&app, "status=pending").await.is_empty());
}

both_backends!(two_dispatchers_expand_a_days_batches_once);
/// Two dispatchers working through one day's batches at once: each batch is expanded by one of
/// them (`SKIP LOCKED` on PostgreSQL), and every reminder goes out exactly once.
async fn two_dispatchers_expand_a_days_batches_once(db: Db) {
    let smtp = SmtpServer::start();
    let app = mailing_to(&smtp, db, |s| s.scheduler.batch = 3).await;
    let executors = 12;
    for i in 0..executors {
        let (exec, _) = staff(&app, &format!("exec{i}"), "executor", &format!("exec{i}@uhta.ru")).await;
        assigned(&app, &exec, json!({"applicants": []})).await;
    }
    let sent_before = smtp.mails().len();
    // Monday 31 March, 10:00: each executor's 3-day reminder and digest.
    let at = msk(2025, 3, 31, 10);
    assert_eq!(plan_only(&app, at).await.batches, executors + 1);
    let m = mailer(&app);
    let (r1, r2) = futures_util::future::join(dispatch(&app, &m, at, "one"), dispatch(&app, &m, at, "two")).await;
    assert_eq!((r1.planned + r2.planned, r1.sent + r2.sent), (2 * executors, 2 * executors), "{r1:?} {r2:?}");
    let mails = &smtp.mails()[sent_before..];
    let ids: std::collections::HashSet<String> = mails.iter().map(|m| m.header("Message-ID").unwrap()).collect();
    assert_eq!((mails.len(), ids.len()), (2 * executors, 2 * executors), "each sent exactly once");
    assert_eq!(expand(&app, at, usize::MAX).await, (0, 0));
}

both_backends!(a_dispatcher_killed_between_send_and_mark_causes_one_duplicate_and_no_loss);
async fn a_dispatcher_killed_between_send_and_mark_causes_one_duplicate_and_no_loss(db: Db) {
    let smtp = SmtpServer::start();
    let app = mailing_to(&smtp, db, |_| {}).await;
    app.register(json!({})).await;
    let m = mailer(&app);
    let t0 = msk(2025, 3, 3, 11);
    let now = appeals::store::micros(t0);
    let lease = app.state.settings.scheduler.lease_seconds;
    // The dead dispatcher: claims, sends, and dies before marking.
    let claimed = appeals::store::outbox::claim(&app.pool, "dead", now, now + chrono::Duration::seconds(lease), 10).unwrap();
    assert_eq!(claimed.len(), 1);
    m.send(&claimed[0]).unwrap();
    // Its lease holds: another dispatcher does not touch the row meanwhile.
    assert_eq!(dispatch(&app, &m, t0 + chrono::Duration::seconds(lease - 1), "alive").await.sent, 0);
    // After the lease the row goes out again, under the same Message-ID.
    let r = dispatch(&app, &m, t0 + chrono::Duration::seconds(lease + 1), "alive").await;
    assert_eq!(r.sent, 1);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 2, "exactly one duplicate, nothing lost");
    assert_eq!(mails[0].header("Message-ID"), mails[1].header("Message-ID"), "the duplicate is recognisable");
    let row = &outbox(&app, "").await[0];
    assert_eq!((row["status"].as_str(), row["attempts"].as_i64()), (Some("sent"), Some(2)));
    // The dead dispatcher's late mark (were it to wake) changes nothing: the claim is not its own.
    assert!(!appeals::store::outbox::mark_sent(&app.pool, row["id"].as_str().unwrap(), "dead", "<x>", now).unwrap());
}

both_backends!(failures_back_off_then_fail_and_an_admin_retries);
async fn failures_back_off_then_fail_and_an_admin_retries(db: Db) {
    // A port nobody listens on.
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::start_with(db, move |s| {
        s.mail.transport = "smtp".into();
        s.mail.url = format!("smtp://127.0.0.1:{port}");
        s.mail.timeout_seconds = 2;
        s.scheduler.max_attempts = 3;
        s.scheduler.backoff_seconds = 60;
    })
    .await;
    app.register(json!({})).await;
    let m = mailer(&app);
    let t0 = msk(2025, 3, 3, 11);
    let sec = chrono::Duration::seconds;
    assert_eq!(dispatch(&app, &m, t0, "w").await.retried, 1);
    assert_eq!(dispatch(&app, &m, t0 + sec(59), "w").await, Report::default(), "not before the backoff");
    assert_eq!(dispatch(&app, &m, t0 + sec(60), "w").await.retried, 1);
    assert_eq!(dispatch(&app, &m, t0 + sec(60 + 119), "w").await, Report::default(), "the wait doubles");
    assert_eq!(dispatch(&app, &m, t0 + sec(180), "w").await.failed, 1);
    let failed = outbox(&app, "status=failed").await;
    assert_eq!(failed.len(), 1);
    assert_eq!(failed[0]["attempts"], 3);
    assert!(failed[0]["last_error"].as_str().unwrap().starts_with("SMTP"), "{}", failed[0]);
    // The admin puts it back; a working transport sends it.
    let id = failed[0]["id"].as_str().unwrap();
    for token in [&app.supervisor, &app.clerk, &app.executor] {
        app.call("POST", &format!("/api/v1/notifications/{id}/retry"), Some(token), None).await.assert_problem(403, None);
    }
    let r = app.call("POST", &format!("/api/v1/notifications/{id}/retry"), Some(&app.admin), None).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!((r.json["status"].as_str(), r.json["attempts"].as_i64()), (Some("pending"), Some(0)));
    let smtp = SmtpServer::start();
    let mut settings = (*app.state.settings).clone();
    settings.mail.url = smtp.url();
    let good = Arc::new(Mailer::from_settings(&settings).unwrap());
    assert_eq!(dispatch(&app, &good, t0 + sec(200), "w").await.sent, 1);
    assert_eq!(smtp.mails().len(), 1);
    let hist = app.call("GET", &format!("/api/v1/appeals/{}/history", r.json["appeal_id"].as_str().unwrap()), Some(&app.admin), None).await;
    assert!(hist.json["items"].as_array().unwrap().iter().any(|h| h["action"] == "notification_retried"), "{}", hist.json);
    app.call("POST", &format!("/api/v1/notifications/{id}/retry"), Some(&app.admin), None).await.assert_problem(409, None);
    app.call("POST", "/api/v1/notifications/not-an-id/retry", Some(&app.admin), None).await.assert_problem(404, None);
}

both_backends!(the_outbox_list_is_for_admins_and_checks_its_filters);
async fn the_outbox_list_is_for_admins_and_checks_its_filters(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({})).await;
    for token in [&app.supervisor, &app.clerk, &app.executor] {
        app.call("GET", "/api/v1/notifications", Some(token), None).await.assert_problem(403, None);
    }
    app.call("GET", "/api/v1/notifications", None, None).await.assert_problem(401, None);
    app.call("GET", "/api/v1/notifications?status=lost", Some(&app.admin), None).await.assert_problem(422, Some("status"));
    app.call("GET", "/api/v1/notifications?kind=spam", Some(&app.admin), None).await.assert_problem(422, Some("kind"));
    app.call("GET", "/api/v1/notifications?appeal_id=42", Some(&app.admin), None).await.assert_problem(422, Some("appeal_id"));
    app.call("GET", "/api/v1/notifications?limit=0", Some(&app.admin), None).await.assert_problem(422, Some("limit"));
    assert_eq!(outbox(&app, "recipient=smirnova%40example.ru").await.len(), 1);
    assert_eq!(outbox(&app, "recipient=other%40example.ru").await.len(), 0);
    assert_eq!(outbox(&app, &format!("appeal_id={}&status=pending&kind=registration_ack", card["id"].as_str().unwrap())).await.len(), 1);
    assert_eq!(outbox(&app, "status=sent").await.len(), 0);
}

both_backends!(two_dispatchers_send_a_thousand_notifications_exactly_once);
async fn two_dispatchers_send_a_thousand_notifications_exactly_once(db: Db) {
    let smtp = SmtpServer::start();
    let app = mailing_to(&smtp, db, |s| {
        s.scheduler.batch = 25;
    })
    .await;
    let n = if db == Db::Postgres { 1000 } else { 200 };
    let at = appeals::store::micros(start_instant());
    let rows: Vec<_> = (0..n)
        .map(|i| appeals::notify::row(&app.org, None, &format!("user{i}@uhta.ru"), "digest", format!("load:{i}"), format!("Сводка {i}"), "Текст\n".into(), at))
        .collect();
    assert_eq!(appeals::store::outbox::insert_planned(&app.pool, &rows).unwrap(), n);
    let m = mailer(&app);
    let t = start_instant();
    let (r1, r2) = futures_util::future::join(dispatch(&app, &m, t, "one"), dispatch(&app, &m, t, "two")).await;
    assert_eq!(r1.sent + r2.sent, n);
    let mails = smtp.mails();
    let ids: std::collections::HashSet<String> = mails.iter().map(|m| m.header("Message-ID").unwrap()).collect();
    assert_eq!((mails.len(), ids.len()), (n, n), "each sent exactly once");
    eprintln!("dispatchers: one sent {}, two sent {}", r1.sent, r2.sent);
}

both_backends!(each_organization_is_reminded_within_its_own_working_hours);
async fn each_organization_is_reminded_within_its_own_working_hours(db: Db) {
    let app = TestApp::start(db).await;
    // A body that works 07:00–16:00, beside the first one on the config file's 09:00–18:00.
    let r = app.call("POST", "/api/v1/organizations", Some(&app.regional_admin), Some(&json!({"code": "early", "name": "Администрация Раннего района", "time_zone": "Europe/Moscow", "work_start": "07:00", "work_end": "16:00"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let org = r.json["id"].as_str().unwrap().to_string();
    assert_eq!((r.json["organization"]["effective"]["work_start"].as_str(), r.json["organization"]["effective"]["work_end"].as_str()), (Some("07:00"), Some("16:00")));
    let user = |login: &str, role: &str| json!({"login": login, "role": role, "full_name": format!("{login} Ранний"), "organization_id": org, "email": format!("{login}@early.ru")});
    let r = app.call("POST", "/api/v1/users", Some(&app.regional_admin), Some(&user("early_clerk", "clerk"))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let clerk = r.json["token"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/users", Some(&app.regional_admin), Some(&user("early_exec", "executor"))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let early_exec = r.json["user"]["id"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/users", Some(&app.regional_admin), Some(&user("early_admin", "admin"))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let early_admin = r.json["token"].as_str().unwrap().to_string();
    let r = app.call("POST", "/api/v1/appeals", Some(&clerk), Some(&appeal(json!({"applicants": []})))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    let early_card = r.json["id"].as_str().unwrap().to_string();
    // The early body's outbox, as its own administrator reads it.
    let early_reminders = || async {
        let r = app.call("GET", &format!("/api/v1/notifications?appeal_id={early_card}&kind=reminder"), Some(&early_admin), None).await;
        assert_eq!(r.status, 200, "{}", r.json);
        r.json["items"].as_array().unwrap().len()
    };
    let r = app.call("POST", &format!("/api/v1/appeals/{early_card}/assign"), Some(&clerk), Some(&json!({"executors": [{"user_id": early_exec, "responsible": true}]}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    // The first body's executor, with the same deadline (2 April 2025).
    let (exec, _) = staff(&app, "ivanova", "executor", "ivanova@uhta.ru").await;
    let card = assigned(&app, &exec, json!({"applicants": []})).await;
    let first_card = card["id"].as_str().unwrap().to_string();

    // Monday 31 March 07:30 Moscow: the early body's day has begun, the first body's not.
    assert_eq!(plan(&app, Utc.with_ymd_and_hms(2025, 3, 31, 4, 30, 0).unwrap()).await, 2, "the early body's reminder and digest");
    assert_eq!(early_reminders().await, 1);
    assert_eq!(outbox(&app, &format!("appeal_id={first_card}&kind=reminder")).await.len(), 0, "09:00 has not come in the first body");
    // 10:00: the first body's turn; the early body's were planned already.
    assert_eq!(plan(&app, msk(2025, 3, 31, 10)).await, 2);
    assert_eq!(outbox(&app, &format!("appeal_id={first_card}&kind=reminder")).await.len(), 1);
    // Tuesday 16:30: the early body's day is over, the first body's goes on.
    assert_eq!(plan(&app, Utc.with_ymd_and_hms(2025, 4, 1, 13, 30, 0).unwrap()).await, 2, "only the first body's reminder and digest");
    assert_eq!(early_reminders().await, 1);
    assert_eq!(outbox(&app, &format!("appeal_id={first_card}&kind=reminder")).await.len(), 2);

    // Hours are checked against the half left as it is; clearing returns to the config file's.
    let path = format!("/api/v1/organizations/{org}");
    app.call("PATCH", &path, Some(&app.regional_admin), Some(&json!({"work_start": "17:00"}))).await.assert_problem(422, Some("work_start"));
    app.call("PATCH", &path, Some(&app.regional_admin), Some(&json!({"work_end": "9:5"}))).await.assert_problem(422, Some("work_end"));
    let r = app.call("PATCH", &path, Some(&app.regional_admin), Some(&json!({"work_start": "", "work_end": ""}))).await;
    assert_eq!(r.status, 200, "{}", r.json);
    assert_eq!((r.json["work_start"].clone(), r.json["effective"]["work_start"].as_str()), (Value::Null, Some("09:00")));
}
