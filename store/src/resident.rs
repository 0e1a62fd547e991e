//! What a resident does with their own case after it is resolved: reopen it within a
//! window (the matter was not fixed after all), or answer one satisfaction question.
//! The caller has checked the resident's tracking token; each action is one
//! transaction with its timeline event.

use chrono::{DateTime, Duration, Utc};
use palaute_core::{CaseId, CaseStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::json;

use crate::cases::{CaseRecord, insert_event, parse_status};
use crate::db::Store;
use crate::entity::case;
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};
use crate::search_queue::mark_for_indexing;
use crate::workflow::{lock_case, reload_case};

/// Why a resident's action was not taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentRefusal {
    #[error("only a resolved case can be reopened")]
    NotResolved,
    #[error("the case was resolved more than {days} days ago; please give new feedback")]
    WindowPassed { days: i64 },
    #[error("the satisfaction question opens once the case is resolved")]
    NotFinished,
    #[error("this case has been rated already")]
    AlreadyRated,
    #[error("the case was merged into another; follow that one")]
    Merged,
}

/// The case as the action left it, or why it was not taken.
pub type ResidentOutcome = Result<CaseRecord, ResidentRefusal>;

impl Store {
    /// Reopens a resolved case (IN_PROGRESS again) if it was resolved within
    /// `window`; its unit is emailed.
    pub async fn reopen_by_resident(
        &self,
        id: CaseId,
        reason: &str,
        window: Duration,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Option<ResidentOutcome>, StoreError> {
        let txn = self.begin_write().await?;
        let Some(current) = lock_case(&txn, self.backend(), id).await? else {
            return Ok(None);
        };
        if current.merged_into_id.is_some() {
            return Ok(Some(Err(ResidentRefusal::Merged)));
        }
        if parse_status(&current.status)? != CaseStatus::Resolved {
            return Ok(Some(Err(ResidentRefusal::NotResolved)));
        }
        let resolved_at = current.resolved_at.unwrap_or(current.updated_at);
        if now - resolved_at > window {
            return Ok(Some(Err(ResidentRefusal::WindowPassed {
                days: window.num_days(),
            })));
        }
        case::Entity::update_many()
            .col_expr(
                case::Column::Status,
                Expr::value(CaseStatus::InProgress.code()),
            )
            .col_expr(case::Column::ResolvedAt, Expr::value(None::<DateTime<Utc>>))
            .col_expr(case::Column::Version, Expr::value(current.version + 1))
            .col_expr(case::Column::UpdatedAt, Expr::value(now))
            .filter(case::Column::Id.eq(current.id))
            .exec(&txn)
            .await
            .context("reopening a case")?;
        let event_id = insert_event(
            &txn,
            current.id,
            "reopened",
            "resident",
            json!({
                "before": { "status": CaseStatus::Resolved.code() },
                "after": { "status": CaseStatus::InProgress.code() },
                "note": reason,
            }),
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
        let changed = reload_case(&txn, CaseId(current.id)).await?;
        txn.commit().await.context("committing a reopening")?;
        Ok(Some(Ok(changed)))
    }

    /// Records the resident's one satisfaction answer on a resolved or closed case.
    pub async fn rate_by_resident(
        &self,
        id: CaseId,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Option<ResidentOutcome>, StoreError> {
        let txn = self.begin_write().await?;
        let Some(current) = lock_case(&txn, self.backend(), id).await? else {
            return Ok(None);
        };
        if current.merged_into_id.is_some() {
            return Ok(Some(Err(ResidentRefusal::Merged)));
        }
        if !parse_status(&current.status)?.is_finished() {
            return Ok(Some(Err(ResidentRefusal::NotFinished)));
        }
        if current.satisfaction_score.is_some() {
            return Ok(Some(Err(ResidentRefusal::AlreadyRated)));
        }
        case::Entity::update_many()
            .col_expr(
                case::Column::SatisfactionScore,
                Expr::value(i16::from(score)),
            )
            .col_expr(case::Column::SatisfactionComment, Expr::value(comment))
            .col_expr(case::Column::RatedAt, Expr::value(now))
            .col_expr(case::Column::Version, Expr::value(current.version + 1))
            .col_expr(case::Column::UpdatedAt, Expr::value(now))
            .filter(case::Column::Id.eq(current.id))
            .exec(&txn)
            .await
            .context("recording a satisfaction answer")?;
        insert_event(
            &txn,
            current.id,
            "rated",
            "resident",
            json!({ "after": { "score": score }, "note": comment }),
            now,
        )
        .await?;
        let changed = reload_case(&txn, CaseId(current.id)).await?;
        txn.commit()
            .await
            .context("committing a satisfaction answer")?;
        Ok(Some(Ok(changed)))
    }
}
