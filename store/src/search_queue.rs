//! The queue of cases whose search document is stale. Every change to a case marks it
//! in the same transaction; the indexer drains the queue in batches, commits the index,
//! then acknowledges exactly the versions it indexed, so a change made meanwhile stays
//! queued and a crash before the acknowledgement only means indexing again.

use chrono::{DateTime, Utc};
use palaute_core::CaseId;
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseTransaction, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use crate::db::Store;
use crate::entity::{case, index_queue};
use crate::error::{DbContext, StoreError};

/// A case waiting to be indexed, at the version the indexer saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexTicket {
    pub case_id: CaseId,
    pub version: i64,
}

pub(crate) async fn mark_for_indexing(
    txn: &DatabaseTransaction,
    case_id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    index_queue::Entity::insert(index_queue::ActiveModel {
        case_id: Set(case_id),
        version: Set(1),
        enqueued_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(index_queue::Column::CaseId)
            .value(
                index_queue::Column::Version,
                Expr::col((index_queue::Entity, index_queue::Column::Version)).add(1),
            )
            .update_column(index_queue::Column::EnqueuedAt)
            .to_owned(),
    )
    .exec(txn)
    .await
    .context("queueing a case for indexing")?;
    Ok(())
}

impl Store {
    /// How many cases there are: what a rebuild of the index goes through.
    pub async fn case_count(&self) -> Result<u64, StoreError> {
        case::Entity::find()
            .count(&self.db)
            .await
            .context("counting cases")
    }

    /// Up to `limit` cases waiting to be indexed, oldest first.
    pub async fn index_backlog(&self, limit: u64) -> Result<Vec<IndexTicket>, StoreError> {
        let rows = index_queue::Entity::find()
            .order_by_asc(index_queue::Column::EnqueuedAt)
            .order_by_asc(index_queue::Column::CaseId)
            .limit(limit)
            .all(&self.db)
            .await
            .context("reading the index queue")?;
        Ok(rows
            .into_iter()
            .map(|row| IndexTicket {
                case_id: CaseId(row.case_id),
                version: row.version,
            })
            .collect())
    }

    /// Removes the tickets whose version has not changed since they were read.
    pub async fn acknowledge_indexed(&self, tickets: &[IndexTicket]) -> Result<(), StoreError> {
        if tickets.is_empty() {
            return Ok(());
        }
        let mut condition = Condition::any();
        for ticket in tickets {
            condition = condition.add(
                Condition::all()
                    .add(index_queue::Column::CaseId.eq(ticket.case_id.0))
                    .add(index_queue::Column::Version.eq(ticket.version)),
            );
        }
        index_queue::Entity::delete_many()
            .filter(condition)
            .exec(&self.db)
            .await
            .context("acknowledging indexed cases")?;
        Ok(())
    }
}
