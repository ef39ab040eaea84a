//! What a browser is told about every response (a strict Content-Security-Policy, never framed,
//! no referrer, HSTS behind HTTPS, downloads as attachments), pages without inline script or
//! style, and every CSV the service writes free of spreadsheet formulas.

use crate::ended_access::{set_password, sign_in};
use crate::support::*;
use serde_json::json;

fn assert_hardened(r: &Resp, what: &str, https: bool) {
    let csp = r.header("Content-Security-Policy").unwrap_or_else(|| panic!("{what}: no CSP"));
    for part in ["default-src 'self'", "script-src 'self'", "style-src 'self'", "frame-ancestors 'none'", "object-src 'none'"] {
        assert!(csp.contains(part), "{what}: {csp}");
    }
    assert!(!csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"), "{what}: {csp}");
    assert_eq!(r.header("X-Frame-Options"), Some("DENY"), "{what}");
    assert_eq!(r.header("Referrer-Policy"), Some("no-referrer"), "{what}");
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"), "{what}");
    assert_eq!(r.header("Strict-Transport-Security").is_some(), https, "{what}");
}

fn assert_attachment(r: &Resp, what: &str) {
    assert_eq!(r.status, 200, "{what}: {}", r.json);
    assert!(r.header("Content-Disposition").is_some_and(|d| d.starts_with("attachment")), "{what}: {:?}", r.header("Content-Disposition"));
}

both_backends!(every_response_carries_the_security_headers);
async fn every_response_carries_the_security_headers(db: Db) {
    for https in [false, true] {
        let app = TestApp::start_with(db, |s| s.web.secure_cookie = https).await;
        app.register(json!({})).await;
        let page = app.raw("GET", "/", None, None, &[]).await;
        assert_hardened(&page, "the sign-in page", https);
        let json = app.call("GET", "/api/v1/channels", Some(&app.clerk), None).await;
        assert_hardened(&json, "a JSON response", https);
        let problem = app.call("GET", "/api/v1/appeals/nope", Some(&app.clerk), None).await;
        assert_hardened(&problem, "a problem", https);
        for (path, what) in [
            ("/api/v1/reports/annual?year=2025&format=csv", "the annual report's CSV"),
            ("/api/v1/reports/annual?year=2025", "the annual report"),
            ("/api/v1/reports/annual?year=2025&format=xlsx", "the annual workbook"),
            ("/api/v1/exports/gasu/reception?month=2025-03&format=csv", "the reception CSV"),
        ] {
            let r = app.call("GET", path, Some(&app.supervisor), None).await;
            assert_hardened(&r, what, https);
            assert_attachment(&r, what);
        }
    }
}

/// Inline script or style a strict policy would block: `<script>` with a body, `<style>`,
/// `style=` and `on…=` attributes, `javascript:` links.
fn inline_code(html: &str) -> Vec<String> {
    let lower = html.to_lowercase();
    let mut found = Vec::new();
    for (i, _) in lower.match_indices("<script") {
        let tag_end = lower[i..].find('>').map(|e| i + e).unwrap_or(lower.len());
        let tag = &lower[i..tag_end];
        let body_empty = lower[tag_end..].trim_start_matches('>').starts_with("</script>");
        if !tag.contains(" src=") || !body_empty {
            found.push(html[i..tag_end.min(i + 80)].to_string());
        }
    }
    for needle in ["<style", " style=\"", " style='", "javascript:"] {
        if let Some(i) = lower.find(needle) {
            found.push(html[i..(i + 60).min(html.len())].to_string());
        }
    }
    for (i, _) in lower.match_indices(" on") {
        let rest = &lower[i + 3..];
        let name: String = rest.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
        if !name.is_empty() && rest[name.len()..].starts_with('=') {
            found.push(html[i..(i + 40).min(html.len())].to_string());
        }
    }
    found
}

both_backends!(pages_hold_no_inline_script_or_style);
async fn pages_hold_no_inline_script_or_style(db: Db) {
    let app = TestApp::start(db).await;
    let card = app.register(json!({})).await;
    let id = card["id"].as_str().unwrap();
    set_password(&app, "admin");
    let session = sign_in(&app, "admin").await;
    let cookie = format!("appeals_session={session}");
    let login = app.raw("GET", "/", None, None, &[]).await;
    assert_eq!(inline_code(login.json.as_str().unwrap()), Vec::<String>::new(), "the sign-in page");
    for path in ["/".to_string(), "/appeals".into(), "/appeals/new".into(), "/me".into(), "/statistics".into(), format!("/appeals/{id}"), format!("/appeals/{id}/print")] {
        let r = app.raw("GET", &path, None, None, &[("Cookie", &cookie)]).await;
        assert_eq!(r.status, 200, "{path}");
        assert_hardened(&r, &path, false);
        let html = r.json.as_str().unwrap_or_default();
        assert_eq!(inline_code(html), Vec::<String>::new(), "{path}");
    }
    let js = app.raw("GET", "/static/app.js", None, None, &[]).await;
    assert_eq!(js.status, 200);
}

/// The cells of a `;` CSV (quotes honoured), BOM dropped.
fn cells(text: &str) -> Vec<Vec<String>> {
    let text = text.trim_start_matches('\u{feff}');
    let mut rows = Vec::new();
    let (mut row, mut cell, mut quoted, mut chars) = (Vec::new(), String::new(), false, text.chars().peekable());
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                chars.next();
                cell.push('"');
            }
            ('"', _) => quoted = !quoted,
            (';', false) => row.push(std::mem::take(&mut cell)),
            ('\r', false) if chars.peek() == Some(&'\n') => {
                chars.next();
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
            }
            _ => cell.push(c),
        }
    }
    rows
}

/// No cell starts a formula; a leading `-` only in a number the service computed.
fn assert_no_formulas(text: &str, what: &str) {
    for row in cells(text) {
        for c in row {
            let number = c.trim_start_matches('-').chars().all(|ch| ch.is_ascii_digit() || ch == ',') && c.len() > 1;
            assert!(!c.starts_with(['=', '+', '@', '\t', '\r']) && (!c.starts_with('-') || number), "{what}: cell {c:?}");
        }
    }
}

both_backends!(every_csv_neutralises_formulas);
async fn every_csv_neutralises_formulas(db: Db) {
    let app = TestApp::start(db).await;
    let evil = "=HYPERLINK(\"http://evil.example/\";\"Глава\")";
    let card = app.register(json!({"applicants": [{"full_name": evil, "postal_address": "169300, г. Ухта, ул. Ленина, д. 1"}], "summary": "+79001112233 просит перезвонить"})).await;
    assert_eq!(card["applicants"][0]["full_name"], evil);
    let r = app.call("POST", "/api/v1/receptions", Some(&app.clerk), Some(&json!({"official": evil, "official_role": "head", "held_on": "2025-03-03", "starts_at": "10:00", "place": "@каб. 1"}))).await;
    assert_eq!(r.status, 201, "{}", r.json);
    set_password(&app, "admin");
    let cookie = format!("appeals_session={}", sign_in(&app, "admin").await);
    let registry = app.raw("GET", "/registry.csv", None, None, &[("Cookie", &cookie)]).await;
    assert_attachment(&registry, "the registry CSV");
    let text = registry.json.as_str().unwrap().to_string();
    assert!(text.contains("'=HYPERLINK"), "{text}");
    assert!(text.contains("'+7900"), "{text}");
    assert_no_formulas(&text, "the registry CSV");
    let reception = app.call("GET", "/api/v1/exports/gasu/reception?month=2025-03&format=csv", Some(&app.supervisor), None).await;
    assert_attachment(&reception, "the reception CSV");
    let text = reception.json.as_str().unwrap().to_string();
    assert!(text.contains("'=HYPERLINK"), "the official's name is neutralised: {text}");
    assert_no_formulas(&text, "the reception CSV");
    let appeals = app.call("GET", "/api/v1/exports/gasu/appeals?month=2025-03&format=csv", Some(&app.supervisor), None).await;
    assert_attachment(&appeals, "the appeals CSV");
    assert_no_formulas(appeals.json.as_str().unwrap(), "the appeals CSV");
    for breakdown in ["by_channel", "by_form", "by_kind", "by_legal_regime", "by_section", "by_topic", "by_theme", "top_questions", "results"] {
        let r = app.call("GET", &format!("/api/v1/reports/annual?year=2025&format=csv&breakdown={breakdown}"), Some(&app.supervisor), None).await;
        assert_attachment(&r, breakdown);
        assert_no_formulas(r.json.as_str().unwrap(), breakdown);
    }
    // The checker itself catches a formula.
    let caught = std::panic::catch_unwind(|| assert_no_formulas("\u{feff}a;=1+1\r\n", "probe"));
    assert!(caught.is_err());
}
