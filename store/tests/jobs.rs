//! Leases: renewed by their holder while a job runs, and handed back at once when the
//! holder is known to be dead. On SQLite and (where configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Duration;

use palaute_core::{Channel, Language};
use palaute_store::{NewCase, Store};
use palaute_testkit::{TestDatabase, on_every_backend};
use support::open;

const LEASE: Duration = Duration::from_secs(10);

async fn submit(store: &Store, description: &str) {
    let case = NewCase {
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
    };
    store
        .submit_case(case, 5, palaute_store::now())
        .await
        .expect("submit");
}

async fn a_renewed_lease_keeps_the_job_with_its_holder(database: TestDatabase) {
    let store = open(&database).await;
    submit(&store, "Yksi").await;
    let now = palaute_store::now();
    let at = |seconds| now + chrono::Duration::seconds(seconds);
    let job = store
        .claim_job("1-1/0", LEASE, now)
        .await
        .expect("claim")
        .expect("a job");

    assert!(
        store
            .renew_lease(job.id, "1-1/0", LEASE, at(8))
            .await
            .expect("renew")
    );
    assert!(
        !store
            .renew_lease(job.id, "2-2/0", LEASE, at(8))
            .await
            .expect("renew"),
        "only the holder renews"
    );
    // Past the first lease, within the renewed one: nobody else may claim it.
    let taken = store
        .claim_job("2-2/0", LEASE, at(12))
        .await
        .expect("claim");
    assert!(taken.is_none(), "{taken:?}");

    assert!(
        store
            .complete_job(job.id, "1-1/0", at(13))
            .await
            .expect("complete")
    );
    assert!(
        !store
            .renew_lease(job.id, "1-1/0", LEASE, at(14))
            .await
            .expect("renew"),
        "a settled job has no lease to renew"
    );
}

async fn a_dead_runners_jobs_are_released_at_once(database: TestDatabase) {
    let store = open(&database).await;
    for description in ["Yksi", "Kaksi", "Kolme"] {
        submit(&store, description).await;
    }
    let now = palaute_store::now();
    let mut claimed = Vec::new();
    // "12-34" died holding two jobs; "12-345", a live runner whose name starts alike,
    // holds the third.
    for worker in ["12-34/0", "12-34/1", "12-345/0"] {
        let job = store
            .claim_job(worker, LEASE, now)
            .await
            .expect("claim")
            .expect("a job");
        claimed.push(job);
    }

    assert!(matches!(
        store.release_jobs_of("%", now).await,
        Err(palaute_store::StoreError::Refused(_))
    ));
    assert_eq!(
        store.release_jobs_of("12-34", now).await.expect("release"),
        2
    );

    // Due at once, long before the leases would have run out, with attempts counted.
    let mut rescued = Vec::new();
    while let Some(job) = store.claim_job("56-78/0", LEASE, now).await.expect("claim") {
        assert_eq!(job.attempts, 2, "{job:?}");
        rescued.push(job.id);
    }
    rescued.sort();
    assert_eq!(rescued, [claimed[0].id, claimed[1].id]);
    assert!(
        !store
            .complete_job(claimed[0].id, "12-34/0", now)
            .await
            .expect("complete"),
        "the dead runner no longer holds it"
    );
    assert!(
        store
            .complete_job(claimed[2].id, "12-345/0", now)
            .await
            .expect("complete"),
        "the live runner still does"
    );
}

on_every_backend!(
    a_renewed_lease_keeps_the_job_with_its_holder,
    a_dead_runners_jobs_are_released_at_once,
);
