//! Reads the two formats in which Russian software exchanges production calendars and renders
//! our year file (`config/calendar/YYYY.toml`, see [`super::calendar`]), for
//! `appeals calendar import FILE`:
//!
//! - the XML of xmlcalendar.ru: `<calendar year="2027">…<days><day d="MM.DD" t="1|2|3" …/>`,
//!   `t=1` a holiday or day off, `t=2` a shortened pre-holiday working day, `t=3` a working day
//!   (a Saturday or Sunday made working); ordinary weekends are not listed;
//! - the Ministry of Labour's open-data CSV: a header `Год/Месяц;Январь;…;Декабрь;Всего рабочих
//!   дней;…` (`;` or `,` between fields, fields may be quoted) and a row per year whose month
//!   cells list every non-working day of the month, `*` marking a shortened working day and `+`
//!   a transferred day off; a weekend day not listed is a working day.
//!
//! Pure functions, no I/O: the command reads the file and writes what [`ImportedYear::to_toml`]
//! renders.

use std::collections::BTreeSet;

use chrono::{Datelike, Days, NaiveDate, Weekday};

/// Why a file could not be imported, naming the line and the value so it can be fixed.
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum ImportError {
    /// Neither format was recognised.
    #[error("файл не похож ни на XML xmlcalendar.ru (<calendar year=…>), ни на CSV Минтруда (заголовок «Год/Месяц;Январь;…»)")]
    UnknownFormat,
    /// A line (1-based) holds a bad value.
    #[error("строка {line}: {message}")]
    Line {
        /// 1-based line number.
        line: usize,
        /// What is wrong, in Russian.
        message: String,
    },
    /// The file as a whole is inconsistent.
    #[error("{0}")]
    Invalid(String),
}

/// Which format a file is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// xmlcalendar.ru XML.
    XmlCalendar,
    /// The Ministry of Labour's open-data CSV.
    MintrudCsv,
}

impl Format {
    /// How the format is named in the written file's `source`.
    pub fn label(self) -> &'static str {
        match self {
            Format::XmlCalendar => "XML xmlcalendar.ru",
            Format::MintrudCsv => "CSV открытых данных Минтруда России",
        }
    }
}

/// One year's days as read from a file, in our terms.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportedYear {
    /// The calendar year.
    pub year: i32,
    /// Days off other than ordinary Saturdays and Sundays (plus holidays that fall on them).
    pub non_working: BTreeSet<NaiveDate>,
    /// Saturdays and Sundays made working days.
    pub working: BTreeSet<NaiveDate>,
    /// Shortened pre-holiday working days (Labour Code Art. 95).
    pub short: BTreeSet<NaiveDate>,
}

fn is_weekend(d: NaiveDate) -> bool {
    matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

/// A holiday date of Labour Code Art. 112 (kept in the file even on a weekend, for reading).
fn is_fixed_holiday(d: NaiveDate) -> bool {
    (d.month() == 1 && d.day() <= 8)
        || [(2, 23), (3, 8), (5, 1), (5, 9), (6, 12), (11, 4)].contains(&(d.month(), d.day()))
}

/// Detects the format from the text: XML starts with `<`, the CSV with its `Год` header.
pub fn detect(text: &str) -> Result<Format, ImportError> {
    let t = text.trim_start_matches('\u{feff}').trim_start();
    if t.starts_with('<') {
        return Ok(Format::XmlCalendar);
    }
    let first = t.lines().next().unwrap_or_default();
    if first.trim_start_matches('"').starts_with("Год") {
        return Ok(Format::MintrudCsv);
    }
    Err(ImportError::UnknownFormat)
}

/// Parses either format (detected from the text); the CSV may hold several years.
pub fn parse(text: &str) -> Result<(Format, Vec<ImportedYear>), ImportError> {
    let format = detect(text)?;
    let years = match format {
        Format::XmlCalendar => vec![parse_xmlcalendar(text)?],
        Format::MintrudCsv => parse_mintrud_csv(text)?,
    };
    Ok((format, years))
}

/// 1-based line of a byte offset, for messages.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset].matches('\n').count() + 1
}

/// The attributes of one XML start tag body (`d="01.01" t='1'`); entities are not expected.
fn attributes(tag: &str) -> Vec<(&str, &str)> {
    let mut out = Vec::new();
    let mut rest = tag;
    while let Some(eq) = rest.find('=') {
        let name = rest[..eq]
            .trim()
            .rsplit(char::is_whitespace)
            .next()
            .unwrap_or_default();
        let after = rest[eq + 1..].trim_start();
        let Some(q) = after.chars().next().filter(|c| *c == '"' || *c == '\'') else {
            break;
        };
        let Some(end) = after[1..].find(q) else {
            break;
        };
        out.push((name, &after[1..1 + end]));
        rest = &after[end + 2..];
    }
    out
}

fn attr<'a>(attrs: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    attrs.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// Start tags named `name` with their byte offsets and attribute text.
fn tags<'a>(text: &'a str, name: &str) -> Vec<(usize, &'a str)> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find(&open) {
        let at = from + i;
        let body_start = at + open.len();
        let next = text[body_start..].chars().next();
        from = body_start;
        if !next.is_some_and(|c| c.is_whitespace() || c == '/' || c == '>') {
            continue; // `<days` when looking for `<day`
        }
        let Some(end) = text[body_start..].find('>') else {
            break;
        };
        out.push((at, text[body_start..body_start + end].trim_end_matches('/')));
        from = body_start + end;
    }
    out
}

/// Parses the xmlcalendar.ru XML of one year.
pub fn parse_xmlcalendar(text: &str) -> Result<ImportedYear, ImportError> {
    let cal = tags(text, "calendar");
    let Some((at, body)) = cal.first() else {
        return Err(ImportError::Invalid(
            "нет элемента <calendar year=\"ГГГГ\">".into(),
        ));
    };
    let attrs = attributes(body);
    let year_text = attr(&attrs, "year").ok_or_else(|| ImportError::Line {
        line: line_of(text, *at),
        message: "у <calendar> нет атрибута year".into(),
    })?;
    let year = parse_year(year_text).ok_or_else(|| ImportError::Line {
        line: line_of(text, *at),
        message: format!("год «{year_text}» не число от 1900 до 2999"),
    })?;
    let mut out = ImportedYear {
        year,
        ..ImportedYear::default()
    };
    let mut seen = BTreeSet::new();
    for (at, body) in tags(text, "day") {
        let line = line_of(text, at);
        let err = |message: String| ImportError::Line { line, message };
        let attrs = attributes(body);
        let d = attr(&attrs, "d").ok_or_else(|| err("у <day> нет атрибута d (ММ.ДД)".into()))?;
        let date = month_day(year, d)
            .ok_or_else(|| err(format!("d=\"{d}\" — не дата ММ.ДД {year} года")))?;
        if !seen.insert(date) {
            return Err(err(format!("день {d} указан дважды")));
        }
        match attr(&attrs, "t") {
            Some("1") => {
                out.non_working.insert(date);
            }
            Some("2") => {
                out.short.insert(date);
                if is_weekend(date) {
                    out.working.insert(date);
                }
            }
            Some("3") => {
                if is_weekend(date) {
                    out.working.insert(date);
                }
            }
            Some(t) => {
                return Err(err(format!(
                    "t=\"{t}\" у дня {d}: ожидается 1 (выходной), 2 (сокращённый) или 3 (рабочий)"
                )))
            }
            None => return Err(err(format!("у дня {d} нет атрибута t"))),
        }
    }
    out.normalize();
    Ok(out)
}

fn parse_year(s: &str) -> Option<i32> {
    s.trim()
        .parse::<i32>()
        .ok()
        .filter(|y| (1900..3000).contains(y))
}

/// `MM.DD` of `year`.
fn month_day(year: i32, s: &str) -> Option<NaiveDate> {
    let (m, d) = s.trim().split_once('.')?;
    NaiveDate::from_ymd_opt(year, m.parse().ok()?, d.parse().ok()?)
}

/// Splits one CSV line into fields (`"…"` quoting with `""` for a quote).
fn csv_fields(line: &str, sep: char) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            c if c == sep && !quoted => out.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err("незакрытая кавычка".into());
    }
    out.push(cur);
    Ok(out)
}

const MONTHS: [&str; 12] = [
    "Январь",
    "Февраль",
    "Март",
    "Апрель",
    "Май",
    "Июнь",
    "Июль",
    "Август",
    "Сентябрь",
    "Октябрь",
    "Ноябрь",
    "Декабрь",
];

/// Parses the Ministry of Labour's open-data CSV: every year row it holds.
pub fn parse_mintrud_csv(text: &str) -> Result<Vec<ImportedYear>, ImportError> {
    let text = text.trim_start_matches('\u{feff}');
    let mut lines = text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((hline, header)) = lines.next() else {
        return Err(ImportError::UnknownFormat);
    };
    // The separator is whichever of `;` and `,` the header uses (its names hold neither).
    let sep = if header.contains(';') { ';' } else { ',' };
    let names = csv_fields(header, sep).map_err(|m| ImportError::Line {
        line: hline + 1,
        message: m,
    })?;
    let col = |name: &str| {
        names
            .iter()
            .position(|n| n.trim().eq_ignore_ascii_case(name))
    };
    let mut month_cols = [0usize; 12];
    for (i, m) in MONTHS.iter().enumerate() {
        month_cols[i] = col(m).ok_or_else(|| ImportError::Line {
            line: hline + 1,
            message: format!("в заголовке нет столбца «{m}»"),
        })?;
    }
    let total_col = col("Всего рабочих дней");
    let mut out: Vec<ImportedYear> = Vec::new();
    for (i, line) in lines {
        let line_no = i + 1;
        let err = |message: String| ImportError::Line {
            line: line_no,
            message,
        };
        let fields = csv_fields(line, sep).map_err(err)?;
        let year_text = fields.first().map(String::as_str).unwrap_or_default();
        let year = parse_year(year_text)
            .ok_or_else(|| err(format!("год «{year_text}» не число от 1900 до 2999")))?;
        if out.iter().any(|y| y.year == year) {
            return Err(err(format!("{year} год указан дважды")));
        }
        let mut y = ImportedYear {
            year,
            ..ImportedYear::default()
        };
        let mut off_days = 0usize;
        for (m0, &c) in month_cols.iter().enumerate() {
            let month = m0 as u32 + 1;
            let cell = fields
                .get(c)
                .ok_or_else(|| err(format!("нет столбца «{}»", MONTHS[m0])))?;
            let mut listed = BTreeSet::new();
            for token in cell.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                let (digits, mark) = match token.char_indices().last() {
                    Some((k, '*')) | Some((k, '+')) => (&token[..k], &token[k..]),
                    _ => (token, ""),
                };
                let date = digits
                    .parse::<u32>()
                    .ok()
                    .and_then(|d| NaiveDate::from_ymd_opt(year, month, d))
                    .ok_or_else(|| err(format!("«{token}» в столбце «{}» — не день месяца (ожидается число, можно с * или +)", MONTHS[m0])))?;
                if !listed.insert(date) {
                    return Err(err(format!(
                        "день {token} в столбце «{}» указан дважды",
                        MONTHS[m0]
                    )));
                }
                if mark == "*" {
                    y.short.insert(date);
                } else {
                    y.non_working.insert(date);
                    off_days += 1;
                }
            }
            // A Saturday or Sunday the row does not list as a day off is a working day.
            let mut d = NaiveDate::from_ymd_opt(year, month, 1).expect("first of month");
            while d.month() == month {
                if is_weekend(d) && !y.non_working.contains(&d) {
                    y.working.insert(d);
                }
                d = d + Days::new(1);
            }
        }
        if let Some(total) = total_col
            .and_then(|c| fields.get(c))
            .map(|s| s.trim())
            .filter(|s| !s.is_empty())
        {
            let days = if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
                366
            } else {
                365
            };
            let counted = days - off_days;
            if total.parse::<usize>().ok() != Some(counted) {
                return Err(err(format!("«Всего рабочих дней» = {total}, а по спискам дней {year} года выходит {counted}")));
            }
        }
        y.normalize();
        out.push(y);
    }
    if out.is_empty() {
        return Err(ImportError::Invalid(
            "в CSV нет ни одной строки с годом".into(),
        ));
    }
    Ok(out)
}

/// Escapes a TOML basic string.
fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn date_list(dates: &BTreeSet<NaiveDate>) -> String {
    let items: Vec<String> = dates
        .iter()
        .map(|d| format!("\"{}\"", d.format("%Y-%m-%d")))
        .collect();
    format!("[{}]", items.join(", "))
}

impl ImportedYear {
    /// Drops ordinary weekends from `non_working` (they are days off anyway) except the holiday
    /// dates of Art. 112, so files from both formats read alike.
    fn normalize(&mut self) {
        self.non_working
            .retain(|d| !is_weekend(*d) || is_fixed_holiday(*d));
        self.working.retain(|d| is_weekend(*d));
    }

    /// Working days of the year under this data.
    pub fn working_days(&self) -> usize {
        let mut d = NaiveDate::from_ymd_opt(self.year, 1, 1).expect("1 January");
        let mut n = 0;
        while d.year() == self.year {
            if self.working.contains(&d) || !(is_weekend(d) || self.non_working.contains(&d)) {
                n += 1;
            }
            d = d + Days::new(1);
        }
        n
    }

    /// Renders the year file in our format; `source` says where it came from.
    pub fn to_toml(&self, source: &str) -> String {
        let mut s = String::new();
        s.push_str(&format!(
            "# Производственный календарь на {} год / Production calendar for {}.\n",
            self.year, self.year
        ));
        s.push_str("# Записан командой `appeals calendar import`; сверьте с постановлением Правительства РФ\n");
        s.push_str("# о переносе выходных дней и при необходимости поправьте `source` (реквизиты постановления).\n");
        s.push_str(&format!(
            "# Рабочих дней: {}, из них сокращённых: {}. Формат дат — ГГГГ-ММ-ДД; правится без пересборки.\n\n",
            self.working_days(),
            self.short.len()
        ));
        s.push_str(&format!(
            "year = {}\nsource = {}\n\n",
            self.year,
            toml_string(source)
        ));
        s.push_str("# Нерабочие дни, кроме обычных суббот и воскресений (праздники на выходных — для наглядности).\n");
        s.push_str("non_working = [\n");
        for month in 1..=12 {
            let days: Vec<String> = self
                .non_working
                .iter()
                .filter(|d| d.month() == month)
                .map(|d| format!("\"{}\"", d.format("%Y-%m-%d")))
                .collect();
            if !days.is_empty() {
                s.push_str(&format!("  {},\n", days.join(", ")));
            }
        }
        s.push_str("]\n\n# Субботы и воскресенья, объявленные рабочими днями.\n");
        s.push_str(&format!("working = {}\n\n", date_list(&self.working)));
        s.push_str("# Предпраздничные дни, сокращённые на 1 час (ТК РФ ст. 95); на подсчёт сроков не влияют.\n");
        s.push_str(&format!("short = {}\n", date_list(&self.short)));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::calendar::ProductionCalendar;
    use std::path::Path;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn sample(name: &str) -> String {
        std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/data/calendar")
                .join(name),
        )
        .unwrap()
    }

    fn shipped() -> ProductionCalendar {
        ProductionCalendar::load_dir(&Path::new(env!("CARGO_MANIFEST_DIR")).join("config/calendar"))
            .unwrap()
    }

    /// The rendered file loads, and agrees with the shipped calendar on every day of the year.
    fn assert_same_as_shipped(y: &ImportedYear) {
        let text = y.to_toml("тест");
        let cal =
            ProductionCalendar::from_toml_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        let shipped = shipped();
        let mut day = d(y.year, 1, 1);
        while day.year() == y.year {
            assert_eq!(
                cal.is_working_day(day),
                shipped.is_working_day(day),
                "{day}\n{text}"
            );
            assert_eq!(
                cal.is_short_day(day),
                shipped.is_short_day(day),
                "{day} short\n{text}"
            );
            day = day + Days::new(1);
        }
    }

    #[test]
    fn xmlcalendar_sample_matches_the_shipped_2025() {
        let (format, years) = parse(&sample("xmlcalendar-2025.xml")).unwrap();
        assert_eq!(format, Format::XmlCalendar);
        assert_eq!(years.len(), 1);
        let y = &years[0];
        assert_eq!(y.year, 2025);
        assert_eq!(y.working, BTreeSet::from([d(2025, 11, 1)]));
        assert!(y.short.contains(&d(2025, 11, 1)));
        assert!(y.non_working.contains(&d(2025, 5, 8)) && y.non_working.contains(&d(2025, 12, 31)));
        assert_eq!(y.working_days(), 247);
        assert_same_as_shipped(y);
    }

    #[test]
    fn mintrud_csv_sample_matches_the_shipped_2024_and_2025() {
        let (format, years) = parse(&sample("mintrud-2024-2025.csv")).unwrap();
        assert_eq!(format, Format::MintrudCsv);
        assert_eq!(
            years.iter().map(|y| y.year).collect::<Vec<_>>(),
            vec![2024, 2025]
        );
        assert_eq!(
            years[0].working,
            BTreeSet::from([d(2024, 4, 27), d(2024, 11, 2), d(2024, 12, 28)])
        );
        assert_eq!(years[0].working_days(), 248);
        // Ordinary weekends are dropped, Art. 112 holidays on a weekend are kept.
        assert!(!years[1].non_working.contains(&d(2025, 1, 11)));
        assert!(years[1].non_working.contains(&d(2025, 1, 4)));
        assert!(years[1].non_working.contains(&d(2025, 2, 23)));
        for y in &years {
            assert_same_as_shipped(y);
        }
    }

    #[test]
    fn semicolon_csv_with_bom_and_a_working_saturday() {
        // 2027 as the shipped file has it: 20 Feb a shortened working Saturday, 22 Feb off.
        let header = "\u{feff}Год/Месяц;Январь;Февраль;Март;Апрель;Май;Июнь;Июль;Август;Сентябрь;Октябрь;Ноябрь;Декабрь;Всего рабочих дней;Всего праздничных и выходных дней";
        let row = "2027;1,2,3,4,5,6,7,8,9,10,16,17,23,24,30,31;6,7,13,14,20*,21,22+,23,27,28;6,7,8,13,14,20,21,27,28;3,4,10,11,17,18,24,25,30*;1,2,3+,8,9,10+,15,16,22,23,29,30;5,6,11*,12,13,14+,19,20,26,27;3,4,10,11,17,18,24,25,31;1,7,8,14,15,21,22,28,29;4,5,11,12,18,19,25,26;2,3,9,10,16,17,23,24,30,31;3*,4,5+,6,7,13,14,20,21,27,28;4,5,11,12,18,19,25,26,31+;247;118";
        let years = parse_mintrud_csv(&format!("{header}\n{row}\n")).unwrap();
        let y = &years[0];
        assert_eq!(y.working, BTreeSet::from([d(2027, 2, 20)]));
        assert_eq!(
            y.short,
            BTreeSet::from([
                d(2027, 2, 20),
                d(2027, 4, 30),
                d(2027, 6, 11),
                d(2027, 11, 3)
            ])
        );
        assert_same_as_shipped(y);
    }

    #[test]
    fn xml_attribute_styles_and_t3() {
        let xml = "<?xml version='1.0'?>\n<calendar  year='2030' lang=\"ru\">\n<days>\n<day t=\"1\" d=\"01.01\" h=\"1\" />\n<day d='01.05' t='3'/>\n<day d=\"01.07\" t=\"3\"/>\n</days></calendar>";
        let y = parse_xmlcalendar(xml).unwrap();
        assert_eq!(y.year, 2030);
        assert_eq!(y.non_working, BTreeSet::from([d(2030, 1, 1)]));
        // 5 Jan 2030 is a Saturday made working; 7 Jan (Monday) is a working day anyway.
        assert_eq!(y.working, BTreeSet::from([d(2030, 1, 5)]));
        ProductionCalendar::from_toml_str(&y.to_toml("a \"quoted\" \\ name")).unwrap();
    }

    #[test]
    fn bad_input_names_line_and_value() {
        assert_eq!(detect("year,1\n"), Err(ImportError::UnknownFormat));
        assert_eq!(detect(""), Err(ImportError::UnknownFormat));
        let e = parse_xmlcalendar("<calendar>\n<days/></calendar>").unwrap_err();
        assert!(e.to_string().contains("year"), "{e}");
        let e = parse_xmlcalendar("<calendar year=\"20x7\"></calendar>").unwrap_err();
        assert!(e.to_string().contains("20x7"), "{e}");
        let e = parse_xmlcalendar(
            "<calendar year=\"2027\">\n<days>\n<day d=\"02.30\" t=\"1\"/>\n</days></calendar>",
        )
        .unwrap_err();
        assert_eq!(
            e,
            ImportError::Line {
                line: 3,
                message: "d=\"02.30\" — не дата ММ.ДД 2027 года".into()
            }
        );
        let e =
            parse_xmlcalendar("<calendar year=\"2027\">\n<day d=\"02.22\" t=\"4\"/>").unwrap_err();
        assert!(e.to_string().starts_with("строка 2: t=\"4\""), "{e}");
        let e = parse_xmlcalendar(
            "<calendar year=\"2027\">\n<day d=\"02.22\" t=\"1\"/><day d=\"02.22\" t=\"1\"/>",
        )
        .unwrap_err();
        assert!(e.to_string().contains("дважды"), "{e}");
        let e = parse_xmlcalendar("<days/>").unwrap_err();
        assert!(matches!(e, ImportError::Invalid(_)), "{e}");

        let header = "Год/Месяц;Январь;Февраль;Март;Апрель;Май;Июнь;Июль;Август;Сентябрь;Октябрь;Ноябрь;Декабрь;Всего рабочих дней";
        let e = parse_mintrud_csv("Год/Месяц;Январь;Февраль\n").unwrap_err();
        assert!(e.to_string().contains("«Март»"), "{e}");
        let e = parse_mintrud_csv(&format!("{header}\n2030;1,2,32;;;;;;;;;;;\n")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "строка 2: «32» в столбце «Январь» — не день месяца (ожидается число, можно с * или +)"
        );
        let e = parse_mintrud_csv(&format!("{header}\n2030;1,x*;;;;;;;;;;;\n")).unwrap_err();
        assert!(e.to_string().contains("«x*»"), "{e}");
        let e = parse_mintrud_csv(&format!("{header}\nгод;;;;;;;;;;;;;\n")).unwrap_err();
        assert!(e.to_string().contains("«год»"), "{e}");
        // The total of working days is checked against the lists: 2030 with no days off at all.
        let e = parse_mintrud_csv(&format!("{header}\n2030;;;;;;;;;;;;;250\n")).unwrap_err();
        assert!(
            e.to_string().contains("= 250") && e.to_string().contains("365"),
            "{e}"
        );
        let e = parse_mintrud_csv(&format!("{header}\n2030;\"1,2;;;;;;;;;;;;\n")).unwrap_err();
        assert!(e.to_string().contains("кавычка"), "{e}");
        let e = parse_mintrud_csv(&format!("{header}\n")).unwrap_err();
        assert!(matches!(e, ImportError::Invalid(_)), "{e}");
        let e = parse_mintrud_csv(&format!("{header}\n2030;;;;;;;;;;;;;\n2030;;;;;;;;;;;;;\n"))
            .unwrap_err();
        assert!(e.to_string().starts_with("строка 3"), "{e}");
    }
}
