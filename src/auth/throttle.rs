//! Slowing down password guessing without locking people out: the rules, pure. Every attempt
//! is counted *before* its password is checked (so thirty attempts sent at once cannot all get
//! through), in the database (so several server instances share the count), under three
//! subjects:
//!
//! - the login and the client's address: three quick attempts, then 1, 2, 4 … s between
//!   attempts (at most 15 minutes); a correct password resets it. Someone else's failures
//!   (another address) never make a person wait;
//! - the client's address alone: a budget of thirty attempts an hour across all logins, then the
//!   same growing waits, so trying one password on many logins is slowed too; a correct
//!   password gives its attempt back;
//! - the login alone: never a wait, only a count of recent failures for the log's alarm and the
//!   administrator's user list.
//!
//! Behind a reverse proxy the address is the one the proxy forwards, but only when the proxy
//! is listed in `[web] trusted_proxies` (a client cannot choose its own address).

use chrono::{Duration, NaiveDateTime};
use std::net::IpAddr;

/// How one subject is limited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    /// Attempts allowed without a wait.
    pub free: i32,
    /// The longest wait between two attempts, in seconds.
    pub max_wait_secs: i64,
    /// After this many seconds without an attempt the subject starts afresh.
    pub quiet_secs: i64,
}

/// Per login and address: three quick attempts, then 1, 2, 4 … s, at most 15 minutes.
pub const PER_LOGIN_AND_ADDRESS: Limit = Limit { free: 3, max_wait_secs: 900, quiet_secs: 3600 };
/// Per address across logins: thirty attempts an hour, then the growing waits.
pub const PER_ADDRESS: Limit = Limit { free: 30, max_wait_secs: 900, quiet_secs: 3600 };
/// Failures per login counted for the alarm within this quiet period.
pub const LOGIN_ALARM_QUIET_SECS: i64 = 3600;
/// Failures of one login that raise the alarm in the log (again at each multiple).
pub const LOGIN_ALARM_EVERY: i32 = 10;

/// A subject's count as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Count {
    /// Attempts counted (failures, and attempts still being checked).
    pub attempts: i32,
    /// The last attempt.
    pub last_at: NaiveDateTime,
    /// No attempt before this instant.
    pub next_at: NaiveDateTime,
}

/// The wait after `attempts` counted attempts: none for the free ones, then 1, 2, 4 … s.
pub fn wait_after(limit: &Limit, attempts: i32) -> Duration {
    if attempts < limit.free {
        Duration::zero()
    } else {
        let doublings = (attempts - limit.free).min(30) as u32;
        Duration::seconds((1i64 << doublings.min(20)).min(limit.max_wait_secs))
    }
}

/// Counts one attempt against `current` at `now`: the new count, or `Err(seconds)` to wait
/// (the attempt is then not counted and its password not checked).
pub fn claim(limit: &Limit, current: Option<Count>, now: NaiveDateTime) -> Result<Count, i64> {
    let fresh = current.filter(|c| (now - c.last_at).num_seconds() < limit.quiet_secs || c.next_at > now);
    if let Some(c) = fresh {
        if c.next_at > now {
            let ms = (c.next_at - now).num_milliseconds();
            return Err(((ms + 999) / 1000).max(1));
        }
    }
    let attempts = fresh.map_or(0, |c| c.attempts) + 1;
    Ok(Count { attempts, last_at: now, next_at: now + wait_after(limit, attempts) })
}

/// Gives a claimed attempt back (its password was right): the count one lower, the wait
/// recomputed from the last attempt.
pub fn give_back(limit: &Limit, c: Count) -> Count {
    let attempts = (c.attempts - 1).max(0);
    Count { attempts, last_at: c.last_at, next_at: c.last_at + wait_after(limit, attempts) }
}

/// The subjects of one sign-in attempt, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subjects {
    /// Login and address: the wait.
    pub pair: String,
    /// Address alone: the budget.
    pub address: String,
    /// Login alone: the alarm.
    pub login: String,
}

/// Longest login kept in a subject (longer ones are no login of this service anyway).
const MAX_LOGIN: usize = 64;

impl Subjects {
    /// The subjects of `login` (as normalised for sign-in) from `address`.
    pub fn of(login: &str, address: &str) -> Subjects {
        let login: String = login.chars().take(MAX_LOGIN).collect();
        Subjects { pair: format!("pair:{login}|{address}"), address: format!("address:{address}"), login: format!("login:{login}") }
    }
}

/// The client's address: the peer's, or — when the peer is a trusted proxy — the last address
/// in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_address(peer: Option<IpAddr>, forwarded_for: Option<&str>, trusted: &[IpAddr]) -> String {
    let Some(peer) = peer else { return "unknown".into() };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let hops: Vec<IpAddr> = forwarded_for.unwrap_or("").split(',').filter_map(|h| h.trim().parse::<IpAddr>().ok()).collect();
    hops.into_iter().rev().find(|ip| !trusted.contains(ip)).unwrap_or(peer).to_string()
}

/// Parses `[web] trusted_proxies`; the entries that are no IP address.
pub fn parse_proxies(list: &[String]) -> Result<Vec<IpAddr>, Vec<String>> {
    let (ok, bad): (Vec<_>, Vec<_>) = list.iter().map(|s| s.trim().parse::<IpAddr>().map_err(|_| s.clone())).partition(Result::is_ok);
    if bad.is_empty() {
        Ok(ok.into_iter().filter_map(Result::ok).collect())
    } else {
        Err(bad.into_iter().filter_map(Result::err).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_700_000_000 + s, 0).unwrap().naive_utc()
    }

    #[test]
    fn three_quick_attempts_then_doubling_waits() {
        let l = PER_LOGIN_AND_ADDRESS;
        let mut c = None;
        for n in 1..=3 {
            let next = claim(&l, c, at(0)).expect("free");
            assert_eq!(next.attempts, n);
            c = Some(next);
        }
        // The third attempt already set the first wait: a fourth at the same instant waits 1 s.
        assert_eq!(claim(&l, c, at(0)), Err(1));
        let c4 = claim(&l, c, at(1)).unwrap();
        assert_eq!(c4.next_at, at(3));
        assert_eq!(claim(&l, Some(c4), at(2)), Err(1));
        let c5 = claim(&l, Some(c4), at(3)).unwrap();
        assert_eq!(c5.next_at, at(7));
        assert_eq!(wait_after(&l, 100), Duration::seconds(900));
        // An hour of quiet starts afresh.
        assert_eq!(claim(&l, Some(c5), at(3 + 3600)).unwrap().attempts, 1);
    }

    #[test]
    fn a_right_password_gives_its_attempt_back() {
        let l = PER_ADDRESS;
        let c = Count { attempts: 31, last_at: at(0), next_at: at(2) };
        let back = give_back(&l, c);
        assert_eq!(back.attempts, 30);
        assert_eq!(back.next_at, at(1));
        let c = Count { attempts: 1, last_at: at(0), next_at: at(0) };
        assert_eq!(give_back(&l, c).attempts, 0);
    }

    #[test]
    fn forwarded_addresses_only_from_trusted_proxies() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusted = [proxy];
        let client: IpAddr = "203.0.113.7".parse().unwrap();
        assert_eq!(client_address(Some(client), Some("198.51.100.1"), &trusted), "203.0.113.7", "an untrusted peer cannot choose its address");
        assert_eq!(client_address(Some(proxy), Some("198.51.100.1, 203.0.113.7"), &trusted), "203.0.113.7", "the last hop before the proxy");
        assert_eq!(client_address(Some(proxy), Some("203.0.113.7, 10.0.0.1"), &trusted), "203.0.113.7");
        assert_eq!(client_address(Some(proxy), None, &trusted), "10.0.0.1");
        assert_eq!(client_address(Some(proxy), Some("nonsense"), &trusted), "10.0.0.1");
        assert_eq!(parse_proxies(&["10.0.0.1".into(), "::1".into()]).unwrap().len(), 2);
        assert_eq!(parse_proxies(&["10.0.0.0/8".into()]), Err(vec!["10.0.0.0/8".to_string()]));
        assert_eq!(Subjects::of("clerk", "1.2.3.4").pair, "pair:clerk|1.2.3.4");
    }
}
