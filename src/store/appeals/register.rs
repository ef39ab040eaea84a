//! Registering one appeal: its earlier appeals of the same applicant and question, the next
//! number, and every row of the card written in as few round trips as each backend allows.

use crate::store::appeals::card::CardData;
use crate::store::appeals::numbering::Numbering;
use crate::store::history;
use crate::store::models::*;
use crate::store::outbox::OutboxChange;
use crate::store::schema::{appeal_links, appeals, applicants, match_keys, questions};
use crate::store::{DbPool, ServiceError, WriteTx};
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
    /// Its mass-campaign grouping, read before the write (`None`: not grouped).
    pub campaign: Option<crate::store::campaigns::Planned>,
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

/// Most recent first (ties by id, descending), each appeal once, at most [`MAX_LINKS`].
pub(crate) fn newest_first(found: &mut Vec<(NaiveDateTime, String)>) {
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
pub(crate) fn pairs_of(keys: &[MatchKeyRow]) -> Vec<(String, String)> {
    let set: BTreeSet<(String, String)> = keys.iter().map(|k| (k.match_key.clone(), k.code.clone())).collect();
    set.into_iter().collect()
}

/// The earlier appeals a new one is linked to (the same person's: never campaign members).
fn related_ids(links: &[LinkRow]) -> Vec<String> {
    links.iter().map(|l| l.related_appeal_id.clone()).collect()
}

/// The first history entry of a registered or imported appeal.
pub(crate) fn first_entry(row: &AppealRow, a: &NewAppeal, links: &[LinkRow]) -> NewHistory {
    let details = serde_json::json!({"reg_number": row.reg_number, "status": row.status, "due_date": row.due_date, "repeated": row.repeated,
        "late_registration": row.late_registration, "related_appeal_ids": links.iter().map(|l| &l.related_appeal_id).collect::<Vec<_>>()});
    history::entry(&row.organization_id, &row.id, row.registered_at, a.actor.as_deref(), a.action, details)
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
    fn write_registration(&mut self, row: &AppealRow, a: &NewAppeal, links: &[LinkRow], hist: &NewHistory, notices: &[NotificationRow], deltas: &[crate::domain::rollup::Row], number: Option<(i32, usize)>) -> Result<Option<i64>, ServiceError>;
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
            Some(y) => Some(super::numbering::sqlite::next_seq(self, org, y, 1)?),
            None => None,
        };
        Ok((found, seq))
    }

    const NUMBERS_IN_WRITE: bool = false;

    fn write_registration(&mut self, row: &AppealRow, a: &NewAppeal, links: &[LinkRow], hist: &NewHistory, notices: &[NotificationRow], deltas: &[crate::domain::rollup::Row], _: Option<(i32, usize)>) -> Result<Option<i64>, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        // One single-row statement per row: diesel keeps those prepared on the connection, where
        // it parses a multi-row insert afresh every time (and a registration has one or two
        // rows per table). The card's insert fires the search index's trigger.
        diesel::insert_into(appeals::table).values(row).execute(self)?;
        for p in &a.applicants {
            diesel::insert_into(applicants::table).values(p).execute(self)?;
        }
        for q in &a.questions {
            diesel::insert_into(questions::table).values(q).execute(self)?;
        }
        for k in &a.match_keys {
            diesel::insert_into(match_keys::table).values(k).execute(self)?;
        }
        for l in links {
            diesel::insert_into(appeal_links::table).values(l).execute(self)?;
        }
        diesel::insert_into(crate::store::schema::history::table).values(hist).execute(self)?;
        if a.outbox.cancel_reminders {
            crate::store::outbox::sqlite::cancel_reminders(self, &row.id)?;
        }
        for n in notices {
            diesel::insert_into(crate::store::schema::notifications::table).values(n).on_conflict_do_nothing().execute(self)?;
        }
        // The planner's next pass re-plans this appeal (`outbox::write_filled`), by value.
        Prepared::new("INSERT INTO plan_queue (organization_id, appeal_id) VALUES (?, ?) ON CONFLICT DO NOTHING", vec![Arg::Text(row.organization_id.clone()), Arg::Text(row.id.clone())]).execute(self)?;
        crate::store::stats_deltas::record_rows(self, deltas)?;
        // The campaign rows under the same writer lock and commit: no second transaction.
        if let Some(p) = &a.campaign {
            crate::store::campaigns::sqlite::write_grouping(self, p, &related_ids(links), row.registered_at)?;
        }
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
         CROSS JOIN LATERAL (SELECT organization_id, appeal_id, registered_at FROM match_keys WHERE organization_id = ? AND match_key = p.k AND code = p.c \
         ORDER BY registered_at DESC, appeal_id DESC LIMIT {MAX_LINKS}) AS m JOIN appeals a ON a.id = m.appeal_id AND a.organization_id = m.organization_id \
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
        use crate::store::prepared::{Arg, Prepared};
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

    fn write_registration(&mut self, row: &AppealRow, a: &NewAppeal, links: &[LinkRow], hist: &NewHistory, notices: &[NotificationRow], deltas: &[crate::domain::rollup::Row], number: Option<(i32, usize)>) -> Result<Option<i64>, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        if a.outbox.cancel_reminders {
            crate::store::outbox::pg::cancel_reminders(self, &row.id)?;
        }
        // One prepared statement, one round trip: every table's rows travel as one JSON array
        // and are inserted by data-modifying CTEs (foreign keys are checked at the statement's end).
        static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
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
                pg_insert_json("history", hist, &["details"]),
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
            json(serde_json::to_string(&[hist]))?,
        ];
        let reserved: Vec<Reserved> = Prepared::new(sql.as_str(), args).load(self)?;
        if let Some(p) = &a.campaign {
            // Derived rows after the registration's statement, in a transaction of their own
            // that does not wait for the disk (a savepoint inside a caller's transaction): a
            // failure is logged and the registration stands.
            if let Err(e) = crate::store::campaigns::pg::group(self, p, &related_ids(links), row.registered_at) {
                tracing::warn!(error = %e, "campaign grouping failed; the appeal stays registered without a campaign");
            }
        }
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

/// Registration with its earlier appeals already read, every row built before the write
/// transaction: the card carries [`crate::domain::regnum::SEQ_PLACEHOLDER`] for its number,
/// whose digits are replaced inside the transaction (card, search text, first history entry,
/// notices: the columns PostgreSQL's statement fills the same way), once the counter has moved.
/// Under SQLite's one writer lock this leaves the counter and the inserts; the rest (links,
/// rendering, the acknowledgement, statistics deltas) runs beside other writers. For a card
/// that needs a generated number, the template must have a single sequence (`seq_width`).
fn register_prebuilt<C: RegisterSteps + WriteTx>(conn: &mut C, a: &NewAppeal, links_for: LinkDecision, numbering: Numbering, found: Vec<Candidate>) -> Result<CardData, ServiceError> {
    use crate::domain::regnum::{fill_seq, SEQ_PLACEHOLDER};
    // The caller numbers inside the transaction when the template has no single sequence.
    let width = numbering.seq_width.filter(|_| a.appeal.reg_number.is_empty());
    let mut row = a.appeal.clone();
    let (repeated, links) = links_for(&row, &found);
    row.repeated = repeated;
    if width.is_some() {
        numbering.apply(&mut row, SEQ_PLACEHOLDER);
    }
    let mut notices = crate::store::outbox::filled(&a.outbox, &[("reg_number", &row.reg_number)], row.registered_at);
    let mut related: Vec<String> = links.iter().map(|l| l.related_appeal_id.clone()).collect();
    related.sort();
    let mut card = CardData { appeal: row, applicants: a.applicants.clone(), questions: a.questions.clone(), assignments: Vec::new(), answers: Vec::new(), contributions: Vec::new(), related, receiver: None };
    let deltas = crate::store::stats_deltas::new_card_rows(&card);
    let mut hist = first_entry(&card.appeal, a, &links);
    conn.write_tx(|c| {
        if let Some(width) = width {
            let (_, seq) = c.found_and_number(&card.appeal.organization_id, &[], Some(a.reg_year))?;
            let seq = seq.ok_or(ServiceError::Db(diesel::result::Error::NotFound))?;
            let (mark, digits) = (SEQ_PLACEHOLDER.to_string(), fill_seq(seq, width));
            for s in [&mut card.appeal.reg_number, &mut card.appeal.search_text, &mut hist.details] {
                *s = s.replace(&mark, &digits);
            }
            for n in &mut notices {
                n.subject = n.subject.replace(&mark, &digits);
                n.body = n.body.replace(&mark, &digits);
            }
        }
        c.write_registration(&card.appeal, a, &links, &hist, &notices, &deltas, None)?;
        Ok(card)
    })
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
                    message: crate::domain::refusals::duplicate_external_id(None, a.appeal.external_id.as_deref().unwrap_or_default(), &number),
                    extra: serde_json::json!({"id": id, "reg_number": number}),
                }),
                None => Err(e),
            }
        }
        other => other,
    }
}

/// The appeal with this external id on this channel: (id, number).
pub fn find_by_external(pool: &DbPool, org: &str, channel: &str, external_id: &str) -> Result<Option<(String, String)>, ServiceError> {
    dispatch!(pool, find_by_external(org, channel, external_id))
}

backend_fns! {
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
                    "SELECT organization_id, appeal_id, registered_at FROM (SELECT organization_id, appeal_id, registered_at FROM match_keys WHERE organization_id = ? AND match_key = ? AND code = ? \
                     ORDER BY registered_at DESC, appeal_id DESC LIMIT {MAX_LINKS}) AS m{i}"
                )
            })
            .collect();
        // Each found appeal's status and deadline by primary key, in the same round trip.
        let sql = format!("SELECT m.appeal_id, m.registered_at, a.status, a.due_date FROM ({}) AS m JOIN appeals a ON a.id = m.appeal_id AND a.organization_id = m.organization_id", ranges.join(" UNION ALL "));
        use crate::store::prepared::{Arg, Prepared};
        let args = pairs.iter().flat_map(|(key, code)| [Arg::Text(org.to_string()), Arg::Text(key.clone()), Arg::Text(code.clone())]).collect();
        let found: Vec<Found> = Prepared::owned(sql.into(), args).load(c)?;
        Ok(newest_candidates(found))
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
        // (a WAL snapshot blocks nobody), as PostgreSQL reads them before its write statement,
        // and every row is built before it too; only the number and the inserts are left
        // for the lock (`register_prebuilt`).
        let found = candidates(conn, &a.appeal.organization_id, &pairs_of(&a.match_keys))?;
        if a.appeal.reg_number.is_empty() && numbering.seq_width.is_none() {
            // A template with no single sequence: numbered and rendered inside the transaction.
            return conn.write_tx(|c| register_found(c, a, links_for, numbering, Some(found)));
        }
        register_prebuilt(conn, a, links_for, numbering, found)
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
        let mut card = CardData { appeal: row, applicants: a.applicants.clone(), questions: a.questions.clone(), assignments: Vec::new(), answers: Vec::new(), contributions: Vec::new(), related, receiver: None };
        // Statistics deltas, in the registering transaction.
        let deltas = crate::store::stats_deltas::new_card_rows(&card);
        let hist = first_entry(&card.appeal, a, &links);
        let reserved = c.write_registration(&card.appeal, a, &links, &hist, &notices, &deltas, in_write)?;
        if let (Some(seq), Some(unnumbered)) = (reserved, unnumbered) {
            // The number the database reserved and filled in, rendered the same way for the answer.
            card.appeal = unnumbered;
            numbering.apply(&mut card.appeal, seq);
        }
        Ok(card)
    }
}
