//! The retention job: a resolved or closed case keeps its resident's details for
//! `[privacy] anonymise_after_days`, then the store anonymises it (see
//! `palaute_store`'s privacy module for what is kept). The outbox folder's copies of
//! its emails go too, and the database file forgets the removed bytes.

use std::io;
use std::path::{Path, PathBuf};

use anyhow::Context;
use chrono::{DateTime, Utc};
use palaute_core::privacy::AnonymisationPolicy;
use palaute_core::settings::PrivacySettings;
use palaute_store::Store;
use tracing::{info, warn};

use crate::mail::delivery::outbox_file_name;

/// Cases anonymised per store call: each is a transaction of its own.
const BATCH: u64 = 100;

pub struct Retention {
    store: Store,
    settings: PrivacySettings,
    /// Where the emails written as files are, when email goes to a folder.
    outbox_dir: Option<PathBuf>,
}

impl Retention {
    pub fn new(store: Store, settings: PrivacySettings, outbox_dir: Option<PathBuf>) -> Self {
        Self {
            store,
            settings,
            outbox_dir,
        }
    }

    /// How often the job runs; `None` when retention is off.
    pub fn interval(&self) -> Option<std::time::Duration> {
        self.settings.retention_check_interval()
    }

    /// Anonymises every case whose retention ran out by `now`; returns how many.
    pub async fn run(&self, now: DateTime<Utc>) -> anyhow::Result<usize> {
        let Some(retention) = self.settings.retention() else {
            return Ok(0);
        };
        let policy = AnonymisationPolicy::Retention {
            days: self.settings.anonymise_after_days,
        };
        let mut total = 0;
        loop {
            let due = self
                .store
                .cases_due_for_anonymising(retention, now, BATCH)
                .await
                .context("finding cases due for anonymising")?;
            if due.is_empty() {
                break;
            }
            let done = self
                .store
                .anonymise_cases(&due, policy, now)
                .await
                .context("anonymising cases")?;
            total += done.cases.len();
            if let Some(dir) = &self.outbox_dir {
                remove_outbox_copies(dir, &done.outbox_message_ids)
                    .context("removing anonymised emails from the outbox folder")?;
            }
        }
        if total > 0 {
            info!(
                cases = total,
                days = self.settings.anonymise_after_days,
                "anonymised closed cases"
            );
            // The rows are anonymised either way; a busy database only delays this.
            if let Err(error) = self.store.reclaim_free_space().await {
                warn!(%error, "could not reclaim the database's free space after anonymising");
            }
        }
        Ok(total)
    }
}

/// Removes the outbox folder's `.eml` copies of the emails with these Message-IDs;
/// returns how many there were.
pub fn remove_outbox_copies(dir: &Path, message_ids: &[String]) -> io::Result<usize> {
    let mut removed = 0;
    for message_id in message_ids {
        match std::fs::remove_file(dir.join(outbox_file_name(message_id))) {
            Ok(()) => removed += 1,
            Err(error) if error.kind() == io::ErrorKind::NotFound => {}
            Err(error) => return Err(error),
        }
    }
    Ok(removed)
}
