//! The `[oidc]` settings: city sign-in with the OpenID Connect provider's tokens.
//!
//! palaute only verifies tokens (it never asks the provider for one), so there is no
//! client secret here: the provider's public keys come from its JWKS address.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::StaffRole;

/// Signature algorithms a provider's token may use: only public-key ones, so that
/// nothing but the provider's private key can sign a token palaute accepts.
pub const OIDC_ALGORITHMS: &[&str] = &[
    "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "EdDSA",
];

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OidcSettings {
    /// The provider's issuer, exactly as its tokens carry it in `iss`.
    pub issuer: String,
    /// The audience a token must name in `aud`: palaute's client id at the provider.
    pub audience: String,
    /// Where the provider publishes its signing keys (a JWKS document): `https://`, or
    /// `http://` on a loopback address only, since whoever serves the keys can sign in
    /// as anyone.
    pub jwks_url: String,
    /// Signature algorithms accepted (see [`OIDC_ALGORITHMS`]); `none` and the
    /// shared-secret `HS*` never are.
    #[serde(default = "default_algorithms")]
    pub algorithms: Vec<String>,
    /// The claim holding the staff member's email address; their account's key.
    #[serde(default = "default_email_claim")]
    pub email_claim: String,
    /// The claim whose values (a string or an array of strings) name roles through
    /// `roles`, e.g. `roles` or `groups`.
    #[serde(default = "default_role_claim")]
    pub role_claim: String,
    /// An optional claim whose values (a string or an array of strings) are unit codes,
    /// or names mapped to unit codes through `units`.
    #[serde(default)]
    pub units_claim: Option<String>,
    /// Clock skew allowed when checking `exp` and `nbf`.
    #[serde(default = "default_leeway_seconds")]
    pub leeway_seconds: u64,
    /// How long fetched keys are used before they are fetched again.
    #[serde(default = "default_jwks_refresh_seconds")]
    pub jwks_refresh_seconds: u64,
    /// Least time between two fetches of the keys, also when a token names a key
    /// palaute does not know: made-up tokens cannot make it hammer the provider.
    #[serde(default = "default_jwks_min_refresh_seconds")]
    pub jwks_min_refresh_seconds: u64,
    /// Longest wait for the provider to answer a fetch of its keys.
    #[serde(default = "default_jwks_timeout_seconds")]
    pub jwks_timeout_seconds: u64,
    /// Role claim values and the role each gives (`"palaute-admin" = "admin"`). A
    /// token with several gets the widest role; one with none is refused.
    #[serde(default)]
    pub roles: BTreeMap<String, String>,
    /// Claim values and the unit code each gives (`"rakvir-kasittelijat" =
    /// "rakennusvirasto"`), looked up among the values of `units_claim` and of
    /// `role_claim`, so that one `groups` claim can carry both.
    #[serde(default)]
    pub units: BTreeMap<String, String>,
}

fn default_algorithms() -> Vec<String> {
    vec!["RS256".to_owned(), "ES256".to_owned()]
}

fn default_email_claim() -> String {
    "email".to_owned()
}

fn default_role_claim() -> String {
    "roles".to_owned()
}

fn default_leeway_seconds() -> u64 {
    60
}

fn default_jwks_refresh_seconds() -> u64 {
    3_600
}

fn default_jwks_min_refresh_seconds() -> u64 {
    30
}

fn default_jwks_timeout_seconds() -> u64 {
    10
}

/// A leeway beyond this would accept tokens long expired.
const MAX_LEEWAY_SECONDS: u64 = 600;

impl OidcSettings {
    /// A settings section with the given provider and every other field at its default.
    pub fn new(issuer: &str, audience: &str, jwks_url: &str) -> Self {
        Self {
            issuer: issuer.to_owned(),
            audience: audience.to_owned(),
            jwks_url: jwks_url.to_owned(),
            algorithms: default_algorithms(),
            email_claim: default_email_claim(),
            role_claim: default_role_claim(),
            units_claim: None,
            leeway_seconds: default_leeway_seconds(),
            jwks_refresh_seconds: default_jwks_refresh_seconds(),
            jwks_min_refresh_seconds: default_jwks_min_refresh_seconds(),
            jwks_timeout_seconds: default_jwks_timeout_seconds(),
            roles: BTreeMap::new(),
            units: BTreeMap::new(),
        }
    }

    /// Every problem with the section, each naming its key; checked when settings are
    /// loaded, so a mistake stops the start rather than every sign-in.
    pub fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        for (key, value) in [
            ("oidc.issuer", &self.issuer),
            ("oidc.audience", &self.audience),
            ("oidc.email_claim", &self.email_claim),
            ("oidc.role_claim", &self.role_claim),
        ] {
            if value.trim().is_empty() {
                problems.push(format!("{key} is empty"));
            }
        }
        if let Some(claim) = &self.units_claim
            && claim.trim().is_empty()
        {
            problems.push("oidc.units_claim is empty (leave it out instead)".to_owned());
        }
        if let Err(problem) = check_jwks_url(&self.jwks_url) {
            problems.push(format!(
                "oidc.jwks_url {:?}: {problem}",
                super::mask_url_password(&self.jwks_url)
            ));
        }
        if self.algorithms.is_empty() {
            problems.push("oidc.algorithms is empty".to_owned());
        }
        for algorithm in &self.algorithms {
            if let Err(problem) = check_algorithm(algorithm) {
                problems.push(format!("oidc.algorithms {algorithm:?}: {problem}"));
            }
        }
        if self.roles.is_empty() {
            problems.push(
                "oidc.roles is empty, so no token could sign in; map claim values to roles, e.g. [oidc.roles] \"palaute-admin\" = \"admin\"".to_owned(),
            );
        }
        for (value, role) in &self.roles {
            if StaffRole::from_code(role).is_none() {
                problems.push(format!(
                    "oidc.roles {value:?} = {role:?}: the role is admin, triage or handler"
                ));
            }
        }
        for (value, unit) in &self.units {
            if unit.trim().is_empty() {
                problems.push(format!("oidc.units {value:?} names no unit"));
            }
        }
        if self.leeway_seconds > MAX_LEEWAY_SECONDS {
            problems.push(format!(
                "oidc.leeway_seconds ({}) is above {MAX_LEEWAY_SECONDS}",
                self.leeway_seconds
            ));
        }
        if self.jwks_refresh_seconds == 0 {
            problems.push("oidc.jwks_refresh_seconds must be at least 1".to_owned());
        }
        if self.jwks_min_refresh_seconds > self.jwks_refresh_seconds {
            problems.push(format!(
                "oidc.jwks_min_refresh_seconds ({}) must not be above oidc.jwks_refresh_seconds ({})",
                self.jwks_min_refresh_seconds, self.jwks_refresh_seconds
            ));
        }
        if self.jwks_timeout_seconds == 0 {
            problems.push("oidc.jwks_timeout_seconds must be at least 1".to_owned());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }

    /// The role each mapped claim value gives; values naming no role are left out
    /// (`check` reports them).
    pub fn role_mapping(&self) -> BTreeMap<String, StaffRole> {
        self.roles
            .iter()
            .filter_map(|(value, role)| Some((value.clone(), StaffRole::from_code(role)?)))
            .collect()
    }
}

fn check_algorithm(name: &str) -> Result<(), &'static str> {
    if name.eq_ignore_ascii_case("none") {
        return Err("never accepted: it is an unsigned token");
    }
    if name.to_ascii_uppercase().starts_with("HS") {
        return Err(
            "shared-secret algorithms are never accepted: palaute verifies with the provider's public keys",
        );
    }
    if OIDC_ALGORITHMS.contains(&name) {
        Ok(())
    } else {
        Err("unknown; use RS256, RS384, RS512, PS256, PS384, PS512, ES256, ES384 or EdDSA")
    }
}

/// `https://…`, or `http://` on a loopback address (a provider on this machine, tests).
fn check_jwks_url(url: &str) -> Result<(), &'static str> {
    if let Some(rest) = url.strip_prefix("https://") {
        return match host(rest) {
            "" => Err("has no host"),
            _ => Ok(()),
        };
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err("must start with https://");
    };
    match host(rest) {
        "localhost" | "127.0.0.1" | "[::1]" => Ok(()),
        _ => Err("must be https:// (plain http only on a loopback address)"),
    }
}

/// The host of a URL's remainder after `scheme://`, user info and port left out.
fn host(rest: &str) -> &str {
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, _) = rest.split_at(authority_end);
    let host_and_port = authority
        .rsplit_once('@')
        .map_or(authority, |(_, host)| host);
    if host_and_port.starts_with('[') {
        return host_and_port
            .find(']')
            .map_or(host_and_port, |end| host_and_port.split_at(end + 1).0);
    }
    host_and_port
        .split_once(':')
        .map_or(host_and_port, |(host, _)| host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid() -> OidcSettings {
        let mut settings = OidcSettings::new(
            "https://login.hel.fi/realms/staff",
            "palaute",
            "https://login.hel.fi/realms/staff/certs",
        );
        settings
            .roles
            .insert("palaute-admin".to_owned(), "admin".to_owned());
        settings
    }

    #[test]
    fn a_complete_section_passes() {
        assert_eq!(valid().check(), Ok(()));
        let mut local = valid();
        local.jwks_url = "http://127.0.0.1:9000/jwks".to_owned();
        assert_eq!(local.check(), Ok(()));
        assert_eq!(
            valid().role_mapping().get("palaute-admin"),
            Some(&StaffRole::Admin)
        );
    }

    #[test]
    fn unsigned_and_shared_secret_algorithms_are_refused() {
        for algorithm in ["none", "HS256", "hs512", "RS1"] {
            let mut settings = valid();
            settings.algorithms = vec![algorithm.to_owned()];
            let problem = settings.check().expect_err(algorithm);
            assert!(problem.contains("oidc.algorithms"), "{problem}");
        }
    }

    #[test]
    fn keys_only_over_https_or_from_this_machine() {
        for url in [
            "http://login.hel.fi/certs",
            "http://127.0.0.1@evil.example/certs",
            "ftp://login.hel.fi/certs",
            "https:///certs",
        ] {
            let mut settings = valid();
            settings.jwks_url = url.to_owned();
            assert!(settings.check().is_err(), "{url} accepted");
        }
        let mut settings = valid();
        settings.jwks_url = "http://[::1]:8081/certs".to_owned();
        assert_eq!(settings.check(), Ok(()));
    }

    #[test]
    fn every_problem_is_named() {
        let mut settings = OidcSettings::new("", "palaute", "https://h/certs");
        settings.roles.insert("x".to_owned(), "boss".to_owned());
        settings.jwks_min_refresh_seconds = 7_200;
        let problem = settings.check().expect_err("problems");
        for key in [
            "oidc.issuer",
            "oidc.roles \"x\"",
            "oidc.jwks_min_refresh_seconds",
        ] {
            assert!(problem.contains(key), "{key} missing from {problem}");
        }
    }

    #[test]
    fn a_section_reads_from_toml_with_defaults() {
        let settings: OidcSettings = toml::from_str(
            r#"
            issuer = "https://login.hel.fi"
            audience = "palaute"
            jwks_url = "https://login.hel.fi/certs"
            role_claim = "groups"
            [roles]
            "palaute-kasittelijat" = "handler"
            [units]
            "rakvir" = "rakennusvirasto"
            "#,
        )
        .expect("settings");
        assert_eq!(settings.algorithms, ["RS256", "ES256"]);
        assert_eq!(settings.leeway_seconds, 60);
        assert_eq!(settings.check(), Ok(()));
        let unknown: Result<OidcSettings, _> = toml::from_str(
            "issuer = \"i\"\naudience = \"a\"\njwks_url = \"https://h\"\nclient_secret = \"x\"",
        );
        assert!(unknown.is_err(), "unknown keys are refused");
    }
}
