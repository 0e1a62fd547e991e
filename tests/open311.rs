//! The Open311 GeoReport v2 door over real HTTP: discovery and services from the
//! organisation's categories (checked against Helsinki's own Open311 service list),
//! service requests that become ordinary cases by the shared intake rules, Open311's
//! error shape for refused ones, API keys, and reading a request back without any
//! contact detail. On SQLite and PostgreSQL.

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
use support::{TestApp, spawn_app_with};

const API_KEY: &str = "open311-test-key-of-some-length";

async fn spawn(database: TestDatabase) -> TestApp {
    spawn_app_with(database, |settings| {
        settings.open311.api_keys = vec![API_KEY.to_owned()];
    })
    .await
}

/// GETs `path` under /open311/v2/: (status, body as text).
async fn get(app: &TestApp, path: &str) -> (u16, String) {
    let response = app
        .http
        .get(format!("{}/open311/v2/{path}", app.base_url))
        .send()
        .await
        .expect("sending a GET");
    let status = response.status().as_u16();
    (status, response.text().await.expect("a body"))
}

async fn get_json(app: &TestApp, path: &str) -> (u16, Value) {
    let (status, body) = get(app, path).await;
    let value = serde_json::from_str(&body).unwrap_or_else(|_| panic!("not JSON: {body}"));
    (status, value)
}

/// POSTs a form to requests.json: (status, body).
async fn post(app: &TestApp, form: &[(&str, &str)]) -> (u16, Value) {
    let body: String = form
        .iter()
        .map(|(name, value)| format!("{}={}", encode(name), encode(value)))
        .collect::<Vec<_>>()
        .join("&");
    let response = app
        .http
        .post(format!("{}/open311/v2/requests.json", app.base_url))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("sending a POST");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let value = serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}"));
    (status, value)
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => {
                char::from(byte).to_string()
            }
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn pothole() -> Vec<(&'static str, &'static str)> {
    vec![
        ("api_key", API_KEY),
        ("service_code", "171"),
        ("lat", "60.1699"),
        ("long", "24.9384"),
        ("address_string", "Mannerheimintie 1"),
        (
            "description",
            "Syvä kuoppa ajoradalla Mannerheimintiellä, pyöräilijä voi kaatua",
        ),
        ("email", "maija@example.com"),
        ("first_name", "Maija"),
        ("last_name", "Meikäläinen"),
        ("phone", "+358 40 1234567"),
        ("attribute[depth]", "deep"),
    ]
}

/// Replaces the value of `name` in a form, or leaves the field out when `value` is None.
fn with(
    form: &[(&'static str, &'static str)],
    name: &str,
    value: Option<&'static str>,
) -> Vec<(&'static str, &'static str)> {
    let mut changed: Vec<_> = form
        .iter()
        .filter(|(field, _)| *field != name)
        .copied()
        .collect();
    if let Some(value) = value {
        let field = form
            .iter()
            .find(|(field, _)| *field == name)
            .map_or("service_code", |(field, _)| field);
        changed.push((field, value));
    }
    changed
}

/// An Open311 error list: every entry has `code` and a description; returns them.
fn open311_errors(body: &Value, code: u16) -> Vec<String> {
    let list = body
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {body}"));
    assert!(!list.is_empty(), "no errors: {body}");
    list.iter()
        .map(|error| {
            assert_eq!(error["code"], json!(code), "{body}");
            error["description"]
                .as_str()
                .unwrap_or_else(|| panic!("no description: {body}"))
                .to_owned()
        })
        .collect()
}

async fn case_count(app: &TestApp) -> i64 {
    let response = app
        .staff("{ cases(first: 1) { totalCount } }", json!({}))
        .await;
    response["data"]["cases"]["totalCount"]
        .as_i64()
        .unwrap_or_else(|| panic!("no count: {response}"))
}

async fn discovery_and_services_list_the_categories(database: TestDatabase) {
    let app = spawn(database).await;

    let (status, discovery) = get_json(&app, "discovery.json").await;
    assert_eq!(status, 200, "{discovery}");
    let endpoint = &discovery["endpoints"][0];
    assert!(
        endpoint["url"].as_str().unwrap().ends_with("/open311/v2"),
        "{discovery}"
    );
    assert_eq!(
        endpoint["specification"],
        "http://wiki.open311.org/GeoReport_v2"
    );
    assert_eq!(endpoint["formats"], json!(["application/json", "text/xml"]));
    let (status, xml) = get(&app, "discovery.xml").await;
    assert_eq!(status, 200);
    assert!(
        xml.contains("<discovery>") && xml.contains("<format>text/xml</format>"),
        "{xml}"
    );

    let (status, services) = get_json(&app, "services.json?locale=en").await;
    assert_eq!(status, 200, "{services}");
    let services = services.as_array().expect("a list of services").clone();
    let organisation = palaute_core::Organisation::helsinki();
    assert_eq!(services.len(), organisation.categories.len());
    for category in &organisation.categories {
        let service = services
            .iter()
            .find(|service| service["service_code"] == category.code.as_str())
            .unwrap_or_else(|| panic!("no service {}", category.code));
        assert_eq!(service["service_name"], category.name.en.as_str());
        assert_eq!(service["group"], category.group.en.as_str());
        assert_eq!(service["metadata"], false);
        assert_eq!(service["type"], "realtime");
    }
    // Helsinki's own Open311 service list: the same codes, names and groups.
    let helsinki = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/data/open311-helsinki/services_en.json"
    );
    match std::fs::read_to_string(helsinki) {
        Ok(text) => {
            let theirs: Vec<Value> =
                serde_json::from_str(text.trim_start_matches('\u{feff}')).expect("their list");
            assert_eq!(theirs.len(), services.len());
            for service in &theirs {
                let ours = services
                    .iter()
                    .find(|ours| ours["service_code"] == service["service_code"])
                    .unwrap_or_else(|| panic!("Helsinki's {} is missing", service["service_code"]));
                assert_eq!(ours["service_name"], service["service_name"]);
                assert_eq!(ours["group"], service["group"]);
            }
        }
        Err(_) => eprintln!("{helsinki} is absent; skipping the comparison with Helsinki's list"),
    }
    let (_, finnish) = get_json(&app, "services.json?locale=fi").await;
    assert!(
        finnish
            .as_array()
            .unwrap()
            .iter()
            .any(|service| service["service_name"] == "Katujen kunto"),
        "{finnish}"
    );
    let (status, xml) = get(&app, "services.xml?locale=en").await;
    assert_eq!(status, 200);
    assert!(
        xml.starts_with("<?xml")
            && xml.contains("<services><service>")
            && xml.contains("<service_code>171</service_code>")
            && xml.contains("<service_name>Potholes</service_name>"),
        "{xml}"
    );

    let (status, definition) = get_json(&app, "services/171.json").await;
    assert_eq!(status, 200, "{definition}");
    assert_eq!(definition["service_code"], "171");
    assert_eq!(definition["attributes"], json!([]));
    let (status, missing) = get_json(&app, "services/999.json").await;
    assert_eq!(status, 404);
    open311_errors(&missing, 404);

    app.stop().await;
}

async fn a_service_request_becomes_a_case_and_reads_back_without_contact(database: TestDatabase) {
    let app = spawn(database).await;

    let (status, created) = post(&app, &pothole()).await;
    assert_eq!(status, 200, "{created}");
    let created = created.as_array().expect("a list").clone();
    assert_eq!(created.len(), 1);
    let reference = created[0]["service_request_id"]
        .as_str()
        .expect("service_request_id")
        .to_owned();
    assert!(reference.starts_with("HEL-"), "{reference}");
    assert!(created[0]["service_notice"].is_string());
    assert!(created[0].get("account_id").is_some());

    let response = app
        .staff(
            "query($r: String!) { case(reference: $r) { channel description category { code } location { lat lon address } } }",
            json!({ "r": reference }),
        )
        .await;
    let case = &response["data"]["case"];
    assert_eq!(case["channel"], "OPEN_311", "{response}");
    assert_eq!(
        case["description"],
        "Syvä kuoppa ajoradalla Mannerheimintiellä, pyöräilijä voi kaatua"
    );
    assert_eq!(case["category"]["code"], "171");
    assert_eq!(
        case["location"],
        json!({ "lat": 60.1699, "lon": 24.9384, "address": "Mannerheimintie 1" })
    );

    let (status, text) = get(&app, &format!("requests/{reference}.json")).await;
    assert_eq!(status, 200, "{text}");
    for private in ["maija@example.com", "Maija", "Meikäläinen", "1234567"] {
        assert!(!text.contains(private), "{private} shown: {text}");
    }
    let read: Value = serde_json::from_str(&text).unwrap();
    let request = &read[0];
    assert_eq!(request["service_request_id"], reference.as_str());
    assert_eq!(request["status"], "open");
    assert_eq!(request["service_code"], "171");
    assert_eq!(request["lat"], 60.1699);
    assert_eq!(request["long"], 24.9384);
    assert_eq!(request["address"], "Mannerheimintie 1");
    let requested = request["requested_datetime"].as_str().unwrap();
    chrono::DateTime::parse_from_rfc3339(requested).expect("ISO 8601 with an offset");
    for field in ["email", "phone", "first_name", "last_name", "contact"] {
        assert!(request.get(field).is_none(), "{field}: {request}");
    }

    let (status, xml) = get(&app, &format!("requests/{reference}.xml")).await;
    assert_eq!(status, 200, "{xml}");
    assert!(
        xml.contains("<service_requests><request>")
            && xml.contains(&format!(
                "<service_request_id>{reference}</service_request_id>"
            ))
            && xml.contains("<status>open</status>")
            && !xml.contains("maija@example.com"),
        "{xml}"
    );

    // Filters of GET requests.
    let (status, listed) = get_json(
        &app,
        &format!("requests.json?service_request_id={reference},HEL-2000-000001"),
    )
    .await;
    assert_eq!(status, 200, "{listed}");
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    let (_, by_code) = get_json(&app, "requests.json?service_code=171&status=open").await;
    assert_eq!(by_code.as_array().unwrap().len(), 1, "{by_code}");
    let (_, closed) = get_json(&app, "requests.json?status=closed").await;
    assert_eq!(closed, json!([]));
    let (_, other) = get_json(&app, "requests.json?service_code=172").await;
    assert_eq!(other, json!([]));
    let (status, bad) = get_json(&app, "requests.json?start_date=yesterday").await;
    assert_eq!(status, 400);
    open311_errors(&bad, 400);

    for unknown in ["HEL-2000-000001", "not-a-reference"] {
        let (status, missing) = get_json(&app, &format!("requests/{unknown}.json")).await;
        assert_eq!(status, 404, "{unknown}: {missing}");
        open311_errors(&missing, 404);
    }

    app.stop().await;
}

async fn refused_requests_get_open311_errors_and_store_nothing(database: TestDatabase) {
    let app = spawn(database).await;
    let valid = pothole();

    let refusals = [
        (with(&valid, "service_code", Some("999")), "service_code"),
        (with(&valid, "service_code", None), "service_code"),
        (with(&valid, "description", None), "description"),
        (with(&valid, "description", Some("   ")), "description"),
        (with(&valid, "email", Some("not an address")), "email"),
        (with(&valid, "phone", Some("call me")), "phone"),
        (with(&valid, "lat", Some("north")), "lat"),
        (with(&valid, "lat", Some("95")), "lat"),
        (
            with(
                &with(&with(&valid, "lat", None), "long", None),
                "address_string",
                None,
            ),
            "location",
        ),
    ];
    for (form, field) in &refusals {
        let (status, body) = post(&app, form).await;
        assert_eq!(status, 400, "{field}: {body}");
        let descriptions = open311_errors(&body, 400);
        assert!(
            descriptions
                .iter()
                .any(|description| description.contains(field)),
            "{field}: {body}"
        );
    }

    let (status, body) = post(&app, &with(&valid, "api_key", None)).await;
    assert_eq!(status, 403, "{body}");
    open311_errors(&body, 403);
    let (status, body) = post(&app, &with(&valid, "api_key", Some("a-wrong-key"))).await;
    assert_eq!(status, 403, "{body}");
    open311_errors(&body, 403);
    // The key is checked before anything else.
    let (status, _) = post(
        &app,
        &with(&with(&valid, "api_key", None), "description", None),
    )
    .await;
    assert_eq!(status, 403);

    assert_eq!(case_count(&app).await, 0);
    app.stop().await;
}

on_every_backend!(
    discovery_and_services_list_the_categories,
    a_service_request_becomes_a_case_and_reads_back_without_contact,
    refused_requests_get_open311_errors_and_store_nothing,
);
