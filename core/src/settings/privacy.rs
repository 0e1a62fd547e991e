//! The `[privacy]` settings: for how long a closed case keeps its resident's details.

use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct PrivacySettings {
    /// Days after a case is resolved or closed before its contact details and free text
    /// are anonymised; 0 keeps them.
    pub anonymise_after_days: u32,
    /// How often the worker looks for cases due for anonymising, in minutes; 0 runs
    /// no schedule (a job enqueued otherwise still runs).
    pub retention_check_minutes: u64,
}

impl Default for PrivacySettings {
    fn default() -> Self {
        Self {
            anonymise_after_days: 365,
            retention_check_minutes: 60,
        }
    }
}

impl PrivacySettings {
    /// How long a closed case keeps its details, or `None` when they are kept.
    pub fn retention(&self) -> Option<chrono::Duration> {
        (self.anonymise_after_days > 0)
            .then(|| chrono::Duration::days(i64::from(self.anonymise_after_days)))
    }

    /// How often the retention job runs, or `None` when it is off.
    pub fn retention_check_interval(&self) -> Option<Duration> {
        (self.anonymise_after_days > 0 && self.retention_check_minutes > 0)
            .then(|| Duration::from_secs(self.retention_check_minutes.saturating_mul(60)))
    }
}
