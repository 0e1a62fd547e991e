//! The `[live]` settings: the live queue (GraphQL subscriptions over WebSocket).

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LiveSettings {
    /// WebSocket connections open at once (each also counts against
    /// `http.max_connections`); more are answered 503.
    pub max_connections: usize,
    /// Subscriptions one connection may run at once.
    pub max_subscriptions_per_connection: usize,
    /// How often the change log is read for changes made by other processes (changes
    /// made through this process's API are read at once).
    pub poll_interval_ms: u64,
    /// How often an open connection's credentials are checked again, so a revoked
    /// token or a disabled account is cut off.
    pub recheck_seconds: u64,
}

impl Default for LiveSettings {
    fn default() -> Self {
        Self {
            max_connections: 256,
            max_subscriptions_per_connection: 10,
            poll_interval_ms: 250,
            recheck_seconds: 60,
        }
    }
}

impl LiveSettings {
    pub fn poll_interval(&self) -> Duration {
        Duration::from_millis(self.poll_interval_ms.max(10))
    }

    pub fn recheck_interval(&self) -> Duration {
        Duration::from_secs(self.recheck_seconds.max(1))
    }
}
