//! Benchmark: what the attacks of the hostile-input issue cost the server now.
//!
//! Starts palaute in-process with the embedded defaults, rate limits off (they would
//! refuse the repeats before the checks measured here run),
//! keeps asking `/healthz` every 10 ms from a client of its own, and sends each attack
//! ROUNDS times one after another. Prints, per attack, the answer, the CPU time the whole
//! process spent per request (client included, so an upper bound; /proc counts in 10 ms
//! ticks, hence the many rounds) and the slowest `/healthz` answer meanwhile.
//!
//!     cargo run --release --example attacks -- [ROUNDS]

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

#[path = "support/mod.rs"]
mod support;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(200);
    let data = tempfile::tempdir()?;
    let token = support::BENCH_TOKEN;
    let settings = support::bench_settings(data.path());
    let server = palaute::runtime::start(settings, true).await?;
    let base = format!("http://{}", server.address);
    let http = reqwest::Client::new();

    let attacks: Vec<(&str, String, bool)> = vec![
        (
            "list value nested 2,000 deep",
            json!({ "query": format!("{{ units(lang: {}FI{}) {{ code }} }}", "[".repeat(2_000), "]".repeat(2_000)) }).to_string(),
            false,
        ),
        (
            "input object nested 2,000 deep",
            json!({ "query": format!("{{ cases(filter: {}1{}) {{ totalCount }} }}", "{a:".repeat(2_000), "}".repeat(2_000)) }).to_string(),
            false,
        ),
        ("fragment bomb, 24 levels", json!({ "query": fragment_bomb(24) }).to_string(), false),
        (
            "100 aliased submitFeedback",
            json!({ "query": format!("mutation {{ {} }}", (0..100).map(|n| format!("s{n}: submitFeedback(input: {{channel: WEB, description: \"x\"}}) {{ reference }}")).collect::<Vec<_>>().join(" ")) }).to_string(),
            false,
        ),
        (
            "batch of 2,500 submissions",
            Value::Array(
                (0..2_500)
                    .map(|_| json!({ "query": "mutation{submitFeedback(input:{channel:WEB,description:\"x\"}){reference}}" }))
                    .collect(),
            )
            .to_string(),
            false,
        ),
        (
            "search with 2,000 '('",
            json!({ "query": "query($q: String!) { search(query: $q) { totalCount } }", "variables": { "q": "(".repeat(2_000) } }).to_string(),
            true,
        ),
        (
            "search with 2,000 'NOT '",
            json!({ "query": "query($q: String!) { search(query: $q) { totalCount } }", "variables": { "q": "NOT ".repeat(2_000) + "lamppu" } }).to_string(),
            true,
        ),
    ];

    println!(
        "attack | answer | CPU per request (ms, mean of {rounds}) | slowest /healthz meanwhile (ms)"
    );
    for (name, body, as_staff) in &attacks {
        let probing = Arc::new(AtomicBool::new(true));
        let probe = tokio::spawn(probe_health(
            http.clone(),
            base.clone(),
            Arc::clone(&probing),
        ));
        let mut answer = String::new();
        let before = process_cpu();
        for _ in 0..rounds {
            let mut request = http
                .post(format!("{base}/graphql"))
                .header("content-type", "application/json")
                .body(body.clone());
            if *as_staff {
                request = request.bearer_auth(token);
            }
            let response = request.send().await?;
            let status = response.status().as_u16();
            let json: Value = response.json().await.unwrap_or(Value::Null);
            answer = format!(
                "{status} {}",
                json["errors"][0]["extensions"]["code"]
                    .as_str()
                    .unwrap_or("-")
            );
        }
        probing.store(false, Ordering::Release);
        let spent = process_cpu().saturating_sub(before);
        let health = probe.await?;
        println!(
            "{name} | {answer} | {:.2} | {:.1}",
            spent.as_secs_f64() * 1000.0 / rounds as f64,
            health.as_secs_f64() * 1000.0
        );
    }

    // The case: two fragment bombs at once, ROUNDS times.
    let bomb = json!({ "query": fragment_bomb(24) }).to_string();
    let send = |body: String| {
        http.post(format!("{base}/graphql"))
            .header("content-type", "application/json")
            .body(body)
            .send()
    };
    let before = process_cpu();
    let mut statuses = Vec::new();
    for _ in 0..rounds {
        let (first, second) = tokio::join!(send(bomb.clone()), send(bomb.clone()));
        statuses.push(first?.status().as_u16());
        statuses.push(second?.status().as_u16());
    }
    statuses.dedup();
    println!(
        "two 24-level fragment bombs at once: HTTP {statuses:?}, {:.2} ms of CPU per pair",
        process_cpu().saturating_sub(before).as_secs_f64() * 1000.0 / rounds as f64
    );
    server.stop().await?;
    Ok(())
}

fn fragment_bomb(levels: usize) -> String {
    let mut query = format!("query {{ ...F{levels} }}\nfragment F0 on Query {{ __typename }}\n");
    for level in 1..=levels {
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{previous} ...F{previous} }}\n",
            previous = level - 1
        ));
    }
    query
}

/// The slowest `/healthz` answer while `probing` holds, asking every 10 ms.
async fn probe_health(http: reqwest::Client, base: String, probing: Arc<AtomicBool>) -> Duration {
    let mut slowest = Duration::ZERO;
    while probing.load(Ordering::Acquire) {
        let started = Instant::now();
        let _ = http.get(format!("{base}/healthz")).send().await;
        slowest = slowest.max(started.elapsed());
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    slowest
}

/// CPU time of this process (user + system) from /proc, in clock ticks of 10 ms.
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name.
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|field| field.parse::<u64>().ok())
            .unwrap_or(0)
    };
    let ticks = ticks(11) + ticks(12);
    Duration::from_millis(ticks * 10)
}
