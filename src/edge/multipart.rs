//! `multipart/form-data` bodies (a file chosen in a form, `curl -F file=@journal.xlsx`) split
//! into their parts: the body is already read whole under the import's size limit, so a
//! small parser over bytes is all an upload needs.

/// One part of a form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Part<'a> {
    /// The form field's name.
    pub name: String,
    /// The file's name, for a file part.
    pub filename: Option<String>,
    /// The part's bytes.
    pub body: &'a [u8],
}

/// The boundary of a `multipart/form-data` content type, `None` for any other type.
pub fn boundary(content_type: &str) -> Option<String> {
    let mut it = content_type.split(';');
    if !it.next()?.trim().eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    it.filter_map(|p| p.split_once('=')).find(|(k, _)| k.trim().eq_ignore_ascii_case("boundary")).map(|(_, v)| v.trim().trim_matches('"').to_string()).filter(|b| !b.is_empty() && b.len() <= 70)
}

/// Finds `needle` in `hay` from `from`.
fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || hay.len() < needle.len() {
        return None;
    }
    (from..=hay.len() - needle.len()).find(|&i| hay[i..].starts_with(needle))
}

/// A parameter of a `Content-Disposition` header (`name="file"`).
fn param(header: &str, key: &str) -> Option<String> {
    header.split(';').filter_map(|p| p.split_once('=')).find(|(k, _)| k.trim().eq_ignore_ascii_case(key)).map(|(_, v)| v.trim().trim_matches('"').to_string())
}

/// The parts of a body; a Russian message when it is not a well-formed form.
pub fn parts<'a>(body: &'a [u8], boundary: &str) -> Result<Vec<Part<'a>>, String> {
    let delim = format!("--{boundary}");
    let mut at = find(body, delim.as_bytes(), 0).ok_or("в теле нет ни одной части формы")?;
    let mut out = Vec::new();
    loop {
        at += delim.len();
        if body[at..].starts_with(b"--") {
            return Ok(out);
        }
        let head_start = at + if body[at..].starts_with(b"\r\n") { 2 } else { 0 };
        let head_end = find(body, b"\r\n\r\n", head_start).ok_or("часть формы без заголовков")?;
        let head = String::from_utf8_lossy(&body[head_start..head_end]);
        let next = find(body, format!("\r\n{delim}").as_bytes(), head_end + 4).ok_or("форма оборвана: нет завершающей границы")?;
        let disposition = head.lines().find(|l| l.to_ascii_lowercase().starts_with("content-disposition:")).ok_or("часть формы без Content-Disposition")?;
        let name = param(disposition, "name").ok_or("часть формы без имени поля")?;
        out.push(Part { name, filename: param(disposition, "filename"), body: &body[head_end + 4..next] });
        at = next + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_with_a_file_and_a_field() {
        let ct = "multipart/form-data; boundary=\"XyZ\"";
        assert_eq!(boundary(ct).as_deref(), Some("XyZ"));
        assert_eq!(boundary("application/json"), None);
        let body = b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"j.csv\"\r\nContent-Type: text/csv\r\n\r\na;b\r\n1;2\r\n--XyZ\r\nContent-Disposition: form-data; name=\"dry_run\"\r\n\r\ntrue\r\n--XyZ--\r\n";
        let p = parts(body, "XyZ").unwrap();
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].name, "file");
        assert_eq!(p[0].filename.as_deref(), Some("j.csv"));
        assert_eq!(p[0].body, b"a;b\r\n1;2");
        assert_eq!(p[1].name, "dry_run");
        assert_eq!(p[1].body, b"true");
    }

    #[test]
    fn broken_forms_are_refused() {
        assert!(parts(b"nothing", "XyZ").is_err());
        assert!(parts(b"--XyZ\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nabc", "XyZ").is_err());
        assert!(parts(b"--XyZ\r\nX: y\r\n\r\nabc\r\n--XyZ--", "XyZ").is_err());
    }
}
