//! The request extractors, kept under their old path while callers move to `crate::request`.

pub use crate::edge::body::{parse_json, russian, typed_element, ValidJson};
pub use crate::edge::caller::Caller;
pub use crate::edge::etag::{if_match, parse_etag, EntityTag};
pub use crate::edge::params::{strict_date, Params};
