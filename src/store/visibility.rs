//! Which appeals an executor may open: the ones actively assigned to them. Used to keep ids of
//! other appeals (related appeals, history details) out of what an executor is shown.

use super::schema::assignments;
use super::{DbPool, StoreError};
use crate::{backend_fns, dispatch};
use diesel::prelude::*;

backend_fns! {
    pub fn assigned_among(conn: &mut Conn, org: &str, user: &str, ids: &[String]) -> Result<Vec<String>, StoreError> {
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
pub fn assigned_among(pool: &DbPool, org: &str, user: &str, ids: &[String]) -> Result<Vec<String>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    dispatch!(pool, assigned_among(org, user, ids))
}
