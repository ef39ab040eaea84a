//! Appeals: registration and import (numbering, repeat links, idempotency), reading cards,
//! filtered keyset lists, and the single write path every control action goes through.

use super::history;
use super::models::*;
use super::schema::{answers, appeal_links, appeals, applicants, assignments, contributions, match_keys, questions, reg_counters};
use super::{DbPool, ServiceError, WriteTx};
use super::outbox::{OutboxChange, OutboxWrite};
use super::search::{newest_first_after, Scope, SearchIndex, TextSearch};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::{BTreeSet, HashMap};

/// How many earlier appeals a new one is linked to at most.
pub const MAX_LINKS: i64 = 10;

/// A validated appeal ready to be stored; `appeal.reg_number` empty means "assign the next number".
#[derive(Clone, Debug)]
pub struct NewAppeal {
    /// The card (status, deadline and flags already decided by the domain).
    pub appeal: AppealRow,
    /// Applicants.
    pub applicants: Vec<ApplicantRow>,
    /// Questions.
    pub questions: Vec<QuestionRow>,
    /// Its rows of `match_keys`: one per applicant key and question code.
    pub match_keys: Vec<MatchKeyRow>,
    /// Year the number belongs to.
    pub reg_year: i32,
    /// The sequence inside a legacy number of the template's shape: the year's counter moves past it.
    pub legacy_seq: Option<i64>,
    /// Who registered it.
    pub actor: Option<String>,
    /// History action name (`registered` or `imported`).
    pub action: &'static str,
    /// Notices written with the registration (the acknowledgement; `⟦reg_number⟧` filled here).
    pub outbox: OutboxChange,
}

/// The use case's rendering of a reserved sequence number into the card: it sets `reg_number`
/// and adds the number to the search text (the store only reserves numbers).
#[derive(Clone, Copy)]
pub struct Numbering<'a> {
    render: &'a (dyn Fn(&mut AppealRow, i64) + Sync),
    seq_width: Option<usize>,
}

impl<'a> Numbering<'a> {
    /// `render` writes a sequence number into a card; `seq_width` is the template's
    /// [`crate::domain::regnum::seq_width`]: when known, PostgreSQL reserves the number in the
    /// statement that writes the card and fills [`crate::domain::regnum::SEQ_PLACEHOLDER`]'s digits in.
    pub fn new(render: &'a (dyn Fn(&mut AppealRow, i64) + Sync), seq_width: Option<usize>) -> Self {
        Self { render, seq_width }
    }

    /// Renders `seq` into the card.
    pub fn apply(&self, row: &mut AppealRow, seq: i64) {
        (self.render)(row, seq)
    }
}

/// The domain's decision on a new appeal's earlier ones: whether it is repeated, and its links.
pub type LinkDecision<'a> = &'a (dyn Fn(&AppealRow, &[Candidate]) -> (bool, Vec<LinkRow>) + Sync);

/// An earlier appeal of the same applicant on the same question.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// Its id.
    pub id: String,
    /// Its status code.
    pub status: String,
    /// Its deadline.
    pub due_date: NaiveDate,
    /// When it was registered (candidates come most recent first).
    pub registered_at: NaiveDateTime,
}

/// Everything a card shows, read in a few batched queries.
#[derive(Clone, Debug)]
pub struct CardData {
    /// The card row.
    pub appeal: AppealRow,
    /// Applicants in order.
    pub applicants: Vec<ApplicantRow>,
    /// Questions in order.
    pub questions: Vec<QuestionRow>,
    /// Assignments, active and past.
    pub assignments: Vec<AssignmentRow>,
    /// Answers, oldest first.
    pub answers: Vec<AnswerRow>,
    /// Co-executors' contributions, oldest first.
    pub contributions: Vec<ContributionRow>,
    /// Related appeals (repeated / duplicate), both directions.
    pub related: Vec<String>,
}

/// Order of a list.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ListOrder {
    /// Newest registration first (the registry).
    NewestFirst,
    /// Nearest deadline first (an executor's queue).
    DueFirst,
}

/// Filters of `GET /api/v1/appeals`, already resolved to stored values.
#[derive(Clone, Debug)]
pub struct ListFilter {
    /// Organization.
    pub org: String,
    /// Registered at or after.
    pub registered_from: Option<NaiveDateTime>,
    /// Registered before.
    pub registered_before: Option<NaiveDateTime>,
    /// Status codes (any of).
    pub statuses: Vec<String>,
    /// Channel code.
    pub channel: Option<String>,
    /// Section code of any question.
    pub section: Option<String>,
    /// Actively assigned to this user (a filter).
    pub executor_id: Option<String>,
    /// Restrict to appeals actively assigned to this user (an executor's visibility).
    pub visible_to: Option<String>,
    /// Deadline on or before this date.
    pub due_on_or_before: Option<NaiveDate>,
    /// Deadline strictly before this date.
    pub due_before: Option<NaiveDate>,
    /// Deadline on or after this date.
    pub due_on_or_after: Option<NaiveDate>,
    /// Text search (`q`): a contains-match over the folded search text.
    pub search: Option<TextSearch>,
    /// Keyset position: (registered_at, id) of the last item seen.
    pub after: Option<(NaiveDateTime, String)>,
    /// Keyset position in deadline order: (due_date, registered_at, id) of the last item seen.
    pub after_due: Option<(NaiveDate, NaiveDateTime, String)>,
    /// Page size.
    pub limit: i64,
    /// Order.
    pub order: ListOrder,
}

/// Where a dispatched answer's outgoing number comes from.
#[derive(Clone, Debug)]
pub enum OutgoingNumber {
    /// Typed by the clerk (the number the document already bears).
    Given(String),
    /// The year's next sequence, rendered by the use case's function (the store only counts).
    Next {
        /// Year of the counter.
        year: i32,
        /// Renders a sequence number.
        render: fn(&str, i32, i64) -> String,
        /// The template it renders.
        template: String,
    },
}

/// An approved answer's dispatch: the signed answer leaves the building.
#[derive(Clone, Debug)]
pub struct Dispatch {
    /// The answer.
    pub answer_id: String,
    /// Its outgoing number.
    pub number: OutgoingNumber,
    /// Date sent.
    pub sent_on: NaiveDate,
    /// Way sent.
    pub channel: String,
    /// Who registered the dispatch.
    pub by: String,
}

/// What a control action changes, decided by the domain from the current card.
#[derive(Clone, Debug, Default)]
pub struct Change {
    /// The card after the change (version is bumped by the store).
    pub appeal: Option<AppealRow>,
    /// Deactivate every current assignment first (reassignment).
    pub replace_assignments: bool,
    /// New assignments.
    pub new_assignments: Vec<AssignmentRow>,
    /// New answer.
    pub new_answer: Option<AnswerRow>,
    /// Answer status updates: (id, status, reviewer, comment).
    pub answer_reviews: Vec<(String, String, String, Option<String>)>,
    /// An approved answer's `close_on_dispatch`: whether its dispatch removes the appeal from control.
    pub close_on_dispatch: Option<(String, bool)>,
    /// Question results: (question id, result, actions_taken, result date).
    pub question_results: Vec<(String, Option<String>, bool, Option<NaiveDate>)>,
    /// A co-executor's contribution.
    pub new_contribution: Option<ContributionRow>,
    /// An approved answer's dispatch.
    pub dispatch: Option<Dispatch>,
    /// The outgoing number of the cover letter forwarding the appeal (stored on the card).
    pub forward_number: Option<OutgoingNumber>,
    /// Corrected applicants: replace every applicant row.
    pub replace_applicants: Option<Vec<ApplicantRow>>,
    /// Corrected questions: replace every question row (kept rows carry their old ids and results).
    pub replace_questions: Option<Vec<QuestionRow>>,
    /// History action.
    pub action: String,
    /// History details (before/after of changed fields).
    pub details: serde_json::Value,
    /// Notices and reminder cancellations written in the same transaction.
    pub outbox: OutboxChange,
    /// A corrected card's new matching keys (replace the appeal's rows of `match_keys`).
    pub match_keys: Option<Vec<MatchKeyRow>>,
}

fn group<T, F: Fn(&T) -> &str>(rows: Vec<T>, key: F) -> HashMap<String, Vec<T>> {
    let mut m: HashMap<String, Vec<T>> = HashMap::new();
    for r in rows {
        m.entry(key(&r).to_string()).or_default().push(r);
    }
    m
}

/// A row of the candidate lookup.
#[derive(QueryableByName)]
struct Found {
    #[diesel(sql_type = diesel::sql_types::Text)]
    appeal_id: String,
    #[diesel(sql_type = diesel::sql_types::Timestamp)]
    registered_at: NaiveDateTime,
    #[diesel(sql_type = diesel::sql_types::Text)]
    status: String,
    #[diesel(sql_type = diesel::sql_types::Date)]
    due_date: NaiveDate,
}

/// How a backend spells the n-th bind parameter of a hand-built statement (also used by `stats`).
pub(crate) trait Dialect {
    /// The marker of the n-th (1-based) parameter.
    fn marker(n: usize) -> String;
}

#[cfg(feature = "sqlite")]
impl Dialect for diesel::SqliteConnection {
    fn marker(_: usize) -> String {
        "?".into()
    }
}

#[cfg(feature = "postgres")]
impl Dialect for diesel::PgConnection {
    fn marker(n: usize) -> String {
        format!("${n}")
    }
}

/// Most recent first (ties by id, descending), each appeal once, at most [`MAX_LINKS`].
fn newest_first(found: &mut Vec<(NaiveDateTime, String)>) {
    found.sort_by(|a, b| b.cmp(a));
    let mut seen = BTreeSet::new();
    found.retain(|(_, id)| seen.insert(id.clone()));
    found.truncate(MAX_LINKS as usize);
}

/// The candidate lookup's rows as candidates: most recent first, each appeal once, at most [`MAX_LINKS`].
fn newest_candidates(found: Vec<Found>) -> Vec<Candidate> {
    let mut order: Vec<(NaiveDateTime, String)> = found.iter().map(|f| (f.registered_at, f.appeal_id.clone())).collect();
    newest_first(&mut order);
    let mut by_id: HashMap<String, Found> = found.into_iter().map(|f| (f.appeal_id.clone(), f)).collect();
    order
        .into_iter()
        .filter_map(|(at, id)| by_id.remove(&id).map(|f| Candidate { id, status: f.status, due_date: f.due_date, registered_at: at }))
        .collect()
}

/// The distinct (key, code) pairs of an appeal's key rows.
fn pairs_of(keys: &[MatchKeyRow]) -> Vec<(String, String)> {
    let set: BTreeSet<(String, String)> = keys.iter().map(|k| (k.match_key.clone(), k.code.clone())).collect();
    set.into_iter().collect()
}

/// The first history entry of a registered or imported appeal.
fn first_entry(row: &AppealRow, a: &NewAppeal, links: &[LinkRow]) -> NewHistory {
    let details = serde_json::json!({"reg_number": row.reg_number, "status": row.status, "due_date": row.due_date, "repeated": row.repeated,
        "late_registration": row.late_registration, "related_appeal_ids": links.iter().map(|l| &l.related_appeal_id).collect::<Vec<_>>()});
    history::entry(&row.organization_id, &row.id, row.registered_at, a.actor.as_deref(), a.action, details)
}

/// The key rows of an import's stored and new appeals by pair, newest first, so each row finds
/// its earlier appeals by a binary search instead of a query.
struct EarlierIndex<'a> {
    by_pair: HashMap<(&'a str, &'a str), Vec<(NaiveDateTime, &'a str)>>,
}

impl<'a> EarlierIndex<'a> {
    fn new(rows: impl Iterator<Item = &'a MatchKeyRow>) -> Self {
        let mut by_pair: HashMap<(&str, &str), Vec<(NaiveDateTime, &str)>> = HashMap::new();
        for r in rows {
            by_pair.entry((r.match_key.as_str(), r.code.as_str())).or_default().push((r.registered_at, r.appeal_id.as_str()));
        }
        for v in by_pair.values_mut() {
            v.sort_by(|a, b| b.cmp(a));
            v.dedup();
        }
        Self { by_pair }
    }

    /// Appeals registered before `at` (at `at`, those with a smaller id) sharing a pair.
    fn before(&self, pairs: &[(String, String)], at: NaiveDateTime, id: &str) -> Vec<(NaiveDateTime, String)> {
        let mut found = Vec::new();
        for (k, c) in pairs {
            if let Some(v) = self.by_pair.get(&(k.as_str(), c.as_str())) {
                let start = v.partition_point(|&(t, i)| (t, i) >= (at, id));
                found.extend(v[start..].iter().take(MAX_LINKS as usize).map(|&(t, i)| (t, i.to_string())));
            }
        }
        newest_first(&mut found);
        found
    }
}

/// Times the steps of a bulk import, summed over its chunks and logged together (milliseconds
/// per step), so a profile shows where an import's time goes without a profiler.
pub struct Lap {
    last: std::time::Instant,
    steps: Vec<(&'static str, u128)>,
}

impl Lap {
    fn new() -> Self {
        Self { last: std::time::Instant::now(), steps: Vec::new() }
    }

    /// Adds the time since the previous step to `step`'s total.
    fn at(&mut self, step: &'static str) {
        let ms = self.last.elapsed().as_millis();
        match self.steps.iter_mut().find(|(s, _)| *s == step) {
            Some((_, total)) => *total += ms,
            None => self.steps.push((step, ms)),
        }
        self.last = std::time::Instant::now();
    }

    fn log(&self) {
        tracing::info!(steps = ?self.steps, "import steps (ms, summed over chunks)");
    }
}

/// Appeals per chunk of an import's insert: one chunk's copies of the rows exist at a time, and
/// each chunk is a handful of statements (SQLite) or one COPY per table (PostgreSQL).
pub const IMPORT_CHUNK: usize = 5_000;

/// The rows of a bulk import, table by table.
pub struct Bulk<'a> {
    /// Cards.
    pub rows: &'a [AppealRow],
    /// Applicants.
    pub people: &'a [ApplicantRow],
    /// Questions.
    pub questions: &'a [QuestionRow],
    /// Matching keys.
    pub keys: &'a [MatchKeyRow],
    /// Links to earlier appeals.
    pub links: &'a [LinkRow],
    /// First history entries.
    pub history: &'a [NewHistory],
}

/// The upsert that moves one counter table's row for (organization, year) on by a step,
/// creating it, and returns the new value: the text [`bump_counter`] keeps prepared.
macro_rules! counter_upsert {
    ($table:literal) => {
        concat!(
            "INSERT INTO ", $table, " (organization_id, year, last_seq) VALUES (?, ?, ?) ",
            "ON CONFLICT (organization_id, year) DO UPDATE SET last_seq = ", $table, ".last_seq + excluded.last_seq RETURNING last_seq"
        )
    };
}

backend_fns! {
    /// The year's registration counter moved on by `by` (0 only reads it, creating the row),
    /// inside the caller's transaction.
    pub fn next_seq(c: &mut Conn, org: &str, year: i32, by: i64) -> Result<i64, ServiceError> {
        bump_counter(c, counter_upsert!("reg_counters"), org, year, by)
    }

    /// The next outgoing (answer) number's sequence for the year, inside the caller's transaction.
    pub fn next_outgoing_seq(c: &mut Conn, org: &str, year: i32) -> Result<i64, ServiceError> {
        bump_counter(c, counter_upsert!("outgoing_counters"), org, year, 1)
    }

    /// The next forwarding cover letter's sequence for the year, inside the caller's transaction.
    pub fn next_forward_seq(c: &mut Conn, org: &str, year: i32) -> Result<i64, ServiceError> {
        bump_counter(c, counter_upsert!("forward_counters"), org, year, 1)
    }

    /// Runs one of the counters' upserts (`sql`: organization, year, step) and returns the new
    /// value. A fixed text stays prepared on its connection; diesel's own upsert with
    /// `RETURNING` is prepared again on every call (2.5% of the server's CPU in registration).
    fn bump_counter(c: &mut Conn, sql: &'static str, org: &str, year: i32, by: i64) -> Result<i64, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        #[derive(QueryableByName)]
        struct Seq {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            last_seq: i64,
        }
        let rows: Vec<Seq> = Prepared::new(sql, vec![Arg::Text(org.to_string()), Arg::Int(year), Arg::BigInt(by)]).load(c)?;
        rows.into_iter().next().map(|r| r.last_seq).ok_or_else(|| ServiceError::from(diesel::result::Error::NotFound))
    }

    /// Moves the year's counter past `seq` (a legacy number in the template's format), so
    /// generated numbers never collide with imported ones.
    fn raise_counter(c: &mut Conn, org: &str, year: i32, seq: i64) -> Result<(), ServiceError> {
        let current = next_seq(c, org, year, 0)?;
        if current < seq {
            diesel::update(reg_counters::table.find((org, year))).set(reg_counters::last_seq.eq(seq)).execute(c)?;
        }
        Ok(())
    }

    pub fn find_by_external(conn: &mut Conn, org: &str, channel: &str, external_id: &str) -> Result<Option<(String, String)>, ServiceError> {
        Ok(appeals::table
            .filter(appeals::organization_id.eq(org))
            .filter(appeals::channel.eq(channel))
            .filter(appeals::external_id.eq(external_id))
            .select((appeals::id, appeals::reg_number))
            .first(conn)
            .optional()?)
    }

    /// The most recent earlier appeals sharing a (key, code) pair with a new one, newest first:
    /// one backward range of `match_keys`' primary key per pair, each stopped after
    /// [`MAX_LINKS`] rows, joined to their cards by primary key: one round trip.
    pub fn candidates(c: &mut Conn, org: &str, pairs: &[(String, String)]) -> Result<Vec<Candidate>, ServiceError> {
        if pairs.is_empty() {
            return Ok(Vec::new());
        }
        // One text per count of pairs (a registration has a handful), so each stays prepared on
        // its connection instead of being parsed and planned for every registration.
        let ranges: Vec<String> = (0..pairs.len())
            .map(|i| {
                format!(
                    "SELECT appeal_id, registered_at FROM (SELECT appeal_id, registered_at FROM match_keys WHERE organization_id = ? AND match_key = ? AND code = ? \
                     ORDER BY registered_at DESC, appeal_id DESC LIMIT {MAX_LINKS}) AS m{i}"
                )
            })
            .collect();
        // Each found appeal's status and deadline by primary key, in the same round trip.
        let sql = format!("SELECT m.appeal_id, m.registered_at, a.status, a.due_date FROM ({}) AS m JOIN appeals a ON a.id = m.appeal_id", ranges.join(" UNION ALL "));
        use crate::store::prepared::{Arg, Prepared};
        let args = pairs.iter().flat_map(|(key, code)| [Arg::Text(org.to_string()), Arg::Text(key.clone()), Arg::Text(code.clone())]).collect();
        let found: Vec<Found> = Prepared::owned(sql.into(), args).load(c)?;
        Ok(newest_candidates(found))
    }

    /// Status and deadline of earlier appeals (by primary key), keeping the given order.
    fn details(c: &mut Conn, org: &str, found: Vec<(NaiveDateTime, String)>) -> Result<Vec<Candidate>, ServiceError> {
        if found.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<&String> = found.iter().map(|(_, id)| id).collect();
        let mut rows: HashMap<String, (String, NaiveDate)> = HashMap::new();
        for chunk in ids.chunks(1000) {
            let got: Vec<(String, String, NaiveDate)> = appeals::table
                .filter(appeals::id.eq_any(chunk))
                .filter(appeals::organization_id.eq(org))
                .select((appeals::id, appeals::status, appeals::due_date))
                .load(c)?;
            rows.extend(got.into_iter().map(|(id, st, due)| (id, (st, due))));
        }
        Ok(found
            .into_iter()
            .filter_map(|(at, id)| rows.remove(&id).map(|(status, due_date)| Candidate { id, status, due_date, registered_at: at }))
            .collect())
    }

    pub fn register(conn: &mut Conn, a: &NewAppeal, links_for: LinkDecision, numbering: Numbering) -> Result<CardData, ServiceError> {
        if number_in_write::<Conn>(a, numbering).is_some() && !a.outbox.cancel_reminders {
            // PostgreSQL: a read, then every row in one statement, which is its own transaction;
            // the counter's row lock is held only while that statement runs and commits.
            return register_in(conn, a, links_for, numbering);
        }
        // SQLite with nobody else writing: everything on the writer connection, whose page
        // cache no other commit has dropped (a pooled connection re-reads its pages after every
        // commit). The read adds to the lock's hold only when nobody was waiting for it.
        if !<Conn as WriteTx>::writer_busy() {
            return conn.write_tx(|c| register_found(c, a, links_for, numbering, None));
        }
        // Under concurrent writes: the earlier appeals are read before the writer lock is taken
        // (a WAL snapshot blocks nobody), as PostgreSQL reads them before its write statement;
        // only the number and the rows are written under the lock.
        let found = candidates(conn, &a.appeal.organization_id, &pairs_of(&a.match_keys))?;
        conn.write_tx(|c| register_found(c, a, links_for, numbering, Some(found)))
    }

    /// [`register`] inside the caller's transaction (a composite use case goes on writing).
    pub fn register_in(c: &mut Conn, a: &NewAppeal, links_for: LinkDecision, numbering: Numbering) -> Result<CardData, ServiceError> {
        register_found(c, a, links_for, numbering, None)
    }

    /// [`register_in`] with the earlier appeals already read (`found`), or read here.
    fn register_found(c: &mut Conn, a: &NewAppeal, links_for: LinkDecision, numbering: Numbering, found: Option<Vec<Candidate>>) -> Result<CardData, ServiceError> {
        // The search for earlier appeals and the number come first, then every row at once.
        // A re-delivered external id fails on its unique index; `register` reports the winner.
        // The search is a few primary-key ranges of `match_keys` (at most MAX_LINKS rows per key
        // and question). `register` runs it before the write (before SQLite's writer lock, before
        // PostgreSQL's write statement), so two registrations of one person and question made at
        // the same instant need not see each other; a composite use case calling this inside
        // its own transaction reads here.
        let mut row = a.appeal.clone();
        let year = row.reg_number.is_empty().then_some(a.reg_year);
        let in_write = number_in_write::<Conn>(a, numbering);
        let pairs = if found.is_some() { Vec::new() } else { pairs_of(&a.match_keys) };
        let (read, seq) = c.found_and_number(&row.organization_id, &pairs, year.filter(|_| in_write.is_none()))?;
        let found = found.unwrap_or(read);
        let (repeated, links) = links_for(&row, &found);
        row.repeated = repeated;
        // The card before its number, kept when the database fills the number in (rendered again below).
        let unnumbered = in_write.map(|_| row.clone());
        if let Some(seq) = seq.or(in_write.map(|_| crate::domain::regnum::SEQ_PLACEHOLDER)) {
            numbering.apply(&mut row, seq);
        }
        // The acknowledgement, with the number just assigned, in the registering transaction.
        let notices = crate::store::outbox::filled(&a.outbox, &[("reg_number", &row.reg_number)], row.registered_at);
        let mut related: Vec<String> = links.iter().map(|l| l.related_appeal_id.clone()).collect();
        related.sort();
        let mut card = CardData { appeal: row, applicants: a.applicants.clone(), questions: a.questions.clone(), assignments: Vec::new(), answers: Vec::new(), contributions: Vec::new(), related };
        // Statistics deltas, in the registering transaction.
        let deltas = crate::store::stats_deltas::new_card_rows(&card);
        let reserved = c.write_registration(&card.appeal, a, &links, &notices, &deltas, in_write)?;
        if let (Some(seq), Some(unnumbered)) = (reserved, unnumbered) {
            // The number the database reserved and filled in, rendered the same way for the answer.
            card.appeal = unnumbered;
            numbering.apply(&mut card.appeal, seq);
        }
        Ok(card)
    }

    /// Every stored key row of these (key, code) pairs, read per chunk of keys.
    fn stored_keys(c: &mut Conn, org: &str, pairs: &BTreeSet<(String, String)>) -> Result<Vec<MatchKeyRow>, ServiceError> {
        let keys: Vec<&String> = pairs.iter().map(|(k, _)| k).collect::<BTreeSet<_>>().into_iter().collect();
        let mut out = Vec::new();
        for chunk in keys.chunks(500) {
            let rows: Vec<MatchKeyRow> = match_keys::table
                .filter(match_keys::organization_id.eq(org))
                .filter(match_keys::match_key.eq_any(chunk))
                .select(MatchKeyRow::as_select())
                .load(c)?;
            out.extend(rows.into_iter().filter(|r| pairs.contains(&(r.match_key.clone(), r.code.clone()))));
        }
        Ok(out)
    }

    /// [`import`]'s transaction, on the connection settings `BulkInsert` gives it.
    pub fn import(conn: &mut Conn, items: &[NewAppeal], links_for: LinkDecision, numbering: Numbering) -> Result<Vec<String>, ServiceError> {
        conn.write_tx(|c| {
            c.bulk_tx_begin()?;
            let r = import_rows(c, items, links_for, numbering);
            let back = c.bulk_tx_end();
            let ids = r?;
            back?;
            Ok(ids)
        })
    }

    /// [`import`]'s work inside the transaction: checks, numbers, repeats, then the rows chunk by chunk.
    fn import_rows(c: &mut Conn, items: &[NewAppeal], links_for: LinkDecision, numbering: Numbering) -> Result<Vec<String>, ServiceError> {
        let t0 = std::time::Instant::now();
        let org = match items.first() { Some(i) => i.appeal.organization_id.clone(), None => return Ok(Vec::new()) };
        // Legacy numbers and external ids must be free; one query per chunk, not per row.
        let legacy: Vec<&String> = items.iter().filter(|i| !i.appeal.reg_number.is_empty()).map(|i| &i.appeal.reg_number).collect();
        for chunk in legacy.chunks(500) {
            let taken: Vec<String> = appeals::table.filter(appeals::organization_id.eq(&org)).filter(appeals::reg_number.eq_any(chunk)).select(appeals::reg_number).first(c).optional()?.into_iter().collect();
            if let Some(t) = taken.first() {
                let idx = items.iter().position(|i| &i.appeal.reg_number == t).unwrap_or(0);
                return Err(ServiceError::Invalid(vec![crate::domain::validation::FieldError { field: format!("items[{idx}].reg_number"), message: format!("номер {t} уже занят") }]));
            }
        }
        let mut by_channel: HashMap<&str, Vec<&str>> = HashMap::new();
        for i in items {
            if let Some(x) = &i.appeal.external_id {
                by_channel.entry(i.appeal.channel.as_str()).or_default().push(x.as_str());
            }
        }
        for (channel, ids) in &by_channel {
            for chunk in ids.chunks(500) {
                let hit: Option<(String, String, Option<String>)> = appeals::table
                    .filter(appeals::organization_id.eq(&org))
                    .filter(appeals::channel.eq(*channel))
                    .filter(appeals::external_id.eq_any(chunk))
                    .select((appeals::id, appeals::reg_number, appeals::external_id))
                    .first(c)
                    .optional()?;
                if let Some((id, number, x)) = hit {
                    let x = x.unwrap_or_default();
                    let idx = items.iter().position(|i| i.appeal.channel == *channel && i.appeal.external_id.as_deref() == Some(x.as_str())).unwrap_or(0);
                    return Err(ServiceError::Conflict {
                    code: crate::domain::error_code::ErrorCode::DuplicateExternalId,
                        message: format!("items[{idx}]: обращение с external_id «{x}» уже зарегистрировано под номером {number}"),
                        extra: serde_json::json!({"id": id, "reg_number": number, "field": format!("items[{idx}].external_id")}),
                    });
                }
            }
        }
        let checked = t0.elapsed();
        // Legacy numbers in the template's format move the counters past them first...
        let mut legacy_max: HashMap<i32, i64> = HashMap::new();
        for i in items {
            if let Some(seq) = i.legacy_seq {
                let m = legacy_max.entry(i.reg_year).or_default();
                *m = (*m).max(seq);
            }
        }
        for (year, seq) in &legacy_max {
            raise_counter(c, &org, *year, *seq)?;
        }
        // ...then a block of numbers per year is reserved in one counter update.
        let mut per_year: HashMap<i32, i64> = HashMap::new();
        for i in items.iter().filter(|i| i.appeal.reg_number.is_empty()) {
            *per_year.entry(i.reg_year).or_default() += 1;
        }
        let mut next: HashMap<i32, i64> = HashMap::new();
        for (year, n) in &per_year {
            let last = next_seq(c, &org, *year, *n)?;
            next.insert(*year, last - n + 1);
        }
        // Repeats, set-based: the stored keys of every pair in the batch in one query per
        // chunk, then each row's earlier appeals among them and among the batch's own rows.
        let all_pairs: BTreeSet<(String, String)> = items.iter().flat_map(|i| pairs_of(&i.match_keys)).collect();
        let t1 = std::time::Instant::now();
        let stored = stored_keys(c, &org, &all_pairs)?;
        let keys_read = t1.elapsed();
        let earlier = EarlierIndex::new(stored.iter().chain(items.iter().flat_map(|i| i.match_keys.iter())));
        let mut picked: Vec<Vec<(NaiveDateTime, String)>> = Vec::with_capacity(items.len());
        let mut from_db: BTreeSet<String> = BTreeSet::new();
        let in_batch: HashMap<&str, usize> = items.iter().enumerate().map(|(n, i)| (i.appeal.id.as_str(), n)).collect();
        for i in items {
            let found = earlier.before(&pairs_of(&i.match_keys), i.appeal.registered_at, &i.appeal.id);
            from_db.extend(found.iter().filter(|(_, id)| !in_batch.contains_key(id.as_str())).map(|(_, id)| id.clone()));
            picked.push(found);
        }
        let known: HashMap<String, Candidate> = details(c, &org, from_db.into_iter().map(|id| (NaiveDateTime::default(), id)).collect())?.into_iter().map(|k| (k.id.clone(), k)).collect();
        // Generated numbers follow the input order, as a clerk would have registered them.
        let seqs: Vec<Option<i64>> = items
            .iter()
            .map(|i| {
                i.appeal.reg_number.is_empty().then(|| {
                    let seq = next.get_mut(&i.reg_year).expect("reserved above");
                    *seq += 1;
                    *seq - 1
                })
            })
            .collect();
        let built = t0.elapsed();
        let ids = items.iter().map(|i| i.appeal.id.clone()).collect();
        // In key order, a chunk at a time: ids are time-ordered (UUIDv7) but were made on
        // several threads, so sorted they append at each index's right edge instead of
        // splitting pages; and only one chunk's copies of the rows exist at a time.
        let mut order: Vec<usize> = (0..items.len()).collect();
        order.sort_unstable_by(|&a, &b| items[a].appeal.id.cmp(&items[b].appeal.id));
        let mut lap = Lap::new();
        let mut deltas = crate::store::stats_deltas::ImportDeltas::default();
        for part in order.chunks(IMPORT_CHUNK) {
            let mut rows = Vec::with_capacity(part.len());
            let (mut people, mut qs, mut keys, mut all_links) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            let mut hist = Vec::with_capacity(part.len());
            for &n in part {
                let i = &items[n];
                let cands: Vec<Candidate> = std::mem::take(&mut picked[n])
                    .into_iter()
                    .filter_map(|(at, id)| match in_batch.get(id.as_str()) {
                        Some(&m) => Some(Candidate { id, status: items[m].appeal.status.clone(), due_date: items[m].appeal.due_date, registered_at: at }),
                        None => known.get(&id).map(|k| Candidate { registered_at: at, ..k.clone() }),
                    })
                    .collect();
                let mut row = i.appeal.clone();
                let (repeated, links) = links_for(&row, &cands);
                row.repeated = repeated;
                if let Some(seq) = seqs[n] {
                    numbering.apply(&mut row, seq);
                }
                hist.push(first_entry(&row, i, &links));
                all_links.extend(links);
                people.extend(i.applicants.iter().cloned());
                qs.extend(i.questions.iter().cloned());
                keys.extend(i.match_keys.iter().cloned());
                rows.push(row);
            }
            people.sort_unstable_by(|a, b| a.id.cmp(&b.id));
            qs.sort_unstable_by(|a, b| a.id.cmp(&b.id));
            keys.sort_unstable_by(|a, b| (&a.match_key, &a.code, a.registered_at, &a.appeal_id).cmp(&(&b.match_key, &b.code, b.registered_at, &b.appeal_id)));
            all_links.sort_unstable_by(|a, b| (&a.appeal_id, &a.related_appeal_id).cmp(&(&b.appeal_id, &b.related_appeal_id)));
            lap.at("rows built");
            c.insert_rows(&Bulk { rows: &rows, people: &people, questions: &qs, keys: &keys, links: &all_links, history: &hist }, &mut lap)?;
            // Statistics deltas, summed over the whole batch.
            deltas.add(&rows, &qs);
            lap.at("stats deltas summed");
        }
        lap.log();
        tracing::info!(checks_ms = checked.as_millis() as u64, keys_read_ms = keys_read.as_millis() as u64, prepared_ms = built.as_millis() as u64, written_ms = (t0.elapsed() - built).as_millis() as u64, "import rows written");
        deltas.record(c)?;
        // Imported appeals are not queued one by one: the reminder planner's next pass is a
        // full one instead.
        diesel::delete(crate::store::schema::plan_marks::table.filter(crate::store::schema::plan_marks::organization_id.eq(&org))).execute(c)?;
        Ok(ids)
    }

    pub fn load_cards(conn: &mut Conn, org: &str, rows: Vec<AppealRow>) -> Result<Vec<CardData>, ServiceError> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut people = group(applicants::table.filter(applicants::appeal_id.eq_any(&ids)).order((applicants::appeal_id, applicants::position)).select(ApplicantRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut qs = group(questions::table.filter(questions::appeal_id.eq_any(&ids)).order((questions::appeal_id, questions::position)).select(QuestionRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut asg = group(assignments::table.filter(assignments::appeal_id.eq_any(&ids)).order(assignments::assigned_at.asc()).select(AssignmentRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut ans = group(answers::table.filter(answers::appeal_id.eq_any(&ids)).order(answers::created_at.asc()).select(AnswerRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let mut contrib = group(contributions::table.filter(contributions::appeal_id.eq_any(&ids)).order(contributions::created_at.asc()).select(ContributionRow::as_select()).load(conn)?, |r| &r.appeal_id);
        let forward: Vec<(String, String)> = appeal_links::table.filter(appeal_links::organization_id.eq(org)).filter(appeal_links::appeal_id.eq_any(&ids)).select((appeal_links::appeal_id, appeal_links::related_appeal_id)).load(conn)?;
        let backward: Vec<(String, String)> = appeal_links::table.filter(appeal_links::organization_id.eq(org)).filter(appeal_links::related_appeal_id.eq_any(&ids)).select((appeal_links::related_appeal_id, appeal_links::appeal_id)).load(conn)?;
        let mut related: HashMap<String, Vec<String>> = HashMap::new();
        for (a, b) in forward.into_iter().chain(backward) {
            related.entry(a).or_default().push(b);
        }
        Ok(rows
            .into_iter()
            .map(|appeal| {
                let id = appeal.id.clone();
                let mut rel = related.remove(&id).unwrap_or_default();
                rel.sort();
                rel.dedup();
                CardData {
                    appeal,
                    applicants: people.remove(&id).unwrap_or_default(),
                    questions: qs.remove(&id).unwrap_or_default(),
                    assignments: asg.remove(&id).unwrap_or_default(),
                    answers: ans.remove(&id).unwrap_or_default(),
                    contributions: contrib.remove(&id).unwrap_or_default(),
                    related: rel,
                }
            })
            .collect())
    }

    pub fn get_card(conn: &mut Conn, org: &str, id: &str) -> Result<CardData, ServiceError> {
        let row = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq(id)).select(AppealRow::as_select()).first(conn).optional()?.ok_or(ServiceError::NotFound)?;
        Ok(load_cards(conn, org, vec![row])?.remove(0))
    }

    pub fn list(conn: &mut Conn, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
        let rows = list_rows(conn, f)?;
        load_cards(conn, &f.org, rows)
    }

    fn list_rows(conn: &mut Conn, f: &ListFilter) -> Result<Vec<AppealRow>, ServiceError> {
        match &f.search {
            None => rows(conn, f, Scope::Everything),
            Some(s) => searched(conn, f, s),
        }
    }

    pub fn list_due_first(conn: &mut Conn, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
        let mut all = Vec::new();
        if f.statuses.len() <= 1 {
            all = list_rows(conn, f)?;
        } else {
            for st in &f.statuses {
                all.extend(list_rows(conn, &ListFilter { statuses: vec![st.clone()], ..f.clone() })?);
            }
            all.sort_by(|a, b| (a.due_date, a.registered_at, &a.id).cmp(&(b.due_date, b.registered_at, &b.id)));
            all.truncate(f.limit.max(0) as usize);
        }
        // Only the rows shown get their applicants, questions and the rest.
        load_cards(conn, &f.org, all)
    }

    pub fn count_due_first(conn: &mut Conn, f: &ListFilter) -> Result<i64, ServiceError> {
        let mut total = 0;
        // One count per status, each a range of `(organization_id, status, due_date)`.
        for st in &f.statuses {
            let mut q = appeals::table.filter(appeals::organization_id.eq(&f.org)).filter(appeals::status.eq(st.clone())).into_boxed();
            for who in [&f.executor_id, &f.visible_to].into_iter().flatten() {
                q = q.filter(appeals::id.eq_any(assignments::table.filter(assignments::user_id.eq(who.clone())).filter(assignments::active.eq(true)).select(assignments::appeal_id)));
            }
            if let Some(d) = f.due_on_or_before { q = q.filter(appeals::due_date.le(d)); }
            if let Some(d) = f.due_before { q = q.filter(appeals::due_date.lt(d)); }
            if let Some(d) = f.due_on_or_after { q = q.filter(appeals::due_date.ge(d)); }
            let n: i64 = q.count().get_result(conn)?;
            total += n;
        }
        Ok(total)
    }

    /// A page of a text search (see [`super::search`]): the newest `window` cards from the
    /// page's position walked in order, and if the page is not full there, every match
    /// through the trigram index, newest first, the page's rows read by primary key.
    fn searched(c: &mut Conn, f: &ListFilter, s: &TextSearch) -> Result<Vec<AppealRow>, ServiceError> {
        if f.order == ListOrder::NewestFirst {
            match window_floor(c, f, s.window)? {
                // Fewer cards than the window are left: walking them all is the bounded walk.
                None => return rows(c, f, Scope::Everything),
                Some(floor) => {
                    let page = rows(c, f, Scope::Since(floor))?;
                    if page.len() as i64 >= f.limit {
                        return Ok(page);
                    }
                }
            }
        }
        let after = if f.order == ListOrder::NewestFirst { f.after.as_ref() } else { None };
        let ids = newest_first_after(c.matching(&f.org, &s.query)?, after);
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            out.extend(rows(c, f, Scope::Only(chunk))?);
            // Newest first, chunks come in the page's order: stop once it is full.
            if f.order == ListOrder::NewestFirst && out.len() as i64 >= f.limit {
                break;
            }
        }
        if f.order == ListOrder::DueFirst {
            out.sort_by(|a, b| (a.due_date, a.registered_at, &a.id).cmp(&(b.due_date, b.registered_at, &b.id)));
        }
        out.truncate(f.limit.max(0) as usize);
        Ok(out)
    }

    /// The registration time of the `window`-th newest card from the page's position (within
    /// the registration-date filters), or `None` when fewer are left: one walk of at most
    /// `window` entries of `appeals_org_registered`.
    fn window_floor(c: &mut Conn, f: &ListFilter, window: i64) -> Result<Option<NaiveDateTime>, ServiceError> {
        let mut q = appeals::table.filter(appeals::organization_id.eq(&f.org)).into_boxed();
        if let Some(t) = f.registered_from { q = q.filter(appeals::registered_at.ge(t)); }
        if let Some(t) = f.registered_before { q = q.filter(appeals::registered_at.lt(t)); }
        if let Some((at, id)) = &f.after {
            q = q.filter(appeals::registered_at.le(*at)).filter(appeals::registered_at.lt(*at).or(appeals::id.lt(id.clone())));
        }
        Ok(q.order((appeals::registered_at.desc(), appeals::id.desc())).offset(window - 1).limit(1).select(appeals::registered_at).first(c).optional()?)
    }

    /// One list query: the filter's conditions and order, limited to `scope`.
    fn rows(conn: &mut Conn, f: &ListFilter, scope: Scope<'_>) -> Result<Vec<AppealRow>, ServiceError> {
        let mut q = appeals::table.filter(appeals::organization_id.eq(&f.org)).into_boxed();
        if let Some(t) = f.registered_from { q = q.filter(appeals::registered_at.ge(t)); }
        if let Some(t) = f.registered_before { q = q.filter(appeals::registered_at.lt(t)); }
        // One status as `status = $n`, not `= ANY($n)`: PostgreSQL's generic plan of a prepared
        // `= ANY` cannot read `(organization_id, status, due_date)` in order, so the board's
        // per-status lists sorted every open appeal of that status (~300 ms at 1,000,000).
        match f.statuses.as_slice() {
            [] => {}
            [one] => q = q.filter(appeals::status.eq(one.clone())),
            many => q = q.filter(appeals::status.eq_any(many.to_vec())),
        }
        if let Some(ch) = &f.channel { q = q.filter(appeals::channel.eq(ch.clone())); }
        if let Some(s) = &f.section {
            q = q.filter(appeals::id.eq_any(questions::table.filter(questions::organization_id.eq(f.org.clone())).filter(questions::section.eq(s.clone())).select(questions::appeal_id)));
        }
        for who in [&f.executor_id, &f.visible_to].into_iter().flatten() {
            q = q.filter(appeals::id.eq_any(assignments::table.filter(assignments::user_id.eq(who.clone())).filter(assignments::active.eq(true)).select(assignments::appeal_id)));
        }
        if let Some(d) = f.due_on_or_before { q = q.filter(appeals::due_date.le(d)); }
        if let Some(d) = f.due_before { q = q.filter(appeals::due_date.lt(d)); }
        if let Some(d) = f.due_on_or_after { q = q.filter(appeals::due_date.ge(d)); }
        match (scope, &f.search) {
            (Scope::Only(ids), _) => q = q.filter(appeals::id.eq_any(ids.to_vec())),
            (Scope::Since(floor), Some(s)) => q = q.filter(appeals::registered_at.ge(floor)).filter(appeals::search_text.like(s.query.like_pattern()).escape('\\')),
            (Scope::Since(floor), None) => q = q.filter(appeals::registered_at.ge(floor)),
            (Scope::Everything, Some(s)) => q = q.filter(appeals::search_text.like(s.query.like_pattern()).escape('\\')),
            (Scope::Everything, None) => {}
        }
        q = match f.order {
            ListOrder::NewestFirst => {
                if let Some((at, id)) = &f.after {
                    // `registered_at <= at` is the index range; the OR only breaks the tie.
                    q = q.filter(appeals::registered_at.le(*at)).filter(appeals::registered_at.lt(*at).or(appeals::id.lt(id.clone())));
                }
                q.order((appeals::registered_at.desc(), appeals::id.desc()))
            }
            ListOrder::DueFirst => {
                if let Some((due, at, id)) = &f.after_due {
                    q = q.filter(
                        appeals::due_date.gt(*due)
                            .or(appeals::due_date.eq(*due).and(appeals::registered_at.gt(*at)))
                            .or(appeals::due_date.eq(*due).and(appeals::registered_at.eq(*at)).and(appeals::id.gt(id.clone()))),
                    );
                }
                q.order((appeals::due_date.asc(), appeals::registered_at.asc(), appeals::id.asc()))
            }
        };
        Ok(q.limit(f.limit).select(AppealRow::as_select()).load(conn)?)
    }

    pub fn mutate(conn: &mut Conn, org: &str, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>) -> Result<CardData, ServiceError> {
        conn.write_tx(|c| mutate_in(c, org, id, if_match, actor, now, local_day, decide))
    }

    pub fn mutate_chain(conn: &mut Conn, org: &str, id: &str, if_match: Option<i32>, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
        conn.write_tx(|c| chain_in(c, org, id, if_match, now, local_day, steps))
    }

    /// Applies `steps` one after another inside the caller's transaction, each to the card the
    /// previous one left (`if_match` guards the first); the card after the last.
    pub fn chain_in(c: &mut Conn, org: &str, id: &str, if_match: Option<i32>, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
        let mut expected = if_match;
        let mut last = None;
        for step in steps.iter_mut() {
            last = Some(mutate_in(c, org, id, expected.take(), &step.actor, now, local_day, &mut *step.decide)?);
        }
        last.ok_or(ServiceError::NotFound)
    }

    /// [`mutate`] inside the caller's transaction.
    pub fn mutate_in(c: &mut Conn, org: &str, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>) -> Result<CardData, ServiceError> {
        let card = get_card(c, org, id)?;
        write_change(c, org, id, &card, if_match, actor, now, decide)?;
        let after = get_card(c, org, id)?;
        // Statistics deltas: the card's new contribution less its old one.
        crate::store::stats_deltas::record_change(c, &card, &after, local_day)?;
        Ok(after)
    }

    /// The write of [`mutate_in`] on `card`, read in the caller's transaction: `If-Match`, the
    /// change `decide` computes, the card with its version bumped, the change's rows, one
    /// history entry and the outbox. Returns the new version; the caller reads the card again
    /// and records the statistics deltas (a batch does both for many cards at once).
    pub fn write_change(c: &mut Conn, org: &str, id: &str, card: &CardData, if_match: Option<i32>, actor: &str, now: NaiveDateTime, decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>) -> Result<i32, ServiceError> {
        {
            // `decide` checks visibility first: an appeal the caller may not see answers 404
            // whatever the request carries, so a stale `If-Match` cannot reveal that it exists
            // or how often it changed. For a visible card a stale version wins over the
            // action's own refusals, as a client expects.
            let stale = if_match.is_some_and(|v| v != card.appeal.version);
            let change = match decide(card) {
                Err(ServiceError::NotFound) => return Err(ServiceError::NotFound),
                _ if stale => return Err(ServiceError::Stale { current: card.appeal.version }),
                other => other?,
            };
            // Optimistic check on the row itself: a concurrent writer between read and update loses nothing.
            let mut row = change.appeal.clone().unwrap_or_else(|| card.appeal.clone());
            let mut slots: Vec<(&str, String)> = Vec::new();
            if let Some(n) = &change.forward_number {
                let number = match n {
                    OutgoingNumber::Given(n) => n.clone(),
                    OutgoingNumber::Next { year, render, template } => render(template, *year, next_forward_seq(c, org, *year)?),
                };
                row.forward_number = Some(number.clone());
                slots.push(("forward_number", number));
            }
            row.version = card.appeal.version + 1;
            row.updated_at = now;
            let n = diesel::update(appeals::table.filter(appeals::id.eq(id)).filter(appeals::version.eq(card.appeal.version))).set(&row).execute(c)?;
            if n != 1 {
                return Err(ServiceError::Stale { current: card.appeal.version + 1 });
            }
            if change.replace_assignments {
                diesel::update(assignments::table.filter(assignments::appeal_id.eq(id)).filter(assignments::active.eq(true))).set(assignments::active.eq(false)).execute(c)?;
            }
            for a in &change.new_assignments {
                diesel::insert_into(assignments::table).values(a).execute(c)?;
            }
            if let Some(a) = &change.new_answer {
                diesel::insert_into(answers::table).values(a).execute(c)?;
            }
            for (aid, status, reviewer, comment) in &change.answer_reviews {
                diesel::update(answers::table.filter(answers::id.eq(aid)).filter(answers::appeal_id.eq(id)))
                    .set((answers::status.eq(status), answers::reviewed_by.eq(Some(reviewer)), answers::reviewed_at.eq(Some(now)), answers::review_comment.eq(comment)))
                    .execute(c)?;
            }
            if let Some((aid, close)) = &change.close_on_dispatch {
                diesel::update(answers::table.filter(answers::id.eq(aid)).filter(answers::appeal_id.eq(id))).set(answers::close_on_dispatch.eq(*close)).execute(c)?;
            }
            if let Some(people) = &change.replace_applicants {
                diesel::delete(applicants::table.filter(applicants::appeal_id.eq(id))).execute(c)?;
                for p in people {
                    diesel::insert_into(applicants::table).values(p).execute(c)?;
                }
            }
            if let Some(qs) = &change.replace_questions {
                diesel::delete(questions::table.filter(questions::appeal_id.eq(id))).execute(c)?;
                for q in qs {
                    diesel::insert_into(questions::table).values(q).execute(c)?;
                }
            }
            if let Some(x) = &change.new_contribution {
                diesel::insert_into(contributions::table).values(x).execute(c)?;
            }
            if let Some(d) = &change.dispatch {
                let number = match &d.number {
                    OutgoingNumber::Given(n) => n.clone(),
                    OutgoingNumber::Next { year, render, template } => render(template, *year, next_outgoing_seq(c, org, *year)?),
                };
                diesel::update(answers::table.filter(answers::id.eq(&d.answer_id)).filter(answers::appeal_id.eq(id)))
                    .set((answers::outgoing_number.eq(&number), answers::sent_on.eq(d.sent_on), answers::sent_channel.eq(&d.channel), answers::dispatched_by.eq(&d.by)))
                    .execute(c)?;
                slots.push(("outgoing_number", number));
            }
            for (qid, result, taken, on) in &change.question_results {
                diesel::update(questions::table.filter(questions::id.eq(qid)).filter(questions::appeal_id.eq(id)))
                    .set((questions::result.eq(result), questions::actions_taken.eq(taken), questions::result_on.eq(on)))
                    .execute(c)?;
            }
            if let Some(keys) = &change.match_keys {
                diesel::delete(match_keys::table.filter(match_keys::appeal_id.eq(id))).execute(c)?;
                if !keys.is_empty() {
                    diesel::insert_into(match_keys::table).values(keys).execute(c)?;
                }
            }
            history_db::append(c, &history::entry(org, id, now, Some(actor), &change.action, change.details.clone()))?;
            c.write_outbox(id, &change.outbox, &slots.iter().map(|(k, v)| (*k, v.as_str())).collect::<Vec<_>>(), now)?;
            Ok(row.version)
        }
    }
}

/// The two steps of registering one appeal, each in as few round trips as its backend allows.
pub trait RegisterSteps {
    /// Earlier appeals sharing a (key, code) pair with the new one, newest first, and, when
    /// `year` is given, the year's next sequence number (its counter row stays locked until
    /// the transaction ends, so numbers have no gaps).
    fn found_and_number(&mut self, org: &str, pairs: &[(String, String)], year: Option<i32>) -> Result<(Vec<Candidate>, Option<i64>), ServiceError>;

    /// Whether [`RegisterSteps::write_registration`] can reserve the number itself.
    const NUMBERS_IN_WRITE: bool;

    /// Writes the new card's rows (card, applicants, questions, keys, links, first history
    /// entry), its notices, its place in the planner's queue and its statistics deltas. With
    /// `number` (year, sequence width) it also reserves the year's next number and puts its
    /// digits where the rows carry [`crate::domain::regnum::SEQ_PLACEHOLDER`], returning it.
    fn write_registration(&mut self, row: &AppealRow, a: &NewAppeal, links: &[LinkRow], notices: &[NotificationRow], deltas: &[crate::domain::rollup::Row], number: Option<(i32, usize)>) -> Result<Option<i64>, ServiceError>;
}

/// The (year, sequence width) a registration's write statement reserves and fills in, when
/// the backend can and the card needs a generated number of a template with one sequence.
fn number_in_write<C: RegisterSteps>(a: &NewAppeal, numbering: Numbering) -> Option<(i32, usize)> {
    (C::NUMBERS_IN_WRITE && a.appeal.reg_number.is_empty()).then_some(())?;
    numbering.seq_width.map(|w| (a.reg_year, w))
}

#[cfg(feature = "sqlite")]
impl RegisterSteps for diesel::SqliteConnection {
    fn found_and_number(&mut self, org: &str, pairs: &[(String, String)], year: Option<i32>) -> Result<(Vec<Candidate>, Option<i64>), ServiceError> {
        // In-process calls, no round trips: the reads first, then the counter.
        let found = sqlite::candidates(self, org, pairs)?;
        let seq = match year {
            Some(y) => Some(sqlite::next_seq(self, org, y, 1)?),
            None => None,
        };
        Ok((found, seq))
    }

    const NUMBERS_IN_WRITE: bool = false;

    fn write_registration(&mut self, row: &AppealRow, a: &NewAppeal, links: &[LinkRow], notices: &[NotificationRow], deltas: &[crate::domain::rollup::Row], _: Option<(i32, usize)>) -> Result<Option<i64>, ServiceError> {
        // One multi-row statement per table.
        diesel::insert_into(appeals::table).values(row).execute(self)?;
        diesel::insert_into(applicants::table).values(&a.applicants).execute(self)?;
        diesel::insert_into(questions::table).values(&a.questions).execute(self)?;
        if !a.match_keys.is_empty() {
            diesel::insert_into(match_keys::table).values(&a.match_keys).execute(self)?;
        }
        if !links.is_empty() {
            diesel::insert_into(appeal_links::table).values(links).execute(self)?;
        }
        diesel::insert_into(super::schema::history::table).values(&first_entry(row, a, links)).execute(self)?;
        super::outbox::sqlite::write_filled(self, &row.id, a.outbox.cancel_reminders, notices)?;
        crate::store::stats_deltas::record_rows(self, deltas)?;
        Ok(None)
    }
}

/// `INSERT INTO t (cols) SELECT cols FROM json_populate_recordset(NULL::t, ?::json)` for the
/// columns a row type serializes (others keep their defaults); the `numbered` columns get the
/// reserved number's digits in place of the placeholder (`f`, see [`PG_NUMBER_CTES`]).
#[cfg(feature = "postgres")]
fn pg_insert_json<T: serde::Serialize>(table: &str, sample: &T, numbered: &[&str]) -> String {
    let cols: Vec<String> = match serde_json::to_value(sample) {
        Ok(serde_json::Value::Object(m)) => m.keys().cloned().collect(),
        _ => Vec::new(),
    };
    let values: Vec<String> = cols
        .iter()
        .map(|c| if numbered.contains(&c.as_str()) { format!("COALESCE(replace(j.{c}, f.mark, f.digits), j.{c})") } else { format!("j.{c}") })
        .collect();
    let from = if numbered.is_empty() { "" } else { ", f" };
    format!("INSERT INTO {table} ({}) SELECT {} FROM json_populate_recordset(NULL::{table}, ?::json) AS j{from}", cols.join(", "), values.join(", "))
}

/// The year's next number reserved inside the registration's statement (when its argument is
/// true) and `f`: the placeholder and the digits that replace it (`NULL` when none was reserved).
#[cfg(feature = "postgres")]
const PG_NUMBER_CTES: &str = "n AS (INSERT INTO reg_counters (organization_id, year, last_seq) SELECT ?, ?, 1 WHERE ? \
     ON CONFLICT (organization_id, year) DO UPDATE SET last_seq = reg_counters.last_seq + 1 RETURNING last_seq), \
     s AS (SELECT last_seq, lpad(last_seq::text, greatest(?, length(last_seq::text)), '0') AS digits FROM n), \
     f AS (SELECT ?::text AS mark, (SELECT digits FROM s) AS digits)";

/// Earlier appeals and the year's next number in one statement: one backward range of
/// `match_keys`' primary key per (key, code) pair (`LATERAL`, [`MAX_LINKS`] rows each), each
/// found card's status and deadline by primary key, and the counter's upsert when asked.
/// `PAIRS` is where the pairs come from: a `VALUES` list of exactly as many rows (its estimate is
/// exact, so PostgreSQL settles on the cached generic plan instead of planning every call), or
/// `unnest` of two arrays for any other count.
#[cfg(feature = "postgres")]
fn pg_found_and_number(pairs: &str) -> String {
    format!(
        "WITH n AS (INSERT INTO reg_counters (organization_id, year, last_seq) SELECT ?, ?, 1 WHERE ? \
         ON CONFLICT (organization_id, year) DO UPDATE SET last_seq = reg_counters.last_seq + 1 RETURNING last_seq) \
         SELECT m.appeal_id, m.registered_at, a.status, a.due_date, NULL::bigint AS seq \
         FROM {pairs} \
         CROSS JOIN LATERAL (SELECT appeal_id, registered_at FROM match_keys WHERE organization_id = ? AND match_key = p.k AND code = p.c \
         ORDER BY registered_at DESC, appeal_id DESC LIMIT {MAX_LINKS}) AS m JOIN appeals a ON a.id = m.appeal_id \
         UNION ALL SELECT NULL, NULL, NULL, NULL, last_seq FROM n"
    )
}

/// Up to how many (key, code) pairs the lookup lists them in a `VALUES` of their own count
/// (one cached statement per count); a collective appeal with more uses the arrays.
#[cfg(feature = "postgres")]
const PG_VALUES_PAIRS: usize = 8;

/// A row of [`pg_found_and_number`]: an earlier appeal, or the reserved number.
#[cfg(feature = "postgres")]
#[derive(QueryableByName)]
struct FoundOrNumber {
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    appeal_id: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Timestamp>)]
    registered_at: Option<NaiveDateTime>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    status: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
    due_date: Option<NaiveDate>,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::BigInt>)]
    seq: Option<i64>,
}

#[cfg(feature = "postgres")]
impl RegisterSteps for diesel::PgConnection {
    fn found_and_number(&mut self, org: &str, pairs: &[(String, String)], year: Option<i32>) -> Result<(Vec<Candidate>, Option<i64>), ServiceError> {
        use super::prepared::{Arg, Prepared};
        static BY_COUNT: [std::sync::OnceLock<String>; PG_VALUES_PAIRS + 1] = [const { std::sync::OnceLock::new() }; PG_VALUES_PAIRS + 1];
        let mut args = vec![Arg::Text(org.into()), Arg::Int(year.unwrap_or(0)), Arg::Bool(year.is_some())];
        let sql = match pairs.len() {
            n @ 1..=PG_VALUES_PAIRS => {
                args.extend(pairs.iter().flat_map(|(k, c)| [Arg::Text(k.clone()), Arg::Text(c.clone())]));
                BY_COUNT[n].get_or_init(|| pg_found_and_number(&format!("(VALUES {}) AS p(k, c)", vec!["(?, ?)"; n].join(", "))))
            }
            _ => {
                let (keys, codes): (Vec<String>, Vec<String>) = pairs.iter().cloned().unzip();
                args.extend([Arg::Texts(keys), Arg::Texts(codes)]);
                BY_COUNT[0].get_or_init(|| pg_found_and_number("unnest(?::text[], ?::text[]) AS p(k, c)"))
            }
        };
        args.push(Arg::Text(org.into()));
        let rows: Vec<FoundOrNumber> = Prepared::new(sql.as_str(), args).load(self)?;
        let mut seq = None;
        let mut found = Vec::with_capacity(rows.len());
        for r in rows {
            match (r.seq, r.appeal_id, r.registered_at, r.status, r.due_date) {
                (Some(s), ..) => seq = Some(s),
                (None, Some(appeal_id), Some(registered_at), Some(status), Some(due_date)) => found.push(Found { appeal_id, registered_at, status, due_date }),
                _ => {}
            }
        }
        Ok((newest_candidates(found), seq))
    }

    const NUMBERS_IN_WRITE: bool = true;

    fn write_registration(&mut self, row: &AppealRow, a: &NewAppeal, links: &[LinkRow], notices: &[NotificationRow], deltas: &[crate::domain::rollup::Row], number: Option<(i32, usize)>) -> Result<Option<i64>, ServiceError> {
        use super::prepared::{Arg, Prepared};
        if a.outbox.cancel_reminders {
            super::outbox::pg::cancel_reminders(self, &row.id)?;
        }
        // One prepared statement, one round trip: every table's rows travel as one JSON array
        // and are inserted by data-modifying CTEs (foreign keys are checked at the statement's end).
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
        let hist = first_entry(row, a, links);
        let sql = SQL.get_or_init(|| {
            let link = LinkRow { organization_id: String::new(), appeal_id: String::new(), related_appeal_id: String::new(), kind: String::new(), confirmed: None, created_at: row.registered_at };
            let key = MatchKeyRow { organization_id: String::new(), match_key: String::new(), code: String::new(), registered_at: row.registered_at, appeal_id: String::new() };
            let (person, question, notice) = (ApplicantRow::default(), QuestionRow::default(), NotificationRow::default());
            format!(
                "WITH {PG_NUMBER_CTES}, a AS ({} RETURNING organization_id, id), p AS ({}), q AS ({}), k AS ({}), l AS ({}), n2 AS ({} ON CONFLICT DO NOTHING), \
                 r AS (INSERT INTO plan_queue (organization_id, appeal_id) SELECT organization_id, id FROM a ON CONFLICT DO NOTHING), d AS ({}), h AS ({}) \
                 SELECT last_seq FROM s",
                pg_insert_json("appeals", row, &["reg_number", "search_text"]),
                pg_insert_json("applicants", &person, &[]),
                pg_insert_json("questions", &question, &[]),
                pg_insert_json("match_keys", &key, &[]),
                pg_insert_json("appeal_links", &link, &[]),
                pg_insert_json("notifications", &notice, &["subject", "body"]),
                pg_insert_json("stats_deltas", &crate::store::stats_deltas::NewDelta::default(), &[]),
                pg_insert_json("history", &hist, &["details"]),
            )
        });
        let json = |v: serde_json::Result<String>| v.map(Arg::Text).map_err(|e| ServiceError::Db(diesel::result::Error::SerializationError(Box::new(e))));
        let (year, width) = number.unwrap_or((0, 0));
        let args = vec![
            Arg::Text(row.organization_id.clone()),
            Arg::Int(year),
            Arg::Bool(number.is_some()),
            Arg::Int(width as i32),
            Arg::Text(crate::domain::regnum::SEQ_PLACEHOLDER.to_string()),
            json(serde_json::to_string(&[row]))?,
            json(serde_json::to_string(&a.applicants))?,
            json(serde_json::to_string(&a.questions))?,
            json(serde_json::to_string(&a.match_keys))?,
            json(serde_json::to_string(links))?,
            json(serde_json::to_string(notices))?,
            json(serde_json::to_string(&crate::store::stats_deltas::new_deltas(deltas)))?,
            json(serde_json::to_string(&[&hist]))?,
        ];
        let reserved: Vec<Reserved> = Prepared::new(sql.as_str(), args).load(self)?;
        Ok(reserved.first().map(|r| r.last_seq))
    }
}

/// The number a registration's statement reserved.
#[cfg(feature = "postgres")]
#[derive(QueryableByName)]
struct Reserved {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    last_seq: i64,
}

/// Writes many appeals' rows at once, the fastest way each backend offers.
pub trait BulkInsert {
    /// Inserts one chunk's cards, applicants, questions, keys, links and history rows.
    fn insert_rows(&mut self, b: &Bulk, lap: &mut Lap) -> Result<(), ServiceError>;

    /// Settings for the import's own transaction, on the connection that runs it.
    fn bulk_tx_begin(&mut self) -> Result<(), ServiceError> {
        Ok(())
    }

    /// Gives that connection its usual settings back (inside the transaction, whatever its outcome).
    fn bulk_tx_end(&mut self) -> Result<(), ServiceError> {
        Ok(())
    }
}

/// SQLite's page cache (KiB) for an import's connection while it writes: the rows of a large
/// import dirty far more pages than the default 2 MiB holds, and each spill to the WAL would be
/// read back on the next touch of the same B-tree page.
#[cfg(feature = "sqlite")]
const IMPORT_CACHE_KIB: i64 = 262_144;

#[cfg(feature = "sqlite")]
impl BulkInsert for diesel::SqliteConnection {
    fn insert_rows(&mut self, b: &Bulk, lap: &mut Lap) -> Result<(), ServiceError> {
        // Multi-row VALUES under SQLite's cap of 32,766 bound parameters per statement. The
        // divisors leave room for columns yet to come: appeals by diesel's own limit of 64
        // columns, the narrow tables by about twice their width today.
        let cap = <diesel::SqliteConnection as WriteTx>::MAX_BIND_PARAMS;
        for chunk in b.rows.chunks(cap / 64) {
            diesel::insert_into(appeals::table).values(chunk).execute(self)?;
        }
        lap.at("appeals");
        for chunk in b.people.chunks(cap / 24) {
            diesel::insert_into(applicants::table).values(chunk).execute(self)?;
        }
        lap.at("applicants");
        for chunk in b.questions.chunks(cap / 24) {
            diesel::insert_into(questions::table).values(chunk).execute(self)?;
        }
        lap.at("questions");
        for chunk in b.keys.chunks(cap / 10) {
            diesel::insert_into(match_keys::table).values(chunk).execute(self)?;
        }
        lap.at("keys");
        for chunk in b.links.chunks(cap / 12) {
            diesel::insert_into(appeal_links::table).values(chunk).execute(self)?;
        }
        lap.at("links");
        for chunk in b.history.chunks(cap / 12) {
            diesel::insert_into(super::schema::history::table).values(chunk).execute(self)?;
        }
        lap.at("history");
        Ok(())
    }

    fn bulk_tx_begin(&mut self) -> Result<(), ServiceError> {
        use diesel::connection::SimpleConnection;
        // The writer connection (`wal_sync`) runs the import: its cache grows for it. The WAL
        // is not checkpointed inside the commit (no connection does that); the caller
        // checkpoints after answering (`import`).
        self.batch_execute(&format!("PRAGMA cache_size = -{IMPORT_CACHE_KIB};"))?;
        Ok(())
    }

    fn bulk_tx_end(&mut self) -> Result<(), ServiceError> {
        use diesel::connection::SimpleConnection;
        self.batch_execute(&format!("PRAGMA cache_size = -{};", super::wal_sync::WRITER_CACHE_KIB))?;
        // The next write transaction gets a fresh writer, without the import's cache structures.
        let file = super::sqlite_file(self)?;
        if !file.is_empty() {
            super::wal_sync::WalSync::of(&file).retire_writer();
        }
        Ok(())
    }
}

#[cfg(feature = "postgres")]
impl BulkInsert for diesel::PgConnection {
    fn insert_rows(&mut self, b: &Bulk, lap: &mut Lap) -> Result<(), ServiceError> {
        // COPY FROM in binary format: one round trip per table, no parameter cap.
        diesel::copy_from(appeals::table).from_insertable(b.rows).execute(self)?;
        lap.at("appeals");
        diesel::copy_from(applicants::table).from_insertable(b.people).execute(self)?;
        lap.at("applicants");
        diesel::copy_from(questions::table).from_insertable(b.questions).execute(self)?;
        lap.at("questions");
        if !b.keys.is_empty() {
            diesel::copy_from(match_keys::table).from_insertable(b.keys).execute(self)?;
        }
        lap.at("keys");
        if !b.links.is_empty() {
            diesel::copy_from(appeal_links::table).from_insertable(b.links).execute(self)?;
        }
        lap.at("links");
        diesel::copy_from(super::schema::history::table).from_insertable(b.history).execute(self)?;
        lap.at("history");
        Ok(())
    }
}

/// Registers one appeal in one transaction: links to earlier appeals of the same applicant and
/// question (`links_for` decides repeated, duplicate or related), the next number (`numbering`
/// renders it), applicants, questions, matching keys and the first history entry; a taken
/// `external_id` is a 409 naming the existing appeal. Returns the card as written.
pub fn register(pool: &DbPool, a: &NewAppeal, links_for: LinkDecision, numbering: Numbering) -> Result<CardData, ServiceError> {
    let r = dispatch!(pool, register(a, links_for, numbering));
    match r {
        // A re-delivery (or two racing deliveries) of one external id: report the appeal that has it.
        Err(e) if e.is_unique_violation() && a.appeal.external_id.is_some() => {
            match find_by_external(pool, &a.appeal.organization_id, &a.appeal.channel, a.appeal.external_id.as_deref().unwrap_or_default())? {
                Some((id, number)) => Err(ServiceError::Conflict {
                    code: crate::domain::error_code::ErrorCode::DuplicateExternalId,
                    message: format!("обращение с этим external_id уже зарегистрировано под номером {number}"),
                    extra: serde_json::json!({"id": id, "reg_number": number}),
                }),
                None => Err(e),
            }
        }
        other => other,
    }
}

/// Imports many appeals in one transaction with batched inserts; all or nothing. Repeats are
/// detected set-based against stored appeals and earlier rows of the batch (`links_for` decides).
/// What a large import leaves behind is done after it answers, on a thread of its own: on
/// PostgreSQL the planner's statistics are refreshed, on SQLite the WAL is checkpointed.
pub fn import(pool: &DbPool, items: &[NewAppeal], links_for: LinkDecision, numbering: Numbering) -> Result<Vec<String>, ServiceError> {
    let ids = dispatch!(pool, import(items, links_for, numbering))?;
    if ids.len() >= AFTER_IMPORT_MIN {
        after_import(pool.clone());
    }
    Ok(ids)
}

/// From how many rows an import refreshes statistics or checkpoints itself; below it the
/// usual mechanisms (autovacuum's analyze, SQLite's automatic checkpoint) keep up.
pub const AFTER_IMPORT_MIN: usize = 1_000;

/// The follow-up of a large import, in the background: `ANALYZE` on PostgreSQL, so lists keep
/// good plans; on SQLite the search index merged into one segment (a write, ~1.5 s for 100,000
/// appeals, under the writer lock) and a passive checkpoint, which copies the import's pages
/// from the WAL into the database without blocking readers or writers.
fn after_import(pool: DbPool) {
    let spawned = std::thread::Builder::new().name("after-import".into()).spawn(move || {
        use diesel::connection::SimpleConnection;
        let started = std::time::Instant::now();
        let r: Result<(), ServiceError> = match &pool {
            #[cfg(feature = "sqlite")]
            DbPool::Sqlite(p) => p.get().map_err(ServiceError::from).and_then(|mut c| {
                // The search index in one segment: an import leaves FTS5 with many, and every
                // later insert would go on merging them a few pages at a time, under the lock.
                c.write_tx(|c| c.batch_execute("INSERT INTO appeal_search (appeal_search) VALUES ('optimize')"))?;
                Ok(c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")?)
            }),
            #[cfg(feature = "postgres")]
            DbPool::Pg(p) => p.get().map_err(ServiceError::from).and_then(|mut c| Ok(c.batch_execute("ANALYZE appeals, applicants, questions, match_keys, history")?)),
        };
        // The merge's and the checkpoint's buffers back to the OS, like the import's own.
        crate::memory::return_freed();
        match r {
            Ok(()) => tracing::info!(ms = started.elapsed().as_millis() as u64, "after import: statistics / checkpoint done"),
            Err(e) => tracing::warn!(error = %e, "after import: statistics / checkpoint failed"),
        }
    });
    if let Err(e) = spawned {
        tracing::warn!(error = %e, "after import: no thread");
    }
}

/// The appeal with this external id on this channel: (id, number).
pub fn find_by_external(pool: &DbPool, org: &str, channel: &str, external_id: &str) -> Result<Option<(String, String)>, ServiceError> {
    dispatch!(pool, find_by_external(org, channel, external_id))
}

/// One card.
pub fn get_card(pool: &DbPool, org: &str, id: &str) -> Result<CardData, ServiceError> {
    dispatch!(pool, get_card(org, id))
}

/// A page of cards.
pub fn list(pool: &DbPool, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
    dispatch!(pool, list(f))
}

/// A deadline-ordered list over several statuses (the board, «Мои поручения»), read as one
/// index-ordered query per status (`appeals (organization_id, status, due_date)`), each stopped
/// at the limit, merged, and only the rows kept loaded as cards: the database never sorts every
/// open appeal to return the first twenty.
pub fn list_due_first(pool: &DbPool, f: &ListFilter) -> Result<Vec<CardData>, ServiceError> {
    dispatch!(pool, list_due_first(f))
}

/// How many appeals a board section holds in all (its statuses, deadlines and visibility;
/// the other filters of [`ListFilter`] are not read): the board shows exact figures.
pub fn count_due_first(pool: &DbPool, f: &ListFilter) -> Result<i64, ServiceError> {
    dispatch!(pool, count_due_first(f))
}

/// One step of a composite write: who takes it (for its history entry) and what it changes.
pub struct Decider<'a> {
    /// The acting user's id.
    pub actor: String,
    /// Computes the change from the card as the previous steps left it.
    pub decide: Box<dyn FnMut(&CardData) -> Result<Change, ServiceError> + 'a>,
}

/// Applies several control steps to one appeal in ONE transaction, each with its own history
/// entry: all of them or none (an oral answer at a reception is answer, approval and handover).
pub fn mutate_chain(pool: &DbPool, org: &str, id: &str, if_match: Option<i32>, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, steps: &mut [Decider<'_>]) -> Result<CardData, ServiceError> {
    dispatch!(pool, mutate_chain(org, id, if_match, now, local_day, steps))
}

/// Applies one control action in one transaction: checks `If-Match`, lets `decide` compute the
/// change from the current card, writes it with a version bump and a history entry.
pub fn mutate(
    pool: &DbPool,
    org: &str,
    id: &str,
    if_match: Option<i32>,
    actor: &str,
    now: NaiveDateTime,
    local_day: crate::store::stats_deltas::LocalDay,
    decide: &mut dyn FnMut(&CardData) -> Result<Change, ServiceError>,
) -> Result<CardData, ServiceError> {
    dispatch!(pool, mutate(org, id, if_match, actor, now, local_day, decide))
}
