//! Notifications: Russian templates (minijinja, shipped in the binary, overridable from
//! `config/templates/`), outbox rows for applicants' notices, and the mail transports.
//!
//! Notices are rendered when the outbox row is written (inside the action's transaction), so
//! what is sent is what the card said at that moment. Values only the store knows (a new
//! registration number, an outgoing number) are left as [`slot`]s the store fills in.

pub mod mail;

use crate::domain::validation::is_russian_zone_email;
use crate::store::models::{AppealRow, ApplicantRow, NotificationRow};
use chrono::NaiveDateTime;
use serde_json::{json, Value};
use std::path::Path;

/// Every template name with its shipped text: first line the subject, then a blank line, then the body.
const SHIPPED: [(&str, &str); 10] = [
    ("registration_ack", include_str!("../../config/templates/registration_ack.txt")),
    ("forwarding_notice", include_str!("../../config/templates/forwarding_notice.txt")),
    ("extension_notice", include_str!("../../config/templates/extension_notice.txt")),
    ("art11_notice", include_str!("../../config/templates/art11_notice.txt")),
    ("answer", include_str!("../../config/templates/answer.txt")),
    ("reminder", include_str!("../../config/templates/reminder.txt")),
    ("overdue", include_str!("../../config/templates/overdue.txt")),
    ("escalation", include_str!("../../config/templates/escalation.txt")),
    ("digest", include_str!("../../config/templates/digest.txt")),
    ("summary", include_str!("../../config/templates/summary.txt")),
];

use crate::domain::slots::slot;

/// The mail templates, compiled once at start.
pub struct Templates {
    env: minijinja::Environment<'static>,
}

impl std::fmt::Debug for Templates {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Templates")
    }
}

impl Templates {
    /// The shipped templates only.
    pub fn shipped() -> Self {
        let mut env = minijinja::Environment::new();
        crate::templates::load_into(&mut env, &SHIPPED, None, "").expect("shipped templates compile");
        Templates { env }
    }

    /// The shipped templates, each replaced by `<config_dir>/templates/<name>.txt` where that
    /// file exists; an override that does not compile is an error at start, not at send time.
    pub fn load(config_dir: &Path) -> Result<Self, String> {
        let mut env = minijinja::Environment::new();
        crate::templates::load_into(&mut env, &SHIPPED, Some(&config_dir.join("templates")), ".txt")?;
        Ok(Templates { env })
    }

    /// Renders template `name` with `ctx` into (subject, body).
    pub fn render(&self, name: &str, ctx: &Value) -> Result<(String, String), String> {
        let tpl = self.env.get_template(name).map_err(|e| e.to_string())?;
        let text = tpl.render(minijinja::Value::from(minijinja::value::Serde(ctx))).map_err(|e| e.to_string())?;
        let text = text.replace("\r\n", "\n");
        let (subject, body) = text.split_once('\n').unwrap_or((text.as_str(), ""));
        Ok((subject.trim().to_string(), body.trim_start_matches('\n').trim_end().to_string() + "\n"))
    }

    /// Renders, falling back to a plain text that still names the kind: a broken override
    /// must not stop the action that causes the notice.
    pub fn render_or_plain(&self, name: &str, ctx: &Value) -> (String, String) {
        self.render(name, ctx).unwrap_or_else(|e| {
            tracing::warn!(template = name, error = %e, "mail template failed; plain text used");
            (format!("Уведомление ({name})"), format!("{}\n", ctx.get("reg_number").and_then(Value::as_str).unwrap_or("")))
        })
    }
}

use crate::domain::ru::short_date as ru_date;

use crate::domain::validation::SKIP_FOREIGN_ZONE;

/// An outbox row for `recipient`: pending now, or `skipped` with the reason when the address
/// is outside the national domain zone.
#[allow(clippy::too_many_arguments)]
pub fn row(org: &str, appeal_id: Option<&str>, recipient: &str, kind: &str, dedup_key: String, subject: String, body: String, now: NaiveDateTime) -> NotificationRow {
    let allowed = is_russian_zone_email(recipient);
    NotificationRow {
        id: crate::store::new_id(),
        organization_id: org.into(),
        appeal_id: appeal_id.map(Into::into),
        recipient: recipient.trim().into(),
        kind: kind.into(),
        dedup_key,
        subject,
        body,
        status: if allowed { "pending" } else { "skipped" }.into(),
        scheduled_for: now,
        sent_at: None,
        attempts: 0,
        last_error: None,
        created_at: now,
        claimed_until: None,
        claimed_by: None,
        message_id: None,
        skip_reason: (!allowed).then(|| SKIP_FOREIGN_ZONE.to_string()),
        params: None,
    }
}

/// The context every applicant notice shares.
fn appeal_ctx(org_name: &str, a: &AppealRow, reg_number: &str) -> Value {
    json!({
        "org_name": org_name,
        "reg_number": reg_number,
        "registered_on": ru_date(a.registered_on),
        "received_on": ru_date(a.received_on),
        "due_date": ru_date(a.due_date),
    })
}

fn merge(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    base
}

/// One notice of `kind` to every applicant of the card with an e-mail address. `key` tells
/// this notice from others of the same kind on the appeal (e.g. the new deadline).
pub fn applicant_notices(t: &Templates, org_name: &str, a: &AppealRow, applicants: &[ApplicantRow], kind: &str, key: &str, extra: Value, now: NaiveDateTime) -> Vec<NotificationRow> {
    let reg_number = if a.reg_number.is_empty() { slot("reg_number") } else { a.reg_number.clone() };
    let base = merge(appeal_ctx(org_name, a, &reg_number), extra);
    applicants
        .iter()
        .filter_map(|p| p.email.as_deref().filter(|m| !m.trim().is_empty()).map(|m| (p, m)))
        .map(|(p, email)| {
            let ctx = merge(base.clone(), json!({"applicant_name": p.full_name}));
            let (subject, body) = t.render_or_plain(kind, &ctx);
            row(&a.organization_id, Some(&a.id), email, kind, format!("{kind}:{}:{key}:{}", a.id, p.position), subject, body, now)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_templates_render_in_russian() {
        let t = Templates::shipped();
        let (s, b) = t.render("registration_ack", &json!({"reg_number": "ОГ-2025-000001", "registered_on": "03.03.2025", "received_on": "03.03.2025", "due_date": "02.04.2025", "org_name": "Администрация", "applicant_name": "Смирнова Ольга Петровна"})).unwrap();
        assert_eq!(s, "Ваше обращение зарегистрировано: № ОГ-2025-000001");
        assert!(b.contains("до 02.04.2025"), "{b}");
        assert!(b.starts_with("Уважаемый(ая) Смирнова Ольга Петровна!"), "{b}");
        let (s, b) = t.render("digest", &json!({"user_name": "Иванов", "today": "03.03.2025", "until": "10.03.2025", "org_name": "А", "items": [{"reg_number": "ОГ-1", "deadline": "05.03.2025", "status": "в работе", "overdue": false}]})).unwrap();
        assert!(s.ends_with("— 1"), "{s}");
        assert!(b.contains("- № ОГ-1 — срок 05.03.2025"), "{b}");
        let (_, b) = t.render("summary", &json!({"user_name": "Петров", "week": "2025-W10", "today": "03.03.2025", "week_end": "09.03.2025", "org_name": "А",
            "overdue_count": 3, "due_count": 0, "returned_count": 1, "overdue": [{"reg_number": "ОГ-7", "due_date": "28.02.2025"}]})).unwrap();
        assert!(b.contains("- просрочено: 3") && b.contains("Просроченные (первые 1):") && b.contains("- № ОГ-7 — срок 28.02.2025"), "{b}");
    }

    #[test]
    fn overrides_replace_shipped_templates_and_must_compile() {
        let dir = std::env::temp_dir().join(format!("appeals-tpl-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(dir.join("templates")).unwrap();
        std::fs::write(dir.join("templates/answer.txt"), "Ответ {{ reg_number }}\n\nТекст").unwrap();
        let t = Templates::load(&dir).unwrap();
        assert_eq!(t.render("answer", &json!({"reg_number": "1"})).unwrap().0, "Ответ 1");
        std::fs::write(dir.join("templates/answer.txt"), "{% if %}").unwrap();
        assert!(Templates::load(&dir).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn foreign_addresses_are_skipped_with_a_reason() {
        let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap().and_hms_opt(7, 0, 0).unwrap();
        let r = row("o", None, "a@example.com", "answer", "k".into(), "s".into(), "b".into(), now);
        assert_eq!(r.status, "skipped");
        assert!(r.skip_reason.unwrap().contains("547-ФЗ"));
        assert_eq!(row("o", None, "a@почта.рф", "answer", "k".into(), "s".into(), "b".into(), now).status, "pending");
    }

    #[test]
    fn slots_are_filled() {
        let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap().and_hms_opt(7, 0, 0).unwrap();
        let mut r = row("o", None, "a@b.ru", "answer", "k".into(), format!("№ {}", slot("reg_number")), slot("reg_number"), now);
        crate::store::outbox::fill_slots(&mut r, &[("reg_number", "ОГ-1")]);
        assert_eq!((r.subject.as_str(), r.body.as_str()), ("№ ОГ-1", "ОГ-1"));
    }
}
