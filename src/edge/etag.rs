//! `If-Match`: the card version a write was made against, compared strongly.

use super::error::ApiError;
use actix_web::HttpRequest;

/// The version named by `If-Match: "7"`, if sent. `*` means any version. A weak tag
/// (`W/"7"`) never matches a write (RFC 9110 §13.1.1: strong comparison), so it answers 412;
/// anything that is not a quoted version (`"7`, `7`, `"x"`) answers 400.
pub fn if_match(req: &HttpRequest) -> Result<Option<i32>, ApiError> {
    let mut values = req.headers().get_all("If-Match");
    let Some(v) = values.next() else { return Ok(None) };
    let bad = || ApiError::BadRequest("If-Match: ожидается версия карточки в кавычках, например \"7\"".into());
    if values.next().is_some() {
        return Err(bad());
    }
    let s = v.to_str().map_err(|_| bad())?.trim();
    match parse_etag(s) {
        Some(EntityTag::Any) => Ok(None),
        // No stored version is negative: a weak tag can never match.
        Some(EntityTag::Weak) => Ok(Some(-1)),
        Some(EntityTag::Strong(n)) => Ok(Some(n)),
        None => Err(bad()),
    }
}

/// An `If-Match` value as this API understands it.
#[derive(Debug, PartialEq, Eq)]
pub enum EntityTag {
    /// `*`.
    Any,
    /// `W/"…"`: never matches a write.
    Weak,
    /// `"7"`.
    Strong(i32),
}

/// Parses one entity tag strictly: `*`, `"digits"` or a well-formed `W/"…"`.
pub fn parse_etag(s: &str) -> Option<EntityTag> {
    if s == "*" {
        return Some(EntityTag::Any);
    }
    let (weak, rest) = match s.strip_prefix("W/") {
        Some(r) => (true, r),
        None => (false, s),
    };
    let inner = rest.strip_prefix('"')?.strip_suffix('"')?;
    if inner.contains('"') {
        return None;
    }
    if weak {
        return inner.bytes().all(|b| b.is_ascii_graphic()).then_some(EntityTag::Weak);
    }
    if inner.is_empty() || inner.len() > 9 || !inner.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    inner.parse().ok().map(EntityTag::Strong)
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entity_tags_are_parsed_strictly() {
        assert_eq!(parse_etag("\"7\""), Some(EntityTag::Strong(7)));
        assert_eq!(parse_etag("*"), Some(EntityTag::Any));
        assert_eq!(parse_etag("W/\"7\""), Some(EntityTag::Weak));
        for bad in ["\"7", "7", "\"x\"", "\"\"", "W/7", "\"1\", \"2\"", "\"99999999999\""] {
            assert_eq!(parse_etag(bad), None, "{bad}");
        }
    }
}
