//! How a period is read from the rollups: as few buckets as possible of the daily,
//! monthly and yearly rollups, each added or taken away. A year to date is the year's bucket
//! less the days and months after the period (in the future: nothing to read), a month but one
//! week is the month less that week; only what is cheaper than reading the days is chosen.
//! Exact by construction: every day of the period is counted once, every other day nought times
//! (the unit tests check it day by day).

use chrono::{Datelike, Months, NaiveDate};

/// Which rollup a part reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    /// `stats_rollup`: one bucket a day.
    Day,
    /// `stats_rollup_month`: keyed by the month's first day.
    Month,
    /// `stats_rollup_year`: keyed by 1 January.
    Year,
}

/// A run of buckets of one level, keyed `first..=last` (the buckets' first days), added (`sign`
/// +1) or taken away (−1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Part {
    /// The rollup read.
    pub level: Level,
    /// The first bucket's key.
    pub first: NaiveDate,
    /// The last bucket's key.
    pub last: NaiveDate,
    /// +1 or −1.
    pub sign: i64,
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("a valid date")
}

fn month_start(d: NaiveDate) -> NaiveDate {
    ymd(d.year(), d.month(), 1)
}

fn month_end(d: NaiveDate) -> NaiveDate {
    month_start(d).checked_add_months(Months::new(1)).and_then(|n| n.pred_opt()).unwrap_or(d)
}

/// The buckets one part stands for (the cost the choice below minimizes: rows grow with them).
fn buckets(p: &Part) -> i64 {
    match p.level {
        Level::Day => (p.last - p.first).num_days() + 1,
        Level::Month => (p.last.year() - p.first.year()) as i64 * 12 + p.last.month() as i64 - p.first.month() as i64 + 1,
        Level::Year => (p.last.year() - p.first.year()) as i64 + 1,
    }
}

fn cost(parts: &[Part]) -> i64 {
    parts.iter().map(buckets).sum()
}

/// `a..=b` inside one month: its days, or the month less the days around them.
fn in_month(a: NaiveDate, b: NaiveDate, sign: i64) -> Vec<Part> {
    let (ms, me) = (month_start(a), month_end(a));
    if a == ms && b == me {
        return vec![Part { level: Level::Month, first: ms, last: ms, sign }];
    }
    let direct = vec![Part { level: Level::Day, first: a, last: b, sign }];
    let mut around = vec![Part { level: Level::Month, first: ms, last: ms, sign }];
    if a > ms {
        around.push(Part { level: Level::Day, first: ms, last: a.pred_opt().unwrap_or(a), sign: -sign });
    }
    if b < me {
        around.push(Part { level: Level::Day, first: b.succ_opt().unwrap_or(b), last: me, sign: -sign });
    }
    if cost(&around) < cost(&direct) {
        around
    } else {
        direct
    }
}

/// `a..=b` inside one year, month by month.
fn months(a: NaiveDate, b: NaiveDate, sign: i64) -> Vec<Part> {
    let mut out = Vec::new();
    let mut m = month_start(a);
    while m <= b {
        let (lo, hi) = (a.max(m), b.min(month_end(m)));
        out.extend(in_month(lo, hi, sign));
        m = m.checked_add_months(Months::new(1)).expect("a month after");
    }
    out
}

/// `a..=b` inside one year: its months and days, or the year less what lies around them.
fn in_year(a: NaiveDate, b: NaiveDate, sign: i64) -> Vec<Part> {
    let (ys, ye) = (ymd(a.year(), 1, 1), ymd(a.year(), 12, 31));
    if a == ys && b == ye {
        return vec![Part { level: Level::Year, first: ys, last: ys, sign }];
    }
    let direct = months(a, b, sign);
    let mut around = vec![Part { level: Level::Year, first: ys, last: ys, sign }];
    if a > ys {
        around.extend(months(ys, a.pred_opt().unwrap_or(a), -sign));
    }
    if b < ye {
        around.extend(months(b.succ_opt().unwrap_or(b), ye, -sign));
    }
    if cost(&around) < cost(&direct) {
        around
    } else {
        direct
    }
}

/// The parts whose signed sum is exactly `from..=to` (empty when `to < from`), with runs of
/// neighbouring buckets of one level and sign merged into one range.
pub fn parts(from: NaiveDate, to: NaiveDate) -> Vec<Part> {
    let mut raw = Vec::new();
    if to < from {
        return raw;
    }
    for y in from.year()..=to.year() {
        let (a, b) = (from.max(ymd(y, 1, 1)), to.min(ymd(y, 12, 31)));
        raw.extend(in_year(a, b, 1));
    }
    let mut out: Vec<Part> = Vec::new();
    for p in raw {
        if let Some(last) = out.iter_mut().rev().find(|q| q.level == p.level && q.sign == p.sign) {
            let next = match p.level {
                Level::Day => last.last.succ_opt(),
                Level::Month => last.last.checked_add_months(Months::new(1)),
                Level::Year => last.last.checked_add_months(Months::new(12)),
            };
            if next == Some(p.first) {
                last.last = p.last;
                continue;
            }
        }
        out.push(p);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// How many times the parts count day `day`.
    fn weight(parts: &[Part], day: NaiveDate) -> i64 {
        parts
            .iter()
            .filter(|p| {
                let key = match p.level {
                    Level::Day => day,
                    Level::Month => month_start(day),
                    Level::Year => ymd(day.year(), 1, 1),
                };
                p.first <= key && key <= p.last
            })
            .map(|p| p.sign)
            .sum()
    }

    #[test]
    fn every_day_of_the_period_once_and_no_other() {
        let edges = ["2023-12-31", "2024-01-01", "2024-01-02", "2024-02-28", "2024-02-29", "2024-03-01", "2024-06-15", "2024-11-23", "2024-11-30", "2024-12-30", "2024-12-31", "2025-01-01", "2025-07-19", "2026-03-31"];
        for f in edges {
            for t in edges {
                let (from, to) = (d(f), d(t));
                let ps = parts(from, to);
                let mut day = d("2023-12-01");
                while day <= d("2026-04-30") {
                    let want = i64::from(from <= day && day <= to);
                    assert_eq!(weight(&ps, day), want, "{f}..{t} on {day}: {ps:?}");
                    day = day.succ_opt().unwrap();
                }
            }
        }
    }

    #[test]
    fn a_year_a_year_to_date_and_a_span_read_few_buckets() {
        assert_eq!(parts(d("2025-01-01"), d("2025-12-31")), vec![Part { level: Level::Year, first: d("2025-01-01"), last: d("2025-01-01"), sign: 1 }]);
        // 1 January to 23 November: the year less 24–30 November and December.
        let ytd = parts(d("2026-01-01"), d("2026-11-23"));
        assert_eq!(cost(&ytd), 1 + 7 + 1, "{ytd:?}");
        assert!(ytd.contains(&Part { level: Level::Day, first: d("2026-11-24"), last: d("2026-11-30"), sign: -1 }));
        // A few days are read as days.
        assert_eq!(parts(d("2025-03-02"), d("2025-03-04")), vec![Part { level: Level::Day, first: d("2025-03-02"), last: d("2025-03-04"), sign: 1 }]);
        // Whole months of several years merge into ranges.
        let span = parts(d("2023-01-01"), d("2025-06-30"));
        assert_eq!(span, vec![Part { level: Level::Year, first: d("2023-01-01"), last: d("2024-01-01"), sign: 1 }, Part { level: Level::Month, first: d("2025-01-01"), last: d("2025-06-01"), sign: 1 }]);
        assert!(parts(d("2025-02-01"), d("2025-01-01")).is_empty());
    }
}
