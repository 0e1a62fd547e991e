//! Deadlines end to end, on SQLite and (where configured) PostgreSQL: a case routed by
//! the running pipeline gets due times counted in working time from its submission,
//! and the deadline check, run at fixed times before, inside and after the warning
//! window (twice each, and by two checks at once), records exactly one warning and one
//! breach per deadline, emailed to the right people.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it checks is not as expected"
)]

mod support;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use chrono_tz::Europe::Helsinki;
use palaute_core::deadlines::DeadlineOverride;
use palaute_core::{CaseId, EmailAddress, Organisation, StaffRole};
use palaute_store::{CaseEdit, Change, Edited, Reassigned, Reassignment, Store};
use palaute_testkit::{TestDatabase, on_every_backend};
use palaute_worker::deadlines::{CheckSummary, DeadlineCheck};
use palaute_worker::delivery::EmailSender;
use palaute_worker::mail::Mailer;
use palaute_worker::pipeline::Pipeline;
use palaute_worker::{Runner, Wakeups};
use support::{
    MAIL_FROM, MAX_ATTEMPTS, PUBLIC_URL, Running, SMTP_TIMEOUT, emails, feedback, load_case,
    open_store, wait_until_idle, wait_until_routed, worker_settings,
};

const STREET_LAMP: &str = "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa";
const UNIT: &str = "rakennusvirasto";
const MAILBOX: &str = "rakennusvirasto@palaute.hel.fi";
const LEAD: &str = "johtaja.rakennusvirasto@palaute.hel.fi";
const HANDLER: &str = "kaisa.kasittelija@hel.fi";
const LIBRARY: &str = "kaupunginkirjasto";

/// A Helsinki wall-clock time.
fn hki(month: u32, day: u32, hour: u32, minute: u32) -> DateTime<Utc> {
    Helsinki
        .with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .single()
        .unwrap()
        .with_timezone(&Utc)
}

/// Helsinki's organisation, with a lead for the street works unit and a library that
/// answers within 2 working days.
fn organisation() -> Organisation {
    let mut organisation = Organisation::helsinki();
    organisation.deadlines.overrides.push(DeadlineOverride {
        unit: Some(LIBRARY.to_owned()),
        category: None,
        first_reply_working_days: Some(2),
        resolution_working_days: None,
        warning_working_days: None,
    });
    let unit = organisation
        .units
        .iter_mut()
        .find(|unit| unit.code == UNIT)
        .unwrap();
    unit.lead_email = Some(LEAD.to_owned());
    organisation
}

/// Submits a case at `at` and lets a running pipeline route it.
async fn routed_case(store: &Store, organisation: &Arc<Organisation>, at: DateTime<Utc>) -> CaseId {
    let id = store
        .submit_case(
            feedback(STREET_LAMP, Some("maija@example.com")),
            MAX_ATTEMPTS,
            at,
        )
        .await
        .unwrap()
        .case_id;
    run_jobs(store, organisation).await;
    wait_until_routed(store, id).await;
    id
}

/// Runs a pipeline until the job queue is empty.
async fn run_jobs(store: &Store, organisation: &Arc<Organisation>) {
    let outbox = tempfile::tempdir().unwrap();
    let pipeline = Pipeline::new(
        store.clone(),
        Arc::clone(organisation),
        MAIL_FROM.to_owned(),
        PUBLIC_URL.to_owned(),
        MAX_ATTEMPTS,
    );
    let mut settings = worker_settings();
    settings.deadline_check_minutes = 0;
    let runner = Runner::new(
        store.clone(),
        settings,
        palaute_core::settings::RoutingSettings::default(),
        pipeline,
        EmailSender::new(
            store.clone(),
            Mailer::from_settings(None, outbox.path(), SMTP_TIMEOUT).unwrap(),
        ),
        Wakeups::default(),
    );
    let running = Running::start(runner);
    wait_until_idle(store).await;
    running.stop().await;
}

fn check(store: &Store, organisation: &Arc<Organisation>) -> DeadlineCheck {
    DeadlineCheck::new(
        store.clone(),
        Arc::clone(organisation),
        MAIL_FROM.to_owned(),
        PUBLIC_URL.to_owned(),
        MAX_ATTEMPTS,
    )
}

/// Runs the check twice at `at` (the second time finds nothing new) and returns
/// what the first run did.
async fn check_twice(check: &DeadlineCheck, at: DateTime<Utc>) -> CheckSummary {
    let first = check.run(at).await.unwrap();
    let second = check.run(at).await.unwrap();
    assert_eq!(second, CheckSummary::default(), "a repeated check at {at}");
    first
}

/// The case's deadline events as (kind, deadline, notified).
async fn deadline_events(store: &Store, id: CaseId) -> Vec<(String, String, String)> {
    store
        .case_events(id)
        .await
        .unwrap()
        .into_iter()
        .filter(|event| event.kind.starts_with("deadline_"))
        .map(|event| {
            assert_eq!(event.actor, "system");
            let field = |name: &str| event.detail[name].as_str().unwrap().to_owned();
            (event.kind, field("deadline"), field("notified"))
        })
        .collect()
}

/// The case's deadline emails as (kind, to).
async fn deadline_emails(store: &Store, id: CaseId) -> Vec<(String, String)> {
    emails(store, id)
        .await
        .into_iter()
        .filter(|email| email.kind.starts_with("deadline_"))
        .map(|email| (email.kind, email.to))
        .collect()
}

fn triple(kind: &str, deadline: &str, notified: &str) -> (String, String, String) {
    (kind.to_owned(), deadline.to_owned(), notified.to_owned())
}

fn pair(kind: &str, to: &str) -> (String, String) {
    (kind.to_owned(), to.to_owned())
}

async fn edit(store: &Store, id: CaseId, change: Change, at: DateTime<Utc>) {
    let version = load_case(store, id).await.version;
    let edited = store
        .edit_case(
            &CaseEdit {
                case_id: id,
                version,
                actor: format!("staff:{HANDLER}"),
                change,
            },
            MAX_ATTEMPTS,
            at,
        )
        .await
        .unwrap();
    assert!(matches!(edited, Edited::Applied(_)), "{edited:?}");
}

async fn warnings_and_breaches_are_sent_once_to_the_right_people(database: TestDatabase) {
    let store = open_store(&database).await;
    let organisation = Arc::new(organisation());
    // Monday 7 September 2026 10:00: first reply due in 5 working days (Monday 14
    // September 10:00, warned on Friday 11 September 10:00), resolution in 20 (Monday
    // 5 October 10:00).
    let received = hki(9, 7, 10, 0);
    let assigned = routed_case(&store, &organisation, received).await;
    let answered = routed_case(&store, &organisation, received).await;
    for id in [assigned, answered] {
        let case = load_case(&store, id).await;
        assert_eq!(case.unit_code.as_deref(), Some(UNIT));
        assert_eq!(case.first_reply_due_at, Some(hki(9, 14, 10, 0)));
        assert_eq!(case.due_at, Some(hki(10, 5, 10, 0)));
    }
    store
        .add_staff_user(
            &EmailAddress::parse(HANDLER).unwrap(),
            StaffRole::Handler,
            &[UNIT.to_owned()],
            received,
        )
        .await
        .unwrap();
    edit(
        &store,
        assigned,
        Change::Assign {
            assignee_email: Some(HANDLER.to_owned()),
        },
        hki(9, 8, 9, 0),
    )
    .await;

    let check = check(&store, &organisation);
    // Thursday: no warning is due yet.
    assert_eq!(
        check_twice(&check, hki(9, 10, 12, 0)).await,
        CheckSummary::default()
    );

    // Friday noon, inside the warning window, with two checks at once: one warning
    // each, to the assigned handler and (for the unassigned case) the unit mailbox.
    let other = self::check(&store, &organisation);
    let friday = hki(9, 11, 12, 0);
    let (one, two) = tokio::join!(check.run(friday), other.run(friday));
    assert_eq!(one.unwrap().warnings + two.unwrap().warnings, 2);
    assert_eq!(check_twice(&check, friday).await, CheckSummary::default());

    // The second case is answered on Friday afternoon, before its deadline.
    edit(
        &store,
        answered,
        Change::Reply {
            body: "Lamppu korjataan maanantaina.".to_owned(),
            then: None,
        },
        hki(9, 11, 13, 0),
    )
    .await;

    // Tuesday after the deadline: the first case's lead hears of the breach; the
    // answered case gets no breach.
    assert_eq!(
        check_twice(&check, hki(9, 15, 12, 0)).await,
        CheckSummary {
            warnings: 0,
            breaches: 1
        }
    );
    assert_eq!(
        deadline_events(&store, assigned).await,
        [
            triple("deadline_warning", "first_reply", HANDLER),
            triple("deadline_breached", "first_reply", LEAD),
        ]
    );
    assert_eq!(
        deadline_emails(&store, assigned).await,
        [
            pair("deadline_warning", HANDLER),
            pair("deadline_breach", LEAD)
        ]
    );
    assert_eq!(
        deadline_events(&store, answered).await,
        [triple("deadline_warning", "first_reply", MAILBOX)]
    );
    assert_eq!(
        deadline_emails(&store, answered).await,
        [pair("deadline_warning", MAILBOX)]
    );

    // The warning is in the unit's language, with the deadline in Helsinki time and
    // a link to the case.
    let outbox = emails(&store, assigned).await;
    let warning = outbox
        .iter()
        .find(|email| email.kind == "deadline_warning")
        .unwrap();
    let reference = load_case(&store, assigned).await.reference.to_string();
    assert!(
        warning
            .subject
            .starts_with(&format!("[{reference}] Määräaika lähestyy"))
    );
    assert!(
        warning.body_text.contains("Määräaika: 14.9.2026 klo 10.00"),
        "{}",
        warning.body_text
    );
    assert!(
        warning
            .body_text
            .contains(&format!("{PUBLIC_URL}/cases/{reference}"))
    );

    // Past the resolution deadline with no warning sent: only the breach, for both.
    assert_eq!(
        check_twice(&check, hki(10, 6, 12, 0)).await,
        CheckSummary {
            warnings: 0,
            breaches: 2
        }
    );
    assert_eq!(
        deadline_events(&store, answered).await,
        [
            triple("deadline_warning", "first_reply", MAILBOX),
            triple("deadline_breached", "resolution", LEAD),
        ]
    );
}

async fn a_finished_case_gets_no_notice(database: TestDatabase) {
    let store = open_store(&database).await;
    let organisation = Arc::new(organisation());
    let id = routed_case(&store, &organisation, hki(9, 7, 10, 0)).await;
    edit(
        &store,
        id,
        Change::Reply {
            body: "Korjattu.".to_owned(),
            then: Some(palaute_core::CaseStatus::Resolved),
        },
        hki(9, 8, 10, 0),
    )
    .await;
    let check = check(&store, &organisation);
    assert_eq!(
        check_twice(&check, hki(12, 1, 12, 0)).await,
        CheckSummary::default()
    );
    assert!(deadline_events(&store, id).await.is_empty());
}

async fn a_move_takes_the_new_units_deadlines_from_the_same_start(database: TestDatabase) {
    let store = open_store(&database).await;
    let organisation = Arc::new(organisation());
    let id = routed_case(&store, &organisation, hki(9, 7, 10, 0)).await;
    let before = load_case(&store, id).await;
    let moved = store
        .reassign_case(
            &Reassignment {
                case_id: id,
                version: before.version,
                unit_code: LIBRARY.to_owned(),
                category_code: None,
                actor: "staff:ohjaaja@hel.fi".to_owned(),
                note: None,
            },
            MAX_ATTEMPTS,
            hki(9, 8, 9, 0),
        )
        .await
        .unwrap();
    assert!(matches!(moved, Reassigned::Moved { .. }), "{moved:?}");
    // The notify_unit job sets the library's deadlines: 2 working days from the
    // submission on Monday is Wednesday 10:00; resolution stays at 20 working days.
    run_jobs(&store, &organisation).await;
    let after = load_case(&store, id).await;
    assert_eq!(after.first_reply_due_at, Some(hki(9, 9, 10, 0)));
    assert_eq!(after.due_at, before.due_at);
}

on_every_backend!(
    a_move_takes_the_new_units_deadlines_from_the_same_start,
    warnings_and_breaches_are_sent_once_to_the_right_people,
    a_finished_case_gets_no_notice,
);
