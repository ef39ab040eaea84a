//! How each backend spells what differs in a hand-built statement.

/// How a backend spells the n-th bind parameter of a hand-built statement (also used by `stats`).
pub(crate) trait Dialect {
    /// The marker of the n-th (1-based) parameter.
    fn marker(n: usize) -> String;
}

#[cfg(feature = "sqlite")]
impl Dialect for diesel::SqliteConnection {
    fn marker(_: usize) -> String {
        "?".into()
    }
}

#[cfg(feature = "postgres")]
impl Dialect for diesel::PgConnection {
    fn marker(n: usize) -> String {
        format!("${n}")
    }
}
