//! The job queue. A job is claimed under a lease and committed as taken before any
//! work starts; a worker that dies leaves a lease that expires, and the job is claimed
//! again. Failures retry with capped exponential backoff until the job is parked as
//! dead with its last error.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbBackend, EntityTrait,
    FromQueryResult, PaginatorTrait, QueryFilter,
};

use crate::db::Store;
use crate::entity::job;
use crate::error::{DbContext, StoreError};

palaute_core::coded_enum!(
    /// What a job does.
    JobKind {
        /// Detect the language, route, queue notifications, index.
        ProcessCase => "process_case",
        /// Deliver one outbox email.
        SendEmail => "send_email",
        /// Tell a reassigned case's new unit about it.
        NotifyUnit => "notify_unit",
        /// Email staff's reply to the resident.
        SendReply => "send_reply",
        /// Tell a merged duplicate's resident where their matter is handled now.
        NotifyMerge => "notify_merge",
        /// Send a case to the outside body it was forwarded to, and tell its resident.
        ForwardCase => "forward_case",
        /// Train a routing model on every labelled example, if there are new ones.
        RetrainRouting => "retrain_routing",
        /// Send the deadline warnings and breach notices that have come due.
        CheckDeadlines => "check_deadlines",
        /// Anonymise the closed cases whose retention ran out (`[privacy]`).
        AnonymiseExpired => "anonymise_expired",
        /// Tell the handler (or the unit) that the resident wrote on their case.
        NotifyResidentMessage => "notify_resident_message",
    }
);

palaute_core::coded_enum!(
    /// Where a job stands in the queue.
    JobStatus {
        Queued => "queued",
        Running => "running",
        Done => "done",
        Dead => "dead",
    }
);

/// A job this worker holds the lease on.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimedJob {
    pub id: i64,
    /// `None` for a kind this build does not know (written by a newer version).
    pub kind: Option<JobKind>,
    pub kind_code: String,
    pub payload: serde_json::Value,
    pub case_id: Option<i64>,
    /// Including this one.
    pub attempts: i32,
    pub max_attempts: i32,
    /// The HTTP request the job comes from, if one made it.
    pub request_id: Option<String>,
}

/// How many jobs are in each state, for health checks and tests.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct JobCounts {
    pub queued: u64,
    pub running: u64,
    pub done: u64,
    pub dead: u64,
}

#[derive(Debug, FromQueryResult)]
struct ClaimedRow {
    id: i64,
    kind: String,
    payload: String,
    case_id: Option<i64>,
    attempts: i32,
    max_attempts: i32,
    request_id: Option<String>,
}

pub(crate) async fn enqueue_job(
    txn: &DatabaseTransaction,
    kind: JobKind,
    payload: serde_json::Value,
    case_id: Option<i64>,
    max_attempts: i32,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let inserted = job::Entity::insert(job::ActiveModel {
        kind: Set(kind.code().to_owned()),
        payload: Set(payload.to_string()),
        case_id: Set(case_id),
        status: Set(JobStatus::Queued.code().to_owned()),
        attempts: Set(0),
        max_attempts: Set(Ord::max(max_attempts, 1)),
        run_at: Set(now),
        locked_until: Set(None),
        locked_by: Set(None),
        last_error: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        request_id: Set(crate::request_context::current_request_id()),
        ..Default::default()
    })
    .exec(txn)
    .await
    .context("enqueueing a job")?;
    Ok(inserted.last_insert_id)
}

impl Store {
    /// Claims the job that is due first, or one whose lease expired, for `worker`.
    /// PostgreSQL skips rows other workers hold (`FOR UPDATE SKIP LOCKED`); SQLite takes
    /// the write lock up front (`BEGIN IMMEDIATE`). The claim is committed before the
    /// caller starts the work.
    pub async fn claim_job(
        &self,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<Option<ClaimedJob>, StoreError> {
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        let mut due = Query::select();
        due.column(job::Column::Id)
            .from(job::Entity)
            .cond_where(
                sea_orm::Condition::any()
                    .add(
                        sea_orm::Condition::all()
                            .add(job::Column::Status.eq(JobStatus::Queued.code()))
                            .add(job::Column::RunAt.lte(now)),
                    )
                    .add(
                        sea_orm::Condition::all()
                            .add(job::Column::Status.eq(JobStatus::Running.code()))
                            .add(job::Column::LockedUntil.lt(now)),
                    ),
            )
            .order_by(job::Column::RunAt, sea_orm::Order::Asc)
            .order_by(job::Column::Id, sea_orm::Order::Asc)
            .limit(1);
        if self.backend() == DbBackend::Postgres {
            due.lock_with_behavior(LockType::Update, LockBehavior::SkipLocked);
        }
        let claim = Query::update()
            .table(job::Entity)
            .value(job::Column::Status, JobStatus::Running.code())
            .value(
                job::Column::Attempts,
                Expr::col(job::Column::Attempts).add(1),
            )
            .value(job::Column::LockedBy, worker)
            .value(job::Column::LockedUntil, now + lease)
            .value(job::Column::UpdatedAt, now)
            .and_where(job::Column::Id.in_subquery(due))
            .returning(Query::returning().columns([
                job::Column::Id,
                job::Column::Kind,
                job::Column::Payload,
                job::Column::CaseId,
                job::Column::Attempts,
                job::Column::MaxAttempts,
                job::Column::RequestId,
            ]))
            .to_owned();

        let txn = self.begin_write().await?;
        let row = txn.query_one(&claim).await.context("claiming a job")?;
        txn.commit().await.context("committing a job claim")?;
        let Some(row) = row else {
            return Ok(None);
        };
        let row = ClaimedRow::from_query_result(&row, "").context("reading a claimed job")?;
        Ok(Some(ClaimedJob {
            id: row.id,
            kind: JobKind::from_code(&row.kind),
            kind_code: row.kind,
            payload: serde_json::from_str(&row.payload).unwrap_or(serde_json::Value::Null),
            case_id: row.case_id,
            attempts: row.attempts,
            max_attempts: row.max_attempts,
            request_id: row.request_id,
        }))
    }

    /// Extends the lease of a running job to `now + lease`. Only the lease holder may;
    /// returns false when the job is no longer running under `worker` (settled, or
    /// taken over after the lease ran out).
    pub async fn renew_lease(
        &self,
        id: i64,
        worker: &str,
        lease: Duration,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
        let result = job::Entity::update_many()
            .col_expr(job::Column::LockedUntil, Expr::value(now + lease))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::LockedBy.eq(worker))
            .filter(job::Column::Status.eq(JobStatus::Running.code()))
            .exec(&self.db)
            .await
            .context("renewing a job's lease")?;
        Ok(result.rows_affected == 1)
    }

    /// Puts back in the queue, due at once, every job running under a worker whose
    /// slots are named `<runner>/<slot>`: for a runner known to be dead, so that its
    /// jobs need not wait for their leases. Attempts stay counted. Returns how many.
    pub async fn release_jobs_of(
        &self,
        runner: &str,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        // A wildcard in the name would release other runners' jobs.
        if runner.is_empty() || runner.contains(['%', '_', '\\', '/']) {
            return Err(StoreError::Refused(format!(
                "worker name {runner:?} cannot be released"
            )));
        }
        let result = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(JobStatus::Queued.code()))
            .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(
                job::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::RunAt, Expr::value(now))
            .col_expr(job::Column::UpdatedAt, Expr::value(now))
            .filter(job::Column::Status.eq(JobStatus::Running.code()))
            .filter(job::Column::LockedBy.like(format!("{runner}/%")))
            .exec(&self.db)
            .await
            .context("releasing a dead worker's jobs")?;
        Ok(result.rows_affected)
    }

    /// Marks a job done. Only the worker holding the lease may; returns false when the
    /// lease had passed to another worker.
    pub async fn complete_job(
        &self,
        id: i64,
        worker: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.finish_job(id, worker, JobStatus::Done, None, now, now)
            .await
    }

    /// Puts a failed job back in the queue to run at `run_at`.
    pub async fn retry_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.finish_job(id, worker, JobStatus::Queued, Some(error), run_at, now)
            .await
    }

    /// Parks a job that will not succeed, keeping its last error for staff to read.
    pub async fn bury_job(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.finish_job(id, worker, JobStatus::Dead, Some(error), now, now)
            .await
    }

    async fn finish_job(
        &self,
        id: i64,
        worker: &str,
        status: JobStatus,
        error: Option<&str>,
        run_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut update = job::Entity::update_many()
            .col_expr(job::Column::Status, Expr::value(status.code()))
            .col_expr(
                job::Column::LockedUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .col_expr(job::Column::LockedBy, Expr::value(Option::<String>::None))
            .col_expr(job::Column::RunAt, Expr::value(run_at))
            .col_expr(job::Column::UpdatedAt, Expr::value(now));
        if let Some(error) = error {
            update = update.col_expr(job::Column::LastError, Expr::value(truncate(error, 2000)));
        }
        let result = update
            .filter(job::Column::Id.eq(id))
            .filter(job::Column::LockedBy.eq(worker))
            .filter(job::Column::Status.eq(JobStatus::Running.code()))
            .exec(&self.db)
            .await
            .context("finishing a job")?;
        Ok(result.rows_affected == 1)
    }

    pub async fn job_counts(&self) -> Result<JobCounts, StoreError> {
        let count = |status: JobStatus| {
            job::Entity::find()
                .filter(job::Column::Status.eq(status.code()))
                .count(&self.db)
        };
        Ok(JobCounts {
            queued: count(JobStatus::Queued).await.context("counting jobs")?,
            running: count(JobStatus::Running).await.context("counting jobs")?,
            done: count(JobStatus::Done).await.context("counting jobs")?,
            dead: count(JobStatus::Dead).await.context("counting jobs")?,
        })
    }

    /// The last error of each dead job, for operators.
    pub async fn dead_jobs(&self) -> Result<Vec<(i64, String, Option<String>)>, StoreError> {
        let rows = job::Entity::find()
            .filter(job::Column::Status.eq(JobStatus::Dead.code()))
            .all(&self.db)
            .await
            .context("listing dead jobs")?;
        Ok(rows
            .into_iter()
            .map(|row| (row.id, row.kind, row.last_error))
            .collect())
    }
}

fn truncate(text: &str, max_chars: usize) -> String {
    text.chars().take(max_chars).collect()
}
