//! One case all the way, over real HTTP and a real WebSocket: a resident submits, the
//! case appears in the handler's live queue, the handler takes it and replies, the
//! resident sees the reply on the tracking page and gets it by email in their
//! language, the case is resolved, and the service figures count it with the durations
//! its timeline shows. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use chrono::{DateTime, Duration as TimeDelta, Utc};
use palaute_core::StaffRole;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::live::{CASE_EVENTS, connect};
use support::{account, spawn_app, street_lamp};

fn time(value: &Value) -> DateTime<Utc> {
    value
        .as_str()
        .and_then(|text| DateTime::parse_from_rfc3339(text).ok())
        .map(|at| at.with_timezone(&Utc))
        .unwrap_or_else(|| panic!("not a time: {value}"))
}

fn hours(from: DateTime<Utc>, to: DateTime<Utc>) -> f64 {
    (to - from).num_microseconds().expect("a short span") as f64 / 3_600_000_000.0
}

async fn a_case_goes_from_submission_to_resolution_and_into_the_figures(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let me = "heli@hel.fi";
    let handler = account(&store, me, StaffRole::Handler, &["rakennusvirasto"], None).await;
    let mut live = connect(
        &app,
        json!({ "Authorization": format!("Bearer {handler}") }),
    )
    .await
    .expect("the handler's live queue");
    live.subscribe("queue", CASE_EVENTS).await;
    let since = Utc::now() - TimeDelta::minutes(1);

    let mut lamp = street_lamp();
    lamp["language"] = json!("SV");
    lamp["contact"]["email"] = json!("invanare@example.com");
    let (reference, token) = app.submit(lamp).await;
    let routed = live.wait_for("queue", &reference, "routed").await;
    assert_eq!(
        routed["case"]["unit"]["code"], "rakennusvirasto",
        "{routed}"
    );

    let mutate = |query: &'static str, input: Value| {
        let app = &app;
        let handler = handler.clone();
        async move {
            let response = app
                .graphql(query, json!({ "input": input }), Some(&handler))
                .await;
            assert!(response["errors"].is_null(), "{response}");
            response
        }
    };
    mutate(
        "mutation($input: AssignCaseInput!) { assignCase(input: $input) { version } }",
        json!({ "reference": reference, "version": 2, "assigneeEmail": me }),
    )
    .await;
    live.wait_for("queue", &reference, "assigned").await;
    let answer = "Tack! Lampan byts i morgon.";
    mutate(
        "mutation($input: ReplyToResidentInput!) { replyToResident(input: $input) { version } }",
        json!({ "reference": reference, "version": 3, "body": answer }),
    )
    .await;
    live.wait_for("queue", &reference, "replied").await;

    // The resident sees the reply and gets it by email, in Swedish.
    let tracked = app
        .graphql(
            "query($r: String!, $t: String!) { trackCase(reference: $r, token: $t) { status replies { body } } }",
            json!({ "r": reference, "t": token }),
            None,
        )
        .await;
    assert_eq!(
        tracked["data"]["trackCase"]["replies"][0]["body"], answer,
        "{tracked}"
    );
    let mut email = None;
    for _ in 0..200 {
        email = app
            .outbox_files()
            .into_iter()
            .map(|(_, contents)| contents)
            .find(|contents| contents.contains("Lampan byts i morgon"));
        if email.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    let email = email.expect("the reply by email");
    assert!(email.contains("To: invanare@example.com"), "{email}");
    assert!(email.contains("Content-Language: sv"), "{email}");

    mutate(
        "mutation($input: SetCaseStatusInput!) { setCaseStatus(input: $input) { version } }",
        json!({ "reference": reference, "version": 4, "status": "RESOLVED" }),
    )
    .await;
    live.wait_for("queue", &reference, "status_changed").await;

    // The figures count it, with the durations its own times give.
    let case = app
        .staff(
            "query($r: String!) { case(reference: $r) { createdAt routedAt firstRepliedAt resolvedAt } }",
            json!({ "r": reference }),
        )
        .await["data"]["case"]
        .clone();
    let created = time(&case["createdAt"]);
    let stats = app
        .graphql(
            "query($from: DateTime!, $to: DateTime!) { stats(from: $from, to: $to, groupBy: UNIT) { total { volume repliedCount resolvedCount medianHoursToRoute medianHoursToFirstReply medianHoursToResolution } groups { key volume } } }",
            json!({ "from": since.to_rfc3339(), "to": (Utc::now() + TimeDelta::minutes(1)).to_rfc3339() }),
            Some(&handler),
        )
        .await;
    let total = &stats["data"]["stats"]["total"];
    assert_eq!(total["volume"], 1, "{stats}");
    assert_eq!(total["repliedCount"], 1, "{stats}");
    assert_eq!(total["resolvedCount"], 1, "{stats}");
    for (field, at) in [
        ("medianHoursToRoute", "routedAt"),
        ("medianHoursToFirstReply", "firstRepliedAt"),
        ("medianHoursToResolution", "resolvedAt"),
    ] {
        let expected = hours(created, time(&case[at]));
        let figure = total[field]
            .as_f64()
            .unwrap_or_else(|| panic!("{field}: {stats}"));
        assert!(
            (figure - expected).abs() < 1e-6,
            "{field}: {figure} ≠ {expected}"
        );
    }
    assert_eq!(
        stats["data"]["stats"]["groups"],
        json!([{ "key": "rakennusvirasto", "volume": 1 }])
    );
    app.stop().await;
}

on_every_backend!(a_case_goes_from_submission_to_resolution_and_into_the_figures);
