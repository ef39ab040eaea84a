//! Hand-written statements that stay prepared on their connection.
//!
//! diesel's `sql_query` marks itself unsafe to cache, so PostgreSQL parses and plans it on
//! every call: for registration's two statements that was about 0.5 ms of the database's CPU
//! per appeal, more than their execution. A [`Prepared`] statement's text is fixed (binds only,
//! never values spliced in), so diesel's statement cache keeps one prepared statement per
//! connection for it, keyed by that text.

use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, Integer, Text, Untyped};
use diesel::QueryResult;

/// A bind value of a [`Prepared`] statement.
#[derive(Debug, Clone)]
pub enum Arg {
    /// `text`.
    Text(String),
    /// `text[]` (PostgreSQL only).
    Texts(Vec<String>),
    /// `integer`.
    Int(i32),
    /// `bigint`.
    BigInt(i64),
    /// `boolean`.
    Bool(bool),
    /// `date`.
    Date(chrono::NaiveDate),
}

/// Fixed SQL with `?` where each argument goes (in order); run it like any diesel query
/// (`execute`, `load` into a `QueryableByName` type).
#[derive(Debug)]
pub struct Prepared {
    sql: std::borrow::Cow<'static, str>,
    args: Vec<Arg>,
}

impl Prepared {
    /// The statement `sql` with its arguments; the number of `?` must match `args`.
    pub fn new(sql: &'static str, args: Vec<Arg>) -> Self {
        Self::owned(sql.into(), args)
    }

    /// A statement whose text is built at run time from a small set of shapes (one per count of
    /// some list, say): each distinct text is prepared once per connection and then reused, so
    /// the shapes must be few; values always go in as arguments.
    pub fn owned(sql: std::borrow::Cow<'static, str>, args: Vec<Arg>) -> Self {
        debug_assert_eq!(sql.matches('?').count(), args.len(), "placeholders and arguments of a prepared statement");
        Self { sql, args }
    }
}

/// Pushes the statement's text and binds; `array` binds a `text[]` where the backend has one.
macro_rules! walk_prepared {
    ($self:ident, $out:ident, $array:expr) => {{
        // No `unsafe_to_cache_prepared()`: the text never varies between calls.
        let mut parts = $self.sql.split('?');
        $out.push_sql(parts.next().unwrap_or_default());
        for (part, arg) in parts.zip(&$self.args) {
            match arg {
                Arg::Text(v) => $out.push_bind_param::<Text, _>(v)?,
                Arg::Texts(v) => $array(&mut $out, v)?,
                Arg::Int(v) => $out.push_bind_param::<Integer, _>(v)?,
                Arg::BigInt(v) => $out.push_bind_param::<BigInt, _>(v)?,
                Arg::Bool(v) => $out.push_bind_param::<Bool, _>(v)?,
                Arg::Date(v) => $out.push_bind_param::<diesel::sql_types::Date, _>(v)?,
            }
            $out.push_sql(part);
        }
        Ok(())
    }};
}

#[cfg(feature = "postgres")]
impl QueryFragment<diesel::pg::Pg> for Prepared {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::pg::Pg>) -> QueryResult<()> {
        walk_prepared!(self, out, |out: &mut AstPass<'_, 'b, diesel::pg::Pg>, v: &'b Vec<String>| out.push_bind_param::<diesel::sql_types::Array<Text>, _>(v))
    }
}

#[cfg(feature = "sqlite")]
impl QueryFragment<diesel::sqlite::Sqlite> for Prepared {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, diesel::sqlite::Sqlite>) -> QueryResult<()> {
        walk_prepared!(self, out, |_: &mut AstPass<'_, 'b, diesel::sqlite::Sqlite>, _: &'b Vec<String>| Err::<(), _>(diesel::result::Error::QueryBuilderError("SQLite has no arrays".into())))
    }
}

impl QueryId for Prepared {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared {
    type SqlType = Untyped;
}

impl<Conn> diesel::RunQueryDsl<Conn> for Prepared {}
