//! Staff working cases over HTTP: assignment, notes, replies the resident sees and
//! gets by email, status moves by the workflow's table, stale versions, reopening, and
//! a handler handing back what is not their unit's. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Duration;

use palaute_core::StaffRole;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{TestApp, account, error_code, spawn_app, street_lamp};

const CASE_FIELDS: &str =
    "reference status version unit { code } assignee { email } firstRepliedAt resolvedAt";

async fn mutate(app: &TestApp, token: &str, name: &str, input: Value) -> Value {
    let input_type = format!("{}{}Input", name[..1].to_uppercase(), &name[1..]);
    let query =
        format!("mutation($input: {input_type}!) {{ {name}(input: $input) {{ {CASE_FIELDS} }} }}");
    app.graphql(&query, json!({ "input": input }), Some(token))
        .await
}

/// The case a mutation answered with; fails the test on an error.
fn changed<'a>(response: &'a Value, name: &str) -> &'a Value {
    let case = &response["data"][name];
    assert!(case.is_object(), "{name} failed: {response}");
    case
}

async fn timeline(app: &TestApp, reference: &str) -> Vec<Value> {
    let response = app
        .staff(
            "query($r: String!) { case(reference: $r) { timeline(first: 100) { totalCount edges { node { kind actor before after note } } } } }",
            json!({ "r": reference }),
        )
        .await;
    response["data"]["case"]["timeline"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no timeline: {response}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

/// Waits for an outbox email whose text contains `needle`.
async fn outbox_email(app: &TestApp, needle: &str) -> String {
    for _ in 0..200 {
        if let Some((_, contents)) = app
            .outbox_files()
            .into_iter()
            .find(|(_, contents)| contents.contains(needle))
        {
            return contents;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("no email containing {needle:?}");
}

fn header<'a>(email: &'a str, name: &str) -> Option<&'a str> {
    let prefix = format!("{name}: ");
    email
        .lines()
        .find_map(|line| line.strip_prefix(prefix.as_str()))
        .map(str::trim)
}

async fn a_case_is_worked_to_resolution(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let me = "liisa.kasittelija@hel.fi";
    let handler = account(&store, me, StaffRole::Handler, &["rakennusvirasto"], None).await;
    let mut lamp = street_lamp();
    lamp["language"] = json!("EN");
    lamp["contact"]["email"] = json!("resident@example.com");
    let (reference, token) = app.submit(lamp).await;
    let routed = app.wait_for_status(&reference, &["ROUTED"]).await;
    let version = routed["version"].as_i64().expect("version");

    // Taking the case puts it in progress.
    let response = mutate(
        &app,
        &handler,
        "assignCase",
        json!({ "reference": reference, "version": version, "assigneeEmail": me }),
    )
    .await;
    let case = changed(&response, "assignCase");
    assert_eq!(case["status"], "IN_PROGRESS");
    assert_eq!(case["assignee"]["email"], me);
    assert_eq!(case["version"], version + 1);

    // An edit made on the version before is refused, with the current one.
    let secret_note = "Pylväs 1234, sama vika kuin viime vuonna";
    let stale = mutate(
        &app,
        &handler,
        "addInternalNote",
        json!({ "reference": reference, "version": version, "body": secret_note }),
    )
    .await;
    assert_eq!(error_code(&stale), "CONFLICT", "{stale}");
    assert_eq!(
        stale["errors"][0]["extensions"]["currentVersion"],
        version + 1
    );
    let response = mutate(
        &app,
        &handler,
        "addInternalNote",
        json!({ "reference": reference, "version": version + 1, "body": secret_note }),
    )
    .await;
    assert_eq!(
        changed(&response, "addInternalNote")["version"],
        version + 2
    );

    // The reply asks for more and waits for the resident.
    let question = "Thank you. Which lamp post is it? Each one has a number on a sticker.";
    let response = mutate(
        &app,
        &handler,
        "replyToResident",
        json!({ "reference": reference, "version": version + 2, "body": question, "status": "WAITING_FOR_RESIDENT" }),
    )
    .await;
    let case = changed(&response, "replyToResident");
    assert_eq!(case["status"], "WAITING_FOR_RESIDENT");
    assert!(case["firstRepliedAt"].is_string(), "{case}");

    // The resident sees the reply and the status, never the internal note.
    let tracked = app
        .graphql(
            "query($r: String!, $t: String!) { trackCase(reference: $r, token: $t) { status statusText(lang: EN) replies { body sentAt } } }",
            json!({ "r": reference, "t": token }),
            None,
        )
        .await;
    let tracked = &tracked["data"]["trackCase"];
    assert_eq!(tracked["status"], "WAITING_FOR_RESIDENT", "{tracked}");
    assert_eq!(tracked["replies"][0]["body"], question, "{tracked}");
    assert_eq!(tracked["replies"].as_array().map(Vec::len), Some(1));
    assert!(!tracked.to_string().contains("Pylväs"), "{tracked}");

    // And gets it by email, in English, in the thread of the acknowledgement.
    let reply = outbox_email(&app, "A reply to your feedback").await;
    assert!(reply.contains("Which lamp post is it?"), "{reply}");
    assert_eq!(header(&reply, "To"), Some("resident@example.com"));
    assert_eq!(header(&reply, "Content-Language"), Some("en"));
    let acknowledgement = outbox_email(&app, "Thank you for your feedback").await;
    let thread = header(&acknowledgement, "Message-ID").expect("acknowledgement id");
    assert_eq!(header(&reply, "In-Reply-To"), Some(thread), "{reply}");
    assert!(!reply.contains("Pylväs"), "{reply}");

    let response = mutate(
        &app,
        &handler,
        "setCaseStatus",
        json!({ "reference": reference, "version": version + 3, "status": "RESOLVED", "note": "Lamppu vaihdettu" }),
    )
    .await;
    let case = changed(&response, "setCaseStatus");
    assert_eq!(case["status"], "RESOLVED");
    assert!(case["resolvedAt"].is_string(), "{case}");

    // The table refuses what the workflow does not allow, naming the move.
    let refused = mutate(
        &app,
        &handler,
        "setCaseStatus",
        json!({ "reference": reference, "version": version + 4, "status": "WAITING_FOR_RESIDENT" }),
    )
    .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["from"], "RESOLVED");
    assert_eq!(
        refused["errors"][0]["extensions"]["to"],
        "WAITING_FOR_RESIDENT"
    );
    let replied_when_resolved = mutate(
        &app,
        &handler,
        "replyToResident",
        json!({ "reference": reference, "version": version + 4, "body": "Vielä yksi asia" }),
    )
    .await;
    assert_eq!(
        error_code(&replied_when_resolved),
        "BAD_USER_INPUT",
        "{replied_when_resolved}"
    );
    for status in ["NEW", "ROUTED", "NEEDS_TRIAGE"] {
        let response = mutate(
            &app,
            &handler,
            "setCaseStatus",
            json!({ "reference": reference, "version": version + 4, "status": status }),
        )
        .await;
        assert_eq!(
            error_code(&response),
            "BAD_USER_INPUT",
            "{status}: {response}"
        );
    }

    // Reopening clears the resolution.
    let response = mutate(
        &app,
        &handler,
        "setCaseStatus",
        json!({ "reference": reference, "version": version + 4, "status": "IN_PROGRESS" }),
    )
    .await;
    let case = changed(&response, "setCaseStatus");
    assert_eq!(case["status"], "IN_PROGRESS");
    assert!(case["resolvedAt"].is_null(), "{case}");

    let events = timeline(&app, &reference).await;
    let kinds: Vec<&str> = events
        .iter()
        .map(|event| event["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        kinds,
        [
            "received",
            "routed",
            "assigned",
            "internal_note",
            "replied",
            "status_changed",
            "reopened"
        ]
    );
    let actor = format!("staff:{me}");
    for event in events.iter().skip(2) {
        assert_eq!(event["actor"], actor.as_str(), "{event}");
    }
    assert_eq!(events[2]["before"]["assignee"], Value::Null);
    assert_eq!(events[2]["after"]["assignee"], me);
    assert_eq!(events[2]["before"]["status"], "routed");
    assert_eq!(events[2]["after"]["status"], "in_progress");
    assert_eq!(events[3]["note"], secret_note);
    assert_eq!(events[5]["after"]["status"], "resolved");
    assert_eq!(events[5]["note"], "Lamppu vaihdettu");
    app.stop().await;
}

async fn a_handler_acts_only_in_scope_and_returns_what_is_not_theirs(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let ours = account(
        &store,
        "kalle@hel.fi",
        StaffRole::Handler,
        &["rakennusvirasto"],
        None,
    )
    .await;
    let theirs = account(&store, "hanna@hel.fi", StaffRole::Handler, &["hkl"], None).await;
    let (reference, _) = app.submit(street_lamp()).await;
    let routed = app.wait_for_status(&reference, &["ROUTED"]).await;
    let version = routed["version"].as_i64().expect("version");

    // Another unit's handler gets exactly what a reference that does not exist gets.
    let attempts = [
        ("assignCase", json!({ "assigneeEmail": "hanna@hel.fi" })),
        ("addInternalNote", json!({ "body": "x" })),
        ("replyToResident", json!({ "body": "x" })),
        ("setCaseStatus", json!({ "status": "RESOLVED" })),
        ("returnToTriage", json!({ "reason": "x" })),
    ];
    for (name, fields) in attempts {
        for target in [reference.as_str(), "HEL-2026-999999"] {
            let mut input = fields.clone();
            input["reference"] = json!(target);
            input["version"] = json!(version);
            let response = mutate(&app, &theirs, name, input).await;
            assert_eq!(error_code(&response), "NOT_FOUND", "{name}: {response}");
            assert_eq!(
                response["errors"][0]["message"],
                format!("no case {target}"),
                "{name}: the message must not tell the two apart"
            );
        }
    }

    // A case goes only to someone who works its unit.
    let response = mutate(
        &app,
        &ours,
        "assignCase",
        json!({ "reference": reference, "version": version, "assigneeEmail": "hanna@hel.fi" }),
    )
    .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
    let response = mutate(
        &app,
        &ours,
        "returnToTriage",
        json!({ "reference": reference, "version": version, "reason": "   " }),
    )
    .await;
    assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["field"], "reason");

    // "Not ours": back to triage in one step, and the triage unit is told.
    let response = mutate(
        &app,
        &ours,
        "returnToTriage",
        json!({ "reference": reference, "version": version, "reason": "HSL:n pysäkin valo, ei katuvalaistusta" }),
    )
    .await;
    let case = changed(&response, "returnToTriage");
    assert_eq!(case["status"], "NEEDS_TRIAGE");
    assert_eq!(case["unit"]["code"], "triage");
    assert!(case["assignee"].is_null());
    let gone = app
        .graphql(
            "query($r: String!) { case(reference: $r) { reference } }",
            json!({ "r": reference }),
            Some(&ours),
        )
        .await;
    assert_eq!(error_code(&gone), "NOT_FOUND", "{gone}");
    let case_id = store
        .case_by_reference(&reference.parse().expect("reference"))
        .await
        .expect("load")
        .expect("case")
        .id;
    let mut notifications = 0;
    for _ in 0..200 {
        notifications = store
            .emails_for_case(case_id.0)
            .await
            .expect("emails")
            .iter()
            .filter(|email| email.kind == "handler_notification")
            .count();
        if notifications == 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(notifications, 2, "the unit, then triage");
    let events = timeline(&app, &reference).await;
    let returned = events.last().expect("event");
    assert_eq!(returned["kind"], "returned_to_triage");
    assert_eq!(returned["before"]["unit"], "rakennusvirasto");
    assert_eq!(returned["after"]["unit"], "triage");
    assert_eq!(returned["note"], "HSL:n pysäkin valo, ei katuvalaistusta");

    // Triage sends it on; moving cases between units is not a handler's.
    let forbidden = mutate(
        &app,
        &ours,
        "reassignCase",
        json!({ "reference": reference, "version": version + 1, "unitCode": "hkl" }),
    )
    .await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN", "{forbidden}");
    let response = app
        .staff(
            "mutation($input: ReassignCaseInput!) { reassignCase(input: $input) { status unit { code } version } }",
            json!({ "input": { "reference": reference, "version": version + 1, "unitCode": "hkl" } }),
        )
        .await;
    let case = changed(&response, "reassignCase");
    assert_eq!(case["status"], "ROUTED");
    assert_eq!(case["unit"]["code"], "hkl");
    let visible = app
        .graphql(
            "query($r: String!) { case(reference: $r) { reference } }",
            json!({ "r": reference }),
            Some(&theirs),
        )
        .await;
    assert_eq!(visible["data"]["case"]["reference"], reference.as_str());
    app.stop().await;
}

async fn duplicates_merge_into_one_case_and_related_cases_link(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (kept, _) = app.submit(street_lamp()).await;
    let mut duplicate_input = street_lamp();
    duplicate_input["language"] = json!("SV");
    duplicate_input["contact"]["email"] = json!("invanare@example.com");
    let (duplicate, _) = app.submit(duplicate_input).await;
    let (related, _) = app
        .submit(json!({ "channel": "WEB", "description": "Katulamppu vilkkuu Runeberginkadulla", "language": "FI" }))
        .await;
    for reference in [&kept, &duplicate, &related] {
        app.wait_for_status(reference, &["ROUTED"]).await;
    }
    let merge = "mutation($input: MergeCasesInput!) { mergeCases(input: $input) { reference version duplicates { reference status mergedInto { reference } } } }";
    let input = |dup: &str, dup_version: i64, into: &str, into_version: i64| {
        json!({ "input": {
            "duplicate": { "reference": dup, "version": dup_version },
            "into": { "reference": into, "version": into_version },
            "note": "sama lamppu",
        } })
    };
    let itself = app.staff(merge, input(&kept, 2, &kept, 2)).await;
    assert_eq!(error_code(&itself), "BAD_USER_INPUT", "{itself}");
    let stale = app.staff(merge, input(&duplicate, 1, &kept, 2)).await;
    assert_eq!(error_code(&stale), "CONFLICT", "{stale}");
    assert_eq!(
        stale["errors"][0]["extensions"]["reference"],
        duplicate.as_str()
    );

    let merged = app.staff(merge, input(&duplicate, 2, &kept, 2)).await;
    let case = &merged["data"]["mergeCases"];
    assert_eq!(case["reference"], kept.as_str(), "{merged}");
    assert_eq!(case["version"], 3);
    assert_eq!(case["duplicates"][0]["reference"], duplicate.as_str());
    assert_eq!(case["duplicates"][0]["status"], "CLOSED");
    assert_eq!(
        case["duplicates"][0]["mergedInto"]["reference"],
        kept.as_str()
    );
    let again = app.staff(merge, input(&duplicate, 3, &related, 2)).await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT", "{again}");

    // One matter, one row: lists, counts and search show the kept case only.
    let listed = app
        .staff(
            "{ cases { totalCount } caseCounts(groupBy: UNIT) { key count } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["data"]["cases"]["totalCount"], 2, "{listed}");
    assert_eq!(listed["data"]["caseCounts"][0]["count"], 2, "{listed}");
    let mut found = Value::Null;
    for _ in 0..200 {
        found = app
            .staff("{ search(query: \"Runeberginkadun kulmassa\") { totalCount nodes { reference } } }", json!({}))
            .await;
        if found["data"]["search"]["totalCount"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    assert_eq!(found["data"]["search"]["totalCount"], 1, "{found}");
    assert_eq!(
        found["data"]["search"]["nodes"][0]["reference"],
        kept.as_str()
    );

    // The duplicate's resident is told, in Swedish, which case carries on.
    let notice = outbox_email(&app, "Din respons behandlas tillsammans med en annan").await;
    assert_eq!(header(&notice, "To"), Some("invanare@example.com"));
    assert!(notice.contains(&kept), "{notice}");

    let linked = app
        .staff(
            "mutation($input: LinkCasesInput!) { linkCases(input: $input) { reference linkedCases { reference linkedCases { reference } } } }",
            json!({ "input": {
                "case": { "reference": kept, "version": 3 },
                "linked": { "reference": related, "version": 2 },
            } }),
        )
        .await;
    let case = &linked["data"]["linkCases"];
    assert_eq!(
        case["linkedCases"][0]["reference"],
        related.as_str(),
        "{linked}"
    );
    assert_eq!(
        case["linkedCases"][0]["linkedCases"][0]["reference"],
        kept.as_str()
    );
    let kinds: Vec<String> = timeline(&app, &kept)
        .await
        .iter()
        .map(|event| event["kind"].as_str().unwrap_or("").to_owned())
        .collect();
    assert_eq!(kinds, ["received", "routed", "duplicate_merged", "linked"]);
    app.stop().await;
}

async fn the_resident_reopens_and_rates_their_case(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (reference, token) = app.submit(street_lamp()).await;
    app.wait_for_status(&reference, &["ROUTED"]).await;
    let resolve = |version: i64| {
        let app = &app;
        let reference = reference.clone();
        async move {
            let response = app
                .staff(
                    "mutation($r: String!, $v: Int!) { setCaseStatus(input: {reference: $r, version: $v, status: RESOLVED}) { version } }",
                    json!({ "r": reference, "v": version }),
                )
                .await;
            assert!(response["data"]["setCaseStatus"].is_object(), "{response}");
        }
    };
    let reopen = "mutation($input: ReopenCaseInput!) { reopenCase(input: $input) { status reopenableUntil } }";
    let rate = "mutation($input: RateCaseInput!) { rateCase(input: $input) { status satisfaction { score comment } } }";
    let resident = |query: &'static str, input: Value| {
        let app = &app;
        async move { app.graphql(query, json!({ "input": input }), None).await }
    };

    // Not resolved yet: nothing to reopen or rate.
    let early = resident(
        rate,
        json!({ "reference": reference, "token": token, "score": 4 }),
    )
    .await;
    assert_eq!(error_code(&early), "BAD_USER_INPUT", "{early}");
    resolve(2).await;
    let tracked = app
        .graphql(
            "query($r: String!, $t: String!) { trackCase(reference: $r, token: $t) { status reopenableUntil } }",
            json!({ "r": reference, "t": token }),
            None,
        )
        .await;
    assert!(
        tracked["data"]["trackCase"]["reopenableUntil"].is_string(),
        "{tracked}"
    );

    let wrong_token = resident(
        reopen,
        json!({ "reference": reference, "token": "wrong", "reason": "x" }),
    )
    .await;
    assert_eq!(error_code(&wrong_token), "NOT_FOUND", "{wrong_token}");
    let no_reason = resident(
        reopen,
        json!({ "reference": reference, "token": token, "reason": " " }),
    )
    .await;
    assert_eq!(error_code(&no_reason), "BAD_USER_INPUT", "{no_reason}");
    let reopened = resident(
        reopen,
        json!({ "reference": reference, "token": token, "reason": "Lamppu on edelleen pimeänä" }),
    )
    .await;
    assert_eq!(
        reopened["data"]["reopenCase"]["status"], "IN_PROGRESS",
        "{reopened}"
    );
    assert!(reopened["data"]["reopenCase"]["reopenableUntil"].is_null());
    let events = timeline(&app, &reference).await;
    let last = events.last().expect("event");
    assert_eq!(last["kind"], "reopened");
    assert_eq!(last["actor"], "resident");
    assert_eq!(last["note"], "Lamppu on edelleen pimeänä");
    let again = resident(
        reopen,
        json!({ "reference": reference, "token": token, "reason": "x" }),
    )
    .await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT", "{again}");

    // Resolved again, the resident answers once.
    resolve(4).await;
    for score in [0, 6] {
        let out_of_range = resident(
            rate,
            json!({ "reference": reference, "token": token, "score": score }),
        )
        .await;
        assert_eq!(
            error_code(&out_of_range),
            "BAD_USER_INPUT",
            "{out_of_range}"
        );
        assert_eq!(out_of_range["errors"][0]["extensions"]["field"], "score");
    }
    let rated = resident(
        rate,
        json!({ "reference": reference, "token": token, "score": 4, "comment": "Nopeasti korjattu" }),
    )
    .await;
    assert_eq!(
        rated["data"]["rateCase"]["satisfaction"],
        json!({ "score": 4, "comment": "Nopeasti korjattu" }),
        "{rated}"
    );
    let twice = resident(
        rate,
        json!({ "reference": reference, "token": token, "score": 1 }),
    )
    .await;
    assert_eq!(error_code(&twice), "BAD_USER_INPUT", "{twice}");
    app.stop().await;
}

async fn triage_forwards_what_another_body_handles(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let triage = account(&store, "olli@hel.fi", StaffRole::Triage, &[], None).await;
    let handler = account(
        &store,
        "saara@hel.fi",
        StaffRole::Handler,
        &["rakennusvirasto"],
        None,
    )
    .await;
    let mut input = street_lamp();
    input["language"] = json!("EN");
    input["contact"]["email"] = json!("rider@example.com");
    input["description"] = json!("Katulamppu bussipysäkin katoksessa on rikki, pysäkki H1234");
    let (reference, _) = app.submit(input).await;
    let version = app.wait_for_status(&reference, &["ROUTED"]).await["version"]
        .as_i64()
        .expect("version");
    let bodies = app
        .graphql(
            "{ externalBodies(lang: EN) { code name contact } }",
            json!({}),
            Some(&triage),
        )
        .await;
    let codes: Vec<&str> = bodies["data"]["externalBodies"]
        .as_array()
        .expect("bodies")
        .iter()
        .map(|body| body["code"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(codes, ["hsl", "hsy", "poliisi"], "{bodies}");

    let forward = |token: String, body: &'static str, version: i64| {
        let app = &app;
        let reference = reference.clone();
        async move {
            app.graphql(
                "mutation($input: ForwardCaseInput!) { forwardCase(input: $input) { status assignee { email } } }",
                json!({ "input": { "reference": reference, "version": version, "bodyCode": body, "note": "Pysäkin katos on HSL:n" } }),
                Some(&token),
            )
            .await
        }
    };
    let forbidden = forward(handler.clone(), "hsl", version).await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN", "{forbidden}");
    let unknown = forward(triage.clone(), "vr", version).await;
    assert_eq!(error_code(&unknown), "BAD_USER_INPUT", "{unknown}");
    assert_eq!(unknown["errors"][0]["extensions"]["field"], "bodyCode");
    let forwarded = forward(triage.clone(), "hsl", version).await;
    assert_eq!(
        forwarded["data"]["forwardCase"]["status"], "CLOSED",
        "{forwarded}"
    );
    let again = forward(triage, "hsl", version + 1).await;
    assert_eq!(error_code(&again), "BAD_USER_INPUT", "{again}");

    let events = timeline(&app, &reference).await;
    let last = events.last().expect("event");
    assert_eq!(last["kind"], "forwarded");
    assert_eq!(last["after"]["forwarded_to"], "hsl");
    assert_eq!(last["actor"], "staff:olli@hel.fi");

    // The body gets the matter in its language, without the resident's address.
    let sent = outbox_email(&app, "To: hsl@palaute.hel.fi").await;
    assert_eq!(header(&sent, "To"), Some("hsl@palaute.hel.fi"));
    assert!(sent.contains("H1234"), "{sent}");
    assert!(!sent.contains("rider@example.com"), "{sent}");
    // The resident hears, in English, who handles it now and how to reach them.
    let notice = outbox_email(&app, "Your feedback has been forwarded").await;
    assert_eq!(header(&notice, "To"), Some("rider@example.com"));
    assert!(
        notice.contains("Helsinki Regional Transport HSL"),
        "{notice}"
    );
    assert!(
        notice.contains("https://www.hsl.fi/asiakaspalvelu"),
        "{notice}"
    );
    app.stop().await;
}

on_every_backend!(
    a_case_is_worked_to_resolution,
    a_handler_acts_only_in_scope_and_returns_what_is_not_theirs,
    duplicates_merge_into_one_case_and_related_cases_link,
    the_resident_reopens_and_rates_their_case,
    triage_forwards_what_another_body_handles,
);
