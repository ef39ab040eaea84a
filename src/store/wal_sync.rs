//! SQLite's write transactions: one writer connection per database file, and group commit.
//!
//! Every write transaction of the process runs on the file's writer connection (they queue on
//! one lock anyway). A pooled connection drops its whole page cache whenever another
//! connection has committed, so on a large registry each write re-read its B-tree paths from
//! the OS; the writer's cache stays valid from one transaction to the next.
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
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, Weak};

/// Every how many write transactions one of them checkpoints the WAL after answering (about
/// 20–30 pages per registration, so near SQLite's default of 1,000 pages).
pub const CHECKPOINT_EVERY: u64 = 48;

/// Page cache of the writer connection (KiB). Its cache stays valid between transactions,
/// since no other connection of this process writes; a pooled connection drops its cache
/// whenever another one has committed, so each write re-read its B-tree paths. 4 MiB holds the
/// indexes' upper levels at 100,000 appeals: registration ran as fast as with 16 MiB (the
/// leaves come from the OS's page cache either way) and the peak RSS at that size fell from
/// 81–86 MiB to 49–51 (benches/README, 2026-11-24).
pub const WRITER_CACHE_KIB: i64 = 4_096;

/// One database file's writer: the connection every write transaction of this process runs
/// on, and the flush state of its commits (numbered in WAL order; `synced` is the highest
/// number known to be on disk).
pub struct WalSync {
    db: String,
    wal: PathBuf,
    writer: Mutex<Option<diesel::SqliteConnection>>,
    retired: AtomicBool,
    committed: AtomicU64,
    state: Mutex<Flushed>,
    done: Condvar,
}

#[derive(Default)]
struct Flushed {
    synced: u64,
    flushing: bool,
}

/// The writers of the database files this process has open, by path. Weak: a pool holds its
/// file's writer (`pool::SqlitePragmas`), and dropping the pool closes it (tests open many).
static FILES: Mutex<Option<HashMap<String, Weak<WalSync>>>> = Mutex::new(None);

impl WalSync {
    /// The writer of the database file at `db_path` (as SQLite names it; its WAL is
    /// `<db_path>-wal`), shared while anyone holds it.
    pub fn of(db_path: &str) -> Arc<WalSync> {
        let mut files = FILES.lock().unwrap_or_else(|e| e.into_inner());
        let files = files.get_or_insert_with(HashMap::new);
        if let Some(s) = files.get(db_path).and_then(Weak::upgrade) {
            return s;
        }
        files.retain(|_, w| w.strong_count() > 0);
        let s = Arc::new(WalSync {
            db: db_path.to_string(),
            wal: PathBuf::from(format!("{db_path}-wal")),
            writer: Mutex::new(None),
            retired: AtomicBool::new(false),
            committed: AtomicU64::new(0),
            state: Mutex::new(Flushed::default()),
            done: Condvar::new(),
        });
        files.insert(db_path.to_string(), Arc::downgrade(&s));
        s
    }

    /// The writer connection, opened on first use with the pool's settings, commits at
    /// `NORMAL` (this module flushes) and a larger cache. After a panic inside a transaction
    /// it is closed (rolling that transaction back) and opened afresh.
    pub fn writer(&self) -> Result<MutexGuard<'_, Option<diesel::SqliteConnection>>, diesel::result::Error> {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut w = match self.writer.lock() {
            Ok(w) => w,
            Err(poisoned) => {
                self.writer.clear_poison();
                let mut w = poisoned.into_inner();
                *w = None;
                w
            }
        };
        if self.retired.swap(false, Ordering::SeqCst) {
            *w = None;
        }
        if w.is_none() {
            let mut c = diesel::SqliteConnection::establish(&self.db).map_err(|e| diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::Unknown, Box::new(format!("opening the writer: {e}"))))?;
            c.batch_execute(&format!("{} PRAGMA synchronous = NORMAL; PRAGMA cache_size = -{WRITER_CACHE_KIB};", super::sqlite_session::SQLITE_SESSION))?;
            *w = Some(c);
        }
        Ok(w)
    }

    /// Has the writer closed and opened afresh before the next write transaction. After a large
    /// import: SQLite's page cache keeps the hash table it grew to for the import's cache (64
    /// Ki slots for 256 MiB) when the cache shrinks back, and walks all of it at the end of
    /// every later write transaction (`pcache1TruncateUnsafe`, 4.5% of the server's CPU in
    /// registration after a 100,000-appeal import).
    pub fn retire_writer(&self) {
        self.retired.store(true, Ordering::SeqCst);
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
        // Held as a pool holds it, so the numbering carries over between transactions.
        let s = WalSync::of(&dir.db());
        for _ in 0..3 {
            c.write_tx(|c| c.batch_execute("INSERT INTO t VALUES (1)")).unwrap();
        }
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

    #[derive(diesel::QueryableByName)]
    struct Number {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }

    #[test]
    fn write_transactions_run_on_the_writer_which_survives_a_panic_inside_one() {
        let dir = Scratch::new();
        let mut c = dir.connect("");
        let _held = WalSync::of(&dir.db());
        // The closure is handed the writer connection, with its own cache, not the caller's.
        let cache: Vec<Number> = c.write_tx(|w| diesel::sql_query("SELECT cache_size AS n FROM pragma_cache_size").load(w)).unwrap();
        assert_eq!(cache[0].n, -WRITER_CACHE_KIB);
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _: Result<(), diesel::result::Error> = c.write_tx(|w| {
                w.batch_execute("INSERT INTO t VALUES (1)")?;
                panic!("a bug inside a write transaction");
            });
        }));
        assert!(panicked.is_err());
        // The half-written transaction was rolled back with its connection, and writes go on.
        c.write_tx(|w| w.batch_execute("INSERT INTO t VALUES (2)")).unwrap();
        let rows: Vec<Number> = diesel::sql_query("SELECT COUNT(*) AS n FROM t").load(&mut c).unwrap();
        assert_eq!(rows[0].n, 1);
    }

    #[test]
    fn a_retired_writer_is_replaced_by_a_fresh_connection_before_the_next_write() {
        let dir = Scratch::new();
        let mut c = dir.connect("");
        let sync = WalSync::of(&dir.db());
        // A temporary table lives exactly as long as the connection that made it.
        c.write_tx(|w| w.batch_execute("CREATE TEMP TABLE mark (x); INSERT INTO t VALUES (1)")).unwrap();
        let marks_on_writer = |c: &mut diesel::SqliteConnection| -> i64 {
            let rows: Vec<Number> = c.write_tx(|w| diesel::sql_query("SELECT COUNT(*) AS n FROM temp.sqlite_master WHERE name = 'mark'").load(w)).unwrap();
            rows[0].n
        };
        assert_eq!(marks_on_writer(&mut c), 1, "the writer lives on between transactions");
        sync.retire_writer();
        assert_eq!(marks_on_writer(&mut c), 0, "a new writer after retiring");
        // What the old writer committed stays.
        let rows: Vec<Number> = diesel::sql_query("SELECT COUNT(*) AS n FROM t").load(&mut c).unwrap();
        assert_eq!(rows[0].n, 1);
    }

    #[test]
    fn every_so_many_write_transactions_copy_the_wal_into_the_database() {
        let dir = Scratch::new();
        // As the pool sets them: no automatic checkpoint inside a commit.
        let mut c = dir.connect("PRAGMA wal_autocheckpoint = 0;");
        let _held = WalSync::of(&dir.db());
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
