//! An import body read row by row. `{"items": [...]}` of 100,000 rows is 64 MiB of JSON; read
//! as one `serde_json::Value` tree and then typed, it took over a gigabyte. Here each row is
//! parsed, normalized and typed on its own and handed on at once, so only the rows already
//! typed stay in memory. The rules of every JSON body hold (`extract::parse_json`): a syntax
//! error anywhere is a 400 that wins over field errors, duplicate keys and unknown fields are
//! 422s naming the field, strings are NFC-normalized.

use crate::edge::ApiError;
use crate::edge::body::{russian, syntax_ru, typed_element, StrictValue};
use crate::domain::validation::FieldError;
use serde::de::{DeserializeOwned, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Where each typed row goes: its position in `items` and the row, or its field errors (paths
/// already prefixed with `items[i]`).
pub type Sink<'a, T> = &'a mut dyn FnMut(usize, Result<T, Vec<FieldError>>);

/// Reads `bytes` as `{"items": [...]}`, handing every row to `sink` in order. Returns how many
/// rows there were and the errors of the body around them (an unknown member, no `items`).
pub fn for_each_item<T: DeserializeOwned>(bytes: &[u8], sink: Sink<'_, T>) -> Result<(usize, Vec<FieldError>), ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let mut body = Body { sink, count: 0, errors: Vec::new(), at: "body".into() };
    let read = (&mut body).deserialize(&mut de).and_then(|()| de.end());
    match read {
        Ok(()) => Ok((body.count, body.errors)),
        Err(e) => Err(refusal(&e, &body.at)),
    }
}

/// A serde failure as the API's answer: syntax 400, a data error 422 naming the field at hand.
fn refusal(e: &serde_json::Error, at: &str) -> ApiError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Data => {
            let msg = e.to_string();
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            if at == "body" {
                return ApiError::Validation(vec![FieldError { field: "body".into(), message: "ожидается объект JSON {…}".into() }]);
            }
            let dup = msg.strip_prefix("duplicate field `").and_then(|r| r.split('`').next()).unwrap_or("");
            let field = match (at, dup) {
                (at, "") => at.to_string(),
                ("", dup) => dup.to_string(),
                (at, dup) => format!("{at}.{dup}"),
            };
            ApiError::Validation(vec![FieldError { field, message: russian(&msg) }])
        }
        _ => ApiError::BadRequest(format!("тело запроса не является корректным JSON: {}", syntax_ru(e))),
    }
}

/// The reader's state: the sink, the rows seen, body-level errors, and the field being read
/// (named by a data error serde raises there).
struct Body<'a, T> {
    sink: Sink<'a, T>,
    count: usize,
    errors: Vec<FieldError>,
    at: String,
}

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for &mut Body<'_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for &mut Body<'_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut seen = false;
        while let Some(key) = map.next_key::<String>()? {
            if key != "items" {
                self.at = key.clone();
                map.next_value::<IgnoredAny>()?;
                self.errors.push(FieldError { field: key, message: russian("unknown field `x`, expected `items`") });
                continue;
            }
            if seen {
                // Named by the message: the field is `items` itself.
                self.at.clear();
                return Err(serde::de::Error::custom("duplicate field `items`"));
            }
            self.at = "items".into();
            seen = true;
            map.next_value_seed(Items(&mut *self))?;
        }
        if !seen {
            self.errors.push(FieldError { field: "items".into(), message: russian("missing field `items`") });
        }
        Ok(())
    }
}

/// The `items` array.
struct Items<'b, 'a, T>(&'b mut Body<'a, T>);

impl<'de, T: DeserializeOwned> DeserializeSeed<'de> for Items<'_, '_, T> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de, T: DeserializeOwned> Visitor<'de> for Items<'_, '_, T> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a sequence")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let body = self.0;
        loop {
            let i = body.count;
            body.at = format!("items[{i}]");
            let Some(StrictValue(v)) = seq.next_element_seed(Row(&mut body.at))? else { break };
            let row = typed_element::<T>(v).map_err(|errs| {
                errs.into_iter()
                    .map(|e| FieldError { field: if e.field == "body" { format!("items[{i}]") } else { format!("items[{i}].{}", e.field) }, message: e.message })
                    .collect()
            });
            (body.sink)(i, row);
            body.count += 1;
        }
        body.at = "items".into();
        Ok(())
    }
}

/// One row, read as a duplicate-refusing value; a data error inside it records its path.
struct Row<'b>(&'b mut String);

impl<'de> DeserializeSeed<'de> for Row<'_> {
    type Value = StrictValue;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<StrictValue, D::Error> {
        serde_path_to_error::deserialize(d).map_err(|e| {
            let path = e.path().to_string();
            if path != "." {
                self.0.push('.');
                self.0.push_str(&path);
            }
            e.into_inner()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct R {
        n: i32,
    }

    fn read(body: &str) -> Result<(usize, Vec<FieldError>, Vec<(usize, Result<R, Vec<String>>)>), ApiError> {
        let mut got = Vec::new();
        let (n, errors) = for_each_item::<R>(body.as_bytes(), &mut |i, r| got.push((i, r.map_err(|e| e.into_iter().map(|e| e.field).collect()))))?;
        Ok((n, errors, got))
    }

    fn fields(e: ApiError) -> Vec<String> {
        match e {
            ApiError::Validation(v) => v.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn rows_come_in_order_with_their_own_errors() {
        let (n, errors, got) = read(r#"{"items": [{"n": 1}, {"n": "x"}, {"n": 3, "m": 1}, 7]}"#).unwrap();
        assert_eq!(n, 4);
        assert!(errors.is_empty());
        assert_eq!(got[0], (0, Ok(R { n: 1 })));
        assert_eq!(got[1], (1, Err(vec!["items[1].n".to_string()])));
        assert_eq!(got[2], (2, Err(vec!["items[2].m".to_string()])));
        assert_eq!(got[3], (3, Err(vec!["items[3]".to_string()])));
    }

    #[test]
    fn body_level_mistakes_name_their_field() {
        let (_, errors, _) = read(r#"{"items": [], "extra": 1}"#).unwrap();
        assert_eq!(errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(), vec!["extra"]);
        let (_, errors, _) = read(r#"{}"#).unwrap();
        assert_eq!(errors[0].field, "items");
        assert_eq!(fields(read(r#"[1]"#).unwrap_err()), vec!["body"]);
        assert_eq!(fields(read(r#"{"items": 5}"#).unwrap_err()), vec!["items"]);
        assert_eq!(fields(read(r#"{"items": [{"n": 1, "n": 2}]}"#).unwrap_err()), vec!["items[0].n"]);
        assert_eq!(fields(read(r#"{"items": [{"n": 1}], "items": []}"#).unwrap_err()), vec!["items"]);
    }

    #[test]
    fn a_syntax_error_anywhere_is_a_bad_request() {
        assert!(matches!(read(r#"{"items": [{"n": "x"}, {"n": 1}"#), Err(ApiError::BadRequest(_))));
        assert!(matches!(read(r#"{"items": []} trailing"#), Err(ApiError::BadRequest(_))));
    }

    #[test]
    fn strings_are_normalized() {
        #[derive(serde::Deserialize)]
        struct S {
            s: String,
        }
        let mut got = Vec::new();
        for_each_item::<S>("{\"items\": [{\"s\": \"e\u{301}\"}]}".as_bytes(), &mut |_, r| got.push(r.unwrap().s)).unwrap();
        assert_eq!(got, vec!["\u{e9}".to_string()]);
    }
}
