//! Leases as the runner keeps them: renewed while a job runs, so a job slower than its
//! lease is not run twice; and taken back at once from a runner known to be dead.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Duration;

use palaute_testkit::smtp::SmtpSink;
use palaute_testkit::{TestDatabase, on_every_backend};
use palaute_worker::mail::Mailer;
use support::{
    MAX_ATTEMPTS, Running, SMTP_TIMEOUT, feedback, open_store, runner, runner_with, submit,
    wait_until_idle, wait_until_routed, worker_settings,
};

/// A relay that lets every connection wait `delay` before it reaches `sink`.
async fn slow_relay(sink: &SmtpSink, delay: Duration) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("smtp://{}", listener.local_addr().expect("address"));
    let target = sink.address();
    tokio::spawn(async move {
        while let Ok((mut client, _)) = listener.accept().await {
            tokio::spawn(async move {
                tokio::time::sleep(delay).await;
                if let Ok(mut server) = tokio::net::TcpStream::connect(target).await {
                    let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                }
            });
        }
    });
    url
}

async fn a_job_slower_than_its_lease_runs_once(database: TestDatabase) {
    let store = open_store(&database).await;
    let sink = SmtpSink::start().await.expect("smtp sink");
    let relay = slow_relay(&sink, Duration::from_secs(4)).await;
    let mut settings = worker_settings();
    settings.lease_seconds = 3;
    settings.heartbeat_seconds = 1;
    // Two runners watch the queue; without renewals the second would take each
    // delivery over after 3 s and send it again.
    let mailer =
        || Mailer::from_settings(Some(&relay), "unused".as_ref(), SMTP_TIMEOUT).expect("mailer");
    let first = Running::start(runner_with(
        &store,
        mailer(),
        MAX_ATTEMPTS,
        settings.clone(),
    ));
    let second = Running::start(runner_with(&store, mailer(), MAX_ATTEMPTS, settings));

    submit(
        &store,
        feedback("Katulamppu on rikki", Some("maija@example.com")),
    )
    .await;
    let counts = wait_until_idle(&store).await;
    first.stop().await;
    second.stop().await;

    assert_eq!((counts.done, counts.dead), (3, 0), "{counts:?}");
    let received = sink.received();
    assert_eq!(received.len(), 2, "each email sent once: {received:#?}");
}

async fn a_dead_runners_job_is_taken_back_without_waiting_for_its_lease(database: TestDatabase) {
    let store = open_store(&database).await;
    let data = tempfile::tempdir().expect("temporary folder");
    let workers = data.path().join("workers");
    std::fs::create_dir_all(&workers).expect("workers folder");
    // A runner that died holding the case's job for a minute: its lock file is left,
    // and nobody holds it.
    std::fs::write(workers.join("99-99.lock"), "").expect("a dead runner's lock file");
    let case_id = submit(&store, feedback("Katulamppu on rikki", None)).await;
    store
        .claim_job("99-99/0", Duration::from_secs(60), palaute_store::now())
        .await
        .expect("claim")
        .expect("the case's job");

    let outbox = data.path().join("outbox");
    let mailer = Mailer::from_settings(None, &outbox, SMTP_TIMEOUT).expect("outbox mailer");
    let restarted = runner(&store, mailer)
        .with_liveness_folder(&workers)
        .expect("liveness lock");
    let running = Running::start(restarted);
    // Well within the dead runner's lease.
    wait_until_routed(&store, case_id).await;
    wait_until_idle(&store).await;
    assert!(
        !workers.join("99-99.lock").exists(),
        "the dead runner is forgotten"
    );
    running.stop().await;

    let left: Vec<_> = std::fs::read_dir(&workers)
        .expect("workers folder")
        .collect();
    assert!(
        left.is_empty(),
        "a stopped runner removes its lock: {left:?}"
    );
}

on_every_backend!(
    a_job_slower_than_its_lease_runs_once,
    a_dead_runners_job_is_taken_back_without_waiting_for_its_lease,
);
