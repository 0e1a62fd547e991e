//! Benchmark: how many submissions per second the whole system accepts on this machine.
//!
//! Starts palaute in-process with the embedded defaults (a SQLite file in a temporary
//! data folder, the worker routing and writing emails to the outbox folder meanwhile),
//! or over PostgreSQL when `PALAUTE_BENCH_DATABASE_URL` names an empty database; then
//! `--concurrency` clients fire `submitFeedback` over HTTP until `--cases` are accepted,
//! and it prints submissions per second and the round trip's p50/p99.
//!
//!     cargo run --release --example intake -- --cases 2000 --concurrency 16

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::json;

#[path = "support/mod.rs"]
mod support;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cases = flag("--cases").unwrap_or(2000);
    let concurrency = flag("--concurrency").unwrap_or(16).max(1);
    let data = tempfile::tempdir()?;
    let settings = support::bench_settings(data.path());
    let backend = if settings.database_url().starts_with("postgres") {
        "PostgreSQL"
    } else {
        "SQLite"
    };
    let server = palaute::runtime::start(settings, true).await?;
    let url = format!("http://{}/graphql", server.address);
    let http = reqwest::Client::new();

    let texts = [
        "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa",
        "Tiessä on iso kuoppa Hämeentiellä",
        "Gatlyktan är trasig vid torget",
        "There is graffiti on the school wall",
        "Hei, kiitos hyvästä palvelusta!",
    ];
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let clients = (0..concurrency).map(|_| {
        let (http, url, next) = (http.clone(), url.clone(), Arc::clone(&next));
        tokio::spawn(async move {
            let mut round_trips = Vec::new();
            loop {
                let index = next.fetch_add(1, Ordering::Relaxed);
                if index >= cases {
                    return Ok::<_, anyhow::Error>(round_trips);
                }
                let body = json!({
                    "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
                    "variables": { "input": {
                        "channel": "WEB",
                        "description": format!("{} ({index})", texts[index % texts.len()]),
                        "contact": { "email": "bench@example.com" }
                    } }
                });
                let sent = Instant::now();
                let response: serde_json::Value =
                    http.post(&url).json(&body).send().await?.json().await?;
                round_trips.push(sent.elapsed());
                anyhow::ensure!(
                    response["data"]["submitFeedback"]["reference"].is_string(),
                    "no reference: {response}"
                );
            }
        })
    });
    let mut round_trips = Vec::with_capacity(cases);
    for client in futures::future::join_all(clients).await {
        round_trips.extend(client??);
    }
    let elapsed = started.elapsed();
    server.stop().await?;

    round_trips.sort();
    let at = |q: f64| round_trips[((round_trips.len() as f64 - 1.0) * q).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{cases} submissions from {concurrency} clients ({backend}) in {:.2} s: {:.0} submissions/s; round trip p50 {:.2} ms, p99 {:.2} ms",
        elapsed.as_secs_f64(),
        cases as f64 / elapsed.as_secs_f64(),
        ms(at(0.5)),
        ms(at(0.99)),
    );
    Ok(())
}

/// The number after `name` on the command line.
fn flag(name: &str) -> Option<usize> {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|arg| arg == name)?;
    args.get(at + 1)?.parse().ok()
}
