//! Demo registries for trying the service, for tests and for benchmarks
//! (`appeals demo-data --profile ukhta|random [--scale N]`).
//!
//! - `ukhta` reproduces the published figures of the Ukhta administration's 2024 report
//!   (DOMAIN.md §2, §3, §7): 2,607 appeals by channel, 2,674 questions by section, the top three
//!   questions, 35 + 17 citizens at personal reception with 53 questions; and 2023's published
//!   totals (2,177 appeals, 2,271 questions, 387 forwarded, 1,272 economy questions), the rest
//!   of 2023 filled in consistently.
//! - `random` draws `scale` appeals over the last year with realistic channel shares, one or
//!   two questions, and 30% of applicants writing again; [`workflow`] then takes them through
//!   the control use case to realistic states ([`fate`]).
//!
//! Generation is deterministic (a fixed-seed generator), so tests can assert exact figures.

use crate::domain::appeal::{AppealDraft, ApplicantInput, Form, Kind, OfficialRole, QuestionInput, ReceptionInput, SourceInput};
use crate::domain::classifier::{is_question_level, parse_tsv};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

/// A small deterministic generator (64-bit LCG): reproducible data without a dependency.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// One year of a profile: appeals by channel, questions by section, fixed top questions, and
/// personal reception.
struct YearSpec {
    year: i32,
    channels: &'static [(&'static str, usize)],
    sections: &'static [(&'static str, usize)],
    top: &'static [(&'static str, usize)],
    reception_head: usize,
    reception_deputies: usize,
    reception_sections: &'static [(&'static str, usize)],
}

const UKHTA: [YearSpec; 2] = [
    YearSpec {
        year: 2023,
        channels: &[("forwarded", 387), ("internet_reception", 490), ("email", 230), ("post", 130), ("by_hand", 760), ("gis_zhkh", 70), ("feedback_platform", 110)],
        sections: &[("0001", 95), ("0002", 290), ("0003", 1272), ("0004", 70), ("0005", 544)],
        top: &[("0005.0005.0056.1168", 240), ("0003.0009.0097.0689", 221), ("0003.0009.0099.0742", 205)],
        reception_head: 40,
        reception_deputies: 20,
        reception_sections: &[("0005", 30), ("0003", 20), ("0002", 11)],
    },
    YearSpec {
        year: 2024,
        channels: &[("forwarded", 470), ("internet_reception", 582), ("email", 196), ("post", 114), ("by_hand", 978), ("gis_zhkh", 89), ("feedback_platform", 178)],
        sections: &[("0001", 106), ("0002", 322), ("0003", 1735), ("0004", 79), ("0005", 432)],
        top: &[("0005.0005.0056.1168", 286), ("0003.0009.0097.0689", 264), ("0003.0009.0099.0742", 243)],
        reception_head: 35,
        reception_deputies: 17,
        reception_sections: &[("0005", 28), ("0003", 17), ("0002", 8)],
    },
];

/// Question-level codes of the shipped classifier by section, in code order.
fn question_codes(section: &str) -> Vec<String> {
    let entries = parse_tsv(crate::app::SHIPPED_CLASSIFIER).unwrap_or_default();
    entries.into_iter().filter(|e| is_question_level(&e.code) && e.level == 4 && e.code.starts_with(section)).map(|e| e.code).collect()
}

/// `total` questions of a section: the fixed top ones, the rest spread over other questions so
/// that none of them outnumbers the top ones.
fn section_questions(section: &str, total: usize, top: &[(&str, usize)]) -> Vec<String> {
    let mut out = Vec::with_capacity(total);
    for (code, n) in top.iter().filter(|(c, _)| c.starts_with(section)) {
        out.extend(std::iter::repeat_n(code.to_string(), *n));
    }
    let others: Vec<String> = question_codes(section).into_iter().filter(|c| !top.iter().any(|(t, _)| t == c)).collect();
    let rest = total.saturating_sub(out.len());
    let spread = others.len().clamp(1, 60);
    out.extend((0..rest).map(|i| others[i % spread].clone()));
    out
}

/// A working day of `year` at index `i` of `n`, spread evenly, and the instant 10:00 Moscow on it.
fn day_of(year: i32, i: usize, n: usize) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(year, 1, 15).expect("valid");
    let span = 340;
    let mut d = start + Duration::days((i * span / n.max(1)) as i64);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d = d.succ_opt().expect("valid");
    }
    d
}

fn at_ten(d: NaiveDate) -> DateTime<Utc> {
    Utc.from_utc_datetime(&d.and_hms_opt(7, 0, 0).expect("valid"))
}

fn form_of(channel: &str) -> Form {
    match channel {
        "internet_reception" | "email" | "gis_zhkh" | "feedback_platform" | "dobrodel" => Form::Electronic,
        "personal_reception" | "phone" | "live_broadcast" => Form::Oral,
        _ => Form::Written,
    }
}

const SURNAMES: [&str; 12] = ["Иванов", "Петров", "Сидоров", "Кузнецов", "Попов", "Смирнов", "Волков", "Морозов", "Новиков", "Лебедев", "Козлов", "Соколов"];
const GIVEN: [&str; 8] = ["Иван", "Пётр", "Алексей", "Сергей", "Андрей", "Михаил", "Николай", "Дмитрий"];

/// A citizen numbered `n`: a stable name and address, so a returning applicant matches.
fn citizen(n: usize) -> ApplicantInput {
    ApplicantInput {
        full_name: format!("{} {} {}ович", SURNAMES[n % SURNAMES.len()], GIVEN[(n / SURNAMES.len()) % GIVEN.len()], GIVEN[(n / 96) % GIVEN.len()]),
        postal_address: Some(format!("169300, г. Ухта, ул. Ленина, д. {}, кв. {}", 1 + n % 97, 1 + n / 97)),
        email: None,
        phone: None,
        epgu_id: None,
        is_organization: false,
    }
}

/// A registration draft with a legacy registration instant, as an import carries it.
fn draft(channel: &str, on: NaiveDate, codes: Vec<String>, applicant: ApplicantInput, reception: Option<(OfficialRole, &str)>) -> AppealDraft {
    let received_on = if channel == "post" || channel == "forwarded" { on.pred_opt().unwrap_or(on) } else { on };
    AppealDraft {
        channel: channel.into(),
        form: form_of(channel),
        kind: Kind::Statement,
        received_on,
        legal_regime: None,
        applicants: vec![applicant],
        collective: false,
        signatures: None,
        summary: "Обращение по вопросам местного значения".into(),
        questions: codes.into_iter().map(|code| QuestionInput { code, text: None }).collect(),
        reply_channel: None,
        source: (channel == "forwarded").then(|| SourceInput { organization: "Администрация Главы Республики Коми".into(), number: Some(format!("01-{}", on.ordinal())), date: Some(received_on) }),
        external_id: None,
        reception: reception.map(|(official_role, official)| ReceptionInput { official: official.into(), official_role, held_on: on }),
        migration_case: false,
        registered_at: Some(at_ten(on)),
        reg_number: None,
    }
}

/// Spreads `codes` over `n` appeals: one each, the surplus as second questions of the first
/// ones (never the same code twice on one appeal).
fn per_appeal(mut codes: Vec<String>, n: usize, rng: &mut Lcg) -> Vec<Vec<String>> {
    rng.shuffle(&mut codes);
    let mut out: Vec<Vec<String>> = codes.iter().take(n).map(|c| vec![c.clone()]).collect();
    let extra: Vec<String> = codes.into_iter().skip(n).collect();
    let mut j = 0;
    for code in extra {
        while out[j % n].contains(&code) {
            j += 1;
        }
        out[j % n].push(code);
        j += 1;
    }
    out
}

/// The Ukhta profile: both years, every appeal as an import draft.
pub fn ukhta() -> Vec<AppealDraft> {
    let mut rng = Lcg(2024);
    let mut out = Vec::new();
    let mut person = 0;
    for y in &UKHTA {
        let n: usize = y.channels.iter().map(|(_, k)| k).sum();
        let mut codes = Vec::new();
        for (section, total) in y.sections {
            codes.extend(section_questions(section, *total, y.top));
        }
        let questions = per_appeal(codes, n, &mut rng);
        let mut channels: Vec<&str> = y.channels.iter().flat_map(|(c, k)| std::iter::repeat_n(*c, *k)).collect();
        rng.shuffle(&mut channels);
        for (i, (channel, qs)) in channels.into_iter().zip(questions).enumerate() {
            person += 1;
            out.push(draft(channel, day_of(y.year, i, n), qs, citizen(person), None));
        }
        // Personal reception: oral appeals, one question each, one visitor with two.
        let visitors = y.reception_head + y.reception_deputies;
        let mut rcodes = Vec::new();
        for (section, total) in y.reception_sections {
            let pool = question_codes(section);
            rcodes.extend((0..*total).map(|i| pool[i * 7 % pool.len()].clone()));
        }
        let rq = per_appeal(rcodes, visitors, &mut rng);
        for (i, qs) in rq.into_iter().enumerate() {
            person += 1;
            let who = if i < y.reception_head { (OfficialRole::Head, "Глава МО ГО «Ухта» – руководитель администрации") } else { (OfficialRole::Deputy, "Заместитель руководителя администрации") };
            out.push(draft("personal_reception", day_of(y.year, i, visitors), qs, citizen(person), Some(who)));
        }
    }
    out
}

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

/// Who acts in the demo workflow: executors, a supervisor and a clerk (user ids).
pub struct Staff {
    /// Executors, assigned in turn.
    pub executors: Vec<String>,
    /// Reviews answers, extends deadlines, closes.
    pub supervisor: String,
    /// Assigns, forwards and dispatches.
    pub clerk: String,
    /// Organization.
    pub org: String,
}

/// The workflow state a random appeal is taken to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    /// Left as registered.
    Registered,
    /// Assigned, not answered (overdue once its deadline passes).
    InWork,
    /// Forwarded by competence.
    Forwarded,
    /// Answered, awaiting review.
    Answered,
    /// Answered, approved, dispatched and kept on additional control.
    Approved,
    /// Returned for rework, answered again, approved, dispatched.
    Returned,
    /// Extended, then answered, approved and dispatched.
    Extended,
    /// Answered, approved and dispatched (which removes it from control); `late` after the deadline.
    Closed {
        /// Answered after the 30 days.
        late: bool,
    },
}

/// A realistic mix of workflow states, drawn deterministically for appeal `i`.
pub fn fate(i: usize) -> Fate {
    let r = (i.wrapping_mul(2_654_435_761) >> 7) % 100;
    match r {
        0..=5 => Fate::Registered,
        6..=13 => Fate::InWork,
        14..=17 => Fate::Forwarded,
        18..=22 => Fate::Answered,
        23..=26 => Fate::Approved,
        27..=30 => Fate::Returned,
        31..=34 => Fate::Extended,
        35..=40 => Fate::Closed { late: true },
        _ => Fate::Closed { late: false },
    }
}

/// Takes imported appeals (id, registration day) through the control use case as the staff
/// would, with the clock set to each step's day, so the statistics see every workflow state.
/// Returns (steps done, steps refused); a refused step leaves the appeal where it was.
pub fn workflow(state: &crate::state::AppState, clock: &crate::clock::FixedClock, staff: &Staff, appeals: &[(String, NaiveDate)]) -> (usize, usize) {
    use crate::control::{self, Actor};
    use crate::domain::roles::Role;
    use serde_json::json;
    let actor = |id: &str, role: Role| Actor { id: id.to_string(), org: staff.org.clone(), role };
    let (sup, clerk) = (actor(&staff.supervisor, Role::Supervisor), actor(&staff.clerk, Role::Clerk));
    const RESULTS: [&str; 5] = ["explained", "supported", "explained", "not_supported", "supported_measures_taken"];
    fn v<T: serde::de::DeserializeOwned>(x: serde_json::Value) -> T {
        serde_json::from_value(x).expect("demo input is valid")
    }
    let today = state.today();
    let (mut done, mut refused) = (0, 0);
    for (i, (id, on)) in appeals.iter().enumerate() {
        let f = fate(i);
        if f == Fate::Registered {
            continue;
        }
        let ex = actor(&staff.executors[i % staff.executors.len().max(1)], Role::Executor);
        let mut step = |day: i64, what: &mut dyn FnMut() -> Result<crate::store::appeals::CardData, crate::store::StoreError>| -> Option<crate::store::appeals::CardData> {
            let d = *on + Duration::days(day);
            if d > today {
                return None;
            }
            clock.set(at_ten(d));
            match what() {
                Ok(c) => {
                    done += 1;
                    Some(c)
                }
                Err(_) => {
                    refused += 1;
                    None
                }
            }
        };
        let Some(card) = step(1, &mut || control::assign::assign(state, &clerk, id, None, v(json!({"executors": [{"user_id": ex.id, "responsible": true}]})))) else { continue };
        let codes: Vec<String> = card.questions.iter().map(|q| q.code.clone()).collect();
        let results = |n: usize| json!({"text": "Ответ по существу", "results": codes.iter().enumerate().map(|(k, c)| json!({"code": c, "result": RESULTS[(n + k) % RESULTS.len()]})).collect::<Vec<_>>()});
        let answer_id = |c: &crate::store::appeals::CardData| c.answers.iter().rev().find(|a| a.status == "pending").map(|a| a.id.clone());
        let ans_day = match f {
            Fate::Closed { late: true } => 31 + (i % 12) as i64,
            Fate::Extended => 38,
            _ => 5 + (i % 22) as i64,
        };
        match f {
            Fate::Registered | Fate::InWork => {}
            Fate::Forwarded => {
                step(3, &mut || control::forward::forward(state, &clerk, id, None, v(json!({"organization": "Государственная жилищная инспекция Республики Коми", "reason": "Вопросы не в компетенции"}))));
            }
            _ => {
                if f == Fate::Extended {
                    if step(20, &mut || control::extend::extend(state, &sup, "demo_supervisor", id, None, v(json!({"days": 30, "reason": "Запрошены документы в другом органе"})))).is_none() {
                        continue;
                    }
                }
                let Some(c) = step(ans_day, &mut || control::answer::answer(state, &ex, id, None, v(results(i)))) else { continue };
                let Some(mut aid) = answer_id(&c) else { continue };
                if f == Fate::Answered {
                    continue;
                }
                if f == Fate::Returned {
                    if step(ans_day + 1, &mut || control::rework::return_for_rework(state, &sup, id, &aid, None, v(json!({"comment": "Ответ не по существу"})))).is_none() {
                        continue;
                    }
                    let Some(c) = step(ans_day + 3, &mut || control::answer::answer(state, &ex, id, None, v(results(i + 1)))) else { continue };
                    let Some(a) = answer_id(&c) else { continue };
                    aid = a;
                }
                let approve_day = ans_day + if f == Fate::Returned { 4 } else { 1 };
                // Kept on additional control after the answer went out, or removed by its dispatch.
                let keep = f == Fate::Approved;
                if step(approve_day, &mut || control::approve::approve(state, &sup, id, &aid, None, v(json!({"close": !keep})))).is_none() {
                    continue;
                }
                let sent = (*on + Duration::days(approve_day)).min(today);
                step(approve_day, &mut || control::dispatch::dispatch(state, &clerk, id, &aid, None, v(json!({"sent_on": sent, "channel": "post"}))));
            }
        }
    }
    (done, refused)
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn random_is_deterministic() {
        let today: NaiveDate = "2025-06-01".parse().unwrap();
        let a = random(500, today);
        let b = random(500, today);
        assert_eq!(a.len(), 500);
        assert_eq!(a.iter().map(|d| d.questions[0].code.clone()).collect::<Vec<_>>(), b.iter().map(|d| d.questions[0].code.clone()).collect::<Vec<_>>());
    }
}
