//! Guessing passwords stays slow: every sign-in attempt is counted in the database before its
//! password is checked, so thirty attempts at once — even spread over two server instances
//! sharing the database — let at most three reach the password check; a budget per address
//! slows one password tried on many logins; and someone else's failures never make a person
//! with the right password wait.

use crate::ended_access::{set_password, sign_in_at, PASSWORD};
use crate::support::*;

fn base(app: &TestApp) -> String {
    app.srv.url("").trim_end_matches('/').to_string()
}

both_backends!(thirty_simultaneous_attempts_let_at_most_three_reach_the_password);
async fn thirty_simultaneous_attempts_let_at_most_three_reach_the_password(db: Db) {
    let app = TestApp::start(db).await;
    set_password(&app, "clerk");
    // A second server instance on the same database, with its own pool.
    let settings = (*app.state.settings).clone();
    let pool = appeals::store::DbPool::connect(&settings.database_url, 4).expect("second pool");
    let second = actix_web::web::Data::new(appeals::app::state(settings, pool, app.clock.clone()).expect("second state"));
    let srv2 = actix_test::start(move || appeals::app::service(second.clone()));
    let bases = [base(&app), srv2.url("").trim_end_matches('/').to_string()];
    let started = std::time::Instant::now();
    let attempts = (0..30).map(|i| {
        let b = bases[i % 2].clone();
        async move { sign_in_at(&b, "clerk", "неверный-пароль", &[]).await.status }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let elapsed = started.elapsed();
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let waited = statuses.iter().filter(|s| **s == 429).count();
    eprintln!("30 simultaneous sign-ins over two instances: {checked} checked, {waited} told to wait, in {elapsed:?}");
    assert_eq!(checked + waited, 30, "{statuses:?}");
    assert!(checked <= 3, "{checked} attempts reached the password check: {statuses:?}");
    assert!(checked >= 1, "{statuses:?}");
    // Even the right password waits now (same login and address), and says for how long.
    let s = sign_in_at(&bases[1], "clerk", PASSWORD, &[]).await;
    assert_eq!(s.status, 429, "{}", s.body);
    assert!(s.body.contains("Повторите через"));
    assert!(s.retry_after.as_deref().and_then(|v| v.parse::<u64>().ok()).is_some_and(|n| n >= 1), "Retry-After: {:?}", s.retry_after);
    // After the wait it gets in, and the count starts afresh.
    app.set_now(start_instant() + chrono::Duration::seconds(2));
    assert_eq!(sign_in_at(&bases[0], "clerk", PASSWORD, &[]).await.status, 303);
    for _ in 0..3 {
        assert_eq!(sign_in_at(&bases[1], "clerk", "неверный-пароль", &[]).await.status, 401);
    }
    assert_eq!(sign_in_at(&bases[0], "clerk", "неверный-пароль", &[]).await.status, 429);
    // Counts nobody touched for a day are deleted by the next attempt's bookkeeping.
    let epoch = chrono::DateTime::from_timestamp(0, 0).unwrap().naive_utc();
    let kept = || appeals::store::login_attempts::recent_failures(&app.pool, &app.org, &["clerk".to_string()], epoch).unwrap();
    assert_eq!(kept().len(), 1);
    app.set_now(start_instant() + chrono::Duration::hours(25));
    assert_eq!(sign_in_at(&bases[0], "someone", "неверный-пароль", &[]).await.status, 401);
    assert!(kept().is_empty(), "a day-old count is gone");
}

both_backends!(someone_elses_failures_never_lock_out_the_right_password);
async fn someone_elses_failures_never_lock_out_the_right_password(db: Db) {
    let app = TestApp::start_with(db, |s| s.web.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()]).await;
    set_password(&app, "clerk");
    let b = base(&app);
    let attacker = [("X-Forwarded-For", "198.51.100.9")];
    for _ in 0..3 {
        assert_eq!(sign_in_at(&b, "clerk", "неверный-пароль", &attacker).await.status, 401);
    }
    assert_eq!(sign_in_at(&b, "clerk", "неверный-пароль", &attacker).await.status, 429);
    assert_eq!(sign_in_at(&b, "clerk", PASSWORD, &attacker).await.status, 429, "the guessing address waits, right password or not");
    // The clerk, from their own address behind the same proxy, signs in at once.
    let s = sign_in_at(&b, "clerk", PASSWORD, &[("X-Forwarded-For", "203.0.113.5")]).await;
    assert_eq!(s.status, 303, "{}", s.body);
    // The administrator's user list shows the login's recent failures; others see no such field.
    let failed = |r: &Resp| r.json["items"].as_array().unwrap().iter().find(|u| u["login"] == "clerk").unwrap()["failed_sign_ins"].clone();
    assert_eq!(failed(&app.call("GET", "/api/v1/users", Some(&app.admin), None).await), serde_json::json!(3));
    assert_eq!(failed(&app.call("GET", "/api/v1/users", Some(&app.clerk), None).await), serde_json::Value::Null);
    // A hop the client added itself before the proxy's does not change who it is.
    let s = sign_in_at(&b, "clerk", PASSWORD, &[("X-Forwarded-For", "203.0.113.5, 198.51.100.9")]).await;
    assert_eq!(s.status, 429);

    // Without the proxy in `trusted_proxies` the header is ignored: no way out of the wait.
    let direct = TestApp::start(db).await;
    set_password(&direct, "clerk");
    let b = base(&direct);
    for _ in 0..3 {
        assert_eq!(sign_in_at(&b, "clerk", "неверный-пароль", &[]).await.status, 401);
    }
    let s = sign_in_at(&b, "clerk", PASSWORD, &[("X-Forwarded-For", "203.0.113.77")]).await;
    assert_eq!(s.status, 429);
}

both_backends!(one_password_tried_on_many_logins_is_slowed_too);
async fn one_password_tried_on_many_logins_is_slowed_too(db: Db) {
    let app = TestApp::start_with(db, |s| s.web.trusted_proxies = vec!["127.0.0.1".into(), "::1".into()]).await;
    set_password(&app, "clerk");
    let b = base(&app);
    let sprayer = [("X-Forwarded-For", "198.51.100.20")];
    // Thirty attempts an hour from one address go through, each on another login...
    for i in 0..30 {
        let login = format!("user{i}");
        assert_eq!(sign_in_at(&b, &login, "Лето2025!", &sprayer).await.status, 401, "attempt {i}");
    }
    // ...then that address waits, whatever the login.
    assert_eq!(sign_in_at(&b, "user30", "Лето2025!", &sprayer).await.status, 429);
    assert_eq!(sign_in_at(&b, "clerk", PASSWORD, &sprayer).await.status, 429);
    // Other addresses are not slowed by it.
    assert_eq!(sign_in_at(&b, "clerk", PASSWORD, &[("X-Forwarded-For", "203.0.113.5")]).await.status, 303);
    // The waits grow: 1 s, then 2 s.
    app.set_now(start_instant() + chrono::Duration::seconds(1));
    assert_eq!(sign_in_at(&b, "user31", "Лето2025!", &sprayer).await.status, 401);
    app.set_now(start_instant() + chrono::Duration::seconds(2));
    assert_eq!(sign_in_at(&b, "user32", "Лето2025!", &sprayer).await.status, 429);
    // Right passwords from a busy office address give their attempt back: thirty colleagues
    // signing in from one address are never slowed.
    let office = [("X-Forwarded-For", "192.0.2.1")];
    for _ in 0..40 {
        assert_eq!(sign_in_at(&b, "clerk", PASSWORD, &office).await.status, 303);
    }
}
