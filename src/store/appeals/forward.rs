//! Forwarding to another organization of the instance in ONE transaction: both organizations'
//! rows locked in one order, the sender's card changed as any control action changes it, and
//! the receiver's new appeal registered; a refusal on either side leaves nothing written.

use crate::store::appeals::card::CardData;
use crate::store::appeals::numbering::Numbering;
use crate::store::appeals::register::{LinkDecision, NewAppeal};
use crate::store::appeals::write::Change;
use crate::store::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// The two sides of one forwarding inside the instance, decided by the use case.
pub struct Handover<'a> {
    /// The sending organization.
    pub sender_org: &'a str,
    /// The receiving organization.
    pub receiver_org: &'a str,
    /// Both organizations in the order their rows are locked (the domain's `lock_order`).
    pub lock_order: [&'a str; 2],
    /// Judges the receiver from whether it exists and is active (`None`: unknown), read under its lock.
    pub check_receiver: &'a dyn Fn(Option<bool>) -> Result<(), ServiceError>,
    /// The sender's change (the control action, guarded as every action is).
    pub decide: &'a mut dyn FnMut(&CardData) -> Result<Change, ServiceError>,
    /// The receiver's new appeal built from the sender's card as the change left it (the cover letter's number and date).
    pub receive: &'a mut dyn FnMut(&CardData) -> Result<NewAppeal, ServiceError>,
    /// Links of the new appeal to the receiver's earlier ones.
    pub links_for: LinkDecision<'a>,
    /// The receiver's registration numbering.
    pub numbering: Numbering<'a>,
}

/// Forwards appeal `id` of `h.sender_org` to `h.receiver_org` in one transaction: the sender's
/// card after the change and the receiver's new card.
pub fn forward_between(pool: &DbPool, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, h: Handover<'_>) -> Result<(CardData, CardData), ServiceError> {
    dispatch!(pool, forward_between(id, if_match, actor, now, local_day, h))
}

/// Whether an organization exists and is active, its row locked until the transaction ends
/// (PostgreSQL: `FOR NO KEY UPDATE`, which leaves the foreign-key checks of other writers of
/// this organization unblocked; SQLite has one writer anyway).
macro_rules! lock_sql {
    ($suffix:literal) => {
        concat!("SELECT active FROM organizations WHERE id = ?", $suffix)
    };
}

backend_fns! {
    pub fn forward_between(conn: &mut Conn, id: &str, if_match: Option<i32>, actor: &str, now: NaiveDateTime, local_day: crate::store::stats_deltas::LocalDay, h: Handover<'_>) -> Result<(CardData, CardData), ServiceError> {
        let Handover { sender_org, receiver_org, lock_order, check_receiver, decide, receive, links_for, numbering } = h;
        conn.write_tx(|c| {
            let mut receiver_active = None;
            for org in lock_order {
                let active = lock_organization(c, org)?;
                if org == receiver_org {
                    receiver_active = active;
                }
            }
            check_receiver(receiver_active)?;
            let sender = appeals_db::mutate_in(c, sender_org, id, if_match, actor, now, local_day, decide)?;
            let new = receive(&sender)?;
            let received = appeals_db::register_in(c, &new, links_for, numbering)?;
            Ok((sender, received))
        })
    }

    /// The organization with this id.
    pub fn organization(c: &mut Conn, id: &str) -> Result<Option<OrganizationName>, ServiceError> {
        use crate::store::schema::organizations;
        let found: Option<(String, bool, Option<String>)> = organizations::table.find(id).select((organizations::name, organizations::active, organizations::sstu_department_id)).first(c).optional()?;
        Ok(found.map(|(name, active, sstu_department_id)| OrganizationName { name, active, sstu_department_id }))
    }

    /// Locks organization `org`'s row until the transaction ends; whether it is active (`None`: no such organization).
    fn lock_organization(c: &mut Conn, org: &str) -> Result<Option<bool>, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        #[derive(QueryableByName)]
        struct Active {
            #[diesel(sql_type = diesel::sql_types::Bool)]
            active: bool,
        }
        let sql = if c.is_pg() { lock_sql!(" FOR NO KEY UPDATE") } else { lock_sql!("") };
        let rows: Vec<Active> = Prepared::new(sql, vec![Arg::Text(org.to_string())]).load(c)?;
        Ok(rows.into_iter().next().map(|r| r.active))
    }
}

/// Whether a connection is PostgreSQL's (the lock clause SQLite does not know).
trait IsPg {
    fn is_pg(&self) -> bool;
}

#[cfg(feature = "sqlite")]
impl IsPg for diesel::SqliteConnection {
    fn is_pg(&self) -> bool {
        false
    }
}

#[cfg(feature = "postgres")]
impl IsPg for diesel::PgConnection {
    fn is_pg(&self) -> bool {
        true
    }
}

/// An organization of the instance as forwarding names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OrganizationName {
    /// Its name.
    pub name: String,
    /// Whether it receives new appeals.
    pub active: bool,
    /// Its ССТУ.РФ GUID.
    pub sstu_department_id: Option<String>,
}

/// The organization with this id, if the instance has it.
pub fn organization(pool: &DbPool, id: &str) -> Result<Option<OrganizationName>, ServiceError> {
    dispatch!(pool, organization(id))
}

