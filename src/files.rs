//! Files only for the service's own user: the database, its WAL, mail files and the first
//! administrator's token hold applicants' personal data or secrets, so nothing the process
//! creates may be readable by other local users, whatever umask it was started with.

use std::path::{Path, PathBuf};

/// Makes every file and folder the process creates from now on private to its user
/// (`umask 077`). Called first thing in `main`, before any file is opened.
pub fn private_umask() {
    #[cfg(unix)]
    // SAFETY: umask only sets the process's file-creation mask; it cannot fail.
    unsafe {
        libc::umask(0o077);
    }
}

/// What [`secure_data`] changed: each path whose mode it tightened, with the mode it had.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Tightened {
    /// (path, former mode) of every file or folder that others could read, write or enter.
    pub paths: Vec<(PathBuf, u32)>,
}

/// Creates the data folder as 0700 (or tightens it), and takes group and other permissions
/// off every file and folder below it and off `extra` files (a SQLite database kept elsewhere,
/// its `-wal` and `-shm`). Returns what it changed, for the caller to warn about.
pub fn secure_data(data_dir: &Path, extra: &[PathBuf]) -> std::io::Result<Tightened> {
    let mut out = Tightened::default();
    std::fs::create_dir_all(data_dir)?;
    tighten(data_dir, &mut out)?;
    walk(data_dir, &mut out, 0)?;
    for p in extra {
        if p.exists() {
            tighten(p, &mut out)?;
        }
    }
    Ok(out)
}

/// The files of a SQLite database URL (`sqlite://path`): the database, `-wal` and `-shm`.
pub fn sqlite_files(database_url: &str) -> Vec<PathBuf> {
    let Some(path) = database_url.strip_prefix("sqlite://").or_else(|| (!database_url.contains("://")).then_some(database_url)) else {
        return Vec::new();
    };
    let path = path.split('?').next().unwrap_or("");
    if path.is_empty() || path == ":memory:" {
        return Vec::new();
    }
    ["", "-wal", "-shm", "-journal"].iter().map(|s| PathBuf::from(format!("{path}{s}"))).collect()
}

fn walk(dir: &Path, out: &mut Tightened, depth: usize) -> std::io::Result<()> {
    if depth > 8 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_symlink() {
            continue;
        }
        let path = entry.path();
        tighten(&path, out)?;
        if ft.is_dir() {
            walk(&path, out, depth + 1)?;
        }
    }
    Ok(())
}

#[cfg(unix)]
fn tighten(path: &Path, out: &mut Tightened) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::symlink_metadata(path)?;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode & 0o700))?;
        out.paths.push((path.to_path_buf(), mode));
    }
    Ok(())
}

#[cfg(not(unix))]
fn tighten(_: &Path, _: &mut Tightened) -> std::io::Result<()> {
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(p: &Path) -> u32 {
        std::fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn readable_files_are_tightened_and_reported() {
        let dir = std::env::temp_dir().join(format!("appeals-files-{}", crate::store::new_id()));
        let mail = dir.join("mail");
        std::fs::create_dir_all(&mail).unwrap();
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o755)).unwrap();
        std::fs::set_permissions(&mail, std::fs::Permissions::from_mode(0o755)).unwrap();
        let eml = mail.join("a.eml");
        std::fs::write(&eml, "x").unwrap();
        std::fs::set_permissions(&eml, std::fs::Permissions::from_mode(0o644)).unwrap();
        let private = dir.join("admin-token");
        std::fs::write(&private, "t").unwrap();
        std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
        let done = secure_data(&dir, &[]).unwrap();
        assert_eq!(mode(&dir), 0o700);
        assert_eq!(mode(&mail), 0o700);
        assert_eq!(mode(&eml), 0o600);
        assert_eq!(mode(&private), 0o600);
        assert_eq!(done.paths.len(), 3, "{done:?}");
        assert!(secure_data(&dir, &[]).unwrap().paths.is_empty(), "a second pass changes nothing");
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(sqlite_files("sqlite://data/appeals.db")[1], PathBuf::from("data/appeals.db-wal"));
        assert!(sqlite_files("postgres://h/db").is_empty());
    }
}
