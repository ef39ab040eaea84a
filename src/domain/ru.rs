//! How dates and figures read in Russian on pages, reports and letters: «7 декабря 2026 г.»,
//! «2 607» (a non-breaking space between thousands), never an ISO date or a bare «2607».

use chrono::{Datelike, NaiveDate};

/// Months in the genitive, as a date names them.
const MONTHS_GENITIVE: [&str; 12] = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"];

/// «7 декабря 2026 г.»
pub fn long_date(d: NaiveDate) -> String {
    format!("{} {} {} г.", d.day(), MONTHS_GENITIVE[d.month0() as usize], d.year())
}

/// «2 607»: thousands apart by a non-breaking space (U+00A0), as Russian typesetting does.
pub fn number(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push('\u{a0}');
        }
        out.push(c);
    }
    if n < 0 { format!("−{out}") } else { out }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_read_as_words() {
        assert_eq!(long_date(NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()), "7 декабря 2026 г.");
        assert_eq!(long_date(NaiveDate::from_ymd_opt(2024, 1, 1).unwrap()), "1 января 2024 г.");
    }

    #[test]
    fn thousands_are_set_apart() {
        assert_eq!(number(2607), "2\u{a0}607");
        assert_eq!(number(999), "999");
        assert_eq!(number(1_000_000), "1\u{a0}000\u{a0}000");
        assert_eq!(number(-1500), "−1\u{a0}500");
        assert_eq!(number(0), "0");
    }
}
