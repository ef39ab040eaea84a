//! The ССТУ.РФ monthly export (Decree 171; docs/domain.md §6): one object per appeal in the
//! connector's JSON model, checked against the connector's rules before anything is sent.
//!
//! Which appeals belong to a month: those registered in it, plus those whose consideration
//! ended in it (answer dispatched, removed from control, forwarded by competence), since the
//! connector takes results monthly and a result reported in October may close an appeal of
//! September. Only 59-FZ appeals are reported; those the settings skip (`А26-…`) are listed in
//! the export log with the reason.
//!
//! The month is streamed: inside one read snapshot a first pass builds and checks the objects
//! chunk by chunk (keeping only violations and a hash and length per object), then — only if
//! nothing is wrong — a second pass builds them again and writes them out. Memory stays flat
//! whatever the month's size. A re-export of unchanged data is byte-identical; the delta
//! (`since_last`) picks the cards whose version moved since what `sstu_sent` holds for them.
//!
//! The connector's ZIP of the full month comes in parts of bounded size, and which object goes
//! in which part is known only once every object's length is: the first part fetched checks
//! and measures the whole month and stores the part plan (`sstu_part_plans`: the appeal each
//! part starts with) under a fingerprint of everything the objects are built from. Each later
//! part, and every re-export, whose month still has that fingerprint builds its own objects
//! only; any change in the month (a card's version, the directory's GUIDs, the settings)
//! checks and plans again, so the connector's rules refuse exactly as before.
//!
//! Memory: the month is held as its keys (id, version, registration order), one hash and
//! length per object, and the sent rows of the month, read row by row; the rows recorded are
//! built 500 at a time.

pub mod object;
pub mod parts;
pub mod push;
pub mod region;
pub mod rules;

pub use object::*;
pub use push::push;
pub use rules::{violations, Violation};

use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::exports::{ExportLogRow, Period};
use crate::store::sstu::{FileMeta, MonthKey, PartPlan, Reader, SentRow};
use crate::store::ServiceError;
use chrono::NaiveDateTime;
use parts::Out;
use serde::Serialize;
use std::collections::HashMap;
use std::io::Write;

/// Why an export did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    /// Bad data (or a bad request): every violation, nothing exported.
    #[error("{} violations", .0.len())]
    Invalid(Vec<Violation>),
    /// Storage.
    #[error(transparent)]
    Store(#[from] ServiceError),
    /// The connector did not take the export after every attempt.
    #[error("push failed: {0}")]
    Push(String),
    /// Writing stopped (the client went away): nothing is logged.
    #[error("export interrupted: {0}")]
    Interrupted(String),
}

impl From<diesel::result::Error> for ExportError {
    fn from(e: diesel::result::Error) -> Self {
        ExportError::Store(e.into())
    }
}

/// What to export.
#[derive(Clone, Debug)]
pub struct Request {
    /// `YYYY-MM`.
    pub month: String,
    /// Only the objects changed since the month's last export.
    pub since_last: bool,
    /// The connector's batch ZIP instead of the JSON document.
    pub zip: bool,
    /// The ZIP part, 1-based.
    pub part: u32,
}

/// An appeal left out on purpose, as the export log lists it.
#[derive(Clone, Debug, Serialize)]
pub struct Skipped {
    /// Our registration number.
    pub reg_number: String,
    /// The cover letter's number that caused it.
    pub number: String,
    /// Why, in Russian.
    pub reason: String,
}

/// What the checking pass decided, known before the first byte is written.
#[derive(Clone, Debug, Serialize)]
pub struct Plan {
    /// Parts of the export (1 for JSON).
    pub parts: u32,
    /// This part.
    pub part: u32,
    /// Objects in this part.
    pub items: usize,
    /// Appeals skipped by the settings.
    pub skipped: Vec<Skipped>,
}

/// A finished export.
pub struct Exported<W> {
    /// What was written (the bytes, for an in-memory export).
    pub body: W,
    /// Objects written.
    pub items: usize,
    /// Delivery attempts, when pushed.
    pub attempts: Option<u32>,
    /// The plan it followed.
    pub plan: Plan,
}

/// The log target of a finished export (the last part of a ZIP, or the JSON document).
pub const TARGET: &str = "sstu";
/// The log target of a ZIP part that is not the last.
pub const TARGET_PART: &str = "sstu_part";
/// Cards read and built at a time.
const CHUNK: usize = 500;
/// Answer files' bytes held at a time while writing.
const FILE_BYTES: usize = 32 << 20;

/// One object the checking pass accepted.
struct Entry {
    /// Its appeal's place in the month's keys.
    key: u32,
    /// SHA-256 of the object (the attachment counted by its file's hash).
    hash: [u8; 32],
    /// The object's length with the attachment's base64.
    len: usize,
    /// What `sstu_sent` held for it before this export.
    prev: Option<Prev>,
}

/// What `sstu_sent` held for one appeal, without its id.
#[derive(Clone)]
struct Prev {
    version: i32,
    hash: [u8; 32],
    complete: bool,
}

/// The month's selection: the appeals to report, in registration order, and those skipped.
struct Month {
    keys: Vec<MonthKey>,
    skipped: Vec<Skipped>,
}

/// Exports month `month` (`YYYY-MM`) of organization `org` as the JSON document: checks,
/// logs (who, when, what) and returns the body; with `since_last`, only the changed objects.
pub fn export(state: &AppState, org: &str, actor: Option<&str>, month: &str, since_last: bool) -> Result<Exported<Vec<u8>>, ExportError> {
    let req = Request { month: month.into(), since_last, zip: false, part: 1 };
    export_to(state, org, actor, &req, |_| Ok(Vec::new()), |_| Ok(None))
}

/// A delivery of the export body (a file, rewound before each attempt): the attempts it took,
/// or why it failed.
pub type Deliver<'a> = &'a dyn Fn(&mut std::fs::File) -> Result<u32, String>;

/// [`export`] into a temporary file of the data folder (the body is never held in memory),
/// handed to `deliver` before logging it: a failed delivery logs nothing, so the next delta
/// still carries those objects. The file is removed afterwards.
pub fn export_with(state: &AppState, org: &str, actor: Option<&str>, month: &str, since_last: bool, deliver: Deliver) -> Result<Exported<()>, ExportError> {
    let req = Request { month: month.into(), since_last, zip: false, part: 1 };
    let dir = state.settings.data_dir.join("tmp");
    std::fs::create_dir_all(&dir).map_err(|e| ExportError::Interrupted(e.to_string()))?;
    let path = dir.join(format!("sstu-push-{}.json", uuid::Uuid::new_v4()));
    let open = |_: &Plan| {
        let f = std::fs::OpenOptions::new().read(true).write(true).create_new(true).open(&path).map_err(|e| ExportError::Interrupted(e.to_string()))?;
        Ok(std::io::BufWriter::with_capacity(1 << 16, f))
    };
    let send = |w: &std::io::BufWriter<std::fs::File>| {
        let mut f = w.get_ref().try_clone().map_err(|e| ExportError::Interrupted(e.to_string()))?;
        deliver(&mut f).map(Some).map_err(ExportError::Push)
    };
    let done = export_to(state, org, actor, &req, open, send);
    let _ = std::fs::remove_file(&path);
    let done = done?;
    Ok(Exported { body: (), items: done.items, attempts: done.attempts, plan: done.plan })
}

/// What the read snapshot produced: the written body, and what to record of it.
struct Written<W> {
    w: W,
    plan: Plan,
    keys: Vec<MonthKey>,
    rows: Rows,
    /// A part plan made by this export, stored with its record.
    new_plan: Option<PartPlan>,
    /// For the log: whether a ZIP of the full month made its part plan or reused the stored one.
    planning: Option<&'static str>,
}

/// What `sstu_sent` gets from an export.
enum Rows {
    /// The whole selection was checked: every entry with its part, and the delta's unchanged.
    Checked { entries: Vec<Entry>, part_of: Vec<u32>, unchanged: Vec<Entry> },
    /// A part of a stored plan: its objects (id, version, hash), and (last part) the rows the
    /// earlier parts of the plan left pending that are still the cards' versions.
    Part { written: Vec<(String, i32, [u8; 32])>, completed: Vec<(String, i32, String)> },
}

/// The days `[from, to)` of organization `org` with the instants they begin at in its own time
/// zone: the month an export or a form covers.
pub fn month_period(state: &AppState, org: &str, from: chrono::NaiveDate, to: chrono::NaiveDate) -> Period {
    Period { from, to, from_at: state.start_of(org, from), to_at: state.start_of(org, to) }
}

/// The export of `req`: checks the whole selection first (a violation anywhere refuses it all
/// before `open` is called), then writes the objects of the requested part into the writer
/// `open` gives, hands it to `deliver`, and only then records the export. A ZIP part of a full
/// export whose month still has the fingerprint of its stored part plan is not checked again:
/// that plan was made by a check that passed on the same data, so only the part is built.
pub fn export_to<W: Write>(
    state: &AppState,
    org: &str,
    actor: Option<&str>,
    req: &Request,
    open: impl FnOnce(&Plan) -> Result<W, ExportError>,
    deliver: impl FnOnce(&W) -> Result<Option<u32>, ExportError>,
) -> Result<Exported<W>, ExportError> {
    let bad = |field: &str, message: String| ExportError::Invalid(vec![Violation { reg_number: String::new(), field: field.into(), message }]);
    let (from, to) = parse_month(&req.month).ok_or_else(|| bad("month", "месяц в виде ГГГГ-ММ".into()))?;
    let period = month_period(state, org, from, to);
    let builder = Builder::new(state, org);
    let part_limit = state.settings.sstu.part_limit();
    let org_owned = org.to_string();
    let now = state.now_naive();
    let mut written = 0usize;
    // Both passes inside one snapshot: what was checked is exactly what is written.
    let result: Result<Written<W>, ExportError> = crate::store::sstu::read(&state.pool, |r| {
        Ok((|| {
            let month = select(r, &org_owned, &period, &builder)?;
            let fingerprint = if req.zip && !req.since_last { Some(month_fingerprint(r, &org_owned, &month.keys, &builder, part_limit)?) } else { None };
            if let Some(fp) = &fingerprint {
                if let Some(stored) = r.part_plan(&org_owned, &req.month)?.filter(|p| &p.fingerprint == fp) {
                    if let Some(starts) = plan_starts(&stored, &month.keys) {
                        let parts = starts.len() as u32 - 1;
                        if req.part == 0 || req.part > parts {
                            return Err(bad("part", format!("в выгрузке частей: {parts}; укажите part от 1 до {parts}")));
                        }
                        let range = starts[req.part as usize - 1]..starts[req.part as usize];
                        let plan = Plan { parts, part: req.part, items: range.len(), skipped: month.skipped };
                        let w = open(&plan)?;
                        let mut out = Out::start(w, true).map_err(|e| ExportError::Interrupted(e.to_string()))?;
                        let mut hashes = Vec::with_capacity(range.len());
                        let ids: Vec<String> = month.keys[range.clone()].iter().map(|k| k.id.clone()).collect();
                        for chunk in ids.chunks(CHUNK) {
                            written += write_chunk(r, &org_owned, chunk, &builder, &mut out, Some(&mut hashes))?;
                        }
                        let w = out.finish().map_err(|e| ExportError::Interrupted(e.to_string()))?;
                        let mut completed = Vec::new();
                        if req.part == parts {
                            // The earlier parts of this plan, fetched since it was made, are now complete.
                            let earlier: HashMap<&str, i32> = month.keys[..range.start].iter().map(|k| (k.id.as_str(), k.version)).collect();
                            r.sent_month(&org_owned, &req.month, &mut |s| {
                                if !s.complete && s.exported_at >= stored.planned_at && earlier.get(s.appeal_id.as_str()) == Some(&s.version) {
                                    completed.push((s.appeal_id, s.version, s.hash));
                                }
                            })?;
                        }
                        return Ok(Written { w, plan, keys: month.keys, rows: Rows::Part { written: hashes, completed }, new_plan: None, planning: Some("reused") });
                    }
                }
            }
            let Checked { entries, unchanged, violations } = check(r, &org_owned, &req.month, &month.keys, req.since_last, &builder)?;
            if !violations.is_empty() {
                return Err(ExportError::Invalid(violations));
            }
            let lens: Vec<usize> = entries.iter().map(|e| e.len).collect();
            let (part_of, parts) = if req.zip { parts::partition(&lens, part_limit) } else { (vec![1; lens.len()], 1) };
            drop(lens);
            if req.part == 0 || req.part > parts {
                return Err(bad("part", format!("в выгрузке частей: {parts}; укажите part от 1 до {parts}")));
            }
            let planning = fingerprint.is_some().then_some("made");
            let new_plan = fingerprint.map(|fp| part_plan(&org_owned, &req.month, fp, &entries, &part_of, parts, &month.keys, now));
            let ids: Vec<String> = entries.iter().zip(&part_of).filter(|(_, p)| **p == req.part).map(|(e, _)| month.keys[e.key as usize].id.clone()).collect();
            let plan = Plan { parts, part: req.part, items: ids.len(), skipped: month.skipped };
            let w = open(&plan)?;
            let mut out = Out::start(w, req.zip).map_err(|e| ExportError::Interrupted(e.to_string()))?;
            for chunk in ids.chunks(CHUNK) {
                written += write_chunk(r, &org_owned, chunk, &builder, &mut out, None)?;
            }
            let w = out.finish().map_err(|e| ExportError::Interrupted(e.to_string()))?;
            Ok(Written { w, plan, keys: month.keys, rows: Rows::Checked { entries, part_of, unchanged }, new_plan, planning })
        })())
    })?;
    let Written { w, plan, keys, rows, new_plan, planning } = result?;
    let attempts = deliver(&w)?;
    let last = plan.part == plan.parts;
    let part = plan.part;
    let keys = &keys;
    let row = |id: &str, version: i32, hash: String, complete: bool| SentRow { organization_id: org.into(), period: req.month.clone(), appeal_id: id.into(), version, hash, complete, exported_at: now };
    let mut sent: Box<dyn Iterator<Item = SentRow> + '_> = match &rows {
        // The last part completes the run: every object of it that the earlier parts already
        // sent unchanged (pending rows with the same hash) is now complete; earlier parts stay
        // pending. Cards with a new version but the same object take the new version, so the
        // next delta does not build them again; what `sstu_sent` already holds as it is needs
        // no write.
        Rows::Checked { entries, part_of, unchanged } => {
            let held = move |e: &Entry| last && e.prev.as_ref().is_some_and(|p| p.complete && p.version == keys[e.key as usize].version && p.hash == e.hash);
            Box::new(
                entries
                    .iter()
                    .zip(part_of)
                    .filter(move |(e, p)| **p == part || (last && e.prev.as_ref().is_some_and(|s| !s.complete && s.hash == e.hash)))
                    .map(|(e, _)| e)
                    .chain(unchanged.iter().filter(move |_| last))
                    .filter(move |e| !held(e))
                    .map(move |e| {
                        let k = &keys[e.key as usize];
                        row(&k.id, k.version, hex::encode(e.hash), last)
                    }),
            )
        }
        Rows::Part { written, completed } => Box::new(
            written.iter().map(move |(id, version, hash)| row(id, *version, hex::encode(hash), last)).chain(completed.iter().map(move |(id, version, hash)| row(id, *version, hash.clone(), true))),
        ),
    };
    let payload = serde_json::json!({"format": if req.zip { "zip" } else { "json" }, "since_last": req.since_last, "part": plan.part, "parts": plan.parts, "plan": planning, "skipped": plan.skipped});
    let seq = crate::store::exports::count_exports(&state.pool, org, TARGET, &req.month)?;
    let log = ExportLogRow {
        id: crate::store::exports::log_id(&req.month, seq),
        organization_id: org.into(),
        target: if last { TARGET } else { TARGET_PART }.into(),
        period: req.month.clone(),
        created_at: now,
        created_by: actor.map(Into::into),
        items: plan.items as i32,
        payload: payload.to_string(),
    };
    crate::store::sstu::record(&state.pool, &log, &mut sent, new_plan.as_ref())?;
    drop(sent);
    drop(rows);
    // A month's selection is a large, rare peak: give its pages back instead of keeping them.
    crate::memory::return_freed();
    Ok(Exported { body: w, items: written, attempts, plan })
}

/// What checking one organization's month found, with nothing written or logged.
#[derive(Clone, Debug)]
pub struct MonthCheck {
    /// Objects its export would send (with `since_last`, only the changed ones).
    pub items: usize,
    /// Appeals the settings skip.
    pub skipped: usize,
    /// Every rule broken, each naming the appeal's `reg_number`.
    pub violations: Vec<Violation>,
}

/// The checking pass of a ZIP export alone, over one read snapshot: the regional export runs
/// it for every organization before its first byte, so that one organization's bad data
/// refuses the region's file while its headers can still say so (422) rather than cutting the
/// body off halfway. A full month that passes gets its part plan stored (as its first part
/// would store it), so the export that follows builds its parts without checking again; a
/// month whose stored plan still has its fingerprint passed that check already and is not
/// checked again here either.
pub fn check_month(state: &AppState, org: &str, month: &str, since_last: bool) -> Result<MonthCheck, ExportError> {
    let (from, to) = parse_month(month).ok_or_else(|| ExportError::Invalid(vec![Violation { reg_number: String::new(), field: "month".into(), message: "месяц в виде ГГГГ-ММ".into() }]))?;
    let period = month_period(state, org, from, to);
    let builder = Builder::new(state, org);
    let part_limit = state.settings.sstu.part_limit();
    let now = state.now_naive();
    let result: Result<(MonthCheck, Option<PartPlan>), ExportError> = crate::store::sstu::read(&state.pool, |r| {
        Ok((|| {
            let selected = select(r, org, &period, &builder)?;
            let skipped = selected.skipped.len();
            let fingerprint = if since_last { None } else { Some(month_fingerprint(r, org, &selected.keys, &builder, part_limit)?) };
            if let Some(fp) = &fingerprint {
                if let Some(stored) = r.part_plan(org, month)?.filter(|p| &p.fingerprint == fp) {
                    if plan_starts(&stored, &selected.keys).is_some() {
                        return Ok((MonthCheck { items: selected.keys.len(), skipped, violations: Vec::new() }, None));
                    }
                }
            }
            let Checked { entries, violations, .. } = check(r, org, month, &selected.keys, since_last, &builder)?;
            let plan = match fingerprint {
                Some(fp) if violations.is_empty() && !entries.is_empty() => {
                    let lens: Vec<usize> = entries.iter().map(|e| e.len).collect();
                    let (part_of, parts) = parts::partition(&lens, part_limit);
                    Some(part_plan(org, month, fp, &entries, &part_of, parts, &selected.keys, now))
                }
                _ => None,
            };
            Ok((MonthCheck { items: entries.len(), skipped, violations }, plan))
        })())
    })?;
    let (check, plan) = result?;
    if let Some(plan) = plan {
        crate::store::sstu::save_plan(&state.pool, &plan)?;
    }
    Ok(check)
}

/// The part plan of a checked full month: the appeal each part starts with.
#[allow(clippy::too_many_arguments)]
fn part_plan(org: &str, month: &str, fingerprint: String, entries: &[Entry], part_of: &[u32], parts: u32, keys: &[MonthKey], now: NaiveDateTime) -> PartPlan {
    let mut starts = Vec::new();
    let mut last = 0;
    for (e, p) in entries.iter().zip(part_of) {
        if *p != last {
            starts.push(keys[e.key as usize].id.as_str());
            last = *p;
        }
    }
    PartPlan { organization_id: org.into(), period: month.into(), fingerprint, parts: parts as i32, starts: serde_json::json!(starts).to_string(), planned_at: now }
}

/// The month's 59-FZ appeals, less those the settings skip (listed with the reason).
fn select(r: &mut dyn Reader, org: &str, period: &Period, b: &Builder) -> Result<Month, ExportError> {
    let mut skipped = Vec::new();
    let mut keys = r.month_keys(org, period)?;
    keys.retain(|k| match k.source_number.as_deref().filter(|n| b.skip.iter().any(|p| n.starts_with(p.as_str()))) {
        Some(n) => {
            skipped.push(Skipped { reg_number: k.reg_number.clone(), number: n.into(), reason: "из Администрации Президента со своим номером (А26-…): она учитывает такие обращения сама ([sstu] skip_source_prefixes)".into() });
            false
        }
        None => true,
    });
    keys.shrink_to_fit();
    Ok(Month { keys, skipped })
}

/// What the month's full export is built from, as one hash: the mapping's settings, the part
/// size, the directory's GUIDs, and each appeal with its card's version, in order (a card's
/// version moves with every change of it, its answers and their files).
fn month_fingerprint(r: &mut dyn Reader, org: &str, keys: &[MonthKey], b: &Builder, part_limit: usize) -> Result<String, ExportError> {
    use sha2::Digest;
    let mut h = sha2::Sha256::new();
    h.update(format!("sstu-parts-v1\n{:?}\n{}\n{:?}\n{:?}\n{:?}\n{}\n{}\n", b.department, b.limit, b.skip, b.forms, b.channels, b.tz.name(), part_limit));
    for (name, guid) in r.directory(org)? {
        h.update(name.as_bytes());
        h.update([0]);
        h.update(guid.unwrap_or_default().as_bytes());
        h.update([1]);
    }
    for k in keys {
        h.update(k.id.as_bytes());
        h.update([0]);
        h.update(k.version.to_le_bytes());
    }
    Ok(hex::encode(h.finalize()))
}

/// The key index each part of a stored plan starts at, and the end: `None` when the plan does
/// not fit the keys (then it is made again).
fn plan_starts(plan: &PartPlan, keys: &[MonthKey]) -> Option<Vec<usize>> {
    let ids: Vec<String> = serde_json::from_str(&plan.starts).ok()?;
    if plan.parts < 1 || (ids.len() != plan.parts as usize && !(ids.is_empty() && plan.parts == 1 && keys.is_empty())) {
        return None;
    }
    let mut starts = Vec::with_capacity(ids.len() + 1);
    let mut from = 0;
    for id in &ids {
        let at = from + keys[from..].iter().position(|k| &k.id == id)?;
        if starts.is_empty() && at != 0 {
            return None;
        }
        starts.push(at);
        from = at + 1;
    }
    if starts.is_empty() {
        starts.push(0);
    }
    starts.push(keys.len());
    Some(starts)
}

/// What the first pass found.
struct Checked {
    /// The objects to send (hash and length only).
    entries: Vec<Entry>,
    /// Delta: cards whose version moved but whose object is what the connector has.
    unchanged: Vec<Entry>,
    /// Every rule broken.
    violations: Vec<Violation>,
}

/// The hex hash of `sstu_sent` as bytes (a malformed one matches nothing).
fn hash_bytes(hex_hash: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if hex::decode_to_slice(hex_hash, &mut out).is_err() {
        out = [0xff; 32];
    }
    out
}

/// The first pass: the month's selection, checked chunk by chunk.
fn check(r: &mut dyn Reader, org: &str, month: &str, keys: &[MonthKey], since_last: bool, b: &Builder) -> Result<Checked, ExportError> {
    let mut entries = Vec::new();
    let mut unchanged = Vec::new();
    let mut violations = Vec::new();
    let mut prev: HashMap<String, Prev> = HashMap::new();
    r.sent_month(org, month, &mut |s| {
        prev.insert(s.appeal_id, Prev { version: s.version, hash: hash_bytes(&s.hash), complete: s.complete });
    })?;
    for (n, chunk) in keys.chunks(CHUNK).enumerate() {
        // The delta: cards never sent completely, or whose version moved since.
        let wanted: Vec<(u32, String)> = chunk
            .iter()
            .enumerate()
            .filter(|(_, k)| !since_last || prev.get(&k.id).is_none_or(|s| !s.complete || s.version != k.version))
            .map(|(i, k)| ((n * CHUNK + i) as u32, k.id.clone()))
            .collect();
        if wanted.is_empty() {
            continue;
        }
        let ids: Vec<String> = wanted.iter().map(|(_, id)| id.clone()).collect();
        let data = ChunkData::load(r, org, &ids)?;
        let at: HashMap<&str, u32> = wanted.iter().map(|(i, id)| (id.as_str(), *i)).collect();
        for card in &data.cards {
            let (o, hash, len) = b.checked(card, &data)?;
            violations.extend(rules::violations(&o, &card.appeal.reg_number, b.limit));
            let prev = prev.remove(&card.appeal.id);
            let same = since_last && prev.as_ref().is_some_and(|s| s.complete && s.hash == hash);
            let e = Entry { key: at[card.appeal.id.as_str()], hash, len, prev };
            if same { unchanged.push(e) } else { entries.push(e) }
        }
    }
    Ok(Checked { entries, unchanged, violations })
}

/// The second pass over one chunk: builds the objects again, with the files' bytes (held a
/// group of at most [`FILE_BYTES`] at a time), and writes them; returns how many. With
/// `hashes` (a part of a stored plan, not checked before), each object's id, version and
/// checking-pass hash go there too.
fn write_chunk<W: Write>(r: &mut dyn Reader, org: &str, ids: &[String], b: &Builder, out: &mut Out<W>, mut hashes: Option<&mut Vec<(String, i32, [u8; 32])>>) -> Result<usize, ExportError> {
    let data = ChunkData::load(r, org, ids)?;
    let mut n = 0;
    let mut start = 0;
    while start < data.cards.len() {
        let mut end = start;
        let mut held = 0usize;
        while end < data.cards.len() && (end == start || held + data.file_of(&data.cards[end]).map_or(0, |m| m.size.max(0) as usize) <= FILE_BYTES) {
            held += data.file_of(&data.cards[end]).map_or(0, |m| m.size.max(0) as usize);
            end += 1;
        }
        let group = &data.cards[start..end];
        let wanted: Vec<String> = group.iter().filter_map(|c| data.file_of(c)).map(|m| m.id.clone()).collect();
        let bytes: HashMap<String, Vec<u8>> = if wanted.is_empty() { HashMap::new() } else { r.file_bytes(org, &wanted)?.into_iter().collect() };
        for card in group {
            if let Some(h) = hashes.as_deref_mut() {
                h.push((card.appeal.id.clone(), card.appeal.version, b.checked(card, &data)?.1));
            }
            let attachment = data.file_of(card).map(|m| {
                let content = bytes.get(&m.id).map(|b| base64(b)).unwrap_or_default();
                Attachment { name: m.file_name.clone(), content, size: m.size.max(0) as usize }
            });
            let o = b.object(card, &data, attachment);
            let json = serde_json::to_vec(&o).map_err(|e| ServiceError::Migration(e.to_string()))?;
            out.item(&guid_of(&card.appeal.id), &json).map_err(|e| ExportError::Interrupted(e.to_string()))?;
            n += 1;
        }
        start = end;
    }
    Ok(n)
}

/// One chunk's cards with what their objects need.
struct ChunkData {
    cards: Vec<CardData>,
    files: HashMap<String, FileMeta>,
    guids: HashMap<String, Option<String>>,
}

impl ChunkData {
    fn load(r: &mut dyn Reader, org: &str, ids: &[String]) -> Result<Self, ServiceError> {
        let cards = r.cards(org, ids)?;
        let files = r.file_meta(org, ids)?.into_iter().map(|f| (f.answer_id.clone(), f)).collect();
        let mut names: Vec<String> = cards.iter().filter_map(|c| c.appeal.forwarded_to.clone()).collect();
        names.sort();
        names.dedup();
        let guids = if names.is_empty() { HashMap::new() } else { r.body_guids(org, &names)?.into_iter().collect() };
        Ok(ChunkData { cards, files, guids })
    }

    /// The file of the answer that was dispatched last.
    fn file_of(&self, card: &CardData) -> Option<&FileMeta> {
        card.answers.iter().rev().find(|a| a.sent_on.is_some()).and_then(|a| self.files.get(&a.id))
    }
}

/// The settings and clock the mapping uses.
struct Builder {
    department: Option<String>,
    limit: usize,
    skip: Vec<String>,
    forms: Vec<String>,
    channels: Vec<String>,
    tz: chrono_tz::Tz,
}

impl Builder {
    fn new(state: &AppState, org: &str) -> Self {
        let s = &state.settings.sstu;
        let own = state.org(org);
        Builder {
            // The organization's own GUID, else the config file's `[sstu] department_id`.
            department: own.sstu_department_id.clone(),
            limit: s.attachment_limit(),
            skip: s.skip_source_prefixes.clone(),
            forms: s.electronic_forms.clone(),
            channels: s.electronic_channels.clone(),
            tz: own.tz(),
        }
    }

    /// The checking pass's object: the attachment stands as its file's hash (its bytes are not
    /// read); with the object's hash and its length once the bytes are in.
    fn checked(&self, card: &CardData, data: &ChunkData) -> Result<(SstuAppeal, [u8; 32], usize), ExportError> {
        use sha2::Digest;
        let meta = data.file_of(card);
        let placeholder = meta.map(|m| format!("sha256:{}", m.sha256));
        let attachment = meta.zip(placeholder.as_ref()).map(|(m, p)| Attachment { name: m.file_name.clone(), content: p.clone(), size: m.size.max(0) as usize });
        let o = self.object(card, data, attachment);
        let json = serde_json::to_vec(&o).map_err(|e| ServiceError::Migration(e.to_string()))?;
        let hash: [u8; 32] = sha2::Sha256::digest(&json).into();
        let len = json.len() + meta.map_or(0, |m| base64_len(m.size.max(0) as usize)) - placeholder.map_or(0, |p| p.len());
        Ok((o, hash, len))
    }

    fn object(&self, card: &CardData, data: &ChunkData, attachment: Option<Attachment>) -> SstuAppeal {
        let tz = self.tz;
        let local = move |t: NaiveDateTime| t.and_utc().with_timezone(&tz).date_naive();
        // Forwarded inside the instance: the receiving organization's own GUID; else the directory's body of that name.
        let transfer_department = match &card.receiver {
            Some(r) => r.sstu_department_id.as_deref(),
            None => card.appeal.forwarded_to.as_ref().and_then(|n| data.guids.get(n)).and_then(|g| g.as_deref()),
        };
        object(card, Context { department_id: self.department.as_deref(), local_date: &local, transfer_department, attachment, electronic: (&self.forms, &self.channels) })
    }
}
