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
    }
}
