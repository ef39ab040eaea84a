//! The catalog of channels through which appeals arrive (docs/domain.md §2), extensible from config.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One channel: code used in the API, Russian name shown to clerks, optional validity period.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, utoipa::ToSchema)]
pub struct Channel {
    /// Stable code, e.g. `post`.
    pub code: String,
    /// Russian name, e.g. «Почтовая связь».
    pub name: String,
    /// First day the channel may be used, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    /// Last day the channel may be used, if limited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub valid_to: Option<NaiveDate>,
}

/// Built-in channels with their Russian names.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("internet_reception", "Интернет-приёмная"),
    ("email", "Электронная почта"),
    ("post", "Почтовая связь"),
    ("by_hand", "Нарочно, курьером, лично в приёмную"),
    ("gis_zhkh", "ГИС ЖКХ"),
    ("feedback_platform", "Платформа обратной связи (ПОС)"),
    ("dobrodel", "Добродел"),
    ("personal_reception", "Личный приём"),
    ("forwarded", "Перенаправлено другими органами"),
    ("live_broadcast", "Прямой эфир, встречи с жителями"),
    ("phone", "Телефон"),
    ("other", "Иное"),
];

/// The full catalog: built-ins first, then deployment channels (which may also rename or limit a built-in).
#[derive(Clone, Debug)]
pub struct Catalog {
    channels: Vec<Channel>,
}

impl Catalog {
    /// Builds the catalog from built-ins and config entries.
    pub fn new(extra: &[Channel]) -> Self {
        let mut channels: Vec<Channel> = BUILT_IN
            .iter()
            .map(|(c, n)| Channel { code: c.to_string(), name: n.to_string(), valid_from: None, valid_to: None })
            .collect();
        for e in extra {
            match channels.iter_mut().find(|c| c.code == e.code) {
                Some(existing) => *existing = e.clone(),
                None => channels.push(e.clone()),
            }
        }
        Self { channels }
    }

    /// Every channel, for the reference endpoint.
    pub fn all(&self) -> &[Channel] {
        &self.channels
    }

    /// Looks a channel up by code.
    pub fn get(&self, code: &str) -> Option<&Channel> {
        self.channels.iter().find(|c| c.code == code)
    }

    /// Russian name of a code, or the code itself for a channel removed from config since.
    pub fn name_of<'a>(&'a self, code: &'a str) -> &'a str {
        self.get(code).map(|c| c.name.as_str()).unwrap_or(code)
    }

    /// Why `code` cannot take an appeal received on `on`, or `None` when it can.
    pub fn refusal(&self, code: &str, on: NaiveDate) -> Option<String> {
        let Some(c) = self.get(code) else {
            return Some(format!("неизвестный канал поступления `{code}`"));
        };
        if c.valid_from.is_some_and(|f| on < f) || c.valid_to.is_some_and(|t| on > t) {
            return Some(format!("канал «{}» не действовал на дату поступления", c.name));
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn built_ins_and_config_channels() {
        let extra = Channel { code: "telegram".into(), name: "Телеграм".into(), valid_from: Some(d("2025-01-01")), valid_to: None };
        let cat = Catalog::new(&[extra]);
        assert_eq!(cat.all().len(), BUILT_IN.len() + 1);
        assert_eq!(cat.name_of("post"), "Почтовая связь");
        assert!(cat.refusal("post", d("2020-01-01")).is_none());
        assert!(cat.refusal("pigeon", d("2025-01-01")).is_some());
        assert!(cat.refusal("telegram", d("2024-12-31")).is_some());
        assert!(cat.refusal("telegram", d("2025-01-01")).is_none());
    }
}
