//! Field-level validation errors, collected rather than thrown, so one response names every problem.

use serde::Serialize;

/// One problem with one input field; `field` is a JSON path such as `questions[0].code`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the offending field.
    pub field: String,
    /// What is wrong, for a clerk to read.
    pub message: String,
}

/// Accumulates field errors under a path prefix, so nested validators report full paths.
#[derive(Debug, Default)]
pub struct Errors {
    prefix: String,
    items: Vec<FieldError>,
}

impl Errors {
    /// A collector whose fields are reported under `prefix` (e.g. `items[3].`).
    pub fn with_prefix(prefix: impl Into<String>) -> Self {
        Self { prefix: prefix.into(), items: Vec::new() }
    }

    /// Records a problem with `field`.
    pub fn add(&mut self, field: impl AsRef<str>, message: impl Into<String>) {
        self.items.push(FieldError { field: format!("{}{}", self.prefix, field.as_ref()), message: message.into() });
    }

    /// Checks a required text: present, not blank (invisible characters alone count as blank),
    /// at most `max` characters.
    pub fn text(&mut self, field: &str, value: &str, max: usize) {
        if super::text::is_blank(value) {
            self.add(field, "обязательное поле не заполнено");
        } else {
            self.max_len(field, value, max);
        }
    }

    /// Checks an optional text's length, and that it holds no control characters but tab and line breaks
    /// (a NUL byte cannot even be stored in PostgreSQL text).
    pub fn max_len(&mut self, field: &str, value: &str, max: usize) {
        if value.chars().count() > max {
            self.add(field, format!("не длиннее {max} символов"));
        } else if has_forbidden_controls(value) {
            self.add(field, "недопустимые управляющие символы");
        } else if super::text::has_hidden(value) {
            self.add(field, "недопустимые невидимые символы или символы смены направления текста");
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The collected errors.
    pub fn into_vec(self) -> Vec<FieldError> {
        self.items
    }

    /// Moves another collector's errors into this one.
    pub fn extend(&mut self, other: Errors) {
        self.items.extend(other.items);
    }

    /// `Ok(())` when empty, the errors otherwise.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.items.is_empty() {
            Ok(())
        } else {
            Err(self.items)
        }
    }
}

/// True when `value` holds a control character other than tab, line feed or carriage return
/// (invisible and direction-changing characters are checked by [`super::text::has_hidden`]).
pub fn has_forbidden_controls(value: &str) -> bool {
    value.chars().any(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
}

/// A plausible e-mail address: one `@`, a non-empty local part, a dotted domain, no spaces.
pub fn is_email(value: &str) -> bool {
    let v = value.trim();
    if v.len() > 254 || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return false;
    }
    let Some((local, domain)) = v.split_once('@') else { return false };
    if local.is_empty() || local.len() > 64 || domain.contains('@') {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|l| !l.is_empty() && !l.starts_with('-') && !l.ends_with('-'))
        && labels.iter().all(|l| l.chars().all(|c| c.is_alphanumeric() || c == '-'))
}

/// Why an address outside the national zone gets nothing (547-FZ).
pub const SKIP_FOREIGN_ZONE: &str = "адрес вне национальной доменной зоны (.ru, .рф): по 547-ФЗ ответы и уведомления направляются только на такие адреса";

/// True for a mailbox in the Russian national domain zones (.ru, .рф, .su), as 547-FZ requires for answers.
pub fn is_russian_zone_email(value: &str) -> bool {
    let lower = value.trim().to_lowercase();
    ["ru", "рф", "xn--p1ai", "su"].iter().any(|z| lower.ends_with(&format!(".{z}")))
}

/// A plausible phone number: digits with the usual separators, 5 to 15 digits, optional leading `+`.
pub fn is_phone(value: &str) -> bool {
    let v = value.trim();
    let body = v.strip_prefix('+').unwrap_or(v);
    let digits = body.chars().filter(|c| c.is_ascii_digit()).count();
    (5..=15).contains(&digits) && body.chars().all(|c| c.is_ascii_digit() || " -()".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert!(is_email("ivanov@example.ru"));
        assert!(is_email("иван@почта.рф"));
        assert!(!is_email("not-an-email"));
        assert!(!is_email("a@b"));
        assert!(!is_email("a b@c.ru"));
        assert!(!is_email("a@@c.ru"));
        assert!(!is_email("@c.ru"));
    }

    #[test]
    fn russian_zone() {
        assert!(is_russian_zone_email("a@mail.ru"));
        assert!(is_russian_zone_email("a@почта.рф"));
        assert!(!is_russian_zone_email("a@gmail.com"));
    }

    #[test]
    fn phones() {
        assert!(is_phone("+7 (900) 123-45-67"));
        assert!(is_phone("21-4-56"));
        assert!(!is_phone("12ab34"));
        assert!(!is_phone("+7 900 123 45 67 89 00 11"));
    }

    #[test]
    fn control_characters_are_refused() {
        let mut e = Errors::default();
        e.text("summary", "строка\u{0}", 100);
        e.max_len("note", "a\u{7}b", 100);
        e.max_len("ok", "строка\nвторая\tтаб", 100);
        e.text("blank", "\u{200b}\u{200b}", 100);
        e.text("name", "Ива\u{200b}нов", 100);
        e.max_len("number", "ОГ-\u{202e}123", 100);
        let fields: Vec<String> = e.into_vec().into_iter().map(|x| x.field).collect();
        assert_eq!(fields, vec!["summary", "note", "blank", "name", "number"]);
    }

    #[test]
    fn prefixed_paths() {
        let mut e = Errors::with_prefix("items[3].");
        e.text("summary", "  ", 10);
        e.text("name", "abcdefghijk", 10);
        let v = e.into_vec();
        assert_eq!(v[0].field, "items[3].summary");
        assert_eq!(v[1].field, "items[3].name");
    }
}
