//! The thematic classifier as reference data: loaded on first start, replaceable as a whole.

use super::models::ClassifierRow;
use super::schema::classifier;
use super::{DbPool, ServiceError, WriteTx};
use crate::domain::classifier::Entry;
use crate::domain::text::search_fold;
use crate::{backend_fns, dispatch};
use diesel::prelude::*;

fn rows(entries: &[Entry]) -> Vec<ClassifierRow> {
    entries
        .iter()
        .map(|e| ClassifierRow {
            code: e.code.clone(),
            level: e.level,
            parent: e.parent.clone(),
            name: e.name.clone(),
            search_text: search_fold(&format!("{} {}", e.code, e.name)),
        })
        .collect()
}

backend_fns! {
    pub fn count(conn: &mut Conn) -> Result<i64, ServiceError> {
        Ok(classifier::table.count().get_result(conn)?)
    }

    pub fn upsert_all(conn: &mut Conn, entries: &[Entry]) -> Result<usize, ServiceError> {
        let all = rows(entries);
        conn.write_tx(|c| {
            let mut n = 0;
            for chunk in all.chunks(500) {
                for r in chunk {
                    let updated = diesel::update(classifier::table.find(&r.code))
                        .set((classifier::level.eq(r.level), classifier::parent.eq(&r.parent), classifier::name.eq(&r.name), classifier::search_text.eq(&r.search_text)))
                        .execute(c)?;
                    if updated == 0 {
                        diesel::insert_into(classifier::table).values(r).execute(c)?;
                    }
                    n += 1;
                }
            }
            Ok(n)
        })
    }

    pub fn insert_all(conn: &mut Conn, entries: &[Entry]) -> Result<usize, ServiceError> {
        let all = rows(entries);
        conn.write_tx(|c| {
            let mut n = 0;
            for chunk in all.chunks(500) {
                n += diesel::insert_into(classifier::table).values(chunk).execute(c)?;
            }
            Ok(n)
        })
    }

    pub fn all_entries(conn: &mut Conn) -> Result<Vec<Entry>, ServiceError> {
        let rows: Vec<ClassifierRow> = classifier::table.select(ClassifierRow::as_select()).load(conn)?;
        Ok(rows.into_iter().map(|r| Entry { code: r.code, level: r.level, parent: r.parent, name: r.name }).collect())
    }

    pub fn all_names(conn: &mut Conn) -> Result<Vec<(String, String)>, ServiceError> {
        Ok(classifier::table.select((classifier::code, classifier::name)).load(conn)?)
    }
}

/// Entries in the database.
pub fn count(pool: &DbPool) -> Result<i64, ServiceError> {
    dispatch!(pool, count())
}

/// Loads the classifier into an empty table (first start).
pub fn insert_all(pool: &DbPool, entries: &[Entry]) -> Result<usize, ServiceError> {
    dispatch!(pool, insert_all(entries))
}

/// Replaces names and adds new codes of a revised classifier; codes that disappeared are kept,
/// since old appeals still refer to them.
pub fn upsert_all(pool: &DbPool, entries: &[Entry]) -> Result<usize, ServiceError> {
    dispatch!(pool, upsert_all(entries))
}

/// Every entry with its level and parent: the lookup by words is built from them.
pub fn all_entries(pool: &DbPool) -> Result<Vec<Entry>, ServiceError> {
    dispatch!(pool, all_entries())
}

/// Every code with its name: validating questions and naming them in statistics without a
/// query per code (about 2,000 entries, kept in memory).
pub fn all_names(pool: &DbPool) -> Result<Vec<(String, String)>, ServiceError> {
    dispatch!(pool, all_names())
}

