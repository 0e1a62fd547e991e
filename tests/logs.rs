//! Log lines as JSON (`[log] format = "json"`), captured from a real `serve` in this
//! process: every line parses as JSON; a request's `X-Request-Id` comes back on the
//! response and reaches the log lines of the job the request made; and no secret (the
//! bearer token sent, the SMTP password, the metrics token, the webhook secret) is on
//! any line, nor the database URL's password (on PostgreSQL, where the test's
//! database is set; SQLite otherwise). One test: the subscriber is one per process.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it measures is not as expected"
)]

mod support;

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use palaute_core::settings::LogFormat;
use palaute_testkit::TestDatabase;
use serde_json::{Value, json};
use support::{ADMIN_TOKEN, spawn_app_with};
use tracing_subscriber::EnvFilter;

const SMTP_PASSWORD: &str = "smtp-password-never-logged";
const METRICS_TOKEN: &str = "metrics-token-never-logged-either";
const WEBHOOK_SECRET: &str = "webhook-secret-never-logged";
const REQUEST_ID: &str = "logs-test-request-0001";

/// Log output kept in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .expect("the log buffer")
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn lines(&self) -> Vec<String> {
        let bytes = self.0.lock().expect("the log buffer").clone();
        String::from_utf8(bytes)
            .expect("log output is UTF-8")
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_lines_carry_the_request_id_into_jobs_and_no_secrets() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = palaute::logging::subscriber(
        LogFormat::Json,
        EnvFilter::new("debug,tantivy=warn,sqlx=warn,hyper=warn,h2=warn,reqwest=warn"),
        move || writer.clone(),
    );
    tracing::subscriber::set_global_default(subscriber).expect("the only subscriber here");

    // On PostgreSQL the database URL carries a password too (one is added where the
    // test URL has none; the test server does not ask for it).
    let (database, database_password) = match TestDatabase::postgres().await {
        Some(database) => {
            let (url, password) = with_password(&database.url);
            (database, Some((url, password)))
        }
        None => (TestDatabase::sqlite(), None),
    };
    let database_url = database_password.as_ref().map(|(url, _)| url.clone());
    // Nothing listens on port 9: the acknowledgement fails and its error is logged.
    let app = spawn_app_with(database, |settings| {
        if let Some(url) = database_url {
            settings.database_url = Some(url);
        }
        settings.smtp_url = Some(format!("smtp://mailer:{SMTP_PASSWORD}@127.0.0.1:9"));
        settings.metrics.token = Some(METRICS_TOKEN.into());
        settings.mail.webhook_secret = Some(WEBHOOK_SECRET.into());
    })
    .await;

    let response = app
        .http
        .post(format!("{}/graphql", app.base_url))
        .bearer_auth(ADMIN_TOKEN)
        .header("X-Request-Id", REQUEST_ID)
        .json(&json!({
            "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
            "variables": { "input": {
                "channel": "PHONE",
                "description": "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa",
                "language": "FI",
                "contact": { "email": "maija@example.com" }
            } },
        }))
        .send()
        .await
        .expect("a submission");
    assert_eq!(
        response.headers()["x-request-id"].to_str().expect("ASCII"),
        REQUEST_ID
    );
    let body: Value = response.json().await.expect("JSON");
    let reference = body["data"]["submitFeedback"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("submission failed: {body}"))
        .to_owned();
    app.wait_for_status(&reference, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    // A request without an id gets one made up, and sees it.
    let health = app
        .http
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .expect("a health check");
    assert_eq!(health.headers()["x-request-id"].len(), 32);
    // The metrics token on the wire, so it could be logged if anything logged headers.
    let scraped = app
        .http
        .get(format!("{}/metrics", app.base_url))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
        .expect("a scrape");
    assert_eq!(scraped.status(), 200);

    // Wait for the email job's failure to be logged within the request's chain.
    for _ in 0..150 {
        if captured
            .lines()
            .iter()
            .any(|line| line.contains("job failed"))
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    app.stop().await;
    let lines = captured.lines();

    let parsed: Vec<Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    let in_job_of_request = |line: &&Value| {
        line["spans"].as_array().is_some_and(|spans| {
            spans
                .iter()
                .any(|span| span["name"] == "job" && span["request_id"] == REQUEST_ID)
        })
    };
    let routed = parsed
        .iter()
        .filter(in_job_of_request)
        .find(|line| line["message"] == "case routed")
        .unwrap_or_else(|| {
            panic!(
                "no 'case routed' line in the request's job:\n{}",
                lines.join("\n")
            )
        });
    assert_eq!(routed["case"], reference.as_str());
    // The acknowledgement's job was written by the routing job: it carries the id too.
    assert!(
        parsed
            .iter()
            .filter(in_job_of_request)
            .any(|line| line["span"]["kind"] == "send_email"),
        "no line from the email job of the request"
    );
    let all = lines.join("\n");
    let mut secrets = vec![ADMIN_TOKEN, SMTP_PASSWORD, METRICS_TOKEN, WEBHOOK_SECRET];
    if let Some((_, password)) = &database_password {
        secrets.push(password);
    }
    for secret in secrets {
        assert!(!all.contains(secret), "a secret reached the log: {secret}");
    }
}

/// The URL with a password, and the password: the one it has, or one put in.
fn with_password(url: &str) -> (String, String) {
    const ADDED: &str = "database-password-never-logged";
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    match rest.split_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((_, password)) => (url.to_owned(), password.to_owned()),
            None => (
                format!("{scheme}://{user_info}:{ADDED}@{host}"),
                ADDED.to_owned(),
            ),
        },
        None => (
            format!("{scheme}://postgres:{ADDED}@{rest}"),
            ADDED.to_owned(),
        ),
    }
}
