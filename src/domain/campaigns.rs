//! Mass campaigns: hundreds of near-identical letters from different people about one yard, one
//! bus route, one landfill. A letter's text becomes a MinHash signature over its meaningful word
//! stems and stem pairs; banded LSH turns the signature into a few bucket keys, so that letters
//! worth comparing are found through an index, never by reading the registry. Pure code: the
//! store keeps the keys and the signatures, the registration use case decides with [`best_match`].
//!
//! Why these shingles: a campaign's letters share a template but move its sentences, add a
//! greeting, change a word or make a typo, and carry each person's own address. Single stems
//! survive reordering; pairs of neighbouring stems (order-free) tell a template apart from an
//! unrelated letter on the same subject, which shares the words but not their company. House
//! numbers and flat numbers are dropped: they differ between the signatories by design.

use super::words::stems;

/// MinHash values per signature: `BANDS × ROWS`.
pub const HASHES: usize = BANDS * ROWS;
/// LSH bands: a pair of letters becomes a candidate when all rows of one band agree.
pub const BANDS: usize = 16;
/// Rows per band. With 16 × 4 a pair at Jaccard 0.5 is a candidate with probability 0.65, at
/// 0.6 with 0.89, at 0.7 with 0.99; at 0.3 with 0.12 (and then refused by the estimate).
pub const ROWS: usize = 4;

/// A letter's MinHash signature (stable across processes and versions: stored in the database).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature(pub [u32; HASHES]);

/// FNV-1a, 64 bits: a fixed hash of a shingle (std's hasher may change between Rust versions).
fn fnv(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// SplitMix64: the fixed stream the permutations' coefficients are drawn from.
fn splitmix(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The `HASHES` hash functions, each `x ↦ (a·x + b)` mixed down to 32 bits, `a` odd.
fn coefficients() -> &'static [(u64, u64); HASHES] {
    static COEFFS: std::sync::OnceLock<[(u64, u64); HASHES]> = std::sync::OnceLock::new();
    COEFFS.get_or_init(|| {
        let mut state = 0x5eed_c0de_2026_1207;
        let mut out = [(0, 0); HASHES];
        for c in out.iter_mut() {
            *c = (splitmix(&mut state) | 1, splitmix(&mut state));
        }
        out
    })
}

/// The shingles of a text: its meaningful stems without numbers, and each pair of neighbours
/// (order-free), each hashed once.
pub fn shingles(text: &str) -> Vec<u64> {
    let words: Vec<String> = stems(text).into_iter().filter(|s| s.chars().count() > 1 && !s.chars().any(|c| c.is_ascii_digit())).collect();
    let mut out: Vec<u64> = words.iter().map(|w| fnv(w.as_bytes())).collect();
    for pair in words.windows(2) {
        let (a, b) = if pair[0] <= pair[1] { (&pair[0], &pair[1]) } else { (&pair[1], &pair[0]) };
        out.push(fnv(format!("{a} {b}").as_bytes()));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// A text's signature, or `None` when it has too few words to tell a campaign by (a one-line
/// request matches every other one-line request on its subject).
pub fn signature(text: &str) -> Option<Signature> {
    let shingles = shingles(text);
    if shingles.len() < MIN_SHINGLES {
        return None;
    }
    let mut sig = [u32::MAX; HASHES];
    for (slot, (a, b)) in sig.iter_mut().zip(coefficients().iter()) {
        for s in &shingles {
            let h = (a.wrapping_mul(*s).wrapping_add(*b) >> 32) as u32;
            if h < *slot {
                *slot = h;
            }
        }
    }
    Some(Signature(sig))
}

/// The estimated similarity a letter needs to join another's campaign, unless
/// `[campaigns] threshold` says otherwise.
pub const DEFAULT_THRESHOLD: f64 = 0.5;

/// Fewer shingles than this (about five meaningful words) make no signature.
pub const MIN_SHINGLES: usize = 9;

impl Signature {
    /// The LSH bucket key of each band (band index mixed in, so equal rows in different bands
    /// never share a bucket).
    pub fn buckets(&self) -> [i64; BANDS] {
        let mut out = [0i64; BANDS];
        for (band, key) in out.iter_mut().enumerate() {
            let mut bytes = Vec::with_capacity(4 * ROWS + 1);
            bytes.push(band as u8);
            for v in &self.0[band * ROWS..(band + 1) * ROWS] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            *key = fnv(&bytes) as i64;
        }
        out
    }

    /// The estimated Jaccard similarity of the two letters' shingles: the share of equal values.
    pub fn similarity(&self, other: &Signature) -> f64 {
        let equal = self.0.iter().zip(other.0.iter()).filter(|(a, b)| a == b).count();
        equal as f64 / HASHES as f64
    }

    /// Hex of the values, 8 characters each, as the database keeps it.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|v| format!("{v:08x}")).collect()
    }

    /// The signature back from [`Signature::to_hex`]; `None` for anything else.
    pub fn from_hex(text: &str) -> Option<Signature> {
        if text.len() != HASHES * 8 || !text.is_ascii() {
            return None;
        }
        let mut sig = [0u32; HASHES];
        for (i, slot) in sig.iter_mut().enumerate() {
            *slot = u32::from_str_radix(&text[i * 8..i * 8 + 8], 16).ok()?;
        }
        Some(Signature(sig))
    }
}

/// How campaigns are found (`[campaigns]` in the configuration).
#[derive(Clone, Copy, Debug, PartialEq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CampaignSettings {
    /// Group letters at all.
    pub enabled: bool,
    /// Earlier letters of the last this many days are compared.
    pub window_days: u32,
    /// The estimated similarity a letter needs to join another's campaign (0…1).
    pub threshold: f64,
}

impl Default for CampaignSettings {
    fn default() -> Self {
        CampaignSettings { enabled: true, window_days: 60, threshold: DEFAULT_THRESHOLD }
    }
}

/// The text a letter's signature is made of: its summary and its questions' texts.
pub fn letter_text<'a>(summary: &'a str, questions: impl IntoIterator<Item = &'a str>) -> String {
    let mut text = summary.to_string();
    for q in questions {
        text.push(' ');
        text.push_str(q);
    }
    text
}

/// An earlier letter found through a shared bucket: its appeal, its campaign if it has one,
/// and its signature.
#[derive(Clone, Debug)]
pub struct Candidate<Id> {
    /// The earlier appeal.
    pub appeal: Id,
    /// Its campaign, if it already belongs to one.
    pub campaign: Option<Id>,
    /// Its signature.
    pub signature: Signature,
}

/// What a new letter does with the campaigns found for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grouping<Id> {
    /// It stands alone.
    Alone,
    /// It starts a campaign with these earlier letters, none of which had one.
    Start {
        /// The earlier letters it is like.
        with: Vec<Id>,
    },
    /// It joins `campaign`; the other campaigns it is like and the earlier letters without one it
    /// is like join it too (two halves of one campaign that started apart come together when a
    /// letter like both arrives).
    Join {
        /// The campaign it joins: the one with the most letters like it.
        campaign: Id,
        /// Campaigns merged into it.
        merge: Vec<Id>,
        /// Earlier letters without a campaign added to it.
        add: Vec<Id>,
    },
}

/// The decision for a new letter with signature `sig` among `candidates` (earlier letters of the
/// same section within the window, found through shared buckets): every candidate whose
/// estimated similarity reaches `threshold` counts.
pub fn decide<Id: Clone + Ord>(sig: &Signature, candidates: &[Candidate<Id>], threshold: f64) -> Grouping<Id> {
    let like: Vec<&Candidate<Id>> = candidates.iter().filter(|c| sig.similarity(&c.signature) >= threshold).collect();
    let mut votes: std::collections::BTreeMap<&Id, usize> = std::collections::BTreeMap::new();
    for c in &like {
        if let Some(campaign) = &c.campaign {
            *votes.entry(campaign).or_default() += 1;
        }
    }
    let mut add: Vec<Id> = like.iter().filter(|c| c.campaign.is_none()).map(|c| c.appeal.clone()).collect();
    add.sort();
    add.dedup();
    // The campaign with the most letters like this one (the smallest id on a tie, so every
    // process decides alike).
    let Some((&target, _)) = votes.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0))) else {
        return if add.is_empty() { Grouping::Alone } else { Grouping::Start { with: add } };
    };
    let merge = votes.keys().filter(|c| **c != target).map(|c| (*c).clone()).collect();
    Grouping::Join { campaign: target.clone(), merge, add }
}

#[cfg(test)]
#[path = "campaigns/tests.rs"]
mod tests;
