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
    /// Manage the thematic classifier.
    Classifier {
        #[command(subcommand)]
        command: ClassifierCommand,
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
    },
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
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.log.filter));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    if settings.log.format == "json" {
        builder.json().init();
    } else {
        builder.init();
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::load() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("appeals: {e}");
            return ExitCode::from(2);
        }
    };
    init_logging(&settings);
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
        Command::User { command: UserCommand::Add { login, role, name, email } } => {
            if Role::parse(&role).is_none() {
                return Err(format!("unknown role `{role}` (admin, supervisor, clerk, executor)").into());
            }
            if login.trim().is_empty() || name.trim().is_empty() {
                return Err("--login and --name must not be empty".into());
            }
            let (pool, org) = appeals::app::open(&settings, now)?;
            let (token, hash) = appeals::auth::generate_token();
            let user = appeals::store::users::NewUser { login: login.trim().into(), full_name: name.trim().into(), role, email };
            appeals::store::users::create_user(&pool, &org.id, &user, &hash, now, None).map_err(|e| {
                if e.is_unique_violation() {
                    format!("login `{}` is taken", user.login)
                } else {
                    e.to_string()
                }
            })?;
            println!("{token}");
            Ok(())
        }
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
            println!("planned {}, sent {}, retried {}, failed {}", r.planned, r.sent, r.retried, r.failed);
            Ok(())
        }
        Command::Serve => serve(settings, clock, now),
    }
}

fn serve(settings: Settings, clock: Arc<dyn Clock>, now: chrono::NaiveDateTime) -> Result<(), Box<dyn std::error::Error>> {
    let (pool, org) = appeals::app::open(&settings, now)?;
    let listen = settings.listen.clone();
    if let Some(path) = appeals::app::bootstrap_admin(&settings, &pool, &org, now)? {
        tracing::info!(path = %path.display(), "first administrator created; token written to this file (readable only by its owner)");
        println!("First start: an administrator token was written to {}.", path.display());
        println!("  export TOKEN=$(cat {})", path.display());
        println!("  curl -H \"Authorization: Bearer $TOKEN\" http://{listen}/api/v1/channels");
        println!("More users: appeals user add --login LOGIN --role clerk --name \"ФИО\"");
    }
    let mailer = appeals::notify::mail::Mailer::from_settings(&settings)?;
    let scheduler_on = settings.scheduler.enabled;
    let state = web::Data::new(appeals::app::state(settings, pool, clock)?);
    tracing::info!(%listen, backend = state.pool.backend().as_str(), "appeals listening");
    if scheduler_on {
        appeals::scheduler::spawn(state.clone().into_inner(), mailer);
    } else {
        tracing::info!("scheduler switched off ([scheduler] enabled = false): this instance sends nothing");
    }
    let refresh = state.clone();
    let server = HttpServer::new(move || appeals::api::app(state.clone())).bind(&listen).map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    actix_web::rt::System::new().block_on(async move {
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
    Ok(())
}
