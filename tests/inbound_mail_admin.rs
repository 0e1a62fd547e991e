//! Administrators read the email door's records over GraphQL, over real HTTP: a
//! resident's email (a new case) and an auto-reply (set aside) posted to the webhook,
//! then `inboundMail` filtered and unfiltered (newest first, paged by cursor, the case's
//! reference, the message as received) and `inboundMailCounts`. Handlers are refused
//! (FORBIDDEN), anonymous callers too (UNAUTHENTICATED). On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it checks is not as expected"
)]

mod support;

use palaute_core::StaffRole;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{ADMIN_TOKEN, TestApp, account, error_code, spawn_app_with};

const SECRET: &str = "inbound-webhook-secret-for-admin-tests";

const RESIDENT_EMAIL: &str = concat!(
    "From: Maija Virtanen <maija.virtanen@example.fi>\r\n",
    "To: palaute@hel.fi\r\n",
    "Subject: =?UTF-8?Q?Roskis_t=C3=A4ynn=C3=A4_Kalliossa?=\r\n",
    "Message-ID: <resident.1@example.fi>\r\n",
    "Date: Tue, 1 Dec 2026 08:00:00 +0200\r\n",
    "MIME-Version: 1.0\r\n",
    "Content-Type: text/plain; charset=utf-8\r\n",
    "Content-Transfer-Encoding: quoted-printable\r\n",
    "\r\n",
    "Roskakori on ollut t=C3=A4ynn=C3=A4 viikon Kallion kirjaston edess=C3=A4.\r\n",
);

const AUTO_REPLY: &str = concat!(
    "From: poissa@example.org\r\n",
    "To: palaute@hel.fi\r\n",
    "Subject: Out of office\r\n",
    "Auto-Submitted: auto-replied\r\n",
    "Message-ID: <ooo.2@example.org>\r\n",
    "\r\n",
    "Olen lomalla 14.12. asti.\r\n",
);

const NODE: &str = "id messageKey source fromAddress subject disposition reason case { reference } size receivedAt raw";

async fn spawn(database: TestDatabase) -> TestApp {
    spawn_app_with(database, |settings| {
        settings.mail.webhook_secret = Some(SECRET.to_owned());
        settings.mail.inbound_address = Some("palaute@hel.fi".to_owned());
    })
    .await
}

/// Posts a raw message to the webhook, signed, and returns its JSON answer.
async fn post_mail(app: &TestApp, raw: &str) -> Value {
    let (status, answer) = app.post_signed_mail(SECRET, raw).await;
    assert_eq!(status, 200);
    answer
}

async fn list(app: &TestApp, variables: Value, token: Option<&str>) -> Value {
    let query = format!(
        "query($d: MailDisposition, $first: Int, $after: String) {{ inboundMail(disposition: $d, first: $first, after: $after) {{ totalCount pageInfo {{ hasNextPage hasPreviousPage endCursor }} edges {{ cursor node {{ {NODE} }} }} }} }}"
    );
    app.graphql(&query, variables, token).await
}

fn nodes(response: &Value) -> Vec<Value> {
    response["data"]["inboundMail"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no inboundMail: {response}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

const COUNTS: &str = "{ inboundMailCounts { total byOutcome { disposition reason count } } }";

async fn administrators_read_inbound_mail(database: TestDatabase) {
    let app = spawn(database).await;

    let answer = post_mail(&app, RESIDENT_EMAIL).await;
    assert_eq!(answer["disposition"], "new_case", "{answer}");
    let reference = answer["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();
    let answer = post_mail(&app, AUTO_REPLY).await;
    assert_eq!(answer["disposition"], "set_aside", "{answer}");
    assert_eq!(answer["reason"], "auto_reply", "{answer}");

    // Set aside: the auto-reply alone, kept byte for byte.
    let set_aside = list(&app, json!({ "d": "SET_ASIDE" }), Some(ADMIN_TOKEN)).await;
    assert!(set_aside["errors"].is_null(), "{set_aside}");
    let found = nodes(&set_aside);
    assert_eq!(found.len(), 1, "{set_aside}");
    let mail = &found[0];
    assert_eq!(mail["disposition"], "SET_ASIDE");
    assert_eq!(mail["reason"], "auto_reply");
    assert_eq!(mail["raw"], AUTO_REPLY);
    assert_eq!(mail["size"], AUTO_REPLY.len());
    assert_eq!(mail["subject"], "Out of office");
    assert_eq!(mail["fromAddress"], "poissa@example.org");
    assert_eq!(mail["source"], "webhook");
    assert!(
        mail["messageKey"]
            .as_str()
            .unwrap()
            .contains("ooo.2@example.org"),
        "{mail}"
    );
    assert!(mail["case"].is_null(), "{mail}");
    assert!(mail["receivedAt"].is_string(), "{mail}");
    assert_eq!(set_aside["data"]["inboundMail"]["totalCount"], 1);

    // All of it: newest first, the resident's email with its case.
    let all = list(&app, json!({}), Some(ADMIN_TOKEN)).await;
    assert!(all["errors"].is_null(), "{all}");
    let found = nodes(&all);
    assert_eq!(found.len(), 2, "{all}");
    assert_eq!(found[0]["reason"], "auto_reply");
    assert_eq!(found[1]["disposition"], "NEW_CASE");
    assert!(found[1]["reason"].is_null());
    assert_eq!(found[1]["case"]["reference"], reference.as_str());
    assert_eq!(found[1]["subject"], "Roskis täynnä Kalliossa");
    assert_eq!(found[1]["fromAddress"], "maija.virtanen@example.fi");
    assert_eq!(found[1]["raw"], RESIDENT_EMAIL);
    assert!(found[0]["id"].as_i64().unwrap() > found[1]["id"].as_i64().unwrap());
    let connection = &all["data"]["inboundMail"];
    assert_eq!(connection["totalCount"], 2);
    assert_eq!(connection["pageInfo"]["hasNextPage"], false);
    assert_eq!(connection["pageInfo"]["hasPreviousPage"], false);

    // One at a time, by cursor.
    let page = list(&app, json!({ "first": 1 }), Some(ADMIN_TOKEN)).await;
    let first = nodes(&page);
    assert_eq!(first.len(), 1, "{page}");
    assert_eq!(first[0]["id"], found[0]["id"]);
    assert_eq!(page["data"]["inboundMail"]["pageInfo"]["hasNextPage"], true);
    let cursor = page["data"]["inboundMail"]["pageInfo"]["endCursor"].clone();
    let page = list(
        &app,
        json!({ "first": 1, "after": cursor }),
        Some(ADMIN_TOKEN),
    )
    .await;
    let second = nodes(&page);
    assert_eq!(second.len(), 1, "{page}");
    assert_eq!(second[0]["id"], found[1]["id"]);
    let info = &page["data"]["inboundMail"]["pageInfo"];
    assert_eq!(info["hasNextPage"], false);
    assert_eq!(info["hasPreviousPage"], true);

    // More than the page size gets a full page; nothing or a foreign cursor is refused.
    let big = list(&app, json!({ "first": 100_000 }), Some(ADMIN_TOKEN)).await;
    assert_eq!(nodes(&big).len(), 2, "{big}");
    let none = list(&app, json!({ "first": 0 }), Some(ADMIN_TOKEN)).await;
    assert_eq!(error_code(&none), "BAD_USER_INPUT", "{none}");
    let foreign = list(&app, json!({ "after": "HEL-2026" }), Some(ADMIN_TOKEN)).await;
    assert_eq!(error_code(&foreign), "BAD_USER_INPUT", "{foreign}");

    // The counts.
    let counts = app.graphql(COUNTS, json!({}), Some(ADMIN_TOKEN)).await;
    assert!(counts["errors"].is_null(), "{counts}");
    let counts = &counts["data"]["inboundMailCounts"];
    assert_eq!(counts["total"], 2);
    let by_outcome = counts["byOutcome"].as_array().expect("byOutcome");
    assert_eq!(by_outcome.len(), 2, "{counts}");
    assert!(by_outcome.contains(&json!({ "disposition": "NEW_CASE", "reason": null, "count": 1 })));
    assert!(
        by_outcome
            .contains(&json!({ "disposition": "SET_ASIDE", "reason": "auto_reply", "count": 1 }))
    );

    // Administrators only.
    let store = app.store().await;
    let handler = account(
        &store,
        "kasittelija@hel.fi",
        StaffRole::Handler,
        &["liikuntavirasto"],
        None,
    )
    .await;
    let refused = list(&app, json!({}), Some(&handler)).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    assert!(refused["data"].is_null(), "{refused}");
    let refused = app.graphql(COUNTS, json!({}), Some(&handler)).await;
    assert_eq!(error_code(&refused), "FORBIDDEN", "{refused}");
    let anonymous = list(&app, json!({}), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");
    let anonymous = app.graphql(COUNTS, json!({}), None).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");

    app.stop().await;
}

on_every_backend!(administrators_read_inbound_mail);
