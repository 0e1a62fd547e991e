//! Staff moving a case to another unit (or assigning one from triage). The change, its
//! timeline event, the training example it makes and the job that notifies the new
//! unit are written in one transaction.

use chrono::{DateTime, Utc};
use palaute_core::{CaseId, CaseStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, DbBackend, EntityTrait, QueryFilter, QuerySelect};
use serde_json::json;

use crate::cases::insert_event;
use crate::db::Store;
use crate::entity::case;
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};
use crate::routing_models::record_staff_decision;
use crate::search_queue::mark_for_indexing;

/// A staff decision about where a case belongs.
#[derive(Debug, Clone)]
pub struct Reassignment {
    pub case_id: CaseId,
    pub unit_code: String,
    /// `None` keeps the case's category.
    pub category_code: Option<String>,
    /// Who decided, for the timeline.
    pub actor: String,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reassigned {
    /// Moved; the new unit is notified by the job queued with it.
    Moved {
        event_id: i64,
    },
    /// The case was already with that unit and category: nothing changed.
    Unchanged,
    /// The pipeline has not routed the case yet; moving it now would skip the
    /// resident's acknowledgement.
    StillNew,
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
        let mut query = case::Entity::find_by_id(reassignment.case_id.0);
        if self.backend() == DbBackend::Postgres {
            // SQLite's BEGIN IMMEDIATE already holds the write lock.
            query = query.lock_exclusive();
        }
        let Some(current) = query.one(&txn).await.context("loading a case to move")? else {
            return Ok(Reassigned::NotFound);
        };
        if current.status == CaseStatus::New.code() {
            return Ok(Reassigned::StillNew);
        }
        let category_code = reassignment
            .category_code
            .clone()
            .or_else(|| current.category_code.clone());
        if current.unit_code.as_deref() == Some(reassignment.unit_code.as_str())
            && current.category_code == category_code
            && current.status == CaseStatus::Routed.code()
        {
            return Ok(Reassigned::Unchanged);
        }
        case::Entity::update_many()
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
            .col_expr(case::Column::UpdatedAt, Expr::value(now))
            .filter(case::Column::Id.eq(current.id))
            .exec(&txn)
            .await
            .context("moving a case")?;
        let event_id = insert_event(
            &txn,
            current.id,
            "reassigned",
            &reassignment.actor,
            json!({
                "from_unit": current.unit_code,
                "to_unit": reassignment.unit_code,
                "from_category": current.category_code,
                "to_category": category_code,
                "from_status": current.status,
                "note": reassignment.note,
            }),
            now,
        )
        .await?;
        record_staff_decision(
            &txn,
            &current,
            &reassignment.unit_code,
            category_code.as_deref(),
            now,
        )
        .await?;
        enqueue_job(
            &txn,
            JobKind::NotifyUnit,
            json!({ "case_id": current.id, "event_id": event_id }),
            Some(current.id),
            max_attempts,
            now,
        )
        .await?;
        mark_for_indexing(&txn, current.id, now).await?;
        txn.commit().await.context("committing a reassignment")?;
        Ok(Reassigned::Moved { event_id })
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
