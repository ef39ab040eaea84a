//! The registry's text search (`q`) through each backend's trigram index.
//!
//! A contains-match cannot follow a B-tree, and walking the registry newest first until a page
//! fills is quick only when many cards match. So [`super::appeals::list`] walks a bounded
//! window of the newest cards first (a common word fills its page there), and when the window
//! runs out it reads every match through the trigram index (PostgreSQL `pg_trgm` GIN, SQLite
//! FTS5 `trigram`), sorts them newest first and loads the page among them by primary key.
//! Either way the result is exactly the LIKE over the folded search text: the index only
//! proposes candidates, each one is rechecked.

use super::ServiceError;
use crate::domain::search::SearchQuery;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamp};

/// A text search of the registry: the query and how many of the newest cards (from the
/// page's position) are walked in order before the trigram index is asked.
#[derive(Clone, Debug)]
pub struct TextSearch {
    /// The validated, folded query.
    pub query: SearchQuery,
    /// The window walked newest first (`limits.search_window`).
    pub window: i64,
}

/// Which cards a list query may read, besides its filters.
#[derive(Clone, Copy, Debug)]
pub enum Scope<'a> {
    /// Any (the search, if there is one, is a LIKE filter).
    Everything,
    /// Registered at or after this time: the search window (the LIKE filters inside it).
    Since(NaiveDateTime),
    /// These ids only: matches the trigram index found (already rechecked).
    Only(&'a [String]),
}

/// A card found by the index: when it was registered and its id.
#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Timestamp)]
    registered_at: NaiveDateTime,
    #[diesel(sql_type = Text)]
    id: String,
}

/// Reads every card whose search text contains a query through the backend's trigram index.
pub trait SearchIndex {
    /// Every card of `org` whose search text contains `q`, unordered, as
    /// (registered_at, id); each candidate is rechecked with the exact LIKE.
    fn matching(&mut self, org: &str, q: &SearchQuery) -> Result<Vec<(NaiveDateTime, String)>, ServiceError>;
}

#[cfg(feature = "sqlite")]
impl SearchIndex for diesel::SqliteConnection {
    fn matching(&mut self, org: &str, q: &SearchQuery) -> Result<Vec<(NaiveDateTime, String)>, ServiceError> {
        // The FTS5 table proposes rowids (rows holding every trigram of the query);
        // `appeal_search_rows` maps them to cards by primary key; the LIKE keeps the exact matches.
        // The table's name, not its one column, on the left of MATCH: an index without positions
        // answers no column filter.
        let hits: Vec<Hit> = diesel::sql_query(
            "SELECT appeals.registered_at AS registered_at, appeals.id AS id FROM appeal_search \
             JOIN appeal_search_rows ON appeal_search_rows.id = appeal_search.rowid JOIN appeals ON appeals.id = appeal_search_rows.appeal_id \
             WHERE appeal_search MATCH ? AND appeals.organization_id = ? AND appeals.search_text LIKE ? ESCAPE '\\'",
        )
        .bind::<Text, _>(q.fts_trigrams())
        .bind::<Text, _>(org)
        .bind::<Text, _>(q.like_pattern())
        .load(self)?;
        Ok(hits.into_iter().map(|h| (h.registered_at, h.id)).collect())
    }
}

#[cfg(feature = "postgres")]
impl SearchIndex for diesel::PgConnection {
    fn matching(&mut self, org: &str, q: &SearchQuery) -> Result<Vec<(NaiveDateTime, String)>, ServiceError> {
        // The pattern alone inside a materialized CTE: the GIN index is the only index that
        // serves it (bitmap, rechecked on the heap). With the organization beside it, a planner
        // without statistics takes `organization_id = $1` for selective and walks
        // `appeals_org_registered` through the whole registry instead.
        let hits: Vec<Hit> = diesel::sql_query(
            "WITH m AS MATERIALIZED (SELECT registered_at, id, organization_id FROM appeals WHERE search_text LIKE $2 ESCAPE '\\') \
             SELECT registered_at, id FROM m WHERE organization_id = $1",
        )
        .bind::<Text, _>(org)
        .bind::<Text, _>(q.like_pattern())
        .load(self)?;
        Ok(hits.into_iter().map(|h| (h.registered_at, h.id)).collect())
    }
}

/// The matches' ids newest first (ties by id, descending, as the registry orders), from
/// after the keyset position `after` if there is one.
pub fn newest_first_after(mut found: Vec<(NaiveDateTime, String)>, after: Option<&(NaiveDateTime, String)>) -> Vec<String> {
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.dedup();
    found.into_iter().filter(|k| after.is_none_or(|a| k < a)).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(h: u32) -> NaiveDateTime {
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap().and_hms_opt(h, 0, 0).unwrap()
    }

    #[test]
    fn newest_first_then_after_the_cursor() {
        let found = vec![(at(9), "b".to_string()), (at(11), "a".into()), (at(9), "c".into()), (at(10), "d".into())];
        assert_eq!(newest_first_after(found.clone(), None), ["a", "d", "c", "b"]);
        assert_eq!(newest_first_after(found.clone(), Some(&(at(10), "d".into()))), ["c", "b"]);
        assert_eq!(newest_first_after(found, Some(&(at(9), "c".into()))), ["b"]);
    }
}
