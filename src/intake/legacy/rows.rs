//! A journal's rows read into appeals-to-be: each cell parsed by its column's rule, and every
//! row that cannot become an appeal refused with its row number (as the spreadsheet shows it),
//! its column and a Russian message. Pure: the classifier comes in as a function.

use super::columns::{missing_required, Column, Mapping};
use super::person::{self, Person};
use super::{dates, results};
use crate::domain::appeal::QuestionResult;
use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// How many rows at the top of a sheet are searched for the header row.
pub const HEADER_SCAN: usize = 30;

/// One row the import refuses.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LegacyRowError)]
pub struct RowError {
    /// Row number as the spreadsheet shows it (1 = the first line of the file).
    pub row: usize,
    /// The column's header as the file has it (or the usual one).
    pub column: String,
    /// What is wrong, in Russian.
    pub message: String,
}

/// One journal row ready to become an appeal.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Row number as the spreadsheet shows it.
    pub row: usize,
    /// The journal's number, as written.
    pub number: String,
    /// Received on (the registration date when the journal has none).
    pub received_on: NaiveDate,
    /// Registered on (the receipt date when the journal has none).
    pub registered_on: NaiveDate,
    /// Applicant; `None` for an anonymous letter.
    pub person: Option<Person>,
    /// What the letter is about.
    pub summary: String,
    /// The «Вопрос» cell as written, kept as the question's text.
    pub question: Option<String>,
    /// Classifier code; `None` when nothing fits («не определён»).
    pub code: Option<String>,
    /// Executor as written.
    pub executor: Option<String>,
    /// The journal's deadline.
    pub due: Option<NaiveDate>,
    /// Answered on.
    pub answered_on: Option<NaiveDate>,
    /// Result.
    pub result: Option<QuestionResult>,
}

/// A question the classifier could not tell, reported to the clerk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = LegacyUnknownQuestion)]
pub struct Unknown {
    /// Row number.
    pub row: usize,
    /// What the «Вопрос» column held (empty when nothing).
    pub text: String,
}

/// A journal read row by row.
#[derive(Clone, Debug, Default)]
pub struct Parsed {
    /// The header row's number.
    pub header_row: usize,
    /// Rows that become appeals.
    pub records: Vec<Record>,
    /// Rows refused.
    pub errors: Vec<RowError>,
    /// Questions left «не определён».
    pub unknown: Vec<Unknown>,
    /// Rows skipped as empty or as a title between rows («Январь 2023»).
    pub skipped: usize,
    /// Each field's header as the file has it (the usual one when the file has none).
    pub labels: BTreeMap<Column, String>,
}

/// A problem with the file as a whole: no header row, a required column missing.
pub type FileError = String;

/// Reads the rows below the header row. `classify(cell, summary)` gives a question's code.
pub fn parse(rows: &[Vec<String>], mapping: &Mapping, today: NaiveDate, classify: &dyn Fn(&str, &str) -> Option<String>) -> Result<Parsed, FileError> {
    let (h, found) = mapping.find_header(rows.iter().map(Vec::as_slice), HEADER_SCAN).ok_or_else(|| {
        format!("строка заголовков не найдена в первых {HEADER_SCAN} строках: нужны столбцы «{}» и ещё хотя бы два из «Дата регистрации», «Ф.И.О.», «Содержание», «Вопрос»… (другие названия задаются файлом сопоставления)", Column::Number.label())
    })?;
    let missing = missing_required(&found);
    if !missing.is_empty() {
        return Err(format!("в строке заголовков {}: {}", h + 1, missing.join("; ")));
    }
    let header = &rows[h];
    let label = |c: Column| found.get(&c).and_then(|&i| header.get(i)).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).unwrap_or_else(|| c.label().to_string());
    let labels: BTreeMap<Column, String> = Column::ALL.iter().map(|&c| (c, label(c))).collect();
    let mut out = Parsed { header_row: h + 1, labels, ..Default::default() };
    let labels = out.labels.clone();
    for (i, cells) in rows.iter().enumerate().skip(h + 1) {
        let filled = cells.iter().filter(|c| !c.trim().is_empty()).count();
        if filled <= 1 {
            out.skipped += 1;
            continue;
        }
        let cell = |c: Column| found.get(&c).and_then(|&p| cells.get(p)).map(|s| s.trim()).unwrap_or("");
        let mut errs: Vec<(Column, String)> = Vec::new();
        let number = cell(Column::Number).to_string();
        if number.is_empty() {
            errs.push((Column::Number, "не указан регистрационный номер".into()));
        } else if number.chars().count() > 64 {
            errs.push((Column::Number, "номер длиннее 64 знаков".into()));
        }
        let date = |c: Column, errs: &mut Vec<(Column, String)>| -> Option<NaiveDate> {
            let t = cell(c);
            if t.is_empty() {
                return None;
            }
            match dates::parse(t) {
                None => {
                    errs.push((c, format!("«{t}» не дата: ожидается дд.мм.гггг, д.м.гг, гггг-мм-дд или дата Excel")));
                    None
                }
                Some(d) if d > today => {
                    errs.push((c, format!("дата {} ещё не наступила", dates::ru(d))));
                    None
                }
                Some(d) if d.year() < 1992 => {
                    errs.push((c, format!("дата {} слишком ранняя", dates::ru(d))));
                    None
                }
                Some(d) => Some(d),
            }
        };
        let registered = date(Column::Registered, &mut errs);
        let received = date(Column::Received, &mut errs);
        let answered = date(Column::Answered, &mut errs);
        let due = match cell(Column::Due) {
            "" => None,
            t => match dates::parse(t) {
                Some(d) => Some(d),
                None => {
                    errs.push((Column::Due, format!("«{t}» не дата: ожидается дд.мм.гггг, д.м.гг, гггг-мм-дд или дата Excel")));
                    None
                }
            },
        };
        let registered_on = registered.or(received);
        let received_on = received.or(registered);
        if registered_on.is_none() && !errs.iter().any(|(c, _)| matches!(c, Column::Registered | Column::Received)) {
            let c = if found.contains_key(&Column::Registered) { Column::Registered } else { Column::Received };
            errs.push((c, "не указана дата регистрации (и дата поступления)".into()));
        }
        if let (Some(rec), Some(reg)) = (received_on, registered_on) {
            if rec > reg {
                errs.push((Column::Received, format!("дата поступления {} позже даты регистрации {}", dates::ru(rec), dates::ru(reg))));
            }
        }
        if let (Some(a), Some(reg)) = (answered, registered_on) {
            if a < reg {
                errs.push((Column::Answered, format!("дата ответа {} раньше даты регистрации {}", dates::ru(a), dates::ru(reg))));
            }
        }
        let result = match results::parse(cell(Column::Result)) {
            Ok(r) => r,
            Err(m) => {
                errs.push((Column::Result, m));
                None
            }
        };
        let person = person::split(cell(Column::Applicant), found.get(&Column::Address).map(|_| cell(Column::Address)));
        if let Some(p) = &person {
            if p.name.chars().count() > 500 {
                errs.push((Column::Applicant, "Ф.И.О. длиннее 500 знаков".into()));
            }
        }
        let question = Some(cell(Column::Question).to_string()).filter(|q| !q.is_empty());
        let summary = match cell(Column::Summary) {
            "" => question.clone().unwrap_or_default(),
            s => s.to_string(),
        };
        if summary.is_empty() {
            let c = if found.contains_key(&Column::Summary) { Column::Summary } else { Column::Question };
            errs.push((c, "не указано содержание обращения".into()));
        }
        if !errs.is_empty() {
            out.errors.extend(errs.into_iter().map(|(c, message)| RowError { row: i + 1, column: labels[&c].clone(), message }));
            continue;
        }
        let (Some(received_on), Some(registered_on)) = (received_on, registered_on) else { continue };
        let code = classify(question.as_deref().unwrap_or(""), &summary);
        if code.is_none() {
            out.unknown.push(Unknown { row: i + 1, text: question.clone().unwrap_or_default() });
        }
        let executor = Some(cell(Column::Executor).to_string()).filter(|e| !e.is_empty());
        out.records.push(Record { row: i + 1, number, received_on, registered_on, person, summary, question, code, executor, due, answered_on: answered, result });
    }
    // The same number twice in one year is two rows for one appeal: the later one is refused.
    let mut seen: HashMap<(&str, i32), usize> = HashMap::new();
    let mut dups = Vec::new();
    for r in &out.records {
        if let Some(first) = seen.insert((r.number.as_str(), r.registered_on.year()), r.row) {
            seen.insert((r.number.as_str(), r.registered_on.year()), first);
            dups.push(RowError { row: r.row, column: labels[&Column::Number].clone(), message: format!("номер «{}» за {} год уже есть в строке {first}", r.number, r.registered_on.year()) });
        }
    }
    if !dups.is_empty() {
        let refused: std::collections::HashSet<usize> = dups.iter().map(|e| e.row).collect();
        out.records.retain(|r| !refused.contains(&r.row));
        out.unknown.retain(|u| !refused.contains(&u.row));
        out.errors.extend(dups);
        out.errors.sort_by_key(|e| e.row);
    }
    Ok(out)
}

/// The registration number each record gets on its card: the journal's own number, with its
/// year after it (`123/2023`) when the journal uses the same number in more than one year
/// (numbering restarted each January), so numbers stay unique in the registry.
pub fn card_numbers(records: &[Record]) -> Vec<String> {
    let mut years: HashMap<&str, std::collections::BTreeSet<i32>> = HashMap::new();
    for r in records {
        years.entry(r.number.as_str()).or_default().insert(r.registered_on.year());
    }
    records
        .iter()
        .map(|r| if years[r.number.as_str()].len() > 1 { format!("{}/{}", r.number, r.registered_on.year()) } else { r.number.clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(lines: &[&[&str]]) -> Vec<Vec<String>> {
        lines.iter().map(|l| l.iter().map(|s| s.to_string()).collect()).collect()
    }

    fn today() -> NaiveDate {
        "2026-12-07".parse().unwrap()
    }

    fn by_word(cell: &str, _: &str) -> Option<String> {
        (cell == "ямы").then(|| "0003.0009.0097.0699".to_string())
    }

    const HEAD: &[&str] = &["Рег. №", "Дата поступления", "Дата регистрации", "Ф.И.О.", "Содержание", "Вопрос", "Дата ответа", "Результат"];

    #[test]
    fn a_clean_row_becomes_a_record() {
        let p = parse(&rows(&[&["Журнал 2024"], HEAD, &["17", "11.03.2024", "45363", "Иванов И.И., ул. Ленина 5-12", "Ямы во дворе", "ямы", "01.04.24", "Разъяснено"]]), &Mapping::default(), today(), &by_word).unwrap();
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.header_row, 2);
        let r = &p.records[0];
        assert_eq!(r.row, 3);
        assert_eq!(r.number, "17");
        assert_eq!(r.received_on.to_string(), "2024-03-11");
        assert_eq!(r.registered_on.to_string(), "2024-03-12");
        assert_eq!(r.person, Some(Person { name: "Иванов И.И.".into(), address: Some("ул. Ленина 5-12".into()) }));
        assert_eq!(r.code.as_deref(), Some("0003.0009.0097.0699"));
        assert_eq!(r.answered_on.map(|d| d.to_string()).as_deref(), Some("2024-04-01"));
        assert_eq!(r.result, Some(QuestionResult::Explained));
        assert!(p.unknown.is_empty());
    }

    #[test]
    fn bad_rows_are_refused_with_row_column_and_message() {
        let p = parse(
            &rows(&[
                HEAD,
                &["", "11.03.2024", "12.03.2024", "Иванов", "Ямы", "ямы", "", ""],
                &["2", "вчера", "12.03.2024", "Иванов", "Ямы", "ямы", "", ""],
                &["3", "13.03.2024", "12.03.2024", "Иванов", "Ямы", "ямы", "", ""],
                &["4", "", "12.03.2024", "Иванов", "Ямы", "ямы", "01.03.2024", "в работе"],
                &["5", "", "12.03.2030", "Иванов", "", "", "", ""],
                &["Январь 2024"],
                &["6", "", "12.03.2024", "Аноним", "Ямы", "дороги", "", ""],
            ]),
            &Mapping::default(),
            today(),
            &by_word,
        )
        .unwrap();
        let got: Vec<(usize, &str)> = p.errors.iter().map(|e| (e.row, e.column.as_str())).collect();
        assert_eq!(got, vec![(2, "Рег. №"), (3, "Дата поступления"), (4, "Дата поступления"), (5, "Дата ответа"), (5, "Результат"), (6, "Дата регистрации"), (6, "Содержание")]);
        assert!(p.errors[0].message.contains("номер"));
        assert!(p.errors[1].message.contains("«вчера» не дата"));
        assert!(p.errors[5].message.contains("ещё не наступила"));
        assert_eq!(p.skipped, 1);
        assert_eq!(p.records.len(), 1);
        assert_eq!(p.records[0].person, None);
        assert_eq!(p.unknown, vec![Unknown { row: 8, text: "дороги".into() }]);
    }

    #[test]
    fn numbers_repeat_only_across_years() {
        let p = parse(
            &rows(&[HEAD, &["1", "", "12.03.2023", "Иванов", "Ямы", "ямы", "", ""], &["1", "", "12.03.2024", "Петров", "Ямы", "ямы", "", ""], &["1", "", "14.03.2024", "Сидоров", "Ямы", "ямы", "", ""], &["2", "", "14.03.2024", "Сидоров", "Ямы", "ямы", "", ""]]),
            &Mapping::default(),
            today(),
            &by_word,
        )
        .unwrap();
        assert_eq!(p.errors.len(), 1);
        assert_eq!(p.errors[0].row, 4);
        assert!(p.errors[0].message.contains("строке 3"), "{}", p.errors[0].message);
        assert_eq!(card_numbers(&p.records), vec!["1/2023", "1/2024", "2"]);
    }

    #[test]
    fn files_without_a_header_or_a_date_are_refused() {
        assert!(parse(&rows(&[&["a", "b"], &["1", "2"]]), &Mapping::default(), today(), &by_word).unwrap_err().contains("строка заголовков не найдена"));
        let e = parse(&rows(&[&["Рег. №", "Ф.И.О.", "Содержание", "Адрес"]]), &Mapping::default(), today(), &by_word).unwrap_err();
        assert!(e.contains("Дата регистрации"), "{e}");
    }
}
