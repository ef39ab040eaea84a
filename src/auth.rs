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
}
