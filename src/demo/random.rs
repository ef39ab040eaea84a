//! The random profile: `scale` appeals over the year before `today` with realistic channel
//! shares, one or two questions, and 30% of applicants writing again.

use super::gen::{at_ten, citizen, draft, question_codes, Lcg};
use crate::domain::appeal::AppealDraft;
use chrono::{Duration, NaiveDate};

/// A random registry of `scale` appeals over the year before `today`, 30% from returning applicants.
pub fn random(scale: usize, today: NaiveDate) -> Vec<AppealDraft> {
    let mut rng = Lcg(scale as u64 ^ 0x5eed);
    const SHARES: [(&str, usize); 7] = [("by_hand", 37), ("internet_reception", 22), ("forwarded", 18), ("feedback_platform", 7), ("email", 7), ("post", 5), ("gis_zhkh", 4)];
    let sections: Vec<Vec<String>> = ["0001", "0002", "0003", "0004", "0005"].iter().map(|s| question_codes(s)).collect();
    let weights = [4usize, 12, 65, 3, 16];
    let mut out = Vec::with_capacity(scale);
    let mut people = 0usize;
    for i in 0..scale {
        let mut pick = rng.below(100);
        let channel = SHARES.iter().find(|(_, w)| if pick < *w { true } else { pick -= w; false }).map(|(c, _)| *c).unwrap_or("by_hand");
        let mut q = Vec::new();
        for _ in 0..(1 + usize::from(rng.below(100) < 3)) {
            let mut s = rng.below(100);
            let sec = weights.iter().position(|w| if s < *w { true } else { s -= w; false }).unwrap_or(2);
            let code = sections[sec][rng.below(sections[sec].len().min(40))].clone();
            if !q.contains(&code) {
                q.push(code);
            }
        }
        let who = if people > 0 && rng.below(100) < 30 { rng.below(people.min(50)) } else { people += 1; people };
        let on = today - Duration::days(1 + (i * 364 / scale.max(1)) as i64);
        let mut d = draft(channel, on, q, citizen(who), None);
        d.received_on = on;
        d.registered_at = Some(at_ten(on));
        if let Some(s) = d.source.as_mut() {
            s.date = Some(on);
        }
        out.push(d);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn random_is_deterministic() {
        let today: NaiveDate = "2025-06-01".parse().unwrap();
        let a = random(500, today);
        let b = random(500, today);
        assert_eq!(a.len(), 500);
        assert_eq!(a.iter().map(|d| d.questions[0].code.clone()).collect::<Vec<_>>(), b.iter().map(|d| d.questions[0].code.clone()).collect::<Vec<_>>());
    }
}
