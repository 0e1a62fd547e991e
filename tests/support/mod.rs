//! Starting palaute for a whole-system test: the real application on a free port, over
//! a fresh database, with its own data folder, spoken to over real HTTP.

#![allow(dead_code)]

pub mod faults;
pub mod live;

use std::path::PathBuf;
use std::time::Duration;

use palaute::runtime::{RunningServer, start};
use palaute_core::Settings;
use palaute_testkit::TestDatabase;
use serde_json::{Value, json};

pub const ADMIN_TOKEN: &str = "test-admin-token-of-at-least-32-characters";

/// The real `palaute` binary, with quiet logs and none of the caller's database or
/// SMTP settings: a test passes the ones it means.
pub fn palaute_command() -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_palaute"));
    command
        .env_remove("PALAUTE_DATABASE_URL")
        .env_remove("PALAUTE_SMTP_URL")
        // Tests submit many cases from one address; the tests of the limits turn
        // them back on.
        .env("PALAUTE_RATE_LIMITS__ENABLED", "false")
        .env("RUST_LOG", "warn");
    command
}

pub struct TestApp {
    pub base_url: String,
    pub data_dir: PathBuf,
    pub http: reqwest::Client,
    server: Option<RunningServer>,
    _data: tempfile::TempDir,
    _database: TestDatabase,
}

/// Settings for a test: a fresh data folder, the test database, port 0, fast polling.
pub fn test_settings(database: &TestDatabase, data_dir: &std::path::Path) -> Settings {
    let mut settings = Settings {
        data_dir: data_dir.to_path_buf(),
        listen: "127.0.0.1:0".parse().expect("address"),
        database_url: Some(database.url.clone()),
        admin_token: Some(ADMIN_TOKEN.into()),
        ..Settings::default()
    };
    settings.worker.poll_interval_ms = 50;
    settings.worker.retry_base_ms = 20;
    settings.worker.retry_cap_seconds = 1;
    settings.worker.max_attempts = 3;
    // Tests submit many cases from one address; the tests of the limits turn them on.
    settings.rate_limits.enabled = false;
    settings
}

pub async fn spawn_app(database: TestDatabase) -> TestApp {
    spawn_app_with(database, |_| {}).await
}

pub async fn spawn_app_with(database: TestDatabase, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    let data = tempfile::tempdir().expect("temporary data folder");
    let mut settings = test_settings(&database, data.path());
    adjust(&mut settings);
    let server = start(settings, true).await.expect("starting palaute");
    TestApp {
        base_url: format!("http://{}", server.address),
        data_dir: data.path().to_path_buf(),
        http: reqwest::Client::new(),
        server: Some(server),
        _data: data,
        _database: database,
    }
}

impl TestApp {
    /// Sends a GraphQL request; `token` is sent as a bearer token when given.
    pub async fn graphql(&self, query: &str, variables: Value, token: Option<&str>) -> Value {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.base_url))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("sending a GraphQL request");
        assert!(response.status().is_success(), "HTTP {}", response.status());
        response.json().await.expect("a JSON response")
    }

    /// The app's database, for the CLI run against it.
    pub fn database_url(&self) -> &str {
        &self._database.url
    }

    /// A connection of the test's own to the app's database.
    pub async fn store(&self) -> palaute_store::Store {
        palaute_store::Store::connect(&self._database.url, 2)
            .await
            .expect("connecting to the test database")
    }

    pub async fn staff(&self, query: &str, variables: Value) -> Value {
        self.graphql(query, variables, Some(ADMIN_TOKEN)).await
    }

    /// Submits feedback and returns (reference, tracking token): anonymously on the
    /// residents' channels, as staff on the others (phone, SMS, …).
    pub async fn submit(&self, input: Value) -> (String, String) {
        let by_staff = !matches!(
            input["channel"].as_str(),
            Some("WEB" | "MOBILE_APP" | "OTHER")
        );
        let response = self
            .graphql(
                "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference trackingToken status } }",
                json!({ "input": input }),
                by_staff.then_some(ADMIN_TOKEN),
            )
            .await;
        let payload = &response["data"]["submitFeedback"];
        assert!(payload.is_object(), "submission failed: {response}");
        (
            payload["reference"].as_str().expect("reference").to_owned(),
            payload["trackingToken"].as_str().expect("token").to_owned(),
        )
    }

    /// Polls the case until its status is one of `statuses` (bounded wait).
    pub async fn wait_for_status(&self, reference: &str, statuses: &[&str]) -> Value {
        let query = "query($r: String!) { case(reference: $r) { reference status language channel title description unit { code name } category { code } createdAt routedAt version timeline { edges { node { kind } } } } }";
        for _ in 0..200 {
            let response = self.staff(query, json!({ "r": reference })).await;
            let case = response["data"]["case"].clone();
            if statuses.iter().any(|status| case["status"] == *status) {
                return case;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("case {reference} never reached {statuses:?}");
    }

    /// SQL statements the server has run so far.
    pub fn statements_run(&self) -> u64 {
        self.server
            .as_ref()
            .map_or(0, |server| server.store.statements_run())
    }

    /// The case's current `version`, which every workflow mutation takes.
    pub async fn case_version(&self, reference: &str) -> i64 {
        let response = self
            .staff(
                "query($r: String!) { case(reference: $r) { version } }",
                json!({ "r": reference }),
            )
            .await;
        response["data"]["case"]["version"]
            .as_i64()
            .unwrap_or_else(|| panic!("no version for {reference}: {response}"))
    }

    /// Posts a raw email to `/inbound/email`, signed with `secret`: (HTTP status, JSON).
    pub async fn post_signed_mail(&self, secret: &str, raw: &str) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/inbound/email", self.base_url))
            .header("content-type", "message/rfc822")
            .header(
                palaute_mail::webhook::SIGNATURE_HEADER,
                palaute_mail::webhook::sign(secret, raw.as_bytes()),
            )
            .body(raw.to_owned())
            .send()
            .await
            .expect("posting a message");
        let status = response.status().as_u16();
        (status, response.json().await.expect("a JSON answer"))
    }

    pub fn outbox_files(&self) -> Vec<(String, String)> {
        outbox_files(&self.data_dir)
    }

    /// The admin listener of `[metrics] listen`, when the test set one.
    pub fn metrics_address(&self) -> Option<std::net::SocketAddr> {
        self.server
            .as_ref()
            .and_then(|server| server.metrics_address)
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.stop().await.expect("stopping palaute");
        }
    }
}

/// The `.eml` files in a data folder's outbox, as (file name, contents).
pub fn outbox_files(data_dir: &std::path::Path) -> Vec<(String, String)> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("outbox")) else {
        return Vec::new();
    };
    let mut files: Vec<(String, String)> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
        .map(|path| {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            (name, std::fs::read_to_string(&path).unwrap_or_default())
        })
        .collect();
    files.sort();
    files
}

/// Creates an account with a token, as `palaute user add` and `token create` do.
pub async fn account(
    store: &palaute_store::Store,
    email: &str,
    role: palaute_core::StaffRole,
    units: &[&str],
    expires_at: Option<chrono::DateTime<chrono::Utc>>,
) -> String {
    let email = palaute_core::EmailAddress::parse(email).expect("address");
    let units: Vec<String> = units.iter().map(|unit| (*unit).to_owned()).collect();
    let now = palaute_store::now();
    if !store
        .staff_users()
        .await
        .expect("users")
        .iter()
        .any(|user| user.email == email.as_str())
    {
        store
            .add_staff_user(&email, role, &units, now)
            .await
            .expect("adding a user");
    }
    let token = format!("plt_test_{}", rand_suffix());
    store
        .create_api_token(
            &email,
            &palaute_core::token::api_token_hash(&token),
            None,
            expires_at,
            now,
        )
        .await
        .expect("creating a token");
    token
}

fn rand_suffix() -> String {
    format!("{:032x}", rand::random::<u128>())
}

/// The code in a GraphQL response's first error.
pub fn error_code(response: &Value) -> &str {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

pub fn street_lamp() -> Value {
    json!({
        "channel": "WEB",
        "description": "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa",
        "language": "FI",
        "contact": { "name": "Maija Meikäläinen", "email": "maija@example.com" }
    })
}
