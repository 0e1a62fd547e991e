//! Every setting of a palaute process, with defaults that run on one machine with
//! nothing installed. The binary layers `palaute.toml`, `PALAUTE_*` environment variables
//! and command-line flags over these defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod attachments;
mod live;
mod mail;
mod oidc;
mod open311;
mod operations;
mod privacy;

pub use attachments::AttachmentSettings;
pub use live::LiveSettings;
pub use mail::{ImapSettings, MailSettings};
pub use oidc::{OIDC_ALGORITHMS, OidcSettings};
pub use open311::Open311Settings;
pub use operations::{LogFormat, LogSettings, MetricsSettings, ReadinessSettings};
pub use privacy::PrivacySettings;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Folder holding the SQLite file, the search index and the email outbox.
    pub data_dir: PathBuf,
    /// Address `serve` listens on.
    pub listen: SocketAddr,
    /// `sqlite://…` or `postgres://…`; unset means `palaute.db` in the data folder.
    pub database_url: Option<String>,
    /// Maximum pooled database connections.
    pub database_max_connections: u32,
    /// `smtp://host:port` (or `smtps://`); unset means `.eml` files in `outbox/`.
    pub smtp_url: Option<String>,
    /// Sender of every email palaute sends.
    pub mail_from: String,
    /// Bearer token of the bootstrap administrator; unset means one is generated into
    /// the data folder on first start.
    pub admin_token: Option<String>,
    /// An organisation file replacing the shipped Helsinki organisation.
    pub organisation_file: Option<PathBuf>,
    /// Public base URL, used in links inside emails.
    pub public_url: String,
    pub worker: WorkerSettings,
    pub graphql: GraphqlSettings,
    pub http: HttpSettings,
    pub rate_limits: RateLimitSettings,
    pub routing: RoutingSettings,
    /// The live queue: WebSocket subscriptions.
    pub live: LiveSettings,
    /// City sign-in: staff bearer tokens that are JWTs from this OpenID Connect
    /// provider. Absent (the default): only API tokens and the admin token work.
    pub oidc: Option<OidcSettings>,
    pub residents: ResidentSettings,
    /// The Open311 GeoReport v2 door.
    pub open311: Open311Settings,
    /// The email door.
    pub mail: MailSettings,
    /// Files sent with feedback (Open311 media, email attachments).
    pub attachments: AttachmentSettings,
    /// How long residents' details are kept after their case is closed.
    pub privacy: PrivacySettings,
    /// The Prometheus endpoint: off unless a token or a listener is set.
    pub metrics: MetricsSettings,
    /// What `/readyz` waits for.
    pub readiness: ReadinessSettings,
    /// The format of log lines.
    pub log: LogSettings,
}

/// What residents may do with their own case.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ResidentSettings {
    /// For how many days after a case is resolved its resident may reopen it from the
    /// tracking page; 0 never.
    pub reopen_window_days: u32,
}

impl Default for ResidentSettings {
    fn default() -> Self {
        Self {
            reopen_window_days: 14,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerSettings {
    /// Run the job worker inside `serve` (off when separate `palaute worker`
    /// processes do the work).
    pub in_process: bool,
    /// Jobs one worker process runs at once.
    pub concurrency: usize,
    /// How often an idle worker looks for jobs written by other processes.
    pub poll_interval_ms: u64,
    /// How long a claimed job stays claimed before another worker may take it over.
    /// The worker renews it every `heartbeat_seconds` while the job runs, so it only
    /// bounds how long a dead worker's jobs wait (on PostgreSQL; on SQLite a restarted
    /// worker takes them back at once).
    pub lease_seconds: u64,
    /// How often a worker renews the lease of each job it runs; below `lease_seconds`.
    pub heartbeat_seconds: u64,
    /// Attempts before a job is parked as dead.
    pub max_attempts: i32,
    /// First retry delay; doubled each attempt up to `retry_cap_seconds`.
    pub retry_base_ms: u64,
    pub retry_cap_seconds: u64,
    /// How often deadline warnings and breaches are looked for; 0 turns the check off.
    pub deadline_check_minutes: u64,
}

/// How trained routing models are made and trusted.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RoutingSettings {
    /// The share of automatically routed cases that should be right. A model routes a
    /// case only from the confidence at which its held-out cases reached this; below it
    /// the case goes to triage with suggestions.
    pub target_precision: f64,
    /// How often the worker retrains on new labelled examples (staff decisions and
    /// imports); 0 never retrains on its own. A retrained model starts as a candidate
    /// in shadow, unless no model is live yet.
    pub retrain_interval_hours: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GraphqlSettings {
    pub max_depth: usize,
    pub max_complexity: usize,
    /// Largest `first` a connection accepts.
    pub max_page_size: u64,
    /// Largest request body, in bytes.
    pub max_body_bytes: usize,
    /// Deepest nesting of lists and input objects in arguments and variables.
    pub max_value_depth: usize,
    /// Fields one request selects, each fragment counted every time it is spread.
    pub max_fields: u64,
    /// Aliased fields in one request.
    pub max_aliases: u64,
    /// Fields at the root of one operation.
    pub max_root_fields: u64,
    /// Operations in one JSON batch; a batch shares the limits above.
    pub max_batch: usize,
    /// Longest staff search text, in characters.
    pub max_search_query_chars: usize,
    /// Deepest nesting of parentheses and negations in a staff search.
    pub max_search_nesting: usize,
    /// Serve GraphiQL on `GET /graphql`.
    pub graphiql: bool,
    /// Answer schema introspection without a staff token.
    pub anonymous_introspection: bool,
}

/// The HTTP server's defences against slow or too many clients.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpSettings {
    /// Time a client has to send a request's headers.
    pub header_read_timeout_seconds: u64,
    /// Time a client has to send a request's body.
    pub body_read_timeout_seconds: u64,
    /// Open connections served at once; more wait to be accepted.
    pub max_connections: usize,
    /// Reverse proxies in front of palaute that append to `X-Forwarded-For`: the client
    /// address is the entry that many places from the right. 0 trusts no header and
    /// uses the connection's peer address.
    pub trusted_proxy_hops: usize,
}

/// Limits on how fast one client may use palaute. `enabled = false` turns them all off
/// (benchmarks, load tests).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Anonymous submissions per client address, per minute, after the burst.
    pub submissions_per_minute: u32,
    pub submission_burst: u32,
    /// Any anonymous request per client address, per second, after the burst.
    pub anonymous_requests_per_second: u32,
    pub anonymous_burst: u32,
    /// Requests per staff token, per second, after the burst.
    pub staff_requests_per_second: u32,
    pub staff_burst: u32,
    /// Least time between two acknowledgements to one email address; the cases are
    /// created and tracked all the same. 0 sends every acknowledgement.
    pub acknowledgement_interval_minutes: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("data"),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: None,
            database_max_connections: 10,
            smtp_url: None,
            mail_from: "Helsingin kaupunki – palaute <noreply@palaute.hel.fi>".to_owned(),
            admin_token: None,
            organisation_file: None,
            public_url: "http://127.0.0.1:8080".to_owned(),
            worker: WorkerSettings::default(),
            graphql: GraphqlSettings::default(),
            http: HttpSettings::default(),
            rate_limits: RateLimitSettings::default(),
            routing: RoutingSettings::default(),
            live: LiveSettings::default(),
            oidc: None,
            residents: ResidentSettings::default(),
            open311: Open311Settings::default(),
            mail: MailSettings::default(),
            attachments: AttachmentSettings::default(),
            privacy: PrivacySettings::default(),
            metrics: MetricsSettings::default(),
            readiness: ReadinessSettings::default(),
            log: LogSettings::default(),
        }
    }
}

impl Default for RoutingSettings {
    fn default() -> Self {
        Self {
            target_precision: 0.9,
            retrain_interval_hours: 24,
        }
    }
}

impl RoutingSettings {
    /// `None` when retraining is off.
    pub fn retrain_interval(&self) -> Option<Duration> {
        (self.retrain_interval_hours > 0)
            .then(|| Duration::from_secs(self.retrain_interval_hours.saturating_mul(3600)))
    }
}

impl Default for WorkerSettings {
    fn default() -> Self {
        Self {
            in_process: true,
            concurrency: 4,
            poll_interval_ms: 500,
            lease_seconds: 15,
            heartbeat_seconds: 5,
            max_attempts: 8,
            retry_base_ms: 1_000,
            retry_cap_seconds: 600,
            deadline_check_minutes: 5,
        }
    }
}

impl Default for GraphqlSettings {
    fn default() -> Self {
        Self {
            max_depth: 12,
            max_complexity: 500,
            max_page_size: 100,
            max_body_bytes: 256 * 1024,
            max_value_depth: 32,
            max_fields: 1_000,
            max_aliases: 30,
            max_root_fields: 20,
            max_batch: 10,
            max_search_query_chars: 1_000,
            max_search_nesting: 32,
            graphiql: true,
            anonymous_introspection: true,
        }
    }
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            header_read_timeout_seconds: 10,
            body_read_timeout_seconds: 30,
            max_connections: 1_024,
            trusted_proxy_hops: 0,
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            submissions_per_minute: 10,
            submission_burst: 20,
            anonymous_requests_per_second: 20,
            anonymous_burst: 60,
            staff_requests_per_second: 50,
            staff_burst: 100,
            acknowledgement_interval_minutes: 60,
        }
    }
}

impl RateLimitSettings {
    /// `None` when every acknowledgement is sent (limits off, or an interval of 0).
    pub fn acknowledgement_interval(&self) -> Option<Duration> {
        (self.enabled && self.acknowledgement_interval_minutes > 0)
            .then(|| Duration::from_secs(self.acknowledgement_interval_minutes.saturating_mul(60)))
    }
}

impl HttpSettings {
    pub fn header_read_timeout(&self) -> Duration {
        Duration::from_secs(self.header_read_timeout_seconds.max(1))
    }

    pub fn body_read_timeout(&self) -> Duration {
        Duration::from_secs(self.body_read_timeout_seconds.max(1))
    }
}

/// The shortest administrator token accepted: a guessable one would open every case.
pub const MIN_ADMIN_TOKEN_CHARS: usize = 32;

impl Settings {
    /// A copy safe to print or log: the admin token hidden, and passwords in the
    /// database, SMTP and JWKS URLs masked.
    pub fn redacted(&self) -> Self {
        let mut shown = self.clone();
        shown.admin_token = shown.admin_token.map(|_| "(hidden)".to_owned());
        shown.database_url = Some(mask_url_password(&self.database_url()));
        shown.smtp_url = shown.smtp_url.as_deref().map(mask_url_password);
        if let Some(oidc) = &mut shown.oidc {
            oidc.jwks_url = mask_url_password(&oidc.jwks_url);
        }
        for key in &mut shown.open311.api_keys {
            *key = "(hidden)".to_owned();
        }
        if shown.mail.webhook_secret.is_some() {
            shown.mail.webhook_secret = Some("(hidden)".to_owned());
        }
        if let Some(imap) = &mut shown.mail.imap {
            imap.password = "(hidden)".to_owned();
        }
        if shown.metrics.token.is_some() {
            shown.metrics.token = Some("(hidden)".to_owned());
        }
        shown
    }

    /// The database URL in force: the configured one, or the SQLite file in the data folder.
    pub fn database_url(&self) -> String {
        match &self.database_url {
            Some(url) => url.clone(),
            None => format!(
                "sqlite://{}?mode=rwc",
                self.data_dir.join("palaute.db").display()
            ),
        }
    }

    pub fn index_dir(&self) -> PathBuf {
        self.data_dir.join("index")
    }

    pub fn outbox_dir(&self) -> PathBuf {
        self.data_dir.join("outbox")
    }

    pub fn admin_token_file(&self) -> PathBuf {
        self.data_dir.join("admin-token")
    }
}

/// `scheme://user:secret@host/…?password=secret` with both secrets replaced by `***`.
pub fn mask_url_password(url: &str) -> String {
    const MASK: &str = "***";
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:{MASK}@{host}"),
            None => format!("{user_info}@{host}"),
        },
        None => authority.to_owned(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|pair| match pair.split_once('=') {
                    Some((key, _)) if key.eq_ignore_ascii_case("password") => {
                        format!("{key}={MASK}")
                    }
                    _ => pair.to_owned(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

impl WorkerSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds)
    }

    pub fn heartbeat(&self) -> Duration {
        Duration::from_secs(self.heartbeat_seconds)
    }

    /// `None` when the deadline check is off.
    pub fn deadline_check_interval(&self) -> Option<Duration> {
        (self.deadline_check_minutes > 0)
            .then(|| Duration::from_secs(self.deadline_check_minutes.saturating_mul(60)))
    }

    /// How long one SMTP step may take: well inside the lease, so a hung relay fails
    /// the attempt instead of holding the job.
    pub fn smtp_timeout(&self) -> Duration {
        Duration::from_secs(10).min(self.lease() / 2)
    }

    /// Rejects a heartbeat that could not keep a lease alive.
    pub fn check(&self) -> Result<(), String> {
        if self.heartbeat_seconds == 0 || self.heartbeat_seconds >= self.lease_seconds {
            return Err(format!(
                "worker.heartbeat_seconds ({}) must be at least 1 and below worker.lease_seconds ({})",
                self.heartbeat_seconds, self.lease_seconds
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_in_urls_are_masked() {
        assert_eq!(
            mask_url_password("postgres://palaute:s3cr:et@db.internal:5432/palaute"),
            "postgres://palaute:***@db.internal:5432/palaute"
        );
        assert_eq!(
            mask_url_password("smtp://relay:25?tls=required"),
            "smtp://relay:25?tls=required"
        );
        assert_eq!(
            mask_url_password("postgres://db/palaute?user=p&password=hunter2&sslmode=require"),
            "postgres://db/palaute?user=p&password=***&sslmode=require"
        );
        assert_eq!(
            mask_url_password("smtps://user@relay:465"),
            "smtps://user@relay:465"
        );
    }

    #[test]
    fn redacted_settings_hide_every_secret() {
        let settings = Settings {
            admin_token: Some("x".repeat(40)),
            database_url: Some("postgres://p:dbpass@h/d".into()),
            smtp_url: Some("smtp://u:mailpass@h:25".into()),
            oidc: Some(OidcSettings::new(
                "https://login.hel.fi",
                "palaute",
                "https://jwks:keypass@login.hel.fi/certs",
            )),
            open311: Open311Settings {
                api_keys: vec!["open311pass".into()],
            },
            ..Settings::default()
        };
        assert_eq!(settings.redacted().open311.api_keys, ["(hidden)"]);
        let shown = format!("{:?}", settings.redacted());
        for secret in ["dbpass", "mailpass", "keypass", &"x".repeat(40)] {
            assert!(!shown.contains(secret), "{secret} shown in {shown}");
        }
    }
}
