//! Keeps the search index in step with the database: drains the store's index queue
//! in batches, commits each batch once, then acknowledges it. The database stays the
//! source of truth; [`Indexer::rebuild`] recreates the whole index from it.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use palaute_core::CaseId;
use palaute_search_index::{CaseDocument, SearchIndex};
use palaute_store::{CaseRecord, Store};
use tokio::sync::{Notify, watch};
use tracing::{error, info};

/// Cases per index commit: large enough to amortise a commit, small enough to keep
/// a fresh case searchable within moments.
const BATCH: u64 = 500;

pub struct Indexer {
    store: Store,
    index: Arc<SearchIndex>,
}

impl Indexer {
    pub fn new(store: Store, index: Arc<SearchIndex>) -> Self {
        Self { store, index }
    }

    /// Indexes queued cases until `shutdown`, waking on `wakeup` or every `poll`.
    pub async fn run(
        self,
        wakeup: Arc<Notify>,
        poll: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        while !*shutdown.borrow() {
            match self.drain().await {
                Ok(0) => {}
                Ok(_) => continue,
                Err(error) => error!(error = format!("{error:#}"), "indexing failed; will retry"),
            }
            tokio::select! {
                _ = wakeup.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Indexes one batch from the queue; returns how many cases it indexed.
    pub async fn drain(&self) -> anyhow::Result<usize> {
        let tickets = self
            .store
            .index_backlog(BATCH)
            .await
            .context("reading the index queue")?;
        if tickets.is_empty() {
            return Ok(0);
        }
        let ids: Vec<_> = tickets.iter().map(|ticket| ticket.case_id).collect();
        let cases = self
            .store
            .cases_by_ids(&ids)
            .await
            .context("loading cases to index")?;
        self.write(cases).await?;
        self.purge_if_anonymised(&ids).await?;
        self.store
            .acknowledge_indexed(&tickets)
            .await
            .context("acknowledging indexed cases")?;
        Ok(tickets.len())
    }

    /// Empties the index and indexes every case again, in batches.
    pub async fn rebuild(&self) -> anyhow::Result<usize> {
        self.rebuild_reporting(|_| {}).await
    }

    /// As [`Indexer::rebuild`], telling `indexed` how many cases each batch wrote
    /// (for a progress bar; `Store::case_count` gives the total to expect).
    pub async fn rebuild_reporting(&self, mut indexed: impl FnMut(usize)) -> anyhow::Result<usize> {
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.clear())
            .await
            .context("index task panicked")?
            .context("clearing the index")?;
        let mut after = 0;
        let mut total = 0;
        loop {
            let ids = self
                .store
                .case_ids_after(after, BATCH)
                .await
                .context("listing cases")?;
            let Some(last) = ids.last() else {
                break;
            };
            after = last.0;
            let cases = self
                .store
                .cases_by_ids(&ids)
                .await
                .context("loading cases")?;
            let written = cases.len();
            self.write(cases).await?;
            total += written;
            indexed(written);
        }
        info!(cases = total, "search index rebuilt");
        Ok(total)
    }

    /// After indexing anonymised cases, rewrites the index segments that still hold
    /// their old documents: search must forget their words on disk too. Before the
    /// acknowledgement, so a failure indexes and purges again.
    async fn purge_if_anonymised(&self, ids: &[CaseId]) -> anyhow::Result<()> {
        let anonymised = self
            .store
            .anonymised_among(ids)
            .await
            .context("looking for anonymised cases")?;
        if anonymised.is_empty() {
            return Ok(());
        }
        let index = Arc::clone(&self.index);
        tokio::task::spawn_blocking(move || index.purge_deleted())
            .await
            .context("index task panicked")?
            .context("purging deleted documents from the index")?;
        Ok(())
    }

    async fn write(&self, cases: Vec<CaseRecord>) -> anyhow::Result<()> {
        let (merged, current): (Vec<_>, Vec<_>) =
            cases.iter().partition(|case| case.merged_into.is_some());
        let documents: Vec<CaseDocument> = current.into_iter().map(document_for).collect();
        let removed: Vec<i64> = merged.iter().map(|case| case.id.0).collect();
        let index = Arc::clone(&self.index);
        let started = Instant::now();
        tokio::task::spawn_blocking(move || index.replace(&documents, &removed))
            .await
            .context("index task panicked")?
            .context("writing to the index")?;
        crate::telemetry::record_index_commit(cases.len(), started.elapsed());
        Ok(())
    }
}

fn document_for(case: &CaseRecord) -> CaseDocument {
    CaseDocument {
        case_id: case.id.0,
        reference: case.reference.to_string(),
        title: case.title.clone(),
        description: case.description.clone(),
        category_code: case.category_code.clone(),
        unit_code: case.unit_code.clone(),
        status: case.status.code().to_owned(),
        channel: case.channel.code().to_owned(),
        language: case.language.or(case.stated_language),
        created_at: case.created_at,
    }
}
