//! The region's statistics (`organization=all`): every figure summed over the organizations of
//! the instance, each figure with a comparison also given by organization, and the annual
//! report's multi-year table for the region.
//!
//! The counting rule: an organization's figures are what its own statistics say (an appeal
//! another organization of the region forwarded to it is one it received, as its reports count
//! it). The region received each such appeal once, from the citizen, so the region's intake
//! figures (appeals, questions, channels, forms…: `rollup::INTAKE`) leave out the receivers'
//! copies; what happened to the appeal afterwards (answers, results, deadlines, control) counts
//! where the work was done. `forwarded_within_region` says how many copies were left out, so the
//! organizations' `appeals` add up to the region's plus it.

use super::statistics::{self, How};
use super::stats::{Figure, MassFigures, OrgFigure, PeriodOut, Stats};
use crate::domain::rollup::{fig, Tally};
use crate::reports::annual::YearCount;
use crate::state::{AppState, OrgSettings};
use crate::store::stats::Scope;
use crate::store::stats_deltas::Detail;
use crate::store::ServiceError;
use std::collections::HashMap;
use std::sync::Arc;

/// Every organization of the instance, deactivated ones too (their appeals are the region's
/// history), in the order of the directory.
pub fn organizations(state: &AppState) -> Result<Vec<Arc<OrgSettings>>, ServiceError> {
    Ok(crate::store::organizations::list(&state.pool)?.iter().map(|row| Arc::new(OrgSettings::over(row, &state.settings))).collect())
}

/// One organization's figures in the period and in the comparison period.
struct OrgTallies {
    cur: Tally,
    prev: Tally,
    mass: Option<MassFigures>,
}

/// The region's statistics for `period` beside `compare`. `scope` gives the period and the
/// filters (channel and section only: an executor or a department belongs to one
/// organization); its organization is not read.
pub fn compute(state: &AppState, period: PeriodOut, compare: Option<PeriodOut>, scope: &Scope, orgs: &[Arc<OrgSettings>], top: usize) -> Result<Stats, ServiceError> {
    let previous = compare.map(|c| Scope { from: c.from, to: c.to, ..scope.clone() });
    let per_org = tallies_by_org(state, scope, previous.as_ref(), orgs)?;
    let mut cur = Tally::default();
    let mut prev = Tally::default();
    for (o, t) in orgs.iter().zip(&per_org) {
        cur.merge(&named_departments(&t.cur, o));
        prev.merge(&named_departments(&t.prev, o));
    }
    let within = |s: &Scope| -> Result<Tally, ServiceError> { Ok(statistics::tally_from_groups(&crate::store::stats::received_within(&state.pool, s)?, s.counting)) };
    let within_cur = within(&in_org(state, scope, &scope.org))?;
    let within_prev = match &previous {
        Some(p) => within(&in_org(state, p, &scope.org))?,
        None => Tally::default(),
    };
    cur.less_intake(&within_cur);
    prev.less_intake(&within_prev);
    let mut out = statistics::build_named(state, period, compare, &cur, &prev, top);
    out.data_as_of = state.data_as_of();
    out.forwarded_within_region = Some(Figure::new(within_cur.total(fig::APPEALS), within_prev.total(fig::APPEALS)));
    let unfiltered = scope.channel.is_none() && scope.section.is_none();
    if unfiltered {
        let (mut campaigns, mut appeals) = ((0, 0), (0, 0));
        for m in per_org.iter().filter_map(|t| t.mass.as_ref()) {
            campaigns = (campaigns.0 + m.campaigns.current, campaigns.1 + m.campaigns.previous);
            appeals = (appeals.0 + m.appeals.current, appeals.1 + m.appeals.previous);
        }
        out.mass = Some(MassFigures { campaigns: Figure::new(campaigns.0, campaigns.1), appeals: Figure::new(appeals.0, appeals.1) });
    }
    // Each organization's figures as its own statistics give them, by the figure's name.
    let mut by_name: HashMap<&'static str, Vec<OrgFigure>> = HashMap::new();
    for (o, t) in orgs.iter().zip(per_org) {
        let mut own = statistics::build_named(state, period, compare, &t.cur, &t.prev, 1);
        own.mass = t.mass;
        for (name, f) in own.figures_mut() {
            by_name.entry(name).or_default().push(OrgFigure { organization_id: o.id.clone(), name: o.name.clone(), current: f.current, previous: f.previous });
        }
    }
    for (name, f) in out.figures_mut() {
        f.by_organization = Some(by_name.remove(name).unwrap_or_default());
    }
    Ok(out)
}

/// Each organization's tallies: those whose rollup is built in one statement for all of them,
/// the others (still building at startup) by the scan, one by one.
fn tallies_by_org(state: &AppState, scope: &Scope, previous: Option<&Scope>, orgs: &[Arc<OrgSettings>]) -> Result<Vec<OrgTallies>, ServiceError> {
    let mut out: Vec<OrgTallies> = Vec::with_capacity(orgs.len());
    let mut from_rollup: Vec<(usize, Scope, Option<Scope>)> = Vec::new();
    let mut slice = None;
    for (i, o) in orgs.iter().enumerate() {
        let cur = in_org(state, scope, &o.id);
        let prev = previous.map(|p| in_org(state, p, &o.id));
        let mass = if cur.channel.is_none() && cur.section.is_none() {
            let count = |s: &Scope| crate::store::campaigns::period_counts(&state.pool, &s.org, s.start, s.end);
            let now = count(&cur)?;
            let before = prev.as_ref().map(count).transpose()?.unwrap_or((0, 0));
            Some(MassFigures { campaigns: Figure::new(now.0, before.0), appeals: Figure::new(now.1, before.1) })
        } else {
            None
        };
        let how = if statistics::rollup_ready(state, &o.id)? { statistics::slice_of(state, &cur)?.map(How::Rollup).unwrap_or(How::Scan) } else { How::Scan };
        match how {
            How::Rollup(s) => {
                slice = Some(s);
                from_rollup.push((i, cur, prev));
                out.push(OrgTallies { cur: Tally::default(), prev: Tally::default(), mass });
            }
            How::Scan => {
                let periods: Vec<&Scope> = std::iter::once(&cur).chain(prev.as_ref()).collect();
                let mut t = statistics::tallies(state, &periods, &How::Scan, Detail::Full)?.into_iter();
                out.push(OrgTallies { cur: t.next().unwrap_or_default(), prev: t.next().unwrap_or_default(), mass });
            }
        }
    }
    if let Some(slice) = slice {
        // Channel and section slices are named alike in every organization: one read for all.
        let periods: Vec<&Scope> = from_rollup.iter().flat_map(|(_, c, p)| std::iter::once(c).chain(p.as_ref())).collect();
        let mut read = crate::store::stats_deltas::read(&state.pool, &periods, &slice, Detail::Full)?.into_iter();
        for (i, _, p) in &from_rollup {
            out[*i].cur = read.next().unwrap_or_default();
            if p.is_some() {
                out[*i].prev = read.next().unwrap_or_default();
            }
        }
    }
    Ok(out)
}

/// The scope's days in organization `org`: its own time zone gives the instants they begin and
/// end at, and its own today the appeals overdue now.
fn in_org(state: &AppState, s: &Scope, org: &str) -> Scope {
    Scope { org: org.to_string(), start: state.start_of(org, s.from), end: state.start_of(org, s.to.succ_opt().unwrap_or(s.to)), today: state.today(org), ..s.clone() }
}

/// The tally with its executors' departments named after their organization: two towns'
/// «Отдел ЖКХ» are two departments in the region's table by department.
fn named_departments(t: &Tally, o: &OrgSettings) -> Tally {
    let mut t = t.clone();
    for (_, department) in t.executors.values_mut() {
        *department = Some(match department.take() {
            Some(d) => format!("{}: {d}", o.name),
            None => o.name.clone(),
        });
    }
    t
}

/// The annual report's multi-year table for the region: the organizations' appeals of each of
/// the five years up to `y`, less those forwarded inside the region, leaving out the years
/// before the region's first appeal.
pub fn five_years(state: &AppState, scope: &Scope, orgs: &[Arc<OrgSettings>], y: i32) -> Result<Vec<YearCount>, ServiceError> {
    let mut sums: Vec<YearCount> = Vec::new();
    for o in orgs {
        let own = statistics::five_years(state, &in_org(state, scope, &o.id), y)?;
        for c in own {
            match sums.iter_mut().find(|s| s.year == c.year) {
                Some(s) => s.count += c.count,
                None => sums.push(c),
            }
        }
    }
    for s in &mut sums {
        let Some(p) = statistics::year(s.year) else { continue };
        let year = Scope { from: p.from, to: p.to, ..scope.clone() };
        let year = in_org(state, &year, &scope.org);
        s.count -= statistics::tally_from_groups(&crate::store::stats::received_within(&state.pool, &year)?, year.counting).total(fig::APPEALS);
    }
    sums.sort_by_key(|s| s.year);
    while sums.first().is_some_and(|c| c.count == 0 && c.year < y) {
        sums.remove(0);
    }
    Ok(sums)
}
