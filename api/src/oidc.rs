//! City sign-in: a staff bearer token that is a JWT from the configured OpenID Connect
//! provider. This module's one job is to say whether such a token is genuine and who
//! it names: its signature against the provider's published keys (`jwks`), its
//! algorithm against the allow-list, `iss`, `aud`, `exp` and `nbf` (with leeway), and
//! its claims mapped to an email, a role and units. Turning that identity into an
//! account is the store's (`sync_oidc_user`), asked by `auth`.

mod jwks;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
use palaute_core::settings::OidcSettings;
use palaute_core::{EmailAddress, Organisation, StaffRole};
use serde_json::{Map, Value};
use tracing::warn;

use self::jwks::{Jwks, KeysUnavailable};

/// Verifies the provider's tokens; built once from the `[oidc]` settings.
pub struct OidcVerifier {
    issuer: String,
    audience: String,
    algorithms: Vec<Algorithm>,
    leeway_seconds: u64,
    email_claim: String,
    role_claim: String,
    units_claim: Option<String>,
    roles: BTreeMap<String, StaffRole>,
    units: BTreeMap<String, String>,
    organisation: Arc<Organisation>,
    keys: Jwks,
}

/// Who a genuine token names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Identity {
    pub email: EmailAddress,
    pub role: StaffRole,
    /// Unit codes the organisation knows.
    pub units: BTreeSet<String>,
}

/// Why a token did not sign anyone in.
#[derive(Debug)]
pub(crate) enum OidcError {
    /// The token is not valid, or names no role: the request is refused. The reason
    /// is for the log, never for the client.
    Refused(String),
    /// The provider's keys could not be fetched: try again later.
    KeysUnavailable(String),
}

/// The `[oidc]` settings cannot be used.
#[derive(Debug)]
pub struct OidcSetupError(String);

impl fmt::Display for OidcSetupError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OidcSetupError {}

fn refused(reason: impl Into<String>) -> OidcError {
    OidcError::Refused(reason.into())
}

impl OidcVerifier {
    /// Checks the settings (and that every unit they name is the organisation's) and
    /// prepares the key fetcher; nothing is fetched until the first token arrives.
    pub fn new(
        settings: &OidcSettings,
        organisation: Arc<Organisation>,
    ) -> Result<Self, OidcSetupError> {
        settings.check().map_err(OidcSetupError)?;
        let algorithms = settings
            .algorithms
            .iter()
            .map(|name| {
                name.parse::<Algorithm>()
                    .map_err(|_| OidcSetupError(format!("oidc.algorithms {name:?} is unknown")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        for (value, unit) in &settings.units {
            if organisation.unit(unit).is_none() {
                return Err(OidcSetupError(format!(
                    "oidc.units {value:?} = {unit:?}: the organisation has no such unit"
                )));
            }
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(settings.jwks_timeout_seconds))
            // The keys are read from exactly the configured address: a redirect could
            // lead to plain HTTP or to someone else's keys.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|error| OidcSetupError(format!("preparing the JWKS client: {error}")))?;
        Ok(Self {
            issuer: settings.issuer.clone(),
            audience: settings.audience.clone(),
            algorithms,
            leeway_seconds: settings.leeway_seconds,
            email_claim: settings.email_claim.clone(),
            role_claim: settings.role_claim.clone(),
            units_claim: settings.units_claim.clone(),
            roles: settings.role_mapping(),
            units: settings.units.clone(),
            organisation,
            keys: Jwks::new(
                settings.jwks_url.clone(),
                http,
                Duration::from_secs(settings.jwks_refresh_seconds),
                Duration::from_secs(settings.jwks_min_refresh_seconds),
            ),
        })
    }

    /// Who `token` names, if it is genuine, current, meant for palaute, and its
    /// claims give a role.
    pub(crate) async fn verify(&self, token: &str) -> Result<Identity, OidcError> {
        // An `alg` jsonwebtoken does not know (`none` among them) fails here.
        let header = decode_header(token)
            .map_err(|error| refused(format!("unreadable header: {}", describe(error.kind()))))?;
        if !self.algorithms.contains(&header.alg) {
            return Err(refused(format!(
                "algorithm {:?} is not allowed",
                header.alg
            )));
        }
        let kid = header.kid.as_deref();
        let keys = self
            .keys
            .keys_for(kid, header.alg)
            .await
            .map_err(|KeysUnavailable(error)| OidcError::KeysUnavailable(error))?;
        if keys.is_empty() {
            return Err(refused(match kid {
                Some(kid) => format!("no key {:?} at the provider", clip(kid)),
                None => format!("no kid, and no {:?} key at the provider", header.alg),
            }));
        }
        let mut validation = Validation::new(header.alg);
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "iss", "aud"]);
        validation.validate_nbf = true;
        validation.leeway = self.leeway_seconds;
        let mut failure = None;
        for key in keys {
            match decode::<Map<String, Value>>(token, &key.key, &validation) {
                Ok(data) => return self.identity(&data.claims),
                Err(error) => failure = Some(describe(error.kind())),
            }
        }
        Err(refused(failure.unwrap_or("not verified")))
    }

    /// The email, role and units the claims give.
    fn identity(&self, claims: &Map<String, Value>) -> Result<Identity, OidcError> {
        let email = claims
            .get(&self.email_claim)
            .and_then(Value::as_str)
            .ok_or_else(|| refused(format!("no {:?} claim", self.email_claim)))?;
        let email = EmailAddress::parse(email).map_err(|_| {
            refused(format!(
                "the {:?} claim is not an email address",
                self.email_claim
            ))
        })?;
        // A provider that says the address is unverified does not vouch for it.
        if claims.get("email_verified") == Some(&Value::Bool(false)) {
            return Err(refused("the email address is not verified"));
        }
        let role_values = claim_values(claims, &self.role_claim);
        let role = role_values
            .iter()
            .filter_map(|value| self.roles.get(*value).copied())
            .max_by_key(|role| breadth(*role))
            .ok_or_else(|| refused(format!("the {:?} claim maps to no role", self.role_claim)))?;
        let mut units = BTreeSet::new();
        let named_units = self
            .units_claim
            .as_deref()
            .map(|claim| claim_values(claims, claim))
            .unwrap_or_default();
        let codes = named_units
            .iter()
            .map(|value| self.units.get(*value).map_or(*value, String::as_str))
            .chain(
                role_values
                    .iter()
                    .filter_map(|value| self.units.get(*value).map(String::as_str)),
            );
        for code in codes {
            if self.organisation.unit(code).is_some() {
                units.insert(code.to_owned());
            } else {
                warn!(unit = clip(code), email = %email, "a signed-in token names a unit the organisation does not know; dropped");
            }
        }
        if role == StaffRole::Handler && units.is_empty() {
            return Err(refused("a handler whose claims name no known unit"));
        }
        Ok(Identity { email, role, units })
    }
}

/// A claim's values: a string is one, an array gives its strings.
fn claim_values<'a>(claims: &'a Map<String, Value>, name: &str) -> Vec<&'a str> {
    match claims.get(name) {
        Some(Value::String(value)) => vec![value.as_str()],
        Some(Value::Array(values)) => values.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

/// Which of several roles a token gets: the one that covers the most.
fn breadth(role: StaffRole) -> u8 {
    match role {
        StaffRole::Admin => 3,
        StaffRole::Triage => 2,
        StaffRole::Handler => 1,
    }
}

/// A value from the token, shortened for the log.
fn clip(value: &str) -> &str {
    let end = value
        .char_indices()
        .nth(64)
        .map_or(value.len(), |(index, _)| index);
    value.get(..end).unwrap_or(value)
}

/// Why jsonwebtoken refused a token, in words for the log (never the token itself).
fn describe(kind: &ErrorKind) -> &'static str {
    match kind {
        ErrorKind::InvalidSignature => "wrong signature",
        ErrorKind::ExpiredSignature => "expired (exp)",
        ErrorKind::ImmatureSignature => "not valid yet (nbf)",
        ErrorKind::InvalidIssuer => "wrong issuer (iss)",
        ErrorKind::InvalidAudience => "wrong audience (aud)",
        ErrorKind::MissingRequiredClaim(_) => "a required claim (exp, iss or aud) is missing",
        ErrorKind::InvalidClaimFormat(_) => "a claim has the wrong type",
        ErrorKind::InvalidAlgorithm | ErrorKind::InvalidAlgorithmName => "algorithm not allowed",
        ErrorKind::InvalidEcdsaKey | ErrorKind::InvalidRsaKey(_) | ErrorKind::InvalidKeyFormat => {
            "the key does not fit the algorithm"
        }
        _ => "malformed token",
    }
}

/// Whether a bearer token has the shape of a JWT (three base64url parts; the last, the
/// signature, may be empty as in an unsigned token), so that only such tokens are
/// checked as one and API tokens never are.
pub(crate) fn looks_like_jwt(token: &str) -> bool {
    let base64url = |part: &str| {
        part.bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-' || byte == b'_')
    };
    let mut parts = token.split('.');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(header), Some(claims), Some(signature), None) => {
            !header.is_empty()
                && !claims.is_empty()
                && base64url(header)
                && base64url(claims)
                && base64url(signature)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_base64url_parts_look_like_a_jwt() {
        assert!(looks_like_jwt("eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"));
        assert!(looks_like_jwt("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0."));
        for token in [
            "plt_abcDEF-123_xyz",
            "a.b",
            "a.b.c.d",
            ".b.c",
            "a..c",
            "a.b.c d",
            "a+b.c.d",
            "",
        ] {
            assert!(!looks_like_jwt(token), "{token}");
        }
    }

    fn verifier() -> OidcVerifier {
        let mut settings = OidcSettings::new("https://idp", "palaute", "https://idp/certs");
        settings.role_claim = "groups".to_owned();
        settings.units_claim = Some("units".to_owned());
        for (value, role) in [("p-admin", "admin"), ("p-handler", "handler")] {
            settings.roles.insert(value.to_owned(), role.to_owned());
        }
        settings
            .units
            .insert("rakvir".to_owned(), "rakennusvirasto".to_owned());
        OidcVerifier::new(&settings, Arc::new(Organisation::helsinki())).expect("verifier")
    }

    fn claims(value: Value) -> Map<String, Value> {
        value.as_object().cloned().expect("an object")
    }

    #[test]
    fn claims_map_to_the_widest_role_and_known_units() {
        let verifier = verifier();
        let identity = verifier
            .identity(&claims(serde_json::json!({
                "email": "Maija@Hel.fi",
                "groups": ["p-handler", "rakvir", "other"],
                "units": ["hkl", "no-such-unit"],
            })))
            .expect("an identity");
        assert_eq!(identity.role, StaffRole::Handler);
        assert_eq!(
            identity.units,
            BTreeSet::from(["hkl".to_owned(), "rakennusvirasto".to_owned()])
        );
        let admin = verifier
            .identity(&claims(serde_json::json!({
                "email": "a@hel.fi", "groups": ["p-handler", "p-admin"]
            })))
            .expect("an identity");
        assert_eq!(admin.role, StaffRole::Admin);
        let single = verifier
            .identity(&claims(
                serde_json::json!({ "email": "a@hel.fi", "groups": "p-admin" }),
            ))
            .expect("a string claim is one value");
        assert_eq!(single.role, StaffRole::Admin);
    }

    #[test]
    fn claims_without_a_role_an_email_or_a_handlers_unit_are_refused() {
        let verifier = verifier();
        for value in [
            serde_json::json!({ "email": "a@hel.fi" }),
            serde_json::json!({ "email": "a@hel.fi", "groups": ["other"] }),
            serde_json::json!({ "groups": ["p-admin"] }),
            serde_json::json!({ "email": "not an address", "groups": ["p-admin"] }),
            serde_json::json!({ "email": "a@hel.fi", "email_verified": false, "groups": ["p-admin"] }),
            serde_json::json!({ "email": "a@hel.fi", "groups": ["p-handler"], "units": ["nowhere"] }),
        ] {
            assert!(
                matches!(
                    verifier.identity(&claims(value.clone())),
                    Err(OidcError::Refused(_))
                ),
                "{value}"
            );
        }
    }

    #[test]
    fn units_the_organisation_lacks_stop_the_start() {
        let mut settings = OidcSettings::new("https://idp", "palaute", "https://idp/certs");
        settings.roles.insert("x".to_owned(), "admin".to_owned());
        settings.units.insert("g".to_owned(), "nowhere".to_owned());
        let error = OidcVerifier::new(&settings, Arc::new(Organisation::helsinki()))
            .err()
            .expect("refused");
        assert!(error.to_string().contains("nowhere"), "{error}");
    }
}
