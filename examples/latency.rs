//! Benchmark: submission-to-routing latency of the whole system on this machine.
//!
//! Starts palaute in-process with the embedded defaults (a SQLite file in a temporary
//! data folder, emails to the outbox folder), or over PostgreSQL when
//! `PALAUTE_BENCH_DATABASE_URL` names an empty database; submits feedback over HTTP one
//! case at a time (an idle system), waits for every case to be routed, and prints the
//! HTTP submission round trip and the time from the case's creation to its routing as
//! both were stored.
//!
//! With `PALAUTE_BENCH_ROUTING_HISTORY` naming past cases (JSONL or CSV, as for
//! `palaute train --import`), a routing model is trained on them and made live first,
//! so the figures include routing with the trained model.
//!
//!     cargo run --release --example latency -- [CASES]

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::time::{Duration, Instant};

use palaute_core::{CaseStatus, Reference};
use palaute_store::Store;
use serde_json::json;

#[path = "support/mod.rs"]
mod support;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let data = tempfile::tempdir()?;
    let mut settings = support::bench_settings(data.path());
    settings.worker.poll_interval_ms = 500;
    let database_url = settings.database_url();
    if let Ok(history) = std::env::var("PALAUTE_BENCH_ROUTING_HISTORY") {
        let (store, organisation) = palaute::runtime::open_store(&settings).await?;
        let args = palaute::cli::TrainArgs {
            import: vec![history.into()],
            live: true,
            candidate: false,
            target_precision: None,
        };
        palaute::routing_models::train(&store, &organisation, &args, 0.9).await?;
        store.close().await?;
    }
    let server = palaute::runtime::start(settings, true).await?;
    let url = format!("http://{}/graphql", server.address);
    let http = reqwest::Client::new();
    let store = Store::connect(&database_url, 2).await?;

    let texts = [
        "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa",
        "Tiessä on iso kuoppa Hämeentiellä",
        "Gatlyktan är trasig vid torget",
        "There is graffiti on the school wall",
        "Hei, kiitos hyvästä palvelusta!",
    ];
    let mut round_trips = Vec::with_capacity(cases);
    let mut references = Vec::with_capacity(cases);
    for index in 0..cases {
        let body = json!({
            "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
            "variables": { "input": { "channel": "WEB", "description": texts[index % texts.len()], "contact": { "email": "bench@example.com" } } }
        });
        let started = Instant::now();
        let response: serde_json::Value = http.post(&url).json(&body).send().await?.json().await?;
        round_trips.push(started.elapsed());
        let reference = response["data"]["submitFeedback"]["reference"]
            .as_str()
            .ok_or_else(|| anyhow::anyhow!("no reference: {response}"))?;
        references.push(Reference::parse(reference)?);
        // Let the worker go idle again, so each case meets an idle system.
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut routing = Vec::with_capacity(cases);
    for reference in &references {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let case = store
                .case_by_reference(reference)
                .await?
                .ok_or_else(|| anyhow::anyhow!("case {reference} missing"))?;
            if case.status != CaseStatus::New {
                let routed_at = case.routed_at.unwrap_or(case.updated_at);
                routing.push((routed_at - case.created_at).to_std().unwrap_or_default());
                break;
            }
            anyhow::ensure!(
                Instant::now() < deadline,
                "case {reference} was never routed"
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }
    server.stop().await?;

    println!(
        "cases: {cases} ({})",
        if database_url.starts_with("postgres") {
            "PostgreSQL"
        } else {
            "SQLite"
        }
    );
    report("submitFeedback HTTP round trip", &mut round_trips);
    report("created -> routed (stored timestamps)", &mut routing);
    Ok(())
}

fn report(what: &str, samples: &mut [Duration]) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() as f64 - 1.0) * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{what}: p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms(at(0.5)),
        ms(at(0.95)),
        ms(at(0.99)),
        ms(at(1.0))
    );
}
