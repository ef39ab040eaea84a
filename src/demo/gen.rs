//! The pieces every demo profile draws from: a deterministic generator, citizens, the
//! classifier's question codes, working days and registration drafts.

use crate::domain::appeal::{AppealDraft, ApplicantInput, Form, Kind, OfficialRole, QuestionInput, ReceptionInput, SourceInput};
use crate::domain::classifier::{is_question_level, parse_tsv};
use chrono::{DateTime, Datelike, Duration, NaiveDate, TimeZone, Utc, Weekday};

/// A small deterministic generator (64-bit LCG): reproducible data without a dependency.
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        self.0 >> 33
    }

    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    pub(crate) fn shuffle<T>(&mut self, v: &mut [T]) {
        for i in (1..v.len()).rev() {
            let j = self.below(i + 1);
            v.swap(i, j);
        }
    }
}

/// A stable pseudo-random number 0–99 for item `i`, salt `k` (fates, results).
pub(crate) fn percent(i: usize, k: usize) -> usize {
    (i.wrapping_mul(2_654_435_761).wrapping_add(k.wrapping_mul(40_503)) >> 7) % 100
}

/// Question-level codes of the shipped classifier by section, in code order.
pub(crate) fn question_codes(section: &str) -> Vec<String> {
    let entries = parse_tsv(crate::app::SHIPPED_CLASSIFIER).unwrap_or_default();
    entries.into_iter().filter(|e| is_question_level(&e.code) && e.level == 4 && e.code.starts_with(section)).map(|e| e.code).collect()
}

/// Themes a municipality hears about most, first in their section's long tail (the rest of a
/// section follows in code order): building and improvement, transport, trade and services,
/// nature, the local budget, local self-government.
const MUNICIPAL_THEMES: [&str; 10] = [
    "0003.0009.0097",
    "0003.0009.0099",
    "0003.0009.0096",
    "0003.0009.0102",
    "0003.0009.0104",
    "0003.0011",
    "0003.0008.0083",
    "0001.0001.0015",
    "0005.0005.0056",
    "0005.0005.0055",
];

/// A section's question codes with municipal themes first, without `skip`.
pub(crate) fn tail_codes(section: &str, skip: &[&str]) -> Vec<String> {
    let all: Vec<String> = question_codes(section).into_iter().filter(|c| !skip.contains(&c.as_str())).collect();
    let rank = |c: &String| MUNICIPAL_THEMES.iter().position(|t| c.starts_with(t)).unwrap_or(MUNICIPAL_THEMES.len());
    let mut out = all;
    out.sort_by_key(rank);
    out
}

/// A working day of `year` at index `i` of `n`, spread evenly.
pub(crate) fn day_of(year: i32, i: usize, n: usize) -> NaiveDate {
    let start = NaiveDate::from_ymd_opt(year, 1, 15).expect("valid");
    let span = 340;
    let mut d = start + Duration::days((i * span / n.max(1)) as i64);
    while matches!(d.weekday(), Weekday::Sat | Weekday::Sun) {
        d = d.succ_opt().expect("valid");
    }
    d
}

/// 10:00 Moscow on `d`.
pub(crate) fn at_ten(d: NaiveDate) -> DateTime<Utc> {
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
pub(crate) fn citizen(n: usize) -> ApplicantInput {
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
pub(crate) fn draft(channel: &str, on: NaiveDate, codes: Vec<String>, applicant: ApplicantInput, reception: Option<(OfficialRole, &str)>) -> AppealDraft {
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

/// Spreads `codes` over `n` appeals: one each (cycling when there are fewer codes than
/// appeals), the surplus as second questions of the first ones (never the same code twice on
/// one appeal).
pub(crate) fn per_appeal(mut codes: Vec<String>, n: usize, rng: &mut Lcg) -> Vec<Vec<String>> {
    if n == 0 || codes.is_empty() {
        return vec![Vec::new(); n];
    }
    rng.shuffle(&mut codes);
    let mut out: Vec<Vec<String>> = (0..n).map(|i| vec![codes[i % codes.len()].clone()]).collect();
    let extra: Vec<String> = codes.into_iter().skip(n).collect();
    let mut j = 0;
    for code in extra {
        let start = j;
        while out[j % n].contains(&code) && j < start + n {
            j += 1;
        }
        out[j % n].push(code);
        j += 1;
    }
    out
}
