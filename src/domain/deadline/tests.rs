//! The deadline rules against the law's worked cases and the production calendars.

use super::*;
use std::path::Path;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// The calendar files shipped in `config/calendar/` (2024–2027).
fn cal() -> ProductionCalendar {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config/calendar");
    ProductionCalendar::load_dir(&dir).expect("shipped calendar files parse")
}

fn rules(shift: ShiftRule) -> DeadlineRules {
    DeadlineRules {
        shift,
        ..DeadlineRules::default()
    }
}

fn ext(days: u32) -> Extension {
    Extension {
        days,
        reason: "запрос документов в другой орган (ч. 2 ст. 10 59-ФЗ)".into(),
        decided_by: "Заместитель главы Иванов И. И.".into(),
        decided_on: d(2025, 3, 20),
    }
}

#[derive(Clone, Copy, Debug)]
enum Kind {
    /// 30 days, Art. 12.
    Cons,
    /// 20 days, Art. 12 part 1.1.
    Migr,
    /// 7 days, Art. 8 part 3.
    Fwd,
    /// 7 days, Art. 11.
    Art11,
    /// 3 days from receipt, Art. 8 part 2.
    Reg,
}

struct Case {
    kind: Kind,
    start: NaiveDate,
    shift: ShiftRule,
    ext: u32,
    control: u32,
    due: NaiveDate,
    control_due: Option<NaiveDate>,
}

use Kind::*;
use ShiftRule::{Following as F, Preceding as P};

fn c(kind: Kind, start: NaiveDate, shift: ShiftRule, due: NaiveDate) -> Case {
    Case {
        kind,
        start,
        shift,
        ext: 0,
        control: 0,
        due,
        control_due: None,
    }
}

fn cx(start: NaiveDate, shift: ShiftRule, ext: u32, due: NaiveDate) -> Case {
    Case {
        kind: Cons,
        start,
        shift,
        ext,
        control: 0,
        due,
        control_due: None,
    }
}

fn cc(start: NaiveDate, control: u32, due: NaiveDate, control_due: NaiveDate) -> Case {
    Case {
        kind: Cons,
        start,
        shift: P,
        ext: 0,
        control,
        due,
        control_due: Some(control_due),
    }
}

/// Expected dates computed by hand from docs/domain.md §4 and the month grids of 2024–2027.
fn table() -> Vec<Case> {
    vec![
        // 3 Mar 2025 + 30 = 2 Apr 2025 (Wed), a working day: no shift.
        c(Cons, d(2025, 3, 3), P, d(2025, 4, 2)),
        // 5 Dec 2024 + 30 = 4 Jan 2025 (January block); back over 3, 2, 1 Jan, 31, 30, 29 Dec 2024
        // (all non-working) to Saturday 28 Dec 2024, a working day by decree 1314.
        c(Cons, d(2024, 12, 5), P, d(2024, 12, 28)),
        // Same, forward: 5–8 Jan 2025 are off, Thursday 9 Jan is the first working day.
        c(Cons, d(2024, 12, 5), F, d(2025, 1, 9)),
        // 10 Dec 2025 + 30 = 9 Jan 2026 (off; 2026 block is 1–11 Jan); back over 8..1 Jan and
        // 31 Dec 2025 (off) to Tuesday 30 Dec 2025.
        c(Cons, d(2025, 12, 10), P, d(2025, 12, 30)),
        // Same, forward: 10–11 Jan 2026 are off, Monday 12 Jan works.
        c(Cons, d(2025, 12, 10), F, d(2026, 1, 12)),
        // 24 Jan 2025 + 30 = 23 Feb 2025 (Sunday, holiday); 22 Feb is Saturday → Friday 21 Feb.
        c(Cons, d(2025, 1, 24), P, d(2025, 2, 21)),
        // Same, forward: Monday 24 Feb 2025 is a working day (the decree moved that weekend elsewhere).
        c(Cons, d(2025, 1, 24), F, d(2025, 2, 24)),
        // 25 Jan 2024 + 30 = 24 Feb 2024 (Sat, block 23–25 Feb) → back over 23 Feb → Thursday 22 Feb.
        c(Cons, d(2024, 1, 25), P, d(2024, 2, 22)),
        // Same, forward: 25 Feb is Sunday → Monday 26 Feb 2024.
        c(Cons, d(2024, 1, 25), F, d(2024, 2, 26)),
        // 24 Jan 2026 + 30 = 23 Feb 2026 (Monday holiday); back over 22, 21 Feb → Friday 20 Feb.
        c(Cons, d(2026, 1, 24), P, d(2026, 2, 20)),
        // Same, forward: Tuesday 24 Feb 2026.
        c(Cons, d(2026, 1, 24), F, d(2026, 2, 24)),
        // 7 Feb 2025 + 30 = 9 Mar 2025 (Sun, block 8–9 Mar) → back over 8 Mar → Friday 7 Mar.
        c(Cons, d(2025, 2, 7), P, d(2025, 3, 7)),
        // 6 Feb 2026 + 30 = 8 Mar 2026 (Sun, block 7–9 Mar) → back over 7 Mar → Friday 6 Mar.
        c(Cons, d(2026, 2, 6), P, d(2026, 3, 6)),
        // Same, forward: Monday 9 Mar 2026 is the transferred holiday → Tuesday 10 Mar.
        c(Cons, d(2026, 2, 6), F, d(2026, 3, 10)),
        // Leap year: 9 Feb 2024 + 30 = 10 Mar 2024 (20 days to 29 Feb, then 10); block 8–10 Mar
        // → Thursday 7 Mar.
        c(Cons, d(2024, 2, 9), P, d(2024, 3, 7)),
        // 3 Apr 2025 + 30 = 3 May 2025 (block 1–4 May) → back over 2, 1 May → Wednesday 30 Apr.
        c(Cons, d(2025, 4, 3), P, d(2025, 4, 30)),
        // 10 Apr 2025 + 30 = 10 May 2025 (block 8–11 May) → back over 9, 8 May → Wednesday 7 May.
        c(Cons, d(2025, 4, 10), P, d(2025, 5, 7)),
        // Same, forward: 11 May off → Monday 12 May 2025.
        c(Cons, d(2025, 4, 10), F, d(2025, 5, 12)),
        // 30 Mar 2024 + 30 = 29 Apr 2024 (block 28 Apr–1 May) → back over 28 Apr → Saturday
        // 27 Apr 2024, a working day by decree.
        c(Cons, d(2024, 3, 30), P, d(2024, 4, 27)),
        // 12 Apr 2024 + 30 = 12 May 2024 (block 9–12 May) → back to Wednesday 8 May.
        c(Cons, d(2024, 4, 12), P, d(2024, 5, 8)),
        // 11 Apr 2026 + 30 = 11 May 2026 (block 9–11 May) → back to Friday 8 May.
        c(Cons, d(2026, 4, 11), P, d(2026, 5, 8)),
        // Same, forward: Tuesday 12 May 2026.
        c(Cons, d(2026, 4, 11), F, d(2026, 5, 12)),
        // 14 May 2025 + 30 = 13 Jun 2025 (block 12–15 Jun) → back over 12 Jun → Wednesday 11 Jun.
        c(Cons, d(2025, 5, 14), P, d(2025, 6, 11)),
        // 13 May 2024 + 30 = 12 Jun 2024 (Wednesday holiday) → forward to Thursday 13 Jun.
        c(Cons, d(2024, 5, 13), F, d(2024, 6, 13)),
        // 2 Oct 2025 + 30 = 1 Nov 2025, the working Saturday: the deadline stays there.
        c(Cons, d(2025, 10, 2), P, d(2025, 11, 1)),
        // Same under the Following rule: still a working day, still no shift.
        c(Cons, d(2025, 10, 2), F, d(2025, 11, 1)),
        // 4 Oct 2025 + 30 = 3 Nov 2025 (block 2–4 Nov) → back over 2 Nov → working Saturday 1 Nov.
        c(Cons, d(2025, 10, 4), P, d(2025, 11, 1)),
        // Same, forward: 4 Nov off → Wednesday 5 Nov 2025.
        c(Cons, d(2025, 10, 4), F, d(2025, 11, 5)),
        // 5 Oct 2026 + 30 = 4 Nov 2026 (Wednesday holiday) → Tuesday 3 Nov.
        c(Cons, d(2026, 10, 5), P, d(2026, 11, 3)),
        // Same, forward: Thursday 5 Nov 2026.
        c(Cons, d(2026, 10, 5), F, d(2026, 11, 5)),
        // 5 Oct 2024 + 30 = 4 Nov 2024 (block 3–4 Nov) → working Saturday 2 Nov 2024.
        c(Cons, d(2024, 10, 5), P, d(2024, 11, 2)),
        // 1 Dec 2025 + 30 = 31 Dec 2025 (transferred day off) → Tuesday 30 Dec.
        c(Cons, d(2025, 12, 1), P, d(2025, 12, 30)),
        // Same, forward: 31 Dec 2025 and 1–11 Jan 2026 are off → Monday 12 Jan 2026.
        c(Cons, d(2025, 12, 1), F, d(2026, 1, 12)),
        // 1 Dec 2026 + 30 = 31 Dec 2026 (transferred day off) → Wednesday 30 Dec.
        c(Cons, d(2026, 12, 1), P, d(2026, 12, 30)),
        // Same, forward into 2027: 1–10 Jan 2027 off → Monday 11 Jan.
        c(Cons, d(2026, 12, 1), F, d(2027, 1, 11)),
        // 28 Nov 2024 + 30 = 28 Dec 2024, the working Saturday: stays.
        c(Cons, d(2024, 11, 28), P, d(2024, 12, 28)),
        // 30 Nov 2024 + 30 = 30 Dec 2024 (block 29–31 Dec) → back over 29 Dec → Saturday 28 Dec.
        c(Cons, d(2024, 11, 30), P, d(2024, 12, 28)),
        // Same, forward: 31 Dec 2024 and 1–8 Jan 2025 off → Thursday 9 Jan 2025.
        c(Cons, d(2024, 11, 30), F, d(2025, 1, 9)),
        // Migration case: 3 Mar 2025 + 20 = 23 Mar 2025 (Sunday) → Friday 21 Mar.
        c(Migr, d(2025, 3, 3), P, d(2025, 3, 21)),
        // Migration case: 11 Apr 2025 + 20 = 1 May 2025 → Wednesday 30 Apr.
        c(Migr, d(2025, 4, 11), P, d(2025, 4, 30)),
        // Migration case in 2026: 20 Apr 2026 + 20 = 10 May 2026 (block 9–11 May) → Friday 8 May.
        c(Migr, d(2026, 4, 20), P, d(2026, 5, 8)),
        // Extension across May: 3 Mar 2025 + 30 = 2 Apr, + 30 = 2 May 2025 (off) → back over 1 May
        // → Wednesday 30 Apr (never beyond base + 30 under Preceding).
        cx(d(2025, 3, 3), P, 30, d(2025, 4, 30)),
        // Same, forward: 3–4 May off → Monday 5 May 2025.
        cx(d(2025, 3, 3), F, 30, d(2025, 5, 5)),
        // Extension by 1 day: 2 Apr + 1 = Thursday 3 Apr 2025.
        cx(d(2025, 3, 3), P, 1, d(2025, 4, 3)),
        // Extension by 30 with no holiday: 20 Jan 2025 + 30 = 19 Feb, + 30 = 21 Mar 2025 (Friday).
        cx(d(2025, 1, 20), P, 30, d(2025, 3, 21)),
        // Extension in 2024: 10 Apr 2024 + 30 = 10 May, already off; + 30 = 9 Jun 2024 (Sunday)
        // → Saturday 8 Jun is an ordinary weekend → Friday 7 Jun.
        cx(d(2024, 4, 10), P, 30, d(2024, 6, 7)),
        // 2027: 3 Apr 2027 + 30 = 3 May 2027, Monday that takes over 1 May (Saturday);
        // back over 2 May (Sun), 1 May (Sat) → Friday 30 Apr.
        c(Cons, d(2027, 4, 3), P, d(2027, 4, 30)),
        // Same, forward: Tuesday 4 May 2027.
        c(Cons, d(2027, 4, 3), F, d(2027, 5, 4)),
        // 2027: 10 Apr 2027 + 30 = 10 May, Monday that takes over 9 May (Sunday);
        // back over 9, 8 May → Friday 7 May.
        c(Cons, d(2027, 4, 10), P, d(2027, 5, 7)),
        // 2027 file: 24 Jan 2027 + 30 = 23 Feb 2027 (Tuesday holiday); back over 22 Feb (moved
        // from Saturday 20 Feb) and 21 Feb → the working Saturday 20 Feb 2027.
        c(Cons, d(2027, 1, 24), P, d(2027, 2, 20)),
        // Same, forward: Wednesday 24 Feb 2027.
        c(Cons, d(2027, 1, 24), F, d(2027, 2, 24)),
        // 22 Jan 2027 + 30 = Sunday 21 Feb → the working Saturday 20 Feb (the fallback said 19 Feb).
        c(Cons, d(2027, 1, 22), P, d(2027, 2, 20)),
        // 23 Jan 2027 + 30 = Monday 22 Feb, a day off by the decree (the fallback kept it
        // working) → forward over 22, 23 Feb → Wednesday 24 Feb.
        c(Cons, d(2027, 1, 23), F, d(2027, 2, 24)),
        // Forwarding: 28 Apr 2025 + 7 = 5 May 2025 (Monday, working) — no shift.
        c(Fwd, d(2025, 4, 28), P, d(2025, 5, 5)),
        // Forwarding: 25 Apr 2025 + 7 = 2 May 2025 (off) → Wednesday 30 Apr.
        c(Fwd, d(2025, 4, 25), P, d(2025, 4, 30)),
        // Forwarding across New Year: 29 Dec 2025 + 7 = 5 Jan 2026 → back over 4..1 Jan, 31 Dec
        // → Tuesday 30 Dec 2025.
        c(Fwd, d(2025, 12, 29), P, d(2025, 12, 30)),
        // Art. 11 notice: 16 Feb 2026 + 7 = 23 Feb 2026 (holiday) → Friday 20 Feb.
        c(Art11, d(2026, 2, 16), P, d(2026, 2, 20)),
        // Same, forward: Tuesday 24 Feb 2026.
        c(Art11, d(2026, 2, 16), F, d(2026, 2, 24)),
        // Registration: received Friday 7 Mar 2025 + 3 = Monday 10 Mar (working).
        c(Reg, d(2025, 3, 7), P, d(2025, 3, 10)),
        // Registration: received Thursday 6 Mar 2025 + 3 = Sunday 9 Mar → back over 8 Mar → Friday 7 Mar.
        c(Reg, d(2025, 3, 6), P, d(2025, 3, 7)),
        // Same, forward: Monday 10 Mar 2025.
        c(Reg, d(2025, 3, 6), F, d(2025, 3, 10)),
        // Registration: received Friday 31 Oct 2025 + 3 = Monday 3 Nov (off) → back over 2 Nov
        // → working Saturday 1 Nov.
        c(Reg, d(2025, 10, 31), P, d(2025, 11, 1)),
        // Control 3 days: due 2 Apr 2025; 2 Apr − 3 = 30 Mar (Sun) → back over 29 Mar → Friday 28 Mar.
        cc(d(2025, 3, 3), 3, d(2025, 4, 2), d(2025, 3, 28)),
        // Control 3 days: 12 Apr 2025 + 30 = 12 May (Monday, working); 12 May − 3 = 9 May (off)
        // → back over 8 May → Wednesday 7 May.
        cc(d(2025, 4, 12), 3, d(2025, 5, 12), d(2025, 5, 7)),
        // Control 2 days: due already shifted to 30 Apr 2025; 30 Apr − 2 = Monday 28 Apr (working).
        cc(d(2025, 4, 3), 2, d(2025, 4, 30), d(2025, 4, 28)),
    ]
}

#[test]
fn deadline_table() {
    let cal = cal();
    let cases = table();
    assert!(cases.len() >= 30);
    for (i, case) in cases.iter().enumerate() {
        let mut r = rules(case.shift);
        r.internal_control_days_before = case.control;
        let e = (case.ext > 0).then(|| ext(case.ext));
        let got = match case.kind {
            Cons => consideration_deadline(&cal, &r, case.start, false, e.as_ref()),
            Migr => consideration_deadline(&cal, &r, case.start, true, e.as_ref()),
            Fwd => forwarding_deadline(&cal, &r, case.start),
            Art11 => art11_notice_deadline(&cal, &r, case.start),
            Reg => registration_deadline(&cal, &r, case.start),
        };
        assert_eq!(
            got.due, case.due,
            "case #{i} {:?} from {} ({:?}, ext {}): {}",
            case.kind, case.start, case.shift, case.ext, got.text
        );
        assert_eq!(
            got.control_date, case.control_due,
            "case #{i} control date: {}",
            got.text
        );
        assert_eq!(got.start, case.start);
        assert_eq!(got.extension_days, case.ext);
        assert_eq!(got.shift, case.shift);
        assert!(
            cal.is_working_day(got.due),
            "case #{i}: due must be a working day"
        );
        assert_eq!(
            got.moved_over.is_empty(),
            got.due == got.nominal,
            "case #{i}"
        );
    }
}

#[test]
fn fields_and_moved_over_order() {
    let cal = cal();
    // 5 Dec 2024 + 30 = 4 Jan 2025 → 28 Dec 2024 (see table).
    let p = consideration_deadline(&cal, &rules(P), d(2024, 12, 5), false, None);
    assert_eq!(p.days, 30);
    assert_eq!(p.nominal, d(2025, 1, 4));
    assert_eq!(
        p.moved_over,
        vec![
            d(2025, 1, 4),
            d(2025, 1, 3),
            d(2025, 1, 2),
            d(2025, 1, 1),
            d(2024, 12, 31),
            d(2024, 12, 30),
            d(2024, 12, 29)
        ]
    );
    let f = consideration_deadline(&cal, &rules(F), d(2024, 12, 5), false, None);
    assert_eq!(
        f.moved_over,
        vec![
            d(2025, 1, 4),
            d(2025, 1, 5),
            d(2025, 1, 6),
            d(2025, 1, 7),
            d(2025, 1, 8)
        ]
    );
    // Migration: days = 20.
    let m = consideration_deadline(&cal, &rules(P), d(2025, 3, 3), true, None);
    assert_eq!((m.days, m.nominal), (20, d(2025, 3, 23)));
    // Extension: nominal = start + 30 + 30.
    let e = consideration_deadline(&cal, &rules(P), d(2025, 3, 3), false, Some(&ext(30)));
    assert_eq!(
        (e.days, e.extension_days, e.nominal),
        (30, 30, d(2025, 5, 2))
    );
    assert_eq!(e.moved_over, vec![d(2025, 5, 2), d(2025, 5, 1)]);
    // Control date is only attached to the consideration deadline.
    let mut r = rules(P);
    r.internal_control_days_before = 3;
    assert_eq!(
        forwarding_deadline(&cal, &r, d(2025, 3, 3)).control_date,
        None
    );
}

#[test]
fn explanation_plain() {
    let cal = cal();
    let dl = consideration_deadline(&cal, &rules(P), d(2025, 3, 3), false, None);
    assert_eq!(
        dl.text,
        "Зарегистрировано 03.03.2025; 30 дней (ст. 12 59-ФЗ) → 02.04.2025."
    );
}

#[test]
fn explanation_names_moved_over_days() {
    let cal = cal();
    let dl = consideration_deadline(&cal, &rules(P), d(2025, 4, 3), false, None);
    assert_eq!(
        dl.text,
        "Зарегистрировано 03.04.2025; 30 дней (ст. 12 59-ФЗ) → 03.05.2025 — нерабочий день \
         (01.05, 02.05, 03.05); срок перенесён на предшествующий рабочий день 30.04.2025."
    );
    let dl = consideration_deadline(&cal, &rules(F), d(2025, 4, 3), false, None);
    assert!(dl.text.contains("(03.05, 04.05)"), "{}", dl.text);
    assert!(
        dl.text
            .contains("следующий рабочий день (ст. 193 ГК РФ) 05.05.2025"),
        "{}",
        dl.text
    );
    for day in &dl.moved_over {
        assert!(
            dl.text.contains(&day.format("%d.%m").to_string()),
            "{}",
            dl.text
        );
    }
}

#[test]
fn explanation_extension_control_and_other_kinds() {
    let cal = cal();
    let mut r = rules(P);
    r.internal_control_days_before = 2;
    let dl = consideration_deadline(&cal, &r, d(2025, 3, 3), false, Some(&ext(30)));
    assert!(dl.text.starts_with("Зарегистрировано 03.03.2025; 30 дней (ст. 12 59-ФЗ) → 02.04.2025. Продлено на 30 дней: запрос документов"), "{}", dl.text);
    assert!(dl.text.contains("Иванов"), "{}", dl.text);
    assert!(dl.text.contains("→ 02.05.2025 — нерабочий день (01.05, 02.05); срок перенесён на предшествующий рабочий день 30.04.2025."), "{}", dl.text);
    // 30 Apr − 2 = Monday 28 Apr 2025.
    assert_eq!(dl.control_date, Some(d(2025, 4, 28)));
    assert!(
        dl.text
            .contains("Внутренний контрольный срок: 28.04.2025 (за 2 дня до срока"),
        "{}",
        dl.text
    );
    let e1 = consideration_deadline(&cal, &rules(P), d(2025, 3, 3), false, Some(&ext(1)));
    assert!(e1.text.contains("Продлено на 1 день:"), "{}", e1.text);
    let m = consideration_deadline(&cal, &rules(P), d(2025, 3, 3), true, None);
    assert!(
        m.text.contains("20 дней (ч. 1.1 ст. 12 59-ФЗ"),
        "{}",
        m.text
    );
    let reg = registration_deadline(&cal, &rules(P), d(2025, 3, 7));
    assert_eq!(
        reg.text,
        "Поступило 07.03.2025; 3 дня (ч. 2 ст. 8 59-ФЗ, регистрация) → 10.03.2025."
    );
    let fwd = forwarding_deadline(&cal, &rules(P), d(2025, 4, 28));
    assert!(
        fwd.text.contains("7 дней (ч. 3 ст. 8 59-ФЗ"),
        "{}",
        fwd.text
    );
    let a11 = art11_notice_deadline(&cal, &rules(P), d(2025, 4, 28));
    assert!(a11.text.contains("ст. 11 59-ФЗ"), "{}", a11.text);
}

#[test]
fn russian_plurals() {
    let cases = [
        (1, "1 день"),
        (2, "2 дня"),
        (4, "4 дня"),
        (5, "5 дней"),
        (11, "11 дней"),
        (14, "14 дней"),
        (21, "21 день"),
        (22, "22 дня"),
        (30, "30 дней"),
        (111, "111 дней"),
    ];
    for (n, want) in cases {
        assert_eq!(days_word(n), want);
    }
}

#[test]
fn extension_checks() {
    let r = DeadlineRules::default();
    assert_eq!(check_extension(&r, false, 30), Ok(()));
    assert_eq!(check_extension(&r, false, 1), Ok(()));
    assert_eq!(
        check_extension(&r, false, 0),
        Err(DeadlineError::ExtensionZero)
    );
    assert_eq!(
        check_extension(&r, false, 31),
        Err(DeadlineError::ExtensionTooLong { max: 30, got: 31 })
    );
    assert_eq!(
        check_extension(&r, true, 10),
        Err(DeadlineError::AlreadyExtended)
    );
    let short = DeadlineRules {
        max_extension_days: 15,
        ..DeadlineRules::default()
    };
    assert_eq!(
        check_extension(&short, false, 16),
        Err(DeadlineError::ExtensionTooLong { max: 15, got: 16 })
    );
}

#[test]
fn extended_deadline_never_exceeds_base_plus_30_under_preceding() {
    let cal = cal();
    let mut start = d(2024, 1, 1);
    while start <= d(2026, 10, 1) {
        let p = consideration_deadline(&cal, &rules(P), start, false, Some(&ext(30)));
        assert!(days_between(start, p.due) <= 60, "{}", p.text);
        assert!(p.due <= p.nominal && cal.is_working_day(p.due));
        let f = consideration_deadline(&cal, &rules(F), start, false, Some(&ext(30)));
        assert!(f.due >= f.nominal && cal.is_working_day(f.due));
        start = start + Days::new(1);
    }
}

#[test]
fn registration_lateness() {
    let cal = cal();
    let p = rules(P);
    // Received Friday 7 Mar 2025; deadline Monday 10 Mar (Fri + 3 calendar days).
    assert!(!is_registration_late(
        &cal,
        &p,
        d(2025, 3, 7),
        d(2025, 3, 10)
    ));
    assert!(is_registration_late(
        &cal,
        &p,
        d(2025, 3, 7),
        d(2025, 3, 11)
    ));
    // Received Friday 14 Mar 2025 (ordinary week): Monday 17 Mar is on time.
    assert!(!is_registration_late(
        &cal,
        &p,
        d(2025, 3, 14),
        d(2025, 3, 17)
    ));
    // Received Thursday 6 Mar 2025: + 3 = Sunday 9 Mar → Friday 7 Mar under Preceding,
    // so Monday 10 Mar is late; under Following it is on time.
    assert!(is_registration_late(
        &cal,
        &p,
        d(2025, 3, 6),
        d(2025, 3, 10)
    ));
    assert!(!is_registration_late(
        &cal,
        &rules(F),
        d(2025, 3, 6),
        d(2025, 3, 10)
    ));
    // Registered the same day it arrived.
    assert!(!is_registration_late(
        &cal,
        &p,
        d(2025, 3, 6),
        d(2025, 3, 6)
    ));
}

#[test]
fn days_between_is_signed() {
    assert_eq!(days_between(d(2025, 3, 3), d(2025, 4, 2)), 30);
    assert_eq!(days_between(d(2025, 4, 2), d(2025, 3, 3)), -30);
    assert_eq!(days_between(d(2024, 2, 28), d(2024, 3, 1)), 2);
}

#[test]
fn rules_deserialize_with_defaults() {
    let r: DeadlineRules =
        toml::from_str("shift = \"following\"\ninternal_control_days_before = 3\n").unwrap();
    assert_eq!(r.shift, ShiftRule::Following);
    assert_eq!(r.internal_control_days_before, 3);
    assert_eq!(r.consideration_days, 30);
    assert_eq!(r.migration_days, 20);
    assert_eq!(r.max_extension_days, 30);
    let r: DeadlineRules = toml::from_str("").unwrap();
    assert_eq!(r, DeadlineRules::default());
    assert_eq!(ShiftRule::default(), ShiftRule::Preceding);
    assert!(toml::from_str::<DeadlineRules>("shift = \"next\"").is_err());
}

/// A regime of `days` calendar days (e.g. Добродел, 8) with its own citation.
fn regime(days: u32, basis: &str) -> DeadlineRules {
    DeadlineRules {
        consideration_days: days,
        consideration_basis: basis.into(),
        ..DeadlineRules::default()
    }
}

#[test]
fn registration_received_in_new_year_block_is_not_late_at_birth() {
    let cal = cal();
    // Received Friday 2 Jan 2026 + 3 = 5 Jan (off); the preceding working day would be
    // 30 Dec 2025, before receipt → the following working day, Monday 12 Jan 2026.
    let reg = registration_deadline(&cal, &rules(P), d(2026, 1, 2));
    assert_eq!(reg.due, d(2026, 1, 12), "{}", reg.text);
    assert!(reg.moved_forward_past_start);
    assert_eq!(reg.nominal, d(2026, 1, 5));
    assert_eq!(
        reg.moved_over,
        (5..=11).map(|n| d(2026, 1, n)).collect::<Vec<_>>()
    );
    assert_eq!(
        reg.text,
        "Поступило 02.01.2026; 3 дня (ч. 2 ст. 8 59-ФЗ, регистрация) → 05.01.2026 — нерабочий \
         день (05.01, 06.01, 07.01, 08.01, 09.01, 10.01, 11.01); предшествующий рабочий день \
         30.12.2025 приходится на день начала срока (02.01.2026) или раньше, поэтому срок \
         перенесён на следующий рабочий день 12.01.2026."
    );
    // Registered the same day, or on the first working day: on time; a day later: late.
    assert!(!is_registration_late(
        &cal,
        &rules(P),
        d(2026, 1, 2),
        d(2026, 1, 2)
    ));
    assert!(!is_registration_late(
        &cal,
        &rules(P),
        d(2026, 1, 2),
        d(2026, 1, 12)
    ));
    assert!(is_registration_late(
        &cal,
        &rules(P),
        d(2026, 1, 2),
        d(2026, 1, 13)
    ));
    // Received 31 Dec 2025 + 3 = 3 Jan → the same guard.
    let reg = registration_deadline(&cal, &rules(P), d(2025, 12, 31));
    assert_eq!(reg.due, d(2026, 1, 12), "{}", reg.text);
    // The Following rule reaches the same day without the guard.
    let f = registration_deadline(&cal, &rules(F), d(2026, 1, 2));
    assert_eq!(f.due, d(2026, 1, 12));
    assert!(!f.moved_forward_past_start);
    assert!(!f.text.contains("день начала срока"), "{}", f.text);
}

#[test]
fn forwarding_from_the_year_end_is_possible_on_time() {
    let cal = cal();
    // Registered 30 Dec 2025 – 2 Jan 2026: + 7 lands in 6–9 Jan 2026; the preceding working
    // day is 30 Dec 2025, on or before registration → Monday 12 Jan 2026.
    for start in [
        d(2025, 12, 30),
        d(2025, 12, 31),
        d(2026, 1, 1),
        d(2026, 1, 2),
    ] {
        let f = forwarding_deadline(&cal, &rules(P), start);
        assert_eq!(f.due, d(2026, 1, 12), "{start}: {}", f.text);
        assert!(f.moved_forward_past_start, "{start}");
        assert!(
            f.text.contains("следующий рабочий день 12.01.2026"),
            "{}",
            f.text
        );
        assert!(f.text.contains("7 дней (ч. 3 ст. 8 59-ФЗ"), "{}", f.text);
    }
    // Registered 29 Dec 2025: 5 Jan → preceding 30 Dec 2025 is after registration: stays.
    let f = forwarding_deadline(&cal, &rules(P), d(2025, 12, 29));
    assert_eq!(f.due, d(2025, 12, 30));
    assert!(!f.moved_forward_past_start);
    // Art. 11 notice, registered 31 Dec 2025: 7 Jan → 12 Jan 2026 (same signature as before).
    let a = art11_notice_deadline(&cal, &rules(P), d(2025, 12, 31));
    assert_eq!(a.due, d(2026, 1, 12), "{}", a.text);
    assert!(a.text.contains("ст. 11 59-ФЗ"), "{}", a.text);
}

#[test]
fn short_regime_registered_in_new_year_block_is_not_overdue_at_birth() {
    let cal = cal();
    let dobrodel = regime(8, "Добродел — регламент портала «Добродел»");
    // 2 Jan 2026 + 8 = 10 Jan (off) → preceding 30 Dec 2025 → following Monday 12 Jan.
    let dl = consideration_deadline(&cal, &dobrodel, d(2026, 1, 2), false, None);
    assert_eq!(dl.due, d(2026, 1, 12), "{}", dl.text);
    assert!(dl.moved_forward_past_start);
    assert!(dl.text.starts_with("Зарегистрировано 02.01.2026; 8 дней (Добродел — регламент портала «Добродел») → 10.01.2026"), "{}", dl.text);
    assert!(!dl.text.contains("59-ФЗ"), "{}", dl.text);
    assert_eq!(dl.basis, "Добродел — регламент портала «Добродел»");
    // Control date 3 days before: 9 Jan (off) → preceding 30 Dec is before registration →
    // the first working day after it, 12 Jan, never later than the deadline.
    let mut r = dobrodel.clone();
    r.internal_control_days_before = 3;
    let dl = consideration_deadline(&cal, &r, d(2026, 1, 2), false, None);
    assert_eq!(dl.control_date, Some(d(2026, 1, 12)), "{}", dl.text);
    assert!(
        dl.text.contains("назначен на следующий рабочий день"),
        "{}",
        dl.text
    );
    // 30-day consideration: 1 Feb 2026 (Sunday) → Friday 30 Jan; control 3 days before:
    // Tuesday 27 Jan — well after registration, unaffected.
    let mut r = rules(P);
    r.internal_control_days_before = 3;
    let dl = consideration_deadline(&cal, &r, d(2026, 1, 2), false, None);
    assert_eq!(dl.due, d(2026, 1, 30));
    assert_eq!(dl.control_date, Some(d(2026, 1, 27)));
    assert!(!dl.moved_forward_past_start);
}

#[test]
fn no_deadline_ever_lands_on_or_before_its_start() {
    let cal = cal();
    let short = regime(1, "тест");
    let mut start = d(2024, 1, 1);
    while start <= d(2027, 12, 31) {
        for shift in [P, F] {
            let r = rules(shift);
            let mut s = short.clone();
            s.shift = shift;
            s.internal_control_days_before = 5;
            for dl in [
                registration_deadline(&cal, &r, start),
                forwarding_deadline(&cal, &r, start),
                art11_notice_deadline(&cal, &r, start),
                consideration_deadline(&cal, &r, start, false, None),
                consideration_deadline(&cal, &s, start, false, None),
            ] {
                assert!(dl.due > start, "{start} {shift:?}: {}", dl.text);
                assert!(cal.is_working_day(dl.due), "{}", dl.text);
                if let Some(c) = dl.control_date {
                    assert!(
                        c > start && c <= dl.due && cal.is_working_day(c),
                        "{}",
                        dl.text
                    );
                }
            }
        }
        start = start + Days::new(1);
    }
}

#[test]
fn consideration_basis_is_configurable_and_defaults_to_art12() {
    let cal = cal();
    let pos = regime(
        10,
        "сообщение ПОС — постановление Правительства РФ от 10.11.2020 № 1802",
    );
    let dl = consideration_deadline(&cal, &pos, d(2025, 3, 3), false, None);
    assert_eq!(
        dl.text,
        "Зарегистрировано 03.03.2025; 10 дней (сообщение ПОС — постановление Правительства РФ \
         от 10.11.2020 № 1802) → 13.03.2025."
    );
    // A migration case keeps its own 59-FZ rule.
    let m = consideration_deadline(&cal, &pos, d(2025, 3, 3), true, None);
    assert!(m.text.contains("ч. 1.1 ст. 12 59-ФЗ"), "{}", m.text);
    assert_eq!(DeadlineRules::default().consideration_basis, "ст. 12 59-ФЗ");
}

#[test]
fn regimes_name_themselves_and_their_rule() {
    let cal = cal();
    let base = rules(P);
    let pos = regime_rules(&base, "pos_message", Some(10), Some("постановление № 1802"));
    let dl = consideration_deadline(&cal, &pos, d(2025, 3, 3), false, None);
    assert_eq!(
        dl.text,
        "Зарегистрировано 03.03.2025; 10 дней (сообщение ПОС: постановление № 1802) → 13.03.2025."
    );
    assert_eq!(pos.shift, P, "the shift rule and other periods stay");
    let other = regime_rules(&base, "other", Some(30), None);
    let dl = consideration_deadline(&cal, &other, d(2025, 4, 1), false, None);
    assert!(
        dl.text
            .contains("30 дней (иной порядок: срок по настройке органа)"),
        "{}",
        dl.text
    );
    assert!(!dl.text.contains("ст. 12 59-ФЗ"), "{}", dl.text);
    let unset = regime_rules(&base, "gis_zhkh", None, Some("x"));
    assert_eq!(unset.consideration_days, 30);
    assert_eq!(
        unset.consideration_basis,
        "ГИС ЖКХ: срок не настроен, применён срок ст. 12 59-ФЗ"
    );
    assert_eq!(regime_label("telegram"), "telegram");
}

#[test]
fn default_calendar_is_pure_fallback() {
    // With no files at all, 2025 uses the fallback: 2 May 2025 is an ordinary Friday, so
    // 2 Apr + 30 days extension → 2 May stays; the decree's day off is unknown.
    let cal = ProductionCalendar::default();
    let dl = consideration_deadline(&cal, &rules(P), d(2025, 3, 3), false, Some(&ext(30)));
    assert_eq!(dl.due, d(2025, 5, 2));
}
