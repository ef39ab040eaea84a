//! Finding a classifier entry by words or code: the one lookup behind `GET
//! /api/v1/classifier`, the registration page's «Вопрос» field and its suggestions. The index
//! is built at start and shared through the application state, re-indexed when the
//! classifier is revised.

use crate::domain::classifier_lookup::{Lookup, Synonyms};
use crate::store::{DbPool, ServiceError};
use chrono::{Duration, NaiveDate};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;

/// The synonyms shipped with the product, used when the deployment has no file of its own.
pub const SHIPPED_SYNONYMS: &str = include_str!("../config/classifier-synonyms.toml");

/// How long an organization's code usage is reused before it is read again: the ranking
/// needs last year's habits, not this minute's.
const USAGE_TTL: std::time::Duration = std::time::Duration::from_secs(3600);

/// One entry found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Full code.
    pub code: String,
    /// Russian name.
    pub name: String,
    /// 1 = section … 5 = sub-question.
    pub level: i32,
    /// Parent code.
    pub parent: Option<String>,
    /// Section › topic › theme › question.
    pub path: String,
}

/// The lookup built from the stored classifier, and each organization's recent usage of codes.
pub struct ClassifierIndex {
    lookup: RwLock<Arc<Lookup>>,
    synonyms: Synonyms,
    usage: Mutex<HashMap<String, (Instant, Arc<HashMap<String, i64>>)>>,
}

impl ClassifierIndex {
    /// Builds the index from the stored entries and the synonyms file of `config_dir`
    /// (`classifier-synonyms.toml`, else the shipped list).
    pub fn load(pool: &DbPool, config_dir: &Path) -> Result<ClassifierIndex, String> {
        let synonyms = load_synonyms(config_dir)?;
        let entries = crate::store::classifier::all_entries(pool).map_err(|e| e.to_string())?;
        let lookup = Lookup::new(entries, synonyms.clone());
        Ok(ClassifierIndex { lookup: RwLock::new(Arc::new(lookup)), synonyms, usage: Mutex::new(HashMap::new()) })
    }

    /// Rebuilds the lookup from the stored entries (after `appeals classifier import`).
    pub fn reload(&self, pool: &DbPool) -> Result<usize, ServiceError> {
        let entries = crate::store::classifier::all_entries(pool)?;
        let lookup = Lookup::new(entries, self.synonyms.clone());
        let n = lookup.len();
        *self.lookup.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(lookup);
        Ok(n)
    }

    /// Entries indexed.
    pub fn len(&self) -> usize {
        self.current().len()
    }

    /// True before the classifier is loaded.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The lookup as it is now, for many lookups in a row without the lock (the legacy import).
    pub fn snapshot(&self) -> Arc<Lookup> {
        self.current()
    }

    fn current(&self) -> Arc<Lookup> {
        self.lookup.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The full path of a code (section › … › question), if known.
    pub fn path_of(&self, code: &str) -> Option<String> {
        self.current().path_of(code).map(str::to_string)
    }

    /// How often `org` used each code in the year up to `today` (cached for an hour).
    fn usage(&self, pool: &DbPool, org: &str, today: NaiveDate) -> Result<Arc<HashMap<String, i64>>, ServiceError> {
        if let Some((at, map)) = self.usage.lock().unwrap_or_else(|e| e.into_inner()).get(org) {
            if at.elapsed() < USAGE_TTL {
                return Ok(map.clone());
            }
        }
        let rows = crate::store::stats_deltas::question_usage(pool, org, today - Duration::days(365), today)?;
        let map = Arc::new(rows.into_iter().collect::<HashMap<_, _>>());
        self.usage.lock().unwrap_or_else(|e| e.into_inner()).insert(org.to_string(), (Instant::now(), map.clone()));
        Ok(map)
    }

    /// Entries for `q` (words or a code), best first; with `parent`, only its direct children
    /// (all of them, in code order, without `q`). Blocking: it may read the usage.
    pub fn find(&self, pool: &DbPool, org: &str, today: NaiveDate, q: Option<&str>, parent: Option<&str>, limit: usize) -> Result<Vec<Found>, ServiceError> {
        let lookup = self.current();
        let hits = match (q.map(str::trim).filter(|q| !q.is_empty()), parent) {
            (None, Some(p)) => lookup.children(p, limit),
            (None, None) => Vec::new(),
            (Some(q), parent) => {
                let usage = self.usage(pool, org, today)?;
                let mut hits = lookup.find(q, &usage, if parent.is_some() { usize::MAX } else { limit });
                if let Some(p) = parent {
                    hits.retain(|h| h.entry.parent.as_deref() == Some(p));
                    hits.truncate(limit);
                }
                hits
            }
        };
        Ok(hits.into_iter().map(|h| Found { code: h.entry.code.clone(), name: h.entry.name.clone(), level: h.entry.level, parent: h.entry.parent.clone(), path: h.path.to_string() }).collect())
    }
}

/// The deployment's synonyms file, or the shipped one when there is none.
fn load_synonyms(config_dir: &Path) -> Result<Synonyms, String> {
    let path = config_dir.join("classifier-synonyms.toml");
    match std::fs::read_to_string(&path) {
        Ok(text) => Synonyms::parse(&text).map_err(|e| format!("{}: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Synonyms::parse(SHIPPED_SYNONYMS),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}
