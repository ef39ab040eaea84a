//! The Ukhta profile: the published figures of the Ukhta administration's 2024 report
//! (docs/domain.md §2, §3, §7) and 2023's published totals, the rest filled in consistently.
//!
//! Top questions: the report names the first three (yards and common property 286,
//! improvement 264, roads 243). Places 4–10 are not published; they are chosen here from the
//! classifier as a northern town's usual questions — snow and rubbish removal, passenger
//! transport, driveways and pavements, capital repair, street lighting, heating, playgrounds —
//! with counts that fall off, and every other question stays below the tenth.

use super::gen::{citizen, day_of, draft, per_appeal, tail_codes, Lcg};
use crate::domain::appeal::{AppealDraft, OfficialRole};

/// One year of a profile: appeals by channel, questions by section, the top questions in
/// the report's order, and personal reception.
pub(crate) struct YearSpec {
    pub(crate) year: i32,
    channels: &'static [(&'static str, usize)],
    sections: &'static [(&'static str, usize)],
    pub(crate) top: &'static [(&'static str, usize)],
    reception_head: usize,
    reception_deputies: usize,
    reception_sections: &'static [(&'static str, usize)],
}

/// Snow and rubbish removal, passenger transport, driveways and pavements, capital repair,
/// street lighting, heating interruptions, playgrounds: places 4–10 of both years.
const FOURTH_TO_TENTH: [&str; 7] = [
    "0003.0009.0097.0694",
    "0003.0009.0099.0733",
    "0003.0009.0097.0699",
    "0005.0005.0056.1170",
    "0003.0009.0097.0690",
    "0005.0005.0056.1156",
    "0003.0009.0097.0698",
];

pub(crate) const UKHTA: [YearSpec; 2] = [
    YearSpec {
        year: 2023,
        channels: &[("forwarded", 387), ("internet_reception", 490), ("email", 230), ("post", 130), ("by_hand", 760), ("gis_zhkh", 70), ("feedback_platform", 110)],
        sections: &[("0001", 95), ("0002", 290), ("0003", 1272), ("0004", 70), ("0005", 544)],
        top: &[
            ("0005.0005.0056.1168", 240),
            ("0003.0009.0097.0689", 221),
            ("0003.0009.0099.0742", 205),
            (FOURTH_TO_TENTH[0], 131),
            (FOURTH_TO_TENTH[1], 97),
            (FOURTH_TO_TENTH[2], 76),
            (FOURTH_TO_TENTH[3], 58),
            (FOURTH_TO_TENTH[4], 45),
            (FOURTH_TO_TENTH[5], 39),
            (FOURTH_TO_TENTH[6], 31),
        ],
        reception_head: 40,
        reception_deputies: 20,
        reception_sections: &[("0005", 30), ("0003", 20), ("0002", 11)],
    },
    YearSpec {
        year: 2024,
        channels: &[("forwarded", 470), ("internet_reception", 582), ("email", 196), ("post", 114), ("by_hand", 978), ("gis_zhkh", 89), ("feedback_platform", 178)],
        sections: &[("0001", 106), ("0002", 322), ("0003", 1735), ("0004", 79), ("0005", 432)],
        top: &[
            ("0005.0005.0056.1168", 286),
            ("0003.0009.0097.0689", 264),
            ("0003.0009.0099.0742", 243),
            (FOURTH_TO_TENTH[0], 152),
            (FOURTH_TO_TENTH[1], 118),
            (FOURTH_TO_TENTH[2], 91),
            (FOURTH_TO_TENTH[3], 60),
            (FOURTH_TO_TENTH[4], 51),
            (FOURTH_TO_TENTH[5], 44),
            (FOURTH_TO_TENTH[6], 36),
        ],
        reception_head: 35,
        reception_deputies: 17,
        reception_sections: &[("0005", 28), ("0003", 17), ("0002", 8)],
    },
];

/// The top questions of `year` in the report's order, with their counts at `1 / divisor` of
/// the report's size (what a profile loaded with that divisor must show).
pub fn top_questions(year: i32, divisor: usize) -> Vec<(&'static str, usize)> {
    UKHTA.iter().filter(|y| y.year == year).flat_map(|y| y.top.iter().map(|(c, n)| (*c, n / divisor.max(1)))).collect()
}

/// `total` questions of a section: its top questions, the rest a long tail over the section's
/// other questions (municipal themes first) falling off linearly, each below `cap`.
fn section_questions(section: &str, total: usize, top: &[(&str, usize)], cap: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(total);
    for (code, n) in top.iter().filter(|(c, _)| c.starts_with(section)) {
        out.extend(std::iter::repeat_n(code.to_string(), *n));
    }
    let skip: Vec<&str> = top.iter().map(|(c, _)| *c).collect();
    let others = tail_codes(section, &skip);
    let rest = total.saturating_sub(out.len());
    if others.is_empty() || rest == 0 {
        return out;
    }
    let mut n = others.len().min(60);
    loop {
        let counts = falling(rest, n);
        if counts[0] < cap.max(2) || n == others.len() {
            for (code, k) in others.iter().zip(counts) {
                out.extend(std::iter::repeat_n(code.clone(), k));
            }
            return out;
        }
        n = (n + 20).min(others.len());
    }
}

/// `total` split over `n` places with weights falling linearly from 2n to n+1 (the first
/// place about 1.3 times the mean), largest remainders first.
fn falling(total: usize, n: usize) -> Vec<usize> {
    let weights: Vec<usize> = (0..n).map(|k| 2 * n - k).collect();
    let sum: usize = weights.iter().sum();
    let mut counts: Vec<usize> = weights.iter().map(|w| total * w / sum).collect();
    let mut left = total - counts.iter().sum::<usize>();
    for c in counts.iter_mut() {
        if left == 0 {
            break;
        }
        *c += 1;
        left -= 1;
    }
    counts
}

/// The Ukhta profile: both years, every appeal as an import draft.
pub fn ukhta() -> Vec<AppealDraft> {
    ukhta_scaled(1)
}

/// The Ukhta profile at `1 / divisor` of its size (every figure divided, rounded down): the
/// same story, faster to load — for tests. `1` is the report's size.
pub fn ukhta_scaled(divisor: usize) -> Vec<AppealDraft> {
    let k = divisor.max(1);
    let mut rng = Lcg(2024);
    let mut out = Vec::new();
    let mut person = 0;
    for y in &UKHTA {
        let n: usize = y.channels.iter().map(|(_, c)| c / k).sum();
        let top: Vec<(&str, usize)> = y.top.iter().map(|(c, t)| (*c, t / k)).collect();
        let cap = top.iter().map(|(_, t)| *t).min().unwrap_or(1);
        let mut codes = Vec::new();
        for (section, total) in y.sections {
            codes.extend(section_questions(section, total / k, &top, cap));
        }
        let questions = per_appeal(codes, n, &mut rng);
        let mut channels: Vec<&str> = y.channels.iter().flat_map(|(c, m)| std::iter::repeat_n(*c, m / k)).collect();
        rng.shuffle(&mut channels);
        for (i, (channel, qs)) in channels.into_iter().zip(questions).enumerate() {
            person += 1;
            out.push(draft(channel, day_of(y.year, i, n), qs, citizen(person), None));
        }
        // Personal reception: oral appeals, one question each (housing, the town, social
        // matters), from the sections' tails; a visitor may raise two.
        let (head, deputies) = (y.reception_head / k, y.reception_deputies / k);
        let visitors = head + deputies;
        let skip: Vec<&str> = y.top.iter().map(|(c, _)| *c).collect();
        let mut rcodes = Vec::new();
        for (section, total) in y.reception_sections {
            let pool = tail_codes(section, &skip);
            rcodes.extend((0..total / k).map(|i| pool[i * 7 % pool.len()].clone()));
        }
        let rq = per_appeal(rcodes, visitors, &mut rng);
        for (i, qs) in rq.into_iter().enumerate() {
            person += 1;
            let who = if i < head { (OfficialRole::Head, "Глава МО ГО «Ухта» – руководитель администрации") } else { (OfficialRole::Deputy, "Заместитель руководителя администрации") };
            out.push(draft("personal_reception", day_of(y.year, i, visitors), qs, citizen(person), Some(who)));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;
    use std::collections::HashMap;

    #[test]
    fn ukhta_2024_adds_up_to_the_report() {
        let all = ukhta();
        let y2024: Vec<&AppealDraft> = all.iter().filter(|d| d.registered_at.unwrap().year() == 2024).collect();
        let appeals = y2024.iter().filter(|d| d.channel != "personal_reception").count();
        assert_eq!(appeals, 2607);
        let questions: usize = y2024.iter().filter(|d| d.channel != "personal_reception").map(|d| d.questions.len()).sum();
        assert_eq!(questions, 2674);
        let reception: Vec<&&AppealDraft> = y2024.iter().filter(|d| d.channel == "personal_reception").collect();
        assert_eq!(reception.len(), 52);
        assert_eq!(reception.iter().map(|d| d.questions.len()).sum::<usize>(), 53);
        for d in &all {
            let mut codes: Vec<&String> = d.questions.iter().map(|q| &q.code).collect();
            codes.sort();
            codes.dedup();
            assert_eq!(codes.len(), d.questions.len(), "no code twice on one appeal");
        }
    }

    /// The ten most frequent questions of each year (statistics count questions of appeals
    /// received, personal reception apart) are the spec's in its order, at full size and at
    /// the size tests load.
    #[test]
    fn top_questions_follow_the_spec_at_every_size() {
        for divisor in [1, 8] {
            let all = ukhta_scaled(divisor);
            for year in [2023, 2024] {
                let mut count: HashMap<&str, usize> = HashMap::new();
                for d in all.iter().filter(|d| d.registered_at.unwrap().year() == year && d.channel != "personal_reception") {
                    for q in &d.questions {
                        *count.entry(q.code.as_str()).or_default() += 1;
                    }
                }
                let mut ranked: Vec<(&str, usize)> = count.into_iter().collect();
                ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
                let spec = top_questions(year, divisor);
                assert_eq!(ranked[..10].iter().map(|(c, _)| *c).collect::<Vec<_>>(), spec.iter().map(|(c, _)| *c).collect::<Vec<_>>(), "{year} at 1/{divisor}");
                assert!(ranked[10].1 < ranked[9].1, "{year} at 1/{divisor}: the eleventh ({:?}) below the tenth", ranked[10]);
                assert!(spec.windows(2).all(|w| w[0].1 > w[1].1), "{year} at 1/{divisor}: counts fall");
            }
        }
    }
}
