//! API tokens: 256 random bits shown once, stored only as a SHA-256 hash.
//! A hash (not a password KDF) is right here: the token has full entropy, so there is nothing to stretch.

pub mod throttle;

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
    pub fn code(self) -> crate::domain::error_code::ErrorCode {
        use crate::domain::error_code::ErrorCode;
        match self {
            TokenProblem::Missing => ErrorCode::TokenMissing,
            TokenProblem::Malformed => ErrorCode::TokenMalformed,
            TokenProblem::Unknown => ErrorCode::TokenUnknown,
            TokenProblem::Revoked => ErrorCode::TokenRevoked,
            TokenProblem::Expired => ErrorCode::TokenExpired,
            TokenProblem::UserDisabled => ErrorCode::UserDisabled,
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
    // A disabled user's tokens are revoked too; saying "disabled" tells them why.
    if !user_active {
        Err(TokenProblem::UserDisabled)
    } else if revoked_at.is_some() {
        Err(TokenProblem::Revoked)
    } else if expires_at.is_some_and(|t| t <= now) {
        Err(TokenProblem::Expired)
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

/// Whether an administrator's change to a user ends everything the user holds — web sessions
/// and API tokens — for good: disabling them, changing their role, or replacing a password
/// they had (a first password replaces nothing). Re-enabling ends nothing and restores nothing.
pub fn change_ends_access(role_before: &str, active_before: bool, role_after: Option<&str>, active_after: Option<bool>, replaces_password: bool) -> bool {
    let disabled = active_before && active_after == Some(false);
    let role_changed = role_after.is_some_and(|r| r != role_before);
    disabled || role_changed || replaces_password
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
    fn ended_access_follows_the_change() {
        assert!(change_ends_access("clerk", true, None, Some(false), false));
        assert!(!change_ends_access("clerk", false, None, Some(true), false), "re-enabling gives nothing back");
        assert!(!change_ends_access("clerk", false, None, Some(false), false));
        assert!(change_ends_access("clerk", true, Some("executor"), None, false));
        assert!(!change_ends_access("clerk", true, Some("clerk"), None, false), "the same role is no change");
        assert!(change_ends_access("clerk", true, None, None, true));
        assert!(!change_ends_access("clerk", true, None, None, false));
    }
}
