//! The classifier lookup by words: time per lookup over the clerks' phrasings
//! (`tests/data/classifier-phrasings.tsv`) on the shipped classifier (2,108 entries) and
//! synonyms, with a usage map of 1,000 codes as a busy organization has.
//!
//!     cargo bench --bench classifier

use appeals::domain::classifier::parse_tsv;
use appeals::domain::classifier_lookup::{Lookup, Synonyms};
use std::collections::HashMap;
use std::time::Instant;

fn main() {
    let t = Instant::now();
    let entries = parse_tsv(include_str!("../config/classifier/classifier.tsv")).unwrap();
    let synonyms = Synonyms::parse(include_str!("../config/classifier-synonyms.toml")).unwrap();
    let n_entries = entries.len();
    let usage: HashMap<String, i64> = entries.iter().filter(|e| e.level >= 4).take(1000).enumerate().map(|(i, e)| (e.code.clone(), (i % 97) as i64)).collect();
    let lookup = Lookup::new(entries, synonyms);
    println!("index of {n_entries} entries built in {:.1} ms", t.elapsed().as_secs_f64() * 1e3);
    let phrases: Vec<&str> = include_str!("../tests/data/classifier-phrasings.tsv").lines().filter(|l| !l.starts_with('#') && !l.trim().is_empty()).map(|l| l.split('\t').next().unwrap()).collect();
    let mut times = Vec::new();
    let mut slowest: Vec<(f64, &str)> = Vec::new();
    for _round in 0..20 {
        for p in &phrases {
            let t = Instant::now();
            let hits = lookup.find(p, &usage, 5);
            let ms = t.elapsed().as_secs_f64() * 1e3;
            times.push(ms);
            slowest.push((ms, p));
            std::hint::black_box(hits);
        }
    }
    slowest.sort_by(|a, b| b.0.total_cmp(&a.0));
    println!("slowest: {:?}", &slowest[..5]);
    times.sort_by(f64::total_cmp);
    let at = |q: f64| times[((times.len() - 1) as f64 * q) as usize];
    println!("{} lookups ({} phrasings × 20): median {:.3} ms, p99 {:.3} ms, max {:.3} ms", times.len(), phrases.len(), at(0.5), at(0.99), at(1.0));
}
