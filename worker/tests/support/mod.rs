//! A worker harness for the integration tests: a migrated store, runners wired the way
//! the binary wires them (with small intervals), a bounded wait, and header decoding.

// Each test file uses a part of the harness.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use palaute_core::settings::WorkerSettings;
use palaute_core::{CaseId, CaseStatus, Channel, Language, Organisation};
use palaute_store::{CaseRecord, ContactDetails, EmailRecord, JobCounts, NewCase, Store};
use palaute_testkit::TestDatabase;
use palaute_worker::Runner;
use palaute_worker::Wakeups;
use palaute_worker::delivery::EmailSender;
use palaute_worker::mail::Mailer;
use palaute_worker::pipeline::Pipeline;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub const MAX_ATTEMPTS: i32 = 3;
pub const MAIL_FROM: &str = "Helsingin kaupunki – palaute <noreply@palaute.hel.fi>";
pub const PUBLIC_URL: &str = "https://palaute.hel.fi";
/// Each SMTP step's bound, as the runtime would give it.
pub const SMTP_TIMEOUT: Duration = Duration::from_secs(5);

/// How long a test waits for the worker before failing; a bound, never a measurement.
const PATIENCE: Duration = Duration::from_secs(15);
const LOOK_EVERY: Duration = Duration::from_millis(20);

/// Connects to the test database, migrates it and loads Helsinki's organisation.
pub async fn open_store(database: &TestDatabase) -> Store {
    let store = Store::connect(&database.url, 5).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
        .sync_organisation(&Organisation::helsinki())
        .await
        .expect("sync the organisation");
    store
}

/// Quick retries, quick polling, and few attempts, so failures end within moments.
pub fn worker_settings() -> WorkerSettings {
    WorkerSettings {
        in_process: true,
        concurrency: 2,
        poll_interval_ms: 20,
        lease_seconds: 30,
        max_attempts: MAX_ATTEMPTS,
        retry_base_ms: 10,
        retry_cap_seconds: 1,
        ..WorkerSettings::default()
    }
}

/// A runner as `palaute worker` builds it, delivering through `mailer`.
pub fn runner(store: &Store, mailer: Mailer) -> Runner {
    runner_with_attempts(store, mailer, MAX_ATTEMPTS)
}

/// A runner whose pipeline gives the jobs it queues `max_attempts` attempts.
pub fn runner_with_attempts(store: &Store, mailer: Mailer, max_attempts: i32) -> Runner {
    runner_with(store, mailer, max_attempts, worker_settings())
}

/// A runner with its own worker settings.
pub fn runner_with(
    store: &Store,
    mailer: Mailer,
    max_attempts: i32,
    settings: WorkerSettings,
) -> Runner {
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::new(Organisation::helsinki()),
        MAIL_FROM.to_owned(),
        PUBLIC_URL.to_owned(),
        max_attempts,
    );
    let email_sender = EmailSender::new(store.clone(), mailer);
    Runner::new(
        store.clone(),
        settings,
        palaute_core::settings::RoutingSettings::default(),
        pipeline,
        email_sender,
        Wakeups::default(),
    )
}

/// A runner working in the background until [`Running::stop`].
pub struct Running {
    shutdown: watch::Sender<bool>,
    handle: JoinHandle<()>,
}

impl Running {
    pub fn start(runner: Runner) -> Self {
        let (shutdown, shutdown_rx) = watch::channel(false);
        let handle = tokio::spawn(runner.run(shutdown_rx));
        Self { shutdown, handle }
    }

    /// Asks the runner to stop and waits until the jobs in hand have finished.
    pub async fn stop(self) {
        self.shutdown.send(true).expect("the runner is listening");
        tokio::time::timeout(PATIENCE, self.handle)
            .await
            .expect("the runner stops when asked")
            .expect("the runner did not panic");
    }
}

/// Runs `probe` until it returns `Some`, or fails naming `what` after a generous bound.
pub async fn eventually<T>(what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(LOOK_EVERY).await;
    }
}

/// Waits until no job is queued or running (a job being retried counts as queued), and
/// returns the final counts.
pub async fn wait_until_idle(store: &Store) -> JobCounts {
    eventually("the job queue to empty", async || {
        let counts = store.job_counts().await.expect("job counts");
        (counts.queued == 0 && counts.running == 0).then_some(counts)
    })
    .await
}

/// A resident's web feedback in Finnish, with an email address when one is given.
pub fn feedback(description: &str, email: Option<&str>) -> NewCase {
    NewCase {
        channel: Channel::Web,
        title: None,
        description: description.to_owned(),
        stated_language: Some(Language::Fi),
        category_code: None,
        contact: email.map(|email| ContactDetails {
            name: Some("Maija Meikäläinen".to_owned()),
            email: Some(email.to_owned()),
            phone: None,
        }),
        location: None,
        idempotency_key: None,
        fingerprint: description.to_owned(),
        source: None,
        attachments: Vec::new(),
        answers: Vec::new(),
    }
}

pub async fn submit(store: &Store, case: NewCase) -> CaseId {
    store
        .submit_case(case, MAX_ATTEMPTS, palaute_store::now())
        .await
        .expect("submit a case")
        .case_id
}

pub async fn load_case(store: &Store, id: CaseId) -> CaseRecord {
    store
        .case_by_id(id)
        .await
        .expect("load a case")
        .expect("the case exists")
}

/// Waits until the pipeline has moved the case out of NEW.
pub async fn wait_until_routed(store: &Store, id: CaseId) -> CaseRecord {
    eventually("the case to be routed", async || {
        let case = load_case(store, id).await;
        (case.status != CaseStatus::New).then_some(case)
    })
    .await
}

pub async fn timeline(store: &Store, id: CaseId) -> Vec<String> {
    store
        .case_events(id)
        .await
        .expect("load the timeline")
        .into_iter()
        .map(|event| event.kind)
        .collect()
}

pub async fn emails(store: &Store, id: CaseId) -> Vec<EmailRecord> {
    store.emails_for_case(id.0).await.expect("load the outbox")
}

/// The one email of `kind` (`handler_notification`, `acknowledgement`) in `emails`.
pub fn email_of_kind<'a>(emails: &'a [EmailRecord], kind: &str) -> &'a EmailRecord {
    let mut matching = emails.iter().filter(|email| email.kind == kind);
    let email = matching
        .next()
        .unwrap_or_else(|| panic!("no {kind} email in {emails:#?}"));
    assert!(matching.next().is_none(), "two {kind} emails: {emails:#?}");
    email
}

/// Decodes RFC 2047 encoded-words (`=?utf-8?b?…?=`, `=?utf-8?q?…?=`) in a header value;
/// whitespace between two encoded-words is dropped, as the RFC says.
pub fn decode_header(value: &str) -> String {
    let mut bytes = Vec::new();
    let mut previous_was_encoded = false;
    for (index, token) in value.split_whitespace().enumerate() {
        let decoded = decode_encoded_word(token);
        if index > 0 && !(previous_was_encoded && decoded.is_some()) {
            bytes.push(b' ');
        }
        previous_was_encoded = decoded.is_some();
        bytes.extend(decoded.unwrap_or_else(|| token.as_bytes().to_vec()));
    }
    String::from_utf8(bytes).expect("a header decodes to UTF-8")
}

fn decode_encoded_word(token: &str) -> Option<Vec<u8>> {
    let inner = token.strip_prefix("=?")?.strip_suffix("?=")?;
    let mut parts = inner.splitn(3, '?');
    let (charset, encoding, text) = (parts.next()?, parts.next()?, parts.next()?);
    assert!(charset.eq_ignore_ascii_case("utf-8"), "charset {charset}");
    match encoding {
        "b" | "B" => Some(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64 encoded-word"),
        ),
        "q" | "Q" => {
            let mut out = Vec::new();
            let mut rest = text.as_bytes();
            while let Some((&byte, tail)) = rest.split_first() {
                match byte {
                    b'_' => out.push(b' '),
                    b'=' if tail.len() >= 2 => {
                        let hex = std::str::from_utf8(&tail[..2]).expect("hex escape");
                        out.push(u8::from_str_radix(hex, 16).expect("hex escape"));
                        rest = &tail[2..];
                        continue;
                    }
                    other => out.push(other),
                }
                rest = tail;
            }
            Some(out)
        }
        other => panic!("unknown encoding {other}"),
    }
}

#[test]
fn encoded_words_decode_and_join() {
    assert_eq!(
        decode_header("=?utf-8?b?W0hFTC0yMDI2LTAwMDAwMV0gS8Ok?= =?utf-8?q?vely_t=C3=A4?= x"),
        "[HEL-2026-000001] Kävely tä x"
    );
    assert_eq!(decode_header("plain  words"), "plain words");
}
