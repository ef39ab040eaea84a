//! Organizations, users and their tokens.

use super::models::{OrganizationRow, TokenRow, UserRow};
use super::schema::{api_tokens, organizations, users};
use super::{new_id, DbPool, StoreError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A new user's details.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Login, unique in the organization.
    pub login: String,
    /// Full name.
    pub full_name: String,
    /// Role code.
    pub role: String,
    /// E-mail.
    pub email: Option<String>,
}

backend_fns! {
    pub fn ensure_organization(conn: &mut Conn, code: &str, name: &str, tz: &str, now: NaiveDateTime) -> Result<OrganizationRow, StoreError> {
        conn.write_tx(|c| {
            if let Some(o) = organizations::table.filter(organizations::code.eq(code)).select(OrganizationRow::as_select()).first(c).optional()? {
                return Ok(o);
            }
            let row = OrganizationRow { id: new_id(), code: code.into(), name: name.into(), time_zone: tz.into(), sstu_department_id: None, created_at: now };
            diesel::insert_into(organizations::table).values(&row).execute(c)?;
            Ok(row)
        })
    }

    pub fn create_user(conn: &mut Conn, org: &str, u: &NewUser, token_hash: &str, now: NaiveDateTime, expires_at: Option<NaiveDateTime>) -> Result<UserRow, StoreError> {
        conn.write_tx(|c| {
            let row = UserRow { id: new_id(), organization_id: org.into(), login: u.login.clone(), full_name: u.full_name.clone(), role: u.role.clone(), email: u.email.clone(), active: true, created_at: now };
            diesel::insert_into(users::table).values(&row).execute(c)?;
            let token = TokenRow { id: new_id(), organization_id: org.into(), user_id: row.id.clone(), token_hash: token_hash.into(), label: "api".into(), created_at: now, expires_at, revoked_at: None };
            diesel::insert_into(api_tokens::table).values(&token).execute(c)?;
            Ok(row)
        })
    }

    pub fn count_users(conn: &mut Conn, org: &str) -> Result<i64, StoreError> {
        Ok(users::table.filter(users::organization_id.eq(org)).count().get_result(conn)?)
    }

    pub fn authenticate(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> Result<Option<(UserRow, String)>, StoreError> {
        Ok(api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(token_hash))
            .filter(api_tokens::revoked_at.is_null())
            .filter(api_tokens::expires_at.is_null().or(api_tokens::expires_at.gt(now)))
            .filter(users::active.eq(true))
            .select((UserRow::as_select(), api_tokens::token_hash))
            .first(conn)
            .optional()?)
    }

    pub fn find_token(conn: &mut Conn, token_hash: &str) -> Result<Option<(UserRow, TokenRow)>, StoreError> {
        Ok(api_tokens::table
            .inner_join(users::table)
            .filter(api_tokens::token_hash.eq(token_hash))
            .select((UserRow::as_select(), TokenRow::as_select()))
            .first(conn)
            .optional()?)
    }

    pub fn list_users(conn: &mut Conn, org: &str, role: Option<&str>) -> Result<Vec<UserRow>, StoreError> {
        let mut q = users::table.filter(users::organization_id.eq(org)).filter(users::active.eq(true)).into_boxed();
        if let Some(r) = role {
            q = q.filter(users::role.eq(r.to_string()));
        }
        Ok(q.order(users::login.asc()).select(UserRow::as_select()).load(conn)?)
    }

    pub fn users_by_ids(conn: &mut Conn, org: &str, ids: &[String]) -> Result<Vec<UserRow>, StoreError> {
        Ok(users::table.filter(users::organization_id.eq(org)).filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn)?)
    }

    pub fn revoke_tokens(conn: &mut Conn, org: &str, user_id: &str, now: NaiveDateTime) -> Result<usize, StoreError> {
        Ok(diesel::update(api_tokens::table.filter(api_tokens::organization_id.eq(org)).filter(api_tokens::user_id.eq(user_id)).filter(api_tokens::revoked_at.is_null()))
            .set(api_tokens::revoked_at.eq(Some(now)))
            .execute(conn)?)
    }
}

/// Finds or creates the organization with `code`; the first start creates the default one.
pub fn ensure_organization(pool: &DbPool, code: &str, name: &str, tz: &str, now: NaiveDateTime) -> Result<OrganizationRow, StoreError> {
    dispatch!(pool, ensure_organization(code, name, tz, now))
}

/// Creates a user with one token (given as its hash, optionally expiring), in one transaction.
pub fn create_user(pool: &DbPool, org: &str, user: &NewUser, token_hash: &str, now: NaiveDateTime, expires_at: Option<NaiveDateTime>) -> Result<UserRow, StoreError> {
    dispatch!(pool, create_user(org, user, token_hash, now, expires_at))
}

/// How many users the organization has (zero on a fresh database).
pub fn count_users(pool: &DbPool, org: &str) -> Result<i64, StoreError> {
    dispatch!(pool, count_users(org))
}

/// The active user owning a live token with this hash, and the stored hash.
pub fn authenticate(pool: &DbPool, token_hash: &str, now: NaiveDateTime) -> Result<Option<(UserRow, String)>, StoreError> {
    dispatch!(pool, authenticate(token_hash, now))
}

/// The token with this hash and its user, whatever their state (the caller decides and says why).
pub fn find_token(pool: &DbPool, token_hash: &str) -> Result<Option<(UserRow, TokenRow)>, StoreError> {
    dispatch!(pool, find_token(token_hash))
}

/// Active users of the organization, optionally of one role.
pub fn list_users(pool: &DbPool, org: &str, role: Option<&str>) -> Result<Vec<UserRow>, StoreError> {
    dispatch!(pool, list_users(org, role))
}

/// Users by id within the organization.
pub fn users_by_ids(pool: &DbPool, org: &str, ids: &[String]) -> Result<Vec<UserRow>, StoreError> {
    dispatch!(pool, users_by_ids(org, ids))
}

/// Revokes every live token of a user; takes effect on the next request.
pub fn revoke_tokens(pool: &DbPool, org: &str, user_id: &str, now: NaiveDateTime) -> Result<usize, StoreError> {
    dispatch!(pool, revoke_tokens(org, user_id, now))
}
