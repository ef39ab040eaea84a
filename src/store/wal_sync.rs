//! Group commit for SQLite's write transactions.
//!
//! At `synchronous = FULL` every commit flushes the WAL while it still holds the database's one
//! writer lock: at 8 concurrent registrations that flush was half of each transaction's time
//! under the lock (545 of 921 µs at one client). Here a write transaction commits at
//! `synchronous = NORMAL` (its WAL frames are written, not flushed), lets the next writer in,
//! and only then waits for a flush of the WAL that covers its commit. One `fdatasync` covers
//! every commit made before it started, so commits queued behind each other share it. The
//! caller still answers only after its commit is on disk, as at `FULL`; what changes is that
//! another connection may read a commit up to one flush before it is durable. A later
//! transaction's frames follow it in the WAL, so a power cut can lose the newest commits but
//! never one that a surviving commit was built on.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// Every how many write transactions one of them checkpoints the WAL after answering (about
/// 20–30 pages per registration, so near SQLite's default of 1,000 pages).
pub const CHECKPOINT_EVERY: u64 = 48;

/// One database file's flush state: commits are numbered in WAL order, and `synced` is the
/// highest number known to be on disk.
pub struct WalSync {
    wal: PathBuf,
    committed: AtomicU64,
    state: Mutex<Flushed>,
    done: Condvar,
}

#[derive(Default)]
struct Flushed {
    synced: u64,
    flushing: bool,
}

/// Flush states of the database files this process writes, by path (tests open many).
static FILES: Mutex<Option<HashMap<String, Arc<WalSync>>>> = Mutex::new(None);

impl WalSync {
    /// The flush state of the database file at `db_path` (its WAL is `<db_path>-wal`).
    pub fn of(db_path: &str) -> Arc<WalSync> {
        let mut files = FILES.lock().unwrap_or_else(|e| e.into_inner());
        files
            .get_or_insert_with(HashMap::new)
            .entry(db_path.to_string())
            .or_insert_with(|| {
                Arc::new(WalSync {
                    wal: PathBuf::from(format!("{db_path}-wal")),
                    committed: AtomicU64::new(0),
                    state: Mutex::new(Flushed::default()),
                    done: Condvar::new(),
                })
            })
            .clone()
    }

    /// Numbers a commit that just returned; called while the writer lock is still held, so the
    /// numbers follow the WAL's order.
    pub fn committed(&self) -> u64 {
        self.committed.fetch_add(1, Ordering::SeqCst) + 1
    }

    /// Returns once commit `ticket` is on disk: either a flush that started after it finished,
    /// or this thread runs one covering every commit made so far.
    pub fn wait(&self, ticket: u64) -> std::io::Result<()> {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if st.synced >= ticket {
                return Ok(());
            }
            if st.flushing {
                st = self.done.wait(st).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            st.flushing = true;
            let upto = self.committed.load(Ordering::SeqCst);
            drop(st);
            let r = flush(&self.wal);
            st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            st.flushing = false;
            if r.is_ok() {
                st.synced = st.synced.max(upto);
            }
            self.done.notify_all();
            r?;
        }
    }
}

/// `fdatasync` of the WAL file. Opened afresh each time: SQLite deletes the WAL when its last
/// connection closes, and a kept descriptor would then flush a file nobody writes. No WAL
/// means a checkpoint already copied every commit into the database file and flushed it.
fn flush(wal: &std::path::Path) -> std::io::Result<()> {
    match std::fs::OpenOptions::new().read(true).write(true).open(wal) {
        Ok(f) => f.sync_data(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::WriteTx;
    use diesel::connection::SimpleConnection;
    use diesel::{Connection, RunQueryDsl};

    /// A scratch directory, removed when dropped, and the path of a database file in it.
    struct Scratch(std::path::PathBuf);

    impl Scratch {
        fn new() -> Self {
            let dir = std::env::temp_dir().join(format!("walsync-{}", uuid::Uuid::new_v4()));
            std::fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }

        fn db(&self) -> String {
            self.0.join("t.db").to_string_lossy().to_string()
        }

        /// A connection in WAL mode with these further settings and a table `t (x)`.
        fn connect(&self, pragmas: &str) -> diesel::SqliteConnection {
            let mut c = diesel::SqliteConnection::establish(&self.db()).unwrap();
            c.batch_execute(&format!("PRAGMA journal_mode = WAL; {pragmas} CREATE TABLE t (x BLOB)")).unwrap();
            c
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }

    #[test]
    fn a_ticket_waits_for_a_flush_started_after_it() {
        let dir = Scratch::new();
        let db = dir.db();
        let s = WalSync::of(&db);
        assert!(Arc::ptr_eq(&s, &WalSync::of(&db)), "one state per file");
        // No WAL file yet: nothing to flush, the wait returns.
        let t1 = s.committed();
        s.wait(t1).unwrap();
        std::fs::write(format!("{db}-wal"), b"frames").unwrap();
        let (t2, t3) = (s.committed(), s.committed());
        assert_eq!((t2, t3), (2, 3));
        s.wait(t2).unwrap();
        // The flush for t2 covered every commit numbered before it started.
        assert!(s.state.lock().unwrap().synced >= t3);
        let threads: Vec<_> = (0..8)
            .map(|_| {
                let s = s.clone();
                std::thread::spawn(move || {
                    let t = s.committed();
                    s.wait(t).unwrap();
                    assert!(s.state.lock().unwrap().synced >= t);
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
    }

    #[test]
    fn a_write_transaction_returns_after_its_commit_is_flushed_and_leaves_full_behind() {
        let dir = Scratch::new();
        let mut c = dir.connect("PRAGMA synchronous = FULL;");
        for _ in 0..3 {
            c.write_tx(|c| c.batch_execute("INSERT INTO t VALUES (1)")).unwrap();
        }
        let s = WalSync::of(&dir.db());
        let committed = s.committed.load(Ordering::SeqCst);
        assert_eq!(committed, 3, "each committed write transaction is numbered");
        assert!(s.state.lock().unwrap().synced >= committed, "answered only once flushed");
        // A failed transaction is not numbered and waits for nothing.
        let r: Result<(), diesel::result::Error> = c.write_tx(|c| {
            c.batch_execute("INSERT INTO t VALUES (2)")?;
            Err(diesel::result::Error::RollbackTransaction)
        });
        assert!(r.is_err());
        assert_eq!(s.committed.load(Ordering::SeqCst), 3);
        #[derive(diesel::QueryableByName)]
        struct Sync {
            #[diesel(sql_type = diesel::sql_types::Integer)]
            synchronous: i32,
        }
        let v: Vec<Sync> = diesel::sql_query("PRAGMA synchronous").load(&mut c).unwrap();
        assert_eq!(v[0].synchronous, 2, "autocommit writes keep FULL");
    }

    #[test]
    fn every_so_many_write_transactions_copy_the_wal_into_the_database() {
        let dir = Scratch::new();
        // As the pool sets them: no automatic checkpoint inside a commit.
        let mut c = dir.connect("PRAGMA wal_autocheckpoint = 0;");
        let size = || std::fs::metadata(dir.db()).unwrap().len();
        let before = size();
        for _ in 1..CHECKPOINT_EVERY {
            c.write_tx(|c| c.batch_execute("INSERT INTO t VALUES (zeroblob(20000))")).unwrap();
        }
        assert_eq!(size(), before, "the rows are still only in the WAL");
        c.write_tx(|c| c.batch_execute("INSERT INTO t VALUES (zeroblob(20000))")).unwrap();
        assert!(size() > before + 20000 * (CHECKPOINT_EVERY - 1), "the checkpoint copied the pages into the database: {} bytes", size());
    }
}
