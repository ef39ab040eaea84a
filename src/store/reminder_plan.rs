//! The reminder planner's SQL: one organization's planning pass (batches per executor on the
//! day's first pass, queued appeals row by row later), the dispatcher's expansion of a batch,
//! and the statements both run. The rows it writes are outbox rows (`super::outbox`).

use super::schema::{plan_batches, plan_marks, plan_queue};
use super::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

backend_fns! {
    pub fn plan_pass(c: &mut Conn, d: Dialect, p: &PlanPass, reason: &str) -> Result<Planned, ServiceError> {
        use diesel::sql_types::{Text, Timestamp};
        let rules = p.rules();
        c.write_tx(|c| {
            let mark: Option<(NaiveDate, String)> = plan_marks::table.filter(plan_marks::organization_id.eq(p.org)).select((plan_marks::day, plan_marks::rules)).first(c).optional()?;
            // Taken out first: an action committing meanwhile queues its appeal again.
            let queued: Vec<String> = diesel::delete(plan_queue::table.filter(plan_queue::organization_id.eq(p.org))).returning(plan_queue::appeal_id).get_results(c)?;
            let mut out = Planned::default();
            let statements: Vec<String> = if mark.as_ref().is_some_and(|(day, r)| *day == p.dates.today && *r == rules) {
                queued.chunks(QUEUE_CHUNK).flat_map(|ids| plan_statements(d, p, Scope::Appeals(ids))).collect()
            } else {
                // The day's first pass: the executors with something due get a batch each, expanded
                // by the dispatcher; a batch of an earlier day is not sent late.
                diesel::delete(plan_batches::table.filter(plan_batches::organization_id.eq(p.org)).filter(plan_batches::day.ne(p.dates.today))).execute(c)?;
                for s in batch_statements(d, p) {
                    out.batches += diesel::sql_query(s.as_str()).bind::<Text, _>(p.org).bind::<Timestamp, _>(p.at).execute(c)?;
                }
                summary_statement(d, p).into_iter().collect()
            };
            for s in statements {
                out.rows += diesel::sql_query(s.as_str()).bind::<Text, _>(p.org).bind::<Timestamp, _>(p.at).bind::<Text, _>(reason).execute(c)?;
            }
            diesel::delete(plan_marks::table.filter(plan_marks::organization_id.eq(p.org))).execute(c)?;
            diesel::insert_into(plan_marks::table)
                .values((plan_marks::organization_id.eq(p.org), plan_marks::day.eq(p.dates.today), plan_marks::rules.eq(&rules), plan_marks::planned_at.eq(p.at)))
                .execute(c)?;
            Ok(out)
        })
    }

    pub fn expand_next(c: &mut Conn, d: Dialect, p: &PlanPass, reason: &str) -> Result<Option<usize>, ServiceError> {
        use diesel::sql_types::{Date, Text, Timestamp};
        c.write_tx(|c| {
            if d.pg {
                // A batch lost with a crash is lost with its deletion: it is expanded again, and
                // the first durable commit after it (a row marked sent) flushes it anyway.
                diesel::sql_query("SET LOCAL synchronous_commit = off").execute(c)?;
            }
            // Another dispatcher expanding a batch right now keeps it; this one takes the next.
            let lock = if d.pg { " FOR UPDATE SKIP LOCKED" } else { "" };
            let next: Option<BatchRow> = diesel::sql_query(d.sql(format!("SELECT executor_id FROM plan_batches WHERE organization_id = $1 AND day = $2 ORDER BY executor_id LIMIT 1{lock}")))
                .bind::<Text, _>(p.org)
                .bind::<Date, _>(p.dates.today)
                .get_result(c)
                .optional()?;
            let Some(batch) = next else { return Ok(None) };
            let scope = if batch.executor_id.is_empty() { Scope::Unassigned } else { Scope::Executor(&batch.executor_id) };
            let mut n = 0;
            for s in plan_statements(d, p, scope) {
                n += diesel::sql_query(s.as_str()).bind::<Text, _>(p.org).bind::<Timestamp, _>(p.at).bind::<Text, _>(reason).execute(c)?;
            }
            diesel::delete(plan_batches::table.filter(plan_batches::organization_id.eq(p.org)).filter(plan_batches::day.eq(p.dates.today)).filter(plan_batches::executor_id.eq(&batch.executor_id))).execute(c)?;
            Ok(Some(n))
        })
    }

    pub fn has_batches(c: &mut Conn, org: &str, day: NaiveDate) -> Result<bool, ServiceError> {
        Ok(diesel::select(diesel::dsl::exists(plan_batches::table.filter(plan_batches::organization_id.eq(org)).filter(plan_batches::day.eq(day)))).get_result(c)?)
    }
}

/// Whether the organization has batches of `day` left to expand (a read, so the dispatcher's
/// idle minutes take no write lock and read no staff list).
pub fn has_batches(pool: &DbPool, org: &str, day: NaiveDate) -> Result<bool, ServiceError> {
    dispatch!(pool, has_batches(org, day))
}

/// One organization's planning pass, as the store needs it: the rule dates the calendar gave,
/// the instant rows are written at, and the staff whose address gets nothing (outside the
/// national zone: their rows are written `skipped` with the reason, as applicants' are).
#[derive(Clone, Debug)]
pub struct PlanPass<'a> {
    /// Organization.
    pub org: &'a str,
    /// What fires today.
    pub dates: &'a crate::domain::reminders::PlanDates,
    /// The pass's instant (UTC), written as `scheduled_for` and `created_at`.
    pub at: NaiveDateTime,
    /// Users whose address is outside the national zone.
    pub skipped_users: &'a [String],
}

impl PlanPass<'_> {
    /// SQL true for a recipient `u` whose address is outside the national zone.
    fn skipped_condition(&self) -> String {
        if self.skipped_users.is_empty() {
            "FALSE".to_string()
        } else {
            format!("u.id IN ({})", self.skipped_users.iter().map(|u| lit(u)).collect::<Vec<_>>().join(", "))
        }
    }

    /// What the day's plan depends on besides the appeals: the rules' dates and the skipped
    /// staff. A marker with other rules (a changed config, a calendar edit) is not trusted.
    fn rules(&self) -> String {
        format!("{:?}; skipped: {}", self.dates, self.skipped_users.join(","))
    }
}

/// Queued appeals planned per statement (a literal `IN` list).
const QUEUE_CHUNK: usize = 500;

/// The notification columns a planned row fills (the rest keep their defaults).
const PLAN_COLUMNS: &str = "id, organization_id, appeal_id, recipient, kind, dedup_key, subject, body, status, scheduled_for, attempts, created_at, skip_reason, params";

/// An open appeal's deadline as the executor sees it: the internal control date where set.
/// Spelled as in the `appeals_open_deadline` index, so both backends reach rows through it.
const DEADLINE: &str = "COALESCE(a.control_date, a.due_date)";

/// The partial index's predicate, spelled as in the index.
const OPEN: &str = "a.status IN ('registered', 'in_work', 'answer_review')";

/// A recipient among the organization's staff: active, with an address.
const STAFF: &str = "u.active = TRUE AND u.organization_id = $1 AND u.email IS NOT NULL AND TRIM(u.email) <> ''";

/// The responsible executor of `a`, as `s` and `u`.
const RESPONSIBLE: &str = "JOIN assignments s ON s.appeal_id = a.id AND s.organization_id = a.organization_id AND s.active = TRUE AND s.responsible = TRUE \
                           JOIN users u ON u.id = s.user_id AND u.organization_id = s.organization_id";

/// A user's assignments as `s` with their appeals as `a` (reached through `assignments_user_active`).
const RESPONSIBLE_OF_USER: &str = "assignments s JOIN appeals a ON a.id = s.appeal_id AND a.organization_id = s.organization_id";

/// The SQL differences the planner's statements meet.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Dialect {
    pg: bool,
}

impl Dialect {
    /// A date literal (ours, never user input).
    fn date(self, d: NaiveDate) -> String {
        if self.pg { format!("DATE '{d}'") } else { format!("'{d}'") }
    }

    /// A fresh UUIDv7 per row with the pass's instant as its time: ids of one pass share the
    /// 48-bit millisecond prefix and land at the primary key's right edge (a random UUID put
    /// each row on a random leaf page), the rest is random (74 bits).
    fn new_id(self, at: NaiveDateTime) -> String {
        let ms = at.and_utc().timestamp_millis().max(0) as u64 & 0xffff_ffff_ffff;
        let head = format!("{:08x}-{:04x}-7", ms >> 16, ms & 0xffff);
        if self.pg {
            // gen_random_uuid(): xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx; from its 16th character on.
            format!("'{head}' || substr(gen_random_uuid()::text, 16)")
        } else {
            format!(
                "'{head}' || substr(lower(hex(randomblob(2))), 2) || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || \
                 substr(lower(hex(randomblob(2))), 2) || '-' || lower(hex(randomblob(6)))"
            )
        }
    }

    /// `$n` placeholders as the backend spells them (`?n` on SQLite).
    fn sql(self, s: String) -> String {
        if self.pg { s } else { s.replace('$', "?") }
    }
}

/// A SQL string literal of a value we made (keys, dates, UUIDs).
fn lit(v: &str) -> String {
    format!("'{}'", v.replace('\'', "''"))
}

/// Which appeals a planning statement covers.
#[derive(Clone, Copy, Debug)]
enum Scope<'a> {
    /// Appeals queued by actions since the day's first pass (and their executors' digests).
    Appeals(&'a [String]),
    /// One executor's batch: the appeals they are responsible for (their reminders and the
    /// supervisors' escalations of them) and their digest.
    Executor(&'a str),
    /// Open appeals without a responsible executor: their escalations.
    Unassigned,
}

/// What a planning pass wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Planned {
    /// Outbox rows (queued appeals' reminders, the weekly summary).
    pub rows: usize,
    /// Executors' batches for the dispatcher to expand.
    pub batches: usize,
}

/// A batch as the dispatcher claims it.
#[derive(QueryableByName)]
struct BatchRow {
    #[diesel(sql_type = diesel::sql_types::Text)]
    executor_id: String,
}

/// The per-appeal planning statements of one scope: executor reminders (the few deadline
/// dates that fire today and the daily overdue reminder, one statement over the open-deadline
/// index), escalation (one range of legal due dates) and the digest. Each is an
/// `INSERT … SELECT … ON CONFLICT DO NOTHING`: the unique key per organization leaves out what
/// is planned already. Rows carry keys and parameters only; the dispatcher renders them.
fn plan_statements(d: Dialect, p: &PlanPass, scope: Scope) -> Vec<String> {
    let dates = p.dates;
    let today = dates.today.to_string();
    let skipped = p.skipped_condition();
    let status = format!("CASE WHEN {skipped} THEN 'skipped' ELSE 'pending' END");
    let reason = format!("CASE WHEN {skipped} THEN $3 END");
    let id = d.new_id(p.at);
    let responsible_of = |user: &str| format!("SELECT s.appeal_id FROM assignments s WHERE s.user_id = {} AND s.active = TRUE AND s.responsible = TRUE", lit(user));
    // The appeals of the scope, as a condition on `a`.
    let appeals_of = match scope {
        Scope::Appeals(ids) if ids.is_empty() => " AND a.id IN (NULL)".to_string(),
        Scope::Appeals(ids) => format!(" AND a.id IN ({})", ids.iter().map(|i| lit(i)).collect::<Vec<_>>().join(", ")),
        Scope::Executor(user) => format!(" AND a.id IN ({})", responsible_of(user)),
        Scope::Unassigned => " AND NOT EXISTS (SELECT 1 FROM assignments s WHERE s.appeal_id = a.id AND s.active = TRUE AND s.responsible = TRUE)".to_string(),
    };
    // (organization, appeal, recipient, kind, key) then the common tail, then params.
    let select = |appeal: &str, kind: &str, key: &str, params: &str| format!("SELECT {id}, $1, {appeal}, TRIM(u.email), {kind}, {key}, '', '', {status}, $2, 0, $2, {reason}, {params}");
    let params = |extra: &str| format!("'{{\"user\":\"' || u.id || '\",\"on\":\"{today}\"{extra}}}'");
    let mut out = Vec::new();
    // Executor reminders, the step dates and the daily overdue one in one statement: the
    // deadlines as an `IN` list and a range of the partial index. Rows are inserted in appeal
    // order, which is their deduplication key's and `notifications_appeal`'s order.
    let mut when: Vec<String> = Vec::new();
    let mut kind = "'reminder'".to_string();
    let mut rule = String::from("CASE");
    if let Some(key) = &dates.overdue_key {
        when.push(format!("{DEADLINE} < {}", d.date(dates.today)));
        kind = format!("CASE WHEN {DEADLINE} < {} THEN 'overdue' ELSE 'reminder' END", d.date(dates.today));
        rule.push_str(&format!(" WHEN {DEADLINE} < {} THEN {}", d.date(dates.today), lit(key)));
    }
    if !dates.steps.is_empty() {
        when.push(format!("{DEADLINE} IN ({})", dates.steps.iter().map(|(day, _, _)| d.date(*day)).collect::<Vec<_>>().join(", ")));
        for (day, _, key) in &dates.steps {
            rule.push_str(&format!(" WHEN {DEADLINE} = {} THEN {}", d.date(*day), lit(key)));
        }
    }
    rule.push_str(" END");
    let reminder_key = format!("{kind} || ':' || a.id || ':' || {rule} || ':' || u.id || ':' || CAST({DEADLINE} AS TEXT)");
    let reminder_params = params(&format!(",\"deadline\":\"' || CAST({DEADLINE} AS TEXT) || '\""));
    let escalation_key = "'escalation:' || a.id || ':' || u.id || ':' || CAST(a.due_date AS TEXT)";
    let escalation_params = params(",\"due_date\":\"' || CAST(a.due_date AS TEXT) || '\"");
    let supervisors = "JOIN users u ON u.organization_id = a.organization_id AND u.role = 'supervisor'";
    if let Scope::Executor(user) = scope {
        // One read of the executor's open appeals (through `assignments_user_active`) feeds
        // both their reminders and the supervisors' escalations of them.
        let mut wanted = when.clone();
        if let Some(e) = dates.escalate_through {
            wanted.push(format!("a.due_date <= {}", d.date(e)));
        }
        let mut parts = Vec::new();
        if !when.is_empty() {
            parts.push(format!("{} FROM mine a JOIN users u ON u.id = {} AND u.organization_id = a.organization_id WHERE ({}) AND {STAFF}", select("a.id", &kind, &reminder_key, &reminder_params), lit(user), when.join(" OR ")));
        }
        if let Some(e) = dates.escalate_through {
            parts.push(format!("{} FROM mine a {supervisors} WHERE a.due_date <= {} AND {STAFF}", select("a.id", "'escalation'", escalation_key, &escalation_params), d.date(e)));
        }
        if !parts.is_empty() {
            out.push(format!(
                "WITH mine AS MATERIALIZED (SELECT a.id, a.organization_id, a.control_date, a.due_date FROM {RESPONSIBLE_OF_USER} WHERE s.user_id = {} AND s.active = TRUE AND s.responsible = TRUE \
                 AND a.organization_id = $1 AND {OPEN} AND ({})) INSERT INTO notifications ({PLAN_COLUMNS}) {} ON CONFLICT DO NOTHING",
                lit(user),
                wanted.join(" OR "),
                parts.join(" UNION ALL ")
            ));
        }
    } else {
        if !when.is_empty() && !matches!(scope, Scope::Unassigned) {
            out.push(format!(
                "INSERT INTO notifications ({PLAN_COLUMNS}) {} FROM appeals a {RESPONSIBLE} WHERE a.organization_id = $1 AND {OPEN} AND ({}){appeals_of} AND {STAFF} ORDER BY a.id ON CONFLICT DO NOTHING",
                select("a.id", &kind, &reminder_key, &reminder_params),
                when.join(" OR "),
            ));
        }
        if let Some(e) = dates.escalate_through {
            out.push(format!(
                "INSERT INTO notifications ({PLAN_COLUMNS}) {} FROM appeals a {supervisors} WHERE a.organization_id = $1 AND {OPEN} AND a.due_date <= {}{appeals_of} AND {STAFF} ORDER BY a.id ON CONFLICT DO NOTHING",
                select("a.id", "'escalation'", escalation_key, &escalation_params),
                d.date(e)
            ));
        }
    }
    if let Some(until) = dates.digest_until {
        let key = format!("'digest:' || u.id || ':{today}'");
        let executors = match scope {
            Scope::Appeals(_) => format!(" AND u.id IN (SELECT q.user_id FROM assignments q JOIN appeals a ON a.id = q.appeal_id AND a.organization_id = q.organization_id WHERE q.active = TRUE AND q.responsible = TRUE{appeals_of})"),
            Scope::Executor(user) => format!(" AND u.id = {}", lit(user)),
            Scope::Unassigned => String::new(),
        };
        if !matches!(scope, Scope::Unassigned) {
            out.push(format!(
                "INSERT INTO notifications ({PLAN_COLUMNS}) {} FROM users u WHERE {STAFF}{executors} \
                 AND NOT EXISTS (SELECT 1 FROM notifications n WHERE n.organization_id = $1 AND n.dedup_key = {key}) \
                 AND EXISTS (SELECT 1 FROM assignments s JOIN appeals a ON a.id = s.appeal_id AND a.organization_id = s.organization_id WHERE s.user_id = u.id AND s.organization_id = u.organization_id AND s.active = TRUE AND s.responsible = TRUE AND {OPEN} AND {DEADLINE} <= {}) \
                 ON CONFLICT DO NOTHING",
                select("NULL", "'digest'", &key, &params(&format!(",\"until\":\"{until}\""))),
                d.date(until)
            ));
        }
    }
    out.into_iter().map(|s| d.sql(s)).collect()
}

/// The day's first pass: one batch per executor with an open appeal at a reminder step, an
/// escalation or in the digest's week, found by probing each executor's assignments until the
/// first such appeal; and one for appeals without a responsible executor when escalation is on.
/// Every user of the organization is probed, the inactive too: the appeals of an executor who
/// left still escalate. Binds: `$1` organization, `$2` the pass's instant.
fn batch_statements(d: Dialect, p: &PlanPass) -> Vec<String> {
    let dates = p.dates;
    let day = d.date(dates.today);
    // The latest executor deadline any rule reads today.
    let last = [dates.steps.last().map(|s| s.0), dates.digest_until, dates.overdue_key.as_ref().map(|_| dates.today - chrono::Days::new(1))].into_iter().flatten().max();
    let mut due: Vec<String> = Vec::new();
    if let Some(l) = last {
        due.push(format!("{DEADLINE} <= {}", d.date(l)));
    }
    if let Some(e) = dates.escalate_through {
        due.push(format!("a.due_date <= {}", d.date(e)));
    }
    let mut out = Vec::new();
    if !due.is_empty() {
        out.push(format!(
            "INSERT INTO plan_batches (organization_id, day, executor_id, planned_at) SELECT $1, {day}, u.id, $2 FROM users u WHERE u.organization_id = $1 \
             AND EXISTS (SELECT 1 FROM {RESPONSIBLE_OF_USER} WHERE s.user_id = u.id AND s.active = TRUE AND s.responsible = TRUE AND a.organization_id = $1 AND {OPEN} AND ({})) \
             ON CONFLICT DO NOTHING",
            due.join(" OR ")
        ));
    }
    if dates.escalate_through.is_some() {
        out.push(format!("INSERT INTO plan_batches (organization_id, day, executor_id, planned_at) VALUES ($1, {day}, '', $2) ON CONFLICT DO NOTHING"));
    }
    out.into_iter().map(|s| d.sql(s)).collect()
}

/// The weekly summary to the supervisors, on its day (it concerns no appeal: written by the
/// pass itself). Binds as [`plan_statements`].
fn summary_statement(d: Dialect, p: &PlanPass) -> Option<String> {
    let (week, week_end) = p.dates.summary.as_ref()?;
    let skipped = p.skipped_condition();
    let today = p.dates.today;
    Some(d.sql(format!(
        "INSERT INTO notifications ({PLAN_COLUMNS}) SELECT {}, $1, NULL, TRIM(u.email), 'summary', 'summary:' || u.id || ':{week}', '', '', \
         CASE WHEN {skipped} THEN 'skipped' ELSE 'pending' END, $2, 0, $2, CASE WHEN {skipped} THEN $3 END, \
         '{{\"user\":\"' || u.id || '\",\"on\":\"{today}\",\"week\":\"{week}\",\"week_end\":\"{week_end}\"}}' \
         FROM users u WHERE u.role = 'supervisor' AND {STAFF} ON CONFLICT DO NOTHING",
        d.new_id(p.at)
    )))
}

/// One organization's planning pass, in one transaction.
///
/// The day's first pass (or one after the rules, an import or the staff changed: no marker for
/// the day with these rules) writes no per-appeal row: it finds the executors with anything due
/// today and leaves one batch each, which the dispatcher expands ([`expand_next`]), so the pass
/// costs about one read of the open appeals, not a write per reminder. Later passes that day
/// plan the appeals queued by actions since (`plan_queue`) row by row, so an extension, an
/// assignment or a registration is planned by the very next pass.
pub fn plan_pass(pool: &DbPool, p: &PlanPass) -> Result<Planned, ServiceError> {
    let reason = crate::domain::validation::SKIP_FOREIGN_ZONE;
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(_) => dispatch!(pool, plan_pass(Dialect { pg: false }, p, reason)),
        #[cfg(feature = "postgres")]
        DbPool::Pg(_) => dispatch!(pool, plan_pass(Dialect { pg: true }, p, reason)),
    }
}

/// Expands one of the organization's batches of `p`'s day into that executor's reminders, the
/// escalations of their appeals and their digest, and deletes it, in one transaction (two
/// dispatchers never expand the same batch: `SKIP LOCKED` on PostgreSQL, the write lock on
/// SQLite; the deduplication key would leave a second expansion empty anyway). Batches of
/// other days are never expanded (the day's first pass deletes them). `None` when no batch of
/// the day is left.
pub fn expand_next(pool: &DbPool, p: &PlanPass) -> Result<Option<usize>, ServiceError> {
    let reason = crate::domain::validation::SKIP_FOREIGN_ZONE;
    match pool {
        #[cfg(feature = "sqlite")]
        DbPool::Sqlite(_) => dispatch!(pool, expand_next(Dialect { pg: false }, p, reason)),
        #[cfg(feature = "postgres")]
        DbPool::Pg(_) => dispatch!(pool, expand_next(Dialect { pg: true }, p, reason)),
    }
}

