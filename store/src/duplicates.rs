//! Cases about the same matter: merging a duplicate into the case that is kept (the
//! duplicate is closed, leaves lists, counts and search, and its resident is told where
//! the matter is handled), and linking related cases both ways. Each is one
//! transaction with the timeline events on both cases.

use chrono::{DateTime, Utc};
use palaute_core::workflow::ActionError;
use palaute_core::{CaseId, CaseStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::json;

use crate::cases::{CaseRecord, insert_event, parse_status};
use crate::db::Store;
use crate::entity::{case, case_contact, case_link};
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};
use crate::search_queue::mark_for_indexing;
use crate::workflow::{Edited, lock_case, reload_case};

/// A case at the version its editor saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VersionedCase {
    pub id: CaseId,
    pub version: i64,
}

/// What became of a merge or a link: applied (the kept or first case, as it is now),
/// or the outcome for the side that stopped it.
#[derive(Debug, Clone, PartialEq)]
pub enum Related {
    Applied(Box<CaseRecord>),
    /// The duplicate (or the first case) could not be changed.
    First(Edited),
    /// The kept (or linked) case could not be changed.
    Second(Edited),
}

impl Store {
    /// Merges `duplicate` into `kept`.
    pub async fn merge_cases(
        &self,
        duplicate: VersionedCase,
        kept: VersionedCase,
        actor: &str,
        note: Option<&str>,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Related, StoreError> {
        if duplicate.id == kept.id {
            return Ok(Related::Second(Edited::Refused(ActionError::Other(
                "a case cannot be merged into itself".into(),
            ))));
        }
        let txn = self.begin_write().await?;
        let (first, second) = match self.lock_pair(&txn, duplicate, kept).await? {
            Ok(pair) => pair,
            Err(stopped) => return Ok(stopped),
        };
        for (row, side) in [(&first, 0), (&second, 1)] {
            let refused = if row.merged_into_id.is_some() {
                Some("it was merged into another case already")
            } else if row.status == CaseStatus::New.code() {
                Some("it is still being routed")
            } else {
                None
            };
            if let Some(reason) = refused {
                let outcome = Edited::Refused(ActionError::Other(format!(
                    "{} cannot be merged: {reason}",
                    row.reference
                )));
                return Ok(if side == 0 {
                    Related::First(outcome)
                } else {
                    Related::Second(outcome)
                });
            }
        }
        let status = parse_status(&first.status)?;
        case::Entity::update_many()
            .col_expr(case::Column::Status, Expr::value(CaseStatus::Closed.code()))
            .col_expr(case::Column::MergedIntoId, Expr::value(second.id))
            .col_expr(case::Column::AssigneeId, Expr::value(None::<i64>))
            .col_expr(case::Column::Version, Expr::value(first.version + 1))
            .col_expr(case::Column::UpdatedAt, Expr::value(now))
            .filter(case::Column::Id.eq(first.id))
            .exec(&txn)
            .await
            .context("closing a duplicate")?;
        bump(&txn, &second, now).await?;
        let event_id = insert_event(
            &txn,
            first.id,
            "merged_into",
            actor,
            json!({
                "before": { "status": status.code() },
                "after": { "status": CaseStatus::Closed.code(), "merged_into": second.reference },
                "note": note,
            }),
            now,
        )
        .await?;
        insert_event(
            &txn,
            second.id,
            "duplicate_merged",
            actor,
            json!({ "after": { "duplicate": first.reference }, "note": note }),
            now,
        )
        .await?;
        let resident_has_email = case_contact::Entity::find_by_id(first.id)
            .one(&txn)
            .await
            .context("checking the resident's address")?
            .is_some_and(|contact| contact.email.is_some());
        if resident_has_email {
            enqueue_job(
                &txn,
                JobKind::NotifyMerge,
                json!({ "case_id": first.id, "event_id": event_id }),
                Some(first.id),
                max_attempts,
                now,
            )
            .await?;
        }
        mark_for_indexing(&txn, first.id, now).await?;
        mark_for_indexing(&txn, second.id, now).await?;
        let kept = reload_case(&txn, CaseId(second.id)).await?;
        txn.commit().await.context("committing a merge")?;
        Ok(Related::Applied(Box::new(kept)))
    }

    /// Links two related cases; linking them again changes nothing.
    pub async fn link_cases(
        &self,
        case: VersionedCase,
        linked: VersionedCase,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Related, StoreError> {
        if case.id == linked.id {
            return Ok(Related::Second(Edited::Refused(ActionError::Other(
                "a case cannot be linked to itself".into(),
            ))));
        }
        let txn = self.begin_write().await?;
        let (first, second) = match self.lock_pair(&txn, case, linked).await? {
            Ok(pair) => pair,
            Err(stopped) => return Ok(stopped),
        };
        let exists = case_link::Entity::find_by_id((first.id, second.id))
            .one(&txn)
            .await
            .context("checking a link")?
            .is_some();
        if !exists {
            for (from, to) in [(&first, &second), (&second, &first)] {
                case_link::Entity::insert(case_link::ActiveModel {
                    case_id: Set(from.id),
                    linked_case_id: Set(to.id),
                    created_at: Set(now),
                })
                .exec(&txn)
                .await
                .context("linking cases")?;
                bump(&txn, from, now).await?;
                insert_event(
                    &txn,
                    from.id,
                    "linked",
                    actor,
                    json!({ "after": { "linked": to.reference } }),
                    now,
                )
                .await?;
            }
        }
        let first = reload_case(&txn, CaseId(first.id)).await?;
        txn.commit().await.context("committing a link")?;
        Ok(Related::Applied(Box::new(first)))
    }

    /// The cases linked to `id`, oldest link first.
    pub async fn linked_cases(&self, id: CaseId) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<i64> = case_link::Entity::find()
            .select_only()
            .column(case_link::Column::LinkedCaseId)
            .filter(case_link::Column::CaseId.eq(id.0))
            .order_by_asc(case_link::Column::CreatedAt)
            .into_tuple()
            .all(&self.db)
            .await
            .context("loading linked cases")?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// The duplicates merged into `id`, oldest first.
    pub async fn merged_duplicates(&self, id: CaseId) -> Result<Vec<CaseId>, StoreError> {
        let ids: Vec<i64> = case::Entity::find()
            .select_only()
            .column(case::Column::Id)
            .filter(case::Column::MergedIntoId.eq(id.0))
            .order_by_asc(case::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .context("loading merged duplicates")?;
        Ok(ids.into_iter().map(CaseId).collect())
    }

    /// Locks both cases (lower id first, so two merges never wait on each other in a
    /// circle) and checks both versions.
    async fn lock_pair(
        &self,
        txn: &DatabaseTransaction,
        first: VersionedCase,
        second: VersionedCase,
    ) -> Result<Result<(case::Model, case::Model), Related>, StoreError> {
        let mut order = [(first, 0), (second, 1)];
        order.sort_by_key(|(case, _)| case.id);
        let mut rows: [Option<case::Model>; 2] = [None, None];
        for (wanted, side) in order {
            let row = lock_case(txn, self.backend(), wanted.id).await?;
            let outcome = match &row {
                None => Some(Edited::NotFound),
                Some(row) if row.version != wanted.version => Some(Edited::Conflict {
                    current_version: row.version,
                }),
                Some(_) => None,
            };
            if let Some(outcome) = outcome {
                return Ok(Err(if side == 0 {
                    Related::First(outcome)
                } else {
                    Related::Second(outcome)
                }));
            }
            if let Some(slot) = rows.get_mut(side) {
                *slot = row;
            }
        }
        match rows {
            [Some(first), Some(second)] => Ok(Ok((first, second))),
            _ => Err(StoreError::Corrupt("a locked case vanished".into())),
        }
    }
}

async fn bump(
    txn: &DatabaseTransaction,
    row: &case::Model,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    case::Entity::update_many()
        .col_expr(case::Column::Version, Expr::value(row.version + 1))
        .col_expr(case::Column::UpdatedAt, Expr::value(now))
        .filter(case::Column::Id.eq(row.id))
        .exec(txn)
        .await
        .context("changing a related case")?;
    Ok(())
}
