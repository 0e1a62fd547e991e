//! What operators watch, read from the tables: the job queue's depth, cases by
//! status, how far the search index is behind, and whether migrations are current.
//! `/metrics` and `/readyz` ask these; they know no SQL themselves.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};
use sea_orm_migration::MigratorTrait;

use crate::db::Store;
use crate::entity::{case, index_queue, job};
use crate::error::{DbContext, StoreError};
use crate::jobs::JobStatus;
use crate::migration::Migrator;

/// The jobs waiting in the queue.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// Queued jobs (due now or later) per kind code, for the kinds that have any.
    pub queued_by_kind: Vec<(String, u64)>,
    /// When the job that has waited longest since it became due became due.
    pub oldest_due_at: Option<DateTime<Utc>>,
}

/// Cases whose search document is stale: changes not yet searchable.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IndexLag {
    pub waiting: u64,
    /// When the case that has waited longest was queued.
    pub oldest_since: Option<DateTime<Utc>>,
}

impl Store {
    /// Queued jobs per kind, and the oldest that is due at `now`.
    pub async fn queue_depth(&self, now: DateTime<Utc>) -> Result<QueueDepth, StoreError> {
        let queued = job::Column::Status.eq(JobStatus::Queued.code());
        let by_kind: Vec<(String, i64)> = job::Entity::find()
            .select_only()
            .column(job::Column::Kind)
            .column_as(Expr::col(job::Column::Id).count(), "queued")
            .filter(queued.clone())
            .group_by(job::Column::Kind)
            .into_tuple()
            .all(&self.db)
            .await
            .context("counting queued jobs by kind")?;
        let oldest_due_at: Option<DateTime<Utc>> = job::Entity::find()
            .select_only()
            .column_as(job::Column::RunAt.min(), "oldest")
            .filter(queued)
            .filter(job::Column::RunAt.lte(now))
            .into_tuple::<Option<DateTime<Utc>>>()
            .one(&self.db)
            .await
            .context("finding the oldest due job")?
            .flatten();
        Ok(QueueDepth {
            queued_by_kind: by_kind
                .into_iter()
                .map(|(kind, count)| (kind, count_of(count)))
                .collect(),
            oldest_due_at,
        })
    }

    /// How many cases there are in each status code that has any.
    pub async fn cases_by_status(&self) -> Result<Vec<(String, u64)>, StoreError> {
        let rows: Vec<(String, i64)> = case::Entity::find()
            .select_only()
            .column(case::Column::Status)
            .column_as(Expr::col(case::Column::Id).count(), "cases")
            .group_by(case::Column::Status)
            .into_tuple()
            .all(&self.db)
            .await
            .context("counting cases by status")?;
        Ok(rows
            .into_iter()
            .map(|(status, count)| (status, count_of(count)))
            .collect())
    }

    /// How far the search index is behind the database.
    pub async fn index_lag(&self) -> Result<IndexLag, StoreError> {
        let row: Option<(i64, Option<DateTime<Utc>>)> = index_queue::Entity::find()
            .select_only()
            .column_as(Expr::col(index_queue::Column::CaseId).count(), "waiting")
            .column_as(index_queue::Column::EnqueuedAt.min(), "oldest")
            .into_tuple()
            .one(&self.db)
            .await
            .context("measuring the index queue")?;
        let (waiting, oldest_since) = row.unwrap_or((0, None));
        Ok(IndexLag {
            waiting: count_of(waiting),
            oldest_since,
        })
    }

    /// The names of the migrations this build has that the database has not run;
    /// empty when the schema is current. Reads only: never creates a table.
    pub async fn pending_migrations(&self) -> Result<Vec<String>, StoreError> {
        let pending = Migrator::get_pending_migrations_read_only(&self.db)
            .await
            .context("reading which migrations have run")?;
        Ok(pending
            .iter()
            .map(|migration| migration.name().to_owned())
            .collect())
    }
}

fn count_of(count: i64) -> u64 {
    u64::try_from(count).unwrap_or(0)
}
