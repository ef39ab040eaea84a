//! The directory of bodies appeals are forwarded to and received from (name, INN, OGRN,
//! ССТУ.РФ department GUID), searched by folded text within the organization.

use super::schema::bodies;
use super::{new_id, DbPool, ServiceError, WriteTx};
use crate::domain::keys::like_contains;
use crate::domain::text::search_fold;
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A body of the directory.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = bodies)]
pub struct BodyRow {
    /// Id.
    pub id: String,
    /// Organization whose directory it is.
    pub organization_id: String,
    /// Full name, unique in the directory.
    pub name: String,
    /// ИНН.
    pub inn: Option<String>,
    /// ОГРН.
    pub ogrn: Option<String>,
    /// ССТУ.РФ department GUID (the transfer's `departmentId`).
    pub sstu_department_id: Option<String>,
    /// Folded name and codes for search.
    pub search_text: String,
    /// When added.
    pub created_at: NaiveDateTime,
}

/// A new body, validated by the caller.
pub struct NewBody {
    /// Name.
    pub name: String,
    /// ИНН.
    pub inn: Option<String>,
    /// ОГРН.
    pub ogrn: Option<String>,
    /// ССТУ.РФ GUID.
    pub sstu_department_id: Option<String>,
}

backend_fns! {
    pub fn create(conn: &mut Conn, org: &str, b: &NewBody, now: NaiveDateTime) -> Result<BodyRow, ServiceError> {
        let text = format!("{} {} {}", b.name, b.inn.as_deref().unwrap_or(""), b.ogrn.as_deref().unwrap_or(""));
        let row = BodyRow { id: new_id(), organization_id: org.into(), name: b.name.clone(), inn: b.inn.clone(), ogrn: b.ogrn.clone(), sstu_department_id: b.sstu_department_id.clone(), search_text: search_fold(&text), created_at: now };
        conn.write_tx(|c| {
            diesel::insert_into(bodies::table).values(&row).execute(c)?;
            Ok(row.clone())
        })
    }

    pub fn search(conn: &mut Conn, org: &str, q: Option<&str>, limit: i64) -> Result<Vec<BodyRow>, ServiceError> {
        let mut query = bodies::table.filter(bodies::organization_id.eq(org)).into_boxed();
        if let Some(q) = q {
            query = query.filter(bodies::search_text.like(like_contains(&search_fold(q))).escape('\\'));
        }
        Ok(query.order((bodies::organization_id, bodies::name)).limit(limit).select(BodyRow::as_select()).load(conn)?)
    }

    pub fn get(conn: &mut Conn, org: &str, id: &str) -> Result<Option<BodyRow>, ServiceError> {
        Ok(bodies::table.filter(bodies::organization_id.eq(org)).filter(bodies::id.eq(id)).select(BodyRow::as_select()).first(conn).optional()?)
    }

    pub fn by_names(conn: &mut Conn, org: &str, names: &[String]) -> Result<Vec<BodyRow>, ServiceError> {
        if names.is_empty() {
            return Ok(Vec::new());
        }
        Ok(bodies::table.filter(bodies::organization_id.eq(org)).filter(bodies::name.eq_any(names)).select(BodyRow::as_select()).load(conn)?)
    }
}

/// Adds a body; a name already in the directory is a unique violation (409).
pub fn create(pool: &DbPool, org: &str, b: &NewBody, now: NaiveDateTime) -> Result<BodyRow, ServiceError> {
    dispatch!(pool, create(org, b, now))
}

/// Bodies whose name, INN or OGRN contains `q`, by name.
pub fn search(pool: &DbPool, org: &str, q: Option<&str>, limit: i64) -> Result<Vec<BodyRow>, ServiceError> {
    dispatch!(pool, search(org, q, limit))
}

/// One body of the organization's directory.
pub fn get(pool: &DbPool, org: &str, id: &str) -> Result<Option<BodyRow>, ServiceError> {
    dispatch!(pool, get(org, id))
}

/// Bodies with these exact names (the names stored on forwarded cards).
pub fn by_names(pool: &DbPool, org: &str, names: &[String]) -> Result<Vec<BodyRow>, ServiceError> {
    dispatch!(pool, by_names(org, names))
}
