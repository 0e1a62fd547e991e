//! The live queue over a real WebSocket (graphql-transport-ws at `/graphql/ws`): a
//! handler gets their units' cases and nothing else, changes made through the API and
//! by another process both arrive, a case moved away is announced once without its
//! content, bad tokens are refused at `connection_init`, a connection's limits hold,
//! and stopping the server closes the socket. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use palaute_core::{Channel, StaffRole};
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::live::{CASE_EVENTS, DELIVERY, Incoming, connect};
use support::{ADMIN_TOKEN, account, spawn_app, street_lamp};

async fn a_handler_gets_their_units_cases_and_nothing_else(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let handler = account(
        &store,
        "kasittelija@hel.fi",
        StaffRole::Handler,
        &["rakennusvirasto"],
        None,
    )
    .await;
    let mut live = connect(
        &app,
        json!({ "Authorization": format!("Bearer {handler}") }),
    )
    .await
    .expect("a handler's token is accepted");
    live.subscribe("queue", CASE_EVENTS).await;

    // Another unit's case first, routed by the in-process worker; then one of theirs.
    let (theirs, _) = app
        .submit(json!({ "channel": "WEB", "description": "Vuokratontin kiinteistö: tontin rajat ovat epäselvät" }))
        .await;
    let routed = app.wait_for_status(&theirs, &["ROUTED"]).await;
    assert_ne!(routed["unit"]["code"], "rakennusvirasto", "{routed}");
    let (ours, _) = app.submit(street_lamp()).await;
    let event = live.wait_for("queue", &ours, "routed").await;
    assert_eq!(event["case"]["unit"]["code"], "rakennusvirasto", "{event}");
    assert_eq!(event["case"]["status"], "ROUTED");
    assert_eq!(event["actor"], "system");
    assert_eq!(event["leftScope"], false);
    assert!(
        !live.references_seen().contains(&theirs),
        "another unit's case reached a handler: {:?}",
        live.seen
    );

    // A workflow mutation over HTTP arrives too.
    let note = app
        .graphql(
            "mutation($input: AddInternalNoteInput!) { addInternalNote(input: $input) { version } }",
            json!({ "input": { "reference": ours, "version": app.case_version(&ours).await, "body": "Katson huomenna" } }),
            Some(&handler),
        )
        .await;
    assert!(note["data"]["addInternalNote"].is_object(), "{note}");
    let event = live.wait_for("queue", &ours, "internal_note").await;
    assert_eq!(event["actor"], "staff:kasittelija@hel.fi");

    // Moved to another unit: one last notice without the case, then silence.
    let moved = app
        .staff(
            "mutation($r: String!, $v: Int!) { reassignCase(input: {reference: $r, version: $v, unitCode: \"kiinteistovirasto\"}) { unit { code } } }",
            json!({ "r": ours, "v": app.case_version(&ours).await }),
        )
        .await;
    assert_eq!(
        moved["data"]["reassignCase"]["unit"]["code"], "kiinteistovirasto",
        "{moved}"
    );
    let notice = live.wait_for("queue", &ours, "reassigned").await;
    assert_eq!(notice["leftScope"], true, "{notice}");
    assert!(notice["case"].is_null(), "{notice}");
    let (later, _) = app.submit(street_lamp()).await;
    let after_move = app
        .staff(
            "mutation($input: AddInternalNoteInput!) { addInternalNote(input: $input) { version } }",
            json!({ "input": { "reference": ours, "version": app.case_version(&ours).await, "body": "Ei enää teidän" } }),
        )
        .await;
    assert!(
        after_move["data"]["addInternalNote"].is_object(),
        "{after_move}"
    );
    // The later case's routing comes after the note in the log, so by then the note
    // would have arrived if it were delivered.
    app.wait_for_status(&later, &["ROUTED"]).await;
    live.wait_for("queue", &later, "routed").await;
    let about_moved: Vec<&Value> = live
        .seen
        .iter()
        .map(|message| &message["payload"]["data"]["caseEvents"])
        .filter(|event| event["reference"] == ours.as_str() && event["kind"] == "internal_note")
        .collect();
    assert_eq!(
        about_moved.len(),
        1,
        "only the note from before the move: {about_moved:?}"
    );
    app.stop().await;
}

async fn credentials_are_checked_at_connection_init(database: TestDatabase) {
    let app = spawn_app(database).await;
    for payload in [
        json!({ "Authorization": "Bearer plt_not_a_real_token" }),
        json!({ "token": "plt_not_a_real_token" }),
        json!({}),
        Value::Null,
    ] {
        let refused = connect(&app, payload.clone()).await;
        let Err((code, reason)) = refused else {
            panic!("{payload} was accepted");
        };
        assert_eq!(code, 4403, "{payload}: {reason}");
    }
    // The token form works as well as the header form.
    let mut live = connect(&app, json!({ "token": ADMIN_TOKEN }))
        .await
        .expect("the admin token is accepted");

    // Queries and mutations go over HTTP; a connection runs a bounded number of
    // subscriptions.
    live.send(
        json!({ "id": "q", "type": "subscribe", "payload": { "query": "{ me { email } }" } }),
    )
    .await;
    let Incoming::Message(refused) = live.receive().await else {
        panic!("closed instead of refusing a query");
    };
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["code"],
        "BAD_USER_INPUT"
    );
    let limit = support_limit();
    for n in 0..limit {
        live.send(json!({ "id": format!("s{n}"), "type": "subscribe", "payload": { "query": CASE_EVENTS } }))
            .await;
    }
    live.send(
        json!({ "id": "one-too-many", "type": "subscribe", "payload": { "query": CASE_EVENTS } }),
    )
    .await;
    let Incoming::Message(refused) = live.receive().await else {
        panic!("closed instead of refusing a subscription");
    };
    assert_eq!(refused["id"], "one-too-many", "{refused}");
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(
        refused["payload"][0]["extensions"]["limit"],
        "live.max_subscriptions_per_connection"
    );
    app.stop().await;
}

fn support_limit() -> usize {
    palaute_core::settings::LiveSettings::default().max_subscriptions_per_connection
}

async fn changes_from_another_process_arrive(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut live = connect(
        &app,
        json!({ "Authorization": format!("Bearer {ADMIN_TOKEN}") }),
    )
    .await
    .expect("the admin token is accepted");
    live.subscribe("all", CASE_EVENTS).await;

    // A store of its own, as `palaute worker` or a second `serve` would have: nothing
    // in this process is told about the change.
    let other = app.store().await;
    let submitted = other
        .submit_case(
            palaute_store::NewCase {
                channel: Channel::Phone,
                title: None,
                description: "Puistonpenkki on rikki Kaivopuistossa".into(),
                stated_language: None,
                category_code: None,
                contact: None,
                location: None,
                idempotency_key: None,
                fingerprint: "another-process".into(),
                source: None,
                attachments: Vec::new(),
                answers: Vec::new(),
            },
            3,
            palaute_store::now(),
        )
        .await
        .expect("submitting from another process");
    let reference = submitted.reference.to_string();
    let event = live.wait_for("all", &reference, "received").await;
    assert_eq!(event["actor"], "resident");
    assert_eq!(event["case"]["reference"], reference.as_str());

    // Stopping the server closes the socket rather than leaving it hanging.
    let stopping = tokio::spawn(app.stop());
    loop {
        match live.receive().await {
            Incoming::Closed(code, _) => {
                assert_eq!(code, 1001);
                break;
            }
            Incoming::Message(_) => {}
        }
    }
    tokio::time::timeout(DELIVERY, stopping)
        .await
        .expect("the server stops")
        .expect("the stop task");
}

on_every_backend!(
    a_handler_gets_their_units_cases_and_nothing_else,
    credentials_are_checked_at_connection_init,
    changes_from_another_process_arrive,
);
