//! Routing that learns, through the real binary and the real API: a model trained by
//! `palaute train` in one process routes cases in another; a case the model is unsure
//! of waits in triage with suggestions; staff reassignments become training examples;
//! a retrained model runs in shadow, is measured against staff decisions, and once
//! promoted routes what staff taught it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::path::Path;
use std::time::Duration;

use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{TestApp, error_code, palaute_command, spawn_app};

const PLACES: [&str; 6] = [
    "Kalliossa",
    "Töölössä",
    "Herttoniemessä",
    "Vuosaaressa",
    "Pasilassa",
    "Kampissa",
];

/// Written for this test: three units with their own vocabulary.
fn history() -> Vec<Value> {
    let templates: [(&str, Option<&str>, &[&str]); 3] = [
        (
            "Rakennusvirasto",
            Some("180"),
            &[
                "Katulamppu on rikki {place}",
                "Kadun valaisin ei pala {place}",
                "Aita on kaatunut kadulle {place}",
                "Kaivonkansi puuttuu {place}",
                "Katuvalo vilkkuu koko yön {place}",
            ],
        ),
        (
            "Kaupunginkirjasto",
            None,
            &[
                "Kirjaston aukioloajat ovat liian lyhyet {place}",
                "Kirjastosta puuttuu uusia kirjoja {place}",
                "Kirjaston lukusalissa on kylmä {place}",
                "Lainasin kirjan kirjastosta ja se oli rikki {place}",
                "Kirjastoauto ei pysähtynyt {place}",
            ],
        ),
        (
            "Varhaiskasvatusvirasto",
            None,
            &[
                "Päiväkodin piha on liukas {place}",
                "Päiväkotipaikkaa ei löydy {place}",
                "Päiväkodin ruoka on kylmää {place}",
                "Päiväkodissa on liian vähän hoitajia {place}",
                "Päiväkodin portti jää auki {place}",
            ],
        ),
    ];
    let mut records = Vec::new();
    let mut minute = 0;
    for (index, place) in PLACES.iter().enumerate() {
        for template in 0..5 {
            // Interleaved in time, so the newest examples (held out to calibrate)
            // cover every unit.
            for (agency, category, texts) in &templates {
                minute += 1;
                let mut record = json!({
                    "service_request_id": format!("test-{index}-{template}-{minute}"),
                    "requested_datetime": format!("2025-01-01T{:02}:{:02}:00Z", minute / 60, minute % 60),
                    "description": texts[template].replace("{place}", place),
                    "agency_responsible": agency,
                });
                if let Some(category) = category {
                    record["service_code"] = json!(category);
                }
                records.push(record);
            }
        }
    }
    records
}

fn swimming_hall(place: &str) -> String {
    format!("Uimahallin sauna on kylmä ja suihkut eivät toimi {place}")
}

/// Runs the real binary against the test database; returns its standard output.
fn palaute(database_url: &str, data_dir: &Path, args: &[&str]) -> String {
    let output = palaute_command()
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env("PALAUTE_DATABASE_URL", database_url)
        .output()
        .expect("running palaute");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "palaute {args:?} failed: {stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

const CASE: &str = "query($r: String!) { case(reference: $r) { status unit { code } routingReason routingSuggestions { unit { code } category { code } confidence } } }";

async fn case_of(app: &TestApp, reference: &str) -> Value {
    app.staff(CASE, json!({ "r": reference })).await["data"]["case"].clone()
}

async fn submit_and_route(app: &TestApp, description: &str) -> (String, Value) {
    let (reference, _) = app
        .submit(json!({ "channel": "WEB", "description": description }))
        .await;
    app.wait_for_status(&reference, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    let case = case_of(app, &reference).await;
    (reference, case)
}

async fn reassign(app: &TestApp, reference: &str, unit: &str) -> Value {
    let version = app.case_version(reference).await;
    app.staff(
        "mutation($input: ReassignCaseInput!) { reassignCase(input: $input) { status unit { code } timeline { edges { node { kind } } } } }",
        json!({ "input": { "reference": reference, "version": version, "unitCode": unit, "note": "uimahallit kuuluvat liikuntavirastolle" } }),
    )
    .await
}

fn best_unit(case: &Value) -> &str {
    case["routingSuggestions"][0]["unit"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

async fn staff_teach_a_model_that_another_process_trained(database: TestDatabase) {
    let work = tempfile::tempdir().expect("a folder");
    let history_file = work.path().join("history.jsonl");
    let lines: Vec<String> = history().iter().map(Value::to_string).collect();
    std::fs::write(&history_file, lines.join("\n")).expect("writing the history");

    // One process imports the history and trains; importing again adds nothing.
    let url = database.url.clone();
    let trained = palaute(
        &url,
        work.path(),
        &[
            "train",
            "--import",
            history_file.to_str().expect("utf-8 path"),
        ],
    );
    assert!(trained.contains("90 new training examples"), "{trained}");
    assert!(trained.contains("stored as live"), "{trained}");
    let again = palaute(
        &url,
        work.path(),
        &[
            "train",
            "--import",
            history_file.to_str().expect("utf-8 path"),
            "--candidate",
        ],
    );
    assert!(
        again.contains("0 new training examples, 90 already imported"),
        "{again}"
    );
    assert!(again.contains("stored as candidate"), "{again}");
    palaute(&url, work.path(), &["models", "retire", "2"]);

    // Another process loads it from the database and routes with it.
    let app = spawn_app(database).await;
    let (_, library) = submit_and_route(&app, "Kirjaston lukusalissa on kylmä Malmilla").await;
    assert_eq!(library["status"], "ROUTED", "{library}");
    assert_eq!(library["unit"]["code"], "kaupunginkirjasto");
    assert!(
        library["routingReason"]
            .as_str()
            .is_some_and(|reason| reason.starts_with("model 1:")),
        "{library}"
    );
    let suggestions = library["routingSuggestions"].as_array().expect("a list");
    assert_eq!(suggestions.len(), 3);
    let confidences: Vec<f64> = suggestions
        .iter()
        .map(|s| s["confidence"].as_f64().expect("a confidence"))
        .collect();
    assert!(
        confidences.windows(2).all(|pair| pair[0] >= pair[1]),
        "{confidences:?}"
    );

    let (_, lamp) = submit_and_route(&app, "Katulamppu ei pala Malmilla").await;
    assert_eq!(lamp["unit"]["code"], "rakennusvirasto", "{lamp}");
    assert_eq!(
        lamp["routingSuggestions"][0]["category"]["code"], "180",
        "{lamp}"
    );

    // Text like nothing in the history: triage, with three suggestions.
    let (_, unclear) = submit_and_route(&app, "Qwerty asdf zxcv").await;
    assert_eq!(unclear["status"], "NEEDS_TRIAGE", "{unclear}");
    assert_eq!(unclear["unit"]["code"], "triage");
    assert_eq!(
        unclear["routingSuggestions"].as_array().map(Vec::len),
        Some(3)
    );

    // Swimming halls belong to a unit the history never had: staff move each case.
    for place in &PLACES {
        let (reference, _) = submit_and_route(&app, &swimming_hall(place)).await;
        let moved = reassign(&app, &reference, "liikuntavirasto").await;
        assert_eq!(
            moved["data"]["reassignCase"]["unit"]["code"], "liikuntavirasto",
            "{moved}"
        );
        assert_eq!(moved["data"]["reassignCase"]["status"], "ROUTED");
    }
    wait_for_email_to(&app, "To: liikuntavirasto@palaute.hel.fi", PLACES.len()).await;

    // Retraining sees the staff decisions; the new model starts in shadow.
    let retrained = palaute(&url, work.path(), &["train"]);
    assert!(retrained.contains("routing model 3"), "{retrained}");
    assert!(retrained.contains("stored as candidate"), "{retrained}");
    let models = app
        .staff("{ routingModels { version role examples } }", json!({}))
        .await;
    assert_eq!(
        models["data"]["routingModels"],
        json!([
            { "version": 3, "role": "CANDIDATE", "examples": 96 },
            { "version": 2, "role": "RETIRED", "examples": 90 },
            { "version": 1, "role": "LIVE", "examples": 90 },
        ]),
        "{models}"
    );

    // In shadow, the candidate predicts; staff decide; the evaluation compares.
    let (shadowed, _) = submit_and_route(&app, &swimming_hall("Itäkeskuksessa")).await;
    reassign(&app, &shadowed, "liikuntavirasto").await;
    let evaluation = app
        .staff(
            "{ routingModels { version evaluation(comparedWith: 1) { cases accuracy staffDecidedCases accuracyOnStaffDecided } } }",
            json!({}),
        )
        .await;
    let candidate = &evaluation["data"]["routingModels"][0]["evaluation"];
    assert_eq!(candidate["staffDecidedCases"], 1, "{evaluation}");
    assert_eq!(candidate["accuracyOnStaffDecided"], 1.0, "{evaluation}");
    let live_on_the_same = app
        .staff(
            "{ routingModels { version evaluation(comparedWith: 3) { cases accuracy } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        live_on_the_same["data"]["routingModels"][2]["evaluation"],
        json!({ "cases": 1, "accuracy": 0.0 }),
        "{live_on_the_same}"
    );
    let compared = palaute(&url, work.path(), &["models", "compare", "3"]);
    assert!(
        compared.contains("version 3: 1 cases, accuracy 100.0%")
            && compared.contains("version 1: 1 cases, accuracy 0.0%"),
        "{compared}"
    );
    let listed = palaute(&url, work.path(), &["models", "list"]);
    assert!(
        listed.contains("version 3 (candidate)") && listed.contains("version 1 (live)"),
        "{listed}"
    );

    // Promoted, it routes what staff taught it.
    let promoted = app
        .staff(
            "mutation { promoteRoutingModel(version: 3) { version role } }",
            json!({}),
        )
        .await;
    assert_eq!(
        promoted["data"]["promoteRoutingModel"]["role"], "LIVE",
        "{promoted}"
    );
    let (_, learnt) = submit_and_route(&app, &swimming_hall("Malmilla")).await;
    assert_eq!(best_unit(&learnt), "liikuntavirasto", "{learnt}");
    app.stop().await;
}

async fn reassignment_refuses_bad_input_and_needs_staff(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (reference, _) = submit_and_route(&app, "Katulamppu on rikki Kalliossa").await;
    let mutation =
        "mutation($input: ReassignCaseInput!) { reassignCase(input: $input) { unit { code } } }";
    let attempt = |input: Value, token: Option<&'static str>| {
        let app = &app;
        async move {
            app.graphql(mutation, json!({ "input": input }), token)
                .await
        }
    };
    let staff = Some(support::ADMIN_TOKEN);
    let cases = [
        (
            json!({ "reference": reference, "version": 2, "unitCode": "stara" }),
            None,
            "UNAUTHENTICATED",
            None,
        ),
        (
            json!({ "reference": "HEL-2026-999999", "version": 2, "unitCode": "stara" }),
            staff,
            "NOT_FOUND",
            None,
        ),
        (
            json!({ "reference": "not a reference", "version": 2, "unitCode": "stara" }),
            staff,
            "BAD_USER_INPUT",
            Some("reference"),
        ),
        (
            json!({ "reference": reference, "version": 2, "unitCode": "nope" }),
            staff,
            "BAD_USER_INPUT",
            Some("unitCode"),
        ),
        (
            json!({ "reference": reference, "version": 2, "unitCode": "triage" }),
            staff,
            "BAD_USER_INPUT",
            Some("unitCode"),
        ),
        (
            json!({ "reference": reference, "version": 2, "unitCode": "stara", "categoryCode": "999" }),
            staff,
            "BAD_USER_INPUT",
            Some("categoryCode"),
        ),
        (
            json!({ "reference": reference, "version": 2, "unitCode": "stara", "note": "x".repeat(2_001) }),
            staff,
            "BAD_USER_INPUT",
            Some("note"),
        ),
    ];
    for (input, token, code, field) in cases {
        let response = attempt(input.clone(), token).await;
        assert_eq!(error_code(&response), code, "{input}: {response}");
        if let Some(field) = field {
            assert_eq!(
                response["errors"][0]["extensions"]["field"], field,
                "{response}"
            );
        }
    }
    let unchanged = case_of(&app, &reference).await;
    assert_eq!(
        unchanged["unit"]["code"], "rakennusvirasto",
        "nothing was moved"
    );
    let promote = app
        .staff(
            "mutation { promoteRoutingModel(version: 41) { version } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&promote), "NOT_FOUND", "{promote}");
    app.stop().await;
}

/// Waits until `count` outbox emails contain `needle`.
async fn wait_for_email_to(app: &TestApp, needle: &str, count: usize) {
    for _ in 0..200 {
        let found = app
            .outbox_files()
            .iter()
            .filter(|(_, contents)| contents.contains(needle))
            .count();
        if found >= count {
            assert_eq!(found, count, "one email per reassignment");
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("fewer than {count} emails with {needle:?} arrived");
}

on_every_backend!(
    staff_teach_a_model_that_another_process_trained,
    reassignment_refuses_bad_input_and_needs_staff,
);
