//! Every setting of a palaute process, with defaults that run on one machine with
//! nothing installed. The binary layers `palaute.toml`, `PALAUTE_*` environment variables
//! and command-line flags over these defaults.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

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
    pub routing: RoutingSettings,
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
    pub lease_seconds: u64,
    /// Attempts before a job is parked as dead.
    pub max_attempts: i32,
    /// First retry delay; doubled each attempt up to `retry_cap_seconds`.
    pub retry_base_ms: u64,
    pub retry_cap_seconds: u64,
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
            routing: RoutingSettings::default(),
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
            lease_seconds: 60,
            max_attempts: 8,
            retry_base_ms: 1_000,
            retry_cap_seconds: 600,
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
        }
    }
}

impl Settings {
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

impl WorkerSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms)
    }

    pub fn lease(&self) -> Duration {
        Duration::from_secs(self.lease_seconds)
    }
}
