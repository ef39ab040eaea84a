//! API tokens: 256 random bits shown once, stored only as a SHA-256 hash.
//! A hash (not a password KDF) is right here: the token has full entropy, so there is nothing to stretch.

use rand::RngCore;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Prefix that makes a leaked token recognisable to secret scanners.
pub const TOKEN_PREFIX: &str = "apl_";

/// A new token and the hash to store.
pub fn generate_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(bytes));
    let hash = hash_token(&token);
    (token, hash)
}

/// The stored form of a token.
pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares two hashes without an early exit, so timing reveals nothing.
pub fn hashes_equal(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// Why a presented token is refused; told to the caller (401 `code`) so a person knows what to do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenProblem {
    /// No `Authorization: Bearer` header.
    Missing,
    /// Not a token this service issues (wrong shape or length).
    Malformed,
    /// No such token.
    Unknown,
    /// Revoked by an administrator.
    Revoked,
    /// Past its expiry.
    Expired,
    /// Its user is disabled.
    UserDisabled,
}

impl TokenProblem {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            TokenProblem::Missing => "token_missing",
            TokenProblem::Malformed => "token_malformed",
            TokenProblem::Unknown => "token_unknown",
            TokenProblem::Revoked => "token_revoked",
            TokenProblem::Expired => "token_expired",
            TokenProblem::UserDisabled => "user_disabled",
        }
    }

    /// What happened and what to do, in Russian.
    pub fn detail(self) -> &'static str {
        match self {
            TokenProblem::Missing => "передайте заголовок Authorization: Bearer <токен>",
            TokenProblem::Malformed => "токен имеет неверный вид: ожидается apl_ и 64 шестнадцатеричных символа",
            TokenProblem::Unknown => "токен не найден: возможно, он выдан для другой базы данных; получите новый: appeals user token --login ЛОГИН",
            TokenProblem::Revoked => "токен отозван администратором; получите новый у администратора",
            TokenProblem::Expired => "срок действия токена истёк; получите новый у администратора",
            TokenProblem::UserDisabled => "учётная запись отключена администратором",
        }
    }
}

/// Decides whether a stored token may be used at `now`: revoked, expired, or its user disabled.
pub fn check_token(revoked_at: Option<chrono::NaiveDateTime>, expires_at: Option<chrono::NaiveDateTime>, user_active: bool, now: chrono::NaiveDateTime) -> Result<(), TokenProblem> {
    if revoked_at.is_some() {
        Err(TokenProblem::Revoked)
    } else if expires_at.is_some_and(|t| t <= now) {
        Err(TokenProblem::Expired)
    } else if !user_active {
        Err(TokenProblem::UserDisabled)
    } else {
        Ok(())
    }
}

/// True when `token` has the shape this service issues.
pub fn well_formed(token: &str) -> bool {
    token.strip_prefix(TOKEN_PREFIX).is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Hashes a password with argon2id (default parameters) and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let mut bytes = [0u8; 16];
    rand::rng().fill_bytes(&mut bytes);
    let salt = SaltString::encode_b64(&bytes).map_err(|e| e.to_string())?;
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// True when `password` matches the stored PHC hash. With no hash (unknown login, no password
/// set) a dummy hash is checked all the same, so timing does not tell which logins exist.
pub fn verify_password(password: &str, stored: Option<&str>) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("dummy password").unwrap_or_default());
    let (hash, real) = match stored {
        Some(h) => (h, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(hash).map(|parsed| argon2::Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok()).unwrap_or(false);
    ok && real
}

/// Why a new password is refused, in Russian; `None` when it is acceptable.
pub fn password_problem(password: &str) -> Option<&'static str> {
    let n = password.chars().count();
    if n < 8 {
        Some("пароль должен содержать не менее 8 символов")
    } else if n > 200 {
        Some("пароль длиннее 200 символов")
    } else if password.chars().any(char::is_control) {
        Some("пароль не должен содержать управляющих символов")
    } else {
        None
    }
}

/// Random hex of `bytes` bytes: session cookies and CSRF tokens.
pub fn random_hex(bytes: usize) -> String {
    let mut b = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut b);
    hex::encode(b)
}

/// How long a sign-in must wait after `failures` failed attempts in a row: free for the first
/// three, then 1, 2, 4 … seconds, at most 15 minutes. Slows guessing without locking anyone out.
pub fn login_delay(failures: u32) -> chrono::Duration {
    if failures < 3 {
        chrono::Duration::zero()
    } else {
        chrono::Duration::seconds((1i64 << (failures - 3).min(10)).min(900))
    }
}

/// Failed sign-ins per (login, client address), kept in memory: a restart forgets them, which
/// costs an attacker nothing they would not get from waiting.
#[derive(Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (u32, chrono::DateTime<chrono::Utc>)>>,
}

impl LoginThrottle {
    /// Entries kept at most; the oldest half is forgotten beyond it.
    const MAX_KEYS: usize = 100_000;

    /// `Err(seconds)` while the key must still wait after its last failure.
    pub fn check(&self, key: &str, now: chrono::DateTime<chrono::Utc>) -> Result<(), i64> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        match map.get(key) {
            Some((n, last)) => {
                let until = *last + login_delay(*n);
                if until > now {
                    Err((until - now).num_seconds().max(1))
                } else {
                    Ok(())
                }
            }
            None => Ok(()),
        }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, key: &str, now: chrono::DateTime<chrono::Utc>) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= Self::MAX_KEYS {
            let mut times: Vec<_> = map.values().map(|(_, t)| *t).collect();
            times.sort();
            let cut = times[times.len() / 2];
            map.retain(|_, (_, t)| *t > cut);
        }
        let e = map.entry(key.to_string()).or_insert((0, now));
        e.0 += 1;
        e.1 = now;
    }

    /// Forgets the key's failures after a successful sign-in.
    pub fn succeeded(&self, key: &str) {
        self.failures.lock().unwrap_or_else(|e| e.into_inner()).remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_hashed() {
        let (t1, h1) = generate_token();
        let (t2, _) = generate_token();
        assert_ne!(t1, t2);
        assert_eq!(t1.len(), TOKEN_PREFIX.len() + 64);
        assert!(hashes_equal(&hash_token(&t1), &h1));
        assert!(!hashes_equal(&hash_token(&t2), &h1));
        assert!(!h1.contains(&t1[4..]));
        assert!(well_formed(&t1));
        assert!(!well_formed("apl_xyz"));
    }

    #[test]
    fn token_checks_say_why() {
        let now = chrono::NaiveDate::from_ymd_opt(2025, 3, 3).unwrap().and_hms_opt(10, 0, 0).unwrap();
        assert_eq!(check_token(None, None, true, now), Ok(()));
        assert_eq!(check_token(Some(now), None, true, now), Err(TokenProblem::Revoked));
        assert_eq!(check_token(None, Some(now), true, now), Err(TokenProblem::Expired));
        assert_eq!(check_token(None, Some(now + chrono::Duration::seconds(1)), true, now), Ok(()));
        assert_eq!(check_token(None, None, false, now), Err(TokenProblem::UserDisabled));
    }

    #[test]
    fn passwords_are_salted_and_verified() {
        let h1 = hash_password("верный пароль").unwrap();
        let h2 = hash_password("верный пароль").unwrap();
        assert_ne!(h1, h2);
        assert!(h1.starts_with("$argon2id$"));
        assert!(verify_password("верный пароль", Some(&h1)));
        assert!(!verify_password("неверный", Some(&h1)));
        assert!(!verify_password("dummy password", None));
        assert_eq!(password_problem("short"), Some("пароль должен содержать не менее 8 символов"));
        assert_eq!(password_problem("достаточно длинный"), None);
    }

    #[test]
    fn failed_sign_ins_are_slowed_down() {
        let t = LoginThrottle::default();
        let now = chrono::DateTime::from_timestamp(1_700_000_000, 0).unwrap();
        for _ in 0..3 {
            assert_eq!(t.check("clerk|1.2.3.4", now), Ok(()));
            t.failed("clerk|1.2.3.4", now);
        }
        assert_eq!(t.check("clerk|1.2.3.4", now), Err(1));
        assert_eq!(t.check("clerk|5.6.7.8", now), Ok(()));
        assert_eq!(t.check("clerk|1.2.3.4", now + chrono::Duration::seconds(1)), Ok(()));
        t.failed("clerk|1.2.3.4", now);
        assert_eq!(t.check("clerk|1.2.3.4", now), Err(2));
        t.succeeded("clerk|1.2.3.4");
        assert_eq!(t.check("clerk|1.2.3.4", now), Ok(()));
        assert_eq!(login_delay(100), chrono::Duration::seconds(900));
    }
}
