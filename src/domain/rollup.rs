//! The statistics as additive figures: what one appeal adds to each figure of
//! docs/domain.md §7, keyed by the local day it counts on, so that a year's figures are sums over a
//! small rollup instead of a GROUP BY over a million appeals. A change of a card is its new
//! contribution minus its old one ([`diff`]); the store appends that as signed delta rows.
//!
//! Each row also carries a slice ([`slice`]): the whole body, or the appeals of one channel,
//! section, executor or department, so that a request filtered by one of them sums its own
//! slice's rows as an unfiltered one sums the body's. An appeal counts once in every slice it
//! belongs to, and a change that moves it between slices is the same diff as any other.
//!
//! Both ways of counting meet in [`Tally`]: the rollup's sums, and the grouped counts of the
//! scan path converted by `crate::reports::statistics::tally_from_groups`; `crate::reports::stats::build` reads only it.

use chrono::{Datelike, NaiveDate};
use std::collections::{BTreeMap, BTreeSet};

/// The keys of the rollup's slices (the `slice` column): the same figures for the appeals one
/// statistics filter keeps, spelled as the scan's filters select them.
pub mod slice {
    /// The whole body (unfiltered statistics).
    pub const ALL: &str = "";

    /// Appeals that came by `channel`.
    pub fn channel(channel: &str) -> String {
        format!("ch:{channel}")
    }

    /// Appeals with a question in `section` (once, whatever the number of such questions).
    pub fn section(section: &str) -> String {
        format!("sec:{section}")
    }

    /// Appeals with an active assignment of user `id`, responsible or co-executor.
    pub fn executor(id: &str) -> String {
        format!("ex:{id}")
    }

    /// Appeals whose active responsible executor belongs to department `id`.
    pub fn department(id: &str) -> String {
        format!("dep:{id}")
    }
}

/// Names of the rollup's figures (the `figure` column).
pub mod fig {
    /// Appeals received (oral ones at a personal reception excluded, as everywhere below unless said).
    pub const APPEALS: &str = "appeals";
    /// By channel (dimension: channel code).
    pub const CHANNEL: &str = "channel";
    /// By form.
    pub const FORM: &str = "form";
    /// By kind.
    pub const KIND: &str = "kind";
    /// By legal regime.
    pub const REGIME: &str = "regime";
    /// From organizations.
    pub const FROM_ORG: &str = "from_org";
    /// Collective.
    pub const COLLECTIVE: &str = "collective";
    /// Repeated.
    pub const REPEATED: &str = "repeated";
    /// Registered late.
    pub const LATE_REG: &str = "late_reg";
    /// Checked on site.
    pub const ON_SITE: &str = "on_site";
    /// Forwarded by competence.
    pub const FORWARDED: &str = "forwarded";
    /// Deadline extended.
    pub const EXTENDED: &str = "extended";
    /// Answered (dimension "1" on time, "2" late).
    pub const ANSWERED: &str = "answered";
    /// By forwarding body (dimension: its name).
    pub const SOURCE: &str = "source";
    /// Answers returned for rework (a sum, not a count).
    pub const RETURNED: &str = "returned";
    /// Citizens at a personal reception, any form (dimension: the official's role).
    pub const RECEPTION: &str = "reception";
    /// Questions (dimension: full classifier code).
    pub const Q: &str = "q";
    /// Questions by result.
    pub const Q_RESULT: &str = "q_result";
    /// Questions of personal-reception appeals, any form (dimension: code).
    pub const Q_RECEPTION: &str = "q_reception";
    /// Appeals by responsible executor, all forms (dimension: user id); and its flags.
    pub const EXEC: &str = "exec";
    /// Extended, by responsible executor.
    pub const EXEC_EXTENDED: &str = "exec_extended";
    /// Answered on time, by responsible executor.
    pub const EXEC_ON_TIME: &str = "exec_on_time";
    /// Answered late, by responsible executor.
    pub const EXEC_LATE: &str = "exec_late";
    /// Put on control, on the local day it was (dimension empty).
    pub const CONTROL_PUT: &str = "control_put";
    /// Removed from control, on its closing day (dimension: the day it was put on control).
    pub const CONTROL_REMOVED: &str = "control_removed";
    /// Overdue now: not stored itself (it depends on today); read as the open appeals whose
    /// deadline is before today ([`OPEN`]).
    pub const OVERDUE: &str = "overdue";
    /// Overdue now by responsible executor (from [`EXEC_OPEN`] the same way).
    pub const EXEC_OVERDUE: &str = "exec_overdue";
    /// Open appeals (registered, in work, answer under review), oral reception excluded
    /// (dimension: the deadline, `YYYY-MM-DD`): "overdue now" is the sum of those due before
    /// today, read from the rollup alone. A registration day's appeals share a few deadlines, so
    /// the rows stay few.
    pub const OPEN: &str = "open";
    /// Open appeals by responsible executor, all forms (dimension: `YYYY-MM-01 user id`, the
    /// deadline's month and the executor; see [`super::open_dim`]).
    pub const EXEC_OPEN: &str = "exec_open";

    /// The same figure for oral appeals at a personal reception, kept apart (`o_` before the
    /// name) so that either counting convention reads its own totals from one rollup: the
    /// reader adds them to the plain figure when `[statistics] oral_reception_in_totals` says
    /// so (`crate::domain::counting`), and leaves them out otherwise.
    pub fn oral(figure: &'static str) -> &'static str {
        match figure {
            APPEALS => "o_appeals",
            CHANNEL => "o_channel",
            FORM => "o_form",
            KIND => "o_kind",
            REGIME => "o_regime",
            FROM_ORG => "o_from_org",
            COLLECTIVE => "o_collective",
            REPEATED => "o_repeated",
            LATE_REG => "o_late_reg",
            ON_SITE => "o_on_site",
            FORWARDED => "o_forwarded",
            EXTENDED => "o_extended",
            ANSWERED => "o_answered",
            SOURCE => "o_source",
            RETURNED => "o_returned",
            OPEN => "o_open",
            Q => "o_q",
            Q_RESULT => "o_q_result",
            other => other,
        }
    }

    /// The plain figure of an `o_` one, or `None` for a plain figure.
    pub fn plain_of_oral(figure: &str) -> Option<&str> {
        figure.strip_prefix("o_")
    }
}


/// The first day of `d`'s month: the deadline dimension of the open-appeal figures, so that a
/// year's rollup holds a few deadline months per registration month, not every deadline day.
pub fn month_of(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// The dimension of [`fig::EXEC_OPEN`]: deadline month and executor.
pub fn open_dim(due: NaiveDate, user: &str) -> String {
    format!("{} {user}", month_of(due))
}

/// Reads back [`open_dim`]: (deadline month, executor).
pub fn parse_open_dim(dim: &str) -> Option<(NaiveDate, &str)> {
    let (m, u) = dim.split_once(' ')?;
    Some((m.parse().ok()?, u))
}

/// Whether open appeals of deadline month `due_month` are all overdue on `today`: their
/// deadline month ended before today's month began. Those due in today's month are counted live.
pub fn wholly_overdue(due_month: NaiveDate, today: NaiveDate) -> bool {
    due_month < month_of(today)
}

/// What of one appeal the statistics count, read from its card. Hashable, so that a bulk
/// write can count equal facts and add their contributions once per distinct kind of card
/// ([`contributions`] is linear in its `sign`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub struct Facts {
    /// Organization.
    pub org: String,
    /// Local registration day.
    pub registered_on: NaiveDate,
    /// Channel code.
    pub channel: String,
    /// Form code.
    pub form: String,
    /// Kind code.
    pub kind: String,
    /// Legal regime code.
    pub legal_regime: String,
    /// Collective.
    pub collective: bool,
    /// Repeated.
    pub repeated: bool,
    /// From an organization.
    pub from_organization: bool,
    /// Forwarding body.
    pub source_organization: Option<String>,
    /// Role of the official at a personal reception.
    pub reception_role: Option<String>,
    /// Registered late.
    pub late_registration: bool,
    /// Checked on site.
    pub on_site_check: bool,
    /// Forwarded by competence.
    pub forwarded: bool,
    /// Deadline extended.
    pub extended: bool,
    /// 0 not answered, 1 on time, 2 late ([`answered`]).
    pub answered: i32,
    /// Answers returned for rework.
    pub returned: i64,
    /// Local day it was put on control.
    pub put_on_control_on: Option<NaiveDate>,
    /// Local day it was closed.
    pub closed_on: Option<NaiveDate>,
    /// Questions: (code, result).
    pub questions: Vec<(String, Option<String>)>,
    /// Active responsible executors (user ids).
    pub executors: Vec<String>,
    /// Every user with an active assignment, responsible or not (the executor filter's users).
    pub assigned: Vec<String>,
    /// Departments (ids) of the active responsible executors.
    pub departments: Vec<String>,
    /// The deadline, while the appeal is open ([`crate::domain::workflow::Status::OPEN_CODES`]); `None` once it is not.
    pub open_due: Option<NaiveDate>,
}

/// Answer state: 0 not answered, 1 on time, 2 late, by the dispatch date or, where the answer
/// was not dispatched, its approval date.
pub fn answered(answer_sent_on: Option<NaiveDate>, answered_on: Option<NaiveDate>, due: NaiveDate) -> i32 {
    match answer_sent_on.or(answered_on) {
        None => 0,
        Some(d) if d <= due => 1,
        Some(_) => 2,
    }
}

use crate::domain::counting::is_oral_reception as oral_reception;

/// One row of the rollup: (organization, slice, day, figure, dimension, n).
pub type Row = (String, String, NaiveDate, &'static str, String, i64);

/// The slices an appeal counts in: the whole body, its channel, each section of its questions,
/// each user assigned to it, each department of its responsible executors.
pub fn slices_of(f: &Facts) -> Vec<String> {
    let mut out = vec![slice::ALL.to_string(), slice::channel(&f.channel)];
    let sections: BTreeSet<&str> = f.questions.iter().map(|(code, _)| crate::domain::classifier::section_of(code)).collect();
    out.extend(sections.into_iter().map(slice::section));
    out.extend(f.assigned.iter().collect::<BTreeSet<_>>().into_iter().map(|u| slice::executor(u)));
    out.extend(f.departments.iter().collect::<BTreeSet<_>>().into_iter().map(|d| slice::department(d)));
    out
}

/// Appends what `f` adds to the figures of every slice it counts in, times `sign` (+1 to add,
/// -1 to take back).
pub fn contributions(f: &Facts, sign: i64, out: &mut Vec<Row>) {
    let mut own = Vec::new();
    figures_of(f, sign, &mut own);
    for s in slices_of(f) {
        out.extend(own.iter().map(|(d, figure, dim, n)| (f.org.clone(), s.clone(), *d, *figure, dim.clone(), *n)));
    }
}

/// What `f` adds to one slice: (day, figure, dimension, n).
fn figures_of(f: &Facts, sign: i64, out: &mut Vec<(NaiveDate, &'static str, String, i64)>) {
    let day = f.registered_on;
    let mut add = |d: NaiveDate, figure: &'static str, dim: &str, n: i64| {
        if n != 0 {
            out.push((d, figure, dim.to_string(), n * sign));
        }
    };
    // Oral appeals at a reception go to the `o_` figures, which the reader counts in the
    // totals or not by the body's convention.
    let oral = oral_reception(&f.channel, &f.form);
    let name = |figure: &'static str| if oral { fig::oral(figure) } else { figure };
    add(day, name(fig::APPEALS), "", 1);
    add(day, name(fig::CHANNEL), &f.channel, 1);
    add(day, name(fig::FORM), &f.form, 1);
    add(day, name(fig::KIND), &f.kind, 1);
    add(day, name(fig::REGIME), &f.legal_regime, 1);
    for (on, figure) in [
        (f.from_organization, fig::FROM_ORG),
        (f.collective, fig::COLLECTIVE),
        (f.repeated, fig::REPEATED),
        (f.late_registration, fig::LATE_REG),
        (f.on_site_check, fig::ON_SITE),
        (f.forwarded, fig::FORWARDED),
        (f.extended, fig::EXTENDED),
    ] {
        if on {
            add(day, name(figure), "", 1);
        }
    }
    if f.answered != 0 {
        add(day, name(fig::ANSWERED), &f.answered.to_string(), 1);
    }
    if let Some(s) = &f.source_organization {
        add(day, name(fig::SOURCE), s, 1);
    }
    add(day, name(fig::RETURNED), "", f.returned);
    if let Some(due) = f.open_due {
        add(day, name(fig::OPEN), &due.to_string(), 1);
    }
    for (code, result) in &f.questions {
        add(day, name(fig::Q), code, 1);
        if let Some(r) = result {
            add(day, name(fig::Q_RESULT), r, 1);
        }
    }
    if f.channel == "personal_reception" {
        if let Some(role) = &f.reception_role {
            add(day, fig::RECEPTION, role, 1);
        }
        for (code, _) in &f.questions {
            add(day, fig::Q_RECEPTION, code, 1);
        }
    }
    for u in &f.executors {
        add(day, fig::EXEC, u, 1);
        if f.extended {
            add(day, fig::EXEC_EXTENDED, u, 1);
        }
        match f.answered {
            1 => add(day, fig::EXEC_ON_TIME, u, 1),
            2 => add(day, fig::EXEC_LATE, u, 1),
            _ => {}
        }
        if let Some(due) = f.open_due {
            add(day, fig::EXEC_OPEN, &open_dim(due, u), 1);
        }
    }
    if let Some(put) = f.put_on_control_on {
        add(put, fig::CONTROL_PUT, "", 1);
        if let Some(closed) = f.closed_on {
            add(closed, fig::CONTROL_REMOVED, &put.to_string(), 1);
        }
    }
}

/// The delta rows of a change from `before` to `after`, summed so that unchanged figures cancel.
pub fn diff(before: Option<&Facts>, after: Option<&Facts>) -> Vec<Row> {
    let mut rows = Vec::new();
    if let Some(b) = before {
        contributions(b, -1, &mut rows);
    }
    if let Some(a) = after {
        contributions(a, 1, &mut rows);
    }
    aggregate(rows)
}

/// Sums rows with the same key and drops the zeros.
pub fn aggregate(rows: Vec<Row>) -> Vec<Row> {
    let mut m: BTreeMap<(String, String, NaiveDate, &'static str, String), i64> = BTreeMap::new();
    for (org, slice, day, figure, dim, n) in rows {
        *m.entry((org, slice, day, figure, dim)).or_insert(0) += n;
    }
    m.into_iter().filter(|(_, n)| *n != 0).map(|((org, slice, day, figure, dim), n)| (org, slice, day, figure, dim, n)).collect()
}

/// The control figures of a period.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ControlCounts {
    /// Put on control in the period.
    pub put_on_control: i64,
    /// Removed from control in the period.
    pub removed_from_control: i64,
    /// On control and not removed at the end of the period's last day.
    pub in_work_at_end: i64,
}

/// A period's figures: figure → dimension → count, the control figures, and the names of the
/// executors it mentions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// Figure → dimension → count.
    pub figures: BTreeMap<String, BTreeMap<String, i64>>,
    /// Control figures.
    pub control: ControlCounts,
    /// Executor id → (full name, department name).
    pub executors: BTreeMap<String, (String, Option<String>)>,
}

impl Tally {
    /// Adds `n` to a figure's dimension.
    pub fn add(&mut self, figure: &str, dim: &str, n: i64) {
        // A read adds thousands of rows: allocate a key only the first time it is seen.
        let dims = match self.figures.get_mut(figure) {
            Some(d) => d,
            None => self.figures.entry(figure.to_string()).or_default(),
        };
        match dims.get_mut(dim) {
            Some(v) => *v += n,
            None => {
                dims.insert(dim.to_string(), n);
            }
        }
    }

    /// One figure's counts by dimension (empty when absent).
    pub fn of(&self, figure: &str) -> &BTreeMap<String, i64> {
        static EMPTY: BTreeMap<String, i64> = BTreeMap::new();
        self.figures.get(figure).unwrap_or(&EMPTY)
    }

    /// A figure's count in one dimension.
    pub fn get(&self, figure: &str, dim: &str) -> i64 {
        self.figures.get(figure).and_then(|m| m.get(dim)).copied().unwrap_or(0)
    }

    /// A figure summed over its dimensions.
    pub fn total(&self, figure: &str) -> i64 {
        self.figures.get(figure).map(|m| m.values().sum()).unwrap_or(0)
    }

    /// Adds another body's figures: the region's figures are its organizations' summed.
    pub fn merge(&mut self, other: &Tally) {
        for (figure, dims) in &other.figures {
            for (dim, n) in dims {
                self.add(figure, dim, *n);
            }
        }
        self.control.put_on_control += other.control.put_on_control;
        self.control.removed_from_control += other.control.removed_from_control;
        self.control.in_work_at_end += other.control.in_work_at_end;
        for (id, who) in &other.executors {
            self.executors.entry(id.clone()).or_insert_with(|| who.clone());
        }
    }

    /// Takes away the intake figures ([`INTAKE`]) of appeals one organization of the region
    /// forwarded to another: the region received each of them once, from the citizen, so the
    /// receiver's copy adds nothing to what the region received. What happened to it afterwards
    /// (answers, results, deadlines, control) stays: only the receiver did that work.
    pub fn less_intake(&mut self, within: &Tally) {
        for figure in INTAKE {
            for (dim, n) in within.of(figure) {
                self.add(figure, dim, -n);
            }
            if let Some(dims) = self.figures.get_mut(*figure) {
                dims.retain(|_, n| *n != 0);
            }
        }
    }
}

/// The figures that say what a body received (as opposed to what it did with it): an appeal
/// forwarded inside the region counts in them once for the region, at the organization that
/// received it from the citizen.
pub const INTAKE: &[&str] = &[
    fig::APPEALS,
    fig::CHANNEL,
    fig::FORM,
    fig::KIND,
    fig::REGIME,
    fig::FROM_ORG,
    fig::COLLECTIVE,
    fig::REPEATED,
    fig::LATE_REG,
    fig::SOURCE,
    fig::Q,
    fig::RECEPTION,
    fig::Q_RECEPTION,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_region_sums_its_bodies_and_counts_a_forward_inside_it_once() {
        let mut town = Tally::default();
        town.add(fig::APPEALS, "", 3);
        town.add(fig::CHANNEL, "forwarded", 1);
        town.add(fig::CHANNEL, "post", 2);
        town.add(fig::ANSWERED, "1", 1);
        town.control.put_on_control = 3;
        town.executors.insert("u1".into(), ("Петров П.П.".into(), None));
        let mut region = Tally::default();
        region.add(fig::APPEALS, "", 5);
        region.add(fig::CHANNEL, "internet", 5);
        region.add(fig::FORWARDED, "", 1);
        region.control.put_on_control = 5;
        let mut sum = Tally::default();
        sum.merge(&region);
        sum.merge(&town);
        assert_eq!(sum.total(fig::APPEALS), 8);
        assert_eq!(sum.get(fig::CHANNEL, "internet"), 5);
        assert_eq!(sum.control.put_on_control, 8);
        assert!(sum.executors.contains_key("u1"));
        // The town's one appeal came from the region: the region received it once.
        let mut within = Tally::default();
        within.add(fig::APPEALS, "", 1);
        within.add(fig::CHANNEL, "forwarded", 1);
        within.add(fig::ANSWERED, "1", 1);
        sum.less_intake(&within);
        assert_eq!(sum.total(fig::APPEALS), 7);
        assert_eq!(sum.of(fig::CHANNEL).get("forwarded"), None, "a dimension that falls to zero is gone, not a zero line");
        assert_eq!(sum.get(fig::ANSWERED, "1"), 1, "the receiver's answer stays the region's answer");
        assert_eq!(sum.total(fig::FORWARDED), 1);
    }

    /// The whole body's rows, without the slice.
    fn all(rows: Vec<Row>) -> Vec<(String, NaiveDate, &'static str, String, i64)> {
        rows.into_iter().filter(|r| r.1 == slice::ALL).map(|(o, _, d, f, dim, n)| (o, d, f, dim, n)).collect()
    }

    fn facts() -> Facts {
        Facts {
            org: "o".into(),
            registered_on: "2025-03-01".parse().unwrap(),
            channel: "post".into(),
            form: "written".into(),
            kind: "complaint".into(),
            legal_regime: "fz59".into(),
            questions: vec![("0005.0005.0056.1168".into(), None)],
            executors: vec!["u1".into()],
            ..Default::default()
        }
    }

    /// A bulk write counts equal facts and makes their rows once with the count: that must
    /// sum to what the cards' rows one by one do, every figure of every slice.
    #[test]
    fn contributions_of_a_count_equal_the_cards_one_by_one() {
        let mut f = facts();
        f.returned = 2;
        f.answered = 2;
        f.extended = true;
        f.open_due = Some("2025-04-01".parse().unwrap());
        f.put_on_control_on = Some("2025-03-02".parse().unwrap());
        f.closed_on = Some("2025-03-20".parse().unwrap());
        f.assigned = vec!["u1".into(), "u2".into()];
        f.departments = vec!["d1".into()];
        f.questions.push(("0003.0009.0097.0699".into(), Some("supported".into())));
        let mut one_by_one = Vec::new();
        for _ in 0..7 {
            contributions(&f, 1, &mut one_by_one);
        }
        let mut counted = Vec::new();
        contributions(&f, 7, &mut counted);
        assert_eq!(aggregate(counted), aggregate(one_by_one));
    }

    #[test]
    fn an_unchanged_card_adds_nothing_and_an_answer_moves_counts() {
        let f = facts();
        assert!(diff(Some(&f), Some(&f)).is_empty());
        let mut g = f.clone();
        g.answered = 1;
        g.questions[0].1 = Some("explained".into());
        let rows = all(diff(Some(&f), Some(&g)));
        let figures: Vec<(&str, &str, i64)> = rows.iter().map(|r| (r.2, r.3.as_str(), r.4)).collect();
        assert_eq!(figures, vec![("answered", "1", 1), ("exec_on_time", "u1", 1), ("q_result", "explained", 1)]);
    }

    #[test]
    fn a_correction_of_the_channel_takes_back_the_old_one() {
        let f = facts();
        let mut g = f.clone();
        g.channel = "email".into();
        g.form = "electronic".into();
        let rows = all(diff(Some(&f), Some(&g)));
        assert!(rows.contains(&("o".into(), f.registered_on, "channel", "post".into(), -1)));
        assert!(rows.contains(&("o".into(), f.registered_on, "channel", "email".into(), 1)));
        assert!(!rows.iter().any(|r| r.2 == "appeals"), "still one appeal");
    }

    #[test]
    fn oral_reception_counts_as_reception_and_control_on_its_own_days() {
        let mut f = facts();
        f.channel = "personal_reception".into();
        f.form = "oral".into();
        f.reception_role = Some("head".into());
        f.put_on_control_on = Some("2025-03-02".parse().unwrap());
        f.closed_on = Some("2025-03-20".parse().unwrap());
        let rows = all(diff(None, Some(&f)));
        assert!(!rows.iter().any(|r| r.2 == "appeals" || r.2 == "q"));
        assert!(rows.iter().any(|r| r.2 == "reception" && r.3 == "head"));
        assert!(rows.iter().any(|r| r.2 == "q_reception"));
        assert!(rows.contains(&("o".into(), "2025-03-20".parse().unwrap(), "control_removed", "2025-03-02".into(), 1)));
    }

    #[test]
    fn an_open_appeal_counts_by_deadline_until_it_closes_and_moves_with_an_extension() {
        let mut f = facts();
        f.open_due = Some("2025-03-31".parse().unwrap());
        let rows = all(diff(None, Some(&f)));
        assert!(rows.contains(&("o".into(), f.registered_on, "open", "2025-03-31".into(), 1)));
        assert!(rows.contains(&("o".into(), f.registered_on, "exec_open", "2025-03-01 u1".into(), 1)));
        let mut extended = f.clone();
        extended.open_due = Some("2025-04-10".parse().unwrap());
        extended.extended = true;
        let moved = all(diff(Some(&f), Some(&extended)));
        assert!(moved.contains(&("o".into(), f.registered_on, "open", "2025-03-31".into(), -1)));
        assert!(moved.contains(&("o".into(), f.registered_on, "open", "2025-04-10".into(), 1)));
        let mut closed = extended.clone();
        closed.open_due = None;
        let gone: Vec<(&str, i64)> = all(diff(Some(&extended), Some(&closed))).iter().map(|r| (r.2, r.4)).collect();
        assert_eq!(gone, vec![("exec_open", -1), ("open", -1)]);
    }

    #[test]
    fn open_dimensions_and_whole_overdue_months() {
        let due: NaiveDate = "2025-04-17".parse().unwrap();
        assert_eq!(parse_open_dim(&open_dim(due, "u-1")), Some(("2025-04-01".parse().unwrap(), "u-1")));
        assert!(wholly_overdue(month_of(due), "2025-05-01".parse().unwrap()));
        assert!(!wholly_overdue(month_of(due), "2025-04-30".parse().unwrap()), "due this month: counted live");
    }

    #[test]
    fn an_appeal_counts_once_in_each_of_its_slices_and_a_reassignment_moves_it() {
        let mut f = facts();
        f.questions.push(("0005.0005.0056.1157".into(), None));
        f.questions.push(("0003.0009.0097.0699".into(), None));
        f.assigned = vec!["u1".into(), "u2".into()];
        f.departments = vec!["d1".into()];
        assert_eq!(slices_of(&f), vec!["", "ch:post", "sec:0003", "sec:0005", "ex:u1", "ex:u2", "dep:d1"]);
        let rows = diff(None, Some(&f));
        let appeals: Vec<&str> = rows.iter().filter(|r| r.3 == fig::APPEALS).map(|r| r.1.as_str()).collect();
        assert_eq!(appeals.len(), 7, "one appeal in each slice, two questions of one section counted once: {appeals:?}");
        let mut g = f.clone();
        g.executors = vec!["u2".into()];
        g.assigned = vec!["u2".into()];
        g.departments = vec!["d2".into()];
        let rows = diff(Some(&f), Some(&g));
        let moved: Vec<(&str, i64)> = rows.iter().filter(|r| r.3 == fig::APPEALS).map(|r| (r.1.as_str(), r.5)).collect();
        assert_eq!(moved, vec![("dep:d1", -1), ("dep:d2", 1), ("ex:u1", -1)]);
    }

    #[test]
    fn answered_by_dispatch_date_or_approval_date() {
        let due: NaiveDate = "2025-03-31".parse().unwrap();
        assert_eq!(answered(None, None, due), 0);
        assert_eq!(answered(Some("2025-04-01".parse().unwrap()), Some("2025-03-30".parse().unwrap()), due), 2);
        assert_eq!(answered(None, Some("2025-03-31".parse().unwrap()), due), 1);
    }
}
