//! What a database holds before demo data is loaded into it: demo appeals are the ones whose
//! external id starts with `demo-` (the loader marks them so).

use super::schema::appeals;
use super::ServiceError;
use crate::{backend_fns, dispatch};
use diesel::prelude::*;

/// Appeals of every organization: all of them, and those whose external id matches `like`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Census {
    /// Every appeal.
    pub appeals: i64,
    /// Those matching the pattern.
    pub matching: i64,
}

backend_fns! {
    pub fn census(c: &mut Conn, like: &str) -> Result<Census, ServiceError> {
        let all: i64 = appeals::table.count().get_result(c)?;
        let matching: i64 = appeals::table.filter(appeals::external_id.like(like)).count().get_result(c)?;
        Ok(Census { appeals: all, matching })
    }
}

/// Counts the appeals, and those whose external id is `LIKE like`.
pub fn census(pool: &super::DbPool, like: &str) -> Result<Census, ServiceError> {
    dispatch!(pool, census(like))
}
