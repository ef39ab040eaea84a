//! Ended access ends everywhere: disabling a user, revoking their tokens, a new password or a
//! new role ends their web sessions and API tokens for good; enabling them again gives back
//! only the right to sign in.

use crate::support::*;
use serde_json::json;

/// Every user's password in these tests.
pub const PASSWORD: &str = "пароль-для-тестов";

/// The outcome of one sign-in form: status, the session cookie if one was set, the page.
pub struct SignIn {
    pub status: u16,
    pub session: Option<String>,
    pub body: String,
    /// `Retry-After`, when the sign-in was throttled.
    pub retry_after: Option<String>,
}

/// Signs in through the page as a browser would (the form's CSRF pair first), with extra
/// request headers (a proxy's `X-Forwarded-For`), on the server at `base`.
pub async fn sign_in_at(base: &str, login: &str, password: &str, headers: &[(&str, &str)]) -> SignIn {
    let client = awc::Client::builder().disable_redirects().timeout(std::time::Duration::from_secs(120)).finish();
    let mut page = client.get(format!("{base}/")).send().await.expect("login page");
    let set: Vec<String> = page.headers().get_all("set-cookie").filter_map(|v| v.to_str().ok()).map(String::from).collect();
    let body = String::from_utf8_lossy(&page.body().await.expect("body")).into_owned();
    let csrf = body.split("name=\"csrf\" value=\"").nth(1).and_then(|r| r.split('"').next()).expect("csrf field").to_string();
    let login_cookie = set.iter().find(|c| c.starts_with("appeals_login=")).and_then(|c| c.split(';').next()).expect("login cookie").to_string();
    let form = serde_urlencoded::to_string([("csrf", csrf.as_str()), ("login", login), ("password", password)]).unwrap();
    let mut req = client.post(format!("{base}/login")).insert_header(("Content-Type", "application/x-www-form-urlencoded")).insert_header(("Cookie", login_cookie));
    for (k, v) in headers {
        req = req.insert_header((*k, *v));
    }
    let mut resp = req.send_body(form).await.expect("sign-in sent");
    let session = resp
        .headers()
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("appeals_session=") && !c.contains("Max-Age=0"))
        .and_then(|c| c.split(';').next())
        .map(|c| c.trim_start_matches("appeals_session=").to_string())
        .filter(|v| !v.is_empty());
    let retry_after = resp.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(String::from);
    let body = String::from_utf8_lossy(&resp.body().await.unwrap_or_default()).into_owned();
    SignIn { status: resp.status().as_u16(), session, body, retry_after }
}

/// Signs `login` in on the test's server; panics unless it works.
pub async fn sign_in(app: &TestApp, login: &str) -> String {
    let s = sign_in_at(&app.srv.url("").trim_end_matches('/').to_string(), login, PASSWORD, &[]).await;
    assert_eq!(s.status, 303, "sign-in of {login}: {}", s.body);
    s.session.expect("session cookie")
}

/// Gives `login` the tests' password.
pub fn set_password(app: &TestApp, login: &str) {
    let hash = appeals::auth::hash_password(PASSWORD).unwrap();
    appeals::store::sessions::set_password(&app.pool, &app.org, &app.user_id(login), &hash, appeals::store::micros(start_instant())).unwrap();
}

/// Whether a session cookie still opens a page (200) rather than sending to sign-in (303).
async fn session_works(app: &TestApp, session: &str) -> bool {
    let r = app.raw("GET", "/me", None, None, &[("Cookie", &format!("appeals_session={session}"))]).await;
    assert!(r.status == 200 || r.status == 303, "{}", r.status);
    r.status == 200 && app.raw("GET", "/api/v1/channels", None, None, &[("Cookie", &format!("appeals_session={session}"))]).await.status == 200
}

async fn token_works(app: &TestApp, token: &str) -> bool {
    let r = app.call("GET", "/api/v1/channels", Some(token), None).await;
    assert!(r.status == 200 || r.status == 401, "{}", r.status);
    r.status == 200
}

both_backends!(disabling_revoking_a_new_password_or_role_end_sessions_and_tokens_for_good);
async fn disabling_revoking_a_new_password_or_role_end_sessions_and_tokens_for_good(db: Db) {
    let app = TestApp::start(db).await;
    for login in ["clerk", "executor", "executor2", "supervisor"] {
        set_password(&app, login);
    }
    let path = |login: &str| format!("/api/v1/users/{}", app.user_id(login));

    // Disabled, then enabled again: the old session and token stay dead; signing in works.
    let session = sign_in(&app, "clerk").await;
    assert!(session_works(&app, &session).await && token_works(&app, &app.clerk).await);
    assert_eq!(app.call("PATCH", &path("clerk"), Some(&app.admin), Some(&json!({"active": false}))).await.status, 200);
    assert!(!session_works(&app, &session).await, "a disabled user's session ends");
    assert!(!token_works(&app, &app.clerk).await);
    assert_eq!(app.call("PATCH", &path("clerk"), Some(&app.admin), Some(&json!({"active": true}))).await.status, 200);
    assert!(!session_works(&app, &session).await, "enabling again does not bring the session back");
    let r = app.call("GET", "/api/v1/channels", Some(&app.clerk), None).await;
    assert_eq!((r.status, r.json["code"].as_str()), (401, Some("token_revoked")), "nor the token");
    let fresh = sign_in(&app, "clerk").await;
    assert!(session_works(&app, &fresh).await, "only the right to sign in comes back");

    // Revoking tokens ends the web session too.
    let session = sign_in(&app, "executor").await;
    let r = app.call("POST", &format!("{}/revoke-tokens", path("executor")), Some(&app.admin), None).await;
    assert_eq!((r.status, r.json["revoked"].as_i64()), (200, Some(1)));
    assert!(!session_works(&app, &session).await, "revoke-tokens ends the session");
    assert!(!token_works(&app, &app.executor).await);

    // A new password ends both.
    let session = sign_in(&app, "executor2").await;
    assert_eq!(app.call("PATCH", &path("executor2"), Some(&app.admin), Some(&json!({"password": "совсем-новый-пароль"}))).await.status, 200);
    assert!(!session_works(&app, &session).await);
    assert!(!token_works(&app, &app.executor2).await, "a new password ends the API token too");

    // A new role ends both; the same role again ends nothing.
    let session = sign_in(&app, "supervisor").await;
    assert_eq!(app.call("PATCH", &path("supervisor"), Some(&app.admin), Some(&json!({"role": "supervisor"}))).await.status, 200);
    assert!(session_works(&app, &session).await && token_works(&app, &app.supervisor).await, "no change, nothing ends");
    assert_eq!(app.call("PATCH", &path("supervisor"), Some(&app.admin), Some(&json!({"role": "clerk"}))).await.status, 200);
    assert!(!session_works(&app, &session).await);
    assert!(!token_works(&app, &app.supervisor).await);
    // A department change alone ends nothing.
    let fresh = sign_in(&app, "clerk").await;
    app.call("POST", "/api/v1/departments", Some(&app.admin), Some(&json!({"code": "oog", "name": "Отдел"}))).await;
    assert_eq!(app.call("PATCH", &path("clerk"), Some(&app.admin), Some(&json!({"department": "oog"}))).await.status, 200);
    assert!(session_works(&app, &fresh).await);
}
