//! Registration numbers from a configurable template, e.g. `ОГ-{year}-{seq:06}` → `ОГ-2025-000123`.

/// Renders a registration number; `{year}`, `{seq}` and `{seq:0N}` (zero-padded to N) are replaced.
pub fn render(template: &str, year: i32, seq: i64) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let token = &rest[start + 1..start + end];
        match (token, seq_token(token)) {
            ("year", _) => out.push_str(&year.to_string()),
            (_, Some(width)) => out.push_str(&fill_seq(seq, width)),
            (other, None) => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// The sequence number inside `number` if it has the template's shape for `year`
/// (e.g. `ОГ-2024-000042` → 42); imports use it to keep generated numbers clear of legacy ones.
pub fn sequence_of(template: &str, year: i32, number: &str) -> Option<i64> {
    let marker = "\u{1}";
    // The template with its {seq…} token replaced by a marker that no number contains.
    let start = template.find("{seq")?;
    let end = start + template[start..].find('}')? + 1;
    let shaped = render(&format!("{}{marker}{}", &template[..start], &template[end..]), year, 0);
    let (prefix, suffix) = shaped.split_once(marker)?;
    let middle = number.strip_prefix(prefix)?.strip_suffix(suffix)?;
    if middle.is_empty() || !middle.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    middle.parse().ok()
}

/// A sequence number no organization reaches (19 digits), rendered in place of the real one
/// when the database reserves the number in the very statement that writes the card: the
/// store sends the rows with this placeholder and the database puts [`fill_seq`]'s digits in.
pub const SEQ_PLACEHOLDER: i64 = 9_111_111_111_111_111_111;

/// The minimum width of the template's sequence (`{seq}` → 0, `{seq:0N}` → N) when it has
/// exactly one sequence token: only then does replacing the placeholder's digits with
/// [`fill_seq`] render the same number as [`render`].
pub fn seq_width(template: &str) -> Option<usize> {
    let mut found = None;
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let Some(end) = rest[start..].find('}').map(|e| start + e) else { break };
        if let Some(w) = seq_token(&rest[start + 1..end]) {
            if found.replace(w).is_some() {
                return None;
            }
        }
        rest = &rest[end + 1..];
    }
    found
}

/// The minimum width a `{…}` token pads the sequence to, when it is a sequence token.
fn seq_token(token: &str) -> Option<usize> {
    match token {
        "seq" => Some(0),
        t if t.starts_with("seq:0") => Some(t[5..].parse().unwrap_or(0)),
        _ => None,
    }
}

/// The digits that replace [`SEQ_PLACEHOLDER`]: `seq` zero-padded to `width` (the database
/// computes the same as `lpad(seq, greatest(width, length(seq)), '0')`).
pub fn fill_seq(seq: i64, width: usize) -> String {
    format!("{seq:0width$}")
}

/// Checks a template at start-up: it must contain `{seq}` or `{seq:0N}`, or numbers would repeat.
pub fn validate_template(template: &str) -> Result<(), String> {
    if render(template, 2000, 1) == render(template, 2000, 2) {
        return Err(format!("registration number template `{template}` has no {{seq}}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_template() {
        assert_eq!(render("ОГ-{year}-{seq:06}", 2025, 123), "ОГ-2025-000123");
        assert_eq!(render("{seq}/{year}", 2024, 7), "7/2024");
        assert_eq!(render("ОГ-{year}-{seq:03}", 2024, 12345), "ОГ-2024-12345");
    }

    #[test]
    fn sequence_is_read_back_from_numbers_of_the_template() {
        assert_eq!(sequence_of("ОГ-{year}-{seq:06}", 2024, "ОГ-2024-000042"), Some(42));
        assert_eq!(sequence_of("ОГ-{year}-{seq:06}", 2024, "ОГ-2023-000042"), None);
        assert_eq!(sequence_of("ОГ-{year}-{seq:06}", 2024, "12/2024"), None);
        assert_eq!(sequence_of("{seq}/{year}", 2024, "12/2024"), Some(12));
        assert_eq!(sequence_of("{seq}/{year}", 2024, "x12/2024"), None);
    }

    #[test]
    fn the_placeholders_digits_filled_in_render_the_same_number() {
        for t in ["ОГ-{year}-{seq:06}", "{seq}/{year}", "ОГ-{year}-{seq:03}", "{year}{seq:02}-П", "{seq:0}"] {
            let w = seq_width(t).expect(t);
            let marked = render(t, 2026, SEQ_PLACEHOLDER);
            for seq in [1, 7, 123, 12345, 1234567] {
                assert_eq!(marked.replace(&SEQ_PLACEHOLDER.to_string(), &fill_seq(seq, w)), render(t, 2026, seq), "{t} {seq}");
            }
        }
        assert_eq!(seq_width("{seq}-{seq}"), None);
        assert_eq!(seq_width("ОГ-{year}"), None);
        assert_eq!(seq_width("{year}-{seq:05}"), Some(5));
    }

    #[test]
    fn template_without_sequence_is_refused() {
        assert!(validate_template("ОГ-{year}").is_err());
        assert!(validate_template("ОГ-{year}-{seq:06}").is_ok());
    }
}
