//! The state every use case and handler shares: pool, settings, reference data and the clock.
//! It lives outside the HTTP layer so use cases (registration, control) never import `api`.

use crate::clock::Clock;
use crate::config::Settings;
use crate::domain::calendar::ProductionCalendar;
use crate::domain::appeal::LegalRegime;
use crate::domain::channels::Catalog;
use crate::domain::deadline::{self, Deadline, DeadlineRules};
use crate::store::DbPool;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// Renders a page template by name: what the pages need from the state (the web module
/// implements it; the state only carries it).
pub trait PageTemplates: Send + Sync {
    /// The page `name` rendered with `ctx`, or why it could not be.
    fn render_page(&self, name: &str, ctx: serde_json::Value) -> Result<String, String>;
}

/// What every handler shares: the pool, settings, reference data and the clock.
pub struct AppState {
    /// Database pool: the primary, or in a state from [`AppState::reads`] the read replica.
    pub pool: DbPool,
    /// The read replica (`DATABASE_READ_URL`), when configured.
    pub replica: Option<Arc<crate::store::replica::ReadReplica>>,
    /// True in a state from [`AppState::reads`] that reads the replica: such a state writes
    /// nothing (a statistics request leaves the rollup's pending deltas to the primary).
    pub on_replica: bool,
    /// Settings.
    pub settings: Arc<Settings>,
    /// Production calendar.
    pub calendar: Arc<ProductionCalendar>,
    /// Channel catalog.
    pub channels: Arc<Catalog>,
    /// Classifier codes with their names, for validation and statistics without a query per code.
    pub codes: Arc<RwLock<HashMap<String, String>>>,
    /// The classifier indexed for lookups by words (and each organization's usage of codes).
    pub classifier: Arc<crate::classifier_index::ClassifierIndex>,
    /// The clock.
    pub clock: Arc<dyn Clock>,
    /// Mail templates (shipped, overridden from `config/templates/`).
    pub templates: Arc<crate::notify::Templates>,
    /// The web pages' templates (shipped, overridden from `config/templates/web/`), behind
    /// [`PageTemplates`] so the state does not depend on the pages that use it.
    pub pages: Arc<dyn PageTemplates>,
    /// Each organization's settings over the config file's defaults, read once and kept.
    pub orgs: Arc<OrgDirectory>,
}

/// One organization's effective settings: its own values where it has them, the config file's
/// `[organization]` and `[sstu]` defaults where it leaves a field empty.
#[derive(Clone, Debug)]
pub struct OrgSettings {
    /// Id.
    pub id: String,
    /// Stable code.
    pub code: String,
    /// Name, as notices and reports print it.
    pub name: String,
    /// IANA time zone name.
    pub time_zone: String,
    /// Registration number template.
    pub reg_number_template: String,
    /// Outgoing number template of dispatched answers.
    pub outgoing_number_template: String,
    /// Cover-letter number template when forwarding.
    pub forward_number_template: String,
    /// ССТУ.РФ department GUID of its exports.
    pub sstu_department_id: Option<String>,
    /// Start of its working day, `HH:MM`: staff reminders go out from then.
    pub work_start: String,
    /// End of its working day, `HH:MM`: no staff reminder from then on.
    pub work_end: String,
    /// False once deactivated: it keeps its registry but receives nothing new.
    pub active: bool,
    /// The body above it.
    pub parent_id: Option<String>,
}

impl OrgSettings {
    /// The row's values over the config file's defaults.
    pub fn over(row: &crate::store::models::OrganizationRow, s: &Settings) -> OrgSettings {
        let or = |v: &Option<String>, d: &str| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or(d).to_string();
        OrgSettings {
            id: row.id.clone(),
            code: row.code.clone(),
            name: or(&Some(row.name.clone()), &s.organization.name),
            time_zone: or(&Some(row.time_zone.clone()), &s.organization.time_zone),
            reg_number_template: or(&row.reg_number_template, &s.organization.reg_number_template),
            outgoing_number_template: or(&row.outgoing_number_template, &s.organization.outgoing_number_template),
            forward_number_template: or(&row.forward_number_template, &s.organization.forward_number_template),
            sstu_department_id: row.sstu_department_id.clone().filter(|v| !v.trim().is_empty()).or_else(|| s.sstu.department_id.clone()),
            work_start: or(&row.work_start, &s.reminders.work_start),
            work_end: or(&row.work_end, &s.reminders.work_end),
            active: row.active,
            parent_id: row.parent_id.clone(),
        }
    }

    /// The time zone in which its dates are counted.
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Europe::Moscow)
    }
}

/// The organizations' settings kept in memory: read on first use, replaced when an organization
/// is changed through this process, and dropped every minute by `serve` so a change made by
/// another instance is seen soon after.
#[derive(Default)]
pub struct OrgDirectory {
    cache: RwLock<HashMap<String, Arc<OrgSettings>>>,
}

impl OrgDirectory {
    /// Keeps an organization's settings (after a change).
    pub fn put(&self, o: OrgSettings) {
        self.cache.write().unwrap_or_else(|e| e.into_inner()).insert(o.id.clone(), Arc::new(o));
    }

    /// Forgets every kept organization: the next use reads them again.
    pub fn clear(&self) {
        self.cache.write().unwrap_or_else(|e| e.into_inner()).clear();
    }

    fn get(&self, id: &str) -> Option<Arc<OrgSettings>> {
        self.cache.read().unwrap_or_else(|e| e.into_inner()).get(id).cloned()
    }
}

impl AppState {
    /// Now, in UTC.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Now, as stored (UTC, microseconds).
    pub fn now_naive(&self) -> NaiveDateTime {
        crate::store::micros(self.now())
    }

    /// The settings of organization `id` (its own over the config file's defaults); `None` for an
    /// id that names no organization of the instance.
    pub fn find_org(&self, id: &str) -> Result<Option<Arc<OrgSettings>>, crate::store::ServiceError> {
        if let Some(o) = self.orgs.get(id) {
            return Ok(Some(o));
        }
        let Some(row) = crate::store::organizations::get(&self.pool, id)? else { return Ok(None) };
        let o = OrgSettings::over(&row, &self.settings);
        self.orgs.put(o.clone());
        Ok(Some(Arc::new(o)))
    }

    /// The settings of the caller's organization `id` (every caller's organization exists: the
    /// user row refers to it). Kept in memory after the first read, so the hot paths pay no
    /// query; should that first read fail, the config file's defaults serve this once (with a
    /// warning) and the write that needs them meets the same database error anyway.
    pub fn org(&self, id: &str) -> Arc<OrgSettings> {
        match self.find_org(id) {
            Ok(Some(o)) => return o,
            Ok(None) => tracing::warn!(organization = id, "no such organization; the config file's settings serve"),
            Err(e) => tracing::warn!(organization = id, error = %e, "organization settings unreadable; the config file's serve this once"),
        }
        let s = &self.settings;
        let row = crate::store::models::OrganizationRow {
            id: id.into(),
            code: s.organization.code.clone(),
            name: s.organization.name.clone(),
            time_zone: s.organization.time_zone.clone(),
            sstu_department_id: None,
            created_at: chrono::NaiveDateTime::default(),
            active: true,
            parent_id: None,
            reg_number_template: None,
            outgoing_number_template: None,
            forward_number_template: None,
            work_start: None,
            work_end: None,
        };
        Arc::new(OrgSettings::over(&row, s))
    }

    /// Today in organization `org`'s time zone: the day its deadlines are counted from.
    pub fn today(&self, org: &str) -> NaiveDate {
        self.local_date(org, self.now())
    }

    /// The date of an instant in organization `org`'s time zone: the day its registers, reports
    /// and deadlines put the instant on.
    pub fn local_date(&self, org: &str, at: DateTime<Utc>) -> NaiveDate {
        at.with_timezone(&self.org(org).tz()).date_naive()
    }

    /// The UTC instant at which a day of organization `org` begins.
    pub fn start_of(&self, org: &str, d: NaiveDate) -> NaiveDateTime {
        start_in(self.org(org).tz(), d)
    }

    /// Today in the config file's time zone: for what belongs to no organization (the
    /// calendar's missing years at startup and in health).
    pub fn instance_today(&self) -> NaiveDate {
        self.now().with_timezone(&self.settings.time_zone()).date_naive()
    }

    /// The deadline rules of a legal regime: 59-FZ's, or another regime's configured days and
    /// citation (`[regime_days]`, `[regime_citations]`), so its explanation cites its own rule.
    pub fn rules_for(&self, regime: LegalRegime) -> DeadlineRules {
        let s = &self.settings;
        if regime == LegalRegime::Fz59 {
            return s.deadlines.clone();
        }
        let code = regime.as_str();
        deadline::regime_rules(&s.deadlines, code, s.regime_days.get(code).copied(), s.regime_citations.get(code).map(String::as_str))
    }

    /// The consideration deadline of an appeal registered on `registered_on` under `regime`
    /// (registration and an extension count it the same way).
    pub fn deadline_for(&self, regime: LegalRegime, registered_on: NaiveDate, migration_case: bool, ext: Option<&deadline::Extension>) -> Deadline {
        deadline::consideration_deadline(&self.calendar, &self.rules_for(regime), registered_on, migration_case, ext)
    }

    /// The same state on another clock: a replay of past work (the demo loader) runs several
    /// workers, each at its own step's instant.
    pub fn with_clock(&self, clock: Arc<dyn Clock>) -> AppState {
        AppState { clock, ..self.with_pool(self.pool.clone(), self.on_replica) }
    }

    /// The state for reads that may lag a little (statistics, reports, exports, search, list
    /// pages): on the read replica while it answers, else (none configured, or down: a warning
    /// in the log) on the primary. The card, the queue after an action and every write read
    /// the primary through `self`, so a user always sees what they just did.
    pub fn reads(&self) -> AppState {
        match &self.replica {
            Some(r) if r.usable() => self.with_pool(r.pool.clone(), true),
            _ => self.with_pool(self.pool.clone(), false),
        }
    }

    /// Runs a read that may lag (see [`AppState::reads`]) on the replica, and once more on the
    /// primary when the replica was lost under it (`lost` tells such an error): a replica that
    /// dies mid-request costs the user nothing but the repeat.
    pub fn on_reads<T, E>(&self, lost: impl Fn(&E) -> bool, f: impl Fn(&AppState) -> Result<T, E>) -> Result<T, E> {
        let reads = self.reads();
        let r = f(&reads);
        match (&r, &self.replica) {
            (Err(e), Some(replica)) if reads.on_replica && lost(e) => {
                replica.passed_over();
                f(&self.with_pool(self.pool.clone(), false))
            }
            _ => r,
        }
    }

    /// «данные на 10:42:13» (the organization's time) when this state reads the replica;
    /// `None` on the primary, whose data is current. A replica that cannot say is passed over.
    pub fn data_as_of(&self) -> Option<String> {
        if !self.on_replica {
            return None;
        }
        let f = self.replica.as_ref()?.freshness().ok()?;
        Some(format!("данные на {}", f.as_of.with_timezone(&self.settings.time_zone()).format("%H:%M:%S")))
    }

    fn with_pool(&self, pool: DbPool, on_replica: bool) -> AppState {
        AppState {
            pool,
            replica: self.replica.clone(),
            on_replica,
            settings: self.settings.clone(),
            calendar: self.calendar.clone(),
            channels: self.channels.clone(),
            codes: self.codes.clone(),
            classifier: self.classifier.clone(),
            clock: self.clock.clone(),
            templates: self.templates.clone(),
            pages: self.pages.clone(),
            orgs: self.orgs.clone(),
        }
    }
}

/// The UTC instant at which day `d` begins in `tz` (the earliest, where a clock change repeats
/// midnight).
pub fn start_in(tz: chrono_tz::Tz, d: NaiveDate) -> NaiveDateTime {
    use chrono::TimeZone;
    let local = d.and_hms_opt(0, 0, 0).expect("midnight exists");
    tz.from_local_datetime(&local).earliest().map(|t| t.naive_utc()).unwrap_or(local)
}
