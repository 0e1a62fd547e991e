//! Crash safety of the real binary: a server killed with SIGKILL right after accepting
//! submissions loses no case once restarted, finishes every pipeline, and queues and
//! writes each case's handler email exactly once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use palaute_core::{CaseStatus, Reference};
use palaute_store::Store;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::json;
use support::{ADMIN_TOKEN, outbox_files, palaute_command};

const SUBMISSIONS: usize = 40;

/// Starts `palaute serve` on a free port and returns the process and its base URL.
fn start_server(database: &TestDatabase, data_dir: &Path) -> (Child, String) {
    let mut child = palaute_command()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data_dir)
        .env("PALAUTE_DATABASE_URL", &database.url)
        .env("PALAUTE_ADMIN_TOKEN", ADMIN_TOKEN)
        .env("PALAUTE_WORKER__POLL_INTERVAL_MS", "50")
        // Jobs the killed server held are taken over once their lease expires.
        .env("PALAUTE_WORKER__LEASE_SECONDS", "2")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting palaute serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let url = loop {
        let line = lines
            .next()
            .expect("palaute serve ended before listening")
            .expect("reading its output");
        if let Some(rest) = line.strip_prefix("palaute is listening on ") {
            let address = rest.split_whitespace().next().unwrap_or_default();
            break address.trim_end_matches("/graphql").to_owned();
        }
    };
    (child, url)
}

async fn killed_server_loses_nothing_and_emails_once(database: TestDatabase) {
    let data = tempfile::tempdir().expect("data folder");
    let (mut server, url) = start_server(&database, data.path());
    let http = reqwest::Client::new();

    // Submit concurrently and kill the server the moment the last reference is back,
    // while pipelines and deliveries are still running.
    let submissions = (0..SUBMISSIONS).map(|index| {
        let http = http.clone();
        let url = url.clone();
        async move {
            let body = json!({
                "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
                "variables": { "input": {
                    "channel": "WEB",
                    "description": format!("Katulamppu {index} on rikki Mannerheimintiellä"),
                    "contact": { "email": format!("asukas{index}@example.com") }
                } }
            });
            let response: serde_json::Value = http
                .post(format!("{url}/graphql"))
                .json(&body)
                .send()
                .await
                .expect("submitting")
                .json()
                .await
                .expect("a JSON answer");
            response["data"]["submitFeedback"]["reference"]
                .as_str()
                .unwrap_or_else(|| panic!("no reference: {response}"))
                .to_owned()
        }
    });
    let references: Vec<String> = futures::future::join_all(submissions).await;
    server.kill().expect("SIGKILL");
    server.wait().expect("reaping the killed server");

    let (mut restarted, _) = start_server(&database, data.path());
    let store = Store::connect(&database.url, 2).await.expect("connect");
    let mut pending = references.clone();
    for _ in 0..600 {
        let mut still = Vec::new();
        for reference in &pending {
            let parsed = Reference::parse(reference).expect("reference");
            let case = store.case_by_reference(&parsed).await.expect("load");
            let case = case.unwrap_or_else(|| panic!("case {reference} was lost"));
            let emails = store.emails_for_case(case.id.0).await.expect("emails");
            let done = case.status != CaseStatus::New
                && emails.len() == 2
                && emails.iter().all(|email| email.status == "sent");
            if !done {
                still.push(reference.clone());
            }
        }
        pending = still;
        if pending.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    restarted.kill().expect("stopping the restarted server");
    restarted.wait().expect("reaping it");
    assert!(
        pending.is_empty(),
        "pipelines never finished for {pending:?}"
    );

    for reference in &references {
        let parsed = Reference::parse(reference).expect("reference");
        let case = store
            .case_by_reference(&parsed)
            .await
            .expect("load")
            .expect("case");
        assert_eq!(case.status, CaseStatus::Routed, "{reference}");
        let events = store.case_events(case.id).await.expect("events");
        let routed = events.iter().filter(|event| event.kind == "routed").count();
        assert_eq!(routed, 1, "{reference} was routed {routed} times");
        let handler_rows = store
            .emails_for_case(case.id.0)
            .await
            .expect("emails")
            .into_iter()
            .filter(|email| email.kind == "handler_notification")
            .count();
        assert_eq!(
            handler_rows, 1,
            "{reference} has {handler_rows} handler emails"
        );
    }
    let files = outbox_files(data.path());
    let handler_files: Vec<_> = files
        .iter()
        .filter(|(name, _)| name.contains(".handler@"))
        .collect();
    assert_eq!(
        handler_files.len(),
        SUBMISSIONS,
        "one handler file per case"
    );
    for reference in &references {
        let naming = handler_files
            .iter()
            .filter(|(_, text)| text.contains(reference.as_str()))
            .count();
        assert_eq!(naming, 1, "{reference} is named by {naming} handler emails");
    }
}

/// The index is derived: a deleted index folder is rebuilt from the database when the
/// server starts again.
async fn deleted_index_is_rebuilt_on_start(database: TestDatabase) {
    let data = tempfile::tempdir().expect("data folder");
    let (mut server, url) = start_server(&database, data.path());
    let http = reqwest::Client::new();
    let body = json!({
        "query": "mutation { submitFeedback(input: {channel: WEB, description: \"Roskakori on täynnä\"}) { reference } }"
    });
    let response: serde_json::Value = http
        .post(format!("{url}/graphql"))
        .json(&body)
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("json");
    assert!(
        response["data"]["submitFeedback"]["reference"].is_string(),
        "{response}"
    );
    server.kill().expect("kill");
    server.wait().expect("reap");
    std::fs::remove_dir_all(data.path().join("index")).expect("deleting the index");

    let (mut restarted, url) = start_server(&database, data.path());
    let search = json!({ "query": "{ search(query: \"roskakori\") { totalCount } }" });
    let found: serde_json::Value = http
        .post(format!("{url}/graphql"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&search)
        .send()
        .await
        .expect("search")
        .json()
        .await
        .expect("json");
    restarted.kill().expect("kill");
    restarted.wait().expect("reap");
    assert_eq!(found["data"]["search"]["totalCount"], 1, "{found}");
}

on_every_backend!(
    killed_server_loses_nothing_and_emails_once,
    deleted_index_is_rebuilt_on_start,
);
