//! The counts the ГАСУ appeals form is made of: a month's appeals and questions grouped in SQL by
//! every fact an indicator may name (`config/exports/gasu_appeals.toml`), so a form costs a few
//! hundred groups whatever the month's size, not its cards. The indicators themselves are
//! evaluated over the groups in `crate::reports::gasu`.

use super::exports::Period;
use super::stats::{load_sql, Bind, Sql};
use super::ServiceError;
use crate::{backend_fns, dispatch};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Integer, Nullable, Text, Timestamp};

/// The appeal-level facts, computed from appeal `a` (flags as 0/1 on both backends), in the
/// order of [`FactGroup`]'s fields.
const APPEAL_FACTS: &str = "a.form, a.channel, a.kind, a.legal_regime, a.status, \
    CASE WHEN a.repeated THEN 1 ELSE 0 END AS repeated, \
    CASE WHEN a.collective THEN 1 ELSE 0 END AS collective, \
    CASE WHEN a.put_on_control_at IS NULL THEN 0 ELSE 1 END AS on_control, \
    CASE WHEN a.on_site_check THEN 1 ELSE 0 END AS on_site_check, \
    CASE WHEN a.extension_days IS NULL THEN 0 ELSE 1 END AS extended, \
    CASE WHEN a.answered_on IS NOT NULL AND a.answered_on > a.due_date THEN 1 ELSE 0 END AS late, \
    CASE WHEN a.source_organization IS NULL THEN 0 ELSE 1 END AS forwarded_in, \
    CASE WHEN a.returned_count > 0 THEN 1 ELSE 0 END AS returned";
/// Positions of the appeal-level facts in GROUP BY.
const APPEAL_GROUP_BY: &str = "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13";

/// A group of appeals (or of questions) sharing every fact; the question-level facts are set
/// only for question groups.
#[derive(Clone, Debug, Default, PartialEq, Eq, QueryableByName)]
pub struct FactGroup {
    #[diesel(sql_type = Text)]
    pub form: String,
    #[diesel(sql_type = Text)]
    pub channel: String,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub legal_regime: String,
    #[diesel(sql_type = Text)]
    pub status: String,
    #[diesel(sql_type = Integer)]
    pub repeated: i32,
    #[diesel(sql_type = Integer)]
    pub collective: i32,
    #[diesel(sql_type = Integer)]
    pub on_control: i32,
    #[diesel(sql_type = Integer)]
    pub on_site_check: i32,
    #[diesel(sql_type = Integer)]
    pub extended: i32,
    #[diesel(sql_type = Integer)]
    pub late: i32,
    #[diesel(sql_type = Integer)]
    pub forwarded_in: i32,
    #[diesel(sql_type = Integer)]
    pub returned: i32,
    #[diesel(sql_type = Nullable<Text>)]
    pub section: Option<String>,
    #[diesel(sql_type = Nullable<Text>)]
    pub code: Option<String>,
    /// The question's result, `none` while it has none.
    #[diesel(sql_type = Nullable<Text>)]
    pub result: Option<String>,
    /// Appeals (or questions) in the group.
    #[diesel(sql_type = BigInt)]
    pub n: i64,
}

/// A question-level condition an appeal must meet through at least one of its questions:
/// the fact (`section`, `code` or `result`) and the values it may take.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AnyQuestion {
    /// `section`, `code` or `result`.
    pub fact: String,
    /// Accepted values (`none` for a question without a result).
    pub values: Vec<String>,
}

/// The column of a question-level fact on question `q`; `None` for an appeal-level one.
pub fn question_column(fact: &str) -> Option<&'static str> {
    match fact {
        "section" => Some("q.section"),
        "code" => Some("q.code"),
        "result" => Some("COALESCE(q.result, 'none')"),
        _ => None,
    }
}

/// How a month's grouping runs on each backend.
pub(crate) trait Grouping: Sized {
    /// Runs `f`, the grouping's one statement, as the backend needs it.
    fn grouped<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError>;
}

#[cfg(feature = "sqlite")]
impl Grouping for diesel::SqliteConnection {
    fn grouped<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
        f(self)
    }
}

/// PostgreSQL estimates one group per appeal (the facts are `CASE` expressions it cannot see
/// through) where a month has a few hundred, so with the default 4 MB of `work_mem` it sorts the
/// month's rows on disk to group them: 0.89 s for the appeals of a month at 1,000,000 appeals.
/// With 32 MB for this read only it hashes them in memory: 0.10 s (questions 1.32 → 0.65 s).
#[cfg(feature = "postgres")]
impl Grouping for diesel::PgConnection {
    fn grouped<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, ServiceError>) -> Result<T, ServiceError> {
        self.build_transaction().read_only().run(|c| {
            diesel::sql_query("SET LOCAL work_mem = '32MB'").execute(c)?;
            f(c)
        })
    }
}

backend_fns! {
    pub fn appeal_groups(c: &mut Conn, org: &str, p: &Period, any: &[AnyQuestion]) -> Result<Vec<FactGroup>, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push(&format!("SELECT {APPEAL_FACTS}, CAST(NULL AS TEXT) AS section, CAST(NULL AS TEXT) AS code, CAST(NULL AS TEXT) AS result, COUNT(*) AS n FROM appeals a \
                         WHERE a.organization_id = ? AND a.registered_at >= ? AND a.registered_at < ?"),
               vec![Bind::Text(org.to_string()), Bind::Ts(p.from_at), Bind::Ts(p.to_at)]);
        // Each question-level condition on its own: an appeal matches when some question has
        // the section and some (perhaps another) question the result, as a card's facts do.
        for cond in any {
            let Some(column) = question_column(&cond.fact) else { continue };
            let marks = vec!["?"; cond.values.len().max(1)].join(", ");
            let mut binds: Vec<Bind> = cond.values.iter().map(|v| Bind::Text(v.clone())).collect();
            if binds.is_empty() {
                binds.push(Bind::Text(String::new()));
            }
            q.push(&format!(" AND EXISTS (SELECT 1 FROM questions q WHERE q.appeal_id = a.id AND {column} IN ({marks}))"), binds);
        }
        q.push(&format!(" GROUP BY {APPEAL_GROUP_BY}"), vec![]);
        c.grouped(|c| Ok(load_sql!(c, &q, FactGroup)))
    }

    pub fn question_groups(c: &mut Conn, org: &str, p: &Period) -> Result<Vec<FactGroup>, ServiceError> {
        let mut q = Sql::<Conn>::new();
        q.push(&format!("SELECT {APPEAL_FACTS}, q.section, q.code, COALESCE(q.result, 'none') AS result, COUNT(*) AS n \
                         FROM appeals a JOIN questions q ON q.appeal_id = a.id AND q.organization_id = a.organization_id \
                         WHERE a.organization_id = ? AND a.registered_at >= ? AND a.registered_at < ? \
                         GROUP BY {APPEAL_GROUP_BY}, 14, 15, 16"),
               vec![Bind::Text(org.to_string()), Bind::Ts(p.from_at), Bind::Ts(p.to_at)]);
        c.grouped(|c| Ok(load_sql!(c, &q, FactGroup)))
    }
}

/// The month's appeals grouped by their facts, only those with a question meeting each of `any`.
pub fn appeal_groups(pool: &super::DbPool, org: &str, p: &Period, any: &[AnyQuestion]) -> Result<Vec<FactGroup>, ServiceError> {
    dispatch!(pool, appeal_groups(org, p, any))
}

/// The month's questions grouped by their appeal's facts and their own.
pub fn question_groups(pool: &super::DbPool, org: &str, p: &Period) -> Result<Vec<FactGroup>, ServiceError> {
    dispatch!(pool, question_groups(org, p))
}
