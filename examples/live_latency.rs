//! Benchmark: how soon the live queue delivers a change.
//!
//! Starts palaute in-process with the embedded defaults (SQLite in a temporary data
//! folder), or over PostgreSQL when `PALAUTE_BENCH_DATABASE_URL` names an empty
//! database; subscribes to `caseEvents` over `/graphql/ws` as the administrator, then
//! measures one change at a time on an idle system:
//!
//! - through the API: an `addInternalNote` mutation over HTTP, from its response (and
//!   from its request) to the subscription's message. This process wakes its feed.
//! - from another process: a case written by a `Store` of its own, from the write's
//!   return to the message. Found by polling the change log (`live.poll_interval_ms`).
//!
//!     cargo run --release --example live_latency -- [CHANGES]

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use palaute_core::Channel;
use palaute_store::{NewCase, Store};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

#[path = "support/mod.rs"]
mod support;

const WAIT: Duration = Duration::from_secs(10);

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let changes: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let data = tempfile::tempdir()?;
    let settings = support::bench_settings(data.path());
    let poll_ms = settings.live.poll_interval_ms;
    let database_url = settings.database_url();
    let server = palaute::runtime::start(settings, true).await?;
    let url = format!("http://{}/graphql", server.address);
    let http = reqwest::Client::new();

    let mut events = subscribe(&server.address.to_string()).await?;
    let submitted: Value = http
        .post(&url)
        .json(&json!({
            "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
            "variables": { "input": { "channel": "WEB", "description": "Katulamppu on rikki Mannerheimintien kulmassa" } }
        }))
        .send()
        .await?
        .json()
        .await?;
    let reference = submitted["data"]["submitFeedback"]["reference"]
        .as_str()
        .ok_or_else(|| anyhow::anyhow!("no reference: {submitted}"))?
        .to_owned();
    next_event(&mut events, &reference, "routed").await?;

    let mut from_response = Vec::with_capacity(changes);
    let mut from_request = Vec::with_capacity(changes);
    let mut before_response = 0usize;
    let mut version = case_version(&http, &url, &reference).await?;
    for index in 0..changes {
        let body = json!({
            "query": "mutation($input: AddInternalNoteInput!) { addInternalNote(input: $input) { version } }",
            "variables": { "input": { "reference": reference, "version": version, "body": format!("muistiinpano {index}") } }
        });
        let sent = Instant::now();
        let response: Value = http
            .post(&url)
            .bearer_auth(support::BENCH_TOKEN)
            .json(&body)
            .send()
            .await?
            .json()
            .await?;
        let answered = Instant::now();
        version = response["data"]["addInternalNote"]["version"]
            .as_i64()
            .ok_or_else(|| anyhow::anyhow!("the note failed: {response}"))?;
        let arrived = next_event(&mut events, &reference, "internal_note").await?;
        if arrived < answered {
            before_response += 1;
        }
        from_response.push(arrived.saturating_duration_since(answered));
        from_request.push(arrived.saturating_duration_since(sent));
    }

    let other = Store::connect(&database_url, 2).await?;
    let mut from_other_process = Vec::with_capacity(changes);
    for index in 0..changes {
        let written = other
            .submit_case(
                NewCase {
                    channel: Channel::Phone,
                    title: None,
                    description: format!("Puistonpenkki {index} on rikki"),
                    stated_language: None,
                    category_code: None,
                    contact: None,
                    location: None,
                    idempotency_key: None,
                    fingerprint: format!("live-latency-{index}"),
                    source: None,
                    attachments: Vec::new(),
                    answers: Vec::new(),
                },
                3,
                palaute_store::now(),
            )
            .await?;
        let stored = Instant::now();
        let arrived = next_event(&mut events, &written.reference.to_string(), "received").await?;
        from_other_process.push(arrived.saturating_duration_since(stored));
        // Let the worker route it, so the next write meets an idle system; a random
        // pause, so writes fall anywhere between two polls.
        tokio::time::sleep(Duration::from_millis(50 + rand::random::<u64>() % 500)).await;
    }

    println!("live queue latency over {changes} changes each (an idle system, one subscriber):");
    report(
        "API mutation response -> subscription message",
        &mut from_response,
    );
    println!(
        "    ({before_response} of {changes} messages arrived before the mutation's response was read)"
    );
    report(
        "API mutation request  -> subscription message",
        &mut from_request,
    );
    report(
        &format!("another process's write -> message (poll every {poll_ms} ms)"),
        &mut from_other_process,
    );
    other.close().await?;
    server.stop().await?;
    Ok(())
}

type Events = mpsc::UnboundedReceiver<(Instant, Value)>;

/// Opens `/graphql/ws` as the administrator and subscribes to every case event; each
/// delivery comes out of the channel stamped with when it was read off the socket.
async fn subscribe(address: &str) -> anyhow::Result<Events> {
    let mut request = format!("ws://{address}/graphql/ws").into_client_request()?;
    request
        .headers_mut()
        .insert("Sec-WebSocket-Protocol", "graphql-transport-ws".parse()?);
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await?;
    let init = json!({ "type": "connection_init", "payload": { "token": support::BENCH_TOKEN } });
    socket.send(Message::text(init.to_string())).await?;
    let subscribe = json!({ "id": "bench", "type": "subscribe", "payload": { "query": "subscription { caseEvents { kind reference case { version } } }" } });
    socket.send(Message::text(subscribe.to_string())).await?;
    let (sender, receiver) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        while let Some(Ok(message)) = socket.next().await {
            let at = Instant::now();
            if let Message::Text(text) = message {
                let message: Value = serde_json::from_str(&text).expect("JSON");
                if message["type"] == "next" {
                    let event = message["payload"]["data"]["caseEvents"].clone();
                    if sender.send((at, event)).is_err() {
                        return;
                    }
                }
            }
        }
    });
    // Let the subscription start before anything is measured.
    tokio::time::sleep(Duration::from_millis(300)).await;
    Ok(receiver)
}

/// When the next `kind` event of `reference` was read; other events are skipped.
async fn next_event(events: &mut Events, reference: &str, kind: &str) -> anyhow::Result<Instant> {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        let (at, event) = tokio::time::timeout_at(deadline, events.recv())
            .await
            .map_err(|_| anyhow::anyhow!("no {kind} event for {reference} within {WAIT:?}"))?
            .ok_or_else(|| anyhow::anyhow!("the subscription ended"))?;
        if event["reference"] == reference && event["kind"] == kind {
            return Ok(at);
        }
    }
}

async fn case_version(http: &reqwest::Client, url: &str, reference: &str) -> anyhow::Result<i64> {
    let response: Value = http
        .post(url)
        .bearer_auth(support::BENCH_TOKEN)
        .json(&json!({ "query": "query($r: String!) { case(reference: $r) { version } }", "variables": { "r": reference } }))
        .send()
        .await?
        .json()
        .await?;
    response["data"]["case"]["version"]
        .as_i64()
        .ok_or_else(|| anyhow::anyhow!("no version: {response}"))
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| {
        let index = ((samples.len() as f64 - 1.0) * q).round() as usize;
        samples[index].as_secs_f64() * 1_000.0
    };
    println!(
        "  {what}: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
        at(0.5),
        at(0.99),
        at(1.0)
    );
}
