//! Loading a profile: where it may go, the import, the demo staff, and the workflow.
//!
//! Demo appeals carry the external id `demo-<profile>-NNNNNN`, so a database tells demo
//! appeals from real ones. A profile goes into a database of its own by default
//! (`<data_dir>/demo-<profile>.sqlite`); a database that holds real appeals takes one only when
//! the caller says `--into-live`, and a profile is never loaded twice into one database.

use super::story::{self, Case, Fate, Staff};
use crate::domain::appeal::OfficialRole;
use crate::domain::ru::{number, plural};
use crate::state::AppState;
use crate::store::ServiceError;
use std::path::Path;

/// A demo profile and its size.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// The Ukhta report's 2023–2024 figures at `1 / divisor` of their size (1: the report's).
    Ukhta {
        /// Every figure divided by it.
        divisor: usize,
    },
    /// `scale` appeals over the year before today.
    Random {
        /// Appeals.
        scale: usize,
    },
}

impl Profile {
    /// The profile of the command line's `--profile` (`--scale` sizes `random`).
    pub fn parse(name: &str, scale: usize) -> Option<Profile> {
        match name {
            "ukhta" => Some(Profile::Ukhta { divisor: 1 }),
            "random" => Some(Profile::Random { scale }),
            _ => None,
        }
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        match self {
            Profile::Ukhta { .. } => "ukhta",
            Profile::Random { .. } => "random",
        }
    }
}

/// The database a profile goes to when the caller names none: a file of its own in the data
/// folder, so the live registry never fills with invented appeals.
pub fn own_database_url(data_dir: &Path, profile: &Profile) -> String {
    format!("sqlite://{}", data_dir.join(format!("demo-{}.sqlite", profile.name())).display())
}

/// Why a profile was not loaded.
#[derive(Debug)]
pub enum DemoError {
    /// The database holds appeals that are not demo ones, and `--into-live` was not given.
    Live {
        /// Those appeals.
        appeals: i64,
    },
    /// The profile is already in this database.
    AlreadyLoaded {
        /// The profile.
        profile: &'static str,
        /// Its appeals there.
        appeals: i64,
    },
    /// A generated appeal failed validation (a defect of the generator).
    Invalid(String),
    /// The database failed.
    Store(ServiceError),
}

impl std::fmt::Display for DemoError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DemoError::Live { appeals } => write!(
                f,
                "в базе {} {} не из демо-профиля: это действующий реестр. Демо-данные загружаются в него только с --into-live; \
                 без --database-url они пишутся в отдельную базу",
                number(*appeals),
                plural(*appeals, "обращение", "обращения", "обращений")
            ),
            DemoError::AlreadyLoaded { profile, appeals } => write!(
                f,
                "демо-профиль «{profile}» уже загружен в эту базу ({} {}): удалите её или укажите другую в --database-url",
                number(*appeals),
                plural(*appeals, "обращение", "обращения", "обращений")
            ),
            DemoError::Invalid(m) => write!(f, "демо-обращение не прошло проверку: {m}"),
            DemoError::Store(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for DemoError {}

impl From<ServiceError> for DemoError {
    fn from(e: ServiceError) -> Self {
        DemoError::Store(e)
    }
}

/// Refuses a database that already holds this profile, or real appeals unless `into_live`.
pub fn check_target(pool: &crate::store::DbPool, profile: &Profile, into_live: bool) -> Result<(), DemoError> {
    let mine = crate::store::demo::census(pool, &format!("demo-{}-%", profile.name()))?;
    if mine.matching > 0 {
        return Err(DemoError::AlreadyLoaded { profile: profile.name(), appeals: mine.matching });
    }
    let demo = crate::store::demo::census(pool, "demo-%")?;
    let real = demo.appeals - demo.matching;
    if real > 0 && !into_live {
        return Err(DemoError::Live { appeals: real });
    }
    Ok(())
}

/// What a load did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// Appeals imported.
    pub appeals: usize,
    /// Workflow steps applied.
    pub steps: usize,
    /// Workflow steps refused (logged; zero in a healthy run).
    pub refused: usize,
}

/// Loads `profile` into the state's database for organization `org`: checks the target
/// ([`check_target`]), imports the appeals, creates the demo staff and takes every appeal
/// through the control use case up to the state's current instant (the state's clock is read,
/// never moved: the steps run on clocks of their own).
pub fn load(state: &AppState, org: &str, profile: &Profile, into_live: bool) -> Result<Loaded, DemoError> {
    check_target(&state.pool, profile, into_live)?;
    let until = state.now();
    let name = profile.name();
    let mut drafts = match profile {
        Profile::Ukhta { divisor } => super::ukhta::ukhta_scaled(*divisor),
        Profile::Random { scale } => super::random::random(*scale, state.today(org)),
    };
    for (i, d) in drafts.iter_mut().enumerate() {
        d.external_id = Some(format!("demo-{name}-{:06}", i + 1));
    }
    let mut prepared = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let derived = crate::intake::validate(state, org, d, true).map_err(|e| DemoError::Invalid(format!("{i}: {e:?}")))?;
        prepared.push(crate::registry::prepare(state, org, None, d, &derived, d.registered_at.unwrap_or(until), "imported"));
    }
    let mut appeals = 0;
    for chunk in prepared.chunks(20_000) {
        appeals += crate::registry::import(state, chunk)?.len();
    }
    let first = prepared.iter().map(|a| a.appeal.registered_at).min().unwrap_or_else(|| state.now_naive());
    let staff = staff(state, org, name, first - chrono::Duration::days(30))?;
    let cases: Vec<Case> = prepared
        .iter()
        .enumerate()
        .map(|(i, a)| {
            let official = a.appeal.reception_official_role.as_deref().and_then(OfficialRole::parse);
            let fate = match profile {
                _ if a.appeal.channel == "personal_reception" => Fate::Oral,
                Profile::Ukhta { .. } => story::ukhta_fate(i),
                Profile::Random { .. } => story::fate(i),
            };
            Case { id: a.appeal.id.clone(), registered_on: a.appeal.registered_on, codes: a.questions.iter().map(|q| q.code.clone()).collect(), fate, official }
        })
        .collect();
    let done = story::run(state, &staff, &cases, until);
    Ok(Loaded { appeals, steps: done.done, refused: done.refused })
}

/// The demo staff of `profile`, as users of `org` created at `at` (before the first appeal).
fn staff(state: &AppState, org: &str, profile: &str, at: chrono::NaiveDateTime) -> Result<Staff, ServiceError> {
    let user = |role_login: &str, name: &str, role: &str| -> Result<String, ServiceError> {
        let (_, hash) = crate::auth::generate_token();
        let u = crate::store::users::NewUser { login: format!("demo_{profile}_{role_login}"), full_name: name.into(), role: role.into(), email: None };
        Ok(crate::store::users::create_user(&state.pool, org, &u, &hash, at, None)?.id)
    };
    const EXECUTORS: [&str; 6] = ["Соловьёва Ольга Викторовна", "Кузнецов Артём Игоревич", "Попова Наталья Сергеевна", "Васильев Денис Олегович", "Морозова Елена Андреевна", "Никитин Павел Юрьевич"];
    let mut executors = Vec::new();
    for (k, name) in EXECUTORS.iter().enumerate() {
        executors.push(user(&format!("executor_{}", k + 1), name, "executor")?);
    }
    Ok(Staff {
        org: org.into(),
        executors,
        supervisor: user("supervisor", "Белова Ирина Николаевна (контроль обращений)", "supervisor")?,
        supervisor_login: format!("demo_{profile}_supervisor"),
        clerk: user("clerk", "Орлова Мария Петровна (делопроизводство)", "clerk")?,
        head: user("head", "Глава МО ГО «Ухта» – руководитель администрации", "supervisor")?,
        deputy: user("deputy", "Заместитель руководителя администрации", "supervisor")?,
    })
}
