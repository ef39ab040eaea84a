//! Normalised keys for matching applicants (repeated appeals) and for case-insensitive search.
//! Done in Rust rather than SQL so SQLite and PostgreSQL agree on Cyrillic case folding.

/// The folded text the registry's search box matches: number, applicants' names, summary
/// and external id, so one LIKE over one column finds a card by any of them.
pub fn search_text(reg_number: &str, names: &[&str], summary: &str, external_id: Option<&str>) -> String {
    let mut out = search_fold(reg_number);
    for n in names {
        out.push(' ');
        out.push_str(&search_fold(n));
    }
    out.push(' ');
    out.push_str(&search_fold(summary));
    if let Some(x) = external_id {
        out.push(' ');
        out.push_str(&search_fold(x));
    }
    out
}

use super::text::search_fold;

/// A person's name reduced to letters and single spaces, so «Иванов  И.И.» matches «иванов и и».
pub fn name_key(name: &str) -> String {
    let folded: String = search_fold(name)
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A postal address reduced to letters and digits only: punctuation and abbreviations' dots differ between letters.
pub fn address_key(address: &str) -> Option<String> {
    let key: String = search_fold(address).chars().filter(|c| c.is_alphanumeric()).collect();
    (!key.is_empty()).then_some(key)
}

/// An e-mail address compared case-insensitively.
pub fn email_key(email: &str) -> Option<String> {
    let key = super::text::for_keys(email).trim().to_lowercase();
    (!key.is_empty()).then_some(key)
}

/// True when two summaries say the same in nearly the same words: at least 80 % of their
/// meaningful stems shared (order, case, ё and punctuation aside). The same letter sent twice,
/// or retyped, reads so; a new letter of the same person on another matter does not.
pub fn near_identical(a: &str, b: &str) -> bool {
    use super::words::stems;
    use std::collections::BTreeSet;
    let (x, y): (BTreeSet<String>, BTreeSet<String>) = (stems(a).into_iter().collect(), stems(b).into_iter().collect());
    if x.is_empty() || y.is_empty() {
        return search_fold(a) == search_fold(b);
    }
    let shared = x.intersection(&y).count() as f64;
    shared / x.union(&y).count() as f64 >= 0.8
}

/// Escapes `%`, `_` and `\` so user text is matched literally inside a LIKE pattern (escape char `\`).
pub fn like_contains(folded: &str) -> String {
    let mut out = String::with_capacity(folded.len() + 2);
    out.push('%');
    for c in folded.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('%');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_letter_twice_is_near_identical_and_another_matter_is_not() {
        assert!(near_identical("Просит отремонтировать дорогу во дворе дома", "просит отремонтировать дорогу во дворе дома!"));
        assert!(near_identical("Прошу отремонтировать дорогу во дворе дома № 5", "Отремонтировать дорогу во дворе дома № 5, прошу"));
        assert!(!near_identical("Просит отремонтировать дорогу во дворе дома", "Просит вывезти мусор с контейнерной площадки"));
        assert!(near_identical("...", "..."));
    }

    #[test]
    fn folds_cyrillic_case_and_yo() {
        assert_eq!(search_fold("СМИРНОВА  Ольга Пётровна"), "смирнова ольга петровна");
    }

    #[test]
    fn name_and_address_keys_ignore_punctuation() {
        assert_eq!(name_key("Иванов  И.И."), name_key("иванов и и"));
        assert_eq!(address_key("ул. Ленина, д. 5"), address_key("УЛ ЛЕНИНА Д5"));
        assert_eq!(address_key(" , "), None);
        assert_eq!(email_key(" A@B.RU "), Some("a@b.ru".into()));
        assert_eq!(name_key("Ива\u{200b}нов И.И."), name_key("Иванов И. И."));
        assert_eq!(name_key("Иванов Йосиф"), name_key("Иванов И\u{0306}осиф"));
    }

    #[test]
    fn like_patterns_are_literal() {
        assert_eq!(like_contains("50%_x"), "%50\\%\\_x%");
    }
}
