//! SQLite's query planner stability guarantee (QPSG) on every connection this process opens.
//!
//! With it a prepared statement keeps its plan whatever values are bound. Without it SQLite
//! (3.50, with `STAT4` compiled in) looks at some bound values while planning and marks the
//! statement to be prepared again whenever one of them is re-bound: a bound `LIMIT` (diesel's
//! `.first()` binds its `LIMIT 1`), a `LIKE` pattern, and after an `ANALYZE` every value compared
//! with an indexed column. The token lookup that starts every request was parsed and planned
//! anew each time: 3.3% of the server's CPU during registration at 8 clients. The plans this
//! service relies on follow their index by the shape of the query, never by a bound value, so
//! stable plans lose nothing and stay what the tests saw, whatever statistics a file gathers.

use libsqlite3_sys as ffi;
use std::os::raw::{c_char, c_int};

/// Registers [`on_open`] once per process, before the first SQLite connection is opened: SQLite
/// runs it inside `sqlite3_open` for every later connection (pooled, the writer, the CLI's).
pub fn enable() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        // SAFETY: registers a function pointer with the signature SQLite calls auto-extensions with.
        let rc = unsafe { ffi::sqlite3_auto_extension(Some(on_open)) };
        if rc != ffi::SQLITE_OK {
            tracing::warn!(rc, "SQLite: stable plans not enabled");
        }
    });
}

/// Sets QPSG on a connection being opened.
unsafe extern "C" fn on_open(db: *mut ffi::sqlite3, _err: *mut *mut c_char, _api: *const ffi::sqlite3_api_routines) -> c_int {
    // SAFETY: `db` is the connection SQLite is opening; ENABLE_QPSG takes an int and an optional
    // int pointer for the new state.
    unsafe { ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, 1 as c_int, std::ptr::null_mut::<c_int>()) };
    ffi::SQLITE_OK
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicI32, Ordering};

    /// QPSG as the last connection opened saw it (-1 before any).
    static SEEN: AtomicI32 = AtomicI32::new(-1);

    unsafe extern "C" fn record(db: *mut ffi::sqlite3, _: *mut *mut c_char, _: *const ffi::sqlite3_api_routines) -> c_int {
        let mut on: c_int = -1;
        // SAFETY: -1 asks for the current state without changing it.
        unsafe { ffi::sqlite3_db_config(db, ffi::SQLITE_DBCONFIG_ENABLE_QPSG, -1 as c_int, &mut on as *mut c_int) };
        SEEN.store(on, Ordering::SeqCst);
        ffi::SQLITE_OK
    }

    #[test]
    fn every_connection_the_pool_opens_has_stable_plans() {
        // A second auto-extension, registered (so run) after `on_open`, reads the state back.
        enable();
        // SAFETY: as in `enable`.
        unsafe { ffi::sqlite3_auto_extension(Some(record)) };
        let dir = std::env::temp_dir().join(format!("appeals-qpsg-{}", uuid::Uuid::new_v4()));
        let pool = crate::store::DbPool::connect(&format!("sqlite://{}/a.db", dir.display()), 2).unwrap();
        assert_eq!(SEEN.load(Ordering::SeqCst), 1);
        drop(pool);
        let _ = std::fs::remove_dir_all(dir);
    }
}
