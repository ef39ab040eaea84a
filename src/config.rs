//! Layered configuration: built-in defaults → `config/default.toml` → `config/<APPEALS_ENV>.toml`
//! → `APPEALS_*` variables (and `DATABASE_URL`). Passed around as a value, never a global,
//! so tests can run side by side with different settings.

use crate::domain::appeal::EmailRule;
use crate::domain::channels::Channel;
use crate::domain::deadline::DeadlineRules;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The shipped defaults, so the binary works from any directory.
const DEFAULTS: &str = include_str!("../config/default.toml");

/// Everything the service can be told.
#[derive(Clone, Debug, Deserialize)]
pub struct Settings {
    /// Listen address.
    pub listen: String,
    /// Database URL; the scheme picks the backend.
    pub database_url: String,
    /// Directory for the server's own files.
    pub data_dir: PathBuf,
    /// Database connections; 0 picks [`Settings::pool_connections`]'s default.
    pub pool_size: u32,
    /// Failover and the read replica.
    #[serde(default)]
    pub database: DatabaseSettings,
    /// Logging.
    pub log: LogSettings,
    /// The default organization created on first start.
    pub organization: OrganizationSettings,
    /// Request limits.
    pub limits: Limits,
    /// 59-FZ deadline rules.
    pub deadlines: DeadlineRules,
    /// Deadlines of non-59-FZ regimes.
    #[serde(default)]
    pub regime_days: BTreeMap<String, u32>,
    /// The rule each non-59-FZ regime's deadline comes from, quoted in explanations.
    #[serde(default)]
    pub regime_citations: BTreeMap<String, String>,
    /// E-mail after 547-FZ.
    #[serde(default)]
    pub email_rule: EmailRule,
    /// Extra channels.
    #[serde(default)]
    pub channels: Vec<Channel>,
    /// ССТУ.РФ reporting (the body's own department GUID, the connector).
    #[serde(default)]
    pub sstu: SstuSettings,
    /// Outgoing mail.
    pub mail: MailSettings,
    /// The reminder scheduler and outbox dispatcher.
    pub scheduler: SchedulerSettings,
    /// Staff reminder rules.
    pub reminders: crate::domain::reminders::ReminderRules,
    /// The web pages' sessions.
    #[serde(default)]
    pub web: WebSettings,
    /// The Prometheus endpoint.
    #[serde(default)]
    pub metrics: MetricsSettings,
    /// The counting conventions every statistic, report and form follows.
    #[serde(default)]
    pub statistics: crate::domain::counting::Counting,
    /// How mass campaigns are found.
    #[serde(default)]
    pub campaigns: crate::domain::campaigns::CampaignSettings,
    /// Directory holding `calendar/` and `classifier/` (not read from files).
    #[serde(skip)]
    pub config_dir: PathBuf,
}

/// Browser sessions of the web pages.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct WebSettings {
    /// Mark the session cookie `Secure` (set when served behind HTTPS).
    pub secure_cookie: bool,
    /// A session ends this many minutes after sign-in.
    pub session_minutes: u32,
    /// Addresses of reverse proxies whose `X-Forwarded-For` names the client (sign-in
    /// throttling counts per client address); from any other peer the header is ignored.
    pub trusted_proxies: Vec<String>,
}

impl Default for WebSettings {
    fn default() -> Self {
        WebSettings { secure_cookie: false, session_minutes: 600, trusted_proxies: Vec::new() }
    }
}

/// Where Prometheus scrapes `/metrics`: an address of its own, so the API's listener never
/// shows the service's internals.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(default)]
pub struct MetricsSettings {
    /// `host:port` of the metrics listener (e.g. `127.0.0.1:9464`); empty: no metrics served.
    pub listen: String,
}

/// How the service lives through a PostgreSQL failover, and where it reads reports from.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct DatabaseSettings {
    /// The longest a request waits for the database (a failover included) before it is answered
    /// 503 with `Retry-After`, seconds.
    pub failover_timeout_seconds: u64,
    /// A streaming replica's URL (`DATABASE_READ_URL`): statistics, reports, exports, search and
    /// list pages read there; empty: everything reads the primary.
    pub read_url: String,
    /// The replica lag `/health/ready` accepts, seconds.
    pub replica_max_lag_seconds: u64,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings { failover_timeout_seconds: 30, read_url: String::new(), replica_max_lag_seconds: 30 }
    }
}

impl DatabaseSettings {
    /// The failover timeout as a duration (at least a second).
    pub fn failover_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_secs(self.failover_timeout_seconds.max(1))
    }
}

/// Logging format and filter.
#[derive(Clone, Debug, Deserialize)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: String,
    /// tracing-subscriber filter.
    pub filter: String,
}

/// The organization a fresh database starts with.
#[derive(Clone, Debug, Deserialize)]
pub struct OrganizationSettings {
    /// Stable code.
    pub code: String,
    /// Name.
    pub name: String,
    /// IANA time zone in which dates are counted.
    pub time_zone: String,
    /// Registration number template.
    pub reg_number_template: String,
    /// Outgoing number template of dispatched answers (its own counter).
    #[serde(default = "default_outgoing_template")]
    pub outgoing_number_template: String,
    /// Outgoing number template of cover letters forwarding appeals by competence (its own counter).
    #[serde(default = "default_forward_template")]
    pub forward_number_template: String,
}

fn default_outgoing_template() -> String {
    "ОГ-исх-{year}-{seq:06}".into()
}

fn default_forward_template() -> String {
    "ОГ-пер-{year}-{seq:06}".into()
}

/// ССТУ.РФ reporting: who reports, and where the monthly export may be pushed.
#[derive(Clone, Debug, Deserialize)]
pub struct SstuSettings {
    /// The organization's own department GUID in ССТУ.РФ (`departmentId` of every object).
    #[serde(default)]
    pub department_id: Option<String>,
    /// Largest answer file, bytes (the connector's attachment limit); 0 = the default 5 MiB.
    #[serde(default)]
    pub max_attachment_bytes: usize,
    /// The ССТУ.РФ connector's `http://host:port/path`, installed in the body's network
    /// (none: exports are only downloaded).
    #[serde(default)]
    pub push_url: Option<String>,
    /// Attempts per push (0 = 3).
    #[serde(default)]
    pub push_attempts: u32,
    /// Pause before the n-th retry: n × this many milliseconds (0 = 1000).
    #[serde(default)]
    pub push_backoff_ms: u64,
    /// Forms whose appeals go out as `format: Electronic` (the rest as `Other`).
    #[serde(default = "default_electronic_forms")]
    pub electronic_forms: Vec<String>,
    /// Channels whose appeals go out as `Electronic` whatever their form (e.g. `forwarded`,
    /// where a deployment reads `Electronic` as "came from another body over МЭДО").
    #[serde(default)]
    pub electronic_channels: Vec<String>,
    /// Cover-letter number prefixes whose appeals are not exported (the Administration of the
    /// President tracks its `А26-…` appeals itself); the export log lists each one skipped.
    #[serde(default = "default_skip_prefixes")]
    pub skip_source_prefixes: Vec<String>,
    /// Largest ZIP part of `format=zip`, bytes (0 = the connector's 50 MB).
    #[serde(default)]
    pub zip_part_bytes: usize,
}

fn default_electronic_forms() -> Vec<String> {
    vec!["electronic".into()]
}

fn default_skip_prefixes() -> Vec<String> {
    vec!["А26-".into(), "A26-".into()]
}

impl Default for SstuSettings {
    fn default() -> Self {
        Self {
            department_id: None,
            max_attachment_bytes: 0,
            push_url: None,
            push_attempts: 0,
            push_backoff_ms: 0,
            electronic_forms: default_electronic_forms(),
            electronic_channels: Vec::new(),
            skip_source_prefixes: default_skip_prefixes(),
            zip_part_bytes: 0,
        }
    }
}

impl SstuSettings {
    /// The attachment limit in bytes.
    pub fn attachment_limit(&self) -> usize {
        if self.max_attachment_bytes == 0 { 5 * 1024 * 1024 } else { self.max_attachment_bytes }
    }

    /// The ZIP part limit in bytes.
    pub fn part_limit(&self) -> usize {
        if self.zip_part_bytes == 0 { 50_000_000 } else { self.zip_part_bytes }
    }
}

/// Body and batch limits.
#[derive(Clone, Debug, Deserialize)]
pub struct Limits {
    /// Ordinary request body limit.
    pub body_bytes: usize,
    /// Import body limit.
    pub import_body_bytes: usize,
    /// Import item limit.
    pub import_items: usize,
    /// How many of the newest cards (from the page's position) a registry text search walks in
    /// order before it asks the trigram index instead: a query most cards match fills its page
    /// inside this window at once; a rare one leaves it and reads its few matches by index.
    #[serde(default = "default_search_window")]
    pub search_window: i64,
}

fn default_search_window() -> i64 {
    5_000
}

/// Outgoing mail: a file per message in development, SMTP in production.
#[derive(Clone, Debug, Deserialize)]
pub struct MailSettings {
    /// `file` or `smtp`.
    pub transport: String,
    /// lettre's SMTP URL (`smtp://host:587?tls=required`, `smtps://user:pass@host`).
    #[serde(default)]
    pub url: String,
    /// The From mailbox; its domain also names Message-IDs.
    pub from: String,
    /// SMTP timeout, seconds.
    #[serde(default = "default_mail_timeout")]
    pub timeout_seconds: u64,
}

fn default_mail_timeout() -> u64 {
    30
}

/// How the scheduler runs inside `serve` and how the dispatcher retries.
#[derive(Clone, Debug, Deserialize)]
pub struct SchedulerSettings {
    /// Run the loop inside `serve` (off on a second instance).
    pub enabled: bool,
    /// Seconds between passes.
    pub interval_seconds: u64,
    /// Rows claimed per batch.
    pub batch: i64,
    /// A claim's lease, seconds: a dispatcher that dies leaves its rows to others after it.
    pub lease_seconds: i64,
    /// Attempts before `failed`.
    pub max_attempts: i32,
    /// First retry delay, seconds; doubles each attempt.
    pub backoff_seconds: i64,
    /// Messages in flight at once (one SMTP connection each): a server's round trips overlap.
    #[serde(default = "default_send_concurrency")]
    pub concurrency: usize,
}

fn default_send_concurrency() -> usize {
    8
}

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration: {0}")]
pub struct ConfigError(pub String);

impl Settings {
    /// Connections the pool opens: `pool_size`, or when it is 0 twice the CPU cores and at least
    /// 4. Connections beyond the cores only queue inside the database: on 2 cores, 8 connections
    /// gave registration at 8 clients a p99 of 27–28 ms, 4 connections 18–24 ms at the same rate.
    pub fn pool_connections(&self) -> u32 {
        match self.pool_size {
            0 => std::thread::available_parallelism().map_or(4, |n| (2 * n.get() as u32).max(4)),
            n => n,
        }
    }

    /// Loads from `APPEALS_CONFIG_DIR` (default `./config`) and the environment.
    pub fn load() -> Result<Self, ConfigError> {
        let dir = std::env::var_os("APPEALS_CONFIG_DIR").map(PathBuf::from).unwrap_or_else(|| PathBuf::from("config"));
        let env_name = std::env::var("APPEALS_ENV").ok();
        let mut s = Self::from_sources(&dir, env_name.as_deref(), true)?;
        if let Ok(url) = std::env::var("DATABASE_URL") {
            if !url.trim().is_empty() {
                s.database_url = url;
            }
        }
        if let Ok(url) = std::env::var("DATABASE_READ_URL") {
            s.database.read_url = url.trim().to_string();
        }
        Ok(s)
    }

    /// Defaults plus the files in `dir` (and the environment when `use_env`), without touching globals.
    pub fn from_sources(dir: &Path, env_name: Option<&str>, use_env: bool) -> Result<Self, ConfigError> {
        use config::{Config, Environment, File, FileFormat};
        let mut b = Config::builder()
            .add_source(File::from_str(DEFAULTS, FileFormat::Toml))
            .add_source(File::from(dir.join("default.toml")).required(false));
        if let Some(env) = env_name {
            b = b.add_source(File::from(dir.join(format!("{env}.toml"))).required(false));
        }
        if use_env {
            // `APPEALS_WEB__TRUSTED_PROXIES=10.0.0.5,10.0.0.6` is a list; every other key a value.
            b = b.add_source(
                Environment::with_prefix("APPEALS").prefix_separator("_").separator("__").try_parsing(true).list_separator(",").with_list_parse_key("web.trusted_proxies"),
            );
        }
        let mut s: Settings = b.build().and_then(|c| c.try_deserialize()).map_err(|e| ConfigError(e.to_string()))?;
        s.config_dir = dir.to_path_buf();
        s.check()?;
        Ok(s)
    }

    /// Built-in defaults only, pointed at `database_url`: what tests start from.
    pub fn for_tests(database_url: &str) -> Self {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("config");
        let mut s = Self::from_sources(&dir, None, false).expect("shipped defaults are valid");
        s.database_url = database_url.to_string();
        s.pool_size = 4;
        // The tests' mail and files go to a folder of the test run, never the checkout's `data/`.
        s.data_dir = std::env::temp_dir().join(format!("appeals-test-data-{}", std::process::id()));
        s
    }

    fn check(&self) -> Result<(), ConfigError> {
        crate::domain::regnum::validate_template(&self.organization.reg_number_template).map_err(ConfigError)?;
        crate::domain::regnum::validate_template(&self.organization.outgoing_number_template).map_err(|e| ConfigError(format!("outgoing_number_template: {e}")))?;
        crate::domain::regnum::validate_template(&self.organization.forward_number_template).map_err(|e| ConfigError(format!("forward_number_template: {e}")))?;
        self.organization
            .time_zone
            .parse::<chrono_tz::Tz>()
            .map_err(|_| ConfigError(format!("unknown time zone `{}`", self.organization.time_zone)))?;
        if !matches!(self.mail.transport.as_str(), "file" | "smtp") {
            return Err(ConfigError(format!("mail.transport: `{}` is neither `file` nor `smtp`", self.mail.transport)));
        }
        if self.mail.transport == "smtp" && self.mail.url.trim().is_empty() {
            return Err(ConfigError("mail.url is required with transport = \"smtp\"".into()));
        }
        crate::auth::throttle::parse_proxies(&self.web.trusted_proxies).map_err(|bad| ConfigError(format!("web.trusted_proxies: not IP addresses: {}", bad.join(", "))))?;
        self.reminders.check().map_err(|e| ConfigError(format!("reminders: {e}")))?;
        if self.limits.search_window < 1 {
            return Err(ConfigError("limits.search_window must be at least 1".into()));
        }
        if self.email_rule.after != "refuse" && crate::domain::appeal::LegalRegime::parse(&self.email_rule.after).is_none() {
            return Err(ConfigError(format!("email_rule.after: `{}` is neither a legal regime nor `refuse`", self.email_rule.after)));
        }
        Ok(())
    }

    /// The organization's time zone.
    pub fn time_zone(&self) -> chrono_tz::Tz {
        self.organization.time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_defaults_load() {
        let s = Settings::for_tests("sqlite://x.db");
        assert_eq!(s.organization.reg_number_template, "ОГ-{year}-{seq:06}");
        assert_eq!(s.deadlines.consideration_days, 30);
        assert_eq!(s.regime_days.get("dobrodel"), Some(&8));
        assert!(s.regime_citations["pos_message"].contains("1802"));
        assert_eq!(s.time_zone(), chrono_tz::Europe::Moscow);
    }

    #[test]
    fn a_deployment_file_overrides_defaults() {
        let dir = std::env::temp_dir().join(format!("appeals-cfg-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("default.toml"), "[organization]\nname = \"Администрация МОГО «Ухта»\"\n[deadlines]\nshift = \"following\"\n").unwrap();
        let s = Settings::from_sources(&dir, None, false).unwrap();
        assert_eq!(s.organization.name, "Администрация МОГО «Ухта»");
        assert_eq!(s.organization.code, "default");
        std::fs::write(dir.join("prod.toml"), "[organization]\nreg_number_template = \"ОГ-{year}\"\n").unwrap();
        assert!(Settings::from_sources(&dir, Some("prod"), false).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
