//! The worker's Prometheus metrics. Every label value comes from a closed set (job
//! kind codes this build knows, or `unknown`; fixed outcome names), so the number of
//! series stays bounded whatever the queue holds.

use std::time::Duration;

use palaute_store::ClaimedJob;

/// Jobs settled, by `kind` and `outcome` (`done`, `retried`, `failed`).
pub const JOBS_TOTAL: &str = "palaute_jobs_total";
/// Seconds a job's handler ran, by `kind`.
pub const JOB_RUN_SECONDS: &str = "palaute_job_run_seconds";
/// Outbox emails by `outcome`: `sent`, `retried` (a transient failure that will be
/// tried again) or `failed` (a permanent failure, or attempts used up).
pub const EMAILS_TOTAL: &str = "palaute_emails_total";
/// Seconds one index batch took to write and commit.
pub const INDEX_COMMIT_SECONDS: &str = "palaute_index_commit_seconds";
/// Cases written to the search index.
pub const INDEXED_CASES_TOTAL: &str = "palaute_indexed_cases_total";

/// How a job's run ended, as far as the queue is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JobOutcome {
    Done,
    Retried,
    Failed,
}

impl JobOutcome {
    pub fn label(self) -> &'static str {
        match self {
            Self::Done => "done",
            Self::Retried => "retried",
            Self::Failed => "failed",
        }
    }
}

/// The job's kind as a label: only codes this build knows, never the stored text.
pub fn kind_label(job: &ClaimedJob) -> &'static str {
    job.kind.map_or("unknown", |kind| kind.code())
}

pub(crate) fn record_job(job: &ClaimedJob, outcome: JobOutcome, ran_for: Duration) {
    let kind = kind_label(job);
    metrics::counter!(JOBS_TOTAL, "kind" => kind, "outcome" => outcome.label()).increment(1);
    metrics::histogram!(JOB_RUN_SECONDS, "kind" => kind).record(ran_for.as_secs_f64());
    if job.kind == Some(palaute_store::JobKind::SendEmail) && outcome != JobOutcome::Done {
        record_email(outcome);
    }
}

/// Counts an email delivered (`Done`), or a delivery that failed.
pub(crate) fn record_email(outcome: JobOutcome) {
    let label = match outcome {
        JobOutcome::Done => "sent",
        other => other.label(),
    };
    metrics::counter!(EMAILS_TOTAL, "outcome" => label).increment(1);
}

pub(crate) fn record_index_commit(cases: usize, took: Duration) {
    metrics::histogram!(INDEX_COMMIT_SECONDS).record(took.as_secs_f64());
    metrics::counter!(INDEXED_CASES_TOTAL).increment(u64::try_from(cases).unwrap_or(u64::MAX));
}
