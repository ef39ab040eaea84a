//! Bulk actions: one control action with one set of parameters over many appeals (the
//! morning's resolutions for fifty letters). Every appeal goes through exactly the single
//! action's use case — visibility first, the state machine, the action's precondition, one
//! history entry — through the same planned step (`<action>::plan`) and the same store write,
//! so statistics deltas, notices and reminders are what the single actions would write. Each
//! history entry carries the batch's `bulk_id`. Rows are independent unless the caller asks
//! for all or nothing (see `store::bulk` for how rows share transactions).

use crate::domain::error_code::ErrorCode;
use super::answer::CommonAnswerInput;
use super::approve::ApproveInput;
use super::assign::AssignInput;
use super::dispatch::DispatchInput;
use super::consider::ConsiderationInput;
use super::extend::ExtendInput;
use super::forward::ForwardInput;
use super::leave::LeaveInput;
use super::rework::CommentInput;
use super::{deciders, Actor, Planned};
use crate::domain::roles::Role;
use crate::domain::validation::{Errors, FieldError};
use crate::domain::workflow::{Action, Part, Refusal};
use crate::state::AppState;
use crate::store::bulk::{RowResult, Target};
use crate::store::ServiceError;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Most appeals one batch may name: a morning's stack, small enough to answer in seconds.
pub const MAX_IDS: usize = 500;

/// The actions that may be taken over many appeals at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum BulkAction {
    /// Resolution: the same executors for every appeal.
    Assign,
    /// Forwarding by competence to one body (each appeal gets its own cover-letter number).
    Forward,
    /// Extension of the deadline by the same days with the same reason.
    Extend,
    /// Removal from additional control.
    Close,
    /// Leaving without an answer on one Art. 11 ground.
    LeaveWithoutAnswer,
    /// Consideration flags (documents requested, on-site check, …).
    Consideration,
    /// One answer text for every appeal (each its own draft, from its responsible executor).
    Answer,
    /// Approval of each appeal's answer awaiting review.
    Approve,
    /// Dispatch of each appeal's approved answer, each with its own outgoing number.
    Dispatch,
}

impl BulkAction {
    /// Every bulk action, in the order the pages' action bar shows them.
    pub const ALL: [BulkAction; 9] = [
        BulkAction::Assign,
        BulkAction::Forward,
        BulkAction::Extend,
        BulkAction::Close,
        BulkAction::LeaveWithoutAnswer,
        BulkAction::Consideration,
        BulkAction::Answer,
        BulkAction::Approve,
        BulkAction::Dispatch,
    ];

    /// The single control action it repeats.
    pub fn action(self) -> Action {
        match self {
            BulkAction::Assign => Action::Assign,
            BulkAction::Forward => Action::Forward,
            BulkAction::Extend => Action::Extend,
            BulkAction::Close => Action::Close,
            BulkAction::LeaveWithoutAnswer => Action::LeaveWithoutAnswer,
            BulkAction::Consideration => Action::Consider,
            BulkAction::Answer => Action::Answer,
            BulkAction::Approve => Action::Approve,
            BulkAction::Dispatch => Action::Dispatch,
        }
    }

    /// The API code.
    pub fn as_str(self) -> &'static str {
        match self {
            BulkAction::Assign => "assign",
            BulkAction::Forward => "forward",
            BulkAction::Extend => "extend",
            BulkAction::Close => "close",
            BulkAction::LeaveWithoutAnswer => "leave-without-answer",
            BulkAction::Consideration => "consideration",
            BulkAction::Answer => "answer",
            BulkAction::Approve => "approve",
            BulkAction::Dispatch => "dispatch",
        }
    }

    /// Parses an API code.
    pub fn parse(s: &str) -> Option<BulkAction> {
        BulkAction::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// The button's Russian label on the pages' action bar.
    pub fn label(self) -> &'static str {
        match self {
            BulkAction::Assign => "Назначить",
            BulkAction::Forward => "Направить по компетенции",
            BulkAction::Extend => "Продлить срок",
            BulkAction::Close => "Снять с контроля",
            BulkAction::LeaveWithoutAnswer => "Оставить без ответа",
            BulkAction::Consideration => "Отметить ход рассмотрения",
            BulkAction::Answer => "Подготовить ответ",
            BulkAction::Approve => "Утвердить ответ",
            BulkAction::Dispatch => "Отправить ответ",
        }
    }

    /// True when `role` may take the action on some appeal (by role, or by a part in its
    /// resolution): a batch of an action the role may never take is refused as a whole.
    pub fn open_to_role(self, role: Role) -> bool {
        let a = self.action();
        [Part::None, Part::Responsible, Part::CoExecutor].into_iter().any(|p| a.open_to(role, p))
    }
}

/// The single action's parameters, typed.
#[derive(Clone)]
pub enum Params {
    /// `assign`.
    Assign(AssignInput),
    /// `forward`.
    Forward(ForwardInput),
    /// `extend`.
    Extend(ExtendInput),
    /// `close`.
    Close(CommentInput),
    /// `leave-without-answer`.
    LeaveWithoutAnswer(LeaveInput),
    /// `consideration`.
    Consideration(ConsiderationInput),
    /// `answer`.
    Answer(CommonAnswerInput),
    /// `approve`.
    Approve(ApproveInput),
    /// `dispatch`.
    Dispatch(DispatchInput),
}

impl Params {
    /// The action these parameters are for.
    pub fn action(&self) -> BulkAction {
        match self {
            Params::Assign(_) => BulkAction::Assign,
            Params::Forward(_) => BulkAction::Forward,
            Params::Extend(_) => BulkAction::Extend,
            Params::Close(_) => BulkAction::Close,
            Params::LeaveWithoutAnswer(_) => BulkAction::LeaveWithoutAnswer,
            Params::Consideration(_) => BulkAction::Consideration,
            Params::Answer(_) => BulkAction::Answer,
            Params::Approve(_) => BulkAction::Approve,
            Params::Dispatch(_) => BulkAction::Dispatch,
        }
    }
}

/// A batch as the use case takes it: the parameters, the appeals (with any expected versions)
/// and whether it is all or nothing.
pub struct Batch {
    /// The action and its parameters.
    pub params: Params,
    /// The appeals, in the caller's order.
    pub targets: Vec<Target>,
    /// One transaction that refuses everything if any appeal is refused.
    pub all_or_nothing: bool,
}

/// What a batch did.
pub struct Outcome {
    /// The id every history entry of the batch carries as `bulk_id`.
    pub bulk_id: String,
    /// Each appeal's outcome, in the caller's order: the new version, or the refusal.
    pub rows: Vec<(String, RowResult)>,
}

impl Outcome {
    /// Appeals changed.
    pub fn done(&self) -> usize {
        self.rows.iter().filter(|(_, r)| r.is_ok()).count()
    }
}

/// Checks of a batch that need no database: 1–500 appeals, none named twice, expected
/// versions only for appeals of the batch.
pub fn validate_targets(targets: &[Target]) -> Result<(), Vec<FieldError>> {
    let mut e = Errors::default();
    if targets.is_empty() || targets.len() > MAX_IDS {
        e.add("ids", format!("от 1 до {MAX_IDS} обращений"));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, t) in targets.iter().enumerate() {
        if !seen.insert(t.id.as_str()) {
            e.add(format!("ids[{i}]"), "обращение указано дважды");
        }
    }
    e.finish()
}

/// The refusal a row that would have succeeded gets when another row sank an all-or-nothing batch.
fn batch_refused() -> ServiceError {
    ServiceError::conflict(ErrorCode::BatchRefused, "не выполнено: в пакете «всё или ничего» отказано по другим обращениям", json!({}))
}

/// The single action's planned step for `params`.
fn plan<'a>(state: &'a AppState, actor: &Actor, actor_login: &str, params: Params) -> Result<Planned<'a>, ServiceError> {
    Ok(match params {
        Params::Assign(i) => super::assign::plan(state, actor, i)?,
        Params::Forward(i) => {
            if i.organization_id.is_some() {
                // Each appeal forwarded inside the instance is registered by the receiver in its own transaction with the sender's.
                return Err(ServiceError::Invalid(vec![FieldError { field: "organization_id".into(), message: "в организацию системы обращения перенаправляют по одному".into() }]));
            }
            if i.letter_number.is_some() {
                // One typed number cannot go on many cover letters.
                return Err(ServiceError::Invalid(vec![FieldError { field: "letter_number".into(), message: "в пакете каждое сопроводительное письмо получает свой номер: оставьте поле пустым".into() }]));
            }
            super::forward::plan(state, actor, i)?
        }
        Params::Extend(i) => super::extend::plan(state, actor, actor_login, i)?,
        Params::Close(i) => super::close::plan(state, actor, i)?,
        Params::LeaveWithoutAnswer(i) => super::leave::plan(state, actor, i)?,
        Params::Consideration(i) => super::consider::plan(actor, i)?,
        Params::Answer(i) => super::answer::plan_common(state, actor, i)?,
        Params::Approve(i) => super::approve::plan(state, actor, None, i),
        Params::Dispatch(i) => {
            if i.outgoing_number.is_some() {
                // One typed number cannot go on many answers.
                return Err(ServiceError::Invalid(vec![FieldError { field: "outgoing_number".into(), message: "в пакете каждый ответ получает свой исходящий номер: оставьте поле пустым".into() }]));
            }
            super::dispatch::plan(state, actor, None, i)?
        }
    })
}

/// Parallel writers of an independent batch: PostgreSQL takes groups of rows on two
/// connections at once (each group its own transaction, the groups disjoint); SQLite has one
/// writer anyway.
fn workers(state: &AppState) -> usize {
    match state.pool.backend() {
        crate::store::Backend::Postgres => 2,
        _ => 1,
    }
}

/// The targets' positions split among `workers`: in id order, groups of
/// `store::bulk::ROWS_PER_COMMIT` dealt out in turn, each share in id order.
fn shares(targets: &[Target], workers: usize) -> Vec<Vec<usize>> {
    let mut order: Vec<usize> = (0..targets.len()).collect();
    order.sort_by(|a, b| targets[*a].id.cmp(&targets[*b].id));
    let mut out: Vec<Vec<usize>> = (0..workers.max(1)).map(|_| Vec::new()).collect();
    let n = out.len();
    for (g, group) in order.chunks(crate::store::bulk::ROWS_PER_COMMIT).enumerate() {
        out[g % n].extend_from_slice(group);
    }
    out.retain(|s| !s.is_empty());
    out
}

/// Plans `params` and calls `f` with the guarded step (visibility, state machine,
/// precondition, as a single action) that tags each history entry with `bulk_id`.
fn with_decider<T>(
    state: &AppState,
    actor: &Actor,
    actor_login: &str,
    params: &Params,
    bulk_id: &str,
    f: impl FnOnce(crate::store::bulk::Decide<'_>, crate::store::stats_deltas::LocalDay) -> Result<T, ServiceError>,
) -> Result<T, ServiceError> {
    let plan = plan(state, actor, actor_login, params.clone())?;
    let mut step = deciders(state, vec![plan]).pop().expect("one plan, one step");
    let mut decide = |card: &crate::store::appeals::CardData| {
        let mut change = (step.decide)(card)?;
        match change.details.as_object_mut() {
            Some(obj) => {
                obj.insert("bulk_id".into(), json!(bulk_id));
            }
            None => change.details = json!({"bulk_id": bulk_id}),
        }
        Ok(change)
    };
    let local_day = |t: chrono::NaiveDateTime| state.local_date(&actor.org, t.and_utc());
    f(&mut decide, &local_day)
}

/// Runs `batch` as `actor` (see the module's doc). `Err` is a refusal of the whole batch:
/// bad parameters (422), a role that may never take the action (403), a database failure.
pub fn run(state: &AppState, actor: &Actor, actor_login: &str, batch: Batch) -> Result<Outcome, ServiceError> {
    let kind = batch.params.action();
    let action = kind.action();
    if !kind.open_to_role(actor.role) {
        return Err(ServiceError::Refused { refusal: Refusal::Role, action });
    }
    validate_targets(&batch.targets).map_err(ServiceError::Invalid)?;
    // The parameters are the single action's body: their fields are named `params.<field>`.
    let in_params = |e: ServiceError| match e {
        ServiceError::Invalid(errs) => ServiceError::Invalid(errs.into_iter().map(|f| FieldError { field: format!("params.{}", f.field), message: f.message }).collect()),
        other => other,
    };
    let plan: Planned<'_> = plan(state, actor, actor_login, batch.params.clone()).map_err(in_params)?;
    let bulk_id = crate::store::new_id();
    let started = std::time::Instant::now();
    let now = state.now_naive();
    // Checked once here; each worker plans again from the same parameters (a plan is not `Send`).
    drop(plan);
    let results = if batch.all_or_nothing {
        let (rows, committed) = with_decider(state, actor, actor_login, &batch.params, &bulk_id, |decide, local_day| {
            crate::store::bulk::apply_all_or_nothing(&state.pool, &actor.org, &batch.targets, &actor.id, now, local_day, decide)
        })?;
        if committed {
            rows
        } else {
            rows.into_iter().map(|r| r.and_then(|_| Err(batch_refused()))).collect()
        }
    } else {
        // Forwarding takes its cover letter's number before the card's version is checked.
        let savepoints = kind == BulkAction::Forward;
        let shares = shares(&batch.targets, workers(state));
        let outcomes: Vec<Result<Vec<(usize, RowResult)>, ServiceError>> = std::thread::scope(|scope| {
            let handles: Vec<_> = shares
                .iter()
                .map(|share| {
                    let (params, bulk_id, all) = (&batch.params, &bulk_id, &batch.targets);
                    scope.spawn(move || {
                        let targets: Vec<Target> = share.iter().map(|i| all[*i].clone()).collect();
                        let rows = with_decider(state, actor, actor_login, params, bulk_id, |decide, local_day| {
                            crate::store::bulk::apply_each(&state.pool, &actor.org, &targets, savepoints, &actor.id, now, local_day, decide)
                        })?;
                        Ok(share.iter().copied().zip(rows).collect())
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().unwrap_or_else(|_| Err(ServiceError::Connect("bulk worker panicked".into())))).collect()
        });
        let mut rows: Vec<Option<RowResult>> = (0..batch.targets.len()).map(|_| None).collect();
        for (positions, share) in shares.iter().zip(outcomes) {
            match share {
                Ok(done) => {
                    for (i, r) in done {
                        rows[i] = Some(r);
                    }
                }
                // The other workers' rows stand: this share's rows answer 500 (the cause is logged).
                Err(e) => {
                    let cause = e.to_string();
                    for i in positions {
                        rows[*i] = Some(Err(ServiceError::Connect(cause.clone())));
                    }
                }
            }
        }
        rows.into_iter().map(|r| r.unwrap_or(Err(ServiceError::NotFound))).collect()
    };
    let rows: Vec<(String, RowResult)> = batch.targets.into_iter().map(|t| t.id).zip(results).collect();
    let outcome = Outcome { bulk_id, rows };
    let done = outcome.done();
    // Sizes and outcome only: never an applicant, a number or a text.
    tracing::info!(bulk_id = %outcome.bulk_id, action = kind.as_str(), actor_id = %actor.id, size = outcome.rows.len(), done, refused = outcome.rows.len() - done,
        all_or_nothing = batch.all_or_nothing, ms = started.elapsed().as_millis() as u64, "bulk action");
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(id: &str) -> Target {
        Target { id: id.into(), if_match: None }
    }

    #[test]
    fn codes_round_trip_and_repeat_the_single_actions() {
        for a in BulkAction::ALL {
            assert_eq!(BulkAction::parse(a.as_str()), Some(a));
            assert_eq!(serde_json::to_value(a).unwrap(), json!(a.as_str()));
        }
        assert_eq!(BulkAction::LeaveWithoutAnswer.action(), Action::LeaveWithoutAnswer);
        assert_eq!(BulkAction::Consideration.action(), Action::Consider);
        assert_eq!(BulkAction::Approve.action(), Action::Approve);
        assert_eq!(BulkAction::parse("return"), None);
    }

    #[test]
    fn a_role_may_bulk_only_what_it_may_do_singly() {
        assert!(BulkAction::Assign.open_to_role(Role::Clerk));
        assert!(BulkAction::Forward.open_to_role(Role::Clerk));
        assert!(!BulkAction::Extend.open_to_role(Role::Clerk));
        assert!(!BulkAction::Assign.open_to_role(Role::Executor));
        assert!(!BulkAction::Close.open_to_role(Role::Executor));
        // Its executors record how an appeal is considered.
        assert!(BulkAction::Consideration.open_to_role(Role::Executor));
        assert!(BulkAction::LeaveWithoutAnswer.open_to_role(Role::Supervisor));
        // The responsible executor drafts; only a supervisor approves.
        assert!(BulkAction::Answer.open_to_role(Role::Executor));
        assert!(!BulkAction::Approve.open_to_role(Role::Executor));
        assert!(!BulkAction::Approve.open_to_role(Role::Clerk));
    }

    #[test]
    fn groups_of_rows_are_dealt_out_in_id_order() {
        let targets: Vec<Target> = (0..120).rev().map(|i| t(&format!("{i:03}"))).collect();
        let ids = |share: &Vec<usize>| share.iter().map(|i| targets[*i].id.clone()).collect::<Vec<_>>();
        let two = shares(&targets, 2);
        assert_eq!(two.len(), 2);
        let expect = |r: std::ops::Range<usize>| r.map(|i| format!("{i:03}")).collect::<Vec<_>>();
        assert_eq!(ids(&two[0]), [expect(0..50), expect(100..120)].concat());
        assert_eq!(ids(&two[1]), expect(50..100));
        // One share for one worker, none empty for many.
        assert_eq!(ids(&shares(&targets, 1)[0]), expect(0..120));
        assert_eq!(shares(&targets[..10], 4).len(), 1);
    }

    #[test]
    fn a_batch_names_one_to_five_hundred_appeals_each_once() {
        assert!(validate_targets(&[]).is_err());
        assert!(validate_targets(&[t("a"), t("b")]).is_ok());
        let errs = validate_targets(&[t("a"), t("b"), t("a")]).unwrap_err();
        assert_eq!(errs[0].field, "ids[2]");
        let many: Vec<Target> = (0..=MAX_IDS).map(|i| t(&i.to_string())).collect();
        assert_eq!(validate_targets(&many).unwrap_err()[0].field, "ids");
        assert!(validate_targets(&many[..MAX_IDS]).is_ok());
    }
}
