//! Rebuilds the crate when a migration is added or changed: `embed_migrations!` reads the
//! `migrations/` directories at compile time, and cargo does not watch them by itself.
//!
//! Also sets `cfg(postgres_tests)` when `TEST_DATABASE_URL` is set at build time: the HTTP
//! tests' PostgreSQL cases are then real tests, and without it they are reported as ignored
//! (never as passed).
fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-env-changed=TEST_DATABASE_URL");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    if std::env::var("TEST_DATABASE_URL").is_ok_and(|v| !v.trim().is_empty()) {
        println!("cargo:rustc-cfg=postgres_tests");
    }
}
