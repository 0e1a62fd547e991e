//! Staff moving a case to another unit (or assigning one from triage). The change, its
//! timeline event, the training example it makes and the job that notifies the new
//! unit are written in one transaction.

use chrono::{DateTime, Utc};
use palaute_core::workflow::{ActionError, StaffAction};
use palaute_core::{CaseId, CaseStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DatabaseTransaction, DbBackend, EntityTrait, QueryFilter};
use serde_json::json;

use crate::cases::{insert_event, parse_status};
use crate::db::Store;
use crate::entity::case;
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};
use crate::routing_models::record_staff_decision;
use crate::search_queue::mark_for_indexing;
use crate::workflow::lock_case;

/// A staff decision about where a case belongs.
#[derive(Debug, Clone)]
pub struct Reassignment {
    pub case_id: CaseId,
    /// The version the decision was made against.
    pub version: i64,
    pub unit_code: String,
    /// `None` keeps the case's category.
    pub category_code: Option<String>,
    /// Who decided, for the timeline.
    pub actor: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Reassigned {
    /// Moved; the new unit is notified by the job queued with it.
    Moved {
        event_id: i64,
        version: i64,
    },
    /// The case was already with that unit and category: nothing changed.
    Unchanged,
    /// The case changed since the decision was made.
    Conflict {
        current_version: i64,
    },
    /// The workflow does not allow it (still being routed, or finished).
    Refused(ActionError),
    NotFound,
}

impl Store {
    pub async fn reassign_case(
        &self,
        reassignment: &Reassignment,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Reassigned, StoreError> {
        let txn = self.begin_write().await?;
        let outcome =
            apply_reassignment(&txn, self.backend(), reassignment, max_attempts, now).await?;
        if matches!(outcome, Reassigned::Moved { .. }) {
            txn.commit().await.context("committing a reassignment")?;
        }
        Ok(outcome)
    }

    /// Queues emails for a case outside routing (a reassigned case's new unit), each
    /// with its delivery job; an email already queued for the same occasion is skipped.
    pub async fn queue_case_emails(
        &self,
        case_id: CaseId,
        emails: &[crate::NewEmail],
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        crate::cases::queue_emails(&txn, case_id, emails, max_attempts, now).await?;
        txn.commit().await.context("committing queued emails")
    }
}

/// Checks and applies a reassignment inside `txn`; the caller commits.
pub(crate) async fn apply_reassignment(
    txn: &DatabaseTransaction,
    backend: DbBackend,
    reassignment: &Reassignment,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<Reassigned, StoreError> {
    let Some(current) = lock_case(txn, backend, reassignment.case_id).await? else {
        return Ok(Reassigned::NotFound);
    };
    if current.version != reassignment.version {
        return Ok(Reassigned::Conflict {
            current_version: current.version,
        });
    }
    let status = parse_status(&current.status)?;
    if let Err(refused) = StaffAction::Reassign.check(status) {
        return Ok(Reassigned::Refused(refused));
    }
    if let Err(refused) = status.check_move(CaseStatus::Routed) {
        return Ok(Reassigned::Refused(refused.into()));
    }
    let category_code = reassignment
        .category_code
        .clone()
        .or_else(|| current.category_code.clone());
    let same_unit = current.unit_code.as_deref() == Some(reassignment.unit_code.as_str());
    if same_unit && current.category_code == category_code && status == CaseStatus::Routed {
        return Ok(Reassigned::Unchanged);
    }
    let version = current.version + 1;
    let mut update = case::Entity::update_many()
        .col_expr(
            case::Column::UnitCode,
            Expr::value(reassignment.unit_code.clone()),
        )
        .col_expr(
            case::Column::CategoryCode,
            Expr::value(category_code.clone()),
        )
        .col_expr(case::Column::Status, Expr::value(CaseStatus::Routed.code()))
        .col_expr(
            case::Column::RoutingReason,
            Expr::value(format!("assigned by {}", reassignment.actor)),
        )
        .col_expr(case::Column::RoutingConfidence, Expr::value(1.0f64))
        .col_expr(case::Column::Version, Expr::value(version))
        .col_expr(case::Column::UpdatedAt, Expr::value(now));
    if !same_unit {
        // The old unit's handler does not work the new unit's cases.
        update = update.col_expr(case::Column::AssigneeId, Expr::value(None::<i64>));
    }
    update
        .filter(case::Column::Id.eq(current.id))
        .exec(txn)
        .await
        .context("moving a case")?;
    let event_id = insert_event(
        txn,
        current.id,
        "reassigned",
        &reassignment.actor,
        json!({
            "before": {
                "status": current.status,
                "unit": current.unit_code,
                "category": current.category_code,
            },
            "after": {
                "status": CaseStatus::Routed.code(),
                "unit": reassignment.unit_code,
                "category": category_code,
            },
            "note": reassignment.note,
        }),
        now,
    )
    .await?;
    record_staff_decision(
        txn,
        &current,
        &reassignment.unit_code,
        category_code.as_deref(),
        now,
    )
    .await?;
    enqueue_job(
        txn,
        JobKind::NotifyUnit,
        json!({ "case_id": current.id, "event_id": event_id }),
        Some(current.id),
        max_attempts,
        now,
    )
    .await?;
    mark_for_indexing(txn, current.id, now).await?;
    Ok(Reassigned::Moved { event_id, version })
}
