//! The security headers of every response, pages, API, downloads and errors alike: a strict
//! Content-Security-Policy (this origin only, no inline script or style, never framed),
//! `X-Frame-Options` for browsers without `frame-ancestors`, no referrer leaving the service
//! (addresses carry appeal ids), HSTS when the service is served over HTTPS, and every file
//! download (CSV, workbook, PDF, the annual report) an attachment, never rendered in place.

use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, CONTENT_DISPOSITION, CONTENT_TYPE};

/// The policy: everything from this origin only; nothing inline, no plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// One year, with subdomains: the value `[web] secure_cookie = true` turns on.
pub const STRICT_TRANSPORT_SECURITY: &str = "max-age=31536000; includeSubDomains";

/// Content types that are files to save, not pages to show.
const DOWNLOADS: [&str; 4] = ["text/csv", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/pdf", "application/octet-stream"];

/// Adds the security headers to a response's headers. `https` is `[web] secure_cookie`;
/// `download_name` names an HTML document served as a file (the annual report).
pub fn apply(h: &mut HeaderMap, https: bool) {
    h.insert(HeaderName::from_static("content-security-policy"), HeaderValue::from_static(CONTENT_SECURITY_POLICY));
    h.insert(HeaderName::from_static("x-frame-options"), HeaderValue::from_static("DENY"));
    h.insert(HeaderName::from_static("referrer-policy"), HeaderValue::from_static("no-referrer"));
    if https {
        h.insert(HeaderName::from_static("strict-transport-security"), HeaderValue::from_static(STRICT_TRANSPORT_SECURITY));
    }
    let ctype = h.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_ascii_lowercase();
    if is_download(&ctype) {
        let disposition = h.get(CONTENT_DISPOSITION).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !disposition.starts_with("attachment") {
            h.insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment"));
        }
    }
}

/// True for a content type the service only ever sends as a file.
pub fn is_download(ctype: &str) -> bool {
    DOWNLOADS.iter().any(|d| ctype.starts_with(d))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_become_attachments_and_pages_get_the_policy() {
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
        apply(&mut h, false);
        assert_eq!(h.get(CONTENT_DISPOSITION).unwrap(), "attachment");
        assert!(h.get("strict-transport-security").is_none());
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
        apply(&mut h, true);
        assert!(h.get(CONTENT_DISPOSITION).is_none());
        assert!(h.get("content-security-policy").unwrap().to_str().unwrap().contains("frame-ancestors 'none'"));
        assert_eq!(h.get("x-frame-options").unwrap(), "DENY");
        assert_eq!(h.get("referrer-policy").unwrap(), "no-referrer");
        assert_eq!(h.get("strict-transport-security").unwrap(), STRICT_TRANSPORT_SECURITY);
        let mut h = HeaderMap::new();
        h.insert(CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
        h.insert(CONTENT_DISPOSITION, HeaderValue::from_static("attachment; filename=\"otvet.pdf\""));
        apply(&mut h, false);
        assert_eq!(h.get(CONTENT_DISPOSITION).unwrap(), "attachment; filename=\"otvet.pdf\"");
    }
}
