//! Mass campaigns' rows: each letter's signature and LSH bucket keys, the campaigns and their
//! members. Earlier letters worth comparing are found by equality on the bucket table's primary
//! key (organization, section, band, bucket) and a range of registration days; what a new
//! letter does with them is decided by the caller (`crate::domain::campaigns::decide`).

use super::schema::{appeals, campaign_buckets, campaign_members, campaign_signatures, campaigns};
use super::{DbPool, ServiceError, WriteTx};
use crate::domain::campaigns::{Candidate, Grouping, Signature, BANDS};
use crate::{backend_fns, dispatch};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

/// A new letter as the grouping needs it.
#[derive(Clone, Debug)]
pub struct Letter {
    /// Organization.
    pub organization_id: String,
    /// The appeal.
    pub appeal_id: String,
    /// Its summary: the title of a campaign it starts.
    pub summary: String,
    /// The sections of its questions, distinct.
    pub sections: Vec<String>,
    /// Registration instant and local day.
    pub registered_at: NaiveDateTime,
    /// Local registration day.
    pub registered_on: NaiveDate,
    /// Its signature.
    pub signature: Signature,
}

/// A campaign as lists and cards show it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CampaignSummary {
    /// Id.
    pub id: String,
    /// Title (the first letter's summary until someone edits it).
    pub title: String,
    /// The classifier section its letters share.
    pub section: String,
    /// Started.
    pub created_at: NaiveDateTime,
    /// Its appeals.
    pub appeals: i64,
}

/// One of a campaign's appeals.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, utoipa::ToSchema, Queryable)]
pub struct Member {
    /// The appeal.
    pub id: String,
    /// Its number.
    pub reg_number: String,
    /// Its status.
    pub status: String,
    /// Registered.
    pub registered_at: NaiveDateTime,
    /// Its deadline.
    pub due_date: NaiveDate,
}

/// What a grouping did, for the card and the log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Grouped {
    /// The letter stands alone.
    Alone,
    /// The letter is in this campaign.
    In(String),
}

/// Most earlier letters read per bucket: a bucket of a huge campaign needs only its newest.
const PER_BUCKET: usize = 50;

backend_fns! {
    /// Groups a new letter: reads the earlier letters sharing a bucket with it (same
    /// organization and section, registered on or after `since`), lets `decide` say what to
    /// do, then writes the campaign rows, the letter's signature and buckets in one
    /// transaction that does not wait for the disk.
    pub fn group(conn: &mut Conn, l: &Letter, since: NaiveDate, now: NaiveDateTime, new_id: &dyn Fn() -> String, decide: &dyn Fn(&[Candidate<String>]) -> Grouping<String>) -> Result<Grouped, ServiceError> {
        // The earlier letters are read before the write (on SQLite, before the one writer lock
        // every registration queues on): the lock is held only for the rows. Two letters grouped
        // at the same instant may not see each other and start two campaigns; the next letter
        // like both brings them together.
        let found = candidates(conn, l, since)?;
        let decision = decide(&found);
        // Derived rows: a crash may lose the newest grouping (the letter then stands alone),
        // never an appeal, so the commit does not wait for the disk.
        conn.derived_write_tx(|c| {
            let grouped = match decision {
                Grouping::Alone => Grouped::Alone,
                Grouping::Start { with } => {
                    let id = new_id();
                    let section = l.sections.first().cloned().unwrap_or_default();
                    diesel::insert_into(campaigns::table)
                        .values((
                            campaigns::id.eq(&id),
                            campaigns::organization_id.eq(&l.organization_id),
                            campaigns::title.eq(&l.summary),
                            campaigns::section.eq(&section),
                            campaigns::created_at.eq(now),
                            campaigns::updated_at.eq(now),
                        ))
                        .execute(c)?;
                    add_members(c, &l.organization_id, &id, &with, now)?;
                    Grouped::In(id)
                }
                Grouping::Join { campaign, merge, add } => {
                    if !merge.is_empty() {
                        diesel::update(campaign_members::table.filter(campaign_members::organization_id.eq(&l.organization_id)).filter(campaign_members::campaign_id.eq_any(&merge)))
                            .set(campaign_members::campaign_id.eq(&campaign))
                            .execute(c)?;
                        diesel::delete(campaigns::table.filter(campaigns::organization_id.eq(&l.organization_id)).filter(campaigns::id.eq_any(&merge))).execute(c)?;
                    }
                    add_members(c, &l.organization_id, &campaign, &add, now)?;
                    Grouped::In(campaign)
                }
            };
            if let Grouped::In(id) = &grouped {
                diesel::insert_into(campaign_members::table)
                    .values((
                        campaign_members::appeal_id.eq(&l.appeal_id),
                        campaign_members::organization_id.eq(&l.organization_id),
                        campaign_members::campaign_id.eq(id),
                        campaign_members::registered_at.eq(l.registered_at),
                        campaign_members::joined_at.eq(now),
                    ))
                    .execute(c)?;
                diesel::update(campaigns::table.filter(campaigns::id.eq(id))).set(campaigns::updated_at.eq(now)).execute(c)?;
            }
            diesel::insert_into(campaign_signatures::table)
                .values((
                    campaign_signatures::appeal_id.eq(&l.appeal_id),
                    campaign_signatures::organization_id.eq(&l.organization_id),
                    campaign_signatures::signature.eq(l.signature.to_hex()),
                    campaign_signatures::left_out.eq(false),
                ))
                .execute(c)?;
            let keys = l.signature.buckets();
            let rows: Vec<_> = l
                .sections
                .iter()
                .flat_map(|s| {
                    keys.iter().enumerate().map(move |(band, key)| {
                        (
                            campaign_buckets::organization_id.eq(l.organization_id.clone()),
                            campaign_buckets::section.eq(s.clone()),
                            campaign_buckets::band.eq(band as i32),
                            campaign_buckets::bucket.eq(*key),
                            campaign_buckets::registered_on.eq(l.registered_on),
                            campaign_buckets::appeal_id.eq(l.appeal_id.clone()),
                        )
                    })
                })
                .collect();
            diesel::insert_into(campaign_buckets::table).values(&rows).execute(c)?;
            Ok(grouped)
        })
    }

    /// The earlier letters sharing a bucket with `l`: one equality range of the bucket table's
    /// key per section and band, the newest [`PER_BUCKET`] of each, then their signatures and
    /// campaigns by primary key.
    fn candidates(c: &mut Conn, l: &Letter, since: NaiveDate) -> Result<Vec<Candidate<String>>, ServiceError> {
        let keys = l.signature.buckets();
        let mut ids: Vec<String> = Vec::new();
        for section in &l.sections {
            for (band, key) in keys.iter().enumerate().take(BANDS) {
                let found: Vec<String> = campaign_buckets::table
                    .filter(campaign_buckets::organization_id.eq(&l.organization_id))
                    .filter(campaign_buckets::section.eq(section))
                    .filter(campaign_buckets::band.eq(band as i32))
                    .filter(campaign_buckets::bucket.eq(key))
                    .filter(campaign_buckets::registered_on.ge(since))
                    .order((campaign_buckets::registered_on.desc(), campaign_buckets::appeal_id.desc()))
                    .select(campaign_buckets::appeal_id)
                    .limit(PER_BUCKET as i64)
                    .load(c)?;
                ids.extend(found);
            }
        }
        ids.sort();
        ids.dedup();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(String, String, Option<String>)> = campaign_signatures::table
            .left_join(campaign_members::table.on(campaign_members::appeal_id.eq(campaign_signatures::appeal_id)))
            .filter(campaign_signatures::appeal_id.eq_any(&ids))
            .filter(campaign_signatures::left_out.eq(false))
            .select((campaign_signatures::appeal_id, campaign_signatures::signature, campaign_members::campaign_id.nullable()))
            .load(c)?;
        Ok(rows
            .into_iter()
            .filter_map(|(appeal, sig, campaign)| Signature::from_hex(&sig).map(|signature| Candidate { appeal, campaign, signature }))
            .collect())
    }

    fn add_members(c: &mut Conn, org: &str, campaign: &str, appeals_in: &[String], now: NaiveDateTime) -> Result<(), ServiceError> {
        if appeals_in.is_empty() {
            return Ok(());
        }
        let found: Vec<(String, NaiveDateTime)> = appeals::table
            .filter(appeals::id.eq_any(appeals_in))
            .filter(appeals::organization_id.eq(org))
            .select((appeals::id, appeals::registered_at))
            .load(c)?;
        let rows: Vec<_> = found
            .into_iter()
            .map(|(id, at)| {
                (
                    campaign_members::appeal_id.eq(id),
                    campaign_members::organization_id.eq(org.to_string()),
                    campaign_members::campaign_id.eq(campaign.to_string()),
                    campaign_members::registered_at.eq(at),
                    campaign_members::joined_at.eq(now),
                )
            })
            .collect();
        diesel::insert_into(campaign_members::table).values(&rows).execute(c)?;
        Ok(())
    }

    /// The campaign an appeal belongs to.
    pub fn of_appeal(c: &mut Conn, org: &str, appeal_id: &str) -> Result<Option<CampaignSummary>, ServiceError> {
        let id: Option<String> = campaign_members::table
            .filter(campaign_members::appeal_id.eq(appeal_id))
            .filter(campaign_members::organization_id.eq(org))
            .select(campaign_members::campaign_id)
            .first(c)
            .optional()?;
        match id {
            Some(id) => get(c, org, &id),
            None => Ok(None),
        }
    }

    /// One campaign with its count of appeals.
    pub fn get(c: &mut Conn, org: &str, id: &str) -> Result<Option<CampaignSummary>, ServiceError> {
        let row: Option<(String, String, String, NaiveDateTime)> = campaigns::table
            .filter(campaigns::id.eq(id))
            .filter(campaigns::organization_id.eq(org))
            .select((campaigns::id, campaigns::title, campaigns::section, campaigns::created_at))
            .first(c)
            .optional()?;
        let Some((id, title, section, created_at)) = row else { return Ok(None) };
        let appeals: i64 = campaign_members::table
            .filter(campaign_members::organization_id.eq(org))
            .filter(campaign_members::campaign_id.eq(&id))
            .count()
            .get_result(c)?;
        Ok(Some(CampaignSummary { id, title, section, created_at, appeals }))
    }

    /// The organization's campaigns, newest first, `limit` of them.
    pub fn list(c: &mut Conn, org: &str, limit: i64) -> Result<Vec<CampaignSummary>, ServiceError> {
        let rows: Vec<(String, String, String, NaiveDateTime)> = campaigns::table
            .filter(campaigns::organization_id.eq(org))
            .order((campaigns::created_at.desc(), campaigns::id.desc()))
            .select((campaigns::id, campaigns::title, campaigns::section, campaigns::created_at))
            .limit(limit)
            .load(c)?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, title, section, created_at) in rows {
            let appeals: i64 = campaign_members::table
                .filter(campaign_members::organization_id.eq(org))
                .filter(campaign_members::campaign_id.eq(&id))
                .count()
                .get_result(c)?;
            out.push(CampaignSummary { id, title, section, created_at, appeals });
        }
        Ok(out)
    }

    /// A campaign's appeals, oldest first.
    pub fn members(c: &mut Conn, org: &str, id: &str) -> Result<Vec<Member>, ServiceError> {
        Ok(campaign_members::table
            .inner_join(appeals::table.on(appeals::id.eq(campaign_members::appeal_id)))
            .filter(campaign_members::organization_id.eq(org))
            .filter(campaign_members::campaign_id.eq(id))
            .order((campaign_members::registered_at.asc(), campaign_members::appeal_id.asc()))
            .select((appeals::id, appeals::reg_number, appeals::status, appeals::registered_at, appeals::due_date))
            .load(c)?)
    }

    /// Distinct applicants and distinct addresses among a campaign's appeals.
    pub fn spread(c: &mut Conn, org: &str, id: &str) -> Result<(i64, i64), ServiceError> {
        use crate::store::schema::applicants;
        // The keys registration stored: people by name, places by address (both folded).
        let rows: Vec<(String, Option<String>)> = campaign_members::table
            .inner_join(applicants::table.on(applicants::appeal_id.eq(campaign_members::appeal_id)))
            .filter(campaign_members::organization_id.eq(org))
            .filter(campaign_members::campaign_id.eq(id))
            .select((applicants::name_key, applicants::address_key))
            .load(c)?;
        let people: std::collections::BTreeSet<&String> = rows.iter().map(|(n, _)| n).collect();
        let places: std::collections::BTreeSet<&String> = rows.iter().filter_map(|(_, a)| a.as_ref()).collect();
        Ok((people.len() as i64, places.len() as i64))
    }

    /// Renames a campaign; false when it is not the organization's.
    pub fn rename(c: &mut Conn, org: &str, id: &str, title: &str, now: NaiveDateTime) -> Result<bool, ServiceError> {
        let n = c.write_tx(|c| -> Result<usize, ServiceError> {
            Ok(diesel::update(campaigns::table.filter(campaigns::id.eq(id)).filter(campaigns::organization_id.eq(org)))
                .set((campaigns::title.eq(title), campaigns::updated_at.eq(now)))
                .execute(c)?)
        })?;
        Ok(n == 1)
    }

    /// Leaves an appeal out of its campaign for good (it is no longer a candidate either); a
    /// campaign left with one appeal is dissolved. False when the appeal is not in it.
    pub fn leave_out(c: &mut Conn, org: &str, id: &str, appeal_id: &str) -> Result<bool, ServiceError> {
        c.write_tx(|c| {
            let n = diesel::delete(
                campaign_members::table
                    .filter(campaign_members::appeal_id.eq(appeal_id))
                    .filter(campaign_members::organization_id.eq(org))
                    .filter(campaign_members::campaign_id.eq(id)),
            )
            .execute(c)?;
            if n == 0 {
                return Ok(false);
            }
            diesel::update(campaign_signatures::table.filter(campaign_signatures::appeal_id.eq(appeal_id))).set(campaign_signatures::left_out.eq(true)).execute(c)?;
            diesel::delete(campaign_buckets::table.filter(campaign_buckets::appeal_id.eq(appeal_id))).execute(c)?;
            let left: i64 = campaign_members::table
                .filter(campaign_members::organization_id.eq(org))
                .filter(campaign_members::campaign_id.eq(id))
                .count()
                .get_result(c)?;
            if left < 2 {
                diesel::delete(campaign_members::table.filter(campaign_members::organization_id.eq(org)).filter(campaign_members::campaign_id.eq(id))).execute(c)?;
                diesel::delete(campaigns::table.filter(campaigns::id.eq(id)).filter(campaigns::organization_id.eq(org))).execute(c)?;
            }
            Ok(true)
        })
    }

    /// Campaigns with appeals registered in `[from, to)` and those appeals, for the statistics.
    pub fn period_counts(c: &mut Conn, org: &str, from: NaiveDateTime, to: NaiveDateTime) -> Result<(i64, i64), ServiceError> {
        let ids: Vec<String> = campaign_members::table
            .filter(campaign_members::organization_id.eq(org))
            .filter(campaign_members::registered_at.ge(from))
            .filter(campaign_members::registered_at.lt(to))
            .select(campaign_members::campaign_id)
            .load(c)?;
        let appeals = ids.len() as i64;
        let campaigns: std::collections::BTreeSet<String> = ids.into_iter().collect();
        Ok((campaigns.len() as i64, appeals))
    }
}

/// See the backend function of the same name.
#[allow(clippy::too_many_arguments)]
pub fn group(pool: &DbPool, l: &Letter, since: NaiveDate, now: NaiveDateTime, new_id: &dyn Fn() -> String, decide: &dyn Fn(&[Candidate<String>]) -> Grouping<String>) -> Result<Grouped, ServiceError> {
    dispatch!(pool, group(l, since, now, new_id, decide))
}

/// The campaign an appeal belongs to.
pub fn of_appeal(pool: &DbPool, org: &str, appeal_id: &str) -> Result<Option<CampaignSummary>, ServiceError> {
    dispatch!(pool, of_appeal(org, appeal_id))
}

/// One campaign.
pub fn get(pool: &DbPool, org: &str, id: &str) -> Result<Option<CampaignSummary>, ServiceError> {
    dispatch!(pool, get(org, id))
}

/// The organization's campaigns, newest first.
pub fn list(pool: &DbPool, org: &str, limit: i64) -> Result<Vec<CampaignSummary>, ServiceError> {
    dispatch!(pool, list(org, limit))
}

/// A campaign's appeals.
pub fn members(pool: &DbPool, org: &str, id: &str) -> Result<Vec<Member>, ServiceError> {
    dispatch!(pool, members(org, id))
}

/// Distinct applicants and addresses of a campaign.
pub fn spread(pool: &DbPool, org: &str, id: &str) -> Result<(i64, i64), ServiceError> {
    dispatch!(pool, spread(org, id))
}

/// Renames a campaign.
pub fn rename(pool: &DbPool, org: &str, id: &str, title: &str, now: NaiveDateTime) -> Result<bool, ServiceError> {
    dispatch!(pool, rename(org, id, title, now))
}

/// Leaves an appeal out of its campaign.
pub fn leave_out(pool: &DbPool, org: &str, id: &str, appeal_id: &str) -> Result<bool, ServiceError> {
    dispatch!(pool, leave_out(org, id, appeal_id))
}

/// Campaigns and their appeals registered in a period.
pub fn period_counts(pool: &DbPool, org: &str, from: NaiveDateTime, to: NaiveDateTime) -> Result<(i64, i64), ServiceError> {
    dispatch!(pool, period_counts(org, from, to))
}
