//! Subscriptions: the live queue. Each subscription filters the process's change
//! feed (`live.rs`) by its caller's scope and the units asked for; the case comes
//! with every change, so a queue view updates without asking again.

use std::collections::{BTreeSet, HashSet, VecDeque};
use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, ID, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::Stream;
use palaute_core::{CaseId, Organisation, Scope};
use palaute_store::CaseRecord;
use tokio::sync::broadcast::Receiver;
use tokio::sync::broadcast::error::RecvError;

use crate::auth::require_staff;
use crate::errors::{Code, bad_input, coded};
use crate::live::{LiveChange, LiveFeed};
use crate::types::CaseView;

/// Cases one subscription remembers having shown, to say when one leaves its scope.
const REMEMBERED_CASES: usize = 10_000;

pub struct SubscriptionRoot;

#[Subscription(name = "Subscription")]
impl SubscriptionRoot {
    /// New and changed cases as they happen, over the WebSocket at `/graphql/ws`.
    /// Staff only, within the caller's scope, and among `unitCodes` when given. A
    /// case that moves out of them is announced once more without its content
    /// (`leftScope`), then no longer. A subscription that falls too far behind is
    /// ended with an error: subscribe again and reload the queue.
    async fn case_events(
        &self,
        ctx: &Context<'_>,
        unit_codes: Option<Vec<String>>,
    ) -> async_graphql::Result<impl Stream<Item = async_graphql::Result<LiveCaseEvent>> + use<>>
    {
        let scope = require_staff(ctx)?.scope();
        let units = match unit_codes {
            Some(codes) => Some(known_units(ctx, codes)?),
            None => None,
        };
        let feed = ctx
            .data_opt::<LiveFeed>()
            .ok_or_else(|| coded(Code::Internal, "subscriptions are served at /graphql/ws"))?;
        let watch = Watch {
            receiver: feed.subscribe(),
            scope,
            units,
            shown: Shown::default(),
            finished: false,
        };
        Ok(futures::stream::unfold(watch, |mut watch| async move {
            let item = watch.next().await?;
            Some((item, watch))
        }))
    }
}

fn known_units(ctx: &Context<'_>, codes: Vec<String>) -> async_graphql::Result<BTreeSet<String>> {
    if codes.is_empty() {
        return Err(bad_input(
            "unitCodes",
            "name at least one unit, or leave unitCodes out for every unit you see",
        ));
    }
    let organisation = ctx.data_unchecked::<Arc<Organisation>>();
    codes
        .into_iter()
        .map(|code| {
            let code = code.trim().to_owned();
            if organisation.units.iter().any(|unit| unit.code == code) {
                Ok(code)
            } else {
                Err(bad_input("unitCodes", format!("no unit {code:?}")))
            }
        })
        .collect()
}

#[derive(SimpleObject)]
/// One change of a case, as the live queue delivers it.
pub struct LiveCaseEvent {
    /// The change's place in the change log: increasing, though a change committed
    /// late may arrive after a newer one.
    pub event_id: ID,
    /// The timeline event's kind: `received`, `routed`, `assigned`, `status_changed`, …
    pub kind: String,
    /// `resident`, `system`, `staff:<email>` or `email:<address>`.
    pub actor: String,
    pub at: DateTime<Utc>,
    pub reference: String,
    /// True when this change took the case out of your scope or the units you asked
    /// for: the last word about it, without `case`.
    pub left_scope: bool,
    /// The case as it stands now; null when `leftScope`.
    pub case: Option<CaseView>,
}

impl LiveCaseEvent {
    fn new(live: &LiveChange, case: &CaseRecord, shown: bool) -> Self {
        Self {
            event_id: ID(live.change.event_id.to_string()),
            kind: live.change.kind.clone(),
            actor: live.change.actor.clone(),
            at: live.change.at,
            reference: case.reference.to_string(),
            left_scope: !shown,
            case: shown.then(|| CaseView(case.clone())),
        }
    }
}

/// One subscription's filter over the feed.
struct Watch {
    receiver: Receiver<Arc<LiveChange>>,
    scope: Scope,
    units: Option<BTreeSet<String>>,
    shown: Shown,
    finished: bool,
}

impl Watch {
    async fn next(&mut self) -> Option<async_graphql::Result<LiveCaseEvent>> {
        if self.finished {
            return None;
        }
        loop {
            match self.receiver.recv().await {
                Ok(live) => {
                    if let Some(item) = self.item(&live) {
                        return Some(Ok(item));
                    }
                }
                Err(RecvError::Lagged(missed)) => {
                    // Never a silent gap: the client learns it missed changes.
                    self.finished = true;
                    let error = coded(
                        Code::Internal,
                        format!(
                            "this subscription fell {missed} changes behind and was ended; \
                             subscribe again and reload the queue"
                        ),
                    )
                    .extend_with(|_, extensions| extensions.set("missed", missed));
                    return Some(Err(error));
                }
                // The process is shutting down.
                Err(RecvError::Closed) => return None,
            }
        }
    }

    fn item(&mut self, live: &LiveChange) -> Option<LiveCaseEvent> {
        let case = live.case.as_ref()?;
        if self.sees(case.unit_code.as_deref()) {
            self.shown.insert(case.id);
            return Some(LiveCaseEvent::new(live, case, true));
        }
        let was_seen = self.shown.remove(case.id)
            || live
                .change
                .unit_before
                .as_deref()
                .is_some_and(|unit| self.sees(Some(unit)));
        was_seen.then(|| LiveCaseEvent::new(live, case, false))
    }

    fn sees(&self, unit: Option<&str>) -> bool {
        self.scope.covers(unit)
            && self
                .units
                .as_ref()
                .is_none_or(|units| unit.is_some_and(|unit| units.contains(unit)))
    }
}

/// The cases a subscription has shown, the oldest forgotten past a bound.
#[derive(Default)]
struct Shown {
    set: HashSet<CaseId>,
    order: VecDeque<CaseId>,
}

impl Shown {
    fn insert(&mut self, id: CaseId) {
        if self.set.insert(id) {
            self.order.push_back(id);
        }
        while self.order.len() > REMEMBERED_CASES {
            if let Some(oldest) = self.order.pop_front() {
                self.set.remove(&oldest);
            }
        }
    }

    fn remove(&mut self, id: CaseId) -> bool {
        let removed = self.set.remove(&id);
        if removed {
            self.order.retain(|shown| *shown != id);
        }
        removed
    }
}
