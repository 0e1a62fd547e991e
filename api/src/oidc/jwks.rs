//! The identity provider's signing keys: fetched from its JWKS address, kept for
//! `jwks_refresh_seconds`, and fetched again early when a token names a key we do not
//! have (the provider rotated its keys). Fetches are never closer together than
//! `jwks_min_refresh_seconds`, whatever tokens arrive, so made-up key ids cannot make
//! palaute hammer the provider; and one fetch runs at a time, so a burst of requests
//! after expiry costs one.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::{AlgorithmParameters, Jwk, PublicKeyUse};
use jsonwebtoken::{Algorithm, AlgorithmFamily, DecodingKey};
use serde::Deserialize;
use tracing::{debug, info, warn};

/// A JWKS document larger than this is not a provider's key set.
const MAX_JWKS_BYTES: usize = 1024 * 1024;

/// One public key that can verify tokens.
pub(crate) struct SigningKey {
    kid: Option<String>,
    /// The algorithm the provider declared for the key (`alg`), if any.
    algorithm: Option<Algorithm>,
    family: AlgorithmFamily,
    pub(crate) key: DecodingKey,
}

impl SigningKey {
    /// Whether this key may verify a token signed with `algorithm` naming `kid`. A key
    /// is only ever used with its own family (an RSA key never as an HMAC secret), and
    /// with the algorithm it was published for.
    fn fits(&self, kid: Option<&str>, algorithm: Algorithm) -> bool {
        let kid_fits = match kid {
            Some(kid) => self.kid.as_deref() == Some(kid),
            None => true,
        };
        kid_fits
            && self.family == algorithm.family()
            && self.algorithm.is_none_or(|declared| declared == algorithm)
    }
}

/// The keys could not be fetched, and there are none to fall back on.
#[derive(Debug)]
pub(crate) struct KeysUnavailable(pub(crate) String);

#[derive(Default)]
struct State {
    keys: Arc<[Arc<SigningKey>]>,
    /// Counts successful fetches, so a waiting task sees that another fetched.
    generation: u64,
    fetched_at: Option<Instant>,
    attempted_at: Option<Instant>,
    last_error: Option<String>,
}

pub(crate) struct Jwks {
    url: String,
    http: reqwest::Client,
    refresh_after: Duration,
    min_interval: Duration,
    state: Mutex<State>,
    /// Held while fetching: one fetch at a time.
    fetching: tokio::sync::Mutex<()>,
}

impl Jwks {
    pub(crate) fn new(
        url: String,
        http: reqwest::Client,
        refresh_after: Duration,
        min_interval: Duration,
    ) -> Self {
        Self {
            url,
            http,
            refresh_after,
            min_interval,
            state: Mutex::new(State::default()),
            fetching: tokio::sync::Mutex::new(()),
        }
    }

    /// The keys that may verify a token signed with `algorithm` naming `kid` (without
    /// a kid: every key of the algorithm's kind). Empty when the provider has none,
    /// even after a fetch for an unknown kid, when one was allowed.
    pub(crate) async fn keys_for(
        &self,
        kid: Option<&str>,
        algorithm: Algorithm,
    ) -> Result<Vec<Arc<SigningKey>>, KeysUnavailable> {
        let (keys, generation) = self.current().await?;
        let found = fitting(&keys, kid, algorithm);
        if !found.is_empty() || kid.is_none() {
            return Ok(found);
        }
        // A key id we do not know: the provider may have rotated its keys.
        match self.fetch_unless_recent(Some(generation)).await? {
            Some(keys) => Ok(fitting(&keys, kid, algorithm)),
            None => Ok(Vec::new()),
        }
    }

    /// The keys in force, fetched first when there are none yet or they are older than
    /// the refresh time. Stale keys are kept when a refresh fails: the provider being
    /// down should not sign everyone out.
    async fn current(&self) -> Result<(Arc<[Arc<SigningKey>]>, u64), KeysUnavailable> {
        {
            let state = self.state();
            if state
                .fetched_at
                .is_some_and(|at| at.elapsed() < self.refresh_after)
            {
                return Ok((Arc::clone(&state.keys), state.generation));
            }
        }
        // A failure is logged there; stale keys, if any, serve below.
        let _ = self.fetch_unless_recent(None).await;
        let state = self.state();
        if state.fetched_at.is_some() {
            return Ok((Arc::clone(&state.keys), state.generation));
        }
        Err(KeysUnavailable(state.last_error.clone().unwrap_or_else(
            || "the identity provider's keys have not been fetched yet".to_owned(),
        )))
    }

    /// Fetches the keys, unless another task did while this one waited (`seen` is the
    /// generation the caller looked at) or the last attempt was under the minimum
    /// interval ago. `Ok(None)` when no fetch was allowed; `Err` when one failed.
    async fn fetch_unless_recent(
        &self,
        seen: Option<u64>,
    ) -> Result<Option<Arc<[Arc<SigningKey>]>>, KeysUnavailable> {
        let _fetching = self.fetching.lock().await;
        {
            let state = self.state();
            let refreshed_meanwhile = match seen {
                Some(generation) => state.generation != generation,
                None => state
                    .fetched_at
                    .is_some_and(|at| at.elapsed() < self.refresh_after),
            };
            if refreshed_meanwhile {
                return Ok(Some(Arc::clone(&state.keys)));
            }
            if state
                .attempted_at
                .is_some_and(|at| at.elapsed() < self.min_interval)
            {
                debug!("not fetching the identity provider's keys again so soon");
                return Ok(None);
            }
        }
        let started = Instant::now();
        let fetched = self.fetch().await;
        let mut state = self.state();
        state.attempted_at = Some(started);
        match fetched {
            Ok(keys) => {
                info!(keys = keys.len(), "fetched the identity provider's keys");
                state.keys = keys.into_iter().map(Arc::new).collect();
                state.generation = state.generation.wrapping_add(1);
                state.fetched_at = Some(started);
                state.last_error = None;
                Ok(Some(Arc::clone(&state.keys)))
            }
            Err(error) => {
                warn!(%error, url = %self.url, "could not fetch the identity provider's keys");
                state.last_error = Some(error.clone());
                Err(KeysUnavailable(error))
            }
        }
    }

    async fn fetch(&self) -> Result<Vec<SigningKey>, String> {
        let mut response = self
            .http
            .get(&self.url)
            .send()
            .await
            .map_err(|error| format!("requesting the keys: {error}"))?;
        if !response.status().is_success() {
            return Err(format!("the keys' address answered {}", response.status()));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| format!("reading the keys: {error}"))?
        {
            if body.len().saturating_add(chunk.len()) > MAX_JWKS_BYTES {
                return Err(format!("the key set is larger than {MAX_JWKS_BYTES} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        let keys = parse_key_set(&body)?;
        if keys.is_empty() {
            return Err("the key set holds no usable signing key".to_owned());
        }
        Ok(keys)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state is replaced whole under the lock, so a panic elsewhere cannot leave
        // it half-written.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn fitting(
    keys: &[Arc<SigningKey>],
    kid: Option<&str>,
    algorithm: Algorithm,
) -> Vec<Arc<SigningKey>> {
    keys.iter()
        .filter(|key| key.fits(kid, algorithm))
        .cloned()
        .collect()
}

/// The signing keys of a JWKS document. Keys palaute cannot use (encryption keys,
/// shared secrets, unknown kinds, malformed ones) are skipped one by one, so one odd
/// key does not hide the others.
pub(crate) fn parse_key_set(body: &[u8]) -> Result<Vec<SigningKey>, String> {
    #[derive(Deserialize)]
    struct Document {
        keys: Vec<serde_json::Value>,
    }
    let document: Document = serde_json::from_slice(body)
        .map_err(|error| format!("the key set is not a JWKS document: {error}"))?;
    Ok(document
        .keys
        .into_iter()
        .filter_map(|value| match signing_key(value) {
            Ok(key) => Some(key),
            Err(reason) => {
                debug!(reason, "skipping a key of the identity provider");
                None
            }
        })
        .collect())
}

fn signing_key(value: serde_json::Value) -> Result<SigningKey, &'static str> {
    let jwk: Jwk = serde_json::from_value(value).map_err(|_| "not a JWK palaute can read")?;
    if matches!(
        jwk.common.public_key_use,
        Some(PublicKeyUse::Encryption | PublicKeyUse::Other(_))
    ) {
        return Err("not a signing key");
    }
    if matches!(jwk.algorithm, AlgorithmParameters::OctetKey(_)) {
        return Err("a shared secret, never used to verify");
    }
    let algorithm = match jwk.common.key_algorithm {
        Some(declared) => {
            Some(Algorithm::try_from(declared).map_err(|_| "an algorithm palaute does not use")?)
        }
        None => None,
    };
    let key = DecodingKey::from_jwk(&jwk).map_err(|_| "a malformed key")?;
    Ok(SigningKey {
        kid: jwk.common.key_id,
        algorithm,
        family: key.family(),
        key,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_signing_keys_are_kept() {
        let body = serde_json::json!({ "keys": [
            { "kty": "EC", "crv": "P-256", "kid": "ec1", "use": "sig", "alg": "ES256",
              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
              "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
            { "kty": "EC", "crv": "P-256", "kid": "enc", "use": "enc",
              "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
              "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" },
            { "kty": "oct", "kid": "secret", "k": "c2VjcmV0" },
            { "kty": "what", "kid": "odd" },
            "not even an object"
        ] });
        let keys = parse_key_set(body.to_string().as_bytes()).expect("a key set");
        assert_eq!(keys.len(), 1);
        let key = &keys[0];
        assert!(key.fits(Some("ec1"), Algorithm::ES256));
        assert!(key.fits(None, Algorithm::ES256));
        assert!(!key.fits(Some("other"), Algorithm::ES256));
        assert!(
            !key.fits(Some("ec1"), Algorithm::RS256),
            "never across families"
        );
        assert!(
            !key.fits(Some("ec1"), Algorithm::ES384),
            "only its declared alg"
        );
        assert!(parse_key_set(b"{}").is_err());
    }
}
