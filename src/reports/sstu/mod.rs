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

pub mod object;
pub mod parts;
pub mod push;
pub mod rules;

pub use object::*;
pub use push::push;
pub use rules::{violations, Violation};

use crate::state::AppState;
use crate::store::appeals::CardData;
use crate::store::exports::{ExportLogRow, Period};
use crate::store::sstu::{FileMeta, MonthKey, Reader, SentRow};
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
    id: String,
    version: i32,
    hash: String,
    len: usize,
    /// What `sstu_sent` held for it before this export.
    prev: Option<SentRow>,
}

/// Exports month `month` (`YYYY-MM`) of organization `org` as the JSON document: checks,
/// logs (who, when, what) and returns the body; with `since_last`, only the changed objects.
pub fn export(state: &AppState, org: &str, actor: Option<&str>, month: &str, since_last: bool) -> Result<Exported<Vec<u8>>, ExportError> {
    let req = Request { month: month.into(), since_last, zip: false, part: 1 };
    export_to(state, org, actor, &req, |_| Ok(Vec::new()), |_| Ok(None))
}

/// A delivery of the export body: the attempts it took, or why it failed.
pub type Deliver<'a> = &'a dyn Fn(&[u8]) -> Result<u32, String>;

/// [`export`], handing the body to `deliver` before logging it: a failed delivery logs nothing,
/// so the next delta still carries those objects.
pub fn export_with(state: &AppState, org: &str, actor: Option<&str>, month: &str, since_last: bool, deliver: Option<Deliver>) -> Result<Exported<Vec<u8>>, ExportError> {
    let req = Request { month: month.into(), since_last, zip: false, part: 1 };
    export_to(state, org, actor, &req, |_| Ok(Vec::new()), |body: &Vec<u8>| deliver.map(|d| d(body).map_err(ExportError::Push)).transpose())
}

/// The export of `req`: checks the whole selection first (a violation anywhere refuses it all
/// before `open` is called), then writes the objects of the requested part into the writer
/// `open` gives, hands it to `deliver`, and only then records the export.
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
    let period = Period { from, to, from_at: state.start_of(from), to_at: state.start_of(to) };
    let builder = Builder::new(state);
    let org_owned = org.to_string();
    let mut written = 0usize;
    // Both passes inside one snapshot: what was checked is exactly what is written.
    let result: Result<(W, Plan, Vec<Entry>, Vec<u32>, Vec<Entry>), ExportError> = crate::store::sstu::read(&state.pool, |r| {
        Ok((|| {
            let Checked { entries, unchanged, skipped, violations } = check(r, &org_owned, &req.month, &period, req.since_last, &builder)?;
            if !violations.is_empty() {
                return Err(ExportError::Invalid(violations));
            }
            let lens: Vec<usize> = entries.iter().map(|e| e.len).collect();
            let (part_of, parts) = if req.zip { parts::partition(&lens, state.settings.sstu.part_limit()) } else { (vec![1; lens.len()], 1) };
            if req.part == 0 || req.part > parts {
                return Err(bad("part", format!("в выгрузке частей: {parts}; укажите part от 1 до {parts}")));
            }
            let mine: Vec<&Entry> = entries.iter().zip(&part_of).filter(|(_, p)| **p == req.part).map(|(e, _)| e).collect();
            let plan = Plan { parts, part: req.part, items: mine.len(), skipped };
            let w = open(&plan)?;
            let mut out = Out::start(w, req.zip).map_err(|e| ExportError::Interrupted(e.to_string()))?;
            let ids: Vec<String> = mine.iter().map(|e| e.id.clone()).collect();
            for chunk in ids.chunks(CHUNK) {
                written += write_chunk(r, &org_owned, chunk, &builder, &mut out)?;
            }
            let w = out.finish().map_err(|e| ExportError::Interrupted(e.to_string()))?;
            Ok((w, plan, entries, part_of, unchanged))
        })())
    })?;
    let (w, plan, entries, part_of, unchanged) = result?;
    let attempts = deliver(&w)?;
    let now = state.now_naive();
    let last = plan.part == plan.parts;
    // The last part completes the run: every object of it that the earlier parts already sent
    // unchanged (pending rows with the same hash) is now complete; earlier parts stay pending.
    // Cards with a new version but the same object take the new version, so the next delta
    // does not build them again; what `sstu_sent` already holds as it is needs no write.
    let held = |e: &Entry| last && e.prev.as_ref().is_some_and(|p| p.complete && p.version == e.version && p.hash == e.hash);
    let row = |e: &Entry| SentRow { organization_id: org.into(), period: req.month.clone(), appeal_id: e.id.clone(), version: e.version, hash: e.hash.clone(), complete: last, exported_at: now };
    let sent: Vec<SentRow> = entries
        .iter()
        .zip(&part_of)
        .filter(|(e, p)| **p == plan.part || (last && e.prev.as_ref().is_some_and(|s| !s.complete && s.hash == e.hash)))
        .map(|(e, _)| e)
        .chain(unchanged.iter().filter(|_| last))
        .filter(|e| !held(e))
        .map(row)
        .collect();
    let payload = serde_json::json!({"format": if req.zip { "zip" } else { "json" }, "since_last": req.since_last, "part": plan.part, "parts": plan.parts, "skipped": plan.skipped});
    let seq = crate::store::exports::count_exports(&state.pool, org, TARGET, &req.month)?;
    let row = ExportLogRow {
        id: crate::store::exports::log_id(&req.month, seq),
        organization_id: org.into(),
        target: if last { TARGET } else { TARGET_PART }.into(),
        period: req.month.clone(),
        created_at: now,
        created_by: actor.map(Into::into),
        items: plan.items as i32,
        payload: payload.to_string(),
    };
    crate::store::sstu::record(&state.pool, &row, &sent)?;
    Ok(Exported { body: w, items: written, attempts, plan })
}

/// What the first pass found.
struct Checked {
    /// The objects to send (hash and length only).
    entries: Vec<Entry>,
    /// Delta: cards whose version moved but whose object is what the connector has.
    unchanged: Vec<Entry>,
    /// Appeals skipped by the settings.
    skipped: Vec<Skipped>,
    /// Every rule broken.
    violations: Vec<Violation>,
}

/// The first pass: the month's selection, checked chunk by chunk.
fn check(r: &mut dyn Reader, org: &str, month: &str, period: &Period, since_last: bool, b: &Builder) -> Result<Checked, ExportError> {
    let mut skipped = Vec::new();
    let keys: Vec<MonthKey> = r
        .month_keys(org, period)?
        .into_iter()
        .filter(|k| k.legal_regime == "fz59")
        .filter(|k| match k.source_number.as_deref().filter(|n| b.skip.iter().any(|p| n.starts_with(p.as_str()))) {
            Some(n) => {
                skipped.push(Skipped { reg_number: k.reg_number.clone(), number: n.into(), reason: "из Администрации Президента со своим номером (А26-…): она учитывает такие обращения сама ([sstu] skip_source_prefixes)".into() });
                false
            }
            None => true,
        })
        .collect();
    let mut entries = Vec::new();
    let mut unchanged = Vec::new();
    let mut violations = Vec::new();
    let mut prev: HashMap<String, SentRow> = r.sent_month(org, month)?.into_iter().map(|s| (s.appeal_id.clone(), s)).collect();
    for chunk in keys.chunks(CHUNK) {
        // The delta: cards never sent completely, or whose version moved since.
        let wanted: Vec<String> = chunk.iter().filter(|k| !since_last || prev.get(&k.id).is_none_or(|s| !s.complete || s.version != k.version)).map(|k| k.id.clone()).collect();
        if wanted.is_empty() {
            continue;
        }
        let data = ChunkData::load(r, org, &wanted)?;
        for card in &data.cards {
            let meta = data.file_of(card);
            // The file's hash stands for its bytes: this pass never reads them.
            let placeholder = meta.map(|m| format!("sha256:{}", m.sha256));
            let attachment = meta.zip(placeholder.as_ref()).map(|(m, p)| Attachment { name: m.file_name.clone(), content: p.clone(), size: m.size.max(0) as usize });
            let o = b.object(card, &data, attachment);
            violations.extend(rules::violations(&o, &card.appeal.reg_number, b.limit));
            let json = serde_json::to_vec(&o).map_err(|e| ServiceError::Migration(e.to_string()))?;
            let hash = crate::store::exports::sha256_hex(&json);
            let len = json.len() + meta.map_or(0, |m| base64_len(m.size.max(0) as usize)) - placeholder.map_or(0, |p| p.len());
            let prev = prev.remove(&card.appeal.id);
            let same = since_last && prev.as_ref().is_some_and(|s| s.complete && s.hash == hash);
            let e = Entry { id: card.appeal.id.clone(), version: card.appeal.version, hash, len, prev };
            if same { unchanged.push(e) } else { entries.push(e) }
        }
    }
    Ok(Checked { entries, unchanged, skipped, violations })
}


/// The second pass over one chunk: builds the objects again, with the files' bytes (held a
/// group of at most [`FILE_BYTES`] at a time), and writes them; returns how many.
fn write_chunk<W: Write>(r: &mut dyn Reader, org: &str, ids: &[String], b: &Builder, out: &mut Out<W>) -> Result<usize, ExportError> {
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
    fn new(state: &AppState) -> Self {
        let s = &state.settings.sstu;
        Builder {
            department: s.department_id.clone(),
            limit: s.attachment_limit(),
            skip: s.skip_source_prefixes.clone(),
            forms: s.electronic_forms.clone(),
            channels: s.electronic_channels.clone(),
            tz: state.settings.time_zone(),
        }
    }

    fn object(&self, card: &CardData, data: &ChunkData, attachment: Option<Attachment>) -> SstuAppeal {
        let tz = self.tz;
        let local = move |t: NaiveDateTime| t.and_utc().with_timezone(&tz).date_naive();
        let transfer_department = card.appeal.forwarded_to.as_ref().and_then(|n| data.guids.get(n)).and_then(|g| g.as_deref());
        object(card, Context { department_id: self.department.as_deref(), local_date: &local, transfer_department, attachment, electronic: (&self.forms, &self.channels) })
    }
}
