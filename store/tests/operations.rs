//! What operators watch, read from the tables: pending migrations, queued jobs by kind
//! and the oldest due one, cases by status, the index lag; and the request id a job is
//! written with. On SQLite and (where configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Duration;

use palaute_core::{Channel, Language};
use palaute_store::{NewCase, Store, with_request_id};
use palaute_testkit::{TestDatabase, on_every_backend};
use support::open;

on_every_backend!(
    pending_migrations_are_named_until_they_run,
    the_queue_cases_and_index_lag_are_counted,
    a_job_carries_the_request_id_it_was_written_under,
);

fn new_case(description: &str) -> NewCase {
    NewCase {
        channel: Channel::Web,
        title: None,
        description: description.into(),
        stated_language: Some(Language::Fi),
        category_code: None,
        contact: None,
        location: None,
        idempotency_key: None,
        fingerprint: description.into(),
        source: None,
        attachments: Vec::new(),
        answers: Vec::new(),
    }
}

async fn pending_migrations_are_named_until_they_run(database: TestDatabase) {
    let store = Store::connect(&database.url, 2).await.expect("connect");
    let pending = store.pending_migrations().await.expect("pending");
    assert!(
        pending
            .iter()
            .any(|name| name == "m20261201_000015_job_request_id"),
        "{pending:?}"
    );
    store.migrate().await.expect("migrate");
    assert_eq!(
        store.pending_migrations().await.expect("pending"),
        Vec::<String>::new()
    );
}

async fn the_queue_cases_and_index_lag_are_counted(database: TestDatabase) {
    let store = open(&database).await;
    let empty = store
        .queue_depth(palaute_store::now())
        .await
        .expect("depth");
    assert!(empty.queued_by_kind.is_empty());
    assert_eq!(empty.oldest_due_at, None);
    assert_eq!(store.index_lag().await.expect("lag").waiting, 0);

    let submitted_at = palaute_store::now();
    for text in ["Yksi", "Kaksi"] {
        store
            .submit_case(new_case(text), 5, submitted_at)
            .await
            .expect("submit");
    }
    let later = submitted_at + chrono::Duration::seconds(30);
    let depth = store.queue_depth(later).await.expect("depth");
    assert_eq!(depth.queued_by_kind, vec![("process_case".to_owned(), 2)]);
    assert_eq!(depth.oldest_due_at, Some(submitted_at));
    // A job due only in the future is queued but not yet waiting.
    let before = store
        .queue_depth(submitted_at - chrono::Duration::seconds(1))
        .await
        .expect("depth");
    assert_eq!(before.oldest_due_at, None);

    assert_eq!(
        store.cases_by_status().await.expect("cases"),
        vec![("new".to_owned(), 2)]
    );
    let lag = store.index_lag().await.expect("lag");
    assert_eq!(lag.waiting, 2);
    assert_eq!(lag.oldest_since, Some(submitted_at));
}

async fn a_job_carries_the_request_id_it_was_written_under(database: TestDatabase) {
    let store = open(&database).await;
    with_request_id(
        Some("req-0001".into()),
        store.submit_case(new_case("Pyynnöstä"), 5, palaute_store::now()),
    )
    .await
    .expect("submit");
    store
        .submit_case(new_case("Ilman pyyntöä"), 5, palaute_store::now())
        .await
        .expect("submit");
    let mut ids = Vec::new();
    while let Some(job) = store
        .claim_job("1-1/0", Duration::from_secs(10), palaute_store::now())
        .await
        .expect("claim")
    {
        ids.push(job.request_id);
    }
    ids.sort();
    assert_eq!(ids, vec![None, Some("req-0001".to_owned())]);
}
