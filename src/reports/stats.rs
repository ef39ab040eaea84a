//! The figures of DOMAIN.md §7 for a period beside a comparison period, computed from grouped
//! counts (`crate::store::stats`). Counting rules, as the reports count:
//! - appeals and questions belong to the period of their registration date in the
//!   organization's time zone; questions are counted per appeal (an appeal with two questions
//!   in two sections counts once in each);
//! - oral appeals taken at a personal reception are the reception's figures («принято на личном
//!   приёме N граждан»), not appeals received; a letter handed in at a reception is both;
//! - "answered on time" compares the answer's dispatch date (its approval date where it was
//!   not dispatched) with the deadline; "overdue now" is as of today;
//! - control: put on control in the period, removed from control in the period (closed,
//!   forwarded or left without answer), and on control at the end of the period's last day.

use crate::domain::appeal::QuestionResult;
use crate::store::stats::{AppealGroup, ControlCounts, PeriodCounts, QuestionGroup};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use utoipa::ToSchema;

/// A period's first and last day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub struct PeriodOut {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
}

/// A figure in the period and in the comparison period.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct Figure {
    /// In the period.
    pub current: i64,
    /// In the comparison period (0 without one).
    pub previous: i64,
    /// Change in %, one decimal; absent when the comparison is zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<f64>,
}

impl Figure {
    /// A figure with its change.
    pub fn new(current: i64, previous: i64) -> Figure {
        Figure { current, previous, change_pct: change_pct(current, previous) }
    }
}

/// A share in % in both periods.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct Share {
    /// In the period.
    pub current: f64,
    /// In the comparison period.
    pub previous: f64,
}

/// One line of a breakdown.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Line {
    /// Code (channel, form, classifier code, result…).
    pub code: String,
    /// Russian name.
    pub name: String,
    /// In the period.
    pub current: i64,
    /// In the comparison period.
    pub previous: i64,
    /// Change in %, absent when the comparison is zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<f64>,
}

/// Appeals forwarded to this body by another one.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct SourceLine {
    /// The forwarding body.
    pub organization: String,
    /// In the period.
    pub current: i64,
    /// In the comparison period.
    pub previous: i64,
}

/// Control figures (упреждающий and ежедневный контроль).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct ControlOut {
    /// Put on control in the period.
    pub put_on_control: i64,
    /// Removed from control in the period.
    pub removed_from_control: i64,
    /// In work at the end of the period's last day.
    pub in_work_at_end: i64,
}

impl From<ControlCounts> for ControlOut {
    fn from(c: ControlCounts) -> Self {
        ControlOut { put_on_control: c.put_on_control, removed_from_control: c.removed_from_control, in_work_at_end: c.in_work_at_end }
    }
}

/// Timeliness of the period's appeals.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct Timeliness {
    /// Appeals.
    pub appeals: i64,
    /// Answered.
    pub answered: i64,
    /// Answered on or before the deadline.
    pub on_time: i64,
    /// Answered after it.
    pub late: i64,
    /// Deadline extended.
    pub extended: i64,
    /// Not finished and past the deadline today.
    pub overdue_now: i64,
}

/// Timeliness of one responsible executor.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ExecutorTimeliness {
    /// User id.
    pub user_id: String,
    /// Full name.
    pub full_name: String,
    /// Department.
    pub department: Option<String>,
    /// Figures.
    #[serde(flatten)]
    pub figures: Timeliness,
}

/// Timeliness of one department.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DepartmentTimeliness {
    /// Department (empty: executors without one).
    pub department: String,
    /// Figures.
    #[serde(flatten)]
    pub figures: Timeliness,
}

/// Personal reception by the head and deputies.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ReceptionFigures {
    /// Citizens received by the head.
    pub citizens_by_head: i64,
    /// Citizens received by deputies.
    pub citizens_by_deputies: i64,
    /// Questions raised.
    pub questions: i64,
    /// Questions by section.
    pub by_section: Vec<Line>,
    /// The same figures in the comparison period.
    pub previous: ReceptionTotals,
}

/// Personal reception totals of a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct ReceptionTotals {
    /// Citizens received by the head.
    pub citizens_by_head: i64,
    /// Citizens received by deputies.
    pub citizens_by_deputies: i64,
    /// Questions raised.
    pub questions: i64,
}

/// Every figure of DOMAIN.md §7 (API.md `GET /api/v1/stats`).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Stats {
    /// The period.
    pub period: PeriodOut,
    /// The comparison period, if any.
    pub compare: Option<PeriodOut>,
    /// Appeals received (oral ones at personal reception are counted there).
    pub appeals: Figure,
    /// Their questions.
    pub questions: Figure,
    /// Written appeals: paper and electronic.
    pub written: Figure,
    /// Electronic appeals.
    pub electronic: Figure,
    /// Oral appeals (outside personal reception).
    pub oral: Figure,
    /// From citizens.
    pub from_citizens: Figure,
    /// From organizations and associations.
    pub from_organizations: Figure,
    /// By channel.
    pub by_channel: Vec<Line>,
    /// By form.
    pub by_form: Vec<Line>,
    /// By kind.
    pub by_kind: Vec<Line>,
    /// By legal regime.
    pub by_legal_regime: Vec<Line>,
    /// Questions by section.
    pub by_section: Vec<Line>,
    /// Questions by topic.
    pub by_topic: Vec<Line>,
    /// Questions by theme.
    pub by_theme: Vec<Line>,
    /// The most frequent questions (sub-questions counted with their question).
    pub top_questions: Vec<Line>,
    /// By forwarding body.
    pub by_source: Vec<SourceLine>,
    /// Collective appeals.
    pub collective: Figure,
    /// Repeated appeals.
    pub repeated: Figure,
    /// Electronic share of written appeals, %.
    pub electronic_share_of_written_pct: Share,
    /// Control figures of the period.
    pub control: ControlOut,
    /// The same for the comparison period.
    pub control_previous: Option<ControlOut>,
    /// Timeliness.
    pub timeliness: Timeliness,
    /// Timeliness by responsible executor.
    pub timeliness_by_executor: Vec<ExecutorTimeliness>,
    /// Timeliness by the responsible executor's department.
    pub timeliness_by_department: Vec<DepartmentTimeliness>,
    /// Results per question.
    pub results: Vec<Line>,
    /// Answers returned for rework.
    pub returned_for_rework: Figure,
    /// Appeals checked on site.
    pub checked_on_site: Figure,
    /// Forwarded by competence.
    pub forwarded: Figure,
    /// Registered later than 3 days after receipt.
    pub late_registration: Figure,
    /// Personal reception.
    pub personal_reception: ReceptionFigures,
}

/// Change in %, one decimal; `None` when there is nothing to compare with.
pub fn change_pct(current: i64, previous: i64) -> Option<f64> {
    (previous != 0).then(|| ((current - previous) as f64 * 1000.0 / previous as f64).round() / 10.0)
}

fn pct(part: i64, whole: i64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        (part as f64 * 1000.0 / whole as f64).round() / 10.0
    }
}

/// True for an oral appeal taken at a personal reception: a reception figure.
fn oral_reception(channel: &str, form: &str) -> bool {
    channel == "personal_reception" && form == "oral"
}

/// Names of codes: channels, forms, kinds, regimes, results, classifier entries.
pub struct Names<'a> {
    /// Channel code → name.
    pub channel: &'a dyn Fn(&str) -> String,
    /// Classifier code → name.
    pub classifier: &'a HashMap<String, String>,
}

/// Sums `key → count` over the groups of one period.
fn tally<G>(groups: &[G], keep: impl Fn(&G) -> bool, key: impl Fn(&G) -> Option<String>, count: impl Fn(&G) -> i64) -> BTreeMap<String, i64> {
    let mut m = BTreeMap::new();
    for g in groups.iter().filter(|g| keep(g)) {
        if let Some(k) = key(g) {
            *m.entry(k).or_insert(0) += count(g);
        }
    }
    m
}

/// A breakdown: every code with a non-zero count in either period, largest first.
fn lines(cur: &BTreeMap<String, i64>, prev: &BTreeMap<String, i64>, name: impl Fn(&str) -> String) -> Vec<Line> {
    let mut codes: Vec<&String> = cur.keys().chain(prev.keys()).collect();
    codes.sort();
    codes.dedup();
    let mut out: Vec<Line> = codes
        .into_iter()
        .map(|c| {
            let (current, previous) = (cur.get(c).copied().unwrap_or(0), prev.get(c).copied().unwrap_or(0));
            Line { code: c.clone(), name: name(c), current, previous, change_pct: change_pct(current, previous) }
        })
        .filter(|l| l.current != 0 || l.previous != 0)
        .collect();
    out.sort_by(|a, b| b.current.cmp(&a.current).then(b.previous.cmp(&a.previous)).then(a.code.cmp(&b.code)));
    out
}

/// The first `segments` segments of a classifier code.
fn prefix(code: &str, segments: usize) -> Option<String> {
    let parts: Vec<&str> = code.split('.').collect();
    (parts.len() >= segments).then(|| parts[..segments].join("."))
}

fn form_name(code: &str) -> String {
    match code {
        "written" => "Письменное (на бумаге)",
        "electronic" => "В электронной форме",
        "oral" => "Устное",
        other => other,
    }
    .into()
}

fn kind_name(code: &str) -> String {
    match code {
        "proposal" => "Предложение",
        "statement" => "Заявление",
        "complaint" => "Жалоба",
        "other" => "Иное",
        other => other,
    }
    .into()
}

fn regime_name(code: &str) -> String {
    match code {
        "fz59" => "59-ФЗ",
        "pos_message" => "Сообщение ПОС",
        "dobrodel" => "Добродел",
        "gis_zhkh" => "ГИС ЖКХ",
        "info_request" => "Запрос информации (8-ФЗ)",
        "other" => "Иной порядок",
        other => other,
    }
    .into()
}

/// Counted appeals of one period: everything but oral reception.
fn counted(p: &PeriodCounts) -> impl Iterator<Item = &AppealGroup> {
    p.appeals.iter().filter(|g| !oral_reception(&g.channel, &g.form))
}

fn sum(p: &PeriodCounts, keep: impl Fn(&AppealGroup) -> bool) -> i64 {
    counted(p).filter(|g| keep(g)).map(|g| g.appeals).sum()
}

fn timeliness(groups: impl Iterator<Item = (i64, i32, i32, i32)>) -> Timeliness {
    let mut t = Timeliness::default();
    for (n, extended, answered, overdue) in groups {
        t.appeals += n;
        if answered != 0 {
            t.answered += n;
        }
        if answered == 1 {
            t.on_time += n;
        }
        if answered == 2 {
            t.late += n;
        }
        if extended != 0 {
            t.extended += n;
        }
        if overdue != 0 {
            t.overdue_now += n;
        }
    }
    t
}

fn reception_totals(p: &PeriodCounts) -> ReceptionTotals {
    let by = |role: &str| p.appeals.iter().filter(|g| g.channel == "personal_reception" && g.reception_role.as_deref() == Some(role)).map(|g| g.appeals).sum();
    ReceptionTotals {
        citizens_by_head: by("head"),
        citizens_by_deputies: by("deputy"),
        questions: p.questions.iter().filter(|q| q.channel == "personal_reception").map(|q| q.questions).sum(),
    }
}

/// Builds every figure of the period `cur` beside `prev` (empty counts without a comparison).
pub fn build(period: PeriodOut, compare: Option<PeriodOut>, cur: &PeriodCounts, prev: &PeriodCounts, names: &Names, top: usize) -> Stats {
    let both = |f: &dyn Fn(&PeriodCounts) -> i64| Figure::new(f(cur), f(prev));
    let appeal_breakdown = |key: &dyn Fn(&AppealGroup) -> Option<String>, name: &dyn Fn(&str) -> String| {
        let t = |p: &PeriodCounts| tally(&p.appeals, |g| !oral_reception(&g.channel, &g.form), key, |g| g.appeals);
        lines(&t(cur), &t(prev), name)
    };
    let counted_q = |q: &QuestionGroup| !oral_reception(&q.channel, &q.form);
    let question_breakdown = |segments: usize| {
        let t = |p: &PeriodCounts| tally(&p.questions, counted_q, |q| prefix(&q.code, segments), |q| q.questions);
        lines(&t(cur), &t(prev), |c| names.classifier.get(c).cloned().unwrap_or_default())
    };
    let mut top_questions = question_breakdown(4);
    top_questions.truncate(top);
    let written = |p: &PeriodCounts| sum(p, |g| g.form == "written" || g.form == "electronic");
    let electronic = |p: &PeriodCounts| sum(p, |g| g.form == "electronic");
    let sources = |p: &PeriodCounts| tally(&p.appeals, |g| !oral_reception(&g.channel, &g.form), |g| g.source_organization.clone(), |g| g.appeals);
    let (sc, sp) = (sources(cur), sources(prev));
    let mut by_source: Vec<SourceLine> = lines(&sc, &sp, |_| String::new()).into_iter().map(|l| SourceLine { organization: l.code, current: l.current, previous: l.previous }).collect();
    by_source.sort_by(|a, b| b.current.cmp(&a.current).then(a.organization.cmp(&b.organization)));
    let results = {
        let t = |p: &PeriodCounts| tally(&p.questions, counted_q, |q| q.result.clone(), |q| q.questions);
        lines(&t(cur), &t(prev), |c| QuestionResult::parse(c).map(|r| r.label().to_string()).unwrap_or_default())
    };
    let mut by_department: BTreeMap<String, Vec<(i64, i32, i32, i32)>> = BTreeMap::new();
    let mut by_executor: BTreeMap<(String, String, Option<String>), Vec<(i64, i32, i32, i32)>> = BTreeMap::new();
    for e in &cur.executors {
        let row = (e.appeals, e.extended, e.answered, e.overdue_now);
        by_executor.entry((e.user_id.clone(), e.full_name.clone(), e.department.clone())).or_default().push(row);
        by_department.entry(e.department.clone().unwrap_or_default()).or_default().push(row);
    }
    let reception_sections = {
        let t = |p: &PeriodCounts| tally(&p.questions, |q| q.channel == "personal_reception", |q| prefix(&q.code, 1), |q| q.questions);
        lines(&t(cur), &t(prev), |c| names.classifier.get(c).cloned().unwrap_or_default())
    };
    let rec = reception_totals(cur);
    Stats {
        period,
        compare,
        appeals: both(&|p| sum(p, |_| true)),
        questions: both(&|p| p.questions.iter().filter(|q| counted_q(q)).map(|q| q.questions).sum()),
        written: both(&written),
        electronic: both(&electronic),
        oral: both(&|p| sum(p, |g| g.form == "oral")),
        from_citizens: both(&|p| sum(p, |g| !g.from_organization)),
        from_organizations: both(&|p| sum(p, |g| g.from_organization)),
        by_channel: appeal_breakdown(&|g| Some(g.channel.clone()), &|c| (names.channel)(c)),
        by_form: appeal_breakdown(&|g| Some(g.form.clone()), &form_name),
        by_kind: appeal_breakdown(&|g| Some(g.kind.clone()), &kind_name),
        by_legal_regime: appeal_breakdown(&|g| Some(g.legal_regime.clone()), &regime_name),
        by_section: question_breakdown(1),
        by_topic: question_breakdown(2),
        by_theme: question_breakdown(3),
        top_questions,
        by_source,
        collective: both(&|p| sum(p, |g| g.collective)),
        repeated: both(&|p| sum(p, |g| g.repeated)),
        electronic_share_of_written_pct: Share { current: pct(electronic(cur), written(cur)), previous: pct(electronic(prev), written(prev)) },
        control: cur.control.into(),
        control_previous: compare.map(|_| prev.control.into()),
        timeliness: timeliness(counted(cur).map(|g| (g.appeals, g.extended, g.answered, g.overdue_now))),
        timeliness_by_executor: by_executor
            .into_iter()
            .map(|((user_id, full_name, department), rows)| ExecutorTimeliness { user_id, full_name, department, figures: timeliness(rows.into_iter()) })
            .collect(),
        timeliness_by_department: by_department.into_iter().map(|(department, rows)| DepartmentTimeliness { department, figures: timeliness(rows.into_iter()) }).collect(),
        results,
        returned_for_rework: both(&|p| counted(p).map(|g| g.returned).sum()),
        checked_on_site: both(&|p| sum(p, |g| g.on_site_check)),
        forwarded: both(&|p| sum(p, |g| g.forwarded != 0)),
        late_registration: both(&|p| sum(p, |g| g.late_registration)),
        personal_reception: ReceptionFigures {
            citizens_by_head: rec.citizens_by_head,
            citizens_by_deputies: rec.citizens_by_deputies,
            questions: rec.questions,
            by_section: reception_sections,
            previous: reception_totals(prev),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn group(channel: &str, form: &str, n: i64) -> AppealGroup {
        AppealGroup {
            channel: channel.into(),
            form: form.into(),
            kind: "complaint".into(),
            legal_regime: "fz59".into(),
            collective: false,
            repeated: false,
            from_organization: false,
            source_organization: None,
            reception_role: (channel == "personal_reception").then(|| "head".to_string()),
            late_registration: false,
            on_site_check: false,
            forwarded: 0,
            extended: 0,
            answered: 1,
            overdue_now: 0,
            appeals: n,
            returned: 0,
        }
    }

    fn question(code: &str, channel: &str, form: &str, n: i64) -> QuestionGroup {
        QuestionGroup { code: code.into(), result: Some("explained".into()), channel: channel.into(), form: form.into(), questions: n }
    }

    fn names_of() -> HashMap<String, String> {
        HashMap::from([("0003".to_string(), "Экономика".to_string()), ("0005".to_string(), "Жилищно-коммунальная сфера".to_string())])
    }

    #[test]
    fn change_is_one_decimal_and_absent_against_zero() {
        assert_eq!(change_pct(2607, 2177), Some(19.8));
        assert_eq!(change_pct(5, 0), None);
        assert_eq!(change_pct(0, 4), Some(-100.0));
    }

    #[test]
    fn oral_reception_is_counted_as_reception_not_as_appeals() {
        let cur = PeriodCounts {
            appeals: vec![group("post", "written", 10), group("email", "electronic", 5), group("personal_reception", "oral", 3), group("personal_reception", "written", 1)],
            questions: vec![question("0003.0009.0097.0699", "post", "written", 12), question("0005.0005.0056.1168", "personal_reception", "oral", 4), question("0005.0005.0056.1168", "personal_reception", "written", 1)],
            ..Default::default()
        };
        let classifier = names_of();
        let names = Names { channel: &|c| c.to_string(), classifier: &classifier };
        let p = PeriodOut { from: "2024-01-01".parse().unwrap(), to: "2024-12-31".parse().unwrap() };
        let s = build(p, None, &cur, &PeriodCounts::default(), &names, 10);
        assert_eq!(s.appeals.current, 16, "the letter handed in at a reception counts, the oral visits do not");
        assert_eq!(s.questions.current, 13);
        assert_eq!(s.personal_reception.citizens_by_head, 4);
        assert_eq!(s.personal_reception.questions, 5);
        assert_eq!(s.written.current, 16);
        assert_eq!(s.electronic_share_of_written_pct.current, 31.3);
        assert_eq!(s.by_section.iter().map(|l| (l.code.as_str(), l.current)).collect::<Vec<_>>(), vec![("0003", 12), ("0005", 1)]);
        assert_eq!(s.by_section[0].name, "Экономика");
        assert!(s.by_channel.iter().all(|l| l.code != "personal_reception" || l.current == 1));
        assert_eq!(s.appeals.change_pct, None);
    }

    #[test]
    fn breakdowns_list_codes_of_either_period() {
        let cur = PeriodCounts { appeals: vec![group("post", "written", 2)], ..Default::default() };
        let prev = PeriodCounts { appeals: vec![group("email", "electronic", 3)], ..Default::default() };
        let classifier = names_of();
        let names = Names { channel: &|c| c.to_string(), classifier: &classifier };
        let p = PeriodOut { from: "2024-01-01".parse().unwrap(), to: "2024-12-31".parse().unwrap() };
        let s = build(p, Some(p), &cur, &prev, &names, 10);
        let got: Vec<(&str, i64, i64)> = s.by_channel.iter().map(|l| (l.code.as_str(), l.current, l.previous)).collect();
        assert_eq!(got, vec![("post", 2, 0), ("email", 0, 3)]);
        assert_eq!(s.appeals, Figure { current: 2, previous: 3, change_pct: Some(-33.3) });
    }
}
