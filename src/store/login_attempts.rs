//! Sign-in attempt counts (see `auth::throttle` for the rules): one row per subject, read and
//! advanced atomically — a compare-and-set on the count inside a write transaction, so parallel
//! attempts, on one server or several sharing the database, each see the one before.

use super::schema::login_attempts;
use super::{DbPool, ServiceError, WriteTx};
use crate::auth::throttle::{self, Count, Limit, Subjects};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Rows untouched this long are deleted when the next attempt is counted.
const KEEP_HOURS: i64 = 24;
/// Compare-and-set rounds before giving up (each lost round means another attempt counted).
const MAX_ROUNDS: usize = 64;

backend_fns! {
    fn read(c: &mut Conn, org: &str, subject: &str) -> Result<Option<Count>, ServiceError> {
        let row: Option<(i32, NaiveDateTime, NaiveDateTime)> = login_attempts::table
            .filter(login_attempts::organization_id.eq(org))
            .filter(login_attempts::subject.eq(subject))
            .select((login_attempts::attempts, login_attempts::last_at, login_attempts::next_at))
            .first(c)
            .optional()?;
        Ok(row.map(|(attempts, last_at, next_at)| Count { attempts, last_at, next_at }))
    }

    /// Replaces `old` by `new` if the row still holds `old` (inserting when there was none).
    fn swap(c: &mut Conn, org: &str, subject: &str, old: Option<Count>, new: Count) -> Result<bool, ServiceError> {
        let n = match old {
            None => diesel::insert_into(login_attempts::table)
                .values((
                    login_attempts::organization_id.eq(org),
                    login_attempts::subject.eq(subject),
                    login_attempts::attempts.eq(new.attempts),
                    login_attempts::last_at.eq(new.last_at),
                    login_attempts::next_at.eq(new.next_at),
                ))
                .on_conflict_do_nothing()
                .execute(c)?,
            Some(o) => diesel::update(
                login_attempts::table
                    .filter(login_attempts::organization_id.eq(org))
                    .filter(login_attempts::subject.eq(subject))
                    .filter(login_attempts::attempts.eq(o.attempts))
                    .filter(login_attempts::last_at.eq(o.last_at))
                    .filter(login_attempts::next_at.eq(o.next_at)),
            )
            .set((login_attempts::attempts.eq(new.attempts), login_attempts::last_at.eq(new.last_at), login_attempts::next_at.eq(new.next_at)))
            .execute(c)?,
        };
        Ok(n == 1)
    }

    /// Applies `step` to the subject's count until the compare-and-set holds; `Err(wait)` from
    /// `step` stops without writing.
    fn advance(c: &mut Conn, org: &str, subject: &str, step: &dyn Fn(Option<Count>) -> Result<Count, i64>) -> Result<Result<Count, i64>, ServiceError> {
        for _ in 0..MAX_ROUNDS {
            let old = read(c, org, subject)?;
            let new = match step(old) {
                Ok(n) => n,
                Err(wait) => return Ok(Err(wait)),
            };
            if swap(c, org, subject, old, new)? {
                return Ok(Ok(new));
            }
        }
        Err(ServiceError::Db(diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::SerializationFailure, Box::new("sign-in count kept changing under this attempt".to_string()))))
    }

    pub fn claim(conn: &mut Conn, org: &str, s: &Subjects, now: NaiveDateTime) -> Result<Result<(), i64>, ServiceError> {
        conn.write_tx(|c| {
            // The pair first, then the address: one order for every attempt, so two never
            // wait on each other's rows.
            if let Err(wait) = advance(c, org, &s.pair, &|old| throttle::claim(&throttle::PER_LOGIN_AND_ADDRESS, old, now))? {
                return Ok(Err(wait));
            }
            if let Err(wait) = advance(c, org, &s.address, &|old| throttle::claim(&throttle::PER_ADDRESS, old, now))? {
                // Not counted against the pair either: nothing of this attempt happened.
                let limit: Limit = throttle::PER_LOGIN_AND_ADDRESS;
                advance(c, org, &s.pair, &|old| Ok(old.map(|o| throttle::give_back(&limit, o)).unwrap_or(Count { attempts: 0, last_at: now, next_at: now })))?.ok();
                return Ok(Err(wait));
            }
            Ok(Ok(()))
        })
    }

    pub fn succeeded(conn: &mut Conn, org: &str, s: &Subjects, now: NaiveDateTime) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            forget_old(c, org, now)?;
            diesel::delete(login_attempts::table.filter(login_attempts::organization_id.eq(org)).filter(login_attempts::subject.eq(&s.pair))).execute(c)?;
            let limit = throttle::PER_ADDRESS;
            advance(c, org, &s.address, &|old| old.map(|o| throttle::give_back(&limit, o)).ok_or(0))?.ok();
            Ok(())
        })
    }

    /// Deletes counts nobody touched for a day (through `login_attempts_last`), so guessing
    /// with made-up logins from many addresses cannot grow the table without end.
    fn forget_old(c: &mut Conn, org: &str, now: NaiveDateTime) -> Result<(), ServiceError> {
        diesel::delete(login_attempts::table.filter(login_attempts::organization_id.eq(org)).filter(login_attempts::last_at.lt(now - chrono::Duration::hours(KEEP_HOURS))))
            .execute(c)?;
        Ok(())
    }

    pub fn failed(conn: &mut Conn, org: &str, s: &Subjects, now: NaiveDateTime) -> Result<i32, ServiceError> {
        conn.write_tx(|c| {
            forget_old(c, org, now)?;
            let counted = advance(c, org, &s.login, &|old| {
                let recent = old.filter(|o| (now - o.last_at).num_seconds() < throttle::LOGIN_ALARM_QUIET_SECS).map_or(0, |o| o.attempts);
                Ok(Count { attempts: recent + 1, last_at: now, next_at: now })
            })?;
            Ok(counted.map(|c| c.attempts).unwrap_or(0))
        })
    }

    pub fn recent_failures(conn: &mut Conn, org: &str, logins: &[String], since: NaiveDateTime) -> Result<Vec<(String, i32)>, ServiceError> {
        let subjects: Vec<String> = logins.iter().map(|l| Subjects::of(l, "").login).collect();
        let rows: Vec<(String, i32)> = login_attempts::table
            .filter(login_attempts::organization_id.eq(org))
            .filter(login_attempts::subject.eq_any(&subjects))
            .filter(login_attempts::last_at.ge(since))
            .select((login_attempts::subject, login_attempts::attempts))
            .load(conn)?;
        Ok(rows.into_iter().map(|(s, n)| (s.trim_start_matches("login:").to_string(), n)).collect())
    }
}

/// Counts a sign-in attempt before its password is checked: `Ok(Err(seconds))` when it must
/// wait instead (nothing counted, the password must not be checked).
pub fn claim(pool: &DbPool, org: &str, subjects: &Subjects, now: NaiveDateTime) -> Result<Result<(), i64>, ServiceError> {
    dispatch!(pool, claim(org, subjects, now))
}

/// A right password: the pair starts afresh and the address gets its attempt back.
pub fn succeeded(pool: &DbPool, org: &str, subjects: &Subjects, now: NaiveDateTime) -> Result<(), ServiceError> {
    dispatch!(pool, succeeded(org, subjects, now))
}

/// A wrong password (or unknown login): counted for the login's alarm; its recent failures.
pub fn failed(pool: &DbPool, org: &str, subjects: &Subjects, now: NaiveDateTime) -> Result<i32, ServiceError> {
    dispatch!(pool, failed(org, subjects, now))
}

/// Recent failed sign-ins (within the alarm's quiet period before `since`) of these logins.
pub fn recent_failures(pool: &DbPool, org: &str, logins: &[String], since: NaiveDateTime) -> Result<Vec<(String, i32)>, ServiceError> {
    dispatch!(pool, recent_failures(org, logins, since))
}
