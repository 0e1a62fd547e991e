//! The worker end to end, on SQLite and (where configured) PostgreSQL: a submitted case
//! is routed by a running [`Runner`], its emails leave through the outbox to a real SMTP
//! server or the outbox folder, failures are retried or parked, repeated jobs change
//! nothing, and the search index follows the database.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use palaute_core::{CaseStatus, Language};
use palaute_search_index::{SearchFilters, SearchIndex, SearchQuery, SearchResults};
use palaute_store::{
    EmailKind, EmailStatus, JobCounts, JobKind, NewEmail, Routing, RoutingRecorded, Store,
};
use palaute_testkit::smtp::{SmtpSink, SmtpSinkOptions};
use palaute_testkit::{TestDatabase, on_every_backend};
use palaute_worker::Indexer;
use palaute_worker::mail::Mailer;
use support::{
    MAX_ATTEMPTS, Running, SMTP_TIMEOUT, decode_header, email_of_kind, emails, eventually,
    feedback, load_case, open_store, runner, runner_with_attempts, submit, timeline,
    wait_until_idle, wait_until_routed,
};
use tokio::io::AsyncWriteExt;
use tokio::sync::{Notify, oneshot};

const STREET_LAMP: &str = "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa";
const THANKS: &str = "Hei, kiitos hyvästä palvelusta!";
const RESIDENT: &str = "maija.meikalainen@example.com";
const STREET_WORKS_MAILBOX: &str = "rakennusvirasto@palaute.hel.fi";
const TRIAGE_MAILBOX: &str = "ohjaus@palaute.hel.fi";

fn smtp_mailer(sink: &SmtpSink) -> Mailer {
    smtp_mailer_at(&sink.url())
}

fn smtp_mailer_at(url: &str) -> Mailer {
    Mailer::from_settings(Some(url), Path::new("unused-outbox"), SMTP_TIMEOUT).expect("smtp mailer")
}

fn outbox_mailer(folder: &Path) -> Mailer {
    Mailer::from_settings(None, folder, SMTP_TIMEOUT).expect("outbox mailer")
}

async fn failing_smtp_sink() -> SmtpSink {
    SmtpSink::start_with(SmtpSinkOptions {
        fail_marked_recipients: true,
    })
    .await
    .expect("smtp sink")
}

/// Every entry of the outbox folder, temporary files included, by name.
fn outbox_files(folder: &Path) -> Vec<(String, SystemTime)> {
    let mut files: Vec<_> = std::fs::read_dir(folder)
        .expect("the outbox folder exists")
        .map(|entry| {
            let entry = entry.expect("outbox entry");
            let modified = entry
                .metadata()
                .and_then(|metadata| metadata.modified())
                .expect("modification time");
            (entry.file_name().to_string_lossy().into_owned(), modified)
        })
        .collect();
    files.sort();
    files
}

fn search(index: &SearchIndex, text: &str, status: Option<&str>) -> SearchResults {
    index
        .search(&SearchQuery {
            text: text.to_owned(),
            filters: SearchFilters {
                status: status.map(str::to_owned),
                ..SearchFilters::default()
            },
            limit: 10,
            offset: 0,
        })
        .expect("search")
}

async fn street_lamp_case_is_routed_and_both_emails_arrive_over_smtp(database: TestDatabase) {
    let store = open_store(&database).await;
    let sink = SmtpSink::start().await.expect("smtp sink");
    let running = Running::start(runner(&store, smtp_mailer(&sink)));

    let case_id = submit(&store, feedback(STREET_LAMP, Some(RESIDENT))).await;
    let case = wait_until_routed(&store, case_id).await;
    let counts = wait_until_idle(&store).await;
    running.stop().await;

    assert_eq!(case.status, CaseStatus::Routed, "{case:#?}");
    assert_eq!(case.unit_code.as_deref(), Some("rakennusvirasto"));
    assert_eq!(case.language, Some(Language::Fi));
    assert!(case.routed_at.is_some());
    assert_eq!(timeline(&store, case_id).await, ["received", "routed"]);
    assert_eq!(
        counts,
        JobCounts {
            queued: 0,
            running: 0,
            done: 3,
            dead: 0
        },
        "the pipeline job and two send jobs"
    );

    let reference = case.reference.to_string();
    let outbox = emails(&store, case_id).await;
    assert_eq!(outbox.len(), 2, "{outbox:#?}");
    for email in &outbox {
        assert_eq!(email.status, EmailStatus::Sent.code(), "{email:#?}");
        assert!(email.sent_at.is_some(), "{email:#?}");
        assert_eq!(email.last_error, None);
        let note = email.delivery_note.as_deref().unwrap_or_default();
        assert!(note.starts_with("accepted by SMTP relay: 250"), "{note}");
    }
    let handler = email_of_kind(&outbox, "handler_notification");
    let acknowledgement = email_of_kind(&outbox, "acknowledgement");
    assert_eq!(handler.to, STREET_WORKS_MAILBOX);
    assert_eq!(acknowledgement.to, RESIDENT);
    assert_eq!(acknowledgement.language, Language::Fi);
    let lowercase = reference.to_ascii_lowercase();
    for (email, kind) in [(handler, "handler"), (acknowledgement, "ack")] {
        // `<reference>.<kind>.c<case id>.<8 random hex digits>@<sender domain>`
        let id = &email.message_id;
        let random = id
            .strip_prefix(&format!("{lowercase}.{kind}.c{}.", case_id.0))
            .and_then(|rest| rest.strip_suffix("@palaute.hel.fi"))
            .unwrap_or_else(|| panic!("unexpected Message-ID {id}"));
        assert!(
            random.len() == 8 && random.bytes().all(|b| b.is_ascii_hexdigit()),
            "{id}"
        );
    }
    assert_ne!(handler.message_id, acknowledgement.message_id);

    let received = sink.received();
    assert_eq!(received.len(), 2, "each email is delivered once");
    for email in [handler, acknowledgement] {
        let mail = received
            .iter()
            .find(|mail| mail.rcpt_to == [email.to.as_str()])
            .unwrap_or_else(|| panic!("no mail to {} in {received:#?}", email.to));
        assert_eq!(mail.mail_from, "noreply@palaute.hel.fi");
        assert_eq!(
            mail.header("Message-ID"),
            Some(format!("<{}>", email.message_id))
        );
        assert_eq!(
            mail.header("Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert_eq!(mail.header("Content-Language").as_deref(), Some("fi"));
        let subject = decode_header(&mail.header("Subject").expect("a subject"));
        assert!(subject.contains(&reference), "{subject}");
        assert_eq!(subject, email.subject);
    }
}

async fn feedback_without_keywords_goes_to_triage(database: TestDatabase) {
    let store = open_store(&database).await;
    let folder = tempfile::tempdir().expect("temporary folder");
    let running = Running::start(runner(&store, outbox_mailer(folder.path())));

    let case_id = submit(&store, feedback(THANKS, None)).await;
    let case = wait_until_routed(&store, case_id).await;
    wait_until_idle(&store).await;
    running.stop().await;

    assert_eq!(case.status, CaseStatus::NeedsTriage, "{case:#?}");
    assert_eq!(case.unit_code.as_deref(), Some("triage"));
    assert_eq!(
        timeline(&store, case_id).await,
        ["received", "needs_triage"]
    );
    let outbox = emails(&store, case_id).await;
    assert_eq!(outbox.len(), 1, "no contact, so no acknowledgement");
    let handler = email_of_kind(&outbox, "handler_notification");
    assert_eq!(handler.to, TRIAGE_MAILBOX);
    assert_eq!(handler.status, EmailStatus::Sent.code());
}

async fn repeated_jobs_write_each_email_once(database: TestDatabase) {
    let store = open_store(&database).await;
    let folder = tempfile::tempdir().expect("temporary folder");
    let outbox = folder.path().join("outbox");
    let by_hand = runner(&store, outbox_mailer(&outbox));
    let case_id = submit(&store, feedback(STREET_LAMP, Some(RESIDENT))).await;

    // Each job is claimed by worker A, which stalls past its lease; worker B takes the job
    // over, and then both run it, as two processes would after a long pause.
    let mut replays = Vec::new();
    for expected in [JobKind::ProcessCase, JobKind::SendEmail, JobKind::SendEmail] {
        let stalled = store
            .claim_job("worker-a", Duration::ZERO, palaute_store::now())
            .await
            .expect("claim")
            .expect("a due job");
        assert_eq!(stalled.kind, Some(expected));
        tokio::time::sleep(Duration::from_millis(5)).await;
        let taken_over = store
            .claim_job("worker-b", Duration::from_secs(30), palaute_store::now())
            .await
            .expect("claim")
            .expect("an expired lease is claimed again");
        assert_eq!(taken_over.id, stalled.id);
        assert_eq!(taken_over.attempts, 2);
        tokio::join!(
            by_hand.run_job("worker-a", stalled),
            by_hand.run_job("worker-b", taken_over.clone()),
        );
        replays.push(taken_over);
    }

    let case = load_case(&store, case_id).await;
    assert_eq!(case.status, CaseStatus::Routed);
    assert_eq!(timeline(&store, case_id).await, ["received", "routed"]);
    let sent = emails(&store, case_id).await;
    assert_eq!(sent.len(), 2, "{sent:#?}");
    assert!(sent.iter().all(|e| e.status == EmailStatus::Sent.code()));
    let mut expected_files: Vec<String> = sent
        .iter()
        .map(|email| format!("{}.eml", email.message_id))
        .collect();
    expected_files.sort();
    let files = outbox_files(&outbox);
    assert_eq!(
        files
            .iter()
            .map(|(name, _)| name.clone())
            .collect::<Vec<_>>(),
        expected_files,
        "exactly one file per email, and no temporary files left"
    );
    let counts = store.job_counts().await.expect("counts");
    assert_eq!((counts.done, counts.queued, counts.dead), (3, 0, 0));

    // A restarted worker, every job replayed once more, and the routing recorded again:
    // nothing is routed, queued or written twice.
    let restarted = Running::start(runner(&store, outbox_mailer(&outbox)));
    for job in replays {
        by_hand.run_job("worker-c", job).await;
    }
    let again = store
        .record_routing(
            case_id,
            &Routing {
                language: Some(Language::Fi),
                language_confidence: 1.0,
                unit_code: "triage".to_owned(),
                category_code: None,
                status: CaseStatus::NeedsTriage,
                reason: "a repeat".to_owned(),
                confidence: 0.0,
                predictions: Vec::new(),
            },
            &[NewEmail {
                kind: EmailKind::HandlerNotification,
                message_id: "repeat.handler@palaute.hel.fi".to_owned(),
                from: support::MAIL_FROM.to_owned(),
                to: TRIAGE_MAILBOX.to_owned(),
                subject: "repeat".to_owned(),
                body_text: "repeat".to_owned(),
                language: Language::Fi,
                occasion: None,
                at_most_every: None,
                in_reply_to: None,
            }],
            MAX_ATTEMPTS,
            palaute_store::now(),
        )
        .await
        .expect("record the routing again");
    assert_eq!(again, RoutingRecorded::AlreadyRouted);
    let counts = wait_until_idle(&store).await;
    restarted.stop().await;

    assert_eq!((counts.done, counts.queued, counts.dead), (3, 0, 0));
    assert_eq!(load_case(&store, case_id).await, case);
    assert_eq!(timeline(&store, case_id).await, ["received", "routed"]);
    assert_eq!(emails(&store, case_id).await, sent);
    assert_eq!(outbox_files(&outbox), files, "no file was written again");
}

async fn rejected_acknowledgement_is_parked_and_the_handler_still_notified(database: TestDatabase) {
    let store = open_store(&database).await;
    let sink = failing_smtp_sink().await;
    let running = Running::start(runner(&store, smtp_mailer(&sink)));

    let case_id = submit(
        &store,
        feedback(STREET_LAMP, Some("reject.maija@example.org")),
    )
    .await;
    wait_until_routed(&store, case_id).await;
    let counts = wait_until_idle(&store).await;
    running.stop().await;

    assert_eq!(
        counts,
        JobCounts {
            queued: 0,
            running: 0,
            done: 2,
            dead: 1
        }
    );
    let outbox = emails(&store, case_id).await;
    let handler = email_of_kind(&outbox, "handler_notification");
    assert_eq!(handler.status, EmailStatus::Sent.code());
    let acknowledgement = email_of_kind(&outbox, "acknowledgement");
    assert_eq!(acknowledgement.status, EmailStatus::Failed.code());
    assert_eq!(acknowledgement.sent_at, None);
    let email_error = acknowledgement.last_error.as_deref().unwrap_or_default();
    assert!(email_error.contains("rejected"), "{email_error}");

    let dead = store.dead_jobs().await.expect("dead jobs");
    assert_eq!(dead.len(), 1, "{dead:?}");
    let (_, kind, job_error) = &dead[0];
    assert_eq!(kind, JobKind::SendEmail.code());
    let job_error = job_error.as_deref().unwrap_or_default();
    assert!(
        job_error.contains(&format!("delivering email {}", acknowledgement.id)),
        "{job_error}"
    );
    assert!(job_error.contains("550"), "{job_error}");

    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, [STREET_WORKS_MAILBOX]);
}

async fn deferred_acknowledgement_is_retried_then_parked(database: TestDatabase) {
    let store = open_store(&database).await;
    let sink = failing_smtp_sink().await;
    let by_hand = runner(&store, smtp_mailer(&sink));
    let case_id = submit(
        &store,
        feedback(STREET_LAMP, Some("tempfail.maija@example.org")),
    )
    .await;

    // The runner's own job handling, driven by hand: the store tells a job's attempt
    // count only to whoever claims it. After each send attempt, note the email's state.
    let mut attempts = Vec::new();
    let counts = eventually("every job to settle", async || {
        while let Some(job) = store
            .claim_job("by-hand", Duration::from_secs(30), palaute_store::now())
            .await
            .expect("claim")
        {
            let email_id = job.payload.get("email_id").and_then(|id| id.as_i64());
            let attempt = job.attempts;
            by_hand.run_job("by-hand", job).await;
            if let Some(email_id) = email_id {
                let email = store.email(email_id).await.expect("load").expect("email");
                attempts.push((
                    email.kind,
                    attempt,
                    email.status,
                    email.last_error.is_some(),
                ));
            }
        }
        let counts = store.job_counts().await.expect("counts");
        (counts.queued == 0 && counts.running == 0).then_some(counts)
    })
    .await;

    let acknowledgement_attempts: Vec<_> = attempts
        .iter()
        .filter(|(kind, ..)| kind == "acknowledgement")
        .map(|(_, attempt, status, has_error)| (*attempt, status.as_str(), *has_error))
        .collect();
    assert_eq!(
        acknowledgement_attempts,
        [
            (1, "pending", true),
            (2, "pending", true),
            (3, "failed", true)
        ],
        "retried while attempts remain, failed for good after {MAX_ATTEMPTS}"
    );
    let handler_attempts: Vec<_> = attempts
        .iter()
        .filter(|(kind, ..)| kind == "handler_notification")
        .map(|(_, attempt, status, _)| (*attempt, status.as_str()))
        .collect();
    assert_eq!(handler_attempts, [(1, "sent")]);
    assert_eq!(
        counts,
        JobCounts {
            queued: 0,
            running: 0,
            done: 2,
            dead: 1
        }
    );
    let dead = store.dead_jobs().await.expect("dead jobs");
    assert_eq!(dead.len(), 1, "{dead:?}");
    let job_error = dead[0].2.as_deref().unwrap_or_default();
    assert!(job_error.contains("451"), "{job_error}");

    let outbox = emails(&store, case_id).await;
    let acknowledgement = email_of_kind(&outbox, "acknowledgement");
    assert_eq!(acknowledgement.status, EmailStatus::Failed.code());
    assert_eq!(acknowledgement.sent_at, None);
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].rcpt_to, [STREET_WORKS_MAILBOX]);
}

async fn indexer_follows_the_database_and_rebuilds_from_it(database: TestDatabase) {
    let store = open_store(&database).await;
    let folder = tempfile::tempdir().expect("temporary folder");
    let index = Arc::new(SearchIndex::open_in_memory().expect("index in memory"));
    let indexer = Indexer::new(store.clone(), Arc::clone(&index));

    let lamp = submit(&store, feedback(STREET_LAMP, Some(RESIDENT))).await;
    let thanks = submit(&store, feedback(THANKS, None)).await;
    assert_eq!(indexer.drain().await.expect("drain"), 2);
    assert_eq!(search(&index, "katulampun", Some("new")).case_ids, [lamp.0]);

    let running = Running::start(runner(&store, outbox_mailer(folder.path())));
    wait_until_routed(&store, lamp).await;
    wait_until_routed(&store, thanks).await;
    wait_until_idle(&store).await;
    running.stop().await;

    // Routing queued both cases for indexing again.
    assert_eq!(indexer.drain().await.expect("drain"), 2);
    assert_eq!(indexer.drain().await.expect("drain"), 0);
    assert!(store.index_backlog(10).await.expect("backlog").is_empty());
    let assert_searchable = |when: &str| {
        let found = search(&index, "katulampun", None);
        assert_eq!(found.case_ids, [lamp.0], "{when}");
        assert_eq!(found.facets.status, [("routed".to_owned(), 1)], "{when}");
        assert_eq!(
            search(&index, "katulampun", Some("routed")).case_ids,
            [lamp.0],
            "{when}"
        );
        assert_eq!(
            search(&index, "", Some("needs_triage")).case_ids,
            [thanks.0],
            "{when}"
        );
        assert_eq!(search(&index, "", Some("new")).total_count, 0, "{when}");
    };
    assert_searchable("after draining");

    index.clear().expect("clear the index");
    assert_eq!(search(&index, "katulampun", None).total_count, 0);
    assert_eq!(index.document_count(), 0);
    assert_eq!(indexer.rebuild().await.expect("rebuild"), 2);
    assert_eq!(index.document_count(), 2);
    assert_searchable("after rebuilding");
}

async fn two_runners_route_every_case_exactly_once(database: TestDatabase) {
    const CASES: usize = 20;
    let store = open_store(&database).await;
    // The second runner has its own connection pool, as a second process would.
    let other_process = Store::connect(&database.url, 5)
        .await
        .expect("second connection pool");
    let sink = SmtpSink::start().await.expect("smtp sink");
    let first = Running::start(runner(&store, smtp_mailer(&sink)));
    let second = Running::start(runner(&other_process, smtp_mailer(&sink)));

    let mut case_ids = Vec::with_capacity(CASES);
    for number in 0..CASES {
        let description = format!("Katulamppu numero {number} on rikki Mannerheimintiellä");
        let resident = format!("asukas{number}@example.org");
        case_ids.push(submit(&store, feedback(&description, Some(&resident))).await);
    }
    let counts = wait_until_idle(&store).await;
    first.stop().await;
    second.stop().await;

    assert_eq!(
        counts,
        JobCounts {
            queued: 0,
            running: 0,
            done: 3 * CASES as u64,
            dead: 0
        }
    );
    let mut message_ids = BTreeSet::new();
    for &case_id in &case_ids {
        let case = load_case(&store, case_id).await;
        assert_eq!(case.status, CaseStatus::Routed, "{case:#?}");
        assert_eq!(case.unit_code.as_deref(), Some("rakennusvirasto"));
        assert_eq!(timeline(&store, case_id).await, ["received", "routed"]);
        let outbox = emails(&store, case_id).await;
        assert_eq!(outbox.len(), 2, "{outbox:#?}");
        let handler = email_of_kind(&outbox, "handler_notification");
        assert_eq!(handler.to, STREET_WORKS_MAILBOX);
        email_of_kind(&outbox, "acknowledgement");
        for email in &outbox {
            assert_eq!(email.status, EmailStatus::Sent.code(), "{email:#?}");
            message_ids.insert(format!("<{}>", email.message_id));
        }
    }

    let received = sink.received();
    assert_eq!(received.len(), 2 * CASES, "no email was delivered twice");
    let received_ids: BTreeSet<_> = received
        .iter()
        .map(|mail| mail.header("Message-ID").expect("a Message-ID"))
        .collect();
    assert_eq!(received_ids, message_ids);
    let to_handlers = received
        .iter()
        .filter(|mail| mail.rcpt_to == [STREET_WORKS_MAILBOX])
        .count();
    assert_eq!(to_handlers, CASES);
}

/// A pipeline job whose lease keeps expiring (its worker crashed on it) is parked once
/// it has been claimed more often than it may run, and its case goes to triage with
/// the failure as the reason instead of waiting as NEW for ever.
async fn a_job_that_keeps_crashing_its_worker_sends_the_case_to_triage(database: TestDatabase) {
    let store = open_store(&database).await;
    let outbox = tempfile::tempdir().expect("outbox folder");
    let case_id = store
        .submit_case(feedback(STREET_LAMP, None), 1, palaute_store::now())
        .await
        .expect("submit")
        .case_id;
    let crashed = store
        .claim_job("crashed", Duration::ZERO, palaute_store::now())
        .await
        .expect("claim")
        .expect("the pipeline job");
    assert_eq!(crashed.attempts, 1);
    let rescuer = runner(&store, outbox_mailer(outbox.path()));
    let reclaimed = store
        .claim_job("rescuer", Duration::from_secs(30), palaute_store::now())
        .await
        .expect("claim")
        .expect("the expired lease is claimed again");
    rescuer.run_job("rescuer", reclaimed).await;

    let case = load_case(&store, case_id).await;
    assert_eq!(case.status, CaseStatus::NeedsTriage);
    assert_eq!(case.unit_code.as_deref(), Some("triage"));
    assert!(
        case.routing_reason
            .as_deref()
            .is_some_and(|reason| reason.starts_with("automatic routing failed")),
        "{:?}",
        case.routing_reason
    );
    let dead = store.dead_jobs().await.expect("dead jobs");
    assert_eq!(dead.len(), 1, "{dead:?}");
}

on_every_backend!(
    a_job_that_keeps_crashing_its_worker_sends_the_case_to_triage,
    a_worker_that_lost_its_lease_leaves_a_delivered_email_alone,
    street_lamp_case_is_routed_and_both_emails_arrive_over_smtp,
    feedback_without_keywords_goes_to_triage,
    repeated_jobs_write_each_email_once,
    rejected_acknowledgement_is_parked_and_the_handler_still_notified,
    deferred_acknowledgement_is_retried_then_parked,
    indexer_follows_the_database_and_rebuilds_from_it,
    two_runners_route_every_case_exactly_once,
);

/// An SMTP relay that takes one connection, says it has, and then stays silent until
/// released, when it answers `421` (try again later) and hangs up.
struct HeldRelay {
    url: String,
    accepted: oneshot::Receiver<()>,
    release: Arc<Notify>,
}

impl HeldRelay {
    async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the held relay");
        let url = format!("smtp://{}", listener.local_addr().expect("its address"));
        let (accepted_tx, accepted) = oneshot::channel();
        let release = Arc::new(Notify::new());
        let released = Arc::clone(&release);
        tokio::spawn(async move {
            let Ok((mut stream, _)) = listener.accept().await else {
                return;
            };
            let _ = accepted_tx.send(());
            released.notified().await;
            let _ = stream
                .write_all(b"421 4.3.2 service not available\r\n")
                .await;
        });
        Self {
            url,
            accepted,
            release,
        }
    }
}

/// Worker A claims a send job and stalls inside the SMTP exchange past its lease;
/// worker B takes the job over (its second and last attempt) and delivers the email.
/// When A's relay finally answers 421, A must not touch the email B delivered.
/// (A job claimed more often than its attempts allow is parked, not run, so the
/// send jobs get two attempts here.)
async fn a_worker_that_lost_its_lease_leaves_a_delivered_email_alone(database: TestDatabase) {
    let store = open_store(&database).await;
    let sink = SmtpSink::start().await.expect("smtp sink");
    let mut held = HeldRelay::start().await;
    let stalled_worker = runner_with_attempts(&store, smtp_mailer_at(&held.url), 2);
    let rescuer = runner_with_attempts(&store, smtp_mailer(&sink), 2);
    let case_id = submit(&store, feedback(STREET_LAMP, None)).await;

    let pipeline_job = store
        .claim_job("worker-b", Duration::from_secs(30), palaute_store::now())
        .await
        .expect("claim")
        .expect("the pipeline job");
    rescuer.run_job("worker-b", pipeline_job).await;

    let stalled = store
        .claim_job("worker-a", Duration::ZERO, palaute_store::now())
        .await
        .expect("claim")
        .expect("the send job");
    assert_eq!((stalled.attempts, stalled.max_attempts), (1, 2));
    let stalled_run =
        tokio::spawn(async move { stalled_worker.run_job("worker-a", stalled).await });
    // A has read the email as pending and is now waiting on its relay.
    (&mut held.accepted)
        .await
        .expect("worker A connects to its relay");
    tokio::time::sleep(Duration::from_millis(5)).await;
    let taken_over = store
        .claim_job("worker-b", Duration::from_secs(30), palaute_store::now())
        .await
        .expect("claim")
        .expect("the expired lease is claimed again");
    rescuer.run_job("worker-b", taken_over).await;
    let delivered = emails(&store, case_id).await;
    assert_eq!(delivered[0].status, EmailStatus::Sent.code());

    held.release.notify_one();
    stalled_run.await.expect("worker A finishes");

    assert_eq!(sink.received().len(), 1);
    let after = emails(&store, case_id).await;
    assert_eq!(
        after[0].status,
        EmailStatus::Sent.code(),
        "a delivered email was marked failed: {:#?}",
        after[0]
    );
}
