//! The IMAP poller against a real Dovecot (a private instance per test, see
//! `palaute_testkit::dovecot`): every message ingested exactly once, through a failing
//! ingest and a server restart, then moved (or flagged); the poller stops on shutdown.
//! Skipped where Dovecot is not installed, required under CI.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it checks is not as expected"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::bail;
use palaute_core::settings::ImapSettings;
use palaute_mail::imap::{Drained, drain_once, run_poller};
use palaute_testkit::dovecot::{Dovecot, DovecotOptions, PASSWORD, USERNAME};
use tokio::sync::watch;

const PROCESSED: &str = "Processed";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_message_is_ingested_once_and_moved_through_a_failure_and_a_restart() {
    log_to_test_output();
    let started = Instant::now();
    let Some(mut dovecot) = Dovecot::start().await else {
        return;
    };
    for number in 0..20 {
        dovecot.append("INBOX", &message(number)).await;
    }
    let recorder = Recorder::failing_once_for(&[7]);
    let (stop, shutdown) = watch::channel(false);
    let poller = tokio::spawn(run_poller(
        settings(&dovecot, Some(PROCESSED), 30),
        recorder.ingest(),
        shutdown,
    ));

    recorder.wait_for(20).await;
    wait_for_counts(&dovecot, 0, 20).await;
    assert_eq!(
        recorder.attempts_of(7),
        2,
        "the failed message is tried again"
    );

    // The server goes away (every connection closed) and stays away for a while, so that
    // the poller's reconnects are refused, then comes back: the poller, idle in IDLE when
    // it went, reconnects by itself.
    dovecot.stop().await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!poller.is_finished(), "a server away is no reason to stop");
    dovecot.start_again().await;
    let restarted = Instant::now();
    for number in 20..30 {
        dovecot.append("INBOX", &message(number)).await;
    }
    recorder.wait_for(30).await;
    wait_for_counts(&dovecot, 0, 30).await;
    eprintln!(
        "the messages appended after the restart were all taken {:?} after it",
        restarted.elapsed()
    );

    // Idle in IDLE on the new connection (poll_seconds is 30): a new message wakes it.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let appended = Instant::now();
    dovecot.append("INBOX", &message(30)).await;
    recorder.wait_for(31).await;
    assert!(
        appended.elapsed() < Duration::from_secs(10),
        "IDLE announced the new message, no poll did: {:?}",
        appended.elapsed()
    );
    wait_for_counts(&dovecot, 0, 31).await;
    eprintln!(
        "a message appended during IDLE was taken {:?} after",
        appended.elapsed()
    );

    stop.send(true).unwrap();
    let stopped = tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .expect("the poller stops within 5 s of shutdown")
        .expect("the poller task does not panic");
    stopped.expect("the poller ends with Ok on shutdown");

    recorder.assert_each_taken_once(0..31);
    let processed = message_ids(&dovecot.messages(PROCESSED));
    assert_eq!(
        processed,
        expected_ids(0..31),
        "Processed holds every message"
    );
    assert!(dovecot.messages("INBOX").is_empty());
    eprintln!("the whole test took {:?}", started.elapsed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_processed_mailbox_messages_are_flagged_and_not_taken_again() {
    log_to_test_output();
    let Some(dovecot) = Dovecot::start().await else {
        return;
    };
    for number in 0..10 {
        dovecot.append("INBOX", &message(number)).await;
    }
    let recorder = Recorder::failing_once_for(&[3]);
    let settings = settings(&dovecot, None, 30);

    let first = drain_once(&settings, recorder.ingest()).await.unwrap();
    assert_eq!(
        first,
        Drained {
            ingested: 9,
            failed: 1
        }
    );
    let second = drain_once(&settings, recorder.ingest()).await.unwrap();
    assert_eq!(
        second,
        Drained {
            ingested: 1,
            failed: 0
        },
        "only the message that failed is taken again"
    );
    let third = drain_once(&settings, recorder.ingest()).await.unwrap();
    assert_eq!(third, Drained::default());

    // The poller takes only what arrives after.
    let (stop, shutdown) = watch::channel(false);
    let poller = tokio::spawn(run_poller(settings, recorder.ingest(), shutdown));
    for number in 10..13 {
        dovecot.append("INBOX", &message(number)).await;
    }
    recorder.wait_for(13).await;
    eventually(&dovecot, "the last message to be flagged", async || {
        dovecot
            .uid_search("INBOX", "KEYWORD $PalauteIngested SEEN")
            .await
            .len()
            == 13
    })
    .await;
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .expect("the poller stops within 5 s of shutdown")
        .unwrap()
        .unwrap();

    recorder.assert_each_taken_once(0..13);
    assert_eq!(dovecot.message_count("INBOX").await, 13, "flagged in place");
    assert!(
        dovecot
            .uid_search("INBOX", "UNKEYWORD $PalauteIngested")
            .await
            .is_empty()
    );
    assert_eq!(
        dovecot.message_count(PROCESSED).await,
        0,
        "no mailbox is created"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_idle_move_and_uidplus_is_polled_and_copied_from() {
    log_to_test_output();
    let Some(mut dovecot) = Dovecot::start_with(DovecotOptions {
        capabilities: Some("IMAP4rev1 LITERAL+".to_owned()),
        ..DovecotOptions::default()
    })
    .await
    else {
        return;
    };
    for number in 0..5 {
        dovecot.append("INBOX", &message(number)).await;
    }
    let recorder = Recorder::failing_once_for(&[]);
    let (stop, shutdown) = watch::channel(false);
    let poller = tokio::spawn(run_poller(
        settings(&dovecot, Some("Käsitelty/2026"), 1),
        recorder.ingest(),
        shutdown,
    ));
    recorder.wait_for(5).await;
    // A restart while the poller sleeps between polls: its next poll finds the
    // connection gone and reconnects.
    dovecot.restart().await;
    for number in 5..8 {
        dovecot.append("INBOX", &message(number)).await;
    }
    recorder.wait_for(8).await;
    wait_for_counts_in(&dovecot, "K&AOQ-sitelty/2026", 0, 8).await;

    // Shutdown wakes the poller from its sleep between polls.
    let asked = Instant::now();
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(5), poller)
        .await
        .expect("the poller stops within 5 s of shutdown")
        .unwrap()
        .unwrap();
    assert!(
        asked.elapsed() < Duration::from_secs(3),
        "{:?}",
        asked.elapsed()
    );

    recorder.assert_each_taken_once(0..8);
    assert!(
        dovecot.uid_search("INBOX", "ALL").await.is_empty(),
        "expunged"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_no_root_vouches_for_is_refused() {
    log_to_test_output();
    let Some(dovecot) = Dovecot::start_with(DovecotOptions {
        tls: true,
        ..DovecotOptions::default()
    })
    .await
    else {
        return;
    };
    dovecot.append("INBOX", &message(0)).await;
    let mut settings = settings(&dovecot, Some(PROCESSED), 30);
    settings.url = dovecot.imaps_url().unwrap();
    let recorder = Recorder::failing_once_for(&[]);
    let error = drain_once(&settings, recorder.ingest()).await.unwrap_err();
    let chain = format!("{error:#}");
    assert!(chain.contains("TLS handshake"), "{chain}");
    assert!(chain.contains("UnknownIssuer"), "{chain}");
    assert_eq!(dovecot.message_count("INBOX").await, 1, "nothing was read");
}

#[tokio::test]
async fn settings_that_can_never_work_end_the_poller_at_once() {
    let (_stop, shutdown) = watch::channel(false);
    let mut settings = ImapSettings {
        url: "pop3://127.0.0.1:110".to_owned(),
        ..ImapSettings::default()
    };
    let recorder = Recorder::failing_once_for(&[]);
    assert!(
        run_poller(settings.clone(), recorder.ingest(), shutdown.clone())
            .await
            .is_err()
    );
    settings.url = "imap://127.0.0.1:1".to_owned();
    settings.processed_mailbox = Some("INBOX".to_owned());
    assert!(
        run_poller(settings, recorder.ingest(), shutdown)
            .await
            .is_err()
    );
}

#[tokio::test]
async fn an_unreachable_server_is_retried_until_shutdown() {
    log_to_test_output();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let settings = ImapSettings {
        url: format!("imap://127.0.0.1:{port}"),
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        ..ImapSettings::default()
    };
    let recorder = Recorder::failing_once_for(&[]);
    let (stop, shutdown) = watch::channel(false);
    let poller = tokio::spawn(run_poller(settings, recorder.ingest(), shutdown));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!poller.is_finished(), "a refused connection is transient");
    stop.send(true).unwrap();
    tokio::time::timeout(Duration::from_secs(2), poller)
        .await
        .expect("shutdown ends the backoff wait")
        .unwrap()
        .unwrap();
}

fn settings(dovecot: &Dovecot, processed: Option<&str>, poll_seconds: u64) -> ImapSettings {
    ImapSettings {
        url: dovecot.url(),
        username: USERNAME.to_owned(),
        password: PASSWORD.to_owned(),
        mailbox: "INBOX".to_owned(),
        processed_mailbox: processed.map(str::to_owned),
        poll_seconds,
    }
}

fn message(number: usize) -> Vec<u8> {
    format!(
        "From: Asukas {number} <asukas{number}@example.org>\r\n\
         To: palaute@hel.fi\r\n\
         Subject: Katuvalo {number} ei pala\r\n\
         Message-ID: {}\r\n\
         Date: Tue, 01 Dec 2026 08:00:00 +0200\r\n\
         MIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\n\
         \r\n\
         Katuvalo numero {number} on ollut pimeänä viikon.\r\n",
        message_id(number)
    )
    .into_bytes()
}

fn message_id(number: usize) -> String {
    format!("<imap-{number}@test.example.org>")
}

fn expected_ids(numbers: std::ops::Range<usize>) -> BTreeSet<String> {
    numbers.map(message_id).collect()
}

/// The Message-ID of a raw message (CRLF or LF).
fn message_id_of(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    text.lines()
        .take_while(|line| !line.is_empty())
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("Message-ID")
                .then(|| value.trim().to_owned())
        })
        .expect("every test message has a Message-ID")
}

fn message_ids(messages: &[Vec<u8>]) -> BTreeSet<String> {
    let ids: BTreeSet<String> = messages.iter().map(|raw| message_id_of(raw)).collect();
    assert_eq!(ids.len(), messages.len(), "no message is there twice");
    ids
}

/// What the ingest closure saw.
#[derive(Default)]
struct Seen {
    /// Every call, by Message-ID.
    attempts: BTreeMap<String, usize>,
    /// Every message taken (Ok returned), in order.
    taken: Vec<String>,
}

/// An ingest side that records each message and refuses some once, on purpose.
#[derive(Clone)]
struct Recorder {
    seen: Arc<Mutex<Seen>>,
    fail_once: Arc<BTreeSet<String>>,
    updates: watch::Sender<usize>,
}

impl Recorder {
    fn failing_once_for(numbers: &[usize]) -> Self {
        Self {
            seen: Arc::default(),
            fail_once: Arc::new(numbers.iter().copied().map(message_id).collect()),
            updates: watch::Sender::new(0),
        }
    }

    fn ingest(
        &self,
    ) -> impl Fn(Vec<u8>) -> std::pin::Pin<Box<dyn Future<Output = anyhow::Result<()>> + Send>>
    + Send
    + Sync
    + 'static {
        let recorder = self.clone();
        move |raw: Vec<u8>| {
            let recorder = recorder.clone();
            Box::pin(async move { recorder.take(&raw) })
        }
    }

    fn take(&self, raw: &[u8]) -> anyhow::Result<()> {
        let id = message_id_of(raw);
        let mut seen = self.seen.lock().unwrap();
        let attempts = seen.attempts.entry(id.clone()).or_default();
        *attempts += 1;
        if *attempts == 1 && self.fail_once.contains(&id) {
            bail!("refusing {id} once, on purpose");
        }
        seen.taken.push(id);
        self.updates.send_replace(seen.taken.len());
        Ok(())
    }

    fn attempts_of(&self, number: usize) -> usize {
        self.seen
            .lock()
            .unwrap()
            .attempts
            .get(&message_id(number))
            .copied()
            .unwrap_or_default()
    }

    async fn wait_for(&self, count: usize) {
        let mut updates = self.updates.subscribe();
        let waited = tokio::time::timeout(
            Duration::from_secs(15),
            updates.wait_for(|taken| *taken >= count),
        )
        .await;
        assert!(
            waited.is_ok(),
            "expected {count} messages taken within 15 s, got {}",
            self.seen.lock().unwrap().taken.len()
        );
    }

    fn assert_each_taken_once(&self, numbers: std::ops::Range<usize>) {
        let seen = self.seen.lock().unwrap();
        let taken: BTreeSet<String> = seen.taken.iter().cloned().collect();
        assert_eq!(
            taken.len(),
            seen.taken.len(),
            "a message was taken twice: {:?}",
            seen.taken
        );
        assert_eq!(taken, expected_ids(numbers));
    }
}

async fn wait_for_counts(dovecot: &Dovecot, inbox: usize, processed: usize) {
    wait_for_counts_in(dovecot, PROCESSED, inbox, processed).await;
}

async fn wait_for_counts_in(dovecot: &Dovecot, folder: &str, inbox: usize, processed: usize) {
    eventually(
        dovecot,
        &format!("{inbox} in INBOX and {processed} in {folder}"),
        async || {
            dovecot.message_count("INBOX").await == inbox
                && dovecot.message_count(folder).await == processed
        },
    )
    .await;
}

/// Checks until `check` holds, failing after 10 s with the server's log.
async fn eventually(dovecot: &Dovecot, what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !check().await {
        assert!(
            Instant::now() < deadline,
            "waited 10 s for {what}; dovecot's log:\n{}",
            dovecot.log()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn log_to_test_output() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "palaute_mail=debug".into()),
        )
        .with_test_writer()
        .try_init()
        .ok();
}
