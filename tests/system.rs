//! Whole-system tests: the real application over real HTTP, on SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use palaute_testkit::smtp::SmtpSink;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::json;
use support::{error_code, spawn_app, spawn_app_with, street_lamp};

async fn street_lamp_is_routed_emailed_and_searchable(database: TestDatabase) {
    let app = spawn_app(database).await;
    let health = app
        .http
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);

    let (reference, token) = app.submit(street_lamp()).await;
    assert!(reference.starts_with("HEL-"), "{reference}");
    let case = app.wait_for_status(&reference, &["ROUTED"]).await;
    assert_eq!(case["language"], "FI");
    assert_eq!(case["unit"]["code"], "rakennusvirasto");
    assert_eq!(case["category"]["code"], "180");
    assert_eq!(case["channel"], "WEB");
    let kinds: Vec<&str> = case["timeline"]["edges"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|e| e["node"]["kind"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(kinds, ["received", "routed"]);

    // The handler's email names the reference; the resident gets a Finnish acknowledgement.
    let mut files = Vec::new();
    for _ in 0..100 {
        files = app.outbox_files();
        if files.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let handler = files
        .iter()
        .find(|(name, _)| name.contains(".handler."))
        .expect("handler email");
    assert!(handler.1.contains(&reference));
    assert!(handler.1.contains("To: rakennusvirasto@palaute.hel.fi"));
    assert!(handler.1.contains("Auto-Submitted: auto-generated"));
    let ack = files
        .iter()
        .find(|(name, _)| name.contains(".ack."))
        .expect("acknowledgement");
    assert!(ack.1.contains("Content-Language: fi"));
    assert!(ack.1.contains("To: maija@example.com"));

    // Stemming: the text said "katulamppu", the search says "katulampun".
    let mut found = json!(null);
    for _ in 0..100 {
        found = app.staff("{ search(query: \"katulampun\") { totalCount nodes { reference status } facets { status { value } unit { value count } } } }", json!({})).await;
        // Nodes are read from the database; facets show what the index holds, which
        // catches up with the routing a moment later.
        if found["data"]["search"]["totalCount"] == 1
            && found["data"]["search"]["facets"]["status"][0]["value"] == "routed"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        found["data"]["search"]["nodes"][0]["reference"],
        reference.as_str(),
        "{found}"
    );
    assert_eq!(
        found["data"]["search"]["facets"]["unit"][0]["value"],
        "rakennusvirasto"
    );

    // The resident sees their case with the token, and nothing without it.
    let tracked = app.graphql("query($r: String!, $t: String!) { trackCase(reference: $r, token: $t) { reference status statusText(lang: EN) category { code } } }", json!({ "r": reference, "t": token }), None).await;
    assert_eq!(
        tracked["data"]["trackCase"]["status"], "ROUTED",
        "{tracked}"
    );
    assert_eq!(tracked["data"]["trackCase"]["statusText"], "Being handled");
    let wrong = app
        .graphql(
            "query($r: String!) { trackCase(reference: $r, token: \"nope\") { status } }",
            json!({ "r": reference }),
            None,
        )
        .await;
    assert_eq!(error_code(&wrong), "NOT_FOUND");
    app.stop().await;
}

async fn unroutable_feedback_goes_to_triage(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (reference, _) = app
        .submit(json!({ "channel": "WEB", "description": "Hei, kiitos hyvästä palvelusta!" }))
        .await;
    let case = app.wait_for_status(&reference, &["NEEDS_TRIAGE"]).await;
    assert_eq!(case["unit"]["code"], "triage");
    app.stop().await;
}

async fn bad_input_is_refused_and_nothing_is_stored(database: TestDatabase) {
    let app = spawn_app(database).await;
    let submit =
        "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }";
    let cases = [
        (
            json!({ "channel": "WEB", "description": "" }),
            "description",
        ),
        (
            json!({ "channel": "WEB", "description": "   \n\t  " }),
            "description",
        ),
        (
            json!({ "channel": "WEB", "description": "x".repeat(10_001) }),
            "description",
        ),
        (
            json!({ "channel": "WEB", "description": "Kuoppa", "contact": { "email": "not-an-address" } }),
            "contact.email",
        ),
        (
            json!({ "channel": "WEB", "description": "Kuoppa", "categoryCode": "999" }),
            "categoryCode",
        ),
        (
            json!({ "channel": "WEB", "description": "Kuoppa", "location": { "lat": 120.0, "lon": 24.9 } }),
            "location.lat",
        ),
    ];
    for (input, field) in cases {
        let response = app.graphql(submit, json!({ "input": input }), None).await;
        assert_eq!(error_code(&response), "BAD_USER_INPUT", "{response}");
        assert_eq!(
            response["errors"][0]["extensions"]["field"], field,
            "{response}"
        );
        assert!(response["data"].is_null(), "{response}");
    }
    // An unknown channel is refused by the schema itself.
    let response = app
        .graphql(
            submit,
            json!({ "input": { "channel": "PIGEON", "description": "x" } }),
            None,
        )
        .await;
    assert!(response["errors"].is_array(), "{response}");

    let url = format!("{}/graphql", app.base_url);
    let raw = |body: Vec<u8>, content_type: &'static str| {
        app.http
            .post(&url)
            .header("content-type", content_type)
            .body(body)
            .send()
    };
    // A 1 MB description exceeds the body limit.
    let huge = serde_json::to_vec(&json!({ "query": submit, "variables": { "input": { "channel": "WEB", "description": "x".repeat(1 << 20) } } })).expect("json");
    let response = raw(huge, "application/json").await.expect("send");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("json error");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let response = raw(b"{\"query\": \"mutation {".to_vec(), "application/json")
        .await
        .expect("send");
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.expect("json error");
    assert_eq!(error_code(&body), "BAD_USER_INPUT");

    let mut invalid_utf8 =
        br#"{"query":"mutation { submitFeedback(input: {channel: WEB, description: "#.to_vec();
    invalid_utf8.extend_from_slice(b"\"\xff\xfe\"}) { reference } }\"}");
    let response = raw(invalid_utf8, "application/json").await.expect("send");
    assert_eq!(response.status(), 400);

    let response = raw(b"query { units { code } }".to_vec(), "text/plain")
        .await
        .expect("send");
    assert_eq!(response.status(), 415);

    let listed = app.staff("{ cases { totalCount } }", json!({})).await;
    assert_eq!(listed["data"]["cases"]["totalCount"], 0, "{listed}");
    assert!(app.outbox_files().is_empty());
    app.stop().await;
}

async fn staff_queries_need_a_valid_token(database: TestDatabase) {
    let app = spawn_app(database).await;
    for token in [None, Some("wrong-token")] {
        for query in [
            "{ cases { totalCount } }",
            "{ search(query: \"x\") { totalCount } }",
            "{ case(reference: \"HEL-2026-000001\") { status } }",
        ] {
            let response = app.graphql(query, json!({}), token).await;
            assert_eq!(
                error_code(&response),
                "UNAUTHENTICATED",
                "{query}: {response}"
            );
        }
    }
    let missing = app
        .staff(
            "{ case(reference: \"HEL-2026-999999\") { status } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&missing), "NOT_FOUND");
    let malformed = app
        .staff("{ case(reference: \"nonsense\") { status } }", json!({}))
        .await;
    assert_eq!(error_code(&malformed), "BAD_USER_INPUT");
    let too_many = app
        .staff("{ cases(first: 100000) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&too_many), "BAD_USER_INPUT");
    app.stop().await;
}

async fn idempotency_key_returns_the_same_case(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut input = street_lamp();
    input["idempotencyKey"] = json!("form-7f3a");
    let first = app.submit(input.clone()).await;
    let again = app.submit(input.clone()).await;
    assert_eq!(first, again);
    input["description"] = json!("Something else entirely");
    let response = app.graphql("mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }", json!({ "input": input }), None).await;
    assert_eq!(error_code(&response), "CONFLICT", "{response}");
    let listed = app.staff("{ cases { totalCount } }", json!({})).await;
    assert_eq!(listed["data"]["cases"]["totalCount"], 1);
    app.stop().await;
}

async fn staff_list_filters_and_pages(database: TestDatabase) {
    let app = spawn_app(database).await;
    let mut references = Vec::new();
    for (channel, description) in [
        ("WEB", "Tiessä on iso kuoppa"),
        ("EMAIL", "Gatlyktan är trasig vid torget"),
        ("SMS", "Roskia puistossa"),
        ("WEB", "There is graffiti on the wall"),
    ] {
        let (reference, _) = app
            .submit(json!({ "channel": channel, "description": description }))
            .await;
        references.push(reference);
    }
    for reference in &references {
        app.wait_for_status(reference, &["ROUTED", "NEEDS_TRIAGE"])
            .await;
    }
    let page = app.staff("{ cases(first: 3, filter: { channel: [WEB, EMAIL, SMS] }) { totalCount pageInfo { hasNextPage endCursor } edges { node { reference } } } }", json!({})).await;
    let cases = &page["data"]["cases"];
    assert_eq!(cases["totalCount"], 4, "{page}");
    assert_eq!(cases["edges"].as_array().map(Vec::len), Some(3));
    assert_eq!(cases["pageInfo"]["hasNextPage"], true);
    let rest = app.staff("query($after: String) { cases(first: 3, after: $after) { edges { node { reference } } pageInfo { hasNextPage } } }", json!({ "after": cases["pageInfo"]["endCursor"] })).await;
    assert_eq!(
        rest["data"]["cases"]["edges"][0]["node"]["reference"],
        references[0].as_str()
    );
    let swedish = app.staff("{ cases(filter: { language: [SV] }) { totalCount edges { node { reference language } } } }", json!({})).await;
    assert_eq!(swedish["data"]["cases"]["totalCount"], 1, "{swedish}");
    assert_eq!(
        swedish["data"]["cases"]["edges"][0]["node"]["reference"],
        references[1].as_str()
    );
    let email = app
        .staff(
            "{ cases(filter: { channel: [EMAIL], status: [ROUTED] }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(email["data"]["cases"]["totalCount"], 1, "{email}");
    app.stop().await;
}

async fn public_lists_are_localised(database: TestDatabase) {
    let app = spawn_app(database).await;
    let response = app
        .graphql(
            "{ categories(lang: SV) { code name group } units(lang: EN) { code name division } }",
            json!({}),
            None,
        )
        .await;
    let categories = response["data"]["categories"]
        .as_array()
        .expect("categories");
    // Helsinki's ten services and the "immediate danger" category that redirects to 112.
    assert_eq!(categories.len(), 11);
    let graffiti = categories.iter().find(|c| c["code"] == "176").expect("176");
    assert_eq!(graffiti["name"], "Klotterborttagning");
    assert_eq!(graffiti["group"], "Renhållning");
    let units = response["data"]["units"].as_array().expect("units");
    assert!(
        units
            .iter()
            .any(|u| u["code"] == "triage" && u["name"] == "Feedback triage"),
        "{response}"
    );
    app.stop().await;
}

async fn handler_email_goes_out_over_smtp(database: TestDatabase) {
    let sink = SmtpSink::start().await.expect("smtp sink");
    let url = sink.url();
    let app = spawn_app_with(database, move |settings| settings.smtp_url = Some(url)).await;
    let (reference, _) = app.submit(street_lamp()).await;
    let mails = sink
        .wait_for(2, std::time::Duration::from_secs(10))
        .await
        .expect("two emails over SMTP");
    let handler = mails
        .iter()
        .find(|m| m.rcpt_to == ["rakennusvirasto@palaute.hel.fi"])
        .expect("handler mail");
    assert!(handler.text().contains(&reference));
    assert_eq!(
        handler.header("Auto-Submitted").as_deref(),
        Some("auto-generated")
    );
    let ack = mails
        .iter()
        .find(|m| m.rcpt_to == ["maija@example.com"])
        .expect("acknowledgement");
    assert!(
        ack.header("Message-ID")
            .is_some_and(|id| id.contains(&reference.to_ascii_lowercase()))
    );
    assert!(
        app.outbox_files().is_empty(),
        "SMTP mode writes no outbox files"
    );
    app.stop().await;
}

/// Phone calls, SMS and social media posts are entered by staff or an integration
/// with a staff token (an SMS gateway's webhook relay, as the README shows): an
/// anonymous caller cannot speak for those channels.
async fn staff_channels_need_a_staff_token(database: TestDatabase) {
    let app = spawn_app(database).await;
    let submit = "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference trackingToken } }";
    let sms = json!({
        "channel": "SMS",
        "description": "Roskis on täynnä Kaisaniemen puistossa",
        "contact": { "phone": "+358401234567" },
        "idempotencyKey": "sms-gateway-message-0001"
    });
    let anonymous = app.graphql(submit, json!({ "input": sms }), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let gateway = support::account(
        &app.store().await,
        "sms-gateway@hel.fi",
        palaute_core::StaffRole::Triage,
        &[],
        None,
    )
    .await;
    let entered = app
        .graphql(submit, json!({ "input": sms }), Some(&gateway))
        .await;
    let reference = entered["data"]["submitFeedback"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("{entered}"))
        .to_owned();
    let case = app
        .wait_for_status(&reference, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    assert_eq!(case["channel"], "SMS");
    let web = app
        .graphql(
            submit,
            json!({ "input": { "channel": "MOBILE_APP", "description": "Penkki rikki" } }),
            None,
        )
        .await;
    assert!(web["errors"].is_null(), "{web}");
    app.stop().await;
}

on_every_backend!(
    staff_channels_need_a_staff_token,
    street_lamp_is_routed_emailed_and_searchable,
    unroutable_feedback_goes_to_triage,
    bad_input_is_refused_and_nothing_is_stored,
    staff_queries_need_a_valid_token,
    idempotency_key_returns_the_same_case,
    staff_list_filters_and_pages,
    public_lists_are_localised,
    handler_email_goes_out_over_smtp,
);
