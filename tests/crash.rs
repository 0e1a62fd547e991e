//! Crash safety of the real binary: a server killed with SIGKILL right after accepting
//! submissions loses no case once restarted, routes every case accepted before the
//! kill within seconds (default settings), and queues and writes each case's handler
//! email exactly once.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::{Duration, Instant};

use palaute_core::{CaseStatus, Reference};
use palaute_store::Store;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::json;
use support::faults::Server;
use support::{ADMIN_TOKEN, outbox_files, palaute_command};

const SUBMISSIONS: usize = 40;

/// Starts `palaute serve` with default settings on a free port.
fn start_server(database: &TestDatabase, data_dir: &std::path::Path) -> Server {
    Server::start(palaute_command(), &database.url, data_dir, ADMIN_TOKEN)
}

/// How soon after a kill every case accepted before it must be routed, with default
/// settings. On SQLite the restarted worker takes the dead one's jobs back at once; on
/// PostgreSQL they wait for their lease (15 s).
fn recovery_bound(database: &TestDatabase) -> Duration {
    if database.url.starts_with("sqlite") {
        Duration::from_secs(10)
    } else {
        Duration::from_secs(15 + 10)
    }
}

async fn killed_server_loses_nothing_and_emails_once(database: TestDatabase) {
    let data = tempfile::tempdir().expect("data folder");
    let server = start_server(&database, data.path());
    let url = server.url.clone();
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
    server.kill();
    let killed_at = Instant::now();

    // Every case accepted before the kill is routed soon after the restart, with
    // default settings; then every email goes out.
    let restarted = start_server(&database, data.path());
    let store = Store::connect(&database.url, 2).await.expect("connect");
    let mut unrouted = references.clone();
    while !unrouted.is_empty() && killed_at.elapsed() < recovery_bound(&database) {
        let mut still = Vec::new();
        for reference in unrouted {
            let parsed = Reference::parse(&reference).expect("reference");
            let case = store.case_by_reference(&parsed).await.expect("load");
            let case = case.unwrap_or_else(|| panic!("case {reference} was lost"));
            if case.status == CaseStatus::New {
                still.push(reference);
            }
        }
        unrouted = still;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        unrouted.is_empty(),
        "not routed within {:?} of the kill: {unrouted:?}",
        recovery_bound(&database)
    );
    eprintln!("every case routed {:?} after the kill", killed_at.elapsed());
    let mut pending = references.clone();
    for _ in 0..300 {
        let mut still = Vec::new();
        for reference in &pending {
            let parsed = Reference::parse(reference).expect("reference");
            let case = store.case_by_reference(&parsed).await.expect("load");
            let case = case.unwrap_or_else(|| panic!("case {reference} was lost"));
            let emails = store.emails_for_case(case.id.0).await.expect("emails");
            let done = emails.len() == 2 && emails.iter().all(|email| email.status == "sent");
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
    restarted.kill();
    assert!(pending.is_empty(), "emails never went out for {pending:?}");

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
        .filter(|(name, _)| name.contains(".handler."))
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
    let server = start_server(&database, data.path());
    let url = server.url.clone();
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
    server.kill();
    std::fs::remove_dir_all(data.path().join("index")).expect("deleting the index");

    let restarted = start_server(&database, data.path());
    let url = restarted.url.clone();
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
    restarted.kill();
    assert_eq!(found["data"]["search"]["totalCount"], 1, "{found}");
}

on_every_backend!(
    killed_server_loses_nothing_and_emails_once,
    deleted_index_is_rebuilt_on_start,
);
