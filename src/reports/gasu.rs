//! ГАСУ ММО monthly forms (docs/domain.md §7): «Информация о результатах рассмотрения обращений в
//! ОМСУ» and «Информация о проведении личного приема граждан». No public template exists, so
//! the appeals form is an indicator set read from `config/exports/gasu_appeals.toml` at each
//! request (a deployment adds an indicator by editing that file alone); both forms are written
//! as XLSX or as CSV (UTF-8 with BOM, `;`), the way regional systems take them.

use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::exports::Period;
use crate::store::gasu::{question_column, AnyQuestion, FactGroup};
use crate::store::ServiceError;
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

/// The facts of a group by name, as `where` names them (flags as `true`/`false`).
fn fact<'a>(g: &'a FactGroup, name: &str) -> Option<std::borrow::Cow<'a, str>> {
    use std::borrow::Cow;
    let flag = |v: i32| Some(Cow::Borrowed(if v != 0 { "true" } else { "false" }));
    match name {
        "form" => Some(Cow::Borrowed(g.form.as_str())),
        "channel" => Some(Cow::Borrowed(g.channel.as_str())),
        "kind" => Some(Cow::Borrowed(g.kind.as_str())),
        "legal_regime" => Some(Cow::Borrowed(g.legal_regime.as_str())),
        "status" => Some(Cow::Borrowed(g.status.as_str())),
        "repeated" => flag(g.repeated),
        "collective" => flag(g.collective),
        "on_control" => flag(g.on_control),
        "on_site_check" => flag(g.on_site_check),
        "extended" => flag(g.extended),
        "late" => flag(g.late),
        "forwarded_in" => flag(g.forwarded_in),
        "returned" => flag(g.returned),
        "section" => g.section.as_deref().map(Cow::Borrowed),
        "code" => g.code.as_deref().map(Cow::Borrowed),
        "result" => g.result.as_deref().map(Cow::Borrowed),
        _ => None,
    }
}

impl Match {
    /// The values this condition accepts, as text.
    fn values(&self) -> Vec<String> {
        match self {
            Match::One(s) => vec![s.clone()],
            Match::Flag(b) => vec![if *b { "true" } else { "false" }.into()],
            Match::Any(list) => list.clone(),
        }
    }
}

/// Whether a group meets every condition of `filter` except the question-level ones `skip`
/// says were already applied in SQL.
fn matches(g: &FactGroup, filter: &BTreeMap<String, Match>, skip_question_facts: bool) -> bool {
    filter.iter().all(|(k, m)| {
        if skip_question_facts && question_column(k).is_some() {
            return true;
        }
        fact(g, k).is_some_and(|v| m.accepts(&v))
    })
}

/// The sum over the groups that meet `filter`.
pub fn sum(groups: &[FactGroup], filter: &BTreeMap<String, Match>, skip_question_facts: bool) -> i64 {
    groups.iter().filter(|g| matches(g, filter, skip_question_facts)).map(|g| g.n).sum()
}

/// The question-level conditions of an appeal indicator (answered in SQL, each by some question).
pub fn question_conditions(filter: &BTreeMap<String, Match>) -> Vec<AnyQuestion> {
    filter.iter().filter(|(k, _)| question_column(k).is_some()).map(|(k, m)| AnyQuestion { fact: k.clone(), values: m.values() }).collect()
}

/// The figure of every indicator, from the month's groups: appeal indicators over the appeal
/// groups (re-grouped in SQL with the question-level conditions where an indicator has any),
/// question indicators over the question groups. Groups the body's counting convention leaves
/// out of the totals are dropped first, as everywhere.
pub fn evaluate(
    set: &IndicatorSet,
    counting: crate::domain::counting::Counting,
    appeals: &[FactGroup],
    questions: &[FactGroup],
    mut with_questions: impl FnMut(&[AnyQuestion]) -> Result<Vec<FactGroup>, ServiceError>,
) -> Result<Vec<(String, String, i64)>, ServiceError> {
    let counted = |gs: &[FactGroup]| -> Vec<FactGroup> { gs.iter().filter(|g| counting.in_totals(&g.channel, &g.form)).cloned().collect() };
    let (appeals, questions) = (counted(appeals), counted(questions));
    let mut out = Vec::with_capacity(set.indicators.len());
    for i in &set.indicators {
        let n = match i.count {
            Count::Questions => sum(&questions, &i.filter, false),
            Count::Appeals => {
                let conditions = question_conditions(&i.filter);
                if conditions.is_empty() {
                    sum(&appeals, &i.filter, false)
                } else {
                    sum(&counted(&with_questions(&conditions)?), &i.filter, true)
                }
            }
        };
        out.push((i.code.clone(), i.name.clone(), n));
    }
    Ok(out)
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

fn period(state: &AppState, org: &str, month: &str) -> Option<Period> {
    let (from, to) = super::sstu::parse_month(month)?;
    Some(super::sstu::month_period(state, org, from, to))
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
    Store(#[from] ServiceError),
}

/// «Информация о результатах рассмотрения обращений в ОМСУ» for a month: one row per indicator.
pub fn appeals_form(state: &AppState, org: &str, month: &str) -> Result<Table, FormError> {
    let set = parse_set(&config_text(state, "gasu_appeals.toml", APPEALS_DEFAULT)).map_err(FormError::Config)?;
    let p = period(state, org, month).ok_or(FormError::Month)?;
    // Counted in SQL by groups of facts; the body's counting convention, as every other output
    // follows it, so the twelve monthly forms add up to the annual report.
    // The two groupings are independent reads of the month: asked at once on two connections,
    // the form costs the longer of them, not their sum.
    let (appeals, questions) = std::thread::scope(|s| {
        let questions = s.spawn(|| crate::store::gasu::question_groups(&state.pool, org, &p));
        let appeals = crate::store::gasu::appeal_groups(&state.pool, org, &p, &[]);
        (appeals, questions.join().unwrap_or_else(|panic| std::panic::resume_unwind(panic)))
    });
    let (appeals, questions) = (appeals?, questions?);
    let figures = evaluate(&set, state.settings.statistics, &appeals, &questions, |any| crate::store::gasu::appeal_groups(&state.pool, org, &p, any))?;
    let rows = figures.into_iter().map(|(code, name, n)| vec![Cell::Text(code), Cell::Text(name), Cell::Number(n)]).collect();
    Ok(Table { title: format!("{} за {}", set.title, crate::domain::ru::month(p.from)), headers: vec!["Код".into(), "Показатель".into(), "Значение".into()], rows })
}

/// «Информация о проведении личного приема граждан» for a month: one row per reception with
/// citizens booked, questions by classifier code, oral answers, written appeals taken.
pub fn reception_form(state: &AppState, org: &str, month: &str) -> Result<Table, FormError> {
    let form: ReceptionForm = toml::from_str(&config_text(state, "gasu_reception.toml", RECEPTION_DEFAULT)).map_err(|e| FormError::Config(e.to_string()))?;
    if form.columns.len() != 7 {
        return Err(FormError::Config("gasu_reception.toml: columns needs 7 headings".into()));
    }
    let p = period(state, org, month).ok_or(FormError::Month)?;
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

    fn group(channel: &str, form: &str, repeated: bool, question: Option<(&str, &str)>, n: i64) -> FactGroup {
        FactGroup {
            channel: channel.into(),
            form: form.into(),
            kind: "statement".into(),
            legal_regime: "fz59".into(),
            status: "closed".into(),
            repeated: repeated as i32,
            section: question.map(|(s, _)| s.into()),
            code: question.map(|(s, _)| format!("{s}.0001.0001.0001")),
            result: question.map(|(_, r)| r.into()),
            n,
            ..Default::default()
        }
    }

    #[test]
    fn indicators_sum_their_groups_under_the_counting_convention() {
        use crate::domain::counting::Counting;
        let set = parse_set(
            "title = \"t\"\n[[indicators]]\ncode = \"1\"\nname = \"все\"\ncount = \"appeals\"\n\
             [[indicators]]\ncode = \"2\"\nname = \"повторные\"\ncount = \"appeals\"\nwhere = { repeated = true }\n\
             [[indicators]]\ncode = \"3\"\nname = \"вопросы 0003\"\ncount = \"questions\"\nwhere = { section = \"0003\", result = [\"explained\", \"none\"] }\n\
             [[indicators]]\ncode = \"4\"\nname = \"обращения с вопросом 0003\"\ncount = \"appeals\"\nwhere = { section = \"0003\", form = \"written\" }\n",
        )
        .unwrap();
        let appeals = vec![group("post", "written", false, None, 5), group("email", "electronic", true, None, 3), group("personal_reception", "oral", true, None, 2)];
        let questions = vec![
            group("post", "written", false, Some(("0003", "explained")), 4),
            group("post", "written", false, Some(("0003", "supported")), 1),
            group("personal_reception", "oral", true, Some(("0003", "none")), 2),
        ];
        let mut asked = Vec::new();
        let mut figures = |counting: Counting| {
            evaluate(&set, counting, &appeals, &questions, |any| {
                asked.push(any.to_vec());
                Ok(vec![group("post", "written", false, None, 4), group("personal_reception", "oral", false, None, 2)])
            })
            .unwrap()
            .into_iter()
            .map(|(_, _, n)| n)
            .collect::<Vec<_>>()
        };
        // Apart (the default): oral reception stays out of every figure.
        assert_eq!(figures(Counting { oral_reception_in_totals: false }), vec![8, 3, 4, 4]);
        // In the totals: it counts like any other appeal.
        assert_eq!(figures(Counting { oral_reception_in_totals: true }), vec![10, 5, 6, 4]);
        // The appeal indicator with a question condition was answered by SQL with it, the
        // appeal-level condition (form) applied on the groups.
        assert_eq!(asked[0], vec![AnyQuestion { fact: "section".into(), values: vec!["0003".into()] }]);
    }

    #[test]
    fn csv_has_a_bom_semicolons_and_quotes() {
        let t = Table { title: "Форма".into(), headers: vec!["a".into(), "b;c".into()], rows: vec![vec![Cell::Text("x\"y".into()), Cell::Number(3)]] };
        let s = String::from_utf8(to_csv(&t)).unwrap();
        assert_eq!(s, "\u{feff}Форма\r\na;\"b;c\"\r\n\"x\"\"y\";3\r\n");
    }
}
