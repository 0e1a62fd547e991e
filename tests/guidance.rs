//! Guidance before a case is made, over GraphQL: categories publish their notice,
//! questions and redirect; a submission's answers are checked and kept with the case;
//! a redirected category takes no submission. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{error_code, spawn_app};

const SUBMIT: &str =
    "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }";

fn pothole(answers: Value) -> Value {
    json!({
        "channel": "WEB",
        "description": "Syvä kuoppa pyörätiellä Hämeentiellä",
        "categoryCode": "171",
        "answers": answers,
    })
}

async fn guidance_is_published_checked_and_kept(database: TestDatabase) {
    let app = spawn_app(database).await;

    let categories = app
        .graphql(
            "{ categories(lang: SV) { code guidance { notice redirect { message url } questions { code kind question required choices { key name } } } } }",
            json!({}),
            None,
        )
        .await;
    let list = categories["data"]["categories"]
        .as_array()
        .unwrap_or_else(|| panic!("{categories}"));
    let find = |code: &str| -> &Value {
        list.iter()
            .find(|category| category["code"] == code)
            .unwrap_or_else(|| panic!("no category {code}: {categories}"))
    };
    let pothole_guidance = &find("171")["guidance"];
    assert!(
        pothole_guidance["notice"].as_str().unwrap().contains("112"),
        "{pothole_guidance}"
    );
    assert_eq!(pothole_guidance["questions"][0]["code"], "size");
    assert_eq!(pothole_guidance["questions"][0]["kind"], "SINGLE_CHOICE");
    assert_eq!(
        pothole_guidance["questions"][0]["question"],
        "Hur stor är skadan?"
    );
    assert_eq!(
        pothole_guidance["questions"][0]["choices"][2]["key"],
        "large"
    );
    assert_eq!(find("172")["guidance"], Value::Null);
    assert_eq!(find("danger")["guidance"]["redirect"]["url"], "tel:112");

    // A valid answer is kept with the case, for staff to read.
    let submitted = app
        .graphql(
            SUBMIT,
            json!({ "input": pothole(json!([{ "question": "size", "value": "large" }])) }),
            None,
        )
        .await;
    let reference = submitted["data"]["submitFeedback"]["reference"]
        .as_str()
        .unwrap_or_else(|| panic!("{submitted}"))
        .to_owned();
    let read = app
        .staff(
            "query($r: String!) { case(reference: $r) { answers { question value } } }",
            json!({ "r": reference }),
        )
        .await;
    assert_eq!(
        read["data"]["case"]["answers"],
        json!([{ "question": "size", "value": "large" }]),
        "{read}"
    );

    // An answer that fits no question, and a question the category does not ask.
    for (answers, question) in [
        (json!([{ "question": "size", "value": "enormous" }]), "size"),
        (json!([{ "question": "colour", "value": "red" }]), "colour"),
    ] {
        let refused = app
            .graphql(SUBMIT, json!({ "input": pothole(answers) }), None)
            .await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        let extensions = &refused["errors"][0]["extensions"];
        assert_eq!(extensions["field"], "answers", "{refused}");
        assert_eq!(extensions["problems"][0]["question"], question, "{refused}");
    }

    // A category that redirects elsewhere takes nothing, and says where to go.
    let mut emergency = pothole(json!([]));
    emergency["categoryCode"] = json!("danger");
    let refused = app
        .graphql(SUBMIT, json!({ "input": emergency }), None)
        .await;
    assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
    assert_eq!(refused["errors"][0]["extensions"]["field"], "categoryCode");
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("112"),
        "{refused}"
    );
    let counted = app
        .staff("{ cases(first: 50) { totalCount } }", json!({}))
        .await;
    assert_eq!(counted["data"]["cases"]["totalCount"], 1, "{counted}");

    app.stop().await;
}

/// Answers can be free text, so they follow the resident's data: exported on request,
/// gone once the case is anonymised.
async fn answers_are_exported_and_erased_with_the_residents_data(database: TestDatabase) {
    let app = spawn_app(database).await;
    let address = "maija.meikalainen@example.com";
    let submitted = app
        .graphql(
            SUBMIT,
            json!({ "input": {
                "channel": "WEB",
                "description": "Katuvalo ei pala Hämeentiellä",
                "categoryCode": "180",
                "contact": { "email": address },
                "answers": [{ "question": "pole_number", "value": "Pylväs 4711 talon 12 edessä" }],
            } }),
            None,
        )
        .await;
    assert!(
        submitted["data"]["submitFeedback"]["reference"].is_string(),
        "{submitted}"
    );
    let store = app.store().await;
    let email = palaute_core::EmailAddress::parse(address).unwrap();
    let exported = store
        .privacy_export(&email, palaute_store::now())
        .await
        .unwrap();
    assert_eq!(
        exported.cases[0].answers,
        [(
            "pole_number".to_owned(),
            "Pylväs 4711 talon 12 edessä".to_owned()
        )]
    );
    store
        .erase_address(&email, palaute_store::now())
        .await
        .unwrap();
    let case_id = exported_case_id(&store, &exported.cases[0].reference).await;
    assert!(
        store.case_answers(&[case_id]).await.unwrap().is_empty(),
        "answers outlived the erasure"
    );
    app.stop().await;
}

async fn exported_case_id(store: &palaute_store::Store, reference: &str) -> palaute_core::CaseId {
    let reference: palaute_core::Reference = reference.parse().unwrap();
    store
        .case_by_reference(&reference)
        .await
        .unwrap()
        .expect("the case is kept, anonymised")
        .id
}

on_every_backend!(
    guidance_is_published_checked_and_kept,
    answers_are_exported_and_erased_with_the_residents_data
);
