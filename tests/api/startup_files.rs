//! The running binary: under a permissive umask its data folder, database files, mail files
//! and token are readable by the service's user alone, files left readable by an earlier run
//! are tightened with a warning, and `RUST_LOG` wins over `[log] filter`.

use crate::support::*;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

fn mode(p: &Path) -> u32 {
    std::fs::metadata(p).unwrap_or_else(|e| panic!("{}: {e}", p.display())).permissions().mode() & 0o777
}

/// A started server, stopped however the test ends (a failed assertion leaves no process).
struct Running(std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `appeals serve` under `umask 022` with `RUST_LOG`, waits until it listens, stops it;
/// returns its standard error.
fn run_once(dir: &Path, database_url: &str, rust_log: &str) -> String {
    let bin = env!("CARGO_BIN_EXE_appeals");
    let err_path = dir.join(format!("stderr-{rust_log}.txt"));
    let err = std::fs::File::create(&err_path).unwrap();
    let out_path = dir.join(format!("stdout-{rust_log}.txt"));
    let out = std::fs::File::create(&out_path).unwrap();
    let mut child = Running(std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("umask 022; exec '{bin}' serve"))
        .env("APPEALS_CONFIG_DIR", concat!(env!("CARGO_MANIFEST_DIR"), "/config"))
        .env("APPEALS_DATA_DIR", dir.join("data"))
        .env("APPEALS_LISTEN", "127.0.0.1:0")
        .env("APPEALS_SCHEDULER__ENABLED", "false")
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", rust_log)
        .env("NO_COLOR", "1")
        .stdout(out)
        .stderr(err)
        .spawn()
        .expect("start appeals"));
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(&err_path).unwrap_or_default();
        // `serve` prints its hint just before it binds, whatever the log level.
        if std::fs::read_to_string(&out_path).unwrap_or_default().contains("Web pages:") {
            break;
        }
        if let Ok(Some(status)) = child.0.try_wait() {
            panic!("appeals exited {status}: {text}");
        }
        assert!(started.elapsed() < std::time::Duration::from_secs(120), "appeals did not start: {text}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    std::thread::sleep(std::time::Duration::from_millis(500));
    drop(child);
    std::fs::read_to_string(&err_path).unwrap()
}

both_backends!(files_are_private_after_the_first_start_and_rust_log_wins);
async fn files_are_private_after_the_first_start_and_rust_log_wins(db: Db) {
    let dir = std::env::temp_dir().join(format!("appeals-start-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let (url, pg_name) = match db {
        Db::Sqlite => (format!("sqlite://{}/db/appeals.db", dir.display()), None),
        Db::Postgres => fresh_database(db),
    };
    // A data folder an earlier run left open to everyone, with a mail file in it.
    let data = dir.join("data");
    let mail = data.join("mail");
    std::fs::create_dir_all(&mail).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&mail, std::fs::Permissions::from_mode(0o755)).unwrap();
    let eml = mail.join("earlier.eml");
    std::fs::write(&eml, "To: someone\r\n\r\nтекст").unwrap();
    std::fs::set_permissions(&eml, std::fs::Permissions::from_mode(0o644)).unwrap();

    let err = run_once(&dir, &url, "debug");
    assert!(err.contains("DEBUG") && err.contains("database pool opened"), "RUST_LOG=debug gives debug lines: {err}");
    assert!(err.contains("permissions tightened"), "{err}");
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&mail), 0o700);
    assert_eq!(mode(&eml), 0o600);
    let token = std::fs::read_dir(&data).unwrap().map(|e| e.unwrap().path()).find(|p| p.file_name().unwrap().to_string_lossy().starts_with("admin-token")).expect("admin token written");
    assert_eq!(mode(&token), 0o600);
    if db == Db::Sqlite {
        let files: Vec<PathBuf> = ["appeals.db", "appeals.db-wal", "appeals.db-shm"].iter().map(|f| dir.join("db").join(f)).filter(|p| p.exists()).collect();
        assert!(files.len() >= 2, "{files:?}");
        for f in files {
            assert_eq!(mode(&f), 0o600, "{}", f.display());
        }
        assert_eq!(mode(&dir.join("db")), 0o700, "the database's folder, made under umask 077");
    }
    // A second start finds nothing to tighten; RUST_LOG=warn silences the info lines.
    let err = run_once(&dir, &url, "warn");
    assert!(!err.contains("permissions tightened"), "{err}");
    assert!(!err.contains(" INFO ") && !err.contains("DEBUG"), "RUST_LOG=warn wins over [log] filter: {err}");
    std::fs::remove_dir_all(&dir).ok();
    if let (Some(name), Ok(admin)) = (pg_name, std::env::var("TEST_DATABASE_URL")) {
        use diesel::{Connection, RunQueryDsl};
        if let Ok(mut c) = diesel::PgConnection::establish(&admin) {
            let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut c);
        }
    }
}
