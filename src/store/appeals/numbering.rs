//! The year's counters (registration, outgoing answers, forwarding cover letters) and the use
//! case's rendering of a reserved sequence into a card's number.

use crate::store::models::*;
use crate::store::schema::reg_counters;
use crate::store::ServiceError;
use crate::backend_fns;
use diesel::prelude::*;

/// The use case's rendering of a reserved sequence number into the card: it sets `reg_number`
/// and adds the number to the search text (the store only reserves numbers).
#[derive(Clone, Copy)]
pub struct Numbering<'a> {
    render: &'a (dyn Fn(&mut AppealRow, i64) + Sync),
    pub(crate) seq_width: Option<usize>,
}

impl<'a> Numbering<'a> {
    /// `render` writes a sequence number into a card; `seq_width` is the template's
    /// [`crate::domain::regnum::seq_width`]: when known, PostgreSQL reserves the number in the
    /// statement that writes the card and fills [`crate::domain::regnum::SEQ_PLACEHOLDER`]'s digits in.
    pub fn new(render: &'a (dyn Fn(&mut AppealRow, i64) + Sync), seq_width: Option<usize>) -> Self {
        Self { render, seq_width }
    }

    /// Renders `seq` into the card.
    pub fn apply(&self, row: &mut AppealRow, seq: i64) {
        (self.render)(row, seq)
    }
}

/// The upsert that moves one counter table's row for (organization, year) on by a step,
/// creating it, and returns the new value: the text [`bump_counter`] keeps prepared.
macro_rules! counter_upsert {
    ($table:literal) => {
        concat!(
            "INSERT INTO ", $table, " (organization_id, year, last_seq) VALUES (?, ?, ?) ",
            "ON CONFLICT (organization_id, year) DO UPDATE SET last_seq = ", $table, ".last_seq + excluded.last_seq RETURNING last_seq"
        )
    };
}

backend_fns! {
    /// The year's registration counter moved on by `by` (0 only reads it, creating the row),
    /// inside the caller's transaction.
    pub fn next_seq(c: &mut Conn, org: &str, year: i32, by: i64) -> Result<i64, ServiceError> {
        bump_counter(c, counter_upsert!("reg_counters"), org, year, by)
    }

    /// The next outgoing (answer) number's sequence for the year, inside the caller's transaction.
    pub fn next_outgoing_seq(c: &mut Conn, org: &str, year: i32) -> Result<i64, ServiceError> {
        bump_counter(c, counter_upsert!("outgoing_counters"), org, year, 1)
    }

    /// The next forwarding cover letter's sequence for the year, inside the caller's transaction.
    pub fn next_forward_seq(c: &mut Conn, org: &str, year: i32) -> Result<i64, ServiceError> {
        bump_counter(c, counter_upsert!("forward_counters"), org, year, 1)
    }

    /// Runs one of the counters' upserts (`sql`: organization, year, step) and returns the new
    /// value. A fixed text stays prepared on its connection; diesel's own upsert with
    /// `RETURNING` is prepared again on every call (2.5% of the server's CPU in registration).
    pub(crate) fn bump_counter(c: &mut Conn, sql: &'static str, org: &str, year: i32, by: i64) -> Result<i64, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        #[derive(QueryableByName)]
        struct Seq {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            last_seq: i64,
        }
        let rows: Vec<Seq> = Prepared::new(sql, vec![Arg::Text(org.to_string()), Arg::Int(year), Arg::BigInt(by)]).load(c)?;
        rows.into_iter().next().map(|r| r.last_seq).ok_or_else(|| ServiceError::from(diesel::result::Error::NotFound))
    }

    /// Moves the year's counter past `seq` (a legacy number in the template's format), so
    /// generated numbers never collide with imported ones.
    pub fn raise_counter(c: &mut Conn, org: &str, year: i32, seq: i64) -> Result<(), ServiceError> {
        let current = next_seq(c, org, year, 0)?;
        if current < seq {
            diesel::update(reg_counters::table.find((org, year))).set(reg_counters::last_seq.eq(seq)).execute(c)?;
        }
        Ok(())
    }
}
