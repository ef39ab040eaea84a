//! Importing many appeals in one transaction: legacy numbers and external ids checked, numbers
//! reserved per year, repeats found set-based, rows written chunk by chunk the fastest way each
//! backend offers, and the follow-up of a large import.

use crate::store::appeals::numbering::Numbering;
use crate::store::appeals::register::{first_entry, newest_first, pairs_of, Candidate, LinkDecision, NewAppeal, MAX_LINKS};
use crate::store::models::*;
use crate::store::schema::{appeal_links, appeals, applicants, match_keys, questions};
use crate::store::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::collections::{BTreeSet, HashMap};

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

/// Inserts `rows` into `table` on SQLite in multi-row statements of exactly `N` rows, then the
/// few left over one by one. A fixed-size array's insert has one text whatever the values, so
/// diesel keeps it prepared on the connection and SQLite compiles it once per import instead of
/// once per statement (a slice's insert of 500 cards, 30,000 placeholders, was compiled anew
/// each time); the single-row insert of the remainder is cached the same way.
#[cfg(feature = "sqlite")]
macro_rules! insert_fixed {
    ($c:expr, $table:expr, $rows:expr, $n:literal) => {{
        let mut exact = $rows.chunks_exact($n);
        for chunk in &mut exact {
            let fixed: &[_; $n] = chunk.try_into().expect("chunks_exact gives N rows");
            diesel::insert_into($table).values(fixed).execute($c)?;
        }
        for row in exact.remainder() {
            diesel::insert_into($table).values(row).execute($c)?;
        }
    }};
}

#[cfg(feature = "sqlite")]
impl BulkInsert for diesel::SqliteConnection {
    fn insert_rows(&mut self, b: &Bulk, lap: &mut Lap) -> Result<(), ServiceError> {
        // Rows per statement: under SQLite's cap of 32,766 bound parameters with room for
        // columns yet to come (cards have 60 today, the narrow tables 5 to 12).
        insert_fixed!(self, appeals::table, b.rows, 128);
        lap.at("appeals");
        insert_fixed!(self, applicants::table, b.people, 256);
        lap.at("applicants");
        insert_fixed!(self, questions::table, b.questions, 256);
        lap.at("questions");
        insert_fixed!(self, match_keys::table, b.keys, 512);
        lap.at("keys");
        insert_fixed!(self, appeal_links::table, b.links, 512);
        lap.at("links");
        insert_fixed!(self, crate::store::schema::history::table, b.history, 512);
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
        self.batch_execute(&format!("PRAGMA cache_size = -{};", crate::store::wal_sync::WRITER_CACHE_KIB))?;
        // The next write transaction gets a fresh writer, without the import's cache structures.
        let file = crate::store::sqlite_file(self)?;
        if !file.is_empty() {
            crate::store::wal_sync::WalSync::of(&file).retire_writer();
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
        diesel::copy_from(crate::store::schema::history::table).from_insertable(b.history).execute(self)?;
        lap.at("history");
        Ok(())
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
/// appeals, under the writer lock), a passive checkpoint, which copies the import's pages
/// from the WAL into the database without blocking readers or writers, and `PRAGMA optimize`
/// (`store::optimize`).
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
                c.batch_execute("PRAGMA wal_checkpoint(PASSIVE)")?;
                // The planner's statistics for the grown tables.
                crate::store::optimize::optimize(&pool)
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

backend_fns! {
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
                return Err(ServiceError::Invalid(vec![crate::domain::validation::FieldError { field: format!("items[{idx}].reg_number"), message: crate::domain::refusals::number_taken(t) }]));
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
                        message: crate::domain::refusals::duplicate_external_id(Some(idx), &x, &number),
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
            appeals_db::raise_counter(c, &org, *year, *seq)?;
        }
        // ...then a block of numbers per year is reserved in one counter update.
        let mut per_year: HashMap<i32, i64> = HashMap::new();
        for i in items.iter().filter(|i| i.appeal.reg_number.is_empty()) {
            *per_year.entry(i.reg_year).or_default() += 1;
        }
        let mut next: HashMap<i32, i64> = HashMap::new();
        for (year, n) in &per_year {
            let last = appeals_db::next_seq(c, &org, *year, *n)?;
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
}
