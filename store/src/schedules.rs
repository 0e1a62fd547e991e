//! Periodic jobs across processes: a schedule row holds the next run's time, and the
//! process whose conditional update moves it forward enqueues the job, in the same
//! transaction. Any number of workers may ask; each run is enqueued once.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::db::Store;
use crate::entity::schedule;
use crate::error::{DbContext, StoreError};
use crate::jobs::{JobKind, enqueue_job};

impl Store {
    /// Enqueues `kind` if schedule `name` is due, and moves its next run
    /// `interval` ahead. Returns the job id when this call enqueued it.
    pub async fn run_schedule_if_due(
        &self,
        name: &str,
        kind: JobKind,
        interval: chrono::Duration,
        max_attempts: i32,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let txn = self.begin_write().await?;
        schedule::Entity::insert(schedule::ActiveModel {
            name: Set(name.to_owned()),
            // The first run waits one interval, like every later one.
            next_run_at: Set(now + interval),
        })
        .on_conflict(
            OnConflict::column(schedule::Column::Name)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await
        .context("creating a schedule")?;
        let moved = schedule::Entity::update_many()
            .col_expr(schedule::Column::NextRunAt, Expr::value(now + interval))
            .filter(schedule::Column::Name.eq(name))
            .filter(schedule::Column::NextRunAt.lte(now))
            .exec(&txn)
            .await
            .context("advancing a schedule")?;
        if moved.rows_affected == 0 {
            // Commit all the same: a schedule created just now must be kept.
            txn.commit().await.context("committing a schedule")?;
            return Ok(None);
        }
        let job_id = enqueue_job(
            &txn,
            kind,
            serde_json::json!({ "schedule": name }),
            None,
            max_attempts,
            now,
        )
        .await?;
        txn.commit().await.context("committing a scheduled job")?;
        Ok(Some(job_id))
    }
}
