//! The live queue's source: one poller per API process follows the change log
//! (`Store::case_changes_after`) and passes every change, with the case as it now
//! stands, to the subscriptions of this process over a broadcast channel; each
//! subscription keeps what its caller may see.
//!
//! The change log rather than an in-process channel, because changes come from other
//! processes too (`palaute worker`, a second `serve`). A change made through this
//! process's API wakes the poller at once; others are found within the poll interval.

mod cursor;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use async_graphql::BatchRequest;
use async_graphql::parser::types::OperationType;
use palaute_core::CaseId;
use palaute_core::settings::LiveSettings;
use palaute_store::{CaseChange, CaseRecord, Store, StoreError};
use tokio::sync::{Notify, broadcast, watch};
use tracing::warn;

use self::cursor::Cursor;

/// Changes one subscription may fall behind before it is closed with an error.
const BROADCAST_CAPACITY: usize = 1_024;
/// Changes read from the log at once.
const BATCH: u64 = 500;
/// How long an event id skipped in the log is looked for again (see `cursor`).
const GAP_WAIT: Duration = Duration::from_secs(30);

/// One change, with the case as it stood when the poller read it (`None` if the case
/// is gone).
#[derive(Debug)]
pub(crate) struct LiveChange {
    pub change: CaseChange,
    pub case: Option<CaseRecord>,
}

/// The handle subscriptions listen on and mutations nudge; cheap to clone.
#[derive(Clone, Debug)]
pub struct LiveFeed {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    sender: broadcast::Sender<Arc<LiveChange>>,
    wake: Notify,
}

impl LiveFeed {
    /// Starts following the change log from its newest event (what happened before
    /// this process started is in `cases`), until `stopped` turns true.
    pub async fn start(
        store: Store,
        settings: &LiveSettings,
        stopped: watch::Receiver<bool>,
    ) -> Result<(LiveFeed, tokio::task::JoinHandle<()>), StoreError> {
        let newest = store.latest_case_event_id().await?;
        let (sender, _) = broadcast::channel(BROADCAST_CAPACITY);
        let feed = LiveFeed {
            inner: Arc::new(Inner {
                sender,
                wake: Notify::new(),
            }),
        };
        let poller = Poller {
            store,
            cursor: Cursor::new(newest, GAP_WAIT),
            inner: Arc::clone(&feed.inner),
            interval: settings.poll_interval(),
        };
        let task = tokio::spawn(poller.run(stopped));
        Ok((feed, task))
    }

    /// A change was just made through this process: read the log now.
    pub fn changed(&self) {
        self.inner.wake.notify_one();
    }

    pub(crate) fn subscribe(&self) -> broadcast::Receiver<Arc<LiveChange>> {
        self.inner.sender.subscribe()
    }
}

struct Poller {
    store: Store,
    cursor: Cursor,
    inner: Arc<Inner>,
    interval: Duration,
}

impl Poller {
    async fn run(mut self, mut stopped: watch::Receiver<bool>) {
        loop {
            if let Err(error) = self.drain().await {
                // The cursor did not move: the next round reads the same changes.
                warn!(%error, "could not read the change log for the live queue");
            }
            tokio::select! {
                () = self.inner.wake.notified() => {}
                () = tokio::time::sleep(self.interval) => {}
                _ = stopped.wait_for(|stop| *stop) => return,
            }
        }
    }

    /// Passes on every change in the log that is new to this process.
    async fn drain(&mut self) -> Result<(), StoreError> {
        loop {
            let now = Instant::now();
            let skipped = self.cursor.pending(now);
            let changes = self
                .store
                .case_changes_after(self.cursor.after(), &skipped, BATCH)
                .await?;
            let read = changes.len();
            if read == 0 {
                return Ok(());
            }
            // Nobody listening: move on without loading cases.
            let listening = self.inner.sender.receiver_count() > 0;
            let mut cases = if listening {
                self.load_cases(&changes).await?
            } else {
                HashMap::new()
            };
            for change in changes {
                if !self.cursor.advance(change.event_id, now) || !listening {
                    continue;
                }
                // The newest state of the case serves every change of it in this batch.
                let case = cases.get(&change.case_id).cloned();
                let _ = self
                    .inner
                    .sender
                    .send(Arc::new(LiveChange { change, case }));
            }
            cases.clear();
            if (read as u64) < BATCH {
                return Ok(());
            }
        }
    }

    async fn load_cases(
        &self,
        changes: &[CaseChange],
    ) -> Result<HashMap<CaseId, CaseRecord>, StoreError> {
        let mut ids: Vec<CaseId> = changes.iter().map(|change| change.case_id).collect();
        ids.sort_by_key(|id| id.0);
        ids.dedup();
        let cases = self.store.cases_by_ids(&ids).await?;
        Ok(cases.into_iter().map(|case| (case.id, case)).collect())
    }
}

/// Whether a request changes something, so the feed should look at once.
pub(crate) fn mutates(batch: &mut BatchRequest) -> bool {
    batch.iter_mut().any(|request| {
        request.parsed_query().is_ok_and(|document| {
            document
                .operations
                .iter()
                .any(|(_, operation)| operation.node.ty == OperationType::Mutation)
        })
    })
}
