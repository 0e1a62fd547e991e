//! Benchmark: the staff queue at scale. Seeds CASES routed cases (default 100,000)
//! spread over the organisation's units, a tenth of them assigned and tagged, each with
//! contact details; starts palaute in-process on them; and times
//! `cases(first: 100)` with every field a queue view shows (unit, contact, assignee,
//! tags) for each role: ADMIN and TRIAGE (every case) and a HANDLER of one unit. Prints
//! p50 / p99 / max latency over HTTP and the SQL statements each request ran.
//!
//! The cases are written straight into the tables in large batches (the intake path is
//! measured by `examples/intake.rs`); the queue reads them exactly as it reads any.
//!
//!     cargo run --release --example queue -- [CASES] [REQUESTS]
//!
//! SQLite by default; PostgreSQL with `PALAUTE_BENCH_DATABASE_URL` naming an empty
//! database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::time::{Duration, Instant};

use chrono::Utc;
use palaute_core::{EmailAddress, Organisation, StaffRole};
use palaute_store::Store;
use sea_orm::sea_query::{Alias, Query, SimpleExpr};
use sea_orm::{ConnectionTrait, Database, TransactionTrait};
use serde_json::{Value, json};

#[path = "support/mod.rs"]
mod support;

const BATCH: usize = 500;
const HANDLER_EMAIL: &str = "bench.handler@hel.fi";
const TRIAGE_EMAIL: &str = "bench.triage@hel.fi";
const QUERY: &str = "query($n: Int) { cases(first: $n) { totalCount edges { node { reference status version title unit { code name } category { code } contact { email } assignee { email } tags createdAt } } } }";

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let cases: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(100_000);
    let requests: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(200);
    let data = tempfile::tempdir()?;
    let settings = support::bench_settings(data.path());
    let database_url = settings.database_url();

    let (store, organisation) = palaute::runtime::open_store(&settings).await?;
    let unit_codes: Vec<String> = organisation
        .units
        .iter()
        .filter(|unit| unit.code != organisation.triage_unit)
        .map(|unit| unit.code.clone())
        .collect();
    let handler_unit = unit_codes[0].clone();
    let handler_token = staff(&store, HANDLER_EMAIL, StaffRole::Handler, &handler_unit).await;
    let triage_token = staff(&store, TRIAGE_EMAIL, StaffRole::Triage, &handler_unit).await;
    let handler_id = staff_id(&store, HANDLER_EMAIL).await;
    store.close().await?;

    let started = Instant::now();
    seed(&database_url, &organisation, &unit_codes, handler_id, cases).await?;
    println!(
        "seeded {cases} cases over {} units in {:.1} s",
        unit_codes.len(),
        started.elapsed().as_secs_f64()
    );

    let server = palaute::runtime::start(settings, false).await?;
    let url = format!("http://{}/graphql", server.address);
    let http = reqwest::Client::new();
    println!(
        "cases(first: 100) with unit, category, contact, assignee and tags, {requests} requests per role:"
    );
    for (role, token) in [
        ("ADMIN", support::BENCH_TOKEN.to_owned()),
        ("TRIAGE", triage_token),
        ("HANDLER (one unit)", handler_token),
    ] {
        let mut latencies = Vec::with_capacity(requests);
        let mut statements = Vec::with_capacity(requests);
        let mut total = 0;
        for _ in 0..requests {
            let before = server.store.statements_run();
            let sent = Instant::now();
            let response: Value = http
                .post(&url)
                .bearer_auth(&token)
                .json(&json!({ "query": QUERY, "variables": { "n": 100 } }))
                .send()
                .await?
                .json()
                .await?;
            latencies.push(sent.elapsed());
            statements.push(server.store.statements_run() - before);
            let page = &response["data"]["cases"];
            assert_eq!(
                page["edges"].as_array().map(Vec::len),
                Some(100),
                "{response}"
            );
            total = page["totalCount"].as_u64().unwrap_or(0);
        }
        latencies.sort();
        statements.sort_unstable();
        // The counter is the whole server's: its change-feed poller and indexer run
        // meanwhile, so the least count is the request's own.
        println!(
            "  {role:<20} totalCount {total:>7}  p50 {:>7.2} ms  p99 {:>7.2} ms  max {:>7.2} ms  SQL statements: {} (median with background work {})",
            millis(percentile(&latencies, 50)),
            millis(percentile(&latencies, 99)),
            millis(*latencies.last().unwrap()),
            statements.first().unwrap(),
            statements[statements.len() / 2],
        );
    }
    server.stop().await?;
    Ok(())
}

async fn staff(store: &Store, email: &str, role: StaffRole, unit: &str) -> String {
    let address = EmailAddress::parse(email).unwrap();
    let now = palaute_store::now();
    store
        .add_staff_user(&address, role, &[unit.to_owned()], now)
        .await
        .unwrap();
    let token = format!("plt_bench_{}", email.replace(['@', '.'], "_"));
    store
        .create_api_token(
            &address,
            &palaute_core::token::api_token_hash(&token),
            None,
            None,
            now,
        )
        .await
        .unwrap();
    token
}

async fn staff_id(store: &Store, email: &str) -> i64 {
    store
        .staff_users()
        .await
        .unwrap()
        .into_iter()
        .find(|user| user.email == email)
        .map(|user| user.id)
        .unwrap()
}

/// Writes `count` routed cases with contacts, in batches of `BATCH` rows per statement.
async fn seed(
    database_url: &str,
    organisation: &Organisation,
    unit_codes: &[String],
    handler_id: i64,
    count: usize,
) -> anyhow::Result<()> {
    let db = Database::connect(database_url).await?;
    let categories: Vec<&str> = organisation
        .categories
        .iter()
        .map(|category| category.code.as_str())
        .collect();
    let start = Utc::now() - chrono::Duration::days(365);
    let step = chrono::Duration::seconds(365 * 24 * 3600 / i64::try_from(count.max(1))?);
    let mut first = 0;
    while first < count {
        let last = (first + BATCH).min(count);
        let txn = db.begin().await?;
        let mut cases = Query::insert();
        cases.into_table(Alias::new("cases")).columns(
            [
                "id",
                "reference",
                "channel",
                "title",
                "description",
                "language",
                "category_code",
                "given_category_code",
                "unit_code",
                "status",
                "routing_reason",
                "tracking_token_hash",
                "created_at",
                "updated_at",
                "routed_at",
                "version",
                "assignee_id",
            ]
            .map(Alias::new),
        );
        let mut contacts = Query::insert();
        contacts
            .into_table(Alias::new("case_contacts"))
            .columns(["case_id", "name", "email"].map(Alias::new));
        let mut tags = Query::insert();
        tags.into_table(Alias::new("case_tags"))
            .columns(["case_id", "tag"].map(Alias::new));
        for n in first..last {
            let id = i64::try_from(n + 1)?;
            let at = start + step * i32::try_from(n)?;
            let unit = &unit_codes[n % unit_codes.len()];
            let assigned = n % 10 == 0 && n % unit_codes.len() == 0;
            let values: Vec<SimpleExpr> = vec![
                id.into(),
                format!("HEL-2026-{:06}", n + 1).into(),
                "web".into(),
                format!("Palaute {n}").into(),
                format!("Katulamppu numero {n} ei pala, tarkistakaa").into(),
                "fi".into(),
                categories[n % categories.len()].into(),
                categories[n % categories.len()].into(),
                unit.clone().into(),
                "routed".into(),
                "benchmark".into(),
                format!("{n:064x}").into(),
                at.into(),
                at.into(),
                at.into(),
                2i64.into(),
                (if assigned { Some(handler_id) } else { None }).into(),
            ];
            cases.values_panic(values);
            contacts.values_panic([
                id.into(),
                "Asukas".into(),
                format!("asukas{n}@example.com").into(),
            ]);
            if n % 10 == 0 {
                tags.values_panic([id.into(), "katuvalo".into()]);
            }
        }
        txn.execute(&cases).await?;
        txn.execute(&contacts).await?;
        txn.execute(&tags).await?;
        txn.commit().await?;
        first = last;
    }
    // PostgreSQL's sequence must continue after the seeded ids.
    if db.get_database_backend() == sea_orm::DbBackend::Postgres {
        db.execute_unprepared(
            "SELECT setval(pg_get_serial_sequence('cases', 'id'), (SELECT MAX(id) FROM cases))",
        )
        .await?;
    }
    db.close().await?;
    Ok(())
}

fn percentile(sorted: &[Duration], percent: usize) -> Duration {
    let rank = (sorted.len() * percent).div_ceil(100).max(1);
    sorted[rank - 1]
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}
