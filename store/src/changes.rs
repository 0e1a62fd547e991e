//! The change feed: every case change writes a timeline event (`case_events`, ids
//! increasing), so "the events after id N" is a log of changes that any process can
//! follow, whichever process wrote them. The live queue reads it.
//!
//! On PostgreSQL ids are handed out when a row is inserted, not when its transaction
//! commits, so a reader may see id 7 before id 6 commits. Callers therefore ask for
//! the ids they skipped again (`also`) for a while; see `api`'s live feed.

use chrono::{DateTime, Utc};
use palaute_core::CaseId;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::db::Store;
use crate::entity::case_event;
use crate::error::{DbContext, StoreError};

/// One change of one case, as the feed reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseChange {
    /// The timeline event's id: the feed's position.
    pub event_id: i64,
    pub case_id: CaseId,
    /// The timeline event's kind (`received`, `routed`, `assigned`, …).
    pub kind: String,
    pub actor: String,
    pub at: DateTime<Utc>,
    /// The unit the case had before this change, when the change moved it (a
    /// reassignment, a return to triage): a subscriber of that unit is told the case
    /// left.
    pub unit_before: Option<String>,
}

impl Store {
    /// The newest event id, or 0 when there is none: where a feed reader starts.
    pub async fn latest_case_event_id(&self) -> Result<i64, StoreError> {
        let newest: Option<i64> = case_event::Entity::find()
            .select_only()
            .column_as(case_event::Column::Id.max(), "newest")
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await
            .context("reading the newest timeline event id")?
            .flatten();
        Ok(newest.unwrap_or(0))
    }

    /// Up to `limit` changes with an id above `after`, or one of the ids in `also`
    /// (skipped earlier, perhaps committed since), in id order.
    pub async fn case_changes_after(
        &self,
        after: i64,
        also: &[i64],
        limit: u64,
    ) -> Result<Vec<CaseChange>, StoreError> {
        let mut wanted = Condition::any().add(case_event::Column::Id.gt(after));
        if !also.is_empty() {
            wanted = wanted.add(case_event::Column::Id.is_in(also.iter().copied()));
        }
        let rows = case_event::Entity::find()
            .filter(wanted)
            .order_by_asc(case_event::Column::Id)
            .limit(limit.max(1))
            .all(&self.db)
            .await
            .context("reading the change feed")?;
        Ok(rows.into_iter().map(CaseChange::from).collect())
    }
}

impl From<case_event::Model> for CaseChange {
    fn from(row: case_event::Model) -> Self {
        let unit_before = serde_json::from_str::<serde_json::Value>(&row.detail)
            .ok()
            .and_then(|detail| {
                detail
                    .get("before")?
                    .get("unit")?
                    .as_str()
                    .map(str::to_owned)
            });
        Self {
            event_id: row.id,
            case_id: CaseId(row.case_id),
            kind: row.kind,
            actor: row.actor,
            at: row.created_at,
            unit_before,
        }
    }
}
