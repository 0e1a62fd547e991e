//! The Prometheus recorder every crate's `metrics::counter!`/`histogram!` calls reach,
//! and the gauges that only the database can tell (queue depth, cases by status, index
//! lag), refreshed from the store at each scrape.
//!
//! Invariant: every label has a bounded set of values: route templates (never raw
//! paths), method and status, door names, job kind codes this build knows, fixed
//! outcome names, case status codes, and GraphQL operation names capped in `api`.

use std::sync::OnceLock;

use anyhow::Context;
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use palaute_core::CaseStatus;
use palaute_store::{JobKind, Store};

/// HTTP requests by `method`, `route` (the matched route template, or `unmatched`)
/// and `status`.
pub const HTTP_REQUESTS_TOTAL: &str = "palaute_http_requests_total";
/// Seconds from a request's arrival to its response headers, by the same labels.
pub const HTTP_REQUEST_SECONDS: &str = "palaute_http_request_duration_seconds";
/// Requests refused with 429 by a rate limit, by `door`.
pub const RATE_LIMITED_TOTAL: &str = "palaute_rate_limited_total";
/// Queued jobs by `kind` (due now or later).
pub const JOBS_QUEUED: &str = "palaute_jobs_queued";
/// How long the job that has waited longest since it became due has waited.
pub const OLDEST_DUE_JOB_SECONDS: &str = "palaute_oldest_due_job_age_seconds";
/// Cases by `status`.
pub const CASES: &str = "palaute_cases";
/// Cases whose latest change is not yet searchable.
pub const INDEX_LAG_CASES: &str = "palaute_index_lag_cases";
/// How long the case that has waited longest for the index has waited.
pub const INDEX_LAG_SECONDS: &str = "palaute_index_lag_seconds";

/// Latency buckets, in seconds, for requests, jobs and index commits alike.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder, installed on first use. A second `serve` in one process
/// (tests) shares it, as it shares the process.
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new();
        let builder = match builder.set_buckets(&BUCKETS) {
            Ok(with_buckets) => with_buckets,
            Err(error) => {
                tracing::warn!(%error, "histogram buckets refused; summaries are exported instead");
                PrometheusBuilder::new()
            }
        };
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if let Err(error) = metrics::set_global_recorder(recorder) {
            tracing::warn!(%error, "another metrics recorder is installed; /metrics will stay empty");
        }
        describe();
        handle
    })
}

/// The whole exposition: the store's gauges refreshed, then every series rendered.
pub async fn render(store: &Store) -> anyhow::Result<String> {
    let handle = recorder();
    refresh_store_gauges(store, palaute_store::now()).await?;
    handle.run_upkeep();
    Ok(handle.render())
}

async fn refresh_store_gauges(store: &Store, now: DateTime<Utc>) -> anyhow::Result<()> {
    let depth = store
        .queue_depth(now)
        .await
        .context("reading the job queue")?;
    for kind in JobKind::ALL {
        let queued = count_for(&depth.queued_by_kind, kind.code());
        metrics::gauge!(JOBS_QUEUED, "kind" => kind.code()).set(queued);
    }
    let unknown: u64 = depth
        .queued_by_kind
        .iter()
        .filter(|(code, _)| JobKind::from_code(code).is_none())
        .map(|(_, count)| count)
        .sum();
    metrics::gauge!(JOBS_QUEUED, "kind" => "unknown").set(unknown as f64);
    metrics::gauge!(OLDEST_DUE_JOB_SECONDS).set(seconds_since(depth.oldest_due_at, now));

    let cases = store.cases_by_status().await.context("counting cases")?;
    for status in CaseStatus::ALL {
        let count = count_for(&cases, status.code());
        metrics::gauge!(CASES, "status" => status.code()).set(count);
    }

    let lag = store.index_lag().await.context("reading the index queue")?;
    metrics::gauge!(INDEX_LAG_CASES).set(lag.waiting as f64);
    metrics::gauge!(INDEX_LAG_SECONDS).set(seconds_since(lag.oldest_since, now));
    Ok(())
}

fn count_for(counts: &[(String, u64)], code: &str) -> f64 {
    counts
        .iter()
        .find(|(known, _)| known == code)
        .map_or(0.0, |(_, count)| *count as f64)
}

fn seconds_since(then: Option<DateTime<Utc>>, now: DateTime<Utc>) -> f64 {
    then.map_or(0.0, |then| {
        (now - then).num_milliseconds().max(0) as f64 / 1000.0
    })
}

/// HELP lines for every series, wherever it is recorded.
fn describe() {
    use palaute_api::telemetry::GRAPHQL_OPERATIONS_TOTAL;
    use palaute_worker::telemetry::{
        EMAILS_TOTAL, INDEX_COMMIT_SECONDS, INDEXED_CASES_TOTAL, JOB_RUN_SECONDS, JOBS_TOTAL,
    };
    metrics::describe_counter!(
        HTTP_REQUESTS_TOTAL,
        "HTTP requests by method, route template and status."
    );
    metrics::describe_histogram!(
        HTTP_REQUEST_SECONDS,
        metrics::Unit::Seconds,
        "Time from a request's arrival to its response, by method, route template and status."
    );
    metrics::describe_counter!(
        RATE_LIMITED_TOTAL,
        "Requests refused by a rate limit (HTTP 429), by door."
    );
    metrics::describe_counter!(
        GRAPHQL_OPERATIONS_TOTAL,
        "GraphQL operations by operation name and the code of their first error (none without one)."
    );
    metrics::describe_counter!(
        JOBS_TOTAL,
        "Jobs run, by kind and outcome (done, retried, failed)."
    );
    metrics::describe_histogram!(
        JOB_RUN_SECONDS,
        metrics::Unit::Seconds,
        "Time a job's handler ran, by kind."
    );
    metrics::describe_gauge!(JOBS_QUEUED, "Queued jobs by kind, due now or later.");
    metrics::describe_gauge!(
        OLDEST_DUE_JOB_SECONDS,
        metrics::Unit::Seconds,
        "How long the longest-waiting due job has waited since it became due."
    );
    metrics::describe_counter!(
        EMAILS_TOTAL,
        "Outbox emails by outcome: sent, retried, failed."
    );
    metrics::describe_gauge!(
        INDEX_LAG_CASES,
        "Cases whose latest change is not yet searchable."
    );
    metrics::describe_gauge!(
        INDEX_LAG_SECONDS,
        metrics::Unit::Seconds,
        "How long the longest-waiting case has waited for the search index."
    );
    metrics::describe_histogram!(
        INDEX_COMMIT_SECONDS,
        metrics::Unit::Seconds,
        "Time to write and commit one batch to the search index."
    );
    metrics::describe_counter!(INDEXED_CASES_TOTAL, "Cases written to the search index.");
    metrics::describe_gauge!(CASES, "Cases by status.");
}
