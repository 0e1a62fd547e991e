//! Staff accounts over HTTP: who a token belongs to, what each role may do, and that a
//! handler never learns of another unit's case, through any field.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use palaute_core::{EmailAddress, StaffRole};
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{TestApp, account, error_code, spawn_app, street_lamp};

async fn as_staff(app: &TestApp, token: &str, query: &str) -> Value {
    app.graphql(query, json!({}), Some(token)).await
}

async fn scopes_hold_for_every_field(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let (ours, _) = app.submit(street_lamp()).await;
    let (theirs, _) = app
        .submit(json!({ "channel": "WEB", "description": "Katulamppu ei pala Hämeentiellä" }))
        .await;
    app.wait_for_status(&ours, &["ROUTED"]).await;
    app.wait_for_status(&theirs, &["ROUTED"]).await;
    let moved = app
        .staff(
            "mutation($r: String!, $v: Int!) { reassignCase(input: {reference: $r, version: $v, unitCode: \"kiinteistovirasto\"}) { unit { code } } }",
            json!({ "r": theirs, "v": app.case_version(&theirs).await }),
        )
        .await;
    assert_eq!(
        moved["data"]["reassignCase"]["unit"]["code"], "kiinteistovirasto",
        "{moved}"
    );

    let handler = account(
        &store,
        "kasittelija@hel.fi",
        StaffRole::Handler,
        &["rakennusvirasto"],
        None,
    )
    .await;
    let triage = account(&store, "triage@hel.fi", StaffRole::Triage, &[], None).await;

    let me = as_staff(&app, &handler, "{ me { email role units { code } } }").await;
    assert_eq!(me["data"]["me"]["email"], "kasittelija@hel.fi", "{me}");
    assert_eq!(me["data"]["me"]["role"], "HANDLER");
    assert_eq!(me["data"]["me"]["units"][0]["code"], "rakennusvirasto");

    // Their own case: visible. Another unit's: exactly as a reference that does not exist.
    let case = |reference: &str| {
        format!("{{ case(reference: \"{reference}\") {{ reference contact {{ email }} }} }}")
    };
    let own = as_staff(&app, &handler, &case(&ours)).await;
    assert_eq!(own["data"]["case"]["reference"], ours.as_str(), "{own}");
    let other = as_staff(&app, &handler, &case(&theirs)).await;
    let missing = as_staff(&app, &handler, &case("HEL-2026-999999")).await;
    assert_eq!(error_code(&other), "NOT_FOUND", "{other}");
    assert_eq!(
        other["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace(&theirs, "X")),
        missing["errors"][0]["message"]
            .as_str()
            .map(|m| m.replace("HEL-2026-999999", "X")),
        "the answer must not tell an existing case from a missing one"
    );
    assert!(other["data"].is_null() || other["data"]["case"].is_null());

    // Listings, their counts, a unit filter aimed outside, search counts and facets.
    let listed = as_staff(
        &app,
        &handler,
        "{ cases(first: 10) { totalCount edges { node { reference } } } }",
    )
    .await;
    assert_eq!(listed["data"]["cases"]["totalCount"], 1, "{listed}");
    assert_eq!(
        listed["data"]["cases"]["edges"][0]["node"]["reference"],
        ours.as_str()
    );
    let aimed = as_staff(
        &app,
        &handler,
        "{ cases(filter: {unit: [\"kiinteistovirasto\"]}) { totalCount } }",
    )
    .await;
    assert_eq!(aimed["data"]["cases"]["totalCount"], 0, "{aimed}");
    // The index catches up within a moment of routing and reassignment.
    let search = "{ search(query: \"katulamppu\") { totalCount nodes { reference } facets { unit { value count } } } }";
    let mut found = Value::Null;
    for _ in 0..100 {
        found = as_staff(&app, &triage, search).await;
        if found["data"]["search"]["facets"]["unit"]
            .as_array()
            .is_some_and(|units| {
                units
                    .iter()
                    .any(|unit| unit["value"] == "kiinteistovirasto")
            })
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        found["data"]["search"]["totalCount"], 2,
        "triage sees every unit: {found}"
    );
    let scoped = as_staff(&app, &handler, search).await;
    assert_eq!(scoped["data"]["search"]["totalCount"], 1, "{scoped}");
    assert_eq!(
        scoped["data"]["search"]["nodes"][0]["reference"],
        ours.as_str()
    );
    assert_eq!(
        scoped["data"]["search"]["facets"]["unit"],
        json!([{ "value": "rakennusvirasto", "count": 1 }]),
        "facets count only the handler's cases"
    );

    // What a role may not do at all.
    let models = as_staff(&app, &handler, "{ routingModels { version } }").await;
    assert_eq!(error_code(&models), "FORBIDDEN", "{models}");
    let reassign = app
        .graphql(
            "mutation($r: String!) { reassignCase(input: {reference: $r, version: 2, unitCode: \"hkl\"}) { reference } }",
            json!({ "r": ours }),
            Some(&handler),
        )
        .await;
    assert_eq!(error_code(&reassign), "FORBIDDEN", "{reassign}");
    let promote = as_staff(
        &app,
        &triage,
        "mutation { promoteRoutingModel(version: 1) { version } }",
    )
    .await;
    assert_eq!(error_code(&promote), "FORBIDDEN", "{promote}");
    app.stop().await;
}

async fn revoked_expired_and_disabled_tokens_are_refused(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let me = "{ me { email } }";
    let token = account(&store, "a@hel.fi", StaffRole::Triage, &[], None).await;
    assert_eq!(
        as_staff(&app, &token, me).await["data"]["me"]["email"],
        "a@hel.fi"
    );

    let revoked = account(&store, "a@hel.fi", StaffRole::Triage, &[], None).await;
    let id = store
        .api_tokens()
        .await
        .expect("tokens")
        .iter()
        .map(|token| token.id)
        .max()
        .expect("a token");
    assert!(
        store
            .revoke_api_token(id, palaute_store::now())
            .await
            .expect("revoke")
    );
    assert_eq!(
        error_code(&as_staff(&app, &revoked, me).await),
        "UNAUTHENTICATED"
    );

    let past = palaute_store::now() - chrono::Duration::minutes(1);
    let expired = account(&store, "a@hel.fi", StaffRole::Triage, &[], Some(past)).await;
    assert_eq!(
        error_code(&as_staff(&app, &expired, me).await),
        "UNAUTHENTICATED"
    );

    let email = EmailAddress::parse("a@hel.fi").expect("address");
    assert!(
        store
            .disable_staff_user(&email, palaute_store::now())
            .await
            .expect("disable")
    );
    assert_eq!(
        error_code(&as_staff(&app, &token, me).await),
        "UNAUTHENTICATED",
        "a disabled account's token stops working on the next request"
    );
    assert_eq!(
        error_code(&as_staff(&app, "plt_made_up", me).await),
        "UNAUTHENTICATED"
    );
    app.stop().await;
}

on_every_backend!(
    scopes_hold_for_every_field,
    revoked_expired_and_disabled_tokens_are_refused,
);
