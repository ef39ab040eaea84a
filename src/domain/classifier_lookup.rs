//! Finding a classifier question by the words people write on a letter («ямы во дворе»,
//! «не горят фонари»), not by the classifier's own wording. One lookup serves the API, the
//! registration page and its suggestions.
//!
//! A query is folded (case, `ё`, punctuation), stripped of filler words and stemmed with the
//! Snowball Russian stemmer; each remaining word becomes a *group* of alternatives, widened by
//! the deployment's synonyms (`config/classifier-synonyms.toml`: «фонари» → «освещение»). An
//! entry matches a group when every stem of one alternative occurs in the entry's own name or
//! in its parents' names. Ranking: questions and sub-questions first (the levels an appeal is
//! coded at), then more groups matched, then more of them in the entry's own name, then how
//! often the organization used the code in the last year, then the shorter name.

use super::classifier::Entry;
use super::words::stems;
use serde::Deserialize;
use std::collections::{HashMap, HashSet};

/// One synonym rule: the stems of what people write and the alternatives it may mean.
#[derive(Clone, Debug)]
struct Rule {
    key: Vec<String>,
    means: Vec<Vec<String>>,
}

/// The synonyms a deployment keeps: what people write → the classifier's words.
#[derive(Clone, Debug, Default)]
pub struct Synonyms {
    rules: Vec<Rule>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SynonymsFile {
    synonyms: HashMap<String, OneOrMany>,
}

impl Synonyms {
    /// Parses `[synonyms]` of the TOML file: `"фонари" = "освещение"` or `"двор" = ["придомовая территория", "благоустройство"]`.
    pub fn parse(text: &str) -> Result<Synonyms, String> {
        let file: SynonymsFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let mut rules = Vec::new();
        for (key, means) in file.synonyms {
            let key_stems = stems(&key);
            if key_stems.is_empty() {
                return Err(format!("synonym «{key}»: no meaningful word"));
            }
            let list = match means {
                OneOrMany::One(s) => vec![s],
                OneOrMany::Many(v) => v,
            };
            let means: Vec<Vec<String>> = list.iter().map(|m| stems(m)).filter(|s| !s.is_empty()).collect();
            if means.is_empty() {
                return Err(format!("synonym «{key}»: nothing it means"));
            }
            rules.push(Rule { key: key_stems, means });
        }
        // Longer phrases first, so «детский сад» wins over a rule for «сад» alone.
        rules.sort_by(|a, b| b.key.len().cmp(&a.key.len()).then_with(|| a.key.cmp(&b.key)));
        Ok(Synonyms { rules })
    }

    /// Number of rules.
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// True without rules.
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }
}

/// One word (or phrase) of the query with what it may mean: matched when all stems of any
/// alternative are found in an entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Group {
    /// Alternatives, each a list of stems; the first is what was written.
    pub alternatives: Vec<Vec<String>>,
}

/// Splits a query into groups, applying the synonyms: a rule's phrase found among the query's
/// stems becomes one group (the phrase itself or what it means).
pub fn groups(query: &str, synonyms: &Synonyms) -> Vec<Group> {
    let mut left: Vec<Option<String>> = stems(query).into_iter().map(Some).collect();
    let mut out: Vec<(usize, Group)> = Vec::new();
    for rule in &synonyms.rules {
        // A phrase matches where its stems follow one another in the query.
        let n = rule.key.len();
        if n == 0 || n > left.len() {
            continue;
        }
        let mut i = 0;
        while i + n <= left.len() {
            if (0..n).all(|k| left[i + k].as_deref() == Some(rule.key[k].as_str())) {
                let mut alternatives = vec![rule.key.clone()];
                alternatives.extend(rule.means.iter().cloned());
                out.push((i, Group { alternatives }));
                for slot in left.iter_mut().skip(i).take(n) {
                    *slot = None;
                }
                i += n;
            } else {
                i += 1;
            }
        }
    }
    for (i, w) in left.into_iter().enumerate() {
        if let Some(w) = w {
            out.push((i, Group { alternatives: vec![vec![w]] }));
        }
    }
    out.sort_by_key(|(i, _)| *i);
    let mut seen = HashSet::new();
    out.into_iter().map(|(_, g)| g).filter(|g| seen.insert(g.alternatives.clone())).collect()
}

/// True when a query stem finds a stem of the entry: equal, the query's stem the beginning of
/// the entry's («двор» finds «дворов», «освещ» finds «освещен») when it has four letters or
/// more, or the entry's the beginning of the query's when it has five or more (so «счет» of
/// «расчетный счет» does not answer «счетчик»).
/// Both lengths are counted in letters beforehand (once per vocabulary stem).
fn stem_matches_counted(query: &str, q: usize, entry: &str, e: usize) -> bool {
    query == entry || (q >= 4 && q < e && entry.starts_with(query)) || (e >= 5 && e < q && query.starts_with(entry))
}

/// An entry ready to be matched.
#[derive(Clone, Debug)]
struct Indexed {
    entry: Entry,
    path: String,
    /// Stems of its own name, as ids into [`Lookup::vocabulary`].
    own: Vec<u32>,
    /// Stems of its parents' names, likewise.
    inherited: Vec<u32>,
}

/// The set of vocabulary stems one query stem finds, as a bit per stem id.
struct StemSet(Vec<u64>);

impl StemSet {
    fn has(&self, id: u32) -> bool {
        self.0[(id / 64) as usize] & (1 << (id % 64)) != 0
    }
}

/// An entry's place in the ranking.
struct Scored<'a> {
    tier: u8,
    anywhere: usize,
    coarse: i64,
    used: i64,
    weight: f64,
    name_len: usize,
    e: &'a Indexed,
}

/// One answer of the lookup.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit<'a> {
    /// The entry found.
    pub entry: &'a Entry,
    /// Its full path: section › topic › theme › question.
    pub path: &'a str,
    /// Query groups it matched (anywhere on its path).
    pub matched: usize,
}

/// The classifier indexed for lookups: built once from the entries and synonyms, then read by
/// every request (about 2,000 entries; a lookup walks them all in well under a millisecond).
#[derive(Clone, Debug, Default)]
pub struct Lookup {
    entries: Vec<Indexed>,
    /// Every distinct stem of the classifier's names: a query stem is compared with each once,
    /// not once per entry.
    vocabulary: Vec<(String, usize)>,
    synonyms: Synonyms,
}

impl Lookup {
    /// Indexes the entries (any order; parents are found by code).
    pub fn new(entries: Vec<Entry>, synonyms: Synonyms) -> Lookup {
        let by_code: HashMap<&str, &Entry> = entries.iter().map(|e| (e.code.as_str(), e)).collect();
        let mut ids: HashMap<String, u32> = HashMap::new();
        let mut vocabulary: Vec<(String, usize)> = Vec::new();
        let mut intern = |text: &str| -> Vec<u32> {
            stems(text)
                .into_iter()
                .map(|s| {
                    *ids.entry(s.clone()).or_insert_with(|| {
                        let letters = s.chars().count();
                        vocabulary.push((s, letters));
                        (vocabulary.len() - 1) as u32
                    })
                })
                .collect()
        };
        let mut indexed: Vec<Indexed> = entries
            .iter()
            .map(|e| {
                let mut chain = Vec::new();
                let mut parent = e.parent.as_deref();
                while let Some(p) = parent.and_then(|p| by_code.get(p)) {
                    chain.push(*p);
                    parent = p.parent.as_deref();
                    if chain.len() > 5 {
                        break;
                    }
                }
                chain.reverse();
                let mut path: Vec<&str> = chain.iter().map(|p| p.name.as_str()).collect();
                path.push(&e.name);
                let inherited: Vec<u32> = chain.iter().flat_map(|p| intern(&p.name)).collect();
                Indexed { entry: e.clone(), path: path.join(" › "), own: intern(&e.name), inherited }
            })
            .collect();
        indexed.sort_by(|a, b| a.entry.code.cmp(&b.entry.code));
        Lookup { entries: indexed, vocabulary, synonyms }
    }

    /// The vocabulary stems a query stem finds.
    fn stem_set(&self, query: &str) -> StemSet {
        let mut bits = vec![0u64; self.vocabulary.len() / 64 + 1];
        let letters = query.chars().count();
        for (i, (v, n)) in self.vocabulary.iter().enumerate() {
            if stem_matches_counted(query, letters, v, *n) {
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        StemSet(bits)
    }

    /// Entries indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True before the classifier is loaded.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The full path of a code, if known.
    pub fn path_of(&self, code: &str) -> Option<&str> {
        self.entries.binary_search_by(|e| e.entry.code.as_str().cmp(code)).ok().map(|i| self.entries[i].path.as_str())
    }

    /// Every entry, in code order (the legacy import matches a section's name against them).
    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter().map(|e| &e.entry)
    }

    /// The synonyms the lookup widens queries with.
    pub fn synonyms(&self) -> &Synonyms {
        &self.synonyms
    }

    /// The direct children of a code, in code order.
    pub fn children(&self, parent: &str, limit: usize) -> Vec<Hit<'_>> {
        self.entries.iter().filter(|e| e.entry.parent.as_deref() == Some(parent)).take(limit).map(|e| Hit { entry: &e.entry, path: &e.path, matched: 0 }).collect()
    }

    /// The best entries for a query, best first. A code (or its beginning, `0005.0005`) finds
    /// the codes that start with it; words are matched as the module explains. `usage` is how
    /// often the organization used each code lately (absent codes count as never).
    pub fn find(&self, query: &str, usage: &HashMap<String, i64>, limit: usize) -> Vec<Hit<'_>> {
        let q = query.trim();
        let code_like = q.trim_end_matches('.');
        if !code_like.is_empty() && code_like.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return self
                .entries
                .iter()
                .filter(|e| e.entry.code.starts_with(code_like))
                .take(limit)
                .map(|e| Hit { entry: &e.entry, path: &e.path, matched: 1 })
                .collect();
        }
        let groups = groups(q, &self.synonyms);
        if groups.is_empty() {
            return Vec::new();
        }
        // Each group's alternatives as sets of vocabulary stems, computed once per query.
        let sets: Vec<Vec<Vec<StemSet>>> = groups.iter().map(|g| g.alternatives.iter().map(|a| a.iter().map(|s| self.stem_set(s)).collect()).collect()).collect();
        let in_own = |e: &Indexed, g: usize| sets[g].iter().any(|alt| alt.iter().all(|set| e.own.iter().any(|id| set.has(*id))));
        let on_path = |e: &Indexed, g: usize| sets[g].iter().any(|alt| alt.iter().all(|set| e.own.iter().chain(&e.inherited).any(|id| set.has(*id))));
        // Per entry and group: 2 = in its own name, 1 = in a parent's only, 0 = not at all.
        let marks: Vec<Vec<u8>> = self.entries.iter().map(|e| (0..groups.len()).map(|g| if in_own(e, g) { 2 } else if on_path(e, g) { 1 } else { 0 }).collect()).collect();
        // A word found in few names says more than one found in hundreds («управляющая
        // компания» against «работает»): each group weighs ln(N / entries naming it).
        let n = self.entries.len() as f64;
        let weights: Vec<f64> = (0..groups.len()).map(|g| ((n + 1.0) / (marks.iter().filter(|m| m[g] == 2).count() as f64 + 1.0)).ln()).collect();
        let mut scored: Vec<Scored> = Vec::new();
        for (e, m) in self.entries.iter().zip(&marks) {
            let (mut own, mut anywhere, mut weight) = (0usize, 0usize, 0.0f64);
            for (mark, w) in m.iter().zip(&weights) {
                match mark {
                    2 => {
                        own += 1;
                        anywhere += 1;
                        weight += w;
                    }
                    1 => {
                        anywhere += 1;
                        weight += w / 2.0;
                    }
                    _ => {}
                }
            }
            // An entry is an answer only when its own name says something the query says:
            // otherwise every child of a matching theme would be one.
            if own == 0 {
                continue;
            }
            let tier = match e.entry.level {
                4 | 5 => 0,
                3 => 1,
                2 => 2,
                _ => 3,
            };
            let used = usage.get(&e.entry.code).copied().unwrap_or(0);
            scored.push(Scored { tier, anywhere, coarse: weight.floor() as i64, used, weight, name_len: e.entry.name.chars().count(), e });
        }
        // Questions first, more words matched, clearly rarer words, what the organization
        // uses, then the finer weight and the shorter name.
        scored.sort_by(|a, b| {
            a.tier.cmp(&b.tier).then(b.anywhere.cmp(&a.anywhere)).then(b.coarse.cmp(&a.coarse)).then(b.used.cmp(&a.used))
                .then(b.weight.total_cmp(&a.weight)).then(a.name_len.cmp(&b.name_len)).then_with(|| a.e.entry.code.cmp(&b.e.entry.code))
        });
        scored.into_iter().take(limit).map(|s| Hit { entry: &s.e.entry, path: &s.e.path, matched: s.anywhere }).collect()
    }
}

#[cfg(test)]
mod tests;
