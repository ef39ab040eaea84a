//! The `appeals` command: serve the API, migrate, manage users and reference data.

use actix_web::{web, HttpServer};
use appeals::clock::{Clock, SystemClock};
use appeals::config::Settings;
use appeals::domain::roles::Role;
use clap::{Parser, Subcommand};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Parser)]
#[command(name = "appeals", version, about = "Registry and control workflow of citizens' appeals (59-FZ)")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start the HTTP API (migrations apply themselves).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage the organizations of the instance (a region's bodies).
    Org {
        #[command(subcommand)]
        command: OrgCommand,
    },
    /// Manage the thematic classifier.
    Classifier {
        #[command(subcommand)]
        command: ClassifierCommand,
    },
    /// Manage production calendars (config/calendar/YYYY.toml).
    Calendar {
        #[command(subcommand)]
        command: CalendarCommand,
    },
    /// Print the OpenAPI document (YAML).
    Openapi,
    /// Plan staff reminders and send the outbox (for cron; `serve` does this itself).
    Remind {
        /// One planning and one dispatch pass, then exit.
        #[arg(long)]
        once: bool,
        /// Act as if it were this instant (RFC 3339), for catch-up and tests.
        #[arg(long)]
        at: Option<String>,
    },
    /// Load a demo registry: `ukhta` (the published Ukhta figures for 2023–2024) or `random`,
    /// into a database of its own (`<data_dir>/demo-<profile>.sqlite`) unless one is named.
    DemoData {
        /// `ukhta` or `random`.
        #[arg(long)]
        profile: String,
        /// Appeals of the `random` profile.
        #[arg(long, default_value_t = 10_000)]
        scale: usize,
        /// The database to load into (default: a file of its own in the data folder).
        #[arg(long)]
        database_url: Option<String>,
        /// Allow a database that holds real appeals (alone: the configured DATABASE_URL).
        #[arg(long)]
        into_live: bool,
    },
    /// Monthly exports for reporting systems.
    Export {
        #[command(subcommand)]
        command: ExportCommand,
    },
    /// Copy the SQLite database while the service runs (a consistent snapshot; registrations
    /// go on). On PostgreSQL it explains the production way and exits with an error.
    Backup {
        /// The copy to write (must not exist).
        #[arg(long)]
        to: std::path::PathBuf,
    },
    /// Put a copy made by `appeals backup` in place of the SQLite database (stop the service
    /// first); checks the copy's integrity and migration level before touching anything.
    Restore {
        /// The copy to restore.
        #[arg(long)]
        from: std::path::PathBuf,
        /// Replace a database that holds data (its files are kept beside it, renamed).
        #[arg(long)]
        force: bool,
    },
    /// Import a body's legacy journal (XLSX or CSV in UTF-8 or Windows-1251): every row checked,
    /// then all or nothing; journal numbers already imported are skipped.
    ImportRegistry {
        /// The journal file.
        #[arg(long)]
        file: std::path::PathBuf,
        /// Column mapping in TOML (default: `<config>/legacy-import.toml`, else the usual headers).
        #[arg(long)]
        mapping: Option<std::path::PathBuf>,
        /// Check only: print the rows that would be refused and the summary, store nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Statistics rollups.
    Stats {
        #[command(subcommand)]
        command: StatsCommand,
    },
}

#[derive(Subcommand)]
enum StatsCommand {
    /// Build every organization's statistics rollup again from its appeals (after data was
    /// loaded around the service, or a time zone changed; `serve` builds a missing one in the
    /// background by itself).
    Rebuild,
}

#[derive(Subcommand)]
enum ExportCommand {
    /// Print the ССТУ.РФ export of a month (`{"items": [...]}`) and log it; violations go to
    /// stderr, one per line with the appeal's registration number, and nothing is exported.
    Sstu {
        /// The month, YYYY-MM.
        #[arg(long)]
        month: String,
        /// Only the objects changed since the month's last export.
        #[arg(long)]
        since_last: bool,
    },
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Read a xmlcalendar.ru XML or Ministry of Labour open-data CSV file and write YYYY.toml.
    Import {
        /// The XML or CSV file.
        file: std::path::PathBuf,
        /// Where to write YYYY.toml (default: the config folder's `calendar/`).
        #[arg(long)]
        out: Option<std::path::PathBuf>,
        /// Only this year (a CSV holds a row per year; default: every year in the file).
        #[arg(long)]
        year: Option<i32>,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Create a user and print only its new API token.
    Add {
        /// Login.
        #[arg(long)]
        login: String,
        /// admin, supervisor, clerk or executor.
        #[arg(long)]
        role: String,
        /// Full name.
        #[arg(long)]
        name: String,
        /// E-mail for notifications.
        #[arg(long)]
        email: Option<String>,
        /// Code of the user's organization (default: the one from config/).
        #[arg(long)]
        org: Option<String>,
    },
    /// List the organization's users (login, role, state, department), disabled ones too.
    List,
    /// Disable a user: their tokens stop working at once.
    Disable {
        /// Login.
        #[arg(long)]
        login: String,
    },
    /// Change a user's role.
    SetRole {
        /// Login.
        #[arg(long)]
        login: String,
        /// admin, supervisor, clerk or executor.
        #[arg(long)]
        role: String,
    },
    /// Set a user's password for the web pages, read as one line from standard input
    /// (e.g. `echo 'пароль' | appeals user set-password --login clerk`); ends their sessions.
    SetPassword {
        /// Login.
        #[arg(long)]
        login: String,
    },
    /// Issue a new API token for a user (e.g. the administrator of this database) and print only it.
    Token {
        /// Login.
        #[arg(long)]
        login: String,
        /// The token expires after this many days (none: until revoked).
        #[arg(long)]
        days: Option<u32>,
    },
}

#[derive(Subcommand)]
enum OrgCommand {
    /// Add an organization and print only its id.
    Add {
        /// Stable code, unique in the instance (latin letters, digits, `-`, `_`).
        #[arg(long)]
        code: String,
        /// Name.
        #[arg(long)]
        name: String,
        /// IANA time zone, e.g. Europe/Moscow.
        #[arg(long)]
        time_zone: String,
        /// Its ССТУ.РФ department GUID.
        #[arg(long)]
        sstu_department_id: Option<String>,
        /// Code of the body above it.
        #[arg(long)]
        parent: Option<String>,
        /// Start of its working day, HH:MM (default: the config file's [reminders] work_start).
        #[arg(long)]
        work_start: Option<String>,
        /// End of its working day, HH:MM (default: the config file's [reminders] work_end).
        #[arg(long)]
        work_end: Option<String>,
    },
    /// List the organizations (id, code, active, name).
    List,
}

#[derive(Subcommand)]
enum ClassifierCommand {
    /// Load a revised classifier TSV (code, level, parent, name).
    Import {
        /// The TSV file.
        file: std::path::PathBuf,
    },
}

fn init_logging(settings: &Settings) {
    use tracing_subscriber::EnvFilter;
    // `RUST_LOG`, when set, wins over `[log] filter` (README, "Configuration").
    let filter = match std::env::var("RUST_LOG") {
        Ok(v) if !v.trim().is_empty() => EnvFilter::try_new(&v).unwrap_or_else(|e| {
            eprintln!("appeals: RUST_LOG `{v}` is not a valid filter ({e}); using [log] filter");
            EnvFilter::new(&settings.log.filter)
        }),
        _ => EnvFilter::new(&settings.log.filter),
    };
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if settings.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    // Before any file is opened: what the process creates is its user's alone.
    appeals::files::private_umask();
    appeals::memory::cap_arenas();
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("appeals: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
    tracing::debug!(config_dir = %settings.config_dir.display(), data_dir = %settings.data_dir.display(), "settings loaded");
    match run(cli, settings) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("appeals: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli, settings: Settings) -> Result<(), Box<dyn std::error::Error>> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let now = appeals::store::micros(clock.now());
    match cli.command {
        Command::Openapi => {
            print!("{}", appeals::api::openapi_yaml());
            Ok(())
        }
        Command::Migrate => {
            let (pool, _) = appeals::app::open(&settings, now)?;
            println!("migrations applied ({})", pool.backend().as_str());
            Ok(())
        }
        Command::User { command: UserCommand::Add { login, role, name, email, org: org_code } } => {
            if Role::parse(&role).is_none() {
                return Err(format!("unknown role `{role}` ({})", role_codes()).into());
            }
            let login = appeals::domain::text::login(&login).map_err(|m| format!("--login: {m}"))?;
            if appeals::domain::text::is_blank(&name) || appeals::domain::text::has_hidden(&name) {
                return Err("--name must be visible text".into());
            }
            let (pool, default_org) = appeals::app::open(&settings, now)?;
            let org = match org_code {
                Some(code) => appeals::store::organizations::by_code(&pool, code.trim())?.ok_or_else(|| format!("--org: no organization `{code}` (appeals org list)"))?,
                None => default_org,
            };
            let (token, hash) = appeals::auth::generate_token();
            let user = appeals::store::users::NewUser { login, full_name: appeals::domain::text::nfc(name.trim()), role, email };
            appeals::store::users::create_user(&pool, &org.id, &user, &hash, now, None).map_err(|e| {
                if e.is_unique_violation() {
                    format!("login `{}` is taken (logins are unique in the instance)", user.login)
                } else {
                    e.to_string()
                }
            })?;
            println!("{token}");
            Ok(())
        }
        Command::User { command } => user_command(command, &settings, now),
        Command::Org { command } => org_command(command, settings, clock, now),
        Command::Classifier { command: ClassifierCommand::Import { file } } => {
            let text = std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let entries = appeals::domain::classifier::parse_tsv(&text)?;
            let (pool, _) = appeals::app::open(&settings, now)?;
            let n = appeals::store::classifier::upsert_all(&pool, &entries)?;
            println!("classifier: {n} entries loaded");
            Ok(())
        }
        Command::Remind { once, at } => {
            if !once {
                return Err("only `appeals remind --once` is supported; `serve` runs the scheduler continuously".into());
            }
            let at = match at {
                Some(s) => chrono::DateTime::parse_from_rfc3339(&s).map_err(|e| format!("--at: {e} (e.g. 2026-12-01T10:00:00+03:00)"))?.with_timezone(&chrono::Utc),
                None => clock.now(),
            };
            let (pool, _) = appeals::app::open(&settings, now)?;
            let mailer = appeals::notify::mail::Mailer::from_settings(&settings)?;
            let state = appeals::app::state(settings, pool, clock)?;
            let r = appeals::scheduler::run_once(&state, &mailer, at)?;
            println!("planned {}, sent {}, retried {}, failed {}, cancelled {}", r.planned, r.sent, r.retried, r.failed, r.cancelled);
            Ok(())
        }
        Command::Calendar { command: CalendarCommand::Import { file, out, year } } => {
            let dir = out.unwrap_or_else(|| settings.config_dir.join("calendar"));
            for line in import_calendar(&file, &dir, year)? {
                println!("{line}");
            }
            println!("Перезапустите `appeals serve`, чтобы календарь вступил в силу.");
            Ok(())
        }
        Command::Export { command: ExportCommand::Sstu { month, since_last } } => {
            let (pool, org) = appeals::app::open(&settings, now)?;
            let state = appeals::app::state(settings, pool, clock)?;
            // Streamed to standard output as it is written, never held whole.
            let req = appeals::reports::sstu::Request { month: month.clone(), since_last, zip: false, part: 1 };
            let open = |_: &appeals::reports::sstu::Plan| Ok(std::io::BufWriter::with_capacity(1 << 16, std::io::stdout().lock()));
            match appeals::reports::sstu::export_to(&state, &org.id, None, &req, open, |_| Ok(None)) {
                Ok(done) => {
                    use std::io::Write;
                    let mut out = done.body;
                    out.write_all(b"\n")?;
                    out.flush()?;
                    eprintln!("ССТУ.РФ {month}: объектов {}", done.items);
                    Ok(())
                }
                Err(appeals::reports::sstu::ExportError::Invalid(list)) => {
                    for v in &list {
                        eprintln!("{}\t{}\t{}", v.reg_number, v.field, v.message);
                    }
                    Err(format!("выгрузка не сформирована: нарушений {}", list.len()).into())
                }
                Err(e) => Err(e.to_string().into()),
            }
        }
        Command::Serve => serve(settings, clock, now),
        Command::Backup { to } => {
            let started = std::time::Instant::now();
            let facts = appeals::store::backup::backup(&settings.database_url, &to)?;
            println!(
                "backup written to {}: {} appeals, {} bytes, migration {}, integrity ok, {:.1} s",
                to.display(),
                facts.appeals,
                facts.bytes,
                facts.migration,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Restore { from, force } => {
            let facts = appeals::store::backup::restore(&settings.database_url, &from, force)?;
            println!("restored {} into {}: {} appeals, migration {}, integrity ok", from.display(), settings.database_url, facts.appeals, facts.migration);
            if facts.pending > 0 {
                println!("{} newer migrations will be applied when `appeals serve` starts", facts.pending);
            }
            Ok(())
        }
        Command::ImportRegistry { file, mapping, dry_run } => {
            let bytes = std::fs::read(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let mapping = match mapping.or_else(|| Some(settings.config_dir.join("legacy-import.toml")).filter(|p| p.exists())) {
                Some(path) => appeals::intake::legacy::columns::Mapping::parse(&std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?)?,
                None => appeals::intake::legacy::columns::Mapping::default(),
            };
            let (pool, org) = appeals::app::open(&settings, now)?;
            let state = appeals::app::state(settings, pool, clock)?;
            match appeals::registry::legacy::run(&state, &org.id, None, &bytes, &mapping, dry_run) {
                Ok(outcome) => {
                    for e in &outcome.errors {
                        eprintln!("строка {}\t{}\t{}", e.row, e.column, e.message);
                    }
                    for u in &outcome.unknown_questions {
                        eprintln!("строка {}\tвопрос не определён\t{}", u.row, u.text);
                    }
                    println!("{}", serde_json::to_string_pretty(&outcome.summary)?);
                    println!("{}", outcome.message);
                    if dry_run && !outcome.errors.is_empty() {
                        return Err(format!("строк с ошибками: {}", outcome.summary.refused_rows).into());
                    }
                    Ok(())
                }
                Err(appeals::store::ServiceError::Invalid(errors)) => {
                    for e in &errors {
                        eprintln!("{}\t{}", e.field, e.message);
                    }
                    Err(format!("журнал не импортирован: ошибок {}", errors.len()).into())
                }
                Err(e) => Err(e.to_string().into()),
            }
        }
        Command::Stats { command: StatsCommand::Rebuild } => {
            let (pool, _) = appeals::app::open(&settings, now)?;
            let state = appeals::app::state(settings, pool, clock)?;
            for org in appeals::store::organizations::list(&state.pool)? {
                let started = std::time::Instant::now();
                let local_day = |t: chrono::NaiveDateTime| state.local_date(&org.id, t.and_utc());
                let rows = appeals::store::stats_deltas::rebuild(&state.pool, &org.id, &local_day, state.now_naive())?;
                println!("statistics rollup of {} built: {rows} daily rows in {:.1} s", org.code, started.elapsed().as_secs_f64());
            }
            Ok(())
        }
        Command::DemoData { profile, scale, database_url, into_live } => {
            let profile = appeals::demo::Profile::parse(&profile, scale).ok_or_else(|| format!("unknown profile `{profile}` (ukhta, random)"))?;
            let mut settings = settings;
            settings.database_url = match (database_url, into_live) {
                (Some(url), _) => url,
                (None, true) => settings.database_url.clone(),
                (None, false) => appeals::demo::own_database_url(&settings.data_dir, &profile),
            };
            let url = settings.database_url.clone();
            let (pool, org) = appeals::app::open(&settings, now)?;
            appeals::demo::check_target(&pool, &profile, into_live)?;
            // A fresh demo database gets its administrator before the demo staff exist
            // (`serve` only creates one on a database without users).
            let token = appeals::app::bootstrap_admin(&settings, &pool, &org, now)?;
            let state = appeals::app::state(settings, pool, clock)?;
            let started = std::time::Instant::now();
            let loaded = appeals::demo::load(&state, &org.id, &profile, into_live)?;
            println!(
                "demo-data: профиль «{}» загружен в {url}: обращений {}, шагов рассмотрения {} (отклонено {}), {:.1} с",
                profile.name(),
                loaded.appeals,
                loaded.steps,
                loaded.refused,
                started.elapsed().as_secs_f64()
            );
            if let Some(path) = token {
                println!("demo-data: токен администратора — в файле {}", path.display());
            }
            println!("demo-data: запустить службу на этой базе: DATABASE_URL={url} appeals serve");
            Ok(())
        }
    }
}

/// Parses `file` (either format), checks each year by loading it back, and writes
/// `dir/YYYY.toml` atomically; returns one line per written year for the operator.
fn import_calendar(file: &std::path::Path, dir: &std::path::Path, only: Option<i32>) -> Result<Vec<String>, String> {
    use appeals::domain::calendar::ProductionCalendar;
    use appeals::domain::calendar_import;
    let bytes = std::fs::read(file).map_err(|e| format!("{}: {e}", file.display()))?;
    let text = String::from_utf8(bytes).map_err(|_| format!("{}: файл не в кодировке UTF-8 (пересохраните его в UTF-8)", file.display()))?;
    let (format, mut years) = calendar_import::parse(&text).map_err(|e| format!("{}: {e}", file.display()))?;
    if let Some(y) = only {
        let found: Vec<String> = years.iter().map(|x| x.year.to_string()).collect();
        years.retain(|x| x.year == y);
        if years.is_empty() {
            return Err(format!("{}: нет {y} года (в файле: {})", file.display(), found.join(", ")));
        }
    }
    let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let source = format!("Импорт: {} ({name}); сверить с постановлением Правительства РФ", format.label());
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut report = Vec::new();
    for y in &years {
        let toml = y.to_toml(&source);
        ProductionCalendar::from_toml_str(&toml).map_err(|e| format!("{} год: {e}", y.year))?;
        let path = dir.join(format!("{}.toml", y.year));
        let replaced = path.exists();
        let tmp = dir.join(format!(".{}.toml.tmp", y.year));
        std::fs::write(&tmp, toml).and_then(|_| std::fs::rename(&tmp, &path)).map_err(|e| format!("{}: {e}", path.display()))?;
        let saturdays: Vec<String> = y.working.iter().map(|d| d.format("%d.%m").to_string()).collect();
        report.push(format!(
            "{}: записан {} — рабочих дней {}, сокращённых {}, рабочие выходные: {}{}",
            y.year,
            path.display(),
            y.working_days(),
            y.short.len(),
            if saturdays.is_empty() { "нет".to_string() } else { saturdays.join(", ") },
            if replaced { " (прежний файл заменён)" } else { "" }
        ));
    }
    Ok(report)
}

/// The role codes, for messages.
fn role_codes() -> String {
    Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
}

/// `org add | list`: the organizations of the instance, from the server's shell.
fn org_command(command: OrgCommand, settings: Settings, clock: Arc<dyn Clock>, now: chrono::NaiveDateTime) -> Result<(), Box<dyn std::error::Error>> {
    let (pool, _) = appeals::app::open(&settings, now)?;
    match command {
        OrgCommand::Add { code, name, time_zone, sstu_department_id, parent, work_start, work_end } => {
            let parent_id = match parent {
                Some(p) => Some(appeals::store::organizations::by_code(&pool, p.trim())?.ok_or_else(|| format!("--parent: no organization `{p}` (appeals org list)"))?.id),
                None => None,
            };
            let state = appeals::app::state(settings, pool, clock)?;
            let input = appeals::organizations::OrgInput { code, name, time_zone, sstu_department_id, parent_id, work_start, work_end };
            match appeals::organizations::create(&state, &input) {
                Ok(row) => println!("{}", row.id),
                Err(appeals::store::ServiceError::Invalid(list)) => {
                    let flag = |f: &str| format!("--{}", f.replace('_', "-"));
                    return Err(list.iter().map(|e| format!("{}: {}", flag(&e.field), e.message)).collect::<Vec<_>>().join("; ").into());
                }
                Err(e) => return Err(e.to_string().into()),
            }
        }
        OrgCommand::List => {
            println!("id\tcode\tactive\tname");
            for o in appeals::store::organizations::list(&pool)? {
                println!("{}\t{}\t{}\t{}", o.id, o.code, if o.active { "yes" } else { "no" }, o.name);
            }
        }
    }
    Ok(())
}

/// `user list | disable | set-role | token`: administration from the server's shell, on the
/// database `DATABASE_URL` names.
fn user_command(command: UserCommand, settings: &Settings, now: chrono::NaiveDateTime) -> Result<(), Box<dyn std::error::Error>> {
    use appeals::store::users;
    let (pool, org) = appeals::app::open(settings, now)?;
    let find = |login: &str| -> Result<appeals::store::models::UserRow, Box<dyn std::error::Error>> {
        let login = appeals::domain::text::login(login).map_err(|m| format!("--login: {m}"))?;
        users::user_by_login_anywhere(&pool, &login)?.ok_or_else(|| format!("no user `{login}` in this database ({})", pool.backend().as_str()).into())
    };
    match command {
        UserCommand::List => {
            println!("login\trole\tactive\tdepartment");
            for (u, d) in users::list_users(&pool, &org.id, None, true)? {
                println!("{}\t{}\t{}\t{}", u.login, u.role, if u.active { "yes" } else { "no" }, d.unwrap_or_else(|| "-".into()));
            }
        }
        UserCommand::Disable { login } => {
            let u = find(&login)?;
            users::update_user(&pool, &u.organization_id, &u.id, &users::UserChange { active: Some(false), ..Default::default() })?;
            tracing::info!(user_id = %u.id, "user disabled from the command line");
            println!("{} disabled", u.login);
        }
        UserCommand::SetRole { login, role } => {
            let role = Role::parse(&role).ok_or_else(|| format!("unknown role `{role}` ({})", role_codes()))?;
            let u = find(&login)?;
            users::update_user(&pool, &u.organization_id, &u.id, &users::UserChange { role: Some(role.as_str().into()), ..Default::default() })?;
            tracing::info!(user_id = %u.id, role = role.as_str(), "role changed from the command line");
            println!("{} is now {}", u.login, role.as_str());
        }
        UserCommand::Token { login, days } => {
            let u = find(&login)?;
            if !u.active {
                return Err(format!("user `{}` is disabled", u.login).into());
            }
            let (token, hash) = appeals::auth::generate_token();
            let expires = days.map(|d| now + chrono::Duration::days(d.clamp(1, 3650) as i64));
            users::add_token(&pool, &u.organization_id, &u.id, &hash, now, expires)?;
            tracing::info!(user_id = %u.id, "token issued from the command line");
            println!("{token}");
        }
        UserCommand::SetPassword { login } => {
            let u = find(&login)?;
            let mut line = String::new();
            std::io::stdin().read_line(&mut line)?;
            let password = line.trim_end_matches(['\r', '\n']);
            if let Some(problem) = appeals::auth::password_problem(password) {
                return Err(problem.into());
            }
            let hash = appeals::auth::hash_password(password)?;
            appeals::store::sessions::set_password(&pool, &u.organization_id, &u.id, &hash, now)?;
            tracing::info!(user_id = %u.id, "password set from the command line");
            println!("password set for {}", u.login);
        }
        UserCommand::Add { .. } => unreachable!("handled by run"),
    }
    Ok(())
}

fn serve(settings: Settings, clock: Arc<dyn Clock>, now: chrono::NaiveDateTime) -> Result<(), Box<dyn std::error::Error>> {
    // Files of earlier runs (under another umask) that other local users could read.
    let tightened = appeals::files::secure_data(&settings.data_dir, &appeals::files::sqlite_files(&settings.database_url)).map_err(|e| format!("{}: {e}", settings.data_dir.display()))?;
    for (path, mode) in &tightened.paths {
        tracing::warn!(path = %path.display(), mode = %format!("{mode:o}"), "readable by other users: permissions tightened to the service's user only");
    }
    let (pool, org) = appeals::app::open(&settings, now)?;
    let listen = settings.listen.clone();
    if let Some(path) = appeals::app::bootstrap_admin(&settings, &pool, &org, now)? {
        tracing::info!(path = %path.display(), "first administrator created; token written to this file (readable only by its owner)");
        println!("First start on this database: an administrator token was written to {}.", path.display());
        println!("  export TOKEN=$(cat {})", path.display());
        println!("  curl -H \"Authorization: Bearer $TOKEN\" http://{listen}/api/v1/channels");
        println!("A new token for this database at any time: appeals user token --login admin");
        println!("More users: appeals user add --login LOGIN --role clerk --name \"ФИО\"");
    }
    println!("Web pages: http://{listen}/ — a password for signing in: echo 'ПАРОЛЬ' | appeals user set-password --login admin");
    let mailer = appeals::notify::mail::Mailer::from_settings(&settings)?;
    let scheduler_on = settings.scheduler.enabled;
    let state = web::Data::new(appeals::app::state(settings, pool, clock)?);
    let missing = state.calendar.missing_years(state.instance_today());
    if !missing.is_empty() {
        let years: Vec<String> = missing.iter().map(i32::to_string).collect();
        tracing::warn!(years = %years.join(", "), "no production calendar for {}: deadlines there count weekends and fixed holidays only; add config/calendar/YYYY.toml (appeals calendar import FILE) and restart", years.join(", "));
    }
    tracing::info!(%listen, backend = state.pool.backend().as_str(), "appeals listening");
    if scheduler_on {
        appeals::scheduler::spawn(state.clone().into_inner(), mailer);
    } else {
        tracing::info!("scheduler switched off ([scheduler] enabled = false): this instance sends nothing");
    }
    // The statistics rollup, if this database has appeals but no rollup yet (data from before
    // the rollups, or loaded around the service): built beside the server, which meanwhile
    // answers statistics by the scan.
    // Every organization's, one after another (a region's organizations share the database).
    let builder = state.clone().into_inner();
    let first = org.id.clone();
    std::thread::spawn(move || {
        let orgs = match appeals::store::organizations::list(&builder.pool) {
            Ok(rows) => rows.into_iter().map(|o| o.id).collect(),
            Err(e) => {
                tracing::warn!(error = ?e, "organizations unreadable; only the first one's statistics rollup is built");
                vec![first]
            }
        };
        for org_id in orgs {
            let started = std::time::Instant::now();
            match appeals::reports::statistics::build_rollup(&builder, &org_id) {
                Ok(Some(rows)) => tracing::info!(organization = %org_id, rows, seconds = started.elapsed().as_secs(), "statistics rollup built"),
                Ok(None) => {}
                Err(e) => tracing::warn!(organization = %org_id, error = ?e, "statistics rollup not built; statistics are counted by the scan"),
            }
        }
    });
    let refresh = state.clone();
    let closing = state.pool.clone();
    let metrics_listen = state.settings.metrics.listen.trim().to_string();
    let metrics_state = state.clone();
    let server = HttpServer::new(move || appeals::app::service(state.clone())).bind(&listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    // Prometheus' endpoint on an address of its own, with one worker: a scrape never takes a
    // request worker.
    let metrics = if metrics_listen.is_empty() {
        None
    } else {
        let s = HttpServer::new(move || appeals::app::metrics_service(metrics_state.clone()))
            .workers(1)
            .bind(&metrics_listen)
            .map_err(|e| format!("cannot listen for metrics on {metrics_listen}: {e}"))?;
        tracing::info!(listen = %metrics_listen, "metrics served at /metrics");
        Some(s)
    };
    actix_web::rt::System::new().block_on(async move {
        if let Some(m) = metrics {
            actix_web::rt::spawn(m.run());
        }
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(60)).await;
                let st = refresh.clone();
                match web::block(move || appeals::app::reload_codes(&st)).await {
                    Ok(Ok(_)) => {}
                    Ok(Err(e)) => tracing::warn!(error = %e, "classifier codes not refreshed"),
                    Err(e) => tracing::warn!(error = %e, "classifier codes not refreshed"),
                }
            }
        });
        server.run().await
    })?;
    // Closing: the planner's statistics brought up to date for the next start (SQLite's
    // `PRAGMA optimize`), so nobody has to remember an ANALYZE.
    match appeals::store::optimize::optimize(&closing) {
        Ok(()) => tracing::info!("database optimized on close"),
        Err(e) => tracing::warn!(error = %e, "PRAGMA optimize on close failed"),
    }
    Ok(())
}
