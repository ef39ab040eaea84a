//! Deadlines of Federal Law 59-FZ, each with a Russian explanation of how it was computed.
//!
//! Every period is in calendar days counted from the day after the triggering date
//! (registered 3 March + 30 days = 2 April). A last day that is not a working day moves to
//! the preceding working day (default, the paperwork tradition) or to the next one
//! (Civil Code Art. 193), per [`ShiftRule`]. The preceding rule never puts a deadline on or
//! before the day that started it (a letter received on 2 January, inside the New Year block):
//! then the deadline moves to the following working day instead, and the explanation says so.

use chrono::{Days, NaiveDate};

use super::calendar::ProductionCalendar;

/// Where a deadline falling on a non-working day goes; configurable per deployment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShiftRule {
    /// Move to the nearest earlier working day (default).
    Preceding,
    /// Move to the nearest later working day (Civil Code Art. 193).
    Following,
}

impl Default for ShiftRule {
    /// The paperwork tradition of Russian bodies: the preceding working day.
    fn default() -> Self {
        ShiftRule::Preceding
    }
}

/// Deadline periods and shift rule, loaded from configuration (missing keys = 59-FZ values).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
#[serde(default)]
pub struct DeadlineRules {
    /// Consideration period, Art. 12 part 1 (30 days).
    pub consideration_days: u32,
    /// Consideration period for migration-law appeals to a region's top official, Art. 12 part 1.1 (20 days).
    pub migration_days: u32,
    /// Forwarding by competence, Art. 8 part 3 (7 days).
    pub forward_days: u32,
    /// Registration after receipt, Art. 8 part 2 (3 days).
    pub registration_days: u32,
    /// Notice that an unreadable appeal gets no answer, Art. 11 (7 days).
    pub art11_notice_days: u32,
    /// Longest single extension, Art. 12 part 2 (30 days).
    pub max_extension_days: u32,
    /// Where a non-working last day moves.
    pub shift: ShiftRule,
    /// Days before the legal deadline for the internal control date; 0 = no separate date.
    pub internal_control_days_before: u32,
    /// The rule the consideration period comes from, quoted in the explanation: «ст. 12 59-ФЗ»
    /// for 59-FZ appeals; another regime names itself and its configured rule (see
    /// `AppState::rules_for`), so a ПОС message never cites Art. 12.
    pub consideration_basis: String,
}

impl Default for DeadlineRules {
    /// The periods of 59-FZ, shift to the preceding working day, no internal control date.
    fn default() -> Self {
        DeadlineRules {
            consideration_days: 30,
            migration_days: 20,
            forward_days: 7,
            registration_days: 3,
            art11_notice_days: 7,
            max_extension_days: 30,
            shift: ShiftRule::Preceding,
            internal_control_days_before: 0,
            consideration_basis: BASIS_CONSIDERATION.to_owned(),
        }
    }
}

/// A decision to extend consideration (Art. 12 part 2), as recorded on the card.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Extension {
    /// Calendar days added (1..=max_extension_days; validate with [`check_extension`]).
    pub days: u32,
    /// Why, e.g. a documents request to another body.
    pub reason: String,
    /// The head or authorized official who decided.
    pub decided_by: String,
    /// Date of the decision.
    pub decided_on: NaiveDate,
}

/// A computed deadline with everything needed to explain it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Deadline {
    /// The final deadline.
    pub due: NaiveDate,
    /// The triggering date (registration, or receipt for the registration deadline).
    pub start: NaiveDate,
    /// Calendar days counted (base period).
    pub days: u32,
    /// Extension days added; 0 if not extended.
    pub extension_days: u32,
    /// `start + days + extension_days` before any shift.
    pub nominal: NaiveDate,
    /// Non-working days the shift skipped, in the order visited.
    pub moved_over: Vec<NaiveDate>,
    /// The configured shift rule.
    pub shift: ShiftRule,
    /// True when the preceding working day would have fallen on or before `start`, so the
    /// deadline went to the following working day instead (never due at birth).
    pub moved_forward_past_start: bool,
    /// The rule the period comes from (e.g. «ст. 12 59-ФЗ», or a regime and its configured rule).
    pub basis: String,
    /// Internal control date (a working day after `start`), if configured.
    pub control_date: Option<NaiveDate>,
    /// Russian explanation for the card and the applicant.
    pub text: String,
}

/// Why an extension request is refused (Art. 12 part 2: once, at most 30 days).
#[derive(thiserror::Error, Debug, PartialEq, Eq)]
pub enum DeadlineError {
    /// More days than the law (or configuration) allows.
    #[error("продление не более чем на {max} дн. (запрошено {got})")]
    ExtensionTooLong {
        /// The configured maximum.
        max: u32,
        /// The requested days.
        got: u32,
    },
    /// An extension of zero days is meaningless.
    #[error("срок продления должен быть не менее 1 дня")]
    ExtensionZero,
    /// The consideration period may be extended only once.
    #[error(
        "срок рассмотрения уже продлевался; повторное продление не допускается (ч. 2 ст. 12 59-ФЗ)"
    )]
    AlreadyExtended,
}

/// Legal basis quoted in explanations.
/// The 59-FZ consideration rule, the default of [`DeadlineRules::consideration_basis`].
pub const BASIS_CONSIDERATION: &str = "ст. 12 59-ФЗ";
const BASIS_MIGRATION: &str = "ч. 1.1 ст. 12 59-ФЗ, нарушение миграционного законодательства";
const BASIS_FORWARD: &str = "ч. 3 ст. 8 59-ФЗ, направление по компетенции";
const BASIS_ART11: &str = "ст. 11 59-ФЗ, уведомление заявителя";
const BASIS_REGISTRATION: &str = "ч. 2 ст. 8 59-ФЗ, регистрация";

fn fmt_date(d: NaiveDate) -> String {
    d.format("%d.%m.%Y").to_string()
}

fn fmt_day_month(d: NaiveDate) -> String {
    d.format("%d.%m").to_string()
}

/// «1 день», «3 дня», «30 дней».
fn days_word(n: u32) -> String {
    let word = match (n % 10, n % 100) {
        (_, 11..=14) => "дней",
        (1, _) => "день",
        (2..=4, _) => "дня",
        _ => "дней",
    };
    format!("{n} {word}")
}

/// Moves a non-working `nominal` to a working day; returns the day and the days skipped.
fn shift_to_working(
    cal: &ProductionCalendar,
    nominal: NaiveDate,
    rule: ShiftRule,
) -> (NaiveDate, Vec<NaiveDate>) {
    let mut d = nominal;
    let mut skipped = Vec::new();
    // A year has far fewer than 400 consecutive days off; the bound only guards bad data.
    while !cal.is_working_day(d) && skipped.len() < 400 {
        skipped.push(d);
        d = match rule {
            ShiftRule::Preceding => d - Days::new(1),
            ShiftRule::Following => d + Days::new(1),
        };
    }
    (d, skipped)
}

/// Where a non-working `nominal` goes under `rule`, never onto or before `start`: when the
/// preceding working day is not after `start`, the following one is taken instead.
/// Returns the day, the days skipped, and whether that guard applied.
fn shift_after_start(
    cal: &ProductionCalendar,
    start: NaiveDate,
    nominal: NaiveDate,
    rule: ShiftRule,
) -> (NaiveDate, Vec<NaiveDate>, bool) {
    let (due, skipped) = shift_to_working(cal, nominal, rule);
    if rule == ShiftRule::Preceding && !skipped.is_empty() && due <= start {
        let (due, skipped) = shift_to_working(cal, nominal, ShiftRule::Following);
        return (due, skipped, true);
    }
    (due, skipped, false)
}

/// The internal control date: the working day `before` days ahead of `due`, or earlier — but
/// always after `start` and never after `due`. The flag says the start guard moved it forward.
fn control_date(
    cal: &ProductionCalendar,
    start: NaiveDate,
    due: NaiveDate,
    before: u32,
) -> Option<(NaiveDate, bool)> {
    if before == 0 {
        return None;
    }
    let target = due - Days::new(u64::from(before));
    let (d, _) = shift_to_working(cal, target, ShiftRule::Preceding);
    if d > start {
        return Some((d, false));
    }
    let from = target.max(start + Days::new(1));
    let (d, _) = shift_to_working(cal, from, ShiftRule::Following);
    Some((d.min(due), true))
}

/// Shared computation: base period, optional extension, shift, control date, text.
#[allow(clippy::too_many_arguments)]
fn compute(
    cal: &ProductionCalendar,
    rules: &DeadlineRules,
    start: NaiveDate,
    start_label: &str,
    days: u32,
    basis: &str,
    extension: Option<&Extension>,
    with_control: bool,
) -> Deadline {
    let base = start + Days::new(u64::from(days));
    let mut text = format!(
        "{start_label} {}; {} ({basis}) → {}",
        fmt_date(start),
        days_word(days),
        fmt_date(base)
    );
    let extension_days = extension.map_or(0, |e| e.days);
    let nominal = base + Days::new(u64::from(extension_days));
    if let Some(e) = extension {
        text.push_str(&format!(
            ". Продлено на {}: {} (решение: {}, {}) → {}",
            days_word(e.days),
            e.reason.trim().trim_end_matches('.'),
            e.decided_by.trim(),
            fmt_date(e.decided_on),
            fmt_date(nominal)
        ));
    }
    let (due, moved_over, forward_past_start) = shift_after_start(cal, start, nominal, rules.shift);
    if moved_over.is_empty() {
        text.push('.');
    } else {
        let mut listed = moved_over.clone();
        listed.sort();
        let listed: Vec<String> = listed.into_iter().map(fmt_day_month).collect();
        if forward_past_start {
            let (preceding, _) = shift_to_working(cal, nominal, ShiftRule::Preceding);
            text.push_str(&format!(
                " — нерабочий день ({}); предшествующий рабочий день {} приходится на день начала \
                 срока ({}) или раньше, поэтому срок перенесён на следующий рабочий день {}.",
                listed.join(", "),
                fmt_date(preceding),
                fmt_date(start),
                fmt_date(due)
            ));
        } else {
            let direction = match rules.shift {
                ShiftRule::Preceding => "предшествующий рабочий день",
                ShiftRule::Following => "следующий рабочий день (ст. 193 ГК РФ)",
            };
            text.push_str(&format!(
                " — нерабочий день ({}); срок перенесён на {direction} {}.",
                listed.join(", "),
                fmt_date(due)
            ));
        }
    }
    let control = if with_control {
        control_date(cal, start, due, rules.internal_control_days_before)
    } else {
        None
    };
    match control {
        Some((c, false)) => text.push_str(&format!(
            " Внутренний контрольный срок: {} (за {} до срока, на рабочий день).",
            fmt_date(c),
            days_word(rules.internal_control_days_before)
        )),
        Some((c, true)) => text.push_str(&format!(
            " Внутренний контрольный срок: {} (за {} до срока пришёлся бы на день начала срока \
             или раньше — назначен на следующий рабочий день, не позже срока).",
            fmt_date(c),
            days_word(rules.internal_control_days_before)
        )),
        None => {}
    }
    Deadline {
        due,
        start,
        days,
        extension_days,
        nominal,
        moved_over,
        shift: rules.shift,
        moved_forward_past_start: forward_past_start,
        basis: basis.to_owned(),
        control_date: control.map(|(c, _)| c),
        text,
    }
}

/// Consideration deadline (Art. 12): 30 days from registration, 20 for migration cases,
/// plus an extension if granted (validate it first with [`check_extension`]); the control
/// date, if configured, is attached here.
pub fn consideration_deadline(
    cal: &ProductionCalendar,
    rules: &DeadlineRules,
    registered_on: NaiveDate,
    migration_case: bool,
    extension: Option<&Extension>,
) -> Deadline {
    let (days, basis) = if migration_case {
        (rules.migration_days, BASIS_MIGRATION)
    } else {
        (rules.consideration_days, rules.consideration_basis.as_str())
    };
    compute(
        cal,
        rules,
        registered_on,
        "Зарегистрировано",
        days,
        basis,
        extension,
        true,
    )
}

/// Validates an extension request: once only, 1..=max_extension_days days.
pub fn check_extension(
    rules: &DeadlineRules,
    already_extended: bool,
    days: u32,
) -> Result<(), DeadlineError> {
    if already_extended {
        return Err(DeadlineError::AlreadyExtended);
    }
    if days == 0 {
        return Err(DeadlineError::ExtensionZero);
    }
    if days > rules.max_extension_days {
        return Err(DeadlineError::ExtensionTooLong {
            max: rules.max_extension_days,
            got: days,
        });
    }
    Ok(())
}

/// Deadline to forward an appeal by competence and tell the applicant (Art. 8 part 3, 7 days).
pub fn forwarding_deadline(
    cal: &ProductionCalendar,
    rules: &DeadlineRules,
    registered_on: NaiveDate,
) -> Deadline {
    compute(
        cal,
        rules,
        registered_on,
        "Зарегистрировано",
        rules.forward_days,
        BASIS_FORWARD,
        None,
        false,
    )
}

/// Deadline to tell the applicant an unreadable appeal gets no answer (Art. 11, 7 days).
pub fn art11_notice_deadline(
    cal: &ProductionCalendar,
    rules: &DeadlineRules,
    registered_on: NaiveDate,
) -> Deadline {
    compute(
        cal,
        rules,
        registered_on,
        "Зарегистрировано",
        rules.art11_notice_days,
        BASIS_ART11,
        None,
        false,
    )
}

/// Deadline to register an appeal after receipt (Art. 8 part 2, 3 days).
pub fn registration_deadline(
    cal: &ProductionCalendar,
    rules: &DeadlineRules,
    received_on: NaiveDate,
) -> Deadline {
    compute(
        cal,
        rules,
        received_on,
        "Поступило",
        rules.registration_days,
        BASIS_REGISTRATION,
        None,
        false,
    )
}

/// Whether registration happened after the registration deadline (for control reports).
pub fn is_registration_late(
    cal: &ProductionCalendar,
    rules: &DeadlineRules,
    received_on: NaiveDate,
    registered_on: NaiveDate,
) -> bool {
    registered_on > registration_deadline(cal, rules, received_on).due
}

/// The Russian name of a legal regime in explanations (`fz59`, `pos_message`, …); unknown
/// codes are shown as given.
pub fn regime_label(code: &str) -> &str {
    match code {
        "fz59" => "обращение по 59-ФЗ",
        "pos_message" => "сообщение ПОС",
        "dobrodel" => "Добродел",
        "gis_zhkh" => "ГИС ЖКХ",
        "info_request" => "запрос информации (8-ФЗ)",
        "other" => "иной порядок",
        other => other,
    }
}

/// The consideration rules of a regime outside 59-FZ: its configured `days` and a basis that
/// names the regime and its configured `citation`, so the explanation never cites Art. 12 for
/// it. Without configured days the 59-FZ period applies, and the explanation says so.
pub fn regime_rules(
    base: &DeadlineRules,
    regime_code: &str,
    days: Option<u32>,
    citation: Option<&str>,
) -> DeadlineRules {
    let mut rules = base.clone();
    let label = regime_label(regime_code);
    match days {
        Some(days) => {
            rules.consideration_days = days;
            let citation = citation
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .unwrap_or("срок по настройке органа");
            rules.consideration_basis = format!("{label}: {citation}");
        }
        None => {
            rules.consideration_basis =
                format!("{label}: срок не настроен, применён срок {BASIS_CONSIDERATION}");
        }
    }
    rules
}

/// Signed calendar days from `from` to `to`, for "due within N days" filters.
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

#[cfg(test)]
mod tests;
