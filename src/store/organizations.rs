//! The organizations of the instance (a region's bodies): their rows and settings.

use super::models::OrganizationRow;
use super::schema::organizations;
use super::{new_id, DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A new organization's details, already validated.
#[derive(Clone, Debug)]
pub struct NewOrganization {
    /// Stable code, unique in the instance.
    pub code: String,
    /// Name.
    pub name: String,
    /// IANA time zone.
    pub time_zone: String,
    /// ССТУ.РФ department GUID.
    pub sstu_department_id: Option<String>,
    /// The body above it.
    pub parent_id: Option<String>,
    /// Start of its working day (`HH:MM`), if not the config file's.
    pub work_start: Option<String>,
    /// End of its working day (`HH:MM`), if not the config file's.
    pub work_end: Option<String>,
}

/// What a change of an organization sets; `None` leaves a field as it is, `Some(None)` clears a
/// nullable one (back to the config file's default).
#[derive(Clone, Debug, Default)]
pub struct OrganizationChange {
    /// Name.
    pub name: Option<String>,
    /// IANA time zone.
    pub time_zone: Option<String>,
    /// ССТУ.РФ department GUID.
    pub sstu_department_id: Option<Option<String>>,
    /// Registration number template.
    pub reg_number_template: Option<Option<String>>,
    /// Outgoing number template.
    pub outgoing_number_template: Option<Option<String>>,
    /// Forwarding cover-letter number template.
    pub forward_number_template: Option<Option<String>>,
    /// Active or deactivated.
    pub active: Option<bool>,
    /// The body above it.
    pub parent_id: Option<Option<String>>,
    /// Start of its working day.
    pub work_start: Option<Option<String>>,
    /// End of its working day.
    pub work_end: Option<Option<String>>,
}

backend_fns! {
    pub fn create(conn: &mut Conn, o: &NewOrganization, now: NaiveDateTime) -> Result<OrganizationRow, ServiceError> {
        conn.write_tx(|c| {
            if let Some(p) = &o.parent_id {
                if organizations::table.filter(organizations::id.eq(p)).count().get_result::<i64>(c)? == 0 {
                    return Err(ServiceError::NotFound);
                }
            }
            let row = OrganizationRow {
                id: new_id(),
                code: o.code.clone(),
                name: o.name.clone(),
                time_zone: o.time_zone.clone(),
                sstu_department_id: o.sstu_department_id.clone(),
                created_at: now,
                active: true,
                parent_id: o.parent_id.clone(),
                reg_number_template: None,
                outgoing_number_template: None,
                forward_number_template: None,
                work_start: o.work_start.clone(),
                work_end: o.work_end.clone(),
            };
            diesel::insert_into(organizations::table).values(&row).execute(c)?;
            Ok(row)
        })
    }

    pub fn list(conn: &mut Conn) -> Result<Vec<OrganizationRow>, ServiceError> {
        Ok(organizations::table.order((organizations::code, organizations::id)).select(OrganizationRow::as_select()).load(conn)?)
    }

    pub fn get(conn: &mut Conn, id: &str) -> Result<Option<OrganizationRow>, ServiceError> {
        Ok(organizations::table.filter(organizations::id.eq(id)).select(OrganizationRow::as_select()).first(conn).optional()?)
    }

    pub fn by_code(conn: &mut Conn, code: &str) -> Result<Option<OrganizationRow>, ServiceError> {
        Ok(organizations::table.filter(organizations::code.eq(code)).select(OrganizationRow::as_select()).first(conn).optional()?)
    }

    pub fn update(conn: &mut Conn, id: &str, ch: &OrganizationChange) -> Result<OrganizationRow, ServiceError> {
        conn.write_tx(|c| {
            let mut row = organizations::table.filter(organizations::id.eq(id)).select(OrganizationRow::as_select()).first(c).optional()?.ok_or(ServiceError::NotFound)?;
            if let Some(Some(p)) = &ch.parent_id {
                if organizations::table.filter(organizations::id.eq(p)).count().get_result::<i64>(c)? == 0 {
                    return Err(ServiceError::NotFound);
                }
            }
            if let Some(v) = &ch.name { row.name = v.clone(); }
            if let Some(v) = &ch.time_zone { row.time_zone = v.clone(); }
            if let Some(v) = &ch.sstu_department_id { row.sstu_department_id = v.clone(); }
            if let Some(v) = &ch.reg_number_template { row.reg_number_template = v.clone(); }
            if let Some(v) = &ch.outgoing_number_template { row.outgoing_number_template = v.clone(); }
            if let Some(v) = &ch.forward_number_template { row.forward_number_template = v.clone(); }
            if let Some(v) = ch.active { row.active = v; }
            if let Some(v) = &ch.parent_id { row.parent_id = v.clone(); }
            if let Some(v) = &ch.work_start { row.work_start = v.clone(); }
            if let Some(v) = &ch.work_end { row.work_end = v.clone(); }
            diesel::update(organizations::table.filter(organizations::id.eq(id)))
                .set((
                    organizations::name.eq(&row.name),
                    organizations::time_zone.eq(&row.time_zone),
                    organizations::sstu_department_id.eq(&row.sstu_department_id),
                    organizations::reg_number_template.eq(&row.reg_number_template),
                    organizations::outgoing_number_template.eq(&row.outgoing_number_template),
                    organizations::forward_number_template.eq(&row.forward_number_template),
                    organizations::active.eq(row.active),
                    organizations::parent_id.eq(&row.parent_id),
                    organizations::work_start.eq(&row.work_start),
                    organizations::work_end.eq(&row.work_end),
                ))
                .execute(c)?;
            Ok(row)
        })
    }
}

/// Adds an organization; a code already taken is a unique violation (409), an unknown parent
/// is [`ServiceError::NotFound`].
pub fn create(pool: &DbPool, o: &NewOrganization, now: NaiveDateTime) -> Result<OrganizationRow, ServiceError> {
    dispatch!(pool, create(o, now))
}

/// Every organization of the instance, by code.
pub fn list(pool: &DbPool) -> Result<Vec<OrganizationRow>, ServiceError> {
    dispatch!(pool, list())
}

/// One organization by id.
pub fn get(pool: &DbPool, id: &str) -> Result<Option<OrganizationRow>, ServiceError> {
    dispatch!(pool, get(id))
}

/// One organization by its code (the command line names organizations by code).
pub fn by_code(pool: &DbPool, code: &str) -> Result<Option<OrganizationRow>, ServiceError> {
    dispatch!(pool, by_code(code))
}

/// Changes an organization in one transaction; [`ServiceError::NotFound`] for an unknown id or parent.
pub fn update(pool: &DbPool, id: &str, ch: &OrganizationChange) -> Result<OrganizationRow, ServiceError> {
    dispatch!(pool, update(id, ch))
}
