//! A body's legacy journal brought into the registry: the file read and checked row by row
//! (`crate::intake::legacy`), each row turned into the same import record `POST
//! /api/v1/imports/appeals` takes and validated by the same rules, then stored by the same
//! all-or-nothing import (numbering, repeat detection across the imported years, statistics).
//! A row the journal answered is stored closed with its result. A journal number already in
//! the registry for the same year is skipped, so importing the same journal again adds nothing.

use crate::domain::appeal::{AppealDraft, ApplicantInput, Form, Kind, QuestionInput, QuestionResult};
use crate::domain::keys;
use crate::domain::validation::FieldError;
use crate::intake::legacy::classify::{Classifier, UNDETERMINED, UNDETERMINED_ENTRIES};
use crate::intake::legacy::columns::{Column, Mapping};
use crate::intake::legacy::rows::{self, Record, RowError, Unknown};
use crate::intake::legacy::table;
use crate::state::AppState;
use crate::store::appeals::NewAppeal;
use crate::store::ServiceError;
use chrono::{Datelike, Duration, NaiveDateTime};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// At most this many refused rows and undetermined questions are listed in an answer.
pub const MAX_LISTED: usize = 1_000;

/// What the journal holds and what the import does (or would do) with it.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
#[schema(as = LegacyImportSummary)]
pub struct Summary {
    /// How the file was read: `xlsx`, `csv (Windows-1251, ;)`…
    pub format: String,
    /// The header row's number.
    pub header_row: usize,
    /// Journal rows read below the header (empty rows and titles between rows not counted).
    pub rows: usize,
    /// Empty rows and titles skipped.
    pub skipped_rows: usize,
    /// Rows refused.
    pub refused_rows: usize,
    /// Appeals the import adds (would add, in a dry run).
    pub appeals: usize,
    /// Rows whose journal number the registry already has for that year: skipped.
    pub already_imported: usize,
    /// Questions of the appeals added.
    pub questions: usize,
    /// Appeals added with an earlier appeal of the same person on the same question (stored or
    /// earlier in the journal): linked as repeated (or as duplicates while the earlier one was
    /// still being considered).
    pub repeats: usize,
    /// Questions left «не определён»: the classifier found nothing in the «Вопрос» column.
    pub unknown_questions: usize,
    /// Rows whose executor is not a user of the service (the executor is not recorded).
    pub unknown_executors: usize,
    /// Appeals added per registration year.
    pub years: BTreeMap<i32, usize>,
}

/// The answer of an import or a dry run.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
#[schema(as = LegacyImportOutcome)]
pub struct Outcome {
    /// True when nothing was stored.
    pub dry_run: bool,
    /// Appeals stored (0 in a dry run).
    pub imported: usize,
    /// What happened, in Russian.
    pub message: String,
    /// Figures of the journal.
    pub summary: Summary,
    /// Rows refused, each with its row number, column and message (the first 1,000).
    pub errors: Vec<RowError>,
    /// Rows whose question stays «не определён» (the first 1,000).
    pub unknown_questions: Vec<Unknown>,
}

/// A file-level refusal (no header row, an unreadable file, a bad mapping default).
fn file_error(message: impl Into<String>) -> ServiceError {
    ServiceError::Invalid(vec![FieldError { field: "file".into(), message: message.into() }])
}

/// Reads, checks and (unless `dry_run`) imports a journal file for `org` on behalf of `actor`.
/// A real run with any refused row stores nothing and answers the rows
/// (`ServiceError::Invalid`, fields `rows[N].<column>`).
pub fn run(state: &AppState, org: &str, actor: Option<&str>, bytes: &[u8], mapping: &Mapping, dry_run: bool) -> Result<Outcome, ServiceError> {
    let started = std::time::Instant::now();
    let form = Form::parse(&mapping.defaults.form).ok_or_else(|| file_error(format!("файл сопоставления: форма «{}» неизвестна (written, electronic, oral)", mapping.defaults.form)))?;
    let kind = Kind::parse(&mapping.defaults.kind).ok_or_else(|| file_error(format!("файл сопоставления: вид «{}» неизвестен (proposal, statement, complaint, other)", mapping.defaults.kind)))?;
    let read = table::read(bytes).map_err(file_error)?;
    let lookup = state.classifier.snapshot();
    let classifier = Classifier::new(&lookup);
    // Journals repeat their questions: each distinct cell (with the summary, when a section's
    // name is narrowed by it) is looked up once.
    let cache: std::cell::RefCell<HashMap<(String, String), Option<String>>> = Default::default();
    let classify = |cell: &str, summary: &str| -> Option<String> {
        let key = (cell.to_string(), summary.to_string());
        if let Some(hit) = cache.borrow().get(&key) {
            return hit.clone();
        }
        let got = classifier.classify(cell, summary);
        cache.borrow_mut().insert(key, got.clone());
        got
    };
    let parsed = rows::parse(&read.rows, mapping, state.today(org), &classify).map_err(file_error)?;
    let parsed_at = started.elapsed();
    let labels = parsed.labels.clone();
    let mut errors = parsed.errors;
    let refused_rows: HashSet<usize> = errors.iter().map(|e| e.row).collect();
    let mut summary = Summary {
        format: read.format,
        header_row: parsed.header_row,
        rows: parsed.records.len() + refused_rows.len(),
        skipped_rows: parsed.skipped,
        ..Default::default()
    };
    drop(read.rows);
    // Rows already imported (same journal number, same year) are skipped.
    let numbers: Vec<String> = parsed.records.iter().map(|r| r.number.clone()).collect::<HashSet<_>>().into_iter().collect();
    let done: HashSet<(String, i32)> = crate::store::legacy::imported(&state.pool, org, &numbers)?.into_iter().map(|(n, d)| (n, d.year())).collect();
    let card_numbers = rows::card_numbers(&parsed.records);
    let mut fresh: Vec<(&Record, String)> = Vec::new();
    for (r, n) in parsed.records.iter().zip(card_numbers) {
        if done.contains(&(r.number.clone(), r.registered_on.year())) {
            summary.already_imported += 1;
        } else {
            fresh.push((r, n));
        }
    }
    // A card number another appeal already has is refused with its row.
    let wanted: Vec<String> = fresh.iter().map(|(_, n)| n.clone()).collect();
    let taken: HashSet<String> = crate::store::legacy::taken_numbers(&state.pool, org, &wanted)?.into_iter().collect();
    for (r, n) in &fresh {
        if taken.contains(n) {
            errors.push(RowError { row: r.row, column: labels[&Column::Number].clone(), message: format!("номер «{n}» уже есть в реестре у другого обращения") });
        }
    }
    let max = state.settings.limits.import_items;
    if fresh.len() > max {
        return Err(file_error(format!("в журнале {} новых обращений; за один раз импортируется не больше {max} (limits.import_items): разделите файл", fresh.len())));
    }
    let executors = Executors::load(state, org)?;
    // The undetermined question is validated as a known one: its classifier entry is added
    // only when a real run stores it.
    let stand_in = lookup.entries().find(|e| crate::domain::classifier::is_question_level(&e.code)).map(|e| e.code.clone()).unwrap_or_else(|| UNDETERMINED.into());
    let mut items: Vec<NewAppeal> = Vec::with_capacity(fresh.len());
    let today = state.today(org);
    for (r, number) in &fresh {
        if taken.contains(number) {
            continue;
        }
        let d = draft(state, org, r, number, form, kind, mapping);
        let mut checked = d.clone();
        if r.code.is_none() {
            checked.questions[0].code = stand_in.clone();
        }
        let derived = match crate::intake::validate(state, org, &checked, true) {
            Ok(derived) => derived,
            Err(errs) => {
                errors.extend(errs.into_iter().map(|e| RowError { row: r.row, column: column_of_field(&e.field, &labels), message: e.message }));
                continue;
            }
        };
        let at = d.registered_at.unwrap_or_else(|| state.now());
        let mut new = super::prepare(state, org, actor, &d, &derived, at, "imported");
        new.appeal.legacy_number = Some(r.number.clone());
        if let Some(due) = r.due.filter(|due| *due >= r.registered_on) {
            new.appeal.due_date = due;
        }
        if r.answered_on.is_some() || r.result.is_some() {
            // Answered in the journal: stored as closed on the answer's day (without one, on
            // the journal's deadline when it has passed, else on the registration day).
            let on = r.answered_on.unwrap_or_else(|| r.due.filter(|d| *d >= r.registered_on && *d <= today).unwrap_or(r.registered_on));
            let at: NaiveDateTime = state.start_of(org, on) + Duration::hours(12);
            let result = r.result.unwrap_or(QuestionResult::Answered);
            let executor = r.executor.as_deref().and_then(|e| executors.find(e));
            let a = &mut new.appeal;
            a.status = crate::domain::workflow::Status::Closed.as_str().into();
            a.answered_at = Some(at);
            a.answered_on = Some(on);
            a.answer_sent_on = Some(on);
            a.closed_at = Some(at);
            a.closed_on = Some(on);
            for q in &mut new.questions {
                q.result = Some(result.as_str().into());
                q.actions_taken = result == QuestionResult::SupportedMeasuresTaken;
                q.result_on = Some(on);
                q.executor_id = executor.clone();
            }
        }
        if r.executor.as_deref().is_some_and(|e| executors.find(e).is_none()) {
            summary.unknown_executors += 1;
        }
        items.push(new);
    }
    errors.sort_by_key(|e| e.row);
    summary.refused_rows = errors.iter().map(|e| e.row).collect::<HashSet<_>>().len();
    summary.rows = summary.rows.max(parsed.records.len());
    let fresh_rows: HashSet<usize> = fresh.iter().map(|(r, _)| r.row).collect();
    let unknown: Vec<Unknown> = parsed.unknown.into_iter().filter(|u| fresh_rows.contains(&u.row)).collect();
    summary.unknown_questions = unknown.len();
    summary.appeals = items.len();
    summary.questions = items.iter().map(|i| i.questions.len()).sum();
    for i in &items {
        *summary.years.entry(i.reg_year).or_default() += 1;
    }
    summary.repeats = repeats(state, org, &items)?;
    let mut outcome = Outcome { dry_run, summary, unknown_questions: unknown, ..Default::default() };
    outcome.unknown_questions.truncate(MAX_LISTED);
    tracing::info!(rows = outcome.summary.rows, appeals = items.len(), refused = outcome.summary.refused_rows, parse_ms = parsed_at.as_millis() as u64, checked_ms = started.elapsed().as_millis() as u64, dry_run, "legacy journal checked");
    if dry_run {
        outcome.message = if errors.is_empty() {
            format!("Проверка: строк журнала {}, будет добавлено обращений {}, уже импортировано ранее {}; ошибок нет.", outcome.summary.rows, items.len(), outcome.summary.already_imported)
        } else {
            format!("Проверка: строк журнала {}, с ошибками {}: исправьте их, иначе журнал не будет импортирован.", outcome.summary.rows, outcome.summary.refused_rows)
        };
        errors.truncate(MAX_LISTED);
        outcome.errors = errors;
        return Ok(outcome);
    }
    if !errors.is_empty() {
        errors.truncate(MAX_LISTED);
        return Err(ServiceError::Invalid(errors.into_iter().map(|e| FieldError { field: format!("rows[{}].{}", e.row, e.column), message: e.message }).collect()));
    }
    if items.is_empty() {
        outcome.message = format!("Новых обращений нет: все обращения журнала ({}) уже импортированы ранее, ничего не добавлено.", outcome.summary.already_imported);
        return Ok(outcome);
    }
    if items.iter().any(|i| i.questions.iter().any(|q| q.code == UNDETERMINED)) {
        ensure_undetermined(state)?;
    }
    let ids = super::import(state, &items)?;
    outcome.imported = ids.len();
    outcome.message = format!(
        "Импортировано обращений: {}{}.",
        ids.len(),
        if outcome.summary.already_imported > 0 { format!(", уже были импортированы ранее и пропущены: {}", outcome.summary.already_imported) } else { String::new() }
    );
    tracing::info!(imported = ids.len(), ms = started.elapsed().as_millis() as u64, "legacy journal imported");
    Ok(outcome)
}

/// The import record of a journal row: the same body `POST /api/v1/imports/appeals` takes.
fn draft(state: &AppState, org: &str, r: &Record, number: &str, form: Form, kind: Kind, mapping: &Mapping) -> AppealDraft {
    // Registered at noon of the journal's day: the day stays the same in every time zone.
    let at = (state.start_of(org, r.registered_on) + Duration::hours(12)).and_utc();
    AppealDraft {
        channel: mapping.defaults.channel.clone(),
        form,
        kind,
        received_on: r.received_on,
        legal_regime: None,
        applicants: r
            .person
            .iter()
            .map(|p| ApplicantInput { full_name: p.name.clone(), postal_address: p.address.clone(), email: None, phone: None, epgu_id: None, is_organization: false })
            .collect(),
        collective: false,
        signatures: None,
        summary: r.summary.clone(),
        questions: vec![QuestionInput { code: r.code.clone().unwrap_or_else(|| UNDETERMINED.into()), text: r.question.clone().filter(|q| Some(q) != r.code.as_ref()) }],
        reply_channel: None,
        source: None,
        external_id: None,
        reception: None,
        migration_case: false,
        registered_at: Some(at),
        reg_number: Some(number.to_string()),
    }
}

/// The journal column a validation error of the import record belongs to.
fn column_of_field(field: &str, labels: &BTreeMap<Column, String>) -> String {
    let c = match field.split(['.', '[']).next().unwrap_or(field) {
        "received_on" => Column::Received,
        "registered_at" => Column::Registered,
        "reg_number" => Column::Number,
        "summary" => Column::Summary,
        "questions" => Column::Question,
        "applicants" if field.ends_with("postal_address") => Column::Address,
        "applicants" => Column::Applicant,
        "channel" => return "[defaults] channel".into(),
        other => return other.to_string(),
    };
    labels[&c].clone()
}

/// How many appeals have an earlier appeal of the same person on the same question, stored or
/// earlier among `items` (what the import's repeat detection links them to).
fn repeats(state: &AppState, org: &str, items: &[NewAppeal]) -> Result<usize, ServiceError> {
    let keys: Vec<String> = items.iter().flat_map(|i| i.match_keys.iter().map(|k| k.match_key.clone())).collect::<HashSet<_>>().into_iter().collect();
    let mut earliest: HashMap<(String, String), (NaiveDateTime, String)> = HashMap::new();
    let mut note = |k: String, c: String, at: NaiveDateTime, id: String| {
        let e = earliest.entry((k, c)).or_insert((at, id.clone()));
        if (at, &id) < (e.0, &e.1) {
            *e = (at, id);
        }
    };
    for (k, c, at) in crate::store::legacy::stored_keys(&state.pool, org, &keys)? {
        note(k, c, at, String::new());
    }
    for i in items {
        for k in &i.match_keys {
            note(k.match_key.clone(), k.code.clone(), k.registered_at, k.appeal_id.clone());
        }
    }
    Ok(items
        .iter()
        .filter(|i| i.match_keys.iter().any(|k| earliest.get(&(k.match_key.clone(), k.code.clone())).is_some_and(|(at, id)| (*at, id.as_str()) < (k.registered_at, k.appeal_id.as_str()))))
        .count())
}

/// Adds the «не определён» question to the classifier (reference data; kept when the import
/// itself fails) and to the codes validation knows.
fn ensure_undetermined(state: &AppState) -> Result<(), ServiceError> {
    if state.codes.read().unwrap_or_else(|e| e.into_inner()).contains_key(UNDETERMINED) {
        return Ok(());
    }
    let entries: Vec<crate::domain::classifier::Entry> = UNDETERMINED_ENTRIES
        .iter()
        .map(|(code, level, parent, name)| crate::domain::classifier::Entry { code: (*code).into(), level: *level, parent: parent.map(Into::into), name: (*name).into() })
        .collect();
    crate::store::classifier::upsert_all(&state.pool, &entries)?;
    let mut codes = state.codes.write().unwrap_or_else(|e| e.into_inner());
    for e in entries {
        codes.insert(e.code, e.name);
    }
    Ok(())
}

/// The organization's users by name, for the journal's «Исполнитель»: the full name, or the
/// surname with initials («Петрова А.С.» is Петрова Анна Сергеевна) when only one user has them.
struct Executors {
    by_key: HashMap<String, Option<String>>,
}

impl Executors {
    fn load(state: &AppState, org: &str) -> Result<Executors, ServiceError> {
        let mut by_key: HashMap<String, Option<String>> = HashMap::new();
        for (u, _) in crate::store::users::list_users(&state.pool, org, None, true)? {
            for k in [keys::name_key(&u.full_name), initials_key(&u.full_name)] {
                by_key.entry(k).and_modify(|v| {
                    if v.as_deref() != Some(u.id.as_str()) {
                        *v = None;
                    }
                }).or_insert(Some(u.id.clone()));
            }
        }
        Ok(Executors { by_key })
    }

    fn find(&self, name: &str) -> Option<String> {
        self.by_key.get(&keys::name_key(name)).or_else(|| self.by_key.get(&initials_key(name))).cloned().flatten()
    }
}

/// A name as its surname and initials: «Петрова Анна Сергеевна» and «Петрова А. С.» both give
/// «петрова а с».
fn initials_key(name: &str) -> String {
    let key = keys::name_key(name);
    let mut words = key.split(' ').filter(|w| !w.is_empty());
    let mut out = words.next().unwrap_or_default().to_string();
    for w in words {
        out.push(' ');
        out.extend(w.chars().next());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn initials_meet_full_names() {
        assert_eq!(initials_key("Петрова Анна Сергеевна"), initials_key("Петрова А.С."));
        assert_eq!(initials_key("Петрова А. С."), "петрова а с");
        assert_ne!(initials_key("Петрова Анна Сергеевна"), initials_key("Петров А.С."));
    }

    #[test]
    fn validation_fields_land_in_journal_columns() {
        let labels: BTreeMap<Column, String> = Column::ALL.iter().map(|&c| (c, c.label().to_string())).collect();
        assert_eq!(column_of_field("received_on", &labels), "Дата поступления");
        assert_eq!(column_of_field("applicants[0].full_name", &labels), "Ф.И.О.");
        assert_eq!(column_of_field("applicants[0].postal_address", &labels), "Адрес");
        assert_eq!(column_of_field("questions[0].code", &labels), "Вопрос");
        assert_eq!(column_of_field("channel", &labels), "[defaults] channel");
    }
}
