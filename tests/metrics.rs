//! `/metrics` and `/readyz` over real HTTP: the exposition parses as Prometheus text
//! and moves when a case is submitted, routed and emailed; the endpoint needs its
//! token (401), is off without one (404), and is open on the admin listener; `/readyz`
//! is 200 when ready and 503 naming the index when it lags. On SQLite and PostgreSQL.
//!
//! The recorder is one per process, shared by the tests here: counters are compared
//! before and after, and the gauges (refreshed from the scraping app's database) are
//! read while holding `SCRAPES`, so two apps do not refresh them at once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Duration;

use palaute_testkit::{TestDatabase, on_every_backend};
use prometheus_parse::{Scrape, Value as Sample};
use serde_json::{Value, json};
use support::{ADMIN_TOKEN, TestApp, spawn_app_with, street_lamp, test_settings};
use tokio::sync::Mutex;

const METRICS_TOKEN: &str = "metrics-token-for-the-scraper-only";

static SCRAPES: Mutex<()> = Mutex::const_new(());

on_every_backend!(
    metrics_move_when_a_case_is_submitted_routed_and_emailed,
    metrics_need_their_token_or_the_admin_listener,
    readyz_reports_a_lagging_index,
    rate_limited_requests_are_counted_by_door,
);

async fn metrics_move_when_a_case_is_submitted_routed_and_emailed(database: TestDatabase) {
    let _scraping = SCRAPES.lock().await;
    let app = spawn_app_with(database, |settings| {
        settings.metrics.token = Some(METRICS_TOKEN.into());
    })
    .await;
    let before = scrape(&app).await;

    let (reference, _) = app.submit(street_lamp()).await;
    app.wait_for_status(&reference, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    let named = app
        .staff(
            "query CaseByReference($r: String!) { case(reference: $r) { status } }",
            json!({ "r": reference }),
        )
        .await;
    assert!(named["errors"].is_null(), "{named}");
    // A path carrying a reference that no route matches is counted as `unmatched`.
    let stray = app
        .http
        .get(format!("{}/cases/{reference}", app.base_url))
        .send()
        .await
        .expect("a stray request");
    assert_eq!(stray.status(), 404);

    // The acknowledgement is delivered by its own job: wait for it to be counted.
    let mut after = scrape(&app).await;
    for _ in 0..150 {
        if after.counter("palaute_emails_total", &[("outcome", "sent")])
            > before.counter("palaute_emails_total", &[("outcome", "sent")])
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = scrape(&app).await;
    }

    let graphql_ok = [("method", "POST"), ("route", "/graphql"), ("status", "200")];
    assert!(
        after.counter("palaute_http_requests_total", &graphql_ok)
            > before.counter("palaute_http_requests_total", &graphql_ok)
    );
    assert!(after.histogram_count("palaute_http_request_duration_seconds", &graphql_ok) >= 1.0);
    assert!(
        after.counter(
            "palaute_http_requests_total",
            &[("route", "unmatched"), ("status", "404")]
        ) >= 1.0
    );
    for (kind, outcome) in [("process_case", "done"), ("send_email", "done")] {
        let labels = [("kind", kind), ("outcome", outcome)];
        assert!(
            after.counter("palaute_jobs_total", &labels)
                > before.counter("palaute_jobs_total", &labels),
            "no {kind} job counted as {outcome}"
        );
    }
    assert!(after.histogram_count("palaute_job_run_seconds", &[("kind", "process_case")]) >= 1.0);
    assert!(
        after.counter("palaute_emails_total", &[("outcome", "sent")])
            > before.counter("palaute_emails_total", &[("outcome", "sent")])
    );
    assert!(
        after.counter(
            "palaute_graphql_operations_total",
            &[("operation", "CaseByReference"), ("code", "none")]
        ) >= 1.0
    );
    assert!(
        after.counter(
            "palaute_graphql_operations_total",
            &[("operation", "anonymous"), ("code", "none")]
        ) >= 1.0
    );
    // Gauges from this app's database: its one case, routed or in triage.
    let cases: f64 = ["routed", "needs_triage"]
        .iter()
        .map(|status| after.gauge("palaute_cases", &[("status", status)]))
        .sum();
    assert_eq!(cases, 1.0);
    assert_eq!(after.gauge("palaute_cases", &[("status", "new")]), 0.0);
    assert!(after.has("palaute_jobs_queued", &[("kind", "send_email")]));
    assert!(after.has("palaute_oldest_due_job_age_seconds", &[]));
    assert!(after.has("palaute_index_lag_cases", &[]));
    assert!(after.histogram_count("palaute_index_commit_seconds", &[]) >= 1.0);
    // No label carries a reference: routes are templates, never raw paths.
    for sample in &after.scrape.samples {
        for (name, value) in sample.labels.iter() {
            assert!(
                !value.contains(&reference),
                "{}{{{name}={value}}}",
                sample.metric
            );
        }
    }
    app.stop().await;
}

async fn metrics_need_their_token_or_the_admin_listener(database: TestDatabase) {
    // Its scrapes refresh the shared gauges from its own database.
    let _scraping = SCRAPES.lock().await;
    let app = spawn_app_with(database, |settings| {
        settings.metrics.token = Some(METRICS_TOKEN.into());
        settings.metrics.listen = Some("127.0.0.1:0".parse().expect("an address"));
    })
    .await;
    let url = format!("{}/metrics", app.base_url);
    let status = |token: Option<&'static str>| {
        let mut request = app.http.get(&url);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        async move { request.send().await.expect("a response").status().as_u16() }
    };
    assert_eq!(status(None).await, 401);
    assert_eq!(status(Some("not-the-token")).await, 401);
    assert_eq!(status(Some(METRICS_TOKEN)).await, 200);
    assert_eq!(status(Some(ADMIN_TOKEN)).await, 200);

    let admin = app.metrics_address().expect("the admin listener");
    let open = app
        .http
        .get(format!("http://{admin}/metrics"))
        .send()
        .await
        .expect("a response from the admin listener");
    assert_eq!(open.status(), 200);
    let text = open.text().await.expect("a body");
    Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).expect("Prometheus text");
    app.stop().await;
}

async fn readyz_reports_a_lagging_index(database: TestDatabase) {
    // No worker, and an indexer that only looks every ten minutes: a case submitted
    // now waits for the index until the test ends.
    let data = tempfile::tempdir().expect("a data folder");
    let mut settings = test_settings(&database, data.path());
    settings.worker.poll_interval_ms = 600_000;
    settings.readiness.max_index_lag_changes = 0;
    let server = palaute::runtime::start(settings, false)
        .await
        .expect("starting palaute");
    let http = reqwest::Client::new();
    let readyz = format!("http://{}/readyz", server.address);

    let ready = http.get(&readyz).send().await.expect("a response");
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<Value>().await.expect("JSON"),
        json!({ "status": "ready" })
    );
    // No `[metrics]` settings: the endpoint does not exist, even for the admin.
    let metrics = http
        .get(format!("http://{}/metrics", server.address))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("a response");
    assert_eq!(metrics.status(), 404);

    let submitted: Value = http
        .post(format!("http://{}/graphql", server.address))
        .json(&json!({
            "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
            "variables": { "input": street_lamp() },
        }))
        .send()
        .await
        .expect("a submission")
        .json()
        .await
        .expect("JSON");
    assert!(submitted["errors"].is_null(), "{submitted}");

    let lagging = http.get(&readyz).send().await.expect("a response");
    assert_eq!(lagging.status(), 503);
    let body: Value = lagging.json().await.expect("JSON");
    assert_eq!(body["status"], "not ready");
    assert_eq!(body["not_ready"]["index"]["waiting_cases"], 1, "{body}");
    assert!(body["not_ready"].get("database").is_none(), "{body}");
    assert!(body["not_ready"].get("migrations").is_none(), "{body}");
    server.stop().await.expect("stopping palaute");
}

async fn rate_limited_requests_are_counted_by_door(database: TestDatabase) {
    let _scraping = SCRAPES.lock().await;
    let app = spawn_app_with(database, |settings| {
        settings.metrics.token = Some(METRICS_TOKEN.into());
        settings.rate_limits.enabled = true;
        settings.rate_limits.anonymous_requests_per_second = 1;
        settings.rate_limits.anonymous_burst = 1;
    })
    .await;
    let before = scrape(&app).await;
    let mut refused = 0;
    for _ in 0..5 {
        let response = app
            .http
            .post(format!("{}/graphql", app.base_url))
            .json(&json!({ "query": "{ __typename }" }))
            .send()
            .await
            .expect("a response");
        if response.status() == 429 {
            refused += 1;
        }
    }
    assert!(refused >= 1, "the limit never answered 429");
    let after = scrape(&app).await;
    let graphql = [("door", "graphql")];
    assert!(
        after.counter("palaute_rate_limited_total", &graphql)
            >= before.counter("palaute_rate_limited_total", &graphql) + f64::from(refused)
    );
    app.stop().await;
}

/// With its database gone, `/readyz` answers 503 naming the database, within its own
/// time limit. PostgreSQL only: the test drops the app's database under it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readyz_reports_a_database_gone() {
    let Some(database) = TestDatabase::postgres().await else {
        eprintln!("skipped: PALAUTE_TEST_DATABASE_URL is not set");
        return;
    };
    let name = database
        .url
        .rsplit('/')
        .next()
        .and_then(|last| last.split('?').next())
        .expect("a database name")
        .to_owned();
    let admin_url = std::env::var("PALAUTE_TEST_DATABASE_URL").expect("the admin URL");
    let app = spawn_app_with(database, |_| {}).await;
    let readyz = format!("{}/readyz", app.base_url);
    let ready = app.http.get(&readyz).send().await.expect("a response");
    assert_eq!(ready.status(), 200);

    let admin = sea_orm::Database::connect(&admin_url)
        .await
        .expect("connecting as admin");
    sea_orm::ConnectionTrait::execute_unprepared(
        &admin,
        &format!("DROP DATABASE {name} WITH (FORCE)"),
    )
    .await
    .expect("dropping the app's database");
    let gone = app.http.get(&readyz).send().await.expect("a response");
    assert_eq!(gone.status(), 503);
    let body: Value = gone.json().await.expect("JSON");
    assert_eq!(body["not_ready"]["database"], "does not answer", "{body}");
    let _ = admin.close().await;
    app.stop().await;
}

/// A `palaute worker` process has no HTTP server of its own; with `[metrics] listen` it
/// serves `/metrics` there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_process_serves_metrics_on_its_admin_listener() {
    let database = TestDatabase::sqlite();
    let data = tempfile::tempdir().expect("a data folder");
    // A free port, given back for the worker to bind (nothing else here binds ports
    // by number, so it stays free).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let mut worker = support::palaute_command()
        .arg("--data-dir")
        .arg(data.path())
        .arg("--database-url")
        .arg(&database.url)
        .arg("worker")
        .env("PALAUTE_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("PALAUTE_METRICS__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("starting palaute worker");
    let url = format!("http://127.0.0.1:{port}/metrics");
    let mut text = None;
    for _ in 0..150 {
        if let Ok(response) = reqwest::get(&url).await
            && response.status() == 200
        {
            text = Some(response.text().await.expect("a body"));
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = worker.kill();
    let _ = worker.wait();
    let text = text.expect("the worker's /metrics within 15 s");
    let scrape =
        Scrape::parse(text.lines().map(|line| Ok(line.to_owned()))).expect("Prometheus text");
    assert!(
        scrape
            .samples
            .iter()
            .any(|sample| sample.metric == "palaute_jobs_queued")
    );
}

/// One parsed exposition.
struct Metrics {
    scrape: Scrape,
}

async fn scrape(app: &TestApp) -> Metrics {
    let response = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("scraping /metrics");
    assert_eq!(response.status(), 200);
    let text = response.text().await.expect("a body");
    let scrape = Scrape::parse(text.lines().map(|line| Ok(line.to_owned())))
        .expect("/metrics is Prometheus text");
    Metrics { scrape }
}

impl Metrics {
    /// The samples of `metric` whose labels include every pair of `labels`.
    fn matching<'a>(
        &'a self,
        metric: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.scrape
            .samples
            .iter()
            .filter(move |sample| sample.metric == metric)
            .filter(move |sample| {
                labels
                    .iter()
                    .all(|(name, value)| sample.labels.get(name) == Some(*value))
            })
            .map(|sample| &sample.value)
    }

    fn has(&self, metric: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(metric, labels).next().is_some()
    }

    /// The sum over matching series (0 when there is none yet).
    fn counter(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(metric, labels)
            .map(|value| match value {
                Sample::Counter(count) | Sample::Untyped(count) => *count,
                other => panic!("{metric} is not a counter: {other:?}"),
            })
            .sum()
    }

    fn gauge(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(metric, labels)
            .map(|value| match value {
                Sample::Gauge(level) | Sample::Untyped(level) => *level,
                other => panic!("{metric} is not a gauge: {other:?}"),
            })
            .sum()
    }

    /// Observations in matching histogram series.
    fn histogram_count(&self, metric: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(metric, labels)
            .map(|value| match value {
                Sample::Histogram(buckets) => buckets.iter().map(|b| b.count).fold(0.0, f64::max),
                other => panic!("{metric} is not a histogram: {other:?}"),
            })
            .sum()
    }
}
