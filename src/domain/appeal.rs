//! The registration card (docs/domain.md §1): the input a clerk submits and the rules that check it.

use super::channels::Catalog;
use super::classifier;
use super::validation::{is_email, is_phone, is_russian_zone_email, Errors, FieldError};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Paper, electronic or oral; "written" in reports means paper plus electronic.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// On paper.
    Written,
    /// Electronic.
    Electronic,
    /// Oral (personal reception, phone).
    Oral,
}

/// Kind of appeal under Art. 4 of 59-FZ.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Предложение.
    Proposal,
    /// Заявление.
    Statement,
    /// Жалоба.
    Complaint,
    /// Иное: запрос, благодарность.
    Other,
}

/// The legal regime drives deadlines and SSTU reporting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LegalRegime {
    /// Federal Law 59-FZ (default).
    Fz59,
    /// A ПОС message outside 59-FZ.
    PosMessage,
    /// Добродел.
    Dobrodel,
    /// ГИС ЖКХ.
    GisZhkh,
    /// Information request under 8-FZ.
    InfoRequest,
    /// Outside any of the above (e.g. e-mail after 30.03.2025).
    Other,
}

/// How the answer goes back to the applicant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReplyChannel {
    /// Почтой.
    Post,
    /// По электронной почте.
    Email,
    /// В личный кабинет ЕПГУ.
    Epgu,
    /// Лично в руки.
    ByHand,
}

/// Whether the official of a personal reception is the head or a deputy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OfficialRole {
    /// Глава.
    Head,
    /// Заместитель.
    Deputy,
}

/// Per-question result, as SSTU.RF knows them (docs/domain.md §6).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum QuestionResult {
    /// Поддержано.
    Supported,
    /// Поддержано, меры приняты.
    SupportedMeasuresTaken,
    /// Разъяснено.
    Explained,
    /// Не поддержано.
    NotSupported,
    /// Дан ответ автору.
    Answered,
    /// Оставлено без ответа автору.
    LeftWithoutAnswer,
    /// Направлено по компетенции.
    Transferred,
}

macro_rules! codes {
    ($t:ty { $($v:ident => $s:literal),* $(,)? }) => {
        impl $t {
            /// The stored and API code.
            pub fn as_str(self) -> &'static str { match self { $(Self::$v => $s),* } }
            /// Parses a stored code.
            pub fn parse(s: &str) -> Option<Self> { match s { $($s => Some(Self::$v),)* _ => None } }
        }
    };
}
codes!(Form { Written => "written", Electronic => "electronic", Oral => "oral" });
codes!(Kind { Proposal => "proposal", Statement => "statement", Complaint => "complaint", Other => "other" });
codes!(LegalRegime { Fz59 => "fz59", PosMessage => "pos_message", Dobrodel => "dobrodel", GisZhkh => "gis_zhkh", InfoRequest => "info_request", Other => "other" });
codes!(ReplyChannel { Post => "post", Email => "email", Epgu => "epgu", ByHand => "by_hand" });
codes!(OfficialRole { Head => "head", Deputy => "deputy" });
codes!(QuestionResult {
    Supported => "supported", SupportedMeasuresTaken => "supported_measures_taken", Explained => "explained",
    NotSupported => "not_supported", Answered => "answered", LeftWithoutAnswer => "left_without_answer", Transferred => "transferred",
});

impl QuestionResult {
    /// Russian label as in SSTU.RF.
    pub fn label(self) -> &'static str {
        match self {
            Self::Supported => "Рассмотрено. Поддержано",
            Self::SupportedMeasuresTaken => "Рассмотрено. Поддержано, меры приняты",
            Self::Explained => "Рассмотрено. Разъяснено",
            Self::NotSupported => "Рассмотрено. Не поддержано",
            Self::Answered => "Дан ответ автору",
            Self::LeftWithoutAnswer => "Оставлено без ответа автору",
            Self::Transferred => "Направлено по компетенции",
        }
    }
}

/// A citizen or organization who signed the appeal.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicantInput {
    /// Full name (ФИО) or the organization's name.
    pub full_name: String,
    /// Postal address for the answer.
    #[serde(default)]
    pub postal_address: Option<String>,
    /// E-mail for the answer.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// ЕПГУ (Госуслуги) account id.
    #[serde(default)]
    pub epgu_id: Option<String>,
    /// True for an association or organization (Art. 2).
    #[serde(default)]
    pub is_organization: bool,
}

/// One question of the appeal, keyed by its classifier code.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuestionInput {
    /// Full classifier code, e.g. `0003.0009.0097.0699`.
    pub code: String,
    /// The question in the applicant's words.
    #[serde(default)]
    pub text: Option<String>,
}

/// The body that forwarded the appeal with a cover letter.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SourceInput {
    /// Name of the forwarding body.
    pub organization: String,
    /// Cover letter number.
    #[serde(default)]
    pub number: Option<String>,
    /// Cover letter date.
    #[serde(default)]
    pub date: Option<NaiveDate>,
}

/// Who held the personal reception, and when.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReceptionInput {
    /// The official's name.
    pub official: String,
    /// Head or deputy.
    pub official_role: OfficialRole,
    /// Date of the reception.
    pub held_on: NaiveDate,
}

/// The registration body (docs/api.md); imports add `registered_at` and `reg_number`.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDraft {
    /// Channel code from `GET /api/v1/channels`.
    pub channel: String,
    /// Form.
    pub form: Form,
    /// Kind.
    pub kind: Kind,
    /// When the body received the appeal.
    pub received_on: NaiveDate,
    /// Legal regime; default 59-FZ (or what config says for late e-mail).
    #[serde(default)]
    pub legal_regime: Option<LegalRegime>,
    /// Applicants; empty or absent means anonymous.
    #[serde(default)]
    pub applicants: Vec<ApplicantInput>,
    /// Collective appeal of two or more citizens.
    #[serde(default)]
    pub collective: bool,
    /// Number of signatures of a collective appeal.
    #[serde(default)]
    pub signatures: Option<u32>,
    /// Text or précis.
    pub summary: String,
    /// Questions, at least one.
    pub questions: Vec<QuestionInput>,
    /// How the answer is sent.
    #[serde(default)]
    pub reply_channel: Option<ReplyChannel>,
    /// Required for `forwarded`.
    #[serde(default)]
    pub source: Option<SourceInput>,
    /// Id in ПОС, Добродел, ГИС ЖКХ: unique per channel.
    #[serde(default)]
    pub external_id: Option<String>,
    /// Required for `personal_reception`.
    #[serde(default)]
    pub reception: Option<ReceptionInput>,
    /// Migration-law violation sent to a region's top official: 20-day deadline.
    #[serde(default)]
    pub migration_case: bool,
    /// Imports only: when the legacy registry registered it.
    #[serde(default)]
    pub registered_at: Option<DateTime<Utc>>,
    /// Imports only: the legacy registration number to keep.
    #[serde(default)]
    pub reg_number: Option<String>,
}

/// What deployments decide about e-mail after 547-FZ (docs/domain.md §2).
#[derive(Clone, Debug, Deserialize)]
pub struct EmailRule {
    /// Last day an e-mail letter counts under 59-FZ.
    pub fz59_until: NaiveDate,
    /// What a later letter becomes: a legal regime code, or `refuse`.
    pub after: String,
}

impl Default for EmailRule {
    fn default() -> Self {
        Self { fz59_until: NaiveDate::from_ymd_opt(2025, 3, 29).expect("valid date"), after: "other".into() }
    }
}

/// What validation needs to know about the world.
pub struct Context<'a> {
    /// Today in the organization's time zone.
    pub today: NaiveDate,
    /// The organization-local date of an instant: an imported `registered_at` is judged by it, as the deadline is.
    pub local_date: &'a dyn Fn(DateTime<Utc>) -> NaiveDate,
    /// Channel catalog.
    pub channels: &'a Catalog,
    /// Whether a classifier code exists.
    pub code_exists: &'a dyn Fn(&str) -> bool,
    /// E-mail channel rule.
    pub email_rule: &'a EmailRule,
    /// Imports may carry `registered_at` and `reg_number`.
    pub import: bool,
}

/// Facts derived from a valid draft that the store records.
#[derive(Clone, Debug, PartialEq)]
pub struct Derived {
    /// Effective legal regime.
    pub legal_regime: LegalRegime,
    /// No surname, or no address for the answer (Art. 11).
    pub anonymous: bool,
    /// Signed by an organization rather than citizens.
    pub from_organization: bool,
}

/// Longest summary accepted: a long letter's full text fits.
pub const MAX_SUMMARY: usize = 100_000;
/// Most questions one card holds.
pub const MAX_QUESTIONS: usize = 100;
/// Most applicants one card holds (collective appeals list signatories separately).
pub const MAX_APPLICANTS: usize = 1_000;

/// Checks a draft against docs/domain.md §1–2 and returns what follows from it, or every field error.
pub fn validate(d: &AppealDraft, ctx: &Context) -> Result<Derived, Vec<FieldError>> {
    let mut e = Errors::default();
    if let Some(why) = ctx.channels.refusal(&d.channel, d.received_on) {
        e.add("channel", why);
    }
    let registered_on = d.registered_at.map(ctx.local_date).unwrap_or(ctx.today);
    if d.received_on > ctx.today {
        e.add("received_on", "дата поступления не может быть в будущем");
    } else if d.received_on < NaiveDate::from_ymd_opt(1992, 1, 1).expect("valid") {
        e.add("received_on", "дата поступления слишком ранняя");
    } else if d.received_on > registered_on {
        e.add("received_on", "дата поступления позже даты регистрации");
    }
    if !ctx.import {
        if d.registered_at.is_some() {
            e.add("registered_at", "указывается только при импорте");
        }
        if d.reg_number.is_some() {
            e.add("reg_number", "номер присваивается при регистрации; указывается только при импорте");
        }
    } else {
        if let Some(at) = d.registered_at {
            if (ctx.local_date)(at) > ctx.today {
                e.add("registered_at", "дата регистрации не может быть в будущем");
            }
        }
        if let Some(n) = &d.reg_number {
            e.text("reg_number", n, 64);
        }
    }
    e.text("summary", &d.summary, MAX_SUMMARY);
    if d.questions.is_empty() {
        e.add("questions", "нужен хотя бы один вопрос");
    } else if d.questions.len() > MAX_QUESTIONS {
        e.add("questions", format!("не больше {MAX_QUESTIONS} вопросов"));
    }
    for (i, q) in d.questions.iter().enumerate() {
        if !classifier::is_code_shape(&q.code) {
            e.add(format!("questions[{i}].code"), "код классификатора имеет вид 0000.0000.0000.0000");
        } else if !classifier::is_question_level(&q.code) {
            e.add(
                format!("questions[{i}].code"),
                format!("{} — раздел, тематика или тема; вопрос кодируется кодом вопроса (4 сегмента) или подвопроса (5)", q.code),
            );
        } else if !(ctx.code_exists)(&q.code) {
            e.add(format!("questions[{i}].code"), format!("код {} отсутствует в классификаторе", q.code));
        }
        if let Some(t) = &q.text {
            e.max_len(&format!("questions[{i}].text"), t, 4000);
        }
    }
    if d.applicants.len() > MAX_APPLICANTS {
        e.add("applicants", format!("не больше {MAX_APPLICANTS} заявителей"));
    }
    for (i, a) in d.applicants.iter().enumerate() {
        let p = format!("applicants[{i}].");
        e.text(&format!("{p}full_name"), &a.full_name, 500);
        if let Some(v) = &a.postal_address {
            e.max_len(&format!("{p}postal_address"), v, 1000);
        }
        if let Some(v) = &a.email {
            if !is_email(v) {
                e.add(format!("{p}email"), "некорректный адрес электронной почты");
            }
        }
        if let Some(v) = &a.phone {
            if !is_phone(v) {
                e.add(format!("{p}phone"), "некорректный номер телефона");
            }
        }
        if let Some(v) = &a.epgu_id {
            e.max_len(&format!("{p}epgu_id"), v, 100);
        }
    }
    match d.signatures {
        Some(n) if !d.collective => e.add("signatures", format!("подписи ({n}) указываются только для коллективного обращения")),
        Some(n) if n < 2 => e.add("signatures", "коллективное обращение подписывают не меньше двух граждан"),
        Some(n) if n > 1_000_000 => e.add("signatures", "слишком много подписей"),
        _ => {}
    }
    if d.reply_channel == Some(ReplyChannel::Email) {
        let emails: Vec<&str> = d.applicants.iter().filter_map(|a| a.email.as_deref()).collect();
        if emails.is_empty() {
            e.add("reply_channel", "для ответа по электронной почте нужен адрес заявителя");
        } else if d.received_on > ctx.email_rule.fz59_until && !emails.iter().any(|m| is_russian_zone_email(m)) {
            e.add("applicants[0].email", "ответ по электронной почте направляется только на адрес в зоне .ru или .рф (547-ФЗ)");
        }
    }
    match (&d.source, d.channel.as_str()) {
        (None, "forwarded") => e.add("source", "для перенаправленного обращения укажите орган и сопроводительное письмо"),
        (Some(s), _) => {
            e.text("source.organization", &s.organization, 500);
            if let Some(n) = &s.number {
                e.max_len("source.number", n, 100);
            }
            if s.date.is_some_and(|sd| sd > d.received_on) {
                e.add("source.date", "сопроводительное письмо не может быть позже даты поступления");
            }
        }
        _ => {}
    }
    match (&d.reception, d.channel.as_str()) {
        (None, "personal_reception") => e.add("reception", "для личного приёма укажите должностное лицо и дату приёма"),
        (Some(r), _) => {
            e.text("reception.official", &r.official, 300);
            if r.held_on > ctx.today {
                e.add("reception.held_on", "дата приёма не может быть в будущем");
            }
        }
        _ => {}
    }
    if let Some(x) = &d.external_id {
        e.text("external_id", x, 200);
    }
    let mut legal_regime = d.legal_regime.unwrap_or(LegalRegime::Fz59);
    if d.channel == "email" && d.received_on > ctx.email_rule.fz59_until && legal_regime == LegalRegime::Fz59 {
        if ctx.email_rule.after == "refuse" {
            e.add(
                "channel",
                format!(
                    "с {} обращения по электронной почте не рассматриваются по 59-ФЗ (547-ФЗ): направьте через Госуслуги или интернет-приёмную",
                    ctx.email_rule.fz59_until.succ_opt().unwrap_or(ctx.email_rule.fz59_until).format("%d.%m.%Y")
                ),
            );
        } else {
            legal_regime = LegalRegime::parse(&ctx.email_rule.after).unwrap_or(LegalRegime::Other);
        }
    }
    e.finish()?;
    let anonymous = d.applicants.is_empty()
        || d.applicants.iter().all(|a| {
            a.full_name.trim().is_empty()
                || (a.postal_address.as_deref().is_none_or(|s| s.trim().is_empty())
                    && a.email.as_deref().is_none_or(|s| s.trim().is_empty())
                    && a.epgu_id.as_deref().is_none_or(|s| s.trim().is_empty()))
        });
    let from_organization = !d.applicants.is_empty() && d.applicants.iter().all(|a| a.is_organization);
    Ok(Derived { legal_regime, anonymous, from_organization })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn draft() -> AppealDraft {
        serde_json::from_value(serde_json::json!({
            "channel": "post", "form": "written", "kind": "complaint", "received_on": "2025-03-03",
            "applicants": [{"full_name": "Иванов Иван Иванович", "postal_address": "г. Ухта, ул. Ленина, д. 5", "email": "ivanov@example.ru"}],
            "summary": "Просит отремонтировать дорогу",
            "questions": [{"code": "0003.0009.0097.0699", "text": "ремонт дороги"}],
            "reply_channel": "post"
        }))
        .unwrap()
    }

    fn run(d: &AppealDraft) -> Result<Derived, Vec<FieldError>> {
        let cat = Catalog::new(&[]);
        let rule = EmailRule::default();
        let exists = |c: &str| c == "0003.0009.0097.0699";
        let ctx = Context { today: "2025-04-10".parse().unwrap(), local_date: &|t| t.date_naive(), channels: &cat, code_exists: &exists, email_rule: &rule, import: false };
        validate(d, &ctx)
    }

    fn fields(r: Result<Derived, Vec<FieldError>>) -> Vec<String> {
        r.unwrap_err().into_iter().map(|e| e.field).collect()
    }

    #[test]
    fn valid_draft_passes() {
        let d = run(&draft()).unwrap();
        assert_eq!(d.legal_regime, LegalRegime::Fz59);
        assert!(!d.anonymous);
    }

    #[test]
    fn channel_specific_requirements() {
        let mut d = draft();
        d.channel = "forwarded".into();
        assert_eq!(fields(run(&d)), vec!["source"]);
        d.channel = "personal_reception".into();
        assert_eq!(fields(run(&d)), vec!["reception"]);
        d.channel = "pigeon".into();
        assert_eq!(fields(run(&d)), vec!["channel"]);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut d = draft();
        d.received_on = "2025-05-01".parse().unwrap();
        d.questions[0].code = "9999.9999.9999.9999".into();
        d.applicants[0].email = Some("not-an-email".into());
        d.summary = " ".into();
        d.signatures = Some(3);
        let f = fields(run(&d));
        assert_eq!(f, vec!["received_on", "summary", "questions[0].code", "applicants[0].email", "signatures"]);
    }

    #[test]
    fn import_only_fields_are_refused_on_registration() {
        let mut d = draft();
        d.reg_number = Some("ОГ-1".into());
        assert_eq!(fields(run(&d)), vec!["reg_number"]);
    }

    #[test]
    fn anonymous_and_organizations() {
        let mut d = draft();
        d.applicants.clear();
        assert!(run(&d).unwrap().anonymous);
        let mut d = draft();
        d.applicants[0].postal_address = None;
        d.applicants[0].email = None;
        assert!(run(&d).unwrap().anonymous);
        let mut d = draft();
        d.applicants[0].is_organization = true;
        assert!(run(&d).unwrap().from_organization);
    }

    #[test]
    fn email_after_547_fz() {
        let mut d = draft();
        d.channel = "email".into();
        d.received_on = "2025-04-01".parse().unwrap();
        assert_eq!(run(&d).unwrap().legal_regime, LegalRegime::Other);
        d.received_on = "2025-03-29".parse().unwrap();
        assert_eq!(run(&d).unwrap().legal_regime, LegalRegime::Fz59);
        let mut d = draft();
        d.received_on = "2025-04-01".parse().unwrap();
        d.reply_channel = Some(ReplyChannel::Email);
        d.applicants[0].email = Some("a@gmail.com".into());
        assert_eq!(fields(run(&d)), vec!["applicants[0].email"]);
    }
}
