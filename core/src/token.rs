//! Secrets handed to residents once and kept only as hashes.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The resident's proof that a case is theirs. Shown once; the store keeps its hash.
pub struct TrackingToken(String);

impl TrackingToken {
    pub fn generate() -> Self {
        let mut bytes = [0u8; 24];
        rand::rng().fill_bytes(&mut bytes);
        Self(URL_SAFE_NO_PAD.encode(bytes))
    }

    pub fn from_string(token: String) -> Self {
        Self(token)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    pub fn hash(&self) -> String {
        sha256_hex(self.0.as_bytes())
    }
}

/// What every staff API token starts with, so that a leaked one is recognisable
/// (secret scanners, logs).
pub const API_TOKEN_PREFIX: &str = "plt_";

/// A new staff API token, 32 random bytes in base64url behind [`API_TOKEN_PREFIX`], and
/// the hash the store keeps: `(token, api_token_hash(token))`.
pub fn new_api_token() -> (String, String) {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    let token = format!("{API_TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes));
    let hash = api_token_hash(&token);
    (token, hash)
}

/// The stored form of a presented bearer token (surrounding whitespace ignored), for
/// the administrator token and staff API tokens alike.
pub fn api_token_hash(token: &str) -> String {
    sha256_hex(token.trim().as_bytes())
}

/// Hex SHA-256 of a byte string.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// Compares two secrets' hashes without leaking where they differ through timing.
pub fn constant_time_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Seals a token so that only a caller presenting the same idempotency key can
/// recover it. A retried submission must get the token the first attempt was given,
/// yet the store must not hold tokens in the clear: the key is the only secret that
/// opens the seal, and the store keeps only the key's (differently salted) hash.
pub fn seal_with_key(token: &str, idempotency_key: &str, reference: &str) -> String {
    let keystream = keystream(idempotency_key, reference, token.len());
    let sealed: Vec<u8> = token.bytes().zip(keystream).map(|(t, k)| t ^ k).collect();
    URL_SAFE_NO_PAD.encode(sealed)
}

/// Reverses [`seal_with_key`]; `None` when the seal does not decode to a token.
pub fn unseal_with_key(sealed: &str, idempotency_key: &str, reference: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(sealed).ok()?;
    let keystream = keystream(idempotency_key, reference, bytes.len());
    let plain: Vec<u8> = bytes.iter().zip(keystream).map(|(b, k)| b ^ k).collect();
    String::from_utf8(plain).ok()
}

fn keystream(key: &str, reference: &str, len: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(len);
    let mut counter = 0u32;
    while out.len() < len {
        let mut hasher = Sha256::new();
        hasher.update(b"palaute-token-seal\0");
        hasher.update(key.as_bytes());
        hasher.update([0]);
        hasher.update(reference.as_bytes());
        hasher.update(counter.to_be_bytes());
        out.extend_from_slice(&hasher.finalize());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// The key that seals a new case's tracking token until its acknowledgement is
/// written, derived from a server secret (the administrator token) so that the
/// database alone does not open the seal.
pub fn acknowledgement_seal_key(secret: &str) -> String {
    let mut material = b"palaute-acknowledgement-seal\0".to_vec();
    material.extend_from_slice(secret.trim().as_bytes());
    sha256_hex(&material)
}

/// The idempotency key of the case an inbound email makes: one case per message,
/// however often it is delivered, and (since the key seals the case's tracking token)
/// the token can be recovered for the acknowledgement the resident is emailed.
pub fn mail_idempotency_key(message_key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"palaute-inbound-mail\0");
    hasher.update(message_key.as_bytes());
    let digest: String = hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("mail:{digest}")
}

/// The hash under which an idempotency key is stored (salted apart from the seal).
pub fn idempotency_key_hash(key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"palaute-idempotency-key\0");
    hasher.update(key.as_bytes());
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_api_token_is_prefixed_random_and_stored_as_its_hash() {
        let (token, hash) = new_api_token();
        let (other, _) = new_api_token();
        assert!(token.starts_with(API_TOKEN_PREFIX));
        // 32 bytes are 43 base64url symbols without padding.
        assert_eq!(token.len(), API_TOKEN_PREFIX.len() + 43);
        assert!(
            token[API_TOKEN_PREFIX.len()..]
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
        assert_ne!(token, other);
        assert_eq!(hash, sha256_hex(token.as_bytes()));
        assert_eq!(api_token_hash(&format!(" {token}\n")), hash);
    }

    #[test]
    fn tokens_are_unique_and_hash_stably() {
        let a = TrackingToken::generate();
        let b = TrackingToken::generate();
        assert_ne!(a.as_str(), b.as_str());
        assert_eq!(
            a.hash(),
            TrackingToken::from_string(a.as_str().to_owned()).hash()
        );
        assert_eq!(a.hash().len(), 64);
    }

    #[test]
    fn seal_opens_only_with_the_same_key() {
        let token = TrackingToken::generate();
        let sealed = seal_with_key(token.as_str(), "key-1", "HEL-2026-000001");
        assert_ne!(sealed, token.as_str());
        assert_eq!(
            unseal_with_key(&sealed, "key-1", "HEL-2026-000001").as_deref(),
            Some(token.as_str())
        );
        assert_ne!(
            unseal_with_key(&sealed, "key-2", "HEL-2026-000001").as_deref(),
            Some(token.as_str())
        );
    }

    #[test]
    fn constant_time_eq_compares() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
