//! The operators' settings: `[metrics]` (the Prometheus endpoint), `[readiness]`
//! (what `/readyz` waits for) and `[log]` (the log line format).

use std::net::SocketAddr;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where `/metrics` is served. Off unless one of the two is set: the figures name
/// queue depths and failure counts, which are not for everyone.
#[derive(Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// `/metrics` on the main listener answers a request with
    /// `Authorization: Bearer <token>` (or the admin token), 401 otherwise.
    pub token: Option<String>,
    /// A separate listener serving `/metrics` without a token, e.g. `127.0.0.1:9464`;
    /// bind it where only the scraper reaches it.
    pub listen: Option<SocketAddr>,
}

impl MetricsSettings {
    /// The configured token, when it is not blank.
    pub fn token(&self) -> Option<&str> {
        self.token
            .as_deref()
            .map(str::trim)
            .filter(|token| !token.is_empty())
    }
}

impl std::fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &self.token.as_ref().map(|_| "(hidden)"))
            .field("listen", &self.listen)
            .finish()
    }
}

/// What `/readyz` asks before it says a `serve` process may take traffic.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReadinessSettings {
    /// Most cases waiting for the search index.
    pub max_index_lag_changes: u64,
    /// Longest a case may have waited for the search index, in seconds.
    pub max_index_lag_seconds: u64,
}

impl Default for ReadinessSettings {
    fn default() -> Self {
        Self {
            max_index_lag_changes: 1000,
            max_index_lag_seconds: 30,
        }
    }
}

impl ReadinessSettings {
    pub fn max_index_lag(&self) -> Duration {
        Duration::from_secs(self.max_index_lag_seconds)
    }
}

/// How log lines look on stderr.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (the default).
    #[default]
    Text,
    /// One JSON object per line, with the fields of the spans it happened in.
    Json,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_metrics_token_never_shows_in_debug_output() {
        let settings = MetricsSettings {
            token: Some("metrics-secret-token".into()),
            listen: None,
        };
        assert!(!format!("{settings:?}").contains("metrics-secret-token"));
    }

    #[test]
    fn a_blank_metrics_token_counts_as_none() {
        let settings = MetricsSettings {
            token: Some("  ".into()),
            listen: None,
        };
        assert_eq!(settings.token(), None);
    }

    #[test]
    fn log_format_reads_lowercase_names() {
        let parsed: LogSettings = toml::from_str("format = \"json\"").expect("valid");
        assert_eq!(parsed.format, LogFormat::Json);
        assert!(toml::from_str::<LogSettings>("format = \"xml\"").is_err());
    }
}
