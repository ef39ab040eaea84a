//! What the legacy journal import reads before it stores anything: which journal numbers are
//! already in the registry (a second import of the same journal adds nothing), which card
//! numbers are taken, and the stored matching keys a dry run counts repeats with. Every read
//! goes through an index: `appeals_legacy_number`, the unique registration number, and the
//! matching keys' own.

use super::schema::{appeals, match_keys};
use super::{DbPool, ServiceError};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// Values per `IN (…)` list: far under both backends' limits on bound parameters.
const CHUNK: usize = 500;

backend_fns! {
    pub fn imported(conn: &mut Conn, org: &str, numbers: &[String]) -> Result<Vec<(String, NaiveDate)>, ServiceError> {
        let mut out = Vec::new();
        for chunk in numbers.chunks(CHUNK) {
            let rows: Vec<(Option<String>, NaiveDate)> = appeals::table
                .filter(appeals::organization_id.eq(org))
                .filter(appeals::legacy_number.eq_any(chunk))
                .select((appeals::legacy_number, appeals::registered_on))
                .load(conn)?;
            out.extend(rows.into_iter().filter_map(|(n, d)| n.map(|n| (n, d))));
        }
        Ok(out)
    }

    pub fn taken_numbers(conn: &mut Conn, org: &str, numbers: &[String]) -> Result<Vec<String>, ServiceError> {
        let mut out = Vec::new();
        for chunk in numbers.chunks(CHUNK) {
            let rows: Vec<String> = appeals::table
                .filter(appeals::organization_id.eq(org))
                .filter(appeals::reg_number.eq_any(chunk))
                .select(appeals::reg_number)
                .load(conn)?;
            out.extend(rows);
        }
        Ok(out)
    }

    pub fn stored_keys(conn: &mut Conn, org: &str, keys: &[String]) -> Result<Vec<(String, String, NaiveDateTime)>, ServiceError> {
        let mut out = Vec::new();
        for chunk in keys.chunks(CHUNK) {
            let rows: Vec<(String, String, NaiveDateTime)> = match_keys::table
                .filter(match_keys::organization_id.eq(org))
                .filter(match_keys::match_key.eq_any(chunk))
                .select((match_keys::match_key, match_keys::code, match_keys::registered_at))
                .load(conn)?;
            out.extend(rows);
        }
        Ok(out)
    }
}

/// The journal numbers among `numbers` already imported, each with its card's registration day.
pub fn imported(pool: &DbPool, org: &str, numbers: &[String]) -> Result<Vec<(String, NaiveDate)>, ServiceError> {
    dispatch!(pool, imported(org, numbers))
}

/// The registration numbers among `numbers` that cards already have.
pub fn taken_numbers(pool: &DbPool, org: &str, numbers: &[String]) -> Result<Vec<String>, ServiceError> {
    dispatch!(pool, taken_numbers(org, numbers))
}

/// The stored matching keys among `keys`: (key, question code, registered at).
pub fn stored_keys(pool: &DbPool, org: &str, keys: &[String]) -> Result<Vec<(String, String, NaiveDateTime)>, ServiceError> {
    dispatch!(pool, stored_keys(org, keys))
}
