//! Passwords and browser sessions of the web pages. Passwords are stored only as
//! argon2 hashes, sessions only as the SHA-256 of their cookie; both are looked up by key
//! (`user_passwords` by user id, `web_sessions` by its unique hash), never scanned.

use super::models::UserRow;
use super::schema::{logins, organizations, user_passwords, users, web_sessions};
use super::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A browser session as stored.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_sessions)]
pub struct SessionRow {
    /// Id.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// Signed-in user.
    pub user_id: String,
    /// Hex SHA-256 of the cookie value.
    pub token_hash: String,
    /// The token every form of this session must post back.
    pub csrf_token: String,
    /// Signed in at.
    pub created_at: NaiveDateTime,
    /// The session ends at this instant at the latest.
    pub expires_at: NaiveDateTime,
    /// Signed out at.
    pub ended_at: Option<NaiveDateTime>,
}

backend_fns! {
    pub fn organization_by_code(conn: &mut Conn, code: &str) -> Result<Option<String>, ServiceError> {
        Ok(organizations::table.filter(organizations::code.eq(code)).select(organizations::id).first(conn).optional()?)
    }

    pub fn password_of(conn: &mut Conn, login: &str) -> Result<Option<(UserRow, Option<String>)>, ServiceError> {
        // The login's organization from the instance's `logins`, the user by that organization's key.
        let user = users::table
            .inner_join(logins::table.on(logins::organization_id.eq(users::organization_id).and(logins::user_id.eq(users::id))))
            .filter(logins::login.eq(login))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?;
        let Some(user) = user else { return Ok(None) };
        let hash = user_passwords::table.filter(user_passwords::user_id.eq(&user.id)).select(user_passwords::password_hash).first::<String>(conn).optional()?;
        Ok(Some((user, hash)))
    }

    pub fn create_session(conn: &mut Conn, row: &SessionRow) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            // The user's expired and ended sessions go (through `web_sessions_user`), so the
            // table holds at most the live sessions plus each user's last ones.
            diesel::delete(
                web_sessions::table
                    .filter(web_sessions::user_id.eq(&row.user_id))
                    .filter(web_sessions::expires_at.le(row.created_at).or(web_sessions::ended_at.is_not_null())),
            )
            .execute(c)?;
            diesel::insert_into(web_sessions::table).values(row).execute(c)?;
            Ok(())
        })
    }

    pub fn find_session(conn: &mut Conn, token_hash: &str) -> Result<Option<(UserRow, SessionRow)>, ServiceError> {
        Ok(web_sessions::table
            .inner_join(users::table.on(users::id.eq(web_sessions::user_id).and(users::organization_id.eq(web_sessions::organization_id))))
            .filter(web_sessions::token_hash.eq(token_hash))
            .select((UserRow::as_select(), SessionRow::as_select()))
            .first(conn)
            .optional()?)
    }

    pub fn end_session(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> Result<usize, ServiceError> {
        Ok(diesel::update(web_sessions::table.filter(web_sessions::token_hash.eq(token_hash)).filter(web_sessions::ended_at.is_null()))
            .set(web_sessions::ended_at.eq(Some(now)))
            .execute(conn)?)
    }
}

/// The id of the organization with this code (sign-in happens in the configured one).
pub fn organization_by_code(pool: &DbPool, code: &str) -> Result<Option<String>, ServiceError> {
    dispatch!(pool, organization_by_code(code))
}

/// Stores a user's new password hash and ends their open sessions, in one transaction.
pub fn set_password(pool: &DbPool, org: &str, user_id: &str, hash: &str, now: NaiveDateTime) -> Result<(), ServiceError> {
    let change = super::users::UserChange { password: Some((hash.to_string(), now)), ..Default::default() };
    super::users::update_user(pool, org, user_id, &change).map(|_| ())
}

/// The user with this login, in whichever organization of the instance (logins are unique in
/// it), and their password hash (none when no password was ever set).
pub fn password_of(pool: &DbPool, login: &str) -> Result<Option<(UserRow, Option<String>)>, ServiceError> {
    dispatch!(pool, password_of(login))
}

/// Records a new session and deletes the same user's expired or ended ones, in one transaction.
pub fn create_session(pool: &DbPool, row: &SessionRow) -> Result<(), ServiceError> {
    dispatch!(pool, create_session(row))
}

/// The session with this cookie hash and its user, whatever their state (the caller decides).
pub fn find_session(pool: &DbPool, token_hash: &str) -> Result<Option<(UserRow, SessionRow)>, ServiceError> {
    dispatch!(pool, find_session(token_hash))
}

/// Ends a session (sign-out); a second call changes nothing.
pub fn end_session(pool: &DbPool, token_hash: &str, now: NaiveDateTime) -> Result<usize, ServiceError> {
    dispatch!(pool, end_session(token_hash, now))
}
