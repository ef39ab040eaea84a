//! The question of a journal row from what its «Вопрос» column holds: a classifier code
//! («0005.0005.0056.1170», maybe followed by its name), the name of a section, topic or theme
//! («Жилищно-коммунальная сфера»), or words («ямы во дворе») found by the registry's own
//! lookup. A section's name is narrowed to one of its questions by the letter's summary; when
//! nothing fits the question stays «не определён» and the import reports the row.

use super::columns::fold_header;
use crate::domain::classifier::{is_code_shape, is_question_level};
use crate::domain::classifier_lookup::{groups, Lookup};
use std::collections::HashMap;

/// The code an appeal's question gets when the journal's words fit no question: a section of
/// its own («Вопрос не определён») the import adds to the classifier when it first needs it.
pub const UNDETERMINED: &str = "0000.0000.0000.0000";

/// The entries behind [`UNDETERMINED`] (code, level, parent, name), section to question.
pub const UNDETERMINED_ENTRIES: [(&str, i32, Option<&str>, &str); 4] = [
    ("0000", 1, None, "Не определён"),
    ("0000.0000", 2, Some("0000"), "Не определён"),
    ("0000.0000.0000", 3, Some("0000.0000"), "Не определён"),
    (UNDETERMINED, 4, Some("0000.0000.0000"), "Вопрос не определён (импорт прежнего журнала)"),
];

/// The classifier ready for a journal's rows: the lookup and every entry by its folded name.
pub struct Classifier<'a> {
    lookup: &'a Lookup,
    by_name: HashMap<String, String>,
    empty: HashMap<String, i64>,
}

impl<'a> Classifier<'a> {
    /// Indexes the names once per import.
    pub fn new(lookup: &'a Lookup) -> Self {
        let mut by_name = HashMap::new();
        for e in lookup.entries() {
            by_name.entry(fold_header(&e.name)).or_insert_with(|| e.code.clone());
        }
        Classifier { lookup, by_name, empty: HashMap::new() }
    }

    /// The question code for a cell (and the row's summary), `None` when nothing fits.
    pub fn classify(&self, cell: &str, summary: &str) -> Option<String> {
        let cell = cell.trim();
        if cell.is_empty() {
            return None;
        }
        let head = cell.split(|c: char| c.is_whitespace() || c == ',' || c == ';').next().unwrap_or("").trim_end_matches('.');
        if is_code_shape(head) {
            return self.lookup.path_of(head).and_then(|_| self.narrow(head, cell[head.len()..].trim(), summary));
        }
        if let Some(code) = self.by_name.get(&fold_header(cell)) {
            return self.narrow(code, "", summary);
        }
        self.by_words(cell, |_| true)
    }

    /// A question code as it is; a section, topic or theme narrowed to the question of it the
    /// words (the rest of the cell, else the summary) find.
    fn narrow(&self, code: &str, rest: &str, summary: &str) -> Option<String> {
        if is_question_level(code) {
            return Some(code.to_string());
        }
        let prefix = format!("{code}.");
        [rest, summary].into_iter().filter(|t| !t.trim().is_empty()).find_map(|t| self.by_words(t, |c| c.starts_with(&prefix)))
    }

    /// The best question the words find among codes `within` allows, when it matches at
    /// least half of the words.
    fn by_words(&self, text: &str, within: impl Fn(&str) -> bool) -> Option<String> {
        let wanted = groups(text, self.lookup.synonyms()).len();
        if wanted == 0 {
            return None;
        }
        self.lookup
            .find(text, &self.empty, 200)
            .into_iter()
            .filter(|h| is_question_level(&h.entry.code) && within(&h.entry.code))
            .find(|h| h.matched * 2 >= wanted)
            .map(|h| h.entry.code.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::classifier::{level_of, parse_tsv};
    use crate::domain::classifier_lookup::Synonyms;

    fn shipped() -> Lookup {
        let entries = parse_tsv(include_str!("../../../config/classifier/classifier.tsv")).unwrap();
        let synonyms = Synonyms::parse(include_str!("../../../config/classifier-synonyms.toml")).unwrap();
        Lookup::new(entries, synonyms)
    }

    #[test]
    fn codes_names_and_words() {
        let l = shipped();
        let c = Classifier::new(&l);
        // A question's code, alone or with its name.
        assert_eq!(c.classify("0005.0005.0056.1170", ""), Some("0005.0005.0056.1170".into()));
        assert_eq!(c.classify("0005.0005.0056.1170. Капитальный ремонт", ""), Some("0005.0005.0056.1170".into()));
        // An unknown code fits nothing.
        assert_eq!(c.classify("0009.0009.0009.0009", ""), None);
        // Words, as the registration page finds them.
        assert_eq!(c.classify("уличное освещение", ""), Some("0003.0009.0097.0690".into()));
        assert_eq!(c.classify("фонари", ""), Some("0003.0009.0097.0690".into()));
        // A question's own name.
        assert_eq!(c.classify("Жилищное строительство", ""), Some("0003.0009.0096.0682".into()));
        // Nothing fits.
        assert_eq!(c.classify("абырвалг", ""), None);
        assert_eq!(c.classify("", "ямы во дворе"), None);
    }

    #[test]
    fn a_section_is_narrowed_by_the_summary() {
        let l = shipped();
        let c = Classifier::new(&l);
        let got = c.classify("Жилищно-коммунальная сфера", "Прошу провести капитальный ремонт крыши").unwrap();
        assert!(got.starts_with("0005."), "{got}");
        assert_eq!(level_of(&got), 4);
        let got = c.classify("0005", "капремонт дома").unwrap();
        assert!(got.starts_with("0005."), "{got}");
        // A section with a summary about nothing in it stays undetermined.
        assert_eq!(c.classify("Жилищно-коммунальная сфера", "благодарность"), None);
    }

    #[test]
    fn the_undetermined_question_is_a_valid_tree() {
        for (code, level, parent, _) in UNDETERMINED_ENTRIES {
            assert!(is_code_shape(code));
            assert_eq!(level_of(code), level);
            assert_eq!(parent.is_none(), level == 1);
        }
        assert!(is_question_level(UNDETERMINED));
    }
}
