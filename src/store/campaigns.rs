//! Mass campaigns' rows: each letter's signature and LSH bucket keys, the campaigns and their
//! members. Earlier letters worth comparing are found by equality on the bucket table's primary
//! key (organization, section, band, bucket) and a range of registration days; what a new
//! letter does with them is decided by the caller (`crate::domain::campaigns::decide`).

use super::schema::{appeals, assignments, campaign_buckets, campaign_members, campaign_signatures, campaigns};
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

/// The candidate lookup for `ranges` (section, band) ranges: one text per count of sections,
/// so each stays prepared on its connection.
fn candidates_sql(ranges: usize) -> String {
    static BY_SECTIONS: [std::sync::OnceLock<String>; 4] = [const { std::sync::OnceLock::new() }; 4];
    let build = || {
        let one = format!(
            "SELECT organization_id, appeal_id FROM (SELECT organization_id, appeal_id FROM campaign_buckets WHERE organization_id = ? AND section = ? AND band = ? AND bucket = ? \
             AND registered_on >= ? ORDER BY registered_on DESC, appeal_id DESC LIMIT {PER_BUCKET}) AS b"
        );
        let ids = vec![one; ranges].join(" UNION ");
        format!(
            "SELECT s.appeal_id, s.signature, m.campaign_id FROM ({ids}) AS ids JOIN campaign_signatures s ON s.appeal_id = ids.appeal_id AND s.organization_id = ids.organization_id \
             LEFT JOIN campaign_members m ON m.appeal_id = s.appeal_id AND m.organization_id = s.organization_id WHERE s.left_out = FALSE"
        )
    };
    match BY_SECTIONS.get(ranges / BANDS) {
        Some(cell) if ranges % BANDS == 0 => cell.get_or_init(build).clone(),
        _ => build(),
    }
}

/// The appeals actively assigned to an executor (through the assignments' user index): what
/// an executor may see of a campaign.
#[diesel::dsl::auto_type]
fn assigned<'a>(org: &'a str, user: &'a str) -> _ {
    assignments::table
        .filter(assignments::user_id.eq(user))
        .filter(assignments::organization_id.eq(org))
        .filter(assignments::active.eq(true))
        .select(assignments::appeal_id)
}

/// A row of the candidate lookup.
#[derive(QueryableByName)]
struct FoundLetter {
    #[diesel(sql_type = diesel::sql_types::Text)]
    appeal_id: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    signature: String,
    #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Text>)]
    campaign_id: Option<String>,
}

/// A new letter's grouping, read before its registration's write: the earlier letters
/// sharing a bucket with it and what to do with them once the registration knows the same
/// person's earlier appeals (which are repeats or duplicates, never campaign members). The
/// registration writes its rows in its own transaction (see `store::appeals::register`).
#[derive(Clone, Debug)]
pub struct Planned {
    /// The letter.
    pub letter: Letter,
    /// The earlier letters sharing a bucket with it.
    pub found: Vec<Candidate<String>>,
    /// The similarity a letter must reach to join (`[campaigns] threshold`).
    pub threshold: f64,
    /// The id of the campaign it starts, if it starts one.
    pub new_campaign_id: String,
}

impl Planned {
    /// The decision once the same person's earlier appeals (`related`) are known: they are
    /// left out of the comparison.
    pub fn decide(&self, related: &[String]) -> Grouping<String> {
        let others: Vec<Candidate<String>> = self.found.iter().filter(|c| !related.contains(&c.appeal)).cloned().collect();
        crate::domain::campaigns::decide(&self.letter.signature, &others, self.threshold)
    }
}

backend_fns! {
    /// Groups an already registered letter in a transaction of its own that does not wait for
    /// the disk (derived rows: a crash may lose the newest grouping, never an appeal).
    pub fn group(conn: &mut Conn, p: &Planned, related: &[String], now: NaiveDateTime) -> Result<Grouped, ServiceError> {
        conn.derived_write_tx(|c| write_grouping(c, p, related, now))
    }

    /// The earlier letters worth comparing with `l`, registered on or after `since`.
    pub fn found(conn: &mut Conn, l: &Letter, since: NaiveDate) -> Result<Vec<Candidate<String>>, ServiceError> {
        candidates(conn, l, since)
    }

    /// Writes a letter's grouping inside the caller's transaction: the campaign it starts or
    /// joins (merging campaigns it bridges), its signature and its bucket rows. The candidates
    /// were read before the write lock, so a campaign may have been merged away or dissolved
    /// since: the letter then starts a campaign of its own with the same letters, and letters
    /// another registration has grouped meanwhile are skipped, never written twice.
    pub fn write_grouping(c: &mut Conn, p: &Planned, related: &[String], now: NaiveDateTime) -> Result<Grouped, ServiceError> {
        let l = &p.letter;
        let decision = match p.decide(related) {
            Grouping::Join { campaign, merge, add } if !exists(c, &l.organization_id, &campaign)? => {
                let mut with = add;
                with.extend(merge.iter().cloned());
                Grouping::Start { with }
            }
            other => other,
        };
        let grouped = match decision {
            Grouping::Alone => Grouped::Alone,
            Grouping::Start { with } => {
                let id = p.new_campaign_id.clone();
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
                let added = add_members(c, &l.organization_id, &id, &with, now)?;
                grow(c, &id, added as i64)?;
                Grouped::In(id)
            }
            Grouping::Join { campaign, merge, add } => {
                let mut moved = 0;
                if !merge.is_empty() {
                    moved = diesel::update(campaign_members::table.filter(campaign_members::organization_id.eq(&l.organization_id)).filter(campaign_members::campaign_id.eq_any(&merge)))
                        .set(campaign_members::campaign_id.eq(&campaign))
                        .execute(c)?;
                    diesel::delete(campaigns::table.filter(campaigns::organization_id.eq(&l.organization_id)).filter(campaigns::id.eq_any(&merge))).execute(c)?;
                }
                let added = add_members(c, &l.organization_id, &campaign, &add, now)?;
                grow(c, &campaign, (moved + added) as i64)?;
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
            diesel::update(campaigns::table.filter(campaigns::id.eq(id))).set((campaigns::updated_at.eq(now), campaigns::member_count.eq(campaigns::member_count + 1))).execute(c)?;
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
    }

    fn exists(c: &mut Conn, org: &str, campaign: &str) -> Result<bool, ServiceError> {
        let n: i64 = campaigns::table.filter(campaigns::id.eq(campaign)).filter(campaigns::organization_id.eq(org)).count().get_result(c)?;
        Ok(n > 0)
    }

    /// The earlier letters sharing a bucket with `l`, in one statement: one equality range of
    /// the bucket table's key per section and band, the newest [`PER_BUCKET`] of each, joined to
    /// their signatures and campaigns by primary key.
    fn candidates(c: &mut Conn, l: &Letter, since: NaiveDate) -> Result<Vec<Candidate<String>>, ServiceError> {
        use crate::store::prepared::{Arg, Prepared};
        let keys = l.signature.buckets();
        let ranges = l.sections.len() * BANDS;
        if ranges == 0 {
            return Ok(Vec::new());
        }
        let mut args = Vec::with_capacity(ranges * 5);
        for section in &l.sections {
            for (band, key) in keys.iter().enumerate().take(BANDS) {
                args.extend([Arg::Text(l.organization_id.clone()), Arg::Text(section.clone()), Arg::Int(band as i32), Arg::BigInt(*key), Arg::Date(since)]);
            }
        }
        let rows: Vec<FoundLetter> = Prepared::owned(candidates_sql(ranges).into(), args).load(c)?;
        Ok(rows
            .into_iter()
            .filter_map(|r| Signature::from_hex(&r.signature).map(|signature| Candidate { appeal: r.appeal_id, campaign: r.campaign_id, signature }))
            .collect())
    }

    /// Adds `n` to a campaign's count of appeals.
    fn grow(c: &mut Conn, campaign: &str, n: i64) -> Result<(), ServiceError> {
        if n != 0 {
            diesel::update(campaigns::table.filter(campaigns::id.eq(campaign))).set(campaigns::member_count.eq(campaigns::member_count + n)).execute(c)?;
        }
        Ok(())
    }

    /// Puts earlier letters into a campaign; how many went in.
    fn add_members(c: &mut Conn, org: &str, campaign: &str, appeals_in: &[String], now: NaiveDateTime) -> Result<usize, ServiceError> {
        if appeals_in.is_empty() {
            return Ok(0);
        }
        // Letters another registration grouped since they were read stay where they are.
        let found: Vec<(String, NaiveDateTime)> = appeals::table
            .filter(appeals::id.eq_any(appeals_in))
            .filter(appeals::organization_id.eq(org))
            .filter(diesel::dsl::not(diesel::dsl::exists(campaign_members::table.filter(campaign_members::appeal_id.eq(appeals::id)))))
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
        Ok(diesel::insert_into(campaign_members::table).values(&rows).execute(c)?)
    }

    /// The campaign an appeal belongs to; `confined` to an executor, counting only the
    /// appeals actively assigned to them.
    pub fn of_appeal(c: &mut Conn, org: &str, appeal_id: &str, confined: Option<&str>) -> Result<Option<CampaignSummary>, ServiceError> {
        let id: Option<String> = campaign_members::table
            .filter(campaign_members::appeal_id.eq(appeal_id))
            .filter(campaign_members::organization_id.eq(org))
            .select(campaign_members::campaign_id)
            .first(c)
            .optional()?;
        match id {
            Some(id) => get(c, org, &id, confined),
            None => Ok(None),
        }
    }

    /// The campaigns of a page of appeals, by appeal (`confined`: as that executor sees them):
    /// the members by primary key, the campaigns by primary key, one count per campaign through
    /// the members' campaign index.
    pub fn of_appeals(c: &mut Conn, org: &str, appeal_ids: &[String], confined: Option<&str>) -> Result<std::collections::HashMap<String, CampaignSummary>, ServiceError> {
        let mut out = std::collections::HashMap::new();
        if appeal_ids.is_empty() {
            return Ok(out);
        }
        let pairs: Vec<(String, String)> = campaign_members::table
            .filter(campaign_members::appeal_id.eq_any(appeal_ids))
            .filter(campaign_members::organization_id.eq(org))
            .select((campaign_members::appeal_id, campaign_members::campaign_id))
            .load(c)?;
        let mut ids: Vec<&String> = pairs.iter().map(|(_, id)| id).collect();
        ids.sort();
        ids.dedup();
        let mut found = std::collections::HashMap::new();
        for id in ids {
            if let Some(summary) = get(c, org, id, confined)? {
                found.insert(id.clone(), summary);
            }
        }
        for (appeal, id) in &pairs {
            if let Some(summary) = found.get(id) {
                out.insert(appeal.clone(), summary.clone());
            }
        }
        Ok(out)
    }

    /// One campaign with its count of appeals (`confined`: of those actively assigned to that
    /// executor, and `None` when there are none: an executor never learns of the others).
    pub fn get(c: &mut Conn, org: &str, id: &str, confined: Option<&str>) -> Result<Option<CampaignSummary>, ServiceError> {
        let row: Option<(String, String, String, NaiveDateTime, i64)> = campaigns::table
            .filter(campaigns::id.eq(id))
            .filter(campaigns::organization_id.eq(org))
            .select((campaigns::id, campaigns::title, campaigns::section, campaigns::created_at, campaigns::member_count))
            .first(c)
            .optional()?;
        let Some((id, title, section, created_at, all)) = row else { return Ok(None) };
        let Some(user) = confined else { return Ok(Some(CampaignSummary { id, title, section, created_at, appeals: all })) };
        // An executor's count: of the campaign's appeals among their own (a short list).
        let mine: Vec<String> = assigned(org, user).load(c)?;
        let appeals: i64 = campaign_members::table
            .filter(campaign_members::appeal_id.eq_any(mine))
            .filter(campaign_members::organization_id.eq(org))
            .filter(campaign_members::campaign_id.eq(&id))
            .count()
            .get_result(c)?;
        Ok((appeals > 0).then_some(CampaignSummary { id, title, section, created_at, appeals }))
    }

    /// The organization's campaigns, newest first, `limit` of them.
    pub fn list(c: &mut Conn, org: &str, limit: i64) -> Result<Vec<CampaignSummary>, ServiceError> {
        let rows: Vec<(String, String, String, NaiveDateTime, i64)> = campaigns::table
            .filter(campaigns::organization_id.eq(org))
            .order((campaigns::created_at.desc(), campaigns::id.desc()))
            .select((campaigns::id, campaigns::title, campaigns::section, campaigns::created_at, campaigns::member_count))
            .limit(limit)
            .load(c)?;
        Ok(rows.into_iter().map(|(id, title, section, created_at, appeals)| CampaignSummary { id, title, section, created_at, appeals }).collect())
    }

    /// A campaign's appeals, oldest first (`confined`: those actively assigned to that executor).
    pub fn members(c: &mut Conn, org: &str, id: &str, confined: Option<&str>) -> Result<Vec<Member>, ServiceError> {
        let mut q = campaign_members::table
            .inner_join(appeals::table.on(appeals::id.eq(campaign_members::appeal_id).and(appeals::organization_id.eq(campaign_members::organization_id))))
            .filter(campaign_members::organization_id.eq(org))
            .filter(campaign_members::campaign_id.eq(id))
            .order((campaign_members::registered_at.asc(), campaign_members::appeal_id.asc()))
            .select((appeals::id, appeals::reg_number, appeals::status, appeals::registered_at, appeals::due_date))
            .into_boxed();
        if let Some(user) = confined {
            let mine: Vec<String> = assigned(org, user).load(c)?;
            q = q.filter(campaign_members::appeal_id.eq_any(mine));
        }
        Ok(q.load(c)?)
    }

    /// Distinct applicants and distinct addresses among a campaign's appeals (`confined`: those
    /// actively assigned to that executor).
    pub fn spread(c: &mut Conn, org: &str, id: &str, confined: Option<&str>) -> Result<(i64, i64), ServiceError> {
        use crate::store::schema::applicants;
        // The keys registration stored: people by name, places by address (both folded).
        let mut q = campaign_members::table
            .inner_join(applicants::table.on(applicants::appeal_id.eq(campaign_members::appeal_id).and(applicants::organization_id.eq(campaign_members::organization_id))))
            .filter(campaign_members::organization_id.eq(org))
            .filter(campaign_members::campaign_id.eq(id))
            .select((applicants::name_key, applicants::address_key))
            .into_boxed();
        if let Some(user) = confined {
            let mine: Vec<String> = assigned(org, user).load(c)?;
            q = q.filter(campaign_members::appeal_id.eq_any(mine));
        }
        let rows: Vec<(String, Option<String>)> = q.load(c)?;
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
            grow(c, id, -1)?;
            let left: i64 = campaigns::table.filter(campaigns::id.eq(id)).select(campaigns::member_count).first(c)?;
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

/// Groups an already registered letter in a transaction of its own.
pub fn group(pool: &DbPool, p: &Planned, related: &[String], now: NaiveDateTime) -> Result<Grouped, ServiceError> {
    dispatch!(pool, group(p, related, now))
}

/// The earlier letters worth comparing with `l` (bucket ranges, registered on or after `since`).
pub fn found(pool: &DbPool, l: &Letter, since: NaiveDate) -> Result<Vec<Candidate<String>>, ServiceError> {
    dispatch!(pool, found(l, since))
}

/// The campaign an appeal belongs to (`confined`: as that executor sees it).
pub fn of_appeal(pool: &DbPool, org: &str, appeal_id: &str, confined: Option<&str>) -> Result<Option<CampaignSummary>, ServiceError> {
    dispatch!(pool, of_appeal(org, appeal_id, confined))
}

/// The campaigns of a page of appeals, by appeal (`confined`: as that executor sees them).
pub fn of_appeals(pool: &DbPool, org: &str, appeal_ids: &[String], confined: Option<&str>) -> Result<std::collections::HashMap<String, CampaignSummary>, ServiceError> {
    if appeal_ids.is_empty() {
        return Ok(std::collections::HashMap::new());
    }
    dispatch!(pool, of_appeals(org, appeal_ids, confined))
}

/// One campaign (`confined`: as that executor sees it).
pub fn get(pool: &DbPool, org: &str, id: &str, confined: Option<&str>) -> Result<Option<CampaignSummary>, ServiceError> {
    dispatch!(pool, get(org, id, confined))
}

/// The organization's campaigns, newest first.
pub fn list(pool: &DbPool, org: &str, limit: i64) -> Result<Vec<CampaignSummary>, ServiceError> {
    dispatch!(pool, list(org, limit))
}

/// A campaign's appeals (`confined`: those actively assigned to that executor).
pub fn members(pool: &DbPool, org: &str, id: &str, confined: Option<&str>) -> Result<Vec<Member>, ServiceError> {
    dispatch!(pool, members(org, id, confined))
}

/// Distinct applicants and addresses of a campaign (`confined`: of that executor's appeals).
pub fn spread(pool: &DbPool, org: &str, id: &str, confined: Option<&str>) -> Result<(i64, i64), ServiceError> {
    dispatch!(pool, spread(org, id, confined))
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
