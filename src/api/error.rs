//! The API's error type, kept under its old path while callers move to `crate::request`.

pub use crate::edge::error::*;
