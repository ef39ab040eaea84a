//! The demo's workflow: imported appeals go through the control use case as the staff would
//! take them — resolution, forwarding, extension, answer, return for rework, approval and
//! dispatch, removal from additional control, oral answers at reception — each step with the
//! clock set to its own working day and hour. Several workers share the appeals, each on a
//! connection and a clock of its own, keeping in step week by week (SQLite's commits then
//! share flushes; PostgreSQL works on several connections).

use super::gen::percent;
use crate::clock::FixedClock;
use crate::control::answer::{AnswerInput, ResultInput};
use crate::control::approve::ApproveInput;
use crate::control::assign::{AssignInput, ExecutorInput};
use crate::control::dispatch::{DispatchInput, SentChannel};
use crate::control::extend::ExtendInput;
use crate::control::forward::ForwardInput;
use crate::control::oral::OralAnswer;
use crate::control::rework::CommentInput;
use crate::control;
use crate::domain::roles::Actor;
use crate::domain::appeal::{OfficialRole, QuestionResult};
use crate::domain::calendar::ProductionCalendar;
use crate::domain::roles::Role;
use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::ServiceError;
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

/// Who acts in the demo workflow (user ids).
pub struct Staff {
    /// Organization.
    pub org: String,
    /// Executors: the responsible one is picked by the appeal's first question's section.
    pub executors: Vec<String>,
    /// Reviews answers, extends deadlines, removes from control.
    pub supervisor: String,
    /// The supervisor's login (the extension's history names it).
    pub supervisor_login: String,
    /// Registers resolutions, forwards and dispatches.
    pub clerk: String,
    /// The head, who answers orally at personal reception (a supervisor).
    pub head: String,
    /// The deputy, likewise.
    pub deputy: String,
}

/// Where an appeal's consideration is taken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Left as registered.
    Registered,
    /// Assigned, not answered (overdue once its deadline passes).
    InWork,
    /// Forwarded by competence.
    Forwarded,
    /// Answered, awaiting review.
    Answered,
    /// Answered, approved, dispatched and kept on additional control.
    Approved,
    /// As `Approved`, then removed from control once the promised measures are done.
    Measures,
    /// Returned for rework, answered again, approved, dispatched.
    Returned,
    /// Extended, then answered, approved and dispatched.
    Extended,
    /// Answered, approved and dispatched (which removes it from control); `late` after the deadline.
    Closed {
        /// Answered after the 30 days.
        late: bool,
    },
    /// Answered orally at personal reception, on the day.
    Oral,
}

/// A realistic mix of states for the random profile, which ends today: some appeals are
/// still registered, in work or awaiting review.
pub fn fate(i: usize) -> Fate {
    match percent(i, 0) {
        0..=5 => Fate::Registered,
        6..=13 => Fate::InWork,
        14..=17 => Fate::Forwarded,
        18..=22 => Fate::Answered,
        23..=26 => Fate::Approved,
        27..=30 => Fate::Returned,
        31..=34 => Fate::Extended,
        35..=40 => Fate::Closed { late: true },
        _ => Fate::Closed { late: false },
    }
}

/// The Ukhta profile's mix: a finished story (2023–2024, considered by spring 2025), mostly
/// answered on time; 3% late, 6% extended, 4% returned for rework, 5% kept on control until
/// promised measures were done, 4% forwarded by competence.
pub fn ukhta_fate(i: usize) -> Fate {
    match percent(i, 0) {
        0..=3 => Fate::Forwarded,
        4..=6 => Fate::Closed { late: true },
        7..=12 => Fate::Extended,
        13..=16 => Fate::Returned,
        17..=21 => Fate::Measures,
        _ => Fate::Closed { late: false },
    }
}

/// Results per question (%): the Ukhta report publishes no split of results, so this one is
/// chosen as plausible for a municipality — most questions explained, a fifth supported with
/// measures taken, one in ten supported, the rest not supported.
pub const RESULT_SHARES: [(QuestionResult, usize); 4] = [
    (QuestionResult::Explained, 57),
    (QuestionResult::SupportedMeasuresTaken, 19),
    (QuestionResult::Supported, 10),
    (QuestionResult::NotSupported, 14),
];

/// The result of question `k` of appeal `i` (promised measures: supported, measures taken).
fn result_of(i: usize, k: usize, fate: Fate) -> QuestionResult {
    if fate == Fate::Measures {
        return QuestionResult::SupportedMeasuresTaken;
    }
    let mut r = percent(i, k + 1);
    for (result, share) in RESULT_SHARES {
        if r < share {
            return result;
        }
        r -= share;
    }
    QuestionResult::Explained
}

/// The hours of a working day the steps happen at (local time), in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Slot {
    /// 09:30: resolutions.
    Morning,
    /// 11:30: forwarding, extensions, returns, removal from control, reception.
    Midday,
    /// 14:30: answers.
    Afternoon,
    /// 16:30: approval and dispatch.
    Evening,
}

impl Slot {
    fn time(self) -> NaiveTime {
        let (h, m) = match self {
            Slot::Morning => (9, 30),
            Slot::Midday => (11, 30),
            Slot::Afternoon => (14, 30),
            Slot::Evening => (16, 30),
        };
        NaiveTime::from_hms_opt(h, m, 0).expect("valid")
    }
}

/// One step of the control use case.
#[derive(Clone, Copy, Debug)]
enum Act {
    Assign,
    Forward,
    Extend,
    Answer,
    Return,
    /// Approval and dispatch in one transaction (the same hour); `keep` on additional control.
    Send { keep: bool },
    Close,
    Oral,
}

/// The steps of fate `f` for appeal `i`: days after registration, hour, action.
fn steps(f: Fate, i: usize) -> Vec<(i64, Slot, Act)> {
    let ans = match f {
        Fate::Closed { late: true } => 31 + (i % 12) as i64,
        Fate::Extended => 38 + (i % 10) as i64,
        _ => 4 + (i % 19) as i64,
    };
    let assign = (1, Slot::Morning, Act::Assign);
    let answer = (ans, Slot::Afternoon, Act::Answer);
    let send = |day: i64, keep: bool| (day, Slot::Evening, Act::Send { keep });
    match f {
        Fate::Registered => vec![],
        Fate::Oral => vec![(0, Slot::Midday, Act::Oral)],
        Fate::InWork => vec![assign],
        Fate::Forwarded => vec![assign, (3, Slot::Midday, Act::Forward)],
        Fate::Answered => vec![assign, answer],
        Fate::Approved => vec![assign, answer, send(ans + 1, true)],
        Fate::Measures => vec![assign, answer, send(ans + 1, true), (ans + 31 + (i % 45) as i64, Slot::Midday, Act::Close)],
        Fate::Returned => vec![assign, answer, (ans + 1, Slot::Midday, Act::Return), (ans + 3, Slot::Afternoon, Act::Answer), send(ans + 4, false)],
        Fate::Extended => vec![assign, (12, Slot::Midday, Act::Extend), answer, send(ans + 1, false)],
        Fate::Closed { .. } => vec![assign, answer, send(ans + 1, false)],
    }
}

/// The steps on their days: each on the first working day at or after its offset, and
/// strictly after the step before it.
fn schedule(calendar: &ProductionCalendar, on: NaiveDate, plan: &[(i64, Slot, Act)]) -> Vec<(NaiveDate, Slot, Act)> {
    let working = |mut d: NaiveDate| {
        while !calendar.is_working_day(d) {
            d += Duration::days(1);
        }
        d
    };
    let mut out: Vec<(NaiveDate, Slot, Act)> = Vec::with_capacity(plan.len());
    for &(offset, slot, act) in plan {
        let mut d = if offset == 0 { on } else { working(on + Duration::days(offset)) };
        if let Some(&(pd, ps, _)) = out.last() {
            if (d, slot) <= (pd, ps) {
                d = working(pd + Duration::days(1));
            }
        }
        out.push((d, slot, act));
    }
    out
}

/// An imported appeal and where it is taken.
pub struct Case {
    /// Appeal id.
    pub id: String,
    /// Registration day.
    pub registered_on: NaiveDate,
    /// Its questions' codes.
    pub codes: Vec<String>,
    /// Where it is taken.
    pub fate: Fate,
    /// The official who received the citizen, for oral answers at reception.
    pub official: Option<OfficialRole>,
}

/// What the workflow did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Outcome {
    /// Steps applied.
    pub done: usize,
    /// Steps refused (the appeal stays where it was; logged).
    pub refused: usize,
}

/// An appeal on its way: its next step and the answer awaiting review.
struct Progress {
    next: usize,
    answer: Option<String>,
    stopped: bool,
}

/// Workers the appeals are dealt out to, each on a connection and a clock of its own.
const WORKERS: usize = 4;

/// Days the workers go through before they wait for each other: outgoing numbers, taken from
/// one counter, follow dispatch dates to within this window.
const WINDOW_DAYS: i64 = 7;

/// Takes `cases` through their steps up to `until` (later steps are left: the appeal stays
/// where the story is at that instant). The appeals are dealt out to [`WORKERS`] workers; each
/// takes its appeals' steps in time order on a clock of its own set to each step's hour, and
/// the workers keep in step week by week ([`WINDOW_DAYS`]). The state's own clock is not moved.
pub fn run(state: &AppState, staff: &Staff, cases: &[Case], until: DateTime<Utc>) -> Outcome {
    let tz = state.org(&staff.org).tz();
    let instant = |d: NaiveDate, s: Slot| tz.from_local_datetime(&d.and_time(s.time())).earliest().map(|t| t.with_timezone(&Utc));
    let workers = WORKERS.min(cases.len()).max(1);
    type Agenda = BTreeMap<(NaiveDate, Slot), Vec<(usize, usize)>>;
    let mut agendas: Vec<Agenda> = (0..workers).map(|_| BTreeMap::new()).collect();
    let mut plans = Vec::with_capacity(cases.len());
    for (i, c) in cases.iter().enumerate() {
        let plan = schedule(&state.calendar, c.registered_on, &steps(c.fate, i));
        for (k, &(d, s, _)) in plan.iter().enumerate() {
            if instant(d, s).is_some_and(|t| t <= until) {
                agendas[i % workers].entry((d, s)).or_default().push((i, k));
            }
        }
        plans.push(plan);
    }
    let first = agendas.iter().filter_map(|a| a.keys().next()).map(|k| k.0).min();
    let last = agendas.iter().filter_map(|a| a.keys().next_back()).map(|k| k.0).max();
    let (Some(first), Some(last)) = (first, last) else { return Outcome::default() };
    let clocks: Vec<Arc<FixedClock>> = (0..workers).map(|_| Arc::new(FixedClock::new(until))).collect();
    let states: Vec<AppState> = clocks.iter().map(|c| state.with_clock(c.clone())).collect();
    let actor = |id: &str, role: Role| Actor { id: id.to_string(), org: staff.org.clone(), role };
    let crews: Vec<Crew> = states.iter().map(|st| Crew { state: st, staff, sup: actor(&staff.supervisor, Role::Supervisor), clerk: actor(&staff.clerk, Role::Clerk) }).collect();
    // Worker `w` owns the progress of appeals `i % workers == w`.
    let mut own: Vec<HashMap<usize, Progress>> = (0..workers).map(|_| HashMap::new()).collect();
    for i in 0..cases.len() {
        own[i % workers].insert(i, Progress { next: 0, answer: None, stopped: false });
    }
    let mut total = Outcome::default();
    let mut from = first;
    while from <= last {
        let to = from + Duration::days(WINDOW_DAYS);
        let outcomes: Vec<Outcome> = std::thread::scope(|s| {
            let handles: Vec<_> = own
                .iter_mut()
                .zip(&agendas)
                .zip(&crews)
                .zip(&clocks)
                .map(|(((mine, agenda), crew), clock)| {
                    let (plans, instant) = (&plans, &instant);
                    s.spawn(move || {
                        let mut o = Outcome::default();
                        for (&(day, slot), due) in agenda.range((from, Slot::Morning)..(to, Slot::Morning)) {
                            let Some(at) = instant(day, slot) else { continue };
                            clock.set(at);
                            for &(i, k) in due {
                                let Some(p) = mine.get_mut(&i) else { continue };
                                if p.stopped || p.next != k {
                                    continue;
                                }
                                match crew.apply(&cases[i], i, plans[i][k].2, p, day) {
                                    Ok(()) => {
                                        o.done += 1;
                                        p.next += 1;
                                    }
                                    Err(e) => {
                                        tracing::warn!(appeal = %cases[i].id, step = ?plans[i][k].2, error = %e, "demo step refused");
                                        o.refused += 1;
                                        p.stopped = true;
                                    }
                                }
                            }
                        }
                        o
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_default()).collect()
        });
        for o in outcomes {
            total.done += o.done;
            total.refused += o.refused;
        }
        from = to;
    }
    total
}

/// The staff at work: applies one step as the right person.
struct Crew<'a> {
    state: &'a AppState,
    staff: &'a Staff,
    sup: Actor,
    clerk: Actor,
}

impl Crew<'_> {
    /// The responsible executor: by the first question's section, so one person answers on
    /// housing, another on roads and improvement.
    fn executor(&self, c: &Case, i: usize) -> Actor {
        let n = self.staff.executors.len().max(1);
        let section: usize = c.codes.first().and_then(|q| q.get(..4)).and_then(|s| s.parse().ok()).unwrap_or(0);
        let pick = (section * 2 + i % 2) % n;
        Actor { id: self.staff.executors[pick].clone(), org: self.staff.org.clone(), role: Role::Executor }
    }

    fn answer_input(&self, c: &Case, i: usize, text: &str) -> AnswerInput {
        let results = c.codes.iter().enumerate().map(|(k, code)| ResultInput { code: code.clone(), result: result_of(i, k, c.fate) }).collect();
        AnswerInput { text: text.into(), results }
    }

    fn apply(&self, c: &Case, i: usize, act: Act, p: &mut Progress, today: NaiveDate) -> Result<(), ServiceError> {
        let st = self.state;
        let id = c.id.as_str();
        let pending = |card: &CardData| card.answers.iter().rev().find(|a| a.status == "pending").map(|a| a.id.clone());
        match act {
            Act::Assign => {
                let ex = self.executor(c, i);
                let input = AssignInput { executors: vec![ExecutorInput { user_id: ex.id, responsible: true }], instruction: Some("Для рассмотрения и подготовки ответа заявителю".into()) };
                control::assign::assign(st, &self.clerk, id, None, input)?;
            }
            Act::Forward => {
                let input = ForwardInput {
                    organization: Some("Государственная жилищная инспекция Республики Коми".into()),
                    body_id: None,
                    organization_id: None,
                    reason: Some("Вопросы не входят в компетенцию администрации".into()),
                    letter_number: None,
                };
                control::forward::forward(st, &self.clerk, id, None, input)?;
            }
            Act::Extend => {
                let input = ExtendInput { days: 30, reason: "Запрошены документы в другом органе".into() };
                control::extend::extend(st, &self.sup, &self.staff.supervisor_login, id, None, input)?;
            }
            Act::Answer => {
                let text = if p.answer.is_some() { "Ответ дополнен по замечаниям" } else { "Ответ по существу поставленных вопросов" };
                let card = control::answer::answer(st, &self.executor(c, i), id, None, self.answer_input(c, i, text))?;
                p.answer = pending(&card);
            }
            Act::Return => {
                let aid = p.answer.clone().ok_or(ServiceError::NotFound)?;
                control::rework::return_for_rework(st, &self.sup, id, &aid, None, CommentInput { comment: Some("Ответ не по существу: дополните".into()) })?;
            }
            Act::Send { keep } => {
                let plans = vec![
                    control::approve::plan(st, &self.sup, None, ApproveInput { close: !keep }),
                    control::dispatch::plan(st, &self.clerk, None, DispatchInput { sent_on: today, channel: SentChannel::Post, outgoing_number: None })?,
                ];
                control::run_chain(st, &self.staff.org, id, None, plans)?;
            }
            Act::Close => {
                control::close::close(st, &self.sup, id, None, CommentInput { comment: Some("Обещанные меры приняты, заявитель уведомлён".into()) })?;
            }
            Act::Oral => {
                let official = match c.official {
                    Some(OfficialRole::Deputy) => &self.staff.deputy,
                    _ => &self.staff.head,
                };
                let official = Actor { id: official.clone(), org: self.staff.org.clone(), role: Role::Supervisor };
                let answer = self.answer_input(c, i, "Разъяснено на личном приёме");
                let plans = control::oral::plan(st, &self.clerk, &official, OralAnswer { text: answer.text, results: answer.results })?;
                control::run_chain(st, &self.staff.org, id, None, plans)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_fall_on_working_days_in_order() {
        let cal = ProductionCalendar::load_dir(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("config/calendar")).unwrap();
        // Registered on Friday 27 December 2024: no step on a weekend or a New Year holiday,
        // each after the one before.
        let on: NaiveDate = "2024-12-27".parse().unwrap();
        for i in 0..40 {
            for f in [ukhta_fate(i), fate(i)] {
                let plan = schedule(&cal, on, &steps(f, i));
                for w in plan.windows(2) {
                    assert!((w[0].0, w[0].1) < (w[1].0, w[1].1), "{f:?}: {w:?}");
                }
                assert!(plan.iter().all(|(d, _, _)| cal.is_working_day(*d)), "{f:?}: {plan:?}");
            }
        }
    }

    #[test]
    fn ukhta_mix_is_mostly_on_time_and_results_follow_the_shares() {
        let n = 2600;
        let on_time = (0..n).filter(|i| ukhta_fate(*i) == Fate::Closed { late: false }).count();
        assert!((1900..2200).contains(&on_time), "{on_time}");
        assert!((0..n).all(|i| !matches!(ukhta_fate(i), Fate::Registered | Fate::InWork | Fate::Answered | Fate::Approved)), "the Ukhta story finishes every appeal");
        let explained = (0..n).filter(|i| result_of(*i, 0, Fate::Closed { late: false }) == QuestionResult::Explained).count();
        assert!((1350..1600).contains(&explained), "{explained}");
    }
}
