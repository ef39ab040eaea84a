//! ГАСУ ММО monthly forms (DOMAIN.md §7): «Информация о результатах рассмотрения обращений в
//! ОМСУ» and «Информация о проведении личного приема граждан». No public template exists, so
//! the appeals form is an indicator set read from `config/exports/gasu_appeals.toml` at each
//! request (a deployment adds an indicator by editing that file alone); both forms are written
//! as XLSX or as CSV (UTF-8 with BOM, `;`), the way regional systems take them.

use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::exports::Period;
use crate::store::StoreError;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

/// The shipped indicator set, used when the deployment's config folder has none.
const APPEALS_DEFAULT: &str = include_str!("../../config/exports/gasu_appeals.toml");
/// The shipped reception form headings.
const RECEPTION_DEFAULT: &str = include_str!("../../config/exports/gasu_reception.toml");

/// What an indicator counts.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Count {
    /// Appeals registered in the month.
    Appeals,
    /// Their questions.
    Questions,
}

/// A value or a list of values a fact must equal.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Match {
    /// One string.
    One(String),
    /// A flag.
    Flag(bool),
    /// Any of these.
    Any(Vec<String>),
}

impl Match {
    fn accepts(&self, value: &str) -> bool {
        match self {
            Match::One(s) => s == value,
            Match::Flag(b) => value == if *b { "true" } else { "false" },
            Match::Any(list) => list.iter().any(|s| s == value),
        }
    }
}

/// One row of the form.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Indicator {
    /// Row code, e.g. `1.2`.
    pub code: String,
    /// Row name.
    pub name: String,
    /// Appeals or questions.
    pub count: Count,
    /// Facts that must all match.
    #[serde(default, rename = "where")]
    pub filter: BTreeMap<String, Match>,
}

/// An indicator set.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSet {
    /// Form title.
    pub title: String,
    /// Rows in order.
    pub indicators: Vec<Indicator>,
}

/// The reception form's headings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceptionForm {
    /// Form title.
    pub title: String,
    /// Seven column headings.
    pub columns: Vec<String>,
}

/// Facts a filter may name, known for appeals and (with `section`, `code`, `result`) questions.
pub const FACTS: [&str; 16] = [
    "form", "channel", "kind", "legal_regime", "status", "section", "code", "result", "repeated", "collective", "on_control", "on_site_check", "extended", "late", "forwarded_in", "returned",
];

/// Parses and checks an indicator set: every filter names a known fact.
pub fn parse_set(text: &str) -> Result<IndicatorSet, String> {
    let set: IndicatorSet = toml::from_str(text).map_err(|e| e.to_string())?;
    for i in &set.indicators {
        if let Some(k) = i.filter.keys().find(|k| !FACTS.contains(&k.as_str())) {
            return Err(format!("indicator {}: unknown fact `{k}` (known: {})", i.code, FACTS.join(", ")));
        }
    }
    Ok(set)
}

fn flag(b: bool) -> String {
    if b { "true" } else { "false" }.into()
}

/// The appeal-level facts of a card.
pub fn appeal_facts(c: &CardData) -> HashMap<&'static str, Vec<String>> {
    let a = &c.appeal;
    let mut f: HashMap<&'static str, Vec<String>> = HashMap::new();
    f.insert("form", vec![a.form.clone()]);
    f.insert("channel", vec![a.channel.clone()]);
    f.insert("kind", vec![a.kind.clone()]);
    f.insert("legal_regime", vec![a.legal_regime.clone()]);
    f.insert("status", vec![a.status.clone()]);
    f.insert("repeated", vec![flag(a.repeated)]);
    f.insert("collective", vec![flag(a.collective)]);
    f.insert("on_control", vec![flag(a.put_on_control_at.is_some())]);
    f.insert("on_site_check", vec![flag(a.on_site_check)]);
    f.insert("extended", vec![flag(a.extension_days.is_some())]);
    f.insert("late", vec![flag(a.answered_on.is_some_and(|d| d > a.due_date))]);
    f.insert("forwarded_in", vec![flag(a.source_organization.is_some())]);
    f.insert("returned", vec![flag(a.returned_count > 0)]);
    f.insert("section", c.questions.iter().map(|q| q.section.clone()).collect());
    f.insert("code", c.questions.iter().map(|q| q.code.clone()).collect());
    f.insert("result", c.questions.iter().map(|q| q.result.clone().unwrap_or_else(|| "none".into())).collect());
    f
}

fn matches(facts: &HashMap<&'static str, Vec<String>>, filter: &BTreeMap<String, Match>) -> bool {
    filter.iter().all(|(k, m)| facts.get(k.as_str()).is_some_and(|vs| vs.iter().any(|v| m.accepts(v))))
}

/// The figure of every indicator over the month's cards.
pub fn evaluate(set: &IndicatorSet, cards: &[CardData]) -> Vec<(String, String, i64)> {
    let appeals: Vec<HashMap<&'static str, Vec<String>>> = cards.iter().map(appeal_facts).collect();
    let questions: Vec<HashMap<&'static str, Vec<String>>> = cards
        .iter()
        .zip(&appeals)
        .flat_map(|(c, f)| {
            c.questions.iter().map(move |q| {
                let mut qf = f.clone();
                qf.insert("section", vec![q.section.clone()]);
                qf.insert("code", vec![q.code.clone()]);
                qf.insert("result", vec![q.result.clone().unwrap_or_else(|| "none".into())]);
                qf
            })
        })
        .collect();
    set.indicators
        .iter()
        .map(|i| {
            let pool = if i.count == Count::Appeals { &appeals } else { &questions };
            (i.code.clone(), i.name.clone(), pool.iter().filter(|f| matches(f, &i.filter)).count() as i64)
        })
        .collect()
}

/// A cell of a form.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// Text.
    Text(String),
    /// A figure.
    Number(i64),
}

/// A form ready to write: title, headings, rows.
#[derive(Clone, Debug)]
pub struct Table {
    /// Title (first row).
    pub title: String,
    /// Column headings.
    pub headers: Vec<String>,
    /// Rows.
    pub rows: Vec<Vec<Cell>>,
}

/// CSV as regional systems and Russian Excel read it (through the service's one CSV writer).
pub fn to_csv(t: &Table) -> Vec<u8> {
    use crate::csv::Field;
    let mut w = crate::csv::Writer::new();
    w.texts(&[&t.title]);
    w.texts(&t.headers);
    for r in &t.rows {
        w.row(r.iter().map(|c| match c {
            Cell::Text(s) => Field::Text(s),
            Cell::Number(n) => Field::Int(*n),
        }));
    }
    w.finish()
}

/// The form as an XLSX workbook: title in A1, headings in row 2, figures as numbers.
pub fn to_xlsx(t: &Table) -> Result<Vec<u8>, String> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    ws.set_name("Форма").map_err(|e| e.to_string())?;
    let bold = Format::new().set_bold();
    ws.write_string_with_format(0, 0, &t.title, &bold).map_err(|e| e.to_string())?;
    for (c, h) in t.headers.iter().enumerate() {
        ws.write_string_with_format(1, c as u16, h, &bold).map_err(|e| e.to_string())?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 2, c as u16);
            match cell {
                Cell::Text(s) => ws.write_string(r, c, s),
                Cell::Number(n) => ws.write_number(r, c, *n as f64),
            }
            .map_err(|e| e.to_string())?;
        }
    }
    ws.set_column_width(1, 60).map_err(|e| e.to_string())?;
    wb.save_to_buffer().map_err(|e| e.to_string())
}

/// Reads `config/exports/NAME` from the deployment's config folder, else the shipped copy.
fn config_text(state: &AppState, name: &str, shipped: &str) -> String {
    std::fs::read_to_string(state.settings.config_dir.join("exports").join(name)).unwrap_or_else(|_| shipped.to_string())
}

fn period(state: &AppState, month: &str) -> Option<Period> {
    let (from, to) = super::sstu::parse_month(month)?;
    Some(Period { from, to, from_at: state.start_of(from), to_at: state.start_of(to) })
}

/// Why a form was not built.
#[derive(Debug, thiserror::Error)]
pub enum FormError {
    /// Not `YYYY-MM`.
    #[error("bad month")]
    Month,
    /// The deployment's indicator file cannot be used.
    #[error("config/exports: {0}")]
    Config(String),
    /// Storage.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// «Информация о результатах рассмотрения обращений в ОМСУ» for a month: one row per indicator.
pub fn appeals_form(state: &AppState, org: &str, month: &str) -> Result<Table, FormError> {
    let set = parse_set(&config_text(state, "gasu_appeals.toml", APPEALS_DEFAULT)).map_err(FormError::Config)?;
    let p = period(state, month).ok_or(FormError::Month)?;
    let mut cards = crate::store::exports::registered_cards(&state.pool, org, &p)?;
    // The body's counting convention, as every other output follows it: the twelve monthly
    // forms add up to the annual report.
    let counting = state.settings.statistics;
    cards.retain(|c| counting.in_totals(&c.appeal.channel, &c.appeal.form));
    let rows = evaluate(&set, &cards).into_iter().map(|(code, name, n)| vec![Cell::Text(code), Cell::Text(name), Cell::Number(n)]).collect();
    Ok(Table { title: format!("{} за {}", set.title, crate::domain::ru::month(p.from)), headers: vec!["Код".into(), "Показатель".into(), "Значение".into()], rows })
}

/// «Информация о проведении личного приема граждан» for a month: one row per reception with
/// citizens booked, questions by classifier code, oral answers, written appeals taken.
pub fn reception_form(state: &AppState, org: &str, month: &str) -> Result<Table, FormError> {
    let form: ReceptionForm = toml::from_str(&config_text(state, "gasu_reception.toml", RECEPTION_DEFAULT)).map_err(|e| FormError::Config(e.to_string()))?;
    if form.columns.len() != 7 {
        return Err(FormError::Config("gasu_reception.toml: columns needs 7 headings".into()));
    }
    let p = period(state, month).ok_or(FormError::Month)?;
    let receptions = crate::store::receptions::list(&state.pool, org, p.from, p.to.pred_opt().unwrap_or(p.to))?;
    let ids: Vec<String> = receptions.iter().flat_map(|(_, v)| v.iter().filter_map(|x| x.appeal_id.clone())).collect();
    let cards: HashMap<String, CardData> = crate::store::exports::cards_by_ids(&state.pool, org, &ids)?.into_iter().map(|c| (c.appeal.id.clone(), c)).collect();
    let rows = receptions
        .into_iter()
        .map(|(r, visitors)| {
            let mine: Vec<&CardData> = visitors.iter().filter_map(|v| v.appeal_id.as_ref().and_then(|id| cards.get(id))).collect();
            let mut codes: BTreeMap<&str, i64> = BTreeMap::new();
            for c in &mine {
                for q in &c.questions {
                    *codes.entry(q.code.as_str()).or_default() += 1;
                }
            }
            let oral = mine.iter().filter(|c| c.appeal.form == "oral" && c.answers.iter().any(|a| a.sent_channel.as_deref() == Some("by_hand"))).count();
            let written = mine.iter().filter(|c| c.appeal.form != "oral").count();
            let role = if r.official_role == "head" { "Глава" } else { "Заместитель главы" };
            vec![
                Cell::Text(r.held_on.format("%d.%m.%Y").to_string()),
                Cell::Text(r.official),
                Cell::Text(role.into()),
                Cell::Number(visitors.len() as i64),
                Cell::Text(codes.iter().map(|(k, n)| format!("{k} — {n}")).collect::<Vec<_>>().join(", ")),
                Cell::Number(oral as i64),
                Cell::Number(written as i64),
            ]
        })
        .collect();
    Ok(Table { title: format!("{} за {}", form.title, crate::domain::ru::month(p.from)), headers: form.columns, rows })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_sets_parse() {
        let set = parse_set(APPEALS_DEFAULT).unwrap();
        assert!(set.indicators.len() > 20);
        let f: ReceptionForm = toml::from_str(RECEPTION_DEFAULT).unwrap();
        assert_eq!(f.columns.len(), 7);
    }

    #[test]
    fn unknown_facts_are_refused() {
        let e = parse_set("title = \"x\"\n[[indicators]]\ncode = \"1\"\nname = \"n\"\ncount = \"appeals\"\nwhere = { colour = \"red\" }\n").unwrap_err();
        assert!(e.contains("colour"), "{e}");
    }

    #[test]
    fn csv_has_a_bom_semicolons_and_quotes() {
        let t = Table { title: "Форма".into(), headers: vec!["a".into(), "b;c".into()], rows: vec![vec![Cell::Text("x\"y".into()), Cell::Number(3)]] };
        let s = String::from_utf8(to_csv(&t)).unwrap();
        assert_eq!(s, "\u{feff}Форма\r\na;\"b;c\"\r\n\"x\"\"y\";3\r\n");
    }
}
