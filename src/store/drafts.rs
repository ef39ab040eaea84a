//! What the pages keep so that no letter is lost or registered twice: a form posted after its
//! session ended (kept an hour for its user, then deleted), and the one-time token of each
//! registration form (a second post of the same form finds the first registration). Both are
//! read by primary key; expired rows go through their time index.

use super::schema::{appeals, match_keys, web_drafts, web_form_tokens};
use super::{DbPool, ServiceError, WriteTx};
use crate::{backend_fns, dispatch};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A posted form kept across a new sign-in.
#[derive(Clone, Debug, Queryable, Selectable, Insertable)]
#[diesel(table_name = web_drafts)]
pub struct DraftRow {
    /// Hex SHA-256 of the token the browser holds.
    pub id: String,
    /// Organization.
    pub organization_id: String,
    /// The user whose session ended: only they get it back.
    pub user_id: String,
    /// Where the form was posted.
    pub path: String,
    /// The form as posted (`application/x-www-form-urlencoded`).
    pub body: String,
    /// Kept at.
    pub created_at: NaiveDateTime,
    /// Deleted unused after this instant.
    pub expires_at: NaiveDateTime,
}

/// What claiming a registration form's token found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Claim {
    /// First use: register, then [`complete_form_token`].
    Fresh,
    /// That form already registered this appeal.
    Done(String),
    /// Another post of the same form is registering right now.
    InFlight,
}

/// An earlier appeal of the same person, as the registration form names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Earlier {
    /// Id.
    pub id: String,
    /// Registration number.
    pub reg_number: String,
    /// Its summary (compared with the new letter's; never logged).
    pub summary: String,
    /// Registered at.
    pub registered_at: NaiveDateTime,
}

/// How long a claim without an appeal blocks a repeat of its form: a post that failed without
/// releasing it (a crash) must not block the clerk for good.
const CLAIM_SECONDS: i64 = 60;

backend_fns! {
    pub fn save_draft(conn: &mut Conn, row: &DraftRow) -> Result<(), ServiceError> {
        conn.write_tx(|c| {
            diesel::delete(web_drafts::table.filter(web_drafts::expires_at.le(row.created_at))).execute(c)?;
            diesel::insert_into(web_drafts::table).values(row).execute(c)?;
            Ok(())
        })
    }

    pub fn peek_draft(conn: &mut Conn, id: &str, user_id: &str, now: NaiveDateTime) -> Result<Option<DraftRow>, ServiceError> {
        Ok(web_drafts::table
            .filter(web_drafts::id.eq(id))
            .filter(web_drafts::user_id.eq(user_id))
            .filter(web_drafts::expires_at.gt(now))
            .select(DraftRow::as_select())
            .first(conn)
            .optional()?)
    }

    pub fn take_draft(conn: &mut Conn, id: &str, user_id: &str, now: NaiveDateTime) -> Result<Option<DraftRow>, ServiceError> {
        conn.write_tx(|c| {
            let found: Option<DraftRow> = web_drafts::table
                .filter(web_drafts::id.eq(id))
                .filter(web_drafts::user_id.eq(user_id))
                .select(DraftRow::as_select())
                .first(c)
                .optional()?;
            diesel::delete(web_drafts::table.filter(web_drafts::id.eq(id)).filter(web_drafts::user_id.eq(user_id))).execute(c)?;
            Ok(found.filter(|d| d.expires_at > now))
        })
    }

    pub fn claim_form_token(conn: &mut Conn, hash: &str, org: &str, user_id: &str, now: NaiveDateTime) -> Result<Claim, ServiceError> {
        conn.write_tx(|c| {
            // Tokens older than a day are no longer needed: nobody posts a form that old twice.
            diesel::delete(web_form_tokens::table.filter(web_form_tokens::created_at.lt(now - chrono::Duration::days(1)))).execute(c)?;
            let found: Option<(Option<String>, NaiveDateTime)> = web_form_tokens::table
                .filter(web_form_tokens::token_hash.eq(hash))
                .select((web_form_tokens::appeal_id, web_form_tokens::created_at))
                .first(c)
                .optional()?;
            match found {
                Some((Some(appeal), _)) => Ok(Claim::Done(appeal)),
                Some((None, at)) if now - at < chrono::Duration::seconds(CLAIM_SECONDS) => Ok(Claim::InFlight),
                Some((None, _)) => {
                    diesel::update(web_form_tokens::table.filter(web_form_tokens::token_hash.eq(hash))).set(web_form_tokens::created_at.eq(now)).execute(c)?;
                    Ok(Claim::Fresh)
                }
                None => {
                    diesel::insert_into(web_form_tokens::table)
                        .values((
                            web_form_tokens::token_hash.eq(hash),
                            web_form_tokens::organization_id.eq(org),
                            web_form_tokens::user_id.eq(user_id),
                            web_form_tokens::appeal_id.eq(None::<String>),
                            web_form_tokens::created_at.eq(now),
                        ))
                        .execute(c)?;
                    Ok(Claim::Fresh)
                }
            }
        })
    }

    pub fn recent_by_person(conn: &mut Conn, org: &str, keys: &[String], since: NaiveDateTime) -> Result<Vec<Earlier>, ServiceError> {
        // `match_keys` by its primary key's prefix (organization, person key); then the cards by id.
        let mut ids: Vec<String> = match_keys::table
            .filter(match_keys::organization_id.eq(org))
            .filter(match_keys::match_key.eq_any(keys))
            .filter(match_keys::registered_at.ge(since))
            .select(match_keys::appeal_id)
            .load(conn)?;
        ids.sort();
        ids.dedup();
        ids.truncate(200);
        let rows: Vec<(String, String, String, NaiveDateTime)> = appeals::table
            .filter(appeals::id.eq_any(&ids))
            .filter(appeals::organization_id.eq(org))
            .select((appeals::id, appeals::reg_number, appeals::summary, appeals::registered_at))
            .load(conn)?;
        let mut out: Vec<Earlier> = rows.into_iter().map(|(id, reg_number, summary, registered_at)| Earlier { id, reg_number, summary, registered_at }).collect();
        out.sort_by(|a, b| b.registered_at.cmp(&a.registered_at));
        Ok(out)
    }

    pub fn complete_form_token(conn: &mut Conn, hash: &str, appeal_id: &str) -> Result<(), ServiceError> {
        diesel::update(web_form_tokens::table.filter(web_form_tokens::token_hash.eq(hash))).set(web_form_tokens::appeal_id.eq(Some(appeal_id))).execute(conn)?;
        Ok(())
    }

    pub fn release_form_token(conn: &mut Conn, hash: &str) -> Result<(), ServiceError> {
        diesel::delete(web_form_tokens::table.filter(web_form_tokens::token_hash.eq(hash)).filter(web_form_tokens::appeal_id.is_null())).execute(conn)?;
        Ok(())
    }
}

/// Keeps a form for its user (and deletes every draft already expired).
pub fn save_draft(pool: &DbPool, row: &DraftRow) -> Result<(), ServiceError> {
    dispatch!(pool, save_draft(row))
}

/// The user's live draft with this id, left in place (the sign-in reads where it goes).
pub fn peek_draft(pool: &DbPool, id: &str, user_id: &str, now: NaiveDateTime) -> Result<Option<DraftRow>, ServiceError> {
    dispatch!(pool, peek_draft(id, user_id, now))
}

/// The user's draft with this id, deleted as it is read: a draft is used once.
pub fn take_draft(pool: &DbPool, id: &str, user_id: &str, now: NaiveDateTime) -> Result<Option<DraftRow>, ServiceError> {
    dispatch!(pool, take_draft(id, user_id, now))
}

/// Claims a registration form's token before registering (see [`Claim`]).
pub fn claim_form_token(pool: &DbPool, hash: &str, org: &str, user_id: &str, now: NaiveDateTime) -> Result<Claim, ServiceError> {
    dispatch!(pool, claim_form_token(hash, org, user_id, now))
}

/// Appeals registered since `since` by a person with one of these keys (newest first).
pub fn recent_by_person(pool: &DbPool, org: &str, keys: &[String], since: NaiveDateTime) -> Result<Vec<Earlier>, ServiceError> {
    dispatch!(pool, recent_by_person(org, keys, since))
}

/// Records the appeal a claimed form registered.
pub fn complete_form_token(pool: &DbPool, hash: &str, appeal_id: &str) -> Result<(), ServiceError> {
    dispatch!(pool, complete_form_token(hash, appeal_id))
}

/// Gives a claim back after a failed registration, so the corrected form can be sent again.
pub fn release_form_token(pool: &DbPool, hash: &str) -> Result<(), ServiceError> {
    dispatch!(pool, release_form_token(hash))
}
