//! Fuzzed GraphQL bodies against the real application over HTTP: none may crash the
//! process, panic a handler (a dropped connection) or answer 500.
//!
//! CI runs `PALAUTE_FUZZ_CASES` (default 10,000) cases; a long run raises it:
//! `PALAUTE_FUZZ_CASES=1000000 cargo test --release --test fuzz_graphql -- --nocapture`.
//! `PALAUTE_FUZZ_SEED` replays a run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Instant;

use futures::StreamExt;
use palaute_testkit::TestDatabase;
use palaute_testkit::fuzz::{self, Rng, mutate};
use serde_json::{Value, json};
use support::{ADMIN_TOKEN, spawn_app};

/// Real operations of the schema and the attacks that once took the server down.
const SEEDS: &[&str] = &[
    "{ units(lang: SV) { code name division } categories(lang: EN) { code name group } }",
    "query($r: String!, $t: String!) { trackCase(reference: $r, token: $t) { reference status statusText(lang: FI) } }",
    "mutation { submitFeedback(input: {channel: WEB, description: \"Katulamppu on rikki\", language: FI, contact: {email: \"maija@example.com\"}, location: {lat: 60.17, lon: 24.94, address: \"Mannerheimintie 1\"}}) { reference trackingToken status } }",
    "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
    "{ search(query: \"katulamppu -rikki\", first: 5, filter: {status: ROUTED}) { totalCount nodes { reference } facets { unit { value count } } } }",
    "{ cases(first: 10, filter: {status: [NEW, ROUTED], language: [FI]}) { totalCount edges { cursor node { reference timeline { kind } } } pageInfo { hasNextPage endCursor } } }",
    "query { case(reference: \"HEL-2026-000001\") { reference contact { email } routingSuggestions { unit { code } confidence } } }",
    "{ routingModels { id role evaluation { cases accuracy } } }",
    "mutation { reassignCase(input: {reference: \"HEL-2026-000001\", unitCode: \"rakennusvirasto\", note: \"x\"}) { reference } }",
    "query Q { ...F } fragment F on Query { units { ...U } } fragment U on Unit { code name }",
    "{ units(lang: [[[[[[[[[[FI]]]]]]]]]]) { code } }",
    "{ cases(filter: {a:{a:{a:{a:{a:1}}}}}) { totalCount } }",
    "fragment F1 on Query { ...F0 ...F0 } fragment F0 on Query { __typename } query { ...F1 }",
    "{ __schema { types { name fields { name type { name ofType { name } } } } } }",
    "query($x: [[[[Int]]]] = [[[[1]]]]) { __typename }",
    "{ a0: __typename a1: __typename a2: __typename }",
];

fn variables(rng: &mut Rng) -> Value {
    match rng.below(4) {
        0 => json!({}),
        1 => {
            json!({ "input": { "channel": "WEB", "description": "Roskis täynnä", "contact": { "email": "x@example.com" } } })
        }
        2 => json!({ "r": "HEL-2026-000001", "t": "x".repeat(rng.below(100)) }),
        _ => {
            let mut value = json!("FI");
            for _ in 0..rng.below(200) {
                value = if rng.chance(50) {
                    json!([value])
                } else {
                    json!({ "a": value })
                };
            }
            json!({ "input": value, "x": value })
        }
    }
}

/// One request body: usually one operation, sometimes a batch, sometimes not JSON at all.
fn body(rng: &mut Rng) -> String {
    let operation = |rng: &mut Rng| {
        let mut operation = json!({ "query": mutate(rng, SEEDS) });
        if rng.chance(60) {
            operation["variables"] = variables(rng);
        }
        if rng.chance(10) {
            operation["operationName"] = json!("Q");
        }
        operation
    };
    match rng.below(20) {
        0 => {
            let batch: Vec<Value> = (0..rng.below(14)).map(|_| operation(rng)).collect();
            Value::Array(batch).to_string()
        }
        1 => mutate(
            rng,
            &["{\"query\": \"{ units { code } }\", \"variables\": {\"a\": [1, {\"b\": null}]}}"],
        ),
        _ => operation(rng).to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_graphql_bodies_never_crash_panic_or_fail_internally() {
    let cases = fuzz::cases_from_env(10_000);
    let seed = fuzz::seed_from_env();
    println!("fuzzing {cases} GraphQL bodies with PALAUTE_FUZZ_SEED={seed}");
    let app = spawn_app(TestDatabase::sqlite()).await;
    let url = format!("{}/graphql", app.base_url);
    let mut rng = Rng::new(seed);
    let bodies: Vec<(usize, String, bool)> = (0..cases)
        .map(|index| (index, body(&mut rng), rng.chance(50)))
        .collect();
    let started = Instant::now();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let client = app.http.clone();
    let mut outcomes = futures::stream::iter(bodies)
        .map(|(index, body, as_staff)| {
            let http = client.clone();
            let url = url.clone();
            async move {
                let mut request = http
                    .post(&url)
                    .header("content-type", "application/json")
                    .body(body.clone());
                if as_staff {
                    request = request.bearer_auth(ADMIN_TOKEN);
                }
                let outcome = match request.send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        let text = response.text().await.unwrap_or_default();
                        let json_ok = serde_json::from_str::<Value>(&text).is_ok();
                        Ok((status, json_ok, text))
                    }
                    Err(error) => Err(error.to_string()),
                };
                (index, body, outcome)
            }
        })
        .buffer_unordered(8);
    while let Some((index, body, outcome)) = outcomes.next().await {
        let shown: String = body.chars().take(300).collect();
        match outcome {
            Ok((status, json_ok, text)) => {
                assert!(
                    status != 500 && status < 600,
                    "case {index} (seed {seed}) got HTTP {status}: {text}\nbody: {shown}"
                );
                assert!(
                    json_ok,
                    "case {index} (seed {seed}) answered non-JSON: {text}\nbody: {shown}"
                );
                assert!(
                    !text.contains("\"INTERNAL\""),
                    "case {index} (seed {seed}) failed internally: {text}\nbody: {shown}"
                );
                *statuses.entry(status).or_default() += 1;
            }
            Err(error) => panic!("case {index} (seed {seed}): no answer ({error})\nbody: {shown}"),
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{cases} bodies in {:.1} s ({:.0}/s); HTTP statuses {statuses:?}",
        elapsed.as_secs_f64(),
        cases as f64 / elapsed.as_secs_f64()
    );
    drop(outcomes);
    let health = app
        .http
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    app.stop().await;
}
