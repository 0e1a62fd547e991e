//! Storage behaviour, run on SQLite and (where configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Duration;

use chrono::Utc;
use palaute_core::{CaseId, CaseStatus, Channel, Language};
use palaute_store::{
    CaseCursor, CaseFilter, CaseOrder, ContactDetails, EmailKind, JobKind, NewCase, NewEmail,
    Routing, RoutingRecorded, StoreError,
};
use palaute_testkit::{TestDatabase, on_every_backend};
use support::open;

fn feedback(description: &str) -> NewCase {
    NewCase {
        channel: Channel::Web,
        title: Some("Katulamppu".into()),
        description: description.into(),
        stated_language: Some(Language::Fi),
        category_code: None,
        contact: Some(ContactDetails {
            name: Some("Maija".into()),
            email: Some("maija@example.com".into()),
            phone: None,
        }),
        location: None,
        idempotency_key: None,
        fingerprint: description.into(),
        source: None,
        attachments: Vec::new(),
        answers: Vec::new(),
    }
}

fn routing_to(unit: &str) -> Routing {
    Routing {
        language: Some(Language::Fi),
        language_confidence: 0.9,
        unit_code: unit.into(),
        category_code: Some("180".into()),
        status: CaseStatus::Routed,
        reason: "test".into(),
        confidence: 0.8,
        predictions: Vec::new(),
    }
}

fn handler_email(reference: &str) -> NewEmail {
    NewEmail {
        kind: EmailKind::HandlerNotification,
        message_id: format!("{reference}.handler@palaute.hel.fi"),
        from: "noreply@palaute.hel.fi".into(),
        to: "rakennusvirasto@palaute.hel.fi".into(),
        subject: format!("[{reference}] Uusi palaute"),
        body_text: "Katulamppu on rikki".into(),
        language: Language::Fi,
        occasion: None,
        at_most_every: None,
        in_reply_to: None,
    }
}

async fn submission_writes_case_event_and_job_together(database: TestDatabase) {
    let store = open(&database).await;
    store.migrate().await.expect("migrating twice is harmless");
    let first = store
        .submit_case(feedback("Katulamppu on rikki"), 5, palaute_store::now())
        .await
        .expect("submit");
    let second = store
        .submit_case(feedback("Toinen"), 5, palaute_store::now())
        .await
        .expect("submit");
    let year = Utc::now().format("%Y").to_string();
    assert_eq!(first.reference.to_string(), format!("HEL-{year}-000001"));
    assert_eq!(second.reference.to_string(), format!("HEL-{year}-000002"));
    assert!(!first.replayed);

    let stored = store
        .case_by_reference(&first.reference)
        .await
        .expect("load")
        .expect("exists");
    assert_eq!(stored.status, CaseStatus::New);
    assert_eq!(stored.description, "Katulamppu on rikki");
    assert!(!stored.language_detected);
    let events = store.case_events(stored.id).await.expect("events");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].kind, "received");
    let contact = store
        .case_contact(stored.id)
        .await
        .expect("contact")
        .expect("given");
    assert_eq!(contact.email.as_deref(), Some("maija@example.com"));
    assert_eq!(store.job_counts().await.expect("counts").queued, 2);
}

async fn resident_sees_a_case_only_with_its_token(database: TestDatabase) {
    let store = open(&database).await;
    let submitted = store
        .submit_case(feedback("Roskia"), 5, palaute_store::now())
        .await
        .expect("submit");
    let token = submitted.tracking_token.expect("token");
    let seen = store
        .case_for_resident(&submitted.reference, &token)
        .await
        .expect("track");
    assert_eq!(seen.map(|case| case.id), Some(submitted.case_id));
    assert!(
        store
            .case_for_resident(&submitted.reference, "wrong")
            .await
            .expect("track")
            .is_none()
    );
}

async fn idempotency_key_replays_and_detects_conflicts(database: TestDatabase) {
    let store = open(&database).await;
    let mut case = feedback("Kuoppa tiessä");
    case.idempotency_key = Some("form-42".into());
    let first = store
        .submit_case(case.clone(), 5, palaute_store::now())
        .await
        .expect("first");
    let again = store
        .submit_case(case.clone(), 5, palaute_store::now())
        .await
        .expect("again");
    assert!(again.replayed);
    assert_eq!(again.reference, first.reference);
    assert_eq!(again.tracking_token, first.tracking_token);

    let mut different = case.clone();
    different.fingerprint = "something else".into();
    let conflict = store.submit_case(different, 5, palaute_store::now()).await;
    assert!(
        matches!(conflict, Err(StoreError::IdempotencyConflict)),
        "{conflict:?}"
    );
    let page = store
        .list_cases(&CaseFilter::default(), CaseOrder::Newest, 10, None)
        .await
        .expect("list");
    assert_eq!(page.total_count, 1);
}

async fn concurrent_submissions_get_distinct_references(database: TestDatabase) {
    let store = open(&database).await;
    let tasks: Vec<_> = (0..20)
        .map(|index| {
            let store = store.clone();
            tokio::spawn(async move {
                store
                    .submit_case(
                        feedback(&format!("Palaute {index}")),
                        5,
                        palaute_store::now(),
                    )
                    .await
                    .expect("submit")
                    .reference
                    .to_string()
            })
        })
        .collect();
    let mut references = Vec::new();
    for task in tasks {
        references.push(task.await.expect("join"));
    }
    references.sort();
    references.dedup();
    assert_eq!(references.len(), 20);
}

async fn jobs_are_claimed_once_retried_and_buried(database: TestDatabase) {
    let store = open(&database).await;
    store
        .submit_case(feedback("Yksi"), 2, palaute_store::now())
        .await
        .expect("submit");
    let lease = Duration::from_secs(30);
    let now = palaute_store::now();
    let job = store
        .claim_job("worker-a", lease, now)
        .await
        .expect("claim")
        .expect("a job");
    assert_eq!(job.kind, Some(JobKind::ProcessCase));
    assert_eq!(job.attempts, 1);
    assert!(
        store
            .claim_job("worker-b", lease, now)
            .await
            .expect("claim")
            .is_none()
    );

    // A failed attempt is retried later, not sooner.
    let later = now + chrono::Duration::seconds(5);
    assert!(
        store
            .retry_job(job.id, "worker-a", "boom", later, now)
            .await
            .expect("retry")
    );
    assert!(
        store
            .claim_job("worker-b", lease, now)
            .await
            .expect("claim")
            .is_none()
    );
    let again = store
        .claim_job("worker-b", lease, later)
        .await
        .expect("claim")
        .expect("due");
    assert_eq!(again.attempts, 2);
    // Only the lease holder may settle it.
    assert!(
        !store
            .complete_job(again.id, "worker-a", later)
            .await
            .expect("complete")
    );
    assert!(
        store
            .bury_job(again.id, "worker-b", "still boom", later)
            .await
            .expect("bury")
    );
    let dead = store.dead_jobs().await.expect("dead");
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].2.as_deref(), Some("still boom"));
}

async fn expired_leases_are_claimed_again(database: TestDatabase) {
    let store = open(&database).await;
    store
        .submit_case(feedback("Yksi"), 5, palaute_store::now())
        .await
        .expect("submit");
    let now = palaute_store::now();
    let lease = Duration::from_secs(10);
    let job = store
        .claim_job("crashed", lease, now)
        .await
        .expect("claim")
        .expect("job");
    let after_lease = now + chrono::Duration::seconds(11);
    let reclaimed = store
        .claim_job("rescuer", lease, after_lease)
        .await
        .expect("claim")
        .expect("job");
    assert_eq!(reclaimed.id, job.id);
    assert!(
        store
            .complete_job(job.id, "rescuer", after_lease)
            .await
            .expect("complete")
    );
    assert!(
        !store
            .complete_job(job.id, "crashed", after_lease)
            .await
            .expect("complete")
    );
    assert_eq!(store.job_counts().await.expect("counts").done, 1);
}

async fn routing_is_recorded_once_with_its_emails(database: TestDatabase) {
    let store = open(&database).await;
    let submitted = store
        .submit_case(feedback("Katulamppu"), 5, palaute_store::now())
        .await
        .expect("submit");
    let reference = submitted.reference.to_string();
    let emails = [handler_email(&reference)];
    let recorded = store
        .record_routing(
            submitted.case_id,
            &routing_to("rakennusvirasto"),
            &emails,
            5,
            palaute_store::now(),
        )
        .await
        .expect("route");
    assert_eq!(recorded, RoutingRecorded::Applied);
    let repeated = store
        .record_routing(
            submitted.case_id,
            &routing_to("triage"),
            &emails,
            5,
            palaute_store::now(),
        )
        .await
        .expect("route again");
    assert_eq!(repeated, RoutingRecorded::AlreadyRouted);

    let case = store
        .case_by_id(submitted.case_id)
        .await
        .expect("load")
        .expect("case");
    assert_eq!(case.status, CaseStatus::Routed);
    assert_eq!(case.unit_code.as_deref(), Some("rakennusvirasto"));
    assert_eq!(case.language, Some(Language::Fi));
    let outbox = store
        .emails_for_case(submitted.case_id.0)
        .await
        .expect("emails");
    assert_eq!(outbox.len(), 1);
    assert_eq!(outbox[0].status, "pending");
    let counts = store.job_counts().await.expect("counts");
    assert_eq!(counts.queued, 2, "the pipeline job and one send job");
    let events = store.case_events(submitted.case_id).await.expect("events");
    assert_eq!(
        events.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(),
        ["received", "routed"]
    );
}

fn acknowledgement_to(address: &str, reference: &str) -> NewEmail {
    NewEmail {
        kind: EmailKind::Acknowledgement,
        message_id: format!("{reference}.ack@palaute.hel.fi"),
        to: address.into(),
        at_most_every: Some(chrono::Duration::hours(1)),
        in_reply_to: None,
        ..handler_email(reference)
    }
}

/// However many cases name one address, it gets one acknowledgement an hour; the
/// other cases are routed all the same and their timelines say the email was withheld.
async fn an_address_gets_one_acknowledgement_an_hour(database: TestDatabase) {
    let store = open(&database).await;
    let start = palaute_store::now();
    let mut outcomes = Vec::new();
    for (minutes, address) in [
        (0, "maija@example.com"),
        (10, "MAIJA@example.com"),
        (20, "matti@example.com"),
        (59, "maija@example.com"),
        (61, "maija@example.com"),
    ] {
        let now = start + chrono::Duration::minutes(minutes);
        let submitted = store
            .submit_case(feedback(&format!("Katulamppu {minutes}")), 5, now)
            .await
            .expect("submit");
        let reference = submitted.reference.to_string();
        let recorded = store
            .record_routing(
                submitted.case_id,
                &routing_to("rakennusvirasto"),
                &[
                    handler_email(&reference),
                    acknowledgement_to(address, &reference),
                ],
                5,
                now,
            )
            .await
            .expect("route");
        assert_eq!(recorded, RoutingRecorded::Applied);
        let emails = store
            .emails_for_case(submitted.case_id.0)
            .await
            .expect("emails");
        let acknowledged = emails.iter().any(|email| email.kind == "acknowledgement");
        let events = store.case_events(submitted.case_id).await.expect("events");
        let withheld = events.iter().any(|event| event.kind == "email_withheld");
        assert_ne!(acknowledged, withheld, "{address} at +{minutes} min");
        outcomes.push(acknowledged);
    }
    assert_eq!(outcomes, [true, false, true, false, true]);
}

async fn listing_filters_counts_and_pages(database: TestDatabase) {
    let store = open(&database).await;
    let mut ids = Vec::new();
    for index in 0..5 {
        let mut case = feedback(&format!("Palaute {index}"));
        if index % 2 == 0 {
            case.channel = Channel::Email;
        }
        ids.push(
            store
                .submit_case(case, 5, palaute_store::now())
                .await
                .expect("submit")
                .case_id,
        );
    }
    store
        .record_routing(
            ids[0],
            &routing_to("rakennusvirasto"),
            &[],
            5,
            palaute_store::now(),
        )
        .await
        .expect("route");

    let by_channel = CaseFilter {
        channels: vec![Channel::Email],
        ..Default::default()
    };
    let page = store
        .list_cases(&by_channel, CaseOrder::Newest, 2, None)
        .await
        .expect("list");
    assert_eq!(page.total_count, 3);
    assert_eq!(page.cases.len(), 2);
    assert!(page.has_next_page);
    assert_eq!(page.cases[0].id, ids[4], "newest first");
    let rest = store
        .list_cases(
            &by_channel,
            CaseOrder::Newest,
            2,
            Some(CaseCursor::after(CaseOrder::Newest, &page.cases[1])),
        )
        .await
        .expect("list");
    assert_eq!(
        rest.cases.iter().map(|c| c.id).collect::<Vec<_>>(),
        [ids[0]]
    );
    assert!(!rest.has_next_page);

    let routed = CaseFilter {
        statuses: vec![CaseStatus::Routed],
        unit_codes: vec!["rakennusvirasto".into()],
        languages: vec!["fi".into()],
        ..Default::default()
    };
    assert_eq!(
        store
            .list_cases(&routed, CaseOrder::Newest, 10, None)
            .await
            .expect("list")
            .total_count,
        1
    );
    // A scope narrows every listing and its count; unrouted cases have no unit yet.
    for (units, expected) in [
        (vec!["rakennusvirasto".to_owned()], 1),
        (vec!["hkl".to_owned()], 0),
        (Vec::new(), 0),
    ] {
        let scoped = CaseFilter {
            within_units: Some(units.clone()),
            ..Default::default()
        };
        let page = store
            .list_cases(&scoped, CaseOrder::Newest, 10, None)
            .await
            .expect("list");
        assert_eq!(page.total_count, expected, "{units:?}");
        assert_eq!(page.cases.len() as u64, expected, "{units:?}");
    }
    let future = CaseFilter {
        created_after: Some(Utc::now() + chrono::Duration::hours(1)),
        ..Default::default()
    };
    assert_eq!(
        store
            .list_cases(&future, CaseOrder::Newest, 10, None)
            .await
            .expect("list")
            .total_count,
        0
    );
    let found = store
        .cases_by_ids(&[ids[3], CaseId(9999), ids[1]])
        .await
        .expect("by ids");
    assert_eq!(
        found.iter().map(|c| c.id).collect::<Vec<_>>(),
        [ids[3], ids[1]]
    );
}

async fn index_queue_keeps_changes_made_while_indexing(database: TestDatabase) {
    let store = open(&database).await;
    let submitted = store
        .submit_case(feedback("Yksi"), 5, palaute_store::now())
        .await
        .expect("submit");
    let backlog = store.index_backlog(10).await.expect("backlog");
    assert_eq!(backlog.len(), 1);
    // The case changes after the indexer read the queue...
    store
        .record_routing(
            submitted.case_id,
            &routing_to("rakennusvirasto"),
            &[],
            5,
            palaute_store::now(),
        )
        .await
        .expect("route");
    // ...so acknowledging the old version leaves it queued.
    store.acknowledge_indexed(&backlog).await.expect("ack");
    let still = store.index_backlog(10).await.expect("backlog");
    assert_eq!(still.len(), 1);
    assert!(still[0].version > backlog[0].version);
    store.acknowledge_indexed(&still).await.expect("ack");
    assert!(store.index_backlog(10).await.expect("backlog").is_empty());
}

/// An erased resident's email that has not gone out yet is withdrawn, not sent as
/// "[anonymised]"; one already sent stays sent.
async fn erasure_withdraws_the_residents_unsent_email(database: TestDatabase) {
    let store = open(&database).await;
    let now = Utc::now();
    let submitted = store
        .submit_case(feedback("Katulamppu ei pala"), 3, now)
        .await
        .unwrap();
    let reference = submitted.reference.to_string();
    store
        .record_routing(
            submitted.case_id,
            &routing_to("rakennusvirasto"),
            &[
                handler_email(&reference),
                acknowledgement_to("maija@example.com", &reference),
            ],
            3,
            now,
        )
        .await
        .unwrap();
    let emails = store.emails_for_case(submitted.case_id.0).await.unwrap();
    let handler = emails
        .iter()
        .find(|email| email.kind == EmailKind::HandlerNotification.code())
        .unwrap();
    store
        .mark_email_sent(handler.id, "250 accepted", now)
        .await
        .unwrap();

    let address = palaute_core::EmailAddress::parse("Maija@Example.com").unwrap();
    store.erase_address(&address, now).await.unwrap();
    let statuses: Vec<(String, String)> = store
        .emails_for_case(submitted.case_id.0)
        .await
        .unwrap()
        .into_iter()
        .map(|email| (email.kind, email.status))
        .collect();
    assert!(
        statuses.contains(&(
            EmailKind::Acknowledgement.code().to_owned(),
            "withdrawn".to_owned()
        )),
        "{statuses:?}"
    );
    assert!(
        statuses.contains(&(
            EmailKind::HandlerNotification.code().to_owned(),
            "sent".to_owned()
        )),
        "{statuses:?}"
    );
}

on_every_backend!(
    erasure_withdraws_the_residents_unsent_email,
    submission_writes_case_event_and_job_together,
    resident_sees_a_case_only_with_its_token,
    idempotency_key_replays_and_detects_conflicts,
    concurrent_submissions_get_distinct_references,
    jobs_are_claimed_once_retried_and_buried,
    expired_leases_are_claimed_again,
    routing_is_recorded_once_with_its_emails,
    an_address_gets_one_acknowledgement_an_hour,
    listing_filters_counts_and_pages,
    index_queue_keeps_changes_made_while_indexing,
);
