//! The settings every SQLite connection opens with, shared by the pool (each pooled connection)
//! and the file's writer (`wal_sync`), which adds its own on top.

/// Settings of every SQLite connection. A registered appeal is a legal record:
/// `synchronous = FULL` makes an acknowledged commit survive a power cut; write transactions
/// run on the file's writer connection instead, which commits at NORMAL and flushes the WAL in
/// groups before answering (`wal_sync`). `temp_store = MEMORY`: statement journals (every
/// multi-row insert and trigger-firing statement inside a transaction has one) and sorts stay
/// in memory; on files they cost an open, write, close and unlink in /var/tmp per statement
/// (276 files for 400 registrations). No automatic checkpoint: it would run inside a commit,
/// under the writer lock; `write_tx` checkpoints after answering. A page cache of 1 MiB (the
/// default is 2): a pooled connection drops its cache whenever the writer commits, so a larger
/// one only adds to the peak RSS (four connections, 4 MiB less at 100,000 appeals, at the same
/// rates; benches/README, 2026-11-24).
pub(crate) const SQLITE_SESSION: &str = "PRAGMA busy_timeout = 10000; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -1024;";
