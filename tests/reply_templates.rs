//! Reply templates over HTTP: administrators keep them per category and language;
//! staff get a case's templates filled with its fields in the resident's language,
//! only for cases in their scope. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use palaute_core::StaffRole;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{ADMIN_TOKEN, TestApp, account, error_code, spawn_app, street_lamp};

const TEMPLATE_FIELDS: &str = "id name categoryCode language body filled createdAt updatedAt";

async fn save(app: &TestApp, token: &str, input: Value) -> Value {
    let query = format!(
        "mutation($input: SaveReplyTemplateInput!) {{ saveReplyTemplate(input: $input) {{ {TEMPLATE_FIELDS} }} }}"
    );
    app.graphql(&query, json!({ "input": input }), Some(token))
        .await
}

/// Saves a template as the administrator; fails the test on an error.
async fn saved(app: &TestApp, input: Value) -> Value {
    let response = save(app, ADMIN_TOKEN, input).await;
    let template = response["data"]["saveReplyTemplate"].clone();
    assert!(template.is_object(), "saving failed: {response}");
    template
}

async fn templates(app: &TestApp, token: &str, arguments: Value) -> Value {
    let query = format!(
        "query($reference: String, $categoryCode: String, $language: Language) {{ replyTemplates(reference: $reference, categoryCode: $categoryCode, language: $language) {{ {TEMPLATE_FIELDS} }} }}"
    );
    app.graphql(&query, arguments, Some(token)).await
}

/// The names of the templates a query answered with, in order.
fn names(response: &Value) -> Vec<String> {
    response["data"]["replyTemplates"]
        .as_array()
        .unwrap_or_else(|| panic!("no templates: {response}"))
        .iter()
        .map(|template| template["name"].as_str().expect("name").to_owned())
        .collect()
}

fn refused_field(response: &Value) -> (&str, &Value) {
    assert_eq!(error_code(response), "BAD_USER_INPUT", "{response}");
    (
        response["errors"][0]["extensions"]["field"]
            .as_str()
            .unwrap_or("<none>"),
        &response["errors"][0]["extensions"]["position"],
    )
}

async fn templates_are_kept_by_admins_and_filled_for_cases_in_scope(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let handler = account(
        &store,
        "liisa.kasittelija@hel.fi",
        StaffRole::Handler,
        &["rakennusvirasto"],
        None,
    )
    .await;
    let elsewhere = account(&store, "hanna@hel.fi", StaffRole::Handler, &["hkl"], None).await;

    let lamppu = saved(
        &app,
        json!({ "name": "Lamppu", "categoryCode": "180", "language": "FI",
                "body": "Hei! Palautteesi {reference} on nyt yksikön {unit} käsittelyssä ({status})." }),
    )
    .await;
    assert_eq!(lamppu["categoryCode"], "180");
    assert!(lamppu["filled"].is_null(), "{lamppu}");
    saved(
        &app,
        json!({ "name": "Lampa", "categoryCode": "180", "language": "SV",
                "body": "Hej! Din respons {reference} ({category}) behandlas av {unit}. Mottagen {received}. {{Svara gärna}}" }),
    )
    .await;
    // General templates sort after the category's own, whatever their names.
    saved(
        &app,
        json!({ "name": "A tack", "language": "SV", "body": "Tack för din respons {reference}." }),
    )
    .await;
    saved(
        &app,
        json!({ "name": "A kiitos", "categoryCode": null, "language": "FI", "body": "Kiitos palautteestasi {reference}." }),
    )
    .await;
    saved(
        &app,
        json!({ "name": "Merkki", "categoryCode": "198", "language": "FI", "body": "Liikennemerkki {reference}." }),
    )
    .await;

    // A Swedish-speaking resident's street lamp: the category's Swedish template
    // first, filled with the reference and the unit's Swedish name, then the general.
    let mut lamp = street_lamp();
    lamp["language"] = json!("SV");
    let (reference, _) = app.submit(lamp).await;
    let routed = app.wait_for_status(&reference, &["ROUTED"]).await;
    assert_eq!(routed["category"]["code"], "180", "{routed}");
    let offered = templates(&app, &handler, json!({ "reference": reference })).await;
    assert_eq!(names(&offered), ["Lampa", "A tack"], "{offered}");
    let lampa = &offered["data"]["replyTemplates"][0];
    let filled = lampa["filled"].as_str().expect("filled");
    assert!(
        filled.starts_with(&format!(
            "Hej! Din respons {reference} (Annat som behöver åtgärdas) behandlas av Byggnadskontoret. Mottagen "
        )),
        "{filled}"
    );
    assert!(filled.contains(" kl. "), "Swedish time: {filled}");
    assert!(filled.ends_with("{Svara gärna}"), "{filled}");
    assert_eq!(
        offered["data"]["replyTemplates"][1]["filled"],
        format!("Tack för din respons {reference}.")
    );

    // The filled text is offered, not sent: the handler sends it as a reply.
    let version = routed["version"].as_i64().expect("version");
    let replied = app
        .graphql(
            "mutation($input: ReplyToResidentInput!) { replyToResident(input: $input) { version } }",
            json!({ "input": { "reference": reference, "version": version, "body": filled } }),
            Some(&handler),
        )
        .await;
    assert_eq!(
        replied["data"]["replyToResident"]["version"],
        version + 1,
        "{replied}"
    );

    // A Finnish resident's case gets the Finnish ones; `language` overrides.
    let (finnish, _) = app.submit(street_lamp()).await;
    app.wait_for_status(&finnish, &["ROUTED"]).await;
    let offered = templates(&app, &handler, json!({ "reference": finnish })).await;
    assert_eq!(names(&offered), ["Lamppu", "A kiitos"], "{offered}");
    assert_eq!(
        offered["data"]["replyTemplates"][0]["filled"],
        format!(
            "Hei! Palautteesi {finnish} on nyt yksikön Rakennusvirasto käsittelyssä (Käsittelyssä)."
        )
    );
    let english = templates(
        &app,
        &handler,
        json!({ "reference": finnish, "language": "EN" }),
    )
    .await;
    assert_eq!(names(&english), Vec::<String>::new(), "{english}");

    // Without a case: by category and language, or everything.
    let by_category = templates(
        &app,
        &handler,
        json!({ "categoryCode": "180", "language": "FI" }),
    )
    .await;
    assert_eq!(names(&by_category), ["Lamppu", "A kiitos"], "{by_category}");
    assert!(by_category["data"]["replyTemplates"][0]["filled"].is_null());
    let everything = templates(&app, &handler, json!({})).await;
    assert_eq!(names(&everything).len(), 5, "{everything}");
    let unknown = templates(&app, &handler, json!({ "categoryCode": "999999" })).await;
    assert_eq!(refused_field(&unknown).0, "categoryCode");
    let both = templates(
        &app,
        &handler,
        json!({ "reference": finnish, "categoryCode": "180" }),
    )
    .await;
    assert_eq!(refused_field(&both).0, "categoryCode");

    // Another unit's case answers exactly as one that does not exist.
    for target in [reference.as_str(), "HEL-2026-999999"] {
        let response = templates(&app, &elsewhere, json!({ "reference": target })).await;
        assert_eq!(error_code(&response), "NOT_FOUND", "{response}");
        assert_eq!(
            response["errors"][0]["message"],
            format!("no case {target}")
        );
    }
    let anonymous = app
        .graphql("{ replyTemplates { id } }", json!({}), None)
        .await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED", "{anonymous}");

    // Only an administrator keeps them.
    let forbidden = save(
        &app,
        &handler,
        json!({ "name": "Oma", "categoryCode": "180", "language": "FI", "body": "Hei" }),
    )
    .await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN", "{forbidden}");
    let forbidden = app
        .graphql(
            "mutation($id: Int!) { deleteReplyTemplate(id: $id) }",
            json!({ "id": lamppu["id"] }),
            Some(&handler),
        )
        .await;
    assert_eq!(error_code(&forbidden), "FORBIDDEN", "{forbidden}");

    // Refusals name the field, and a placeholder problem its position.
    let refusals = [
        (
            json!({ "name": "X", "language": "FI", "body": "Hei {nimi}!" }),
            "body",
            json!(4),
        ),
        (
            json!({ "name": "X", "language": "FI", "body": "Tila: {status" }),
            "body",
            json!(6),
        ),
        (
            json!({ "name": "X", "language": "FI", "body": "Tila } " }),
            "body",
            json!(5),
        ),
        (
            json!({ "name": "X", "language": "FI", "body": "x".repeat(10_001) }),
            "body",
            Value::Null,
        ),
        (
            json!({ "name": "X", "language": "FI", "body": "  " }),
            "body",
            Value::Null,
        ),
        (
            json!({ "name": "  ", "language": "FI", "body": "Hei" }),
            "name",
            Value::Null,
        ),
        (
            json!({ "name": "X", "categoryCode": "999999", "language": "FI", "body": "Hei" }),
            "categoryCode",
            Value::Null,
        ),
        // The name is taken for this category and language.
        (
            json!({ "name": "Lamppu", "categoryCode": "180", "language": "FI", "body": "Hei" }),
            "name",
            Value::Null,
        ),
    ];
    for (input, field, position) in refusals {
        let response = save(&app, ADMIN_TOKEN, input.clone()).await;
        let (refused, at) = refused_field(&response);
        assert_eq!(refused, field, "{input}: {response}");
        assert_eq!(*at, position, "{input}: {response}");
    }
    // The same name is free in another language or as a general template.
    saved(
        &app,
        json!({ "name": "Lamppu", "language": "FI", "body": "Yleinen {reference}" }),
    )
    .await;

    // Updating keeps the id and creation time; deleting takes it out of the offer.
    let id = lamppu["id"].clone();
    let updated = saved(
        &app,
        json!({ "id": id, "name": "Lamppu", "categoryCode": "180", "language": "FI", "body": "Lamppu korjataan: {reference}" }),
    )
    .await;
    assert_eq!(updated["id"], id);
    assert_eq!(updated["createdAt"], lamppu["createdAt"]);
    assert_eq!(updated["body"], "Lamppu korjataan: {reference}");
    let offered = templates(&app, &handler, json!({ "reference": finnish })).await;
    assert_eq!(
        offered["data"]["replyTemplates"][0]["filled"],
        format!("Lamppu korjataan: {finnish}")
    );
    let missing = save(
        &app,
        ADMIN_TOKEN,
        json!({ "id": 999_999, "name": "Ei", "language": "FI", "body": "Hei" }),
    )
    .await;
    assert_eq!(error_code(&missing), "NOT_FOUND", "{missing}");
    let delete = "mutation($id: Int!) { deleteReplyTemplate(id: $id) }";
    let deleted = app.staff(delete, json!({ "id": id })).await;
    assert_eq!(deleted["data"]["deleteReplyTemplate"], true, "{deleted}");
    let offered = templates(&app, &handler, json!({ "reference": finnish })).await;
    assert_eq!(names(&offered), ["A kiitos", "Lamppu"], "{offered}");
    let again = app.staff(delete, json!({ "id": id })).await;
    assert_eq!(error_code(&again), "NOT_FOUND", "{again}");
    app.stop().await;
}

on_every_backend!(templates_are_kept_by_admins_and_filled_for_cases_in_scope);
