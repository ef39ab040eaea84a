//! How dates and figures read in Russian on pages, reports and letters: «7 декабря 2026 г.»,
//! «2 607» (a non-breaking space between thousands), never an ISO date or a bare «2607».

use chrono::{Datelike, NaiveDate};

/// Months in the genitive, as a date names them.
const MONTHS_GENITIVE: [&str; 12] = ["января", "февраля", "марта", "апреля", "мая", "июня", "июля", "августа", "сентября", "октября", "ноября", "декабря"];

/// A date as Russian letters and forms write it: `23.12.2026`.
pub fn short_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

/// «7 декабря 2026 г.»
pub fn long_date(d: NaiveDate) -> String {
    format!("{} {} {} г.", d.day(), MONTHS_GENITIVE[d.month0() as usize], d.year())
}

/// Months in the nominative, as «за декабрь 2026 г.» names a month.
const MONTHS_NOMINATIVE: [&str; 12] = ["январь", "февраль", "март", "апрель", "май", "июнь", "июль", "август", "сентябрь", "октябрь", "ноябрь", "декабрь"];

/// «декабрь 2026 г.» (after «за»).
pub fn month(d: NaiveDate) -> String {
    format!("{} {} г.", MONTHS_NOMINATIVE[d.month0() as usize], d.year())
}

/// A period as the reports name it: «с 1 января по 31 декабря 2024 г.», «с 7 по 13 декабря
/// 2026 г.», «с 25 декабря 2025 г. по 10 января 2026 г.», «3 марта 2025 г.» for one day.
pub fn period(from: NaiveDate, to: NaiveDate) -> String {
    let day_month = |d: NaiveDate| format!("{} {}", d.day(), MONTHS_GENITIVE[d.month0() as usize]);
    if from == to {
        long_date(from)
    } else if from.year() != to.year() {
        format!("с {} по {}", long_date(from), long_date(to))
    } else if from.month() != to.month() {
        format!("с {} по {} {} г.", day_month(from), day_month(to), to.year())
    } else {
        format!("с {} по {} {} г.", from.day(), day_month(to), to.year())
    }
}

/// The form of a Russian noun after `n`: `one` (1, 21…), `few` (2–4, 22–24…), `many` (the rest).
pub fn plural<'a>(n: i64, one: &'a str, few: &'a str, many: &'a str) -> &'a str {
    let (d, h) = (n.abs() % 10, n.abs() % 100);
    if d == 1 && h != 11 {
        one
    } else if (2..=4).contains(&d) && !(12..=14).contains(&h) {
        few
    } else {
        many
    }
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
    fn periods_and_months_read_as_words() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(period(d("2024-01-01"), d("2024-12-31")), "с 1 января по 31 декабря 2024 г.");
        assert_eq!(period(d("2026-12-07"), d("2026-12-13")), "с 7 по 13 декабря 2026 г.");
        assert_eq!(period(d("2025-12-25"), d("2026-01-10")), "с 25 декабря 2025 г. по 10 января 2026 г.");
        assert_eq!(period(d("2025-03-03"), d("2025-03-03")), "3 марта 2025 г.");
        assert_eq!(month(d("2026-12-01")), "декабрь 2026 г.");
        assert_eq!((plural(1, "день", "дня", "дней"), plural(3, "день", "дня", "дней"), plural(11, "день", "дня", "дней"), plural(22, "день", "дня", "дней")), ("день", "дня", "дней", "дня"));
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
