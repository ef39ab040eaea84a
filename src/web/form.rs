//! A submitted `application/x-www-form-urlencoded` body as the pages read it.

use crate::edge::ApiError;
use serde_json::Value;

/// A submitted `application/x-www-form-urlencoded` body: every pair in order, NFC-normalized,
/// so repeated names (several applicants, several questions) keep their rows.
pub struct Form(Vec<(String, String)>);

impl Form {
    /// Parses the body; a body that is not a form is a 400.
    pub fn parse(body: &[u8]) -> Result<Form, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).map_err(|_| ApiError::BadRequest("тело формы не разобрано".into()))?;
        Ok(Form(pairs.into_iter().map(|(k, v)| (k, crate::domain::text::nfc(&v))).collect()))
    }

    /// The first value of `name`, untrimmed.
    pub fn raw(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> &str {
        self.raw(name).map(str::trim).unwrap_or("")
    }

    /// Every value of `name`, trimmed, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).collect()
    }

    /// A value as JSON: absent or empty → null.
    pub fn opt(&self, name: &str) -> Value {
        match self.get(name) {
            "" => Value::Null,
            v => Value::String(v.to_string()),
        }
    }
}
