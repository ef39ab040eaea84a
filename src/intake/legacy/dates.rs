//! Dates as legacy journals hold them: typed text («12.03.2024», «1.3.24», «2024-03-12»,
//! sometimes with a time after it) or Excel serial numbers (45363), the way a spreadsheet
//! stores a date cell and a CSV export of one may print it.

use chrono::{Datelike, Duration, NaiveDate};

/// The first serial a journal date can be (1992-01-01; earlier dates are refused by the
/// registry anyway) and the last (2100-12-31): outside them a number is not taken for a date.
const SERIAL_MIN: f64 = 33_604.0;
const SERIAL_MAX: f64 = 73_415.0;

/// The date of an Excel serial number (days since 1899-12-30 in the 1900 date system; the
/// fraction is the time of day and is dropped). `None` outside the plausible range.
pub fn from_serial(n: f64) -> Option<NaiveDate> {
    if !n.is_finite() || !(SERIAL_MIN..SERIAL_MAX + 1.0).contains(&n) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_signed(Duration::days(n.floor() as i64))
}

/// A two-digit year: 00–69 are this century, 70–99 the last one.
fn full_year(y: i32, digits: usize) -> i32 {
    match digits {
        1 | 2 if y < 70 => 2000 + y,
        1 | 2 => 1900 + y,
        _ => y,
    }
}

/// Parses a date cell's text: `dd.mm.yyyy`, `d.m.yy` (also with `/` or `-` between the parts),
/// ISO `yyyy-mm-dd` (with a time or not), or a serial number. Trailing time (`12.03.2024 10:15`,
/// `2024-03-12T10:15:00`) and a trailing `г.` are ignored. `None` when it is none of these.
pub fn parse(text: &str) -> Option<NaiveDate> {
    let t = text.trim();
    let t = t.strip_suffix("г.").or_else(|| t.strip_suffix('г')).unwrap_or(t).trim();
    if t.is_empty() {
        return None;
    }
    if let Ok(n) = t.replace(',', ".").parse::<f64>() {
        if !t.contains('.') || t.matches('.').count() == 1 && t.split('.').next().is_some_and(|w| w.len() >= 5) {
            return from_serial(n);
        }
    }
    let date_part = t.split(|c: char| c == 'T' || c.is_whitespace()).next()?;
    let parts: Vec<&str> = date_part.split(['.', '/', '-']).collect();
    if parts.len() != 3 || parts.iter().any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let num = |s: &str| s.parse::<i32>().ok();
    if parts[0].len() == 4 {
        // ISO: year first.
        return NaiveDate::from_ymd_opt(num(parts[0])?, num(parts[1])? as u32, num(parts[2])? as u32);
    }
    if parts[0].len() > 2 || parts[1].len() > 2 || !matches!(parts[2].len(), 2 | 4) {
        return None;
    }
    let year = full_year(num(parts[2])?, parts[2].len());
    NaiveDate::from_ymd_opt(year, num(parts[1])? as u32, num(parts[0])? as u32)
}

/// The date in the Russian way clerks read it, for messages.
pub fn ru(d: NaiveDate) -> String {
    format!("{:02}.{:02}.{}", d.day(), d.month(), d.year())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Option<NaiveDate> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn russian_text_dates() {
        assert_eq!(parse("12.03.2024"), d("2024-03-12"));
        assert_eq!(parse(" 1.3.24 "), d("2024-03-01"));
        assert_eq!(parse("01.03.99"), d("1999-03-01"));
        assert_eq!(parse("12/03/2024"), d("2024-03-12"));
        assert_eq!(parse("12.03.2024 10:15"), d("2024-03-12"));
        assert_eq!(parse("12.03.2024г."), d("2024-03-12"));
        assert_eq!(parse("12.03.2024 г."), d("2024-03-12"));
    }

    #[test]
    fn iso_dates() {
        assert_eq!(parse("2024-03-12"), d("2024-03-12"));
        assert_eq!(parse("2024-03-12T10:15:00"), d("2024-03-12"));
        assert_eq!(parse("2024-03-12 10:15:00"), d("2024-03-12"));
    }

    #[test]
    fn excel_serials() {
        assert_eq!(parse("45363"), d("2024-03-12"));
        assert_eq!(parse("45363.4375"), d("2024-03-12"));
        assert_eq!(parse("45363,5"), d("2024-03-12"));
        assert_eq!(from_serial(36526.0), d("2000-01-01"));
        assert_eq!(from_serial(45658.0), d("2025-01-01"));
        // Small numbers are not dates (a row number, a count).
        assert_eq!(parse("12"), None);
        assert_eq!(from_serial(100.0), None);
        assert_eq!(from_serial(f64::NAN), None);
    }

    #[test]
    fn nonsense_is_refused() {
        for s in ["", "вчера", "31.02.2024", "12.13.2024", "12.03", "1.2.345", "12.03.2024.1", "2024-13-01", "123.03.2024", "12..2024"] {
            assert_eq!(parse(s), None, "{s}");
        }
    }

    #[test]
    fn russian_form() {
        assert_eq!(ru("2024-03-01".parse().unwrap()), "01.03.2024");
    }
}
