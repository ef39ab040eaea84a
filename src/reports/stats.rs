//! The figures of docs/domain.md §7 for a period beside a comparison period, computed from grouped
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
use crate::domain::rollup::{fig, Tally};
use crate::domain::rollup::ControlCounts;
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
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Figure {
    /// In the period.
    pub current: i64,
    /// In the comparison period (0 without one).
    pub previous: i64,
    /// Change in %, one decimal; absent when the comparison is zero.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub change_pct: Option<f64>,
    /// The region's statistics (`organization=all`): the figure of each organization, as that
    /// organization's own statistics give it. Absent for one organization's statistics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub by_organization: Option<Vec<OrgFigure>>,
}

impl Figure {
    /// A figure with its change.
    pub fn new(current: i64, previous: i64) -> Figure {
        Figure { current, previous, change_pct: change_pct(current, previous), by_organization: None }
    }
}

/// One organization's value of a regional figure.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct OrgFigure {
    /// The organization's id.
    pub organization_id: String,
    /// Its name.
    pub name: String,
    /// In the period.
    pub current: i64,
    /// In the comparison period.
    pub previous: i64,
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

/// Every figure of docs/domain.md §7 (docs/api.md `GET /api/v1/stats`).
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Stats {
    /// The period.
    pub period: PeriodOut,
    /// How fresh the figures are when they were read on the read replica («данные на
    /// 10:42:13», the organization's time); absent when read on the primary (current).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_as_of: Option<String>,
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
    /// Collective appeals: one letter signed by many.
    pub collective: Figure,
    /// Mass campaigns: many near-identical letters from different people (whole-organization
    /// requests only; absent when the request is filtered).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mass: Option<MassFigures>,
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
    /// The region's statistics only: appeals one organization of the region forwarded to
    /// another and that one registered in the period. The region counts each such appeal once
    /// (where the citizen sent it), its organizations each in their own figures, so the
    /// organizations' `appeals` add up to the region's plus this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_within_region: Option<Figure>,
}

impl Stats {
    /// Every figure with a comparison, by its name in the JSON: the region's statistics give
    /// each of them by organization.
    pub fn figures_mut(&mut self) -> Vec<(&'static str, &mut Figure)> {
        let mut out = vec![
            ("appeals", &mut self.appeals),
            ("questions", &mut self.questions),
            ("written", &mut self.written),
            ("electronic", &mut self.electronic),
            ("oral", &mut self.oral),
            ("from_citizens", &mut self.from_citizens),
            ("from_organizations", &mut self.from_organizations),
            ("collective", &mut self.collective),
            ("repeated", &mut self.repeated),
            ("returned_for_rework", &mut self.returned_for_rework),
            ("checked_on_site", &mut self.checked_on_site),
            ("forwarded", &mut self.forwarded),
            ("late_registration", &mut self.late_registration),
        ];
        if let Some(m) = &mut self.mass {
            out.push(("mass.campaigns", &mut m.campaigns));
            out.push(("mass.appeals", &mut m.appeals));
        }
        out
    }
}

/// Mass campaigns of a period: «массовые обращения: N кампаний, M обращений».
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct MassFigures {
    /// Campaigns with appeals registered in the period.
    pub campaigns: Figure,
    /// Those appeals.
    pub appeals: Figure,
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

/// Names of codes: channels, forms, kinds, regimes, results, classifier entries.
pub struct Names<'a> {
    /// Channel code → name.
    pub channel: &'a dyn Fn(&str) -> String,
    /// Classifier code → name.
    pub classifier: &'a HashMap<String, String>,
}

/// Counts by code, borrowed from a tally (no key is copied until it becomes a [`Line`]).
type Counts<'a> = HashMap<&'a str, i64>;

/// A figure's counts by dimension as [`Counts`].
fn counts(m: &BTreeMap<String, i64>) -> Counts<'_> {
    m.iter().map(|(k, n)| (k.as_str(), *n)).collect()
}

/// A breakdown: every code with a non-zero count in either period, largest first.
fn lines(cur: &Counts, prev: &Counts, name: impl Fn(&str) -> String) -> Vec<Line> {
    let mut out: Vec<Line> = cur
        .keys()
        .chain(prev.keys().filter(|c| !cur.contains_key(*c)))
        .map(|&c| {
            let (current, previous) = (cur.get(c).copied().unwrap_or(0), prev.get(c).copied().unwrap_or(0));
            Line { code: c.to_string(), name: name(c), current, previous, change_pct: change_pct(current, previous) }
        })
        .filter(|l| l.current != 0 || l.previous != 0)
        .collect();
    out.sort_by(|a, b| b.current.cmp(&a.current).then(b.previous.cmp(&a.previous)).then(a.code.cmp(&b.code)));
    out
}

/// The first `segments` segments of a classifier code (`None` when it has fewer).
pub fn prefix(code: &str, segments: usize) -> Option<&str> {
    if segments == 0 {
        return None;
    }
    let mut dots = code.match_indices('.').map(|(i, _)| i);
    match dots.nth(segments - 1) {
        Some(end) => Some(&code[..end]),
        None => (code.split('.').count() == segments).then_some(code),
    }
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

fn timeliness_of(t: &Tally, key: Option<&str>) -> Timeliness {
    let get = |total: &str, by: &str| match key {
        None => t.total(total),
        Some(u) => t.get(by, u),
    };
    let (on_time, late) = match key {
        None => (t.get(fig::ANSWERED, "1"), t.get(fig::ANSWERED, "2")),
        Some(u) => (t.get(fig::EXEC_ON_TIME, u), t.get(fig::EXEC_LATE, u)),
    };
    Timeliness {
        appeals: get(fig::APPEALS, fig::EXEC),
        answered: on_time + late,
        on_time,
        late,
        extended: get(fig::EXTENDED, fig::EXEC_EXTENDED),
        overdue_now: get(fig::OVERDUE, fig::EXEC_OVERDUE),
    }
}

fn reception_totals(t: &Tally) -> ReceptionTotals {
    ReceptionTotals { citizens_by_head: t.get(fig::RECEPTION, "head"), citizens_by_deputies: t.get(fig::RECEPTION, "deputy"), questions: t.total(fig::Q_RECEPTION) }
}

/// Sums a figure's counts by a function of their dimension (classifier prefixes).
fn regroup<'a>(m: &'a BTreeMap<String, i64>, key: impl Fn(&'a str) -> Option<&'a str>) -> Counts<'a> {
    let mut out = Counts::with_capacity(m.len());
    for (k, n) in m {
        if let Some(k) = key(k) {
            *out.entry(k).or_insert(0) += n;
        }
    }
    out
}

/// Builds every figure of the period `cur` beside `prev` (empty figures without a comparison).
pub fn build(period: PeriodOut, compare: Option<PeriodOut>, cur: &Tally, prev: &Tally, names: &Names, top: usize) -> Stats {
    let both = |f: &dyn Fn(&Tally) -> i64| Figure::new(f(cur), f(prev));
    let flag = |figure: &'static str| both(&move |t: &Tally| t.total(figure));
    let breakdown = |figure: &str, name: &dyn Fn(&str) -> String| lines(&counts(cur.of(figure)), &counts(prev.of(figure)), name);
    let question_breakdown = |figure: &str, segments: usize| {
        let by = |c| prefix(c, segments);
        lines(&regroup(cur.of(figure), by), &regroup(prev.of(figure), by), |c| names.classifier.get(c).cloned().unwrap_or_default())
    };
    let mut top_questions = question_breakdown(fig::Q, 4);
    top_questions.truncate(top);
    let written = |t: &Tally| t.get(fig::FORM, "written") + t.get(fig::FORM, "electronic");
    let electronic = |t: &Tally| t.get(fig::FORM, "electronic");
    let mut by_source: Vec<SourceLine> =
        breakdown(fig::SOURCE, &|_| String::new()).into_iter().map(|l| SourceLine { organization: l.code, current: l.current, previous: l.previous }).collect();
    by_source.sort_by(|a, b| b.current.cmp(&a.current).then(a.organization.cmp(&b.organization)));
    let results = breakdown(fig::Q_RESULT, &|c| QuestionResult::parse(c).map(|r| r.label().to_string()).unwrap_or_default());
    let mut by_executor = Vec::new();
    let mut by_department: BTreeMap<String, Timeliness> = BTreeMap::new();
    let mut executors: Vec<(&String, &(String, Option<String>))> = cur.executors.iter().filter(|(u, _)| cur.get(fig::EXEC, u) != 0).collect();
    executors.sort_by(|a, b| (a.0, &a.1 .0, &a.1 .1).cmp(&(b.0, &b.1 .0, &b.1 .1)));
    for (user_id, (full_name, department)) in executors {
        let figures = timeliness_of(cur, Some(user_id));
        let d = by_department.entry(department.clone().unwrap_or_default()).or_default();
        d.appeals += figures.appeals;
        d.answered += figures.answered;
        d.on_time += figures.on_time;
        d.late += figures.late;
        d.extended += figures.extended;
        d.overdue_now += figures.overdue_now;
        by_executor.push(ExecutorTimeliness { user_id: user_id.clone(), full_name: full_name.clone(), department: department.clone(), figures });
    }
    let rec = reception_totals(cur);
    Stats {
        period,
        data_as_of: None,
        compare,
        appeals: flag(fig::APPEALS),
        questions: flag(fig::Q),
        written: both(&written),
        electronic: both(&electronic),
        oral: both(&|t| t.get(fig::FORM, "oral")),
        from_citizens: both(&|t| t.total(fig::APPEALS) - t.total(fig::FROM_ORG)),
        from_organizations: flag(fig::FROM_ORG),
        by_channel: breakdown(fig::CHANNEL, &|c| (names.channel)(c)),
        by_form: breakdown(fig::FORM, &form_name),
        by_kind: breakdown(fig::KIND, &kind_name),
        by_legal_regime: breakdown(fig::REGIME, &regime_name),
        by_section: question_breakdown(fig::Q, 1),
        by_topic: question_breakdown(fig::Q, 2),
        by_theme: question_breakdown(fig::Q, 3),
        top_questions,
        by_source,
        collective: flag(fig::COLLECTIVE),
        mass: None,
        repeated: flag(fig::REPEATED),
        electronic_share_of_written_pct: Share { current: pct(electronic(cur), written(cur)), previous: pct(electronic(prev), written(prev)) },
        control: cur.control.into(),
        control_previous: compare.map(|_| prev.control.into()),
        timeliness: timeliness_of(cur, None),
        timeliness_by_executor: by_executor,
        timeliness_by_department: by_department.into_iter().map(|(department, figures)| DepartmentTimeliness { department, figures }).collect(),
        results,
        returned_for_rework: flag(fig::RETURNED),
        checked_on_site: flag(fig::ON_SITE),
        forwarded: flag(fig::FORWARDED),
        late_registration: flag(fig::LATE_REG),
        personal_reception: ReceptionFigures {
            citizens_by_head: rec.citizens_by_head,
            citizens_by_deputies: rec.citizens_by_deputies,
            questions: rec.questions,
            by_section: question_breakdown(fig::Q_RECEPTION, 1),
            previous: reception_totals(prev),
        },
        forwarded_within_region: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::stats::{AppealGroup, PeriodCounts, QuestionGroup};

    #[test]
    fn prefixes_of_a_classifier_code() {
        let code = "0003.0009.0097.0699";
        assert_eq!(prefix(code, 1), Some("0003"));
        assert_eq!(prefix(code, 2), Some("0003.0009"));
        assert_eq!(prefix(code, 3), Some("0003.0009.0097"));
        assert_eq!(prefix(code, 4), Some(code));
        assert_eq!(prefix(code, 5), None);
        assert_eq!(prefix(code, 0), None);
        assert_eq!(prefix("0001", 1), Some("0001"));
        assert_eq!(prefix("0001", 2), None);
    }

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
        let s = build(p, None, &crate::reports::statistics::tally_from_groups(&cur, Default::default()), &Tally::default(), &names, 10);
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
        let s = build(p, Some(p), &crate::reports::statistics::tally_from_groups(&cur, Default::default()), &crate::reports::statistics::tally_from_groups(&prev, Default::default()), &names, 10);
        let got: Vec<(&str, i64, i64)> = s.by_channel.iter().map(|l| (l.code.as_str(), l.current, l.previous)).collect();
        assert_eq!(got, vec![("post", 2, 0), ("email", 0, 3)]);
        assert_eq!(s.appeals, Figure { current: 2, previous: 3, change_pct: Some(-33.3), by_organization: None });
    }
}
