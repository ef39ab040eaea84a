//! The registry's text search (`q`): what a query may be and how it is matched. A card matches
//! when its folded search text ([`super::keys::search_text`]) contains the folded query; the
//! trigram indexes (PostgreSQL `pg_trgm`, SQLite FTS5 `trigram`) only find candidates fast, so
//! a query must hold at least one trigram both of them can look up.

use super::keys::like_contains;
use super::text::search_fold;

/// Letters or digits in a row a query needs: the length of a trigram. PostgreSQL's `pg_trgm`
/// takes trigrams from runs of letters and digits only, so «а б» or «12» would make it read
/// the whole index; they are refused instead of being slow.
pub const MIN_RUN: usize = 3;

/// A validated search query, folded the way stored search texts are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    folded: String,
}

impl SearchQuery {
    /// Folds `raw` like the stored text (case, `ё`→`е`, spaces) and checks it holds
    /// [`MIN_RUN`] letters or digits in a row; the error is the message shown beside `q`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let folded = search_fold(raw);
        if longest_run(&folded) < MIN_RUN {
            return Err(format!("введите не меньше {MIN_RUN} букв или цифр подряд (часть фамилии, номера или текста)"));
        }
        Ok(Self { folded })
    }

    /// The folded text.
    pub fn folded(&self) -> &str {
        &self.folded
    }

    /// The exact rule, a LIKE pattern (escape `\`) over the stored search text: every
    /// candidate an index returns is checked against it.
    pub fn like_pattern(&self) -> String {
        like_contains(&self.folded)
    }

    /// An FTS5 query for the `trigram` tokenizer on an index without positions (`detail =
    /// none`): every distinct trigram of the text, each a quoted term (`"` doubled), joined by
    /// `AND`. It finds every row holding all of them, a superset of the rows containing the
    /// text (the trigrams need not stand in a row there); the store rechecks each candidate
    /// with [`SearchQuery::like_pattern`]. The index without positions is about half the
    /// size and cheaper to write on every registration; phrase queries need positions.
    pub fn fts_trigrams(&self) -> String {
        let chars: Vec<char> = self.folded.chars().collect();
        let mut seen = std::collections::BTreeSet::new();
        let mut terms = Vec::new();
        for w in chars.windows(3) {
            let t: String = w.iter().collect();
            if seen.insert(t.clone()) {
                terms.push(format!("\"{}\"", t.replace('"', "\"\"")));
            }
        }
        terms.join(" AND ")
    }
}

/// The longest run of letters or digits.
fn longest_run(s: &str) -> usize {
    let (mut best, mut run) = (0, 0);
    for c in s.chars() {
        run = if c.is_alphanumeric() { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_like_stored_text() {
        let q = SearchQuery::parse("  ПЁТРОВ   Иван ").unwrap();
        assert_eq!(q.folded(), "петров иван");
        assert_eq!(q.like_pattern(), "%петров иван%");
    }

    #[test]
    fn needs_three_letters_or_digits_in_a_row() {
        assert!(SearchQuery::parse("Ли").is_err());
        assert!(SearchQuery::parse("а б в").is_err());
        assert!(SearchQuery::parse("12-34").is_err());
        assert!(SearchQuery::parse("%%%").is_err());
        assert!(SearchQuery::parse("Ким").is_ok());
        assert!(SearchQuery::parse("ген-123").is_ok());
        assert!(SearchQuery::parse("ё12").is_ok());
    }

    #[test]
    fn patterns_are_literal() {
        let q = SearchQuery::parse("50%_\"абв\"").unwrap();
        assert_eq!(q.like_pattern(), "%50\\%\\_\"абв\"%");
        assert_eq!(q.fts_trigrams(), r#""50%" AND "0%_" AND "%_""" AND "_""а" AND """аб" AND "абв" AND "бв""""#);
    }

    #[test]
    fn every_distinct_trigram_once() {
        assert_eq!(SearchQuery::parse("Ким").unwrap().fts_trigrams(), r#""ким""#);
        assert_eq!(SearchQuery::parse("ааааа").unwrap().fts_trigrams(), r#""ааа""#);
        assert_eq!(SearchQuery::parse("ив иванов").unwrap().fts_trigrams(), r#""ив " AND "в и" AND " ив" AND "ива" AND "ван" AND "ано" AND "нов""#);
    }
}
