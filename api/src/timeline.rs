//! A case's timeline as staff read it: every change with who made it, when, and the
//! fields before and after; paged as a Relay connection, oldest first.

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Json, SimpleObject};
use chrono::{DateTime, Utc};
use palaute_core::CaseId;
use palaute_store::{CaseEvent, Store};
use serde_json::Value;

use crate::errors::{bad_input, from_store};

const DEFAULT_EVENTS: u64 = 50;
const MAX_EVENTS: u64 = 200;

#[derive(SimpleObject)]
/// One entry of a case's timeline.
pub struct TimelineEvent {
    /// `received`, `routed`, `needs_triage`, `assigned`, `status_changed`,
    /// `reopened`, `internal_note`, `replied`, `returned_to_triage`, `reassigned`,
    /// `resident_message` (the resident wrote by email), `email_bounced`, `email_failed`, …
    pub kind: String,
    /// `resident`, `system`, `staff:<email>` (a person, never a shared name), or
    /// `email:<address>` for mail from someone who is neither the resident nor staff.
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The changed fields before the event (null for events that change nothing).
    pub before: Option<Json<Value>>,
    /// The changed fields after it, or what the pipeline decided.
    pub after: Option<Json<Value>>,
    /// The note, reason or reply text that came with it.
    pub note: Option<String>,
    /// The event's details as stored, as a JSON object.
    pub detail: String,
}

#[derive(SimpleObject)]
pub struct TimelineFields {
    pub total_count: u64,
}

pub type TimelineConnection = Connection<String, TimelineEvent, TimelineFields, EmptyFields>;

impl From<CaseEvent> for TimelineEvent {
    fn from(event: CaseEvent) -> Self {
        let field = |name: &str| event.detail.get(name).filter(|value| !value.is_null());
        let before = field("before").cloned().map(Json);
        // Pipeline events record only what they decided.
        let after = field("after")
            .cloned()
            .or_else(|| before.is_none().then(|| event.detail.clone()))
            .map(Json);
        let note = field("note").and_then(Value::as_str).map(str::to_owned);
        Self {
            kind: event.kind,
            actor: event.actor,
            at: event.created_at,
            before,
            after,
            note,
            detail: event.detail.to_string(),
        }
    }
}

/// The page of `case`'s timeline after the cursor `after`.
pub(crate) async fn timeline_page(
    ctx: &Context<'_>,
    case: CaseId,
    first: Option<i32>,
    after: Option<String>,
) -> async_graphql::Result<TimelineConnection> {
    let first = match first {
        None => DEFAULT_EVENTS,
        Some(first) => u64::try_from(first)
            .ok()
            .filter(|first| (1..=MAX_EVENTS).contains(first))
            .ok_or_else(|| bad_input("first", format!("first must be 1 to {MAX_EVENTS}")))?,
    };
    let after = after
        .map(|cursor| {
            cursor
                .parse::<i64>()
                .map_err(|_| bad_input("after", "not a cursor from this connection"))
        })
        .transpose()?;
    let store = ctx.data_unchecked::<Store>();
    let (events, total_count, has_next) = store
        .case_events_page(case, first, after)
        .await
        .map_err(|error| from_store("loading a timeline", error))?;
    let mut connection = Connection::with_additional_fields(
        after.is_some(),
        has_next,
        TimelineFields { total_count },
    );
    connection.edges.extend(
        events
            .into_iter()
            .map(|event| Edge::new(event.id.to_string(), TimelineEvent::from(event))),
    );
    Ok(connection)
}
