//! JSON bodies: a size limit, duplicate keys refused, strings NFC-normalized, and every bad
//! field named in Russian in one answer.

use super::error::ApiError;
use crate::domain::validation::FieldError;
use crate::state::AppState;
use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

/// A JSON body parsed with the path of any bad field; `BIG` selects the import size limit.
#[derive(Debug)]
pub struct ValidJson<T, const BIG: bool = false>(pub T);

/// Most errors one body reports; the rest would only repeat the pattern.
const MAX_FIELD_ERRORS: usize = 50;
/// Most deserialization attempts spent on finding every bad field of one body.
const MAX_ATTEMPTS: usize = 200;

/// Parses JSON bytes into `T` in two passes, so one answer names every bad field in Russian:
/// first the syntax (400, with duplicate keys refused), then the fields, repeating the typed
/// pass with each bad field set aside until none is left. Every string is NFC-normalized first.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, StrictValue>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        match inner.classify() {
            serde_json::error::Category::Data => {
                let msg = inner.to_string();
                let dup = msg.strip_prefix("duplicate field `").and_then(|r| r.split('`').next()).unwrap_or("");
                let field = match (path.as_str(), dup) {
                    (".", "") => "body".to_string(),
                    (".", name) => name.to_string(),
                    (p, "") => p.to_string(),
                    (p, name) => format!("{p}.{name}"),
                };
                ApiError::Validation(vec![FieldError { field, message: russian(&msg) }])
            }
            _ => ApiError::BadRequest(format!("тело запроса не является корректным JSON: {}", syntax_ru(&inner))),
        }
    })?;
    de.end().map_err(|e| ApiError::BadRequest(format!("лишние данные после JSON: {}", syntax_ru(&e))))?;
    let mut value = value.0;
    // Every body of this API is an object; serde would also fill a struct from an array.
    if !value.is_object() {
        return Err(ApiError::Validation(vec![FieldError { field: "body".into(), message: "ожидается объект JSON {…}".into() }]));
    }
    crate::domain::text::nfc_json(&mut value);
    from_value(value).map_err(ApiError::Validation)
}

/// The syntax error in Russian, with its position.
pub(crate) fn syntax_ru(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let what = match e.classify() {
        Category::Eof => "неожиданный конец данных",
        Category::Io => "ошибка чтения",
        _ => "синтаксическая ошибка",
    };
    format!("{what} (строка {}, позиция {})", e.line(), e.column())
}

/// A JSON value that refuses duplicate keys (a later `"channel"` must not silently win).
pub(crate) struct StrictValue(pub(crate) serde_json::Value);

impl<'de> serde::Deserialize<'de> for StrictValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = StrictValue;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_bool<E>(self, v: bool) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<StrictValue, E> {
                Ok(StrictValue(serde_json::Number::from_f64(v).map(serde_json::Value::Number).unwrap_or(serde_json::Value::Null)))
            }
            fn visit_str<E>(self, v: &str) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_string<E>(self, v: String) -> Result<StrictValue, E> {
                Ok(StrictValue(v.into()))
            }
            fn visit_unit<E>(self) -> Result<StrictValue, E> {
                Ok(StrictValue(serde_json::Value::Null))
            }
            fn visit_none<E>(self) -> Result<StrictValue, E> {
                Ok(StrictValue(serde_json::Value::Null))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<StrictValue, A::Error> {
                let mut out = Vec::new();
                while let Some(StrictValue(v)) = seq.next_element()? {
                    out.push(v);
                }
                Ok(StrictValue(serde_json::Value::Array(out)))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<StrictValue, A::Error> {
                let mut out = serde_json::Map::new();
                while let Some(key) = map.next_key::<String>()? {
                    if out.contains_key(&key) {
                        return Err(serde::de::Error::custom(format!("duplicate field `{key}`")));
                    }
                    let StrictValue(v) = map.next_value()?;
                    out.insert(key, v);
                }
                Ok(StrictValue(serde_json::Value::Object(out)))
            }
        }
        d.deserialize_any(V)
    }
}

/// One typed-pass failure: the field it names, the Russian message, and how to set it aside.
struct Failure {
    field: String,
    message: String,
    /// Where the value sits (for a missing or unknown field: the object holding it).
    at: Vec<serde_path_to_error::Segment>,
    fix: Fix,
}

enum Fix {
    /// Add the missing key with a stand-in value.
    Insert(String),
    /// Drop the unknown key.
    Remove(String),
    /// Replace the bad value with a stand-in.
    Replace,
    /// Replace with the first allowed enum value.
    Variant(String),
}

fn failure(err: &serde_path_to_error::Error<serde_json::Error>) -> Failure {
    let mut at: Vec<serde_path_to_error::Segment> = err.path().iter().cloned().collect();
    let path = err.path().to_string();
    let path = if path == "." { String::new() } else { path };
    let msg = err.inner().to_string();
    let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
    // serde names an unknown field in the path already, a missing one only in the message.
    let named = |name: &str| matches!(at.last(), Some(serde_path_to_error::Segment::Map { key }) if key == name);
    let join = |name: &str| {
        if named(name) {
            path.clone()
        } else if path.is_empty() {
            name.to_string()
        } else {
            format!("{path}.{name}")
        }
    };
    let quoted = |rest: &str| rest.split('`').next().unwrap_or("").to_string();
    let (field, fix) = if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = quoted(rest);
        let field = join(&name);
        if named(&name) {
            at.pop();
        }
        (field, Fix::Insert(name))
    } else if let Some(rest) = msg.strip_prefix("unknown field `") {
        let name = quoted(rest);
        let field = join(&name);
        if named(&name) {
            at.pop();
        }
        (field, Fix::Remove(name))
    } else if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let first = rest.split("expected one of `").nth(1).or_else(|| rest.split("expected `").nth(1)).map(quoted).unwrap_or_default();
        (path.clone(), Fix::Variant(first))
    } else {
        (path.clone(), Fix::Replace)
    };
    Failure { field: if field.is_empty() { "body".into() } else { field }, message: russian(&msg), at, fix }
}

/// serde's English complaint in Russian, for the person who filled the form.
pub fn russian(msg: &str) -> String {
    let list = |rest: &str| rest.split('`').skip(1).step_by(2).collect::<Vec<_>>().join(", ");
    if msg.starts_with("missing field `") {
        return "обязательное поле не заполнено".into();
    }
    if msg.starts_with("unknown field `") {
        return match msg.split_once("expected ") {
            Some((_, rest)) if rest.contains('`') => format!("неизвестное поле; допустимые поля: {}", list(rest)),
            _ => "неизвестное поле".into(),
        };
    }
    if msg.starts_with("duplicate field `") {
        return "поле указано больше одного раза".into();
    }
    if let Some(rest) = msg.strip_prefix("unknown variant `") {
        let given = rest.split('`').next().unwrap_or("");
        let allowed = rest.split_once("expected ").map(|(_, r)| list(r)).unwrap_or_default();
        return format!("недопустимое значение «{given}»; допустимые значения: {allowed}");
    }
    if let Some(rest) = msg.strip_prefix("invalid type: ").or_else(|| msg.strip_prefix("invalid value: ")) {
        let expected = rest.split_once(", expected ").map(|(_, e)| expected_ru(e)).unwrap_or("другое значение");
        let kind = if msg.starts_with("invalid type") { "неверный тип значения" } else { "недопустимое значение" };
        return format!("{kind}: ожидается {expected}");
    }
    if msg.starts_with("invalid length") {
        return "неверное количество элементов".into();
    }
    let m = msg.to_ascii_lowercase();
    if ["input contains invalid characters", "premature end of input", "input is out of range", "trailing input", "no possible date", "not enough"].iter().any(|p| m.contains(p)) {
        return "некорректная дата или время: ожидается ГГГГ-ММ-ДД или ГГГГ-ММ-ДДTчч:мм:ссZ".into();
    }
    if m.contains("uuid") {
        return "ожидается идентификатор UUID".into();
    }
    "недопустимое значение".into()
}

fn expected_ru(e: &str) -> &'static str {
    let e = e.trim();
    if e.contains("date and time") {
        "дата и время RFC 3339, например 2025-03-03T10:00:00Z"
    } else if e.contains("date") {
        "дата ГГГГ-ММ-ДД"
    } else if e.contains("string") {
        "строка"
    } else if e.contains("bool") {
        "true или false"
    } else if e.starts_with('u') || e.starts_with('i') {
        "целое число в допустимых пределах"
    } else if e.starts_with('f') {
        "число"
    } else if e.contains("sequence") || e.contains("tuple") {
        "массив"
    } else if e.contains("struct") || e.contains("map") {
        "объект"
    } else if e.contains("UUID") || e.contains("uuid") {
        "идентификатор UUID"
    } else if e.contains("enum") || e.contains("variant") {
        "одно из допустимых значений"
    } else {
        "значение другого вида"
    }
}

/// The value at `path`, if the path leads anywhere.
fn slot<'a>(v: &'a mut serde_json::Value, path: &[serde_path_to_error::Segment]) -> Option<&'a mut serde_json::Value> {
    use serde_path_to_error::Segment;
    let mut cur = v;
    for seg in path {
        cur = match seg {
            Segment::Seq { index } => cur.as_array_mut()?.get_mut(*index)?,
            Segment::Map { key } => cur.as_object_mut()?.get_mut(key)?,
            Segment::Enum { .. } => cur,
            Segment::Unknown => return None,
        };
    }
    Some(cur)
}

/// Stand-ins tried for a bad or missing value, until the typed pass gets past it.
fn stand_ins() -> [serde_json::Value; 9] {
    use serde_json::json;
    [json!(null), json!(false), json!(0), json!(""), json!([]), json!({}), json!("2000-01-01"), json!("2000-01-01T00:00:00Z"), json!("00000000-0000-0000-0000-000000000000")]
}

/// The typed pass, repeated with each bad field set aside, collecting every field error.
/// Errors inside a stand-in (a missing object filled with `{}`) are not the caller's and are not reported.
/// One element of a larger body (an import's row), typed the way [`parse_json`] types a whole
/// body: strings NFC-normalized, every bad field named, paths relative to the element (`body`
/// for the element itself). Lets a large body be read element by element.
pub fn typed_element<T: DeserializeOwned>(mut v: serde_json::Value) -> Result<T, Vec<FieldError>> {
    crate::domain::text::nfc_json(&mut v);
    from_value(v)
}

fn from_value<T: DeserializeOwned>(mut v: serde_json::Value) -> Result<T, Vec<FieldError>> {
    let mut errors: Vec<FieldError> = Vec::new();
    let mut stand_in_fields: Vec<String> = Vec::new();
    let mut attempts = 0;
    let attempt = |v: &serde_json::Value, attempts: &mut usize| {
        *attempts += 1;
        serde_path_to_error::deserialize::<_, T>(v)
    };
    let mut current = attempt(&v, &mut attempts);
    loop {
        let err = match current {
            Ok(t) if errors.is_empty() => return Ok(t),
            Ok(_) => return Err(errors),
            Err(e) => failure(&e),
        };
        let ours = stand_in_fields.iter().any(|f| err.field == *f || err.field.starts_with(&format!("{f}.")) || err.field.starts_with(&format!("{f}[")));
        if !ours && !errors.iter().any(|e| e.field == err.field) {
            errors.push(FieldError { field: err.field.clone(), message: err.message.clone() });
        }
        if errors.len() >= MAX_FIELD_ERRORS || attempts >= MAX_ATTEMPTS || err.field == "body" {
            return Err(errors);
        }
        let mut next = None;
        match &err.fix {
            Fix::Remove(name) => {
                if let Some(obj) = slot(&mut v, &err.at).and_then(|o| o.as_object_mut()) {
                    obj.remove(name);
                    next = Some(attempt(&v, &mut attempts));
                }
            }
            Fix::Variant(first) if !first.is_empty() => {
                if let Some(s) = slot(&mut v, &err.at) {
                    *s = serde_json::Value::String(first.clone());
                    stand_in_fields.push(err.field.clone());
                    next = Some(attempt(&v, &mut attempts));
                }
            }
            Fix::Insert(_) | Fix::Replace | Fix::Variant(_) => {
                for candidate in stand_ins() {
                    let placed = match &err.fix {
                        Fix::Insert(name) => slot(&mut v, &err.at).and_then(|o| o.as_object_mut()).map(|o| o.insert(name.clone(), candidate)).is_some(),
                        _ => slot(&mut v, &err.at).map(|s| *s = candidate).is_some(),
                    };
                    if !placed {
                        break;
                    }
                    let r = attempt(&v, &mut attempts);
                    let same = match &r {
                        Err(e) => {
                            let f = failure(e);
                            f.field == err.field && !matches!(f.fix, Fix::Variant(_))
                        }
                        Ok(_) => false,
                    };
                    if !same || attempts >= MAX_ATTEMPTS {
                        stand_in_fields.push(err.field.clone());
                        next = Some(r);
                        break;
                    }
                }
            }
        }
        match next {
            Some(r) => current = r,
            None => return Err(errors),
        }
    }
}

impl<T: DeserializeOwned + Send + 'static, const BIG: bool> FromRequest for ValidJson<T, BIG> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map(|s| if BIG { s.settings.limits.import_body_bytes } else { s.settings.limits.body_bytes })
            .unwrap_or(1 << 20);
        let ctype_ok = req
            .headers()
            .get("Content-Type")
            .and_then(|v| v.to_str().ok())
            .map(|v| {
                let v = v.to_ascii_lowercase();
                v.starts_with("application/json") || (v.starts_with("application/") && v.contains("+json"))
            })
            .unwrap_or(false);
        let declared = req.headers().get("Content-Length").and_then(|v| v.to_str().ok()).and_then(|v| v.parse::<usize>().ok());
        let mut payload = payload.take();
        Box::pin(async move {
            if declared.is_some_and(|n| n > limit) {
                drain(&mut payload).await;
                return Err(ApiError::PayloadTooLarge(limit));
            }
            if !ctype_ok {
                drain(&mut payload).await;
                return Err(ApiError::UnsupportedMediaType);
            }
            let mut body = web::BytesMut::new();
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::BadRequest(format!("тело запроса не прочитано: {e}")))?;
                if body.len() + chunk.len() > limit {
                    drain(&mut payload).await;
                    return Err(ApiError::PayloadTooLarge(limit));
                }
                body.extend_from_slice(&chunk);
            }
            if body.is_empty() {
                return Err(ApiError::BadRequest("пустое тело запроса".into()));
            }
            if BIG {
                // A large import's field-by-field pass is CPU work: off the async executor.
                let body = body.freeze();
                web::block(move || parse_json::<T>(&body)).await?.map(ValidJson)
            } else {
                parse_json(&body).map(ValidJson)
            }
        })
    }
}

/// Most bytes read and discarded from a refused body, so the client receives our answer
/// instead of a reset connection; anything larger is cut off.
const DRAIN_LIMIT: usize = 128 << 20;

async fn drain(payload: &mut Payload) {
    let mut seen = 0usize;
    while let Some(Ok(chunk)) = payload.next().await {
        seen += chunk.len();
        if seen > DRAIN_LIMIT {
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        code: String,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        count: u32,
        day: chrono::NaiveDate,
        role: crate::domain::roles::Role,
        inner: Inner,
        items: Vec<Inner>,
        #[serde(default)]
        note: Option<String>,
    }

    fn fields(body: &str) -> Vec<String> {
        match parse_json::<Body>(body.as_bytes()) {
            Err(ApiError::Validation(v)) => {
                assert!(v.iter().all(|e| e.message.chars().any(|c| ('а'..='я').contains(&c))), "{v:?}");
                v.into_iter().map(|e| e.field).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn every_bad_field_is_named_once() {
        assert_eq!(fields("{}"), vec!["name", "count", "day", "role", "inner", "items"]);
        let mut f = fields(r#"{"name": 1, "count": -1, "day": "2025-13-01", "role": "root", "inner": {"code": 2, "x": 1}, "items": [{"code": "a"}, {}], "extra": true}"#);
        f.sort();
        assert_eq!(f, vec!["count", "day", "extra", "inner.code", "inner.x", "items[1].code", "name", "role"]);
        assert!(matches!(parse_json::<Body>(b"{\"name\": "), Err(ApiError::BadRequest(_))));
        assert_eq!(fields(r#"{"name": "a", "name": "b"}"#), vec!["name"]);
        assert_eq!(fields("[1, 2]"), vec!["body"]);
    }

    #[test]
    fn strings_are_nfc_before_the_typed_pass() {
        let b: Body = parse_json(r#"{"name": "и\u0306", "count": 1, "day": "2025-03-03", "role": "clerk", "inner": {"code": "x"}, "items": []}"#.as_bytes()).unwrap();
        assert_eq!(b.name, "й");
    }
}
