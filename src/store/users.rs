//! Organizations, users and their tokens.

use super::models::{DepartmentRow, OrganizationRow, TokenRow, UserRow};
use super::schema::{api_tokens, departments, logins, organizations, user_passwords, users, web_sessions};
use super::{new_id, DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// What an administrator changes about a user; `None` leaves a field as it is.
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    /// New role code.
    pub role: Option<String>,
    /// Enable or disable.
    pub active: Option<bool>,
    /// New department id, or `Some(None)` to clear it.
    pub department_id: Option<Option<String>>,
    /// A new argon2 password hash and the instant it is set: stored in the same transaction as
    /// the other fields, and it ends the user's open web sessions.
    pub password: Option<(String, NaiveDateTime)>,
    /// When the change is made: the instant ended sessions and revoked tokens record (the
    /// wall clock when absent).
    pub at: Option<NaiveDateTime>,
    /// The time zone of the statistics' local days (the organization's stored one when absent):
    /// a department change moves the user's appeals between the rollup's department slices.
    pub time_zone: Option<chrono_tz::Tz>,
}

/// A user with the code of their department.
pub type UserWithDepartment = (UserRow, Option<String>);

/// A new user's details.
#[derive(Clone, Debug)]
pub struct NewUser {
    /// Login, unique in the instance.
    pub login: String,
    /// Full name.
    pub full_name: String,
    /// Role code.
    pub role: String,
    /// E-mail.
    pub email: Option<String>,
}

backend_fns! {
    pub fn ensure_organization(conn: &mut Conn, code: &str, name: &str, tz: &str, now: NaiveDateTime) -> Result<OrganizationRow, ServiceError> {
        conn.write_tx(|c| {
            if let Some(o) = organizations::table.filter(organizations::code.eq(code)).select(OrganizationRow::as_select()).first(c).optional()? {
                return Ok(o);
            }
            let row = OrganizationRow { id: new_id(), code: code.into(), name: name.into(), time_zone: tz.into(), sstu_department_id: None, created_at: now, active: true, parent_id: None, reg_number_template: None, outgoing_number_template: None, forward_number_template: None, work_start: None, work_end: None };
            diesel::insert_into(organizations::table).values(&row).execute(c)?;
            Ok(row)
        })
    }

    pub fn create_user(conn: &mut Conn, org: &str, u: &NewUser, token_hash: &str, now: NaiveDateTime, expires_at: Option<NaiveDateTime>) -> Result<UserRow, ServiceError> {
        conn.write_tx(|c| {
            let row = UserRow { id: new_id(), organization_id: org.into(), login: u.login.clone(), full_name: u.full_name.clone(), role: u.role.clone(), email: u.email.clone(), active: true, created_at: now, department_id: None };
            diesel::insert_into(users::table).values(&row).execute(c)?;
            // The login's one row in the instance: a login taken in any organization fails here
            // with a unique violation, as the user's own key does within the organization.
            diesel::insert_into(logins::table).values((logins::login.eq(&row.login), logins::organization_id.eq(org), logins::user_id.eq(&row.id))).execute(c)?;
            let token = TokenRow { id: new_id(), organization_id: org.into(), user_id: row.id.clone(), token_hash: token_hash.into(), label: "api".into(), created_at: now, expires_at, revoked_at: None };
            diesel::insert_into(api_tokens::table).values(&token).execute(c)?;
            forget_plan(c, org)?;
            Ok(row)
        })
    }

    /// Staff changed: the reminder planner's next pass is a full one (recipients, supervisors
    /// and skipped addresses come from the staff).
    fn forget_plan(c: &mut Conn, org: &str) -> Result<(), ServiceError> {
        diesel::delete(crate::store::schema::plan_marks::table.filter(crate::store::schema::plan_marks::organization_id.eq(org))).execute(c)?;
        Ok(())
    }

    pub fn count_users(conn: &mut Conn, org: &str) -> Result<i64, ServiceError> {
        Ok(users::table.filter(users::organization_id.eq(org)).count().get_result(conn)?)
    }

    pub fn authenticate(conn: &mut Conn, token_hash: &str, now: NaiveDateTime) -> Result<Option<(UserRow, String)>, ServiceError> {
        Ok(api_tokens::table
            .inner_join(users::table.on(users::id.eq(api_tokens::user_id).and(users::organization_id.eq(api_tokens::organization_id))))
            .filter(api_tokens::token_hash.eq(token_hash))
            .filter(api_tokens::revoked_at.is_null())
            .filter(api_tokens::expires_at.is_null().or(api_tokens::expires_at.gt(now)))
            .filter(users::active.eq(true))
            .select((UserRow::as_select(), api_tokens::token_hash))
            .first(conn)
            .optional()?)
    }

    pub fn find_token(conn: &mut Conn, token_hash: &str) -> Result<Option<(UserRow, TokenRow)>, ServiceError> {
        Ok(api_tokens::table
            .inner_join(users::table.on(users::id.eq(api_tokens::user_id).and(users::organization_id.eq(api_tokens::organization_id))))
            .filter(api_tokens::token_hash.eq(token_hash))
            .select((UserRow::as_select(), TokenRow::as_select()))
            .first(conn)
            .optional()?)
    }

    pub fn list_users(conn: &mut Conn, org: &str, role: Option<&str>, include_disabled: bool) -> Result<Vec<UserWithDepartment>, ServiceError> {
        let mut q = users::table.left_join(departments::table.on(users::department_id.eq(departments::id.nullable()).and(departments::organization_id.eq(users::organization_id)))).filter(users::organization_id.eq(org)).into_boxed();
        if !include_disabled {
            q = q.filter(users::active.eq(true));
        }
        if let Some(r) = role {
            q = q.filter(users::role.eq(r.to_string()));
        }
        Ok(q.order(users::login.asc()).select((UserRow::as_select(), departments::code.nullable())).load(conn)?)
    }

    pub fn user_by_login(conn: &mut Conn, org: &str, login: &str) -> Result<Option<UserRow>, ServiceError> {
        Ok(users::table.filter(users::organization_id.eq(org)).filter(users::login.eq(login)).select(UserRow::as_select()).first(conn).optional()?)
    }

    pub fn user_by_login_anywhere(conn: &mut Conn, login: &str) -> Result<Option<UserRow>, ServiceError> {
        by_login(conn, login)
    }

    /// The user a login names in the instance: its `logins` row joined to the user by the
    /// organization's key (one organization's rows, when the tables are distributed).
    fn by_login(conn: &mut Conn, login: &str) -> Result<Option<UserRow>, ServiceError> {
        Ok(users::table
            .inner_join(logins::table.on(logins::organization_id.eq(users::organization_id).and(logins::user_id.eq(users::id))))
            .filter(logins::login.eq(login))
            .select(UserRow::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn update_user(conn: &mut Conn, org: &str, id: &str, change: &UserChange) -> Result<UserWithDepartment, ServiceError> {
        conn.write_tx(|c| {
            let target = users::table.filter(users::organization_id.eq(org)).filter(users::id.eq(id));
            let before = target.select(UserRow::as_select()).first(c).optional()?.ok_or(ServiceError::NotFound)?;
            let had_password = user_passwords::table.filter(user_passwords::user_id.eq(id)).select(user_passwords::user_id).first::<String>(c).optional()?.is_some();
            let at = change.at.or(change.password.as_ref().map(|(_, t)| *t)).unwrap_or_else(|| crate::store::micros(chrono::Utc::now()));
            if crate::auth::change_ends_access(&before.role, before.active, change.role.as_deref(), change.active, had_password && change.password.is_some()) {
                // Everything the user holds ends for good, in the same transaction: re-enabling
                // later gives back only the right to sign in.
                end_access(c, org, id, at)?;
            }
            if let Some(r) = &change.role {
                diesel::update(target).set(users::role.eq(r)).execute(c)?;
            }
            if let Some(a) = change.active {
                diesel::update(target).set(users::active.eq(a)).execute(c)?;
            }
            if let Some(d) = change.department_id.as_ref().filter(|d| **d != before.department_id) {
                move_department(c, org, id, d.as_deref(), change.time_zone)?;
            }
            if change.role.is_some() || change.active.is_some() {
                forget_plan(c, org)?;
            }
            let found = users::table
                .left_join(departments::table.on(users::department_id.eq(departments::id.nullable()).and(departments::organization_id.eq(users::organization_id))))
                .filter(users::organization_id.eq(org))
                .filter(users::id.eq(id))
                .select((UserRow::as_select(), departments::code.nullable()))
                .first(c)
                .optional()?
                .ok_or(ServiceError::NotFound)?;
            if let Some((hash, now)) = &change.password {
                diesel::delete(user_passwords::table.filter(user_passwords::user_id.eq(id))).execute(c)?;
                diesel::insert_into(user_passwords::table)
                    .values((user_passwords::user_id.eq(id), user_passwords::organization_id.eq(org), user_passwords::password_hash.eq(hash), user_passwords::updated_at.eq(*now)))
                    .execute(c)?;
                // A new password ends every open session of the user.
                diesel::update(web_sessions::table.filter(web_sessions::user_id.eq(id)).filter(web_sessions::ended_at.is_null()))
                    .set(web_sessions::ended_at.eq(Some(*now)))
                    .execute(c)?;
            }
            Ok(found)
        })
    }

    fn move_department(c: &mut Conn, org: &str, id: &str, department: Option<&str>, time_zone: Option<chrono_tz::Tz>) -> Result<(), ServiceError> {
        use crate::store::schema::{appeals, assignments};
        let tz = match time_zone {
            Some(tz) => tz,
            None => organizations::table.find(org).select(organizations::time_zone).first::<String>(c)?.parse().unwrap_or(chrono_tz::Europe::Moscow),
        };
        let local_day = move |t: NaiveDateTime| t.and_utc().with_timezone(&tz).date_naive();
        // The appeals the user is responsible for count in the department's statistics slice:
        // they leave the old one and join the new one in this transaction.
        let held = assignments::table.filter(assignments::user_id.eq(id)).filter(assignments::responsible.eq(true)).filter(assignments::active.eq(true)).select(assignments::appeal_id);
        let rows: Vec<crate::store::models::AppealRow> = appeals::table.filter(appeals::organization_id.eq(org)).filter(appeals::id.eq_any(held)).select(crate::store::models::AppealRow::as_select()).load(c)?;
        crate::store::stats_deltas::record_around(c, &rows, &local_day, |c| {
            diesel::update(users::table.filter(users::organization_id.eq(org)).filter(users::id.eq(id))).set(users::department_id.eq(department)).execute(c)?;
            Ok(())
        })
    }

    pub fn departments_matching(conn: &mut Conn, org: &str, code_or_id: &str) -> Result<Vec<String>, ServiceError> {
        Ok(departments::table.filter(departments::organization_id.eq(org)).filter(departments::code.eq(code_or_id).or(departments::id.eq(code_or_id))).select(departments::id).load(conn)?)
    }

    pub fn add_token(conn: &mut Conn, org: &str, user_id: &str, token_hash: &str, now: NaiveDateTime, expires_at: Option<NaiveDateTime>) -> Result<(), ServiceError> {
        let token = TokenRow { id: new_id(), organization_id: org.into(), user_id: user_id.into(), token_hash: token_hash.into(), label: "api".into(), created_at: now, expires_at, revoked_at: None };
        diesel::insert_into(api_tokens::table).values(&token).execute(conn)?;
        Ok(())
    }

    pub fn list_departments(conn: &mut Conn, org: &str) -> Result<Vec<DepartmentRow>, ServiceError> {
        Ok(departments::table.filter(departments::organization_id.eq(org)).order(departments::code.asc()).select(DepartmentRow::as_select()).load(conn)?)
    }

    pub fn department_by_code(conn: &mut Conn, org: &str, code: &str) -> Result<Option<DepartmentRow>, ServiceError> {
        Ok(departments::table.filter(departments::organization_id.eq(org)).filter(departments::code.eq(code)).select(DepartmentRow::as_select()).first(conn).optional()?)
    }

    pub fn create_department(conn: &mut Conn, row: &DepartmentRow) -> Result<(), ServiceError> {
        diesel::insert_into(departments::table).values(row).execute(conn)?;
        Ok(())
    }

    pub fn users_by_ids(conn: &mut Conn, org: &str, ids: &[String]) -> Result<Vec<UserRow>, ServiceError> {
        Ok(users::table.filter(users::organization_id.eq(org)).filter(users::id.eq_any(ids)).select(UserRow::as_select()).load(conn)?)
    }

    pub fn revoke_tokens(conn: &mut Conn, org: &str, user_id: &str, now: NaiveDateTime) -> Result<usize, ServiceError> {
        conn.write_tx(|c| end_access(c, org, user_id, now))
    }

    /// Revokes the user's live tokens and ends their open web sessions; the tokens revoked.
    fn end_access(c: &mut Conn, org: &str, user_id: &str, now: NaiveDateTime) -> Result<usize, ServiceError> {
        let n = diesel::update(api_tokens::table.filter(api_tokens::organization_id.eq(org)).filter(api_tokens::user_id.eq(user_id)).filter(api_tokens::revoked_at.is_null()))
            .set(api_tokens::revoked_at.eq(Some(now)))
            .execute(c)?;
        diesel::update(web_sessions::table.filter(web_sessions::user_id.eq(user_id)).filter(web_sessions::ended_at.is_null()))
            .set(web_sessions::ended_at.eq(Some(now)))
            .execute(c)?;
        Ok(n)
    }
}

/// Finds or creates the organization with `code`; the first start creates the default one.
pub fn ensure_organization(pool: &DbPool, code: &str, name: &str, tz: &str, now: NaiveDateTime) -> Result<OrganizationRow, ServiceError> {
    dispatch!(pool, ensure_organization(code, name, tz, now))
}

/// Creates a user with one token (given as its hash, optionally expiring), in one transaction.
pub fn create_user(pool: &DbPool, org: &str, user: &NewUser, token_hash: &str, now: NaiveDateTime, expires_at: Option<NaiveDateTime>) -> Result<UserRow, ServiceError> {
    dispatch!(pool, create_user(org, user, token_hash, now, expires_at))
}

/// How many users the organization has (zero on a fresh database).
pub fn count_users(pool: &DbPool, org: &str) -> Result<i64, ServiceError> {
    dispatch!(pool, count_users(org))
}

/// The active user owning a live token with this hash, and the stored hash.
pub fn authenticate(pool: &DbPool, token_hash: &str, now: NaiveDateTime) -> Result<Option<(UserRow, String)>, ServiceError> {
    dispatch!(pool, authenticate(token_hash, now))
}

/// The token with this hash and its user, whatever their state (the caller decides and says why).
pub fn find_token(pool: &DbPool, token_hash: &str) -> Result<Option<(UserRow, TokenRow)>, ServiceError> {
    dispatch!(pool, find_token(token_hash))
}

/// Users of the organization with their department's code, optionally of one role; disabled
/// ones only when asked.
pub fn list_users(pool: &DbPool, org: &str, role: Option<&str>, include_disabled: bool) -> Result<Vec<UserWithDepartment>, ServiceError> {
    dispatch!(pool, list_users(org, role, include_disabled))
}

/// A user by (lower-case) login.
pub fn user_by_login(pool: &DbPool, org: &str, login: &str) -> Result<Option<UserRow>, ServiceError> {
    dispatch!(pool, user_by_login(org, login))
}

/// The user with this login in whichever organization (logins are unique in the instance).
pub fn user_by_login_anywhere(pool: &DbPool, login: &str) -> Result<Option<UserRow>, ServiceError> {
    dispatch!(pool, user_by_login_anywhere(login))
}

/// Changes a user's role, state or department in one transaction; 404 when not in the organization.
pub fn update_user(pool: &DbPool, org: &str, id: &str, change: &UserChange) -> Result<UserWithDepartment, ServiceError> {
    dispatch!(pool, update_user(org, id, change))
}

/// Issues one more token for a user (given as its hash).
pub fn add_token(pool: &DbPool, org: &str, user_id: &str, token_hash: &str, now: NaiveDateTime, expires_at: Option<NaiveDateTime>) -> Result<(), ServiceError> {
    dispatch!(pool, add_token(org, user_id, token_hash, now, expires_at))
}

/// The ids of the organization's departments whose code or id is `code_or_id` (the statistics'
/// department filter takes either).
pub fn departments_matching(pool: &DbPool, org: &str, code_or_id: &str) -> Result<Vec<String>, ServiceError> {
    dispatch!(pool, departments_matching(org, code_or_id))
}

/// The organization's departments by code.
pub fn list_departments(pool: &DbPool, org: &str) -> Result<Vec<DepartmentRow>, ServiceError> {
    dispatch!(pool, list_departments(org))
}

/// A department by code.
pub fn department_by_code(pool: &DbPool, org: &str, code: &str) -> Result<Option<DepartmentRow>, ServiceError> {
    dispatch!(pool, department_by_code(org, code))
}

/// Adds a department; a taken code is a unique violation.
pub fn create_department(pool: &DbPool, row: &DepartmentRow) -> Result<(), ServiceError> {
    dispatch!(pool, create_department(row))
}

/// Users by id within the organization.
pub fn users_by_ids(pool: &DbPool, org: &str, ids: &[String]) -> Result<Vec<UserRow>, ServiceError> {
    dispatch!(pool, users_by_ids(org, ids))
}

/// Revokes every live token of a user and ends their web sessions, in one transaction;
/// takes effect on the next request.
pub fn revoke_tokens(pool: &DbPool, org: &str, user_id: &str, now: NaiveDateTime) -> Result<usize, ServiceError> {
    dispatch!(pool, revoke_tokens(org, user_id, now))
}
