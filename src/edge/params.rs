//! Query strings read parameter by parameter, so a bad one answers 400/422 naming it.

use super::error::ApiError;
use crate::domain::validation::FieldError;
use actix_web::{web, HttpRequest};

/// `YYYY-MM-DD` and nothing else.
pub fn strict_date(v: &str) -> Option<chrono::NaiveDate> {
    let b = v.as_bytes();
    let shape = b.len() == 10 && b[4] == b'-' && b[7] == b'-' && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shape {
        return None;
    }
    chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d").ok()
}

/// Query parameters, read one by one so an error names the parameter.
pub struct Params(std::collections::HashMap<String, String>);

impl Params {
    /// Parses the request's query string; a parameter given twice is refused, not guessed at.
    pub fn of(req: &HttpRequest) -> Result<Self, ApiError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map_err(|e| ApiError::BadRequest(format!("строка запроса не разобрана: {e}")))?
            .into_inner();
        let mut map = std::collections::HashMap::new();
        for (k, v) in pairs {
            if crate::domain::validation::has_forbidden_controls(&k) || crate::domain::validation::has_forbidden_controls(&v) {
                return Err(Self::bad(&k, "недопустимые управляющие символы"));
            }
            let (k, v) = (crate::domain::text::nfc(&k), crate::domain::text::nfc(&v));
            if map.insert(k.clone(), v).is_some() {
                return Err(Self::bad(&k, "параметр указан больше одного раза"));
            }
        }
        Ok(Params(map))
    }

    /// Parameters built in code (a page that asks the API's parsers on a user's behalf).
    pub fn from_pairs(pairs: &[(&str, &str)]) -> Self {
        Params(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    /// Drops empty parameters: a web form sends every field of its filter, filled or not.
    pub fn without_empty(mut self) -> Self {
        self.0.retain(|_, v| !v.trim().is_empty());
        self
    }

    /// The raw value of a parameter, to show back in a form.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }

    /// A typed parameter's raw value: absent is fine, present but empty is an error.
    fn typed(&self, name: &str) -> Result<Option<&str>, ApiError> {
        match self.0.get(name).map(|s| s.trim()) {
            Some("") => Err(Self::bad(name, "пустое значение")),
            other => Ok(other),
        }
    }

    /// A 422 naming the parameter, for checks the caller makes beyond the typed readers.
    pub fn bad(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::Validation(vec![FieldError { field: name.to_string(), message: message.into() }])
    }

    /// A text parameter; empty counts as absent.
    pub fn text(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        match self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty()) {
            Some(v) if v.chars().count() > max => Err(Self::bad(name, format!("не длиннее {max} символов"))),
            Some(v) => Ok(Some(v.to_string())),
            None => Ok(None),
        }
    }

    /// A `YYYY-MM-DD` date, exactly ten characters (chrono alone also takes `+10000-12-31`).
    pub fn date(&self, name: &str) -> Result<Option<chrono::NaiveDate>, ApiError> {
        self.typed(name)?.map(|v| strict_date(v).ok_or_else(|| Self::bad(name, "ожидается дата ГГГГ-ММ-ДД"))).transpose()
    }

    /// A UUID (a user or appeal id), in its canonical hyphenated form.
    pub fn uuid(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.typed(name)? {
            Some(v) => match uuid::Uuid::parse_str(v) {
                Ok(u) if v.len() == 36 => Ok(Some(u.to_string())),
                _ => Err(Self::bad(name, "ожидается идентификатор UUID, например 3f2b8c1e-0000-4000-8000-000000000000")),
            },
            None => Ok(None),
        }
    }

    /// Refuses parameters the operation does not know, so a typo is not silently ignored.
    pub fn only(&self, known: &[&str]) -> Result<(), ApiError> {
        let mut unknown: Vec<&String> = self.0.keys().filter(|k| !known.contains(&k.as_str())).collect();
        unknown.sort();
        match unknown.first() {
            Some(k) => Err(Self::bad(k, format!("неизвестный параметр; допустимые: {}", known.join(", ")))),
            None => Ok(()),
        }
    }

    /// An integer within bounds.
    pub fn int(&self, name: &str, min: i64, max: i64) -> Result<Option<i64>, ApiError> {
        self.typed(name)?
            .map(|v| match v.parse::<i64>() {
                Ok(n) if (min..=max).contains(&n) => Ok(n),
                _ => Err(Self::bad(name, format!("ожидается целое число от {min} до {max}"))),
            })
            .transpose()
    }

    /// `true` or `false`.
    pub fn flag(&self, name: &str) -> Result<Option<bool>, ApiError> {
        self.typed(name)?
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                _ => Err(Self::bad(name, "ожидается true или false")),
            })
            .transpose()
    }

    /// An opaque value (a cursor): absent is fine, present must not be empty.
    pub fn opaque(&self, name: &str, max: usize) -> Result<Option<String>, ApiError> {
        match self.typed(name)? {
            Some(v) if v.len() > max => Err(Self::bad(name, format!("не длиннее {max} символов"))),
            other => Ok(other.map(String::from)),
        }
    }

    /// A classifier section code: four digits.
    pub fn section(&self, name: &str) -> Result<Option<String>, ApiError> {
        match self.typed(name)? {
            Some(v) if v.len() == 4 && v.bytes().all(|b| b.is_ascii_digit()) => Ok(Some(v.to_string())),
            Some(_) => Err(Self::bad(name, "ожидается код раздела классификатора из 4 цифр, например 0005")),
            None => Ok(None),
        }
    }

    /// One of a fixed set of codes.
    pub fn one_of(&self, name: &str, allowed: &[&str]) -> Result<Option<String>, ApiError> {
        match self.typed(name)? {
            Some(v) if !allowed.contains(&v) => Err(Self::bad(name, format!("допустимые значения: {}", allowed.join(", ")))),
            other => Ok(other.map(String::from)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_yyyy_mm_dd_only() {
        assert!(strict_date("2025-03-03").is_some());
        for bad in ["+10000-12-31", "2025-3-3", "2025-02-30", " 2025-03-03", "20250303"] {
            assert!(strict_date(bad).is_none(), "{bad}");
        }
    }
}
