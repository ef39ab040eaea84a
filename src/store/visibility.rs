//! Which appeals an executor may open: the ones actively assigned to them. Used to keep ids of
//! other appeals (related appeals, history details) out of what an executor is shown.

use super::schema::assignments;
use super::{DbPool, ServiceError};
use crate::{backend_fns, dispatch};
use diesel::prelude::*;

backend_fns! {
    pub fn assigned_among(conn: &mut Conn, org: &str, user: &str, ids: &[String]) -> Result<Vec<String>, ServiceError> {
        let mut out = Vec::new();
        for chunk in ids.chunks(500) {
            let found: Vec<String> = assignments::table
                .filter(assignments::appeal_id.eq_any(chunk))
                .filter(assignments::organization_id.eq(org))
                .filter(assignments::user_id.eq(user))
                .filter(assignments::active.eq(true))
                .select(assignments::appeal_id)
                .load(conn)?;
            out.extend(found);
        }
        out.sort();
        out.dedup();
        Ok(out)
    }
}

/// The appeals among `ids` actively assigned to `user` (through the `assignments_appeal` index).
pub fn assigned_among(pool: &DbPool, org: &str, user: &str, ids: &[String]) -> Result<Vec<String>, ServiceError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(pool, assigned_among(org, user, ids))
}

/// True when the actor may see the card: roles that read everything, or anyone among its
/// active executors (an executor never learns an unassigned appeal exists). The same rule as
/// [`assigned_among`] and the lists' `visible_to`, for a card already loaded.
pub fn visible(actor: &crate::domain::roles::Actor, card: &super::appeals::CardData) -> bool {
    actor.reads_all() || card.assignments.iter().any(|a| a.active && a.user_id == actor.id)
}
