//! Production calendar (производственный календарь): which days are working days.
//!
//! One TOML file per year (`config/calendar/<year>.toml`), editable without a rebuild:
//!
//! ```toml
//! year = 2025
//! source = "Постановление Правительства РФ от 04.10.2024 № 1335"
//! non_working = ["2025-01-01", "2025-01-02"]   # days off that are not ordinary Sat/Sun
//! working = ["2025-11-01"]                     # Saturdays/Sundays made working days
//! short = ["2025-03-07"]                       # pre-holiday days, one hour shorter (informational)
//! ```
//!
//! A year without a file falls back to weekends plus the fixed holidays of Labour Code
//! Art. 112 (a holiday on a weekend moves to the next working day, except the January
//! block), and a warning is logged once per year.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

use chrono::{Datelike, Days, NaiveDate, Weekday};
use serde::Deserialize;

/// Name used in errors for text that did not come from a file.
const INLINE_SOURCE: &str = "<inline>";

/// Errors reading calendar files, so a bad edit names the file and the offending value.
#[derive(thiserror::Error, Debug)]
pub enum CalendarError {
    /// The calendar directory or a file in it could not be read.
    #[error("calendar file {path}: cannot read: {source}")]
    Io {
        /// The file or directory that failed.
        path: PathBuf,
        /// The underlying I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The file is not valid TOML or lacks a required key.
    #[error("calendar file {file}: invalid TOML: {message}")]
    Toml {
        /// The file (or `<inline>`).
        file: String,
        /// The parser's message, including the line.
        message: String,
    },
    /// A date string is not `YYYY-MM-DD`.
    #[error("calendar file {file}: `{field}` has invalid date \"{value}\" (expected YYYY-MM-DD)")]
    BadDate {
        /// The file (or `<inline>`).
        file: String,
        /// The list the value is in (`non_working`, `working`, `short`).
        field: &'static str,
        /// The offending text.
        value: String,
    },
    /// A date belongs to another year than the file's `year`.
    #[error("calendar file {file}: `{field}` date {date} is outside year {year}")]
    WrongYear {
        /// The file (or `<inline>`).
        file: String,
        /// The list the value is in.
        field: &'static str,
        /// The offending date.
        date: NaiveDate,
        /// The file's declared year.
        year: i32,
    },
    /// A date is listed both as working and as non-working.
    #[error("calendar file {file}: {date} is listed both in `working` and `non_working`")]
    Conflict {
        /// The file (or `<inline>`).
        file: String,
        /// The offending date.
        date: NaiveDate,
    },
    /// A `working` entry is not a Saturday or Sunday (probably a typo).
    #[error("calendar file {file}: `working` date {date} is not a Saturday or Sunday")]
    WorkingNotWeekend {
        /// The file (or `<inline>`).
        file: String,
        /// The offending date.
        date: NaiveDate,
    },
    /// Two files describe the same year.
    #[error("calendar file {file}: year {year} is already loaded from another file")]
    DuplicateYear {
        /// The second file (or `<inline>`).
        file: String,
        /// The repeated year.
        year: i32,
    },
}

/// Raw shape of a year file, before date validation.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct YearFile {
    year: i32,
    #[serde(default)]
    source: String,
    #[serde(default)]
    non_working: Vec<String>,
    #[serde(default)]
    working: Vec<String>,
    #[serde(default)]
    short: Vec<String>,
}

/// One year's validated data.
#[derive(Clone, Debug, Default)]
struct YearData {
    source: String,
    non_working: BTreeSet<NaiveDate>,
    working: BTreeSet<NaiveDate>,
    short: BTreeSet<NaiveDate>,
}

/// Working/non-working days per year, from data files with a rule-based fallback.
#[derive(Clone, Debug, Default)]
pub struct ProductionCalendar {
    years: HashMap<i32, YearData>,
}

/// Years already warned about, so a missing file is logged once per process, not per call.
fn warned_years() -> &'static Mutex<HashSet<i32>> {
    static WARNED: OnceLock<Mutex<HashSet<i32>>> = OnceLock::new();
    WARNED.get_or_init(|| Mutex::new(HashSet::new()))
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("fixed holiday dates are valid")
}

/// Fixed non-working holidays of Labour Code Art. 112 other than the January block.
const MOVABLE_HOLIDAYS: [(u32, u32); 6] = [(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)];

/// Non-working days of a year without a data file: 1–8 January, the fixed holidays, and
/// for a holiday on a weekend the next weekday that is not already a day off.
fn fallback_non_working(year: i32) -> BTreeSet<NaiveDate> {
    let mut set: BTreeSet<NaiveDate> = (1..=8).map(|d| ymd(year, 1, d)).collect();
    for (m, d) in MOVABLE_HOLIDAYS {
        let h = ymd(year, m, d);
        set.insert(h);
        if is_weekend(h) {
            let mut n = h + Days::new(1);
            while is_weekend(n) || set.contains(&n) {
                n = n + Days::new(1);
            }
            set.insert(n);
        }
    }
    set
}

fn parse_dates(
    file: &str,
    field: &'static str,
    year: i32,
    values: &[String],
) -> Result<BTreeSet<NaiveDate>, CalendarError> {
    let mut out = BTreeSet::new();
    for v in values {
        let date = NaiveDate::parse_from_str(v.trim(), "%Y-%m-%d").map_err(|_| {
            CalendarError::BadDate {
                file: file.to_owned(),
                field,
                value: v.clone(),
            }
        })?;
        if date.year() != year {
            return Err(CalendarError::WrongYear {
                file: file.to_owned(),
                field,
                date,
                year,
            });
        }
        out.insert(date);
    }
    Ok(out)
}

fn parse_year(file: &str, text: &str) -> Result<(i32, YearData), CalendarError> {
    let raw: YearFile = toml::from_str(text).map_err(|e| CalendarError::Toml {
        file: file.to_owned(),
        message: e.to_string(),
    })?;
    let non_working = parse_dates(file, "non_working", raw.year, &raw.non_working)?;
    let working = parse_dates(file, "working", raw.year, &raw.working)?;
    let short = parse_dates(file, "short", raw.year, &raw.short)?;
    if let Some(d) = working.intersection(&non_working).next() {
        return Err(CalendarError::Conflict {
            file: file.to_owned(),
            date: *d,
        });
    }
    if let Some(d) = working.iter().find(|d| !is_weekend(**d)) {
        return Err(CalendarError::WorkingNotWeekend {
            file: file.to_owned(),
            date: *d,
        });
    }
    Ok((
        raw.year,
        YearData {
            source: raw.source,
            non_working,
            working,
            short,
        },
    ))
}

impl ProductionCalendar {
    /// Loads every `*.toml` in `dir` (one year each); a missing directory gives an empty
    /// calendar, so the service still starts and uses the fallback.
    pub fn load_dir(dir: &Path) -> Result<Self, CalendarError> {
        let mut cal = Self::default();
        let entries = match std::fs::read_dir(dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::warn!(dir = %dir.display(), "production calendar directory not found; using the fallback rules for every year");
                return Ok(cal);
            }
            Err(e) => {
                return Err(CalendarError::Io {
                    path: dir.to_path_buf(),
                    source: e,
                })
            }
        };
        let mut paths = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| CalendarError::Io {
                path: dir.to_path_buf(),
                source: e,
            })?;
            let path = entry.path();
            if path.is_file() && path.extension().is_some_and(|x| x == "toml") {
                paths.push(path);
            }
        }
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path).map_err(|e| CalendarError::Io {
                path: path.clone(),
                source: e,
            })?;
            cal.add_year(&path.display().to_string(), &text)?;
        }
        Ok(cal)
    }

    /// Builds a calendar from one year's TOML text (tests, embedded data).
    pub fn from_toml_str(text: &str) -> Result<Self, CalendarError> {
        let mut cal = Self::default();
        cal.add_year_toml(text)?;
        Ok(cal)
    }

    /// Adds one year's TOML text to this calendar; a year already present is an error.
    pub fn add_year_toml(&mut self, text: &str) -> Result<(), CalendarError> {
        self.add_year(INLINE_SOURCE, text)
    }

    fn add_year(&mut self, file: &str, text: &str) -> Result<(), CalendarError> {
        let (year, data) = parse_year(file, text)?;
        if self.years.contains_key(&year) {
            return Err(CalendarError::DuplicateYear {
                file: file.to_owned(),
                year,
            });
        }
        self.years.insert(year, data);
        Ok(())
    }

    /// Years that have a data file, ascending (for startup logs and health checks).
    pub fn years(&self) -> Vec<i32> {
        let mut y: Vec<i32> = self.years.keys().copied().collect();
        y.sort_unstable();
        y
    }

    /// Whether `year` has a data file (otherwise the fallback rules apply).
    pub fn has_year(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    /// The current and next year of `today` that have no data file: deadlines computed for
    /// them use the fallback, so `/health` lists them and `serve` warns at start.
    pub fn missing_years(&self, today: NaiveDate) -> Vec<i32> {
        [today.year(), today.year() + 1]
            .into_iter()
            .filter(|y| !self.has_year(*y))
            .collect()
    }

    /// The decree a year's data cites, for explanations; `None` for fallback years.
    pub fn source(&self, year: i32) -> Option<&str> {
        self.years.get(&year).map(|y| y.source.as_str())
    }

    /// Whether `d` is a working day: the basis of every deadline shift.
    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        match self.years.get(&d.year()) {
            Some(y) => {
                if y.working.contains(&d) {
                    true
                } else {
                    !(is_weekend(d) || y.non_working.contains(&d))
                }
            }
            None => {
                self.warn_fallback(d.year());
                !(is_weekend(d) || fallback_non_working(d.year()).contains(&d))
            }
        }
    }

    /// Whether `d` is a pre-holiday day shortened by one hour (Labour Code Art. 95);
    /// for working-hours rules only, never for day counts.
    pub fn is_short_day(&self, d: NaiveDate) -> bool {
        match self.years.get(&d.year()) {
            Some(y) => y.short.contains(&d),
            None => {
                // Fallback: a working day right before a fixed (non-January-block) holiday,
                // or before 1 January.
                if !self.is_working_day(d) {
                    return false;
                }
                let next = d + Days::new(1);
                (next.month() == 1 && next.day() == 1)
                    || MOVABLE_HOLIDAYS
                        .iter()
                        .any(|&(m, dd)| next.month() == m && next.day() == dd)
            }
        }
    }

    fn warn_fallback(&self, year: i32) {
        let mut warned = warned_years().lock().unwrap_or_else(|p| p.into_inner());
        if warned.insert(year) {
            tracing::warn!(
                year,
                "no production calendar file for {year}; using weekends + fixed holidays (Labour Code Art. 112) — add config/calendar/{year}.toml from the Government decree"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn shipped() -> ProductionCalendar {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/calendar");
        ProductionCalendar::load_dir(&dir).expect("shipped calendar files parse")
    }

    #[test]
    fn shipped_files_load_all_years() {
        let cal = shipped();
        assert_eq!(cal.years(), vec![2024, 2025, 2026, 2027]);
        assert!(cal.has_year(2025));
        assert!(!cal.has_year(2028));
        assert!(cal.source(2025).unwrap().contains("1335"));
        assert!(cal.source(2024).unwrap().contains("1314"));
    }

    #[test]
    fn shipped_2025_days() {
        let cal = shipped();
        // Working Saturday by decree.
        assert!(cal.is_working_day(d(2025, 11, 1)));
        // Transferred day off (Monday).
        assert!(!cal.is_working_day(d(2025, 11, 3)));
        // 24 Feb 2025 is an ordinary Monday: the 23 Feb weekend was moved elsewhere.
        assert!(cal.is_working_day(d(2025, 2, 24)));
        assert!(!cal.is_working_day(d(2025, 5, 8)));
        assert!(!cal.is_working_day(d(2025, 6, 13)));
        assert!(!cal.is_working_day(d(2025, 12, 31)));
        assert!(cal.is_working_day(d(2025, 1, 9)));
        // Ordinary weekend.
        assert!(!cal.is_working_day(d(2025, 4, 5)));
        assert!(cal.is_short_day(d(2025, 4, 30)));
        assert!(!cal.is_short_day(d(2025, 4, 29)));
    }

    #[test]
    fn shipped_2024_and_2026_days() {
        let cal = shipped();
        for sat in [d(2024, 4, 27), d(2024, 11, 2), d(2024, 12, 28)] {
            assert!(cal.is_working_day(sat), "{sat} is a working Saturday");
            assert!(cal.is_short_day(sat), "{sat} is pre-holiday");
        }
        assert!(!cal.is_working_day(d(2024, 12, 30)));
        assert!(!cal.is_working_day(d(2026, 1, 9)));
        assert!(cal.is_working_day(d(2026, 1, 12)));
        assert!(!cal.is_working_day(d(2026, 3, 9)));
        assert!(!cal.is_working_day(d(2026, 5, 11)));
        assert!(cal.is_working_day(d(2026, 11, 3)));
        assert!(cal.is_short_day(d(2026, 11, 3)));
    }

    #[test]
    fn missing_years_are_the_current_and_next_without_a_file() {
        let cal = shipped();
        assert!(cal.missing_years(d(2026, 11, 23)).is_empty());
        assert_eq!(cal.missing_years(d(2027, 6, 1)), vec![2028]);
        assert_eq!(cal.missing_years(d(2028, 1, 1)), vec![2028, 2029]);
        assert_eq!(
            ProductionCalendar::default().missing_years(d(2025, 3, 3)),
            vec![2025, 2026]
        );
    }

    #[test]
    fn shipped_2027_days() {
        let cal = shipped();
        // 20 Feb 2027 is a working Saturday (its day off moves to Monday 22 Feb).
        assert!(cal.is_working_day(d(2027, 2, 20)));
        assert!(cal.is_short_day(d(2027, 2, 20)));
        assert!(!cal.is_working_day(d(2027, 2, 22)));
        assert!(!cal.is_working_day(d(2027, 2, 23)));
        assert!(!cal.is_working_day(d(2027, 1, 8)));
        assert!(cal.is_working_day(d(2027, 1, 11)));
        // Art. 112 moves: 1 May → 3 May, 9 May → 10 May, 12 Jun → 14 Jun.
        for off in [
            d(2027, 5, 3),
            d(2027, 5, 10),
            d(2027, 6, 14),
            d(2027, 11, 5),
            d(2027, 12, 31),
        ] {
            assert!(!cal.is_working_day(off), "{off}");
        }
        let working = (0..365)
            .map(|n| d(2027, 1, 1) + Days::new(n))
            .filter(|x| cal.is_working_day(*x))
            .count();
        assert_eq!(working, 247);
    }

    #[test]
    fn default_calendar_uses_fallback() {
        let cal = ProductionCalendar::default();
        assert!(cal.years().is_empty());
        // 2027: 1–8 Jan off (2–3 Jan are Sat/Sun inside the block: no extra day), 11 Jan Monday works.
        assert!(!cal.is_working_day(d(2027, 1, 8)));
        assert!(cal.is_working_day(d(2027, 1, 11)));
        // 1 May 2027 Saturday → Monday 3 May off; 9 May Sunday → Monday 10 May off.
        assert!(!cal.is_working_day(d(2027, 5, 3)));
        assert!(!cal.is_working_day(d(2027, 5, 10)));
        assert!(cal.is_working_day(d(2027, 5, 4)));
        // 12 Jun 2027 Saturday → Monday 14 Jun off.
        assert!(!cal.is_working_day(d(2027, 6, 14)));
        // 23 Feb 2027 Tuesday, 4 Nov 2027 Thursday.
        assert!(!cal.is_working_day(d(2027, 2, 23)));
        assert!(!cal.is_working_day(d(2027, 11, 4)));
        assert!(cal.is_working_day(d(2027, 11, 5)));
        // Pre-holiday: Monday 22 Feb 2027; Friday 31 Dec 2027 (before 1 Jan).
        assert!(cal.is_short_day(d(2027, 2, 22)));
        assert!(cal.is_short_day(d(2027, 12, 31)));
        assert!(!cal.is_short_day(d(2027, 2, 24)));
        // Calling repeatedly must not panic (warning is deduplicated).
        for _ in 0..3 {
            assert!(cal.is_working_day(d(2027, 3, 1)));
        }
        assert!(warned_years().lock().unwrap().contains(&2027));
    }

    #[test]
    fn fallback_two_weekend_holidays_do_not_collide() {
        // 2021: 1 May Saturday, 9 May Sunday → Monday 3 May and Monday 10 May (Art. 112).
        let off = fallback_non_working(2021);
        assert!(off.contains(&d(2021, 5, 3)));
        assert!(off.contains(&d(2021, 5, 10)));
        // 2022: 8 Mar Tuesday — nothing extra; 12 Jun Sunday → 13 Jun Monday.
        let off = fallback_non_working(2022);
        assert!(!off.contains(&d(2022, 3, 9)));
        assert!(off.contains(&d(2022, 6, 13)));
    }

    #[test]
    fn inline_year_and_duplicates() {
        let text = "year = 2030\nnon_working = [\"2030-01-01\"]\nworking = [\"2030-01-05\"]\n";
        let mut cal = ProductionCalendar::from_toml_str(text).unwrap();
        assert_eq!(cal.years(), vec![2030]);
        assert!(cal.is_working_day(d(2030, 1, 5))); // Saturday made working
        assert!(!cal.is_working_day(d(2030, 1, 1)));
        // No fallback holidays inside a year with a file: 2 Jan 2030 is only off if listed.
        assert!(cal.is_working_day(d(2030, 1, 2)));
        let err = cal.add_year_toml(text).unwrap_err();
        assert!(
            matches!(err, CalendarError::DuplicateYear { year: 2030, .. }),
            "{err}"
        );
        cal.add_year_toml("year = 2031").unwrap();
        assert_eq!(cal.years(), vec![2030, 2031]);
    }

    #[test]
    fn bad_date_names_value_and_field() {
        let err = ProductionCalendar::from_toml_str(
            "year = 2025\nnon_working = [\"2025-01-01\", \"2025-02-30\"]\n",
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("2025-02-30"), "{msg}");
        assert!(msg.contains("non_working"), "{msg}");
        assert!(msg.contains("<inline>"), "{msg}");
        let err =
            ProductionCalendar::from_toml_str("year = 2025\nshort = [\"7 марта\"]\n").unwrap_err();
        assert!(err.to_string().contains("7 марта"), "{err}");
    }

    #[test]
    fn structural_errors() {
        let err =
            ProductionCalendar::from_toml_str("year = 2025\nnon_working = [\"2024-12-31\"]\n")
                .unwrap_err();
        assert!(
            matches!(err, CalendarError::WrongYear { year: 2025, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("2024-12-31"));
        let err = ProductionCalendar::from_toml_str(
            "year = 2025\nnon_working = [\"2025-11-01\"]\nworking = [\"2025-11-01\"]\n",
        )
        .unwrap_err();
        assert!(matches!(err, CalendarError::Conflict { .. }), "{err}");
        let err = ProductionCalendar::from_toml_str("year = 2025\nworking = [\"2025-11-03\"]\n")
            .unwrap_err();
        assert!(
            matches!(err, CalendarError::WorkingNotWeekend { .. }),
            "{err}"
        );
        let err = ProductionCalendar::from_toml_str("year = \"2025\"\n").unwrap_err();
        assert!(matches!(err, CalendarError::Toml { .. }), "{err}");
        let err = ProductionCalendar::from_toml_str("non_working = []\n").unwrap_err();
        assert!(matches!(err, CalendarError::Toml { .. }), "{err}");
        let err = ProductionCalendar::from_toml_str("year = 2025\nholidays = []\n").unwrap_err();
        assert!(err.to_string().contains("holidays"), "{err}");
    }

    #[test]
    fn load_dir_missing_and_bad_file() {
        let missing = std::env::temp_dir().join("appeals-calendar-test-does-not-exist-4711");
        let cal = ProductionCalendar::load_dir(&missing).unwrap();
        assert!(cal.years().is_empty());

        let dir =
            std::env::temp_dir().join(format!("appeals-calendar-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("2030.toml"),
            "year = 2030\nnon_working = [\"2030-13-01\"]\n",
        )
        .unwrap();
        std::fs::write(dir.join("README.md"), "not a calendar").unwrap();
        let err = ProductionCalendar::load_dir(&dir).unwrap_err();
        let msg = err.to_string();
        assert!(
            msg.contains("2030.toml") && msg.contains("2030-13-01"),
            "{msg}"
        );
        std::fs::write(dir.join("2030.toml"), "year = 2030\n").unwrap();
        std::fs::write(dir.join("2030-copy.toml"), "year = 2030\n").unwrap();
        let err = ProductionCalendar::load_dir(&dir).unwrap_err();
        assert!(
            matches!(err, CalendarError::DuplicateYear { year: 2030, .. }),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
