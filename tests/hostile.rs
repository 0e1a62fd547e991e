//! The attacks that once took palaute down, replayed over real HTTP against the real
//! binary: each gets a clean error, and the server keeps answering `/healthz`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{ADMIN_TOKEN, faults, outbox_files, palaute_command};

/// A `palaute serve` process on a free port over SQLite in a data folder of its own,
/// which it creates.
struct Server {
    process: Option<faults::Server>,
    url: String,
    address: String,
    http: reqwest::Client,
    data_dir: std::path::PathBuf,
    _scratch: tempfile::TempDir,
}

impl Server {
    fn start(settings: &[(&str, &str)]) -> Self {
        let scratch = tempfile::tempdir().expect("scratch folder");
        let data_dir = scratch.path().join("data");
        let database_url = format!(
            "sqlite://{}?mode=rwc",
            data_dir.join("palaute.db").display()
        );
        let mut command = palaute_command();
        command.env("PALAUTE_WORKER__POLL_INTERVAL_MS", "50");
        for (name, value) in settings {
            command.env(name, value);
        }
        let process = faults::Server::start(command, &database_url, &data_dir, ADMIN_TOKEN);
        let url = process.url.clone();
        Self {
            address: url.trim_start_matches("http://").to_owned(),
            url,
            process: Some(process),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .expect("client"),
            data_dir,
            _scratch: scratch,
        }
    }

    fn pid(&self) -> u32 {
        self.process.as_ref().map_or(0, faults::Server::pid)
    }

    /// Posts a raw body; returns the status, the `Retry-After` header and the JSON.
    async fn post(&self, body: String, token: Option<&str>) -> (u16, Option<String>, Value) {
        let mut request = self
            .http
            .post(format!("{}/graphql", self.url))
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("the server answers");
        let status = response.status().as_u16();
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let json = response.json().await.unwrap_or(Value::Null);
        (status, retry_after, json)
    }

    async fn query(&self, query: &str, token: Option<&str>) -> (u16, Value) {
        let (status, _, json) = self
            .post(json!({ "query": query }).to_string(), token)
            .await;
        (status, json)
    }

    /// The server is alive and answering.
    async fn assert_healthy(&self) {
        let response = self
            .http
            .get(format!("{}/healthz", self.url))
            .send()
            .await
            .expect("healthz answers");
        assert_eq!(response.status().as_u16(), 200);
        assert!(
            self.child_is_running(),
            "the server process ended: it must survive every attack"
        );
    }

    fn child_is_running(&self) -> bool {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()));
        stat.is_ok_and(|stat| !stat.contains(") Z "))
    }

    /// CPU time the server process has used (user + system).
    fn cpu_time(&self) -> Duration {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.pid()))
            .expect("reading the server's /proc stat");
        // Fields after the command name, which is in parentheses and may hold spaces.
        let after_name = stat.rsplit_once(')').map(|(_, rest)| rest).unwrap_or("");
        let fields: Vec<&str> = after_name.split_whitespace().collect();
        let ticks = |index: usize| fields[index].parse::<u64>().expect("clock ticks");
        // utime and stime are fields 14 and 15 of the line; 12 and 13 after the name.
        Duration::from_millis((ticks(11) + ticks(12)) * 10)
    }

    async fn case_count(&self) -> u64 {
        let (_, json) = self
            .query("{ cases(first: 1) { totalCount } }", Some(ADMIN_TOKEN))
            .await;
        json["data"]["cases"]["totalCount"]
            .as_u64()
            .unwrap_or_else(|| panic!("no count: {json}"))
    }

    fn data_dir(&self) -> &Path {
        &self.data_dir
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            process.kill();
        }
    }
}

fn code(json: &Value) -> &str {
    json["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("<none>")
}

fn nested(open: &str, middle: &str, close: &str, depth: usize) -> String {
    format!("{}{middle}{}", open.repeat(depth), close.repeat(depth))
}

fn fragment_bomb(levels: usize) -> String {
    let mut query = String::from("query { ...F");
    query.push_str(&levels.to_string());
    query.push_str(" }\nfragment F0 on Query { __typename }\n");
    for level in 1..=levels {
        query.push_str(&format!(
            "fragment F{level} on Query {{ ...F{previous} ...F{previous} }}\n",
            previous = level - 1
        ));
    }
    query
}

fn submission(index: usize, email: &str) -> Value {
    json!({
        "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
        "variables": { "input": {
            "channel": "WEB",
            "description": format!("Roskakori {index} on täynnä Kauppatorilla"),
            "contact": { "email": email }
        } }
    })
}

#[tokio::test]
async fn deeply_nested_arguments_get_a_clean_error() {
    let server = Server::start(&[]);
    let attacks = [
        format!(
            "{{ units(lang: {}) {{ code }} }}",
            nested("[", "FI", "]", 2_000)
        ),
        format!(
            "{{ cases(filter: {}) {{ totalCount }} }}",
            nested("{a:", "1", "}", 2_000)
        ),
        format!(
            "query($x: {}) {{ units {{ code }} }}",
            nested("[", "Int", "]", 2_000)
        ),
        nested("{ a ", "", "}", 2_000),
    ];
    for attack in attacks {
        let (status, json) = server.query(&attack, None).await;
        assert_eq!(status, 400, "{json}");
        assert_eq!(code(&json), "BAD_USER_INPUT", "{json}");
        server.assert_healthy().await;
    }
    // Deep JSON variables stop at the JSON parser's limit or at ours.
    let mut value = json!("FI");
    for _ in 0..2_000 {
        value = json!([value]);
    }
    let body = format!(
        "{{\"query\":\"query($l: [Language]) {{ units {{ code }} }}\",\"variables\":{{\"l\":{}}}}}",
        serde_json::to_string(&value).unwrap_or_default()
    );
    let (status, _, json) = server.post(body, None).await;
    assert_eq!(status, 400, "{json}");
    server.assert_healthy().await;
}

#[tokio::test]
async fn fragment_bombs_cost_next_to_nothing() {
    let server = Server::start(&[]);
    server.assert_healthy().await;
    let before = server.cpu_time();
    let bomb = fragment_bomb(24);
    let (first, second) = tokio::join!(server.query(&bomb, None), server.query(&bomb, None));
    let spent = server.cpu_time().saturating_sub(before);
    for (status, json) in [first, second] {
        assert_eq!(status, 400, "{json}");
        assert_eq!(code(&json), "BAD_USER_INPUT", "{json}");
    }
    server.assert_healthy().await;
    // Expanding them took 13 s each; counting them takes well under a millisecond.
    // The bound only catches a return to expansion (figures: the attacks benchmark).
    assert!(
        spent < Duration::from_secs(2),
        "two bombs cost {spent:?} of CPU"
    );
}

#[tokio::test]
async fn one_request_creates_at_most_one_case() {
    let server = Server::start(&[]);
    let aliased: Vec<String> = (0..100)
        .map(|n| {
            format!("s{n}: submitFeedback(input: {{channel: WEB, description: \"Roskakori {n}\", contact: {{email: \"victim@example.com\"}}}}) {{ reference }}")
        })
        .collect();
    let (status, json) = server
        .query(&format!("mutation {{ {} }}", aliased.join(" ")), None)
        .await;
    assert_eq!(status, 400, "{json}");
    assert_eq!(code(&json), "BAD_USER_INPUT");

    // As many operations as fit the body limit.
    let batch: Vec<Value> = (0..2_500)
        .map(|_| json!({ "query": "mutation{submitFeedback(input:{channel:WEB,description:\"x\"}){reference}}" }))
        .collect();
    let (status, _, json) = server
        .post(serde_json::to_string(&batch).unwrap_or_default(), None)
        .await;
    assert_eq!(status, 400, "{json}");
    let two: Vec<Value> = (0..2)
        .map(|n| submission(n, "victim@example.com"))
        .collect();
    let (status, _, json) = server
        .post(serde_json::to_string(&two).unwrap_or_default(), None)
        .await;
    assert_eq!(status, 400, "a batch shares one submission: {json}");

    assert_eq!(server.case_count().await, 0, "no case may come of these");
    // A small batch of reads is still fine.
    let reads: Vec<Value> = (0..3)
        .map(|_| json!({ "query": "{ units { code } }" }))
        .collect();
    let (status, _, json) = server
        .post(serde_json::to_string(&reads).unwrap_or_default(), None)
        .await;
    assert_eq!(status, 200, "{json}");
    assert_eq!(json.as_array().map(Vec::len), Some(3));
    server.assert_healthy().await;
}

#[tokio::test]
async fn hostile_search_text_gets_bad_user_input() {
    let server = Server::start(&[]);
    let search = |text: String| {
        json!({
            "query": "query($q: String!) { search(query: $q) { totalCount } }",
            "variables": { "q": text }
        })
        .to_string()
    };
    for text in [
        "(".repeat(2_000),
        "NOT ".repeat(2_000) + "lamppu",
        "-".repeat(2_000) + "lamppu",
        "x".repeat(5_000),
    ] {
        let (status, _, json) = server.post(search(text), Some(ADMIN_TOKEN)).await;
        assert_eq!(status, 200, "{json}");
        assert_eq!(code(&json), "BAD_USER_INPUT", "{json}");
        server.assert_healthy().await;
    }
    let (_, _, json) = server
        .post(
            search(format!("lamppu {}", "(".repeat(40))),
            Some(ADMIN_TOKEN),
        )
        .await;
    assert_eq!(code(&json), "BAD_USER_INPUT", "{json}");
    assert_eq!(
        json["errors"][0]["extensions"]["position"], 39,
        "the position of the parenthesis past the limit: {json}"
    );
    let (_, _, json) = server
        .post(search("text_fi:*".into()), Some(ADMIN_TOKEN))
        .await;
    assert_ne!(code(&json), "INTERNAL", "{json}");
    server.assert_healthy().await;
}

#[tokio::test]
async fn a_burst_is_rate_limited_and_an_address_gets_one_acknowledgement() {
    let server = Server::start(&[("PALAUTE_RATE_LIMITS__ENABLED", "true")]);
    let mut accepted = Vec::new();
    let mut limited = 0;
    for index in 0..100 {
        let (status, retry_after, json) = server
            .post(
                submission(index, "someone.else@example.com").to_string(),
                None,
            )
            .await;
        match status {
            200 => accepted.push(
                json["data"]["submitFeedback"]["reference"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{json}"))
                    .to_owned(),
            ),
            429 => {
                assert_eq!(code(&json), "RATE_LIMITED", "{json}");
                let seconds: u64 = retry_after
                    .as_deref()
                    .and_then(|value| value.parse().ok())
                    .expect("Retry-After in seconds");
                assert!((1..=60).contains(&seconds), "{seconds}");
                limited += 1;
            }
            other => panic!("HTTP {other}: {json}"),
        }
    }
    // The default burst is 20; a few more may pass as the bucket refills.
    assert!(
        (20..=25).contains(&accepted.len()),
        "{} accepted",
        accepted.len()
    );
    assert_eq!(accepted.len() + limited, 100);

    // Every accepted case is routed, but the address hears from palaute once.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, json) = server
            .query(
                "{ cases(first: 100, filter: { status: [NEW] }) { totalCount } }",
                Some(ADMIN_TOKEN),
            )
            .await;
        if json["data"]["cases"]["totalCount"] == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "cases were not routed: {json}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    let handler_mails = |files: &[(String, String)]| {
        files
            .iter()
            .filter(|(_, text)| !text.contains("someone.else@example.com"))
            .count()
    };
    while handler_mails(&outbox_files(server.data_dir())) < accepted.len() {
        assert!(Instant::now() < deadline, "handler emails were not written");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let to_resident = outbox_files(server.data_dir())
        .iter()
        .filter(|(_, text)| text.contains("someone.else@example.com"))
        .count();
    assert_eq!(to_resident, 1, "one acknowledgement an hour to one address");
    server.assert_healthy().await;
}

#[tokio::test]
async fn slow_clients_are_cut_off() {
    let server = Server::start(&[
        ("PALAUTE_HTTP__HEADER_READ_TIMEOUT_SECONDS", "1"),
        ("PALAUTE_HTTP__BODY_READ_TIMEOUT_SECONDS", "1"),
    ]);
    let address = server.address.clone();
    let outcome = tokio::task::spawn_blocking(move || {
        // Headers that never end.
        let mut headers = TcpStream::connect(&address).expect("connect");
        headers
            .set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        headers
            .write_all(b"POST /graphql HTTP/1.1\r\nHost: x\r\n")
            .expect("write");
        let mut answer = Vec::new();
        let started = Instant::now();
        let _ = headers.read_to_end(&mut answer);
        let headers_closed_after = started.elapsed();

        // A body that never arrives in full.
        let mut body = TcpStream::connect(&address).expect("connect");
        body.set_read_timeout(Some(Duration::from_secs(10)))
            .expect("timeout");
        body.write_all(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"query\":",
        )
        .expect("write");
        let mut reply = String::new();
        let _ = body.read_to_string(&mut reply);
        (headers_closed_after, reply)
    })
    .await
    .expect("the slow clients ran");
    let (headers_closed_after, reply) = outcome;
    assert!(
        headers_closed_after < Duration::from_secs(9),
        "a connection sending no full headers was kept open"
    );
    assert!(reply.starts_with("HTTP/1.1 408"), "{reply}");
    server.assert_healthy().await;
}

#[tokio::test]
async fn undeliverable_addresses_are_refused_at_intake() {
    let server = Server::start(&[]);
    for address in ["\"x\"@example.com", "a@[127.0.0.1]", "a@localhost"] {
        let (status, _, json) = server.post(submission(0, address).to_string(), None).await;
        assert_eq!(status, 200);
        assert_eq!(code(&json), "BAD_USER_INPUT", "{address}: {json}");
        assert_eq!(json["errors"][0]["extensions"]["field"], "contact.email");
    }
    assert_eq!(server.case_count().await, 0);
}

#[tokio::test]
async fn graphiql_is_pinned_and_introspection_can_be_staff_only() {
    let open = Server::start(&[]);
    let page = open
        .http
        .get(format!("{}/graphql", open.url))
        .send()
        .await
        .expect("GraphiQL");
    assert!(page.headers().contains_key("content-security-policy"));
    let page = page.text().await.expect("page");
    let scripts = page.matches("<script").count();
    let pinned = page.matches("integrity=\"sha384-").count();
    assert_eq!(
        scripts, 4,
        "three pinned libraries and palaute's own start script"
    );
    assert_eq!(
        pinned, 4,
        "every CDN file, the stylesheet included, is pinned"
    );
    assert!(page.contains("src=\"/graphiql/start.js\""));
    drop(open);

    let closed = Server::start(&[
        ("PALAUTE_GRAPHQL__GRAPHIQL", "false"),
        ("PALAUTE_GRAPHQL__ANONYMOUS_INTROSPECTION", "false"),
    ]);
    let page = closed
        .http
        .get(format!("{}/graphql", closed.url))
        .send()
        .await
        .expect("GraphiQL");
    assert_eq!(page.status().as_u16(), 404);
    let introspection = "{ __schema { queryType { name } } }";
    let (_, anonymous) = closed.query(introspection, None).await;
    assert!(
        anonymous["data"]["__schema"].is_null(),
        "anonymous introspection is off: {anonymous}"
    );
    let (_, staff) = closed.query(introspection, Some(ADMIN_TOKEN)).await;
    assert_eq!(
        staff["data"]["__schema"]["queryType"]["name"], "Query",
        "{staff}"
    );
    let (_, public) = closed.query("{ units { code } }", None).await;
    assert!(public["data"]["units"].is_array(), "{public}");
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_folder_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let server = Server::start(&[]);
    let mode = |path: &Path| {
        std::fs::metadata(path)
            .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
            .permissions()
            .mode()
            & 0o777
    };
    let (status, _, json) = server
        .post(submission(0, "maija@example.com").to_string(), None)
        .await;
    assert_eq!(status, 200, "{json}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while outbox_files(server.data_dir()).len() < 2 {
        assert!(Instant::now() < deadline, "emails were not written");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(mode(&server.data_dir().join("palaute.db")), 0o600);
    for entry in std::fs::read_dir(server.data_dir().join("outbox")).expect("outbox") {
        let path = entry.expect("entry").path();
        assert_eq!(mode(&path), 0o600, "{}", path.display());
    }
    assert_eq!(mode(&server.data_dir().join("outbox")), 0o700);
    assert_eq!(
        mode(server.data_dir()),
        0o700,
        "serve created the data folder"
    );
}

#[tokio::test]
async fn guessing_tokens_is_rate_limited_before_it_costs_a_lookup() {
    let server = Server::start(&[("PALAUTE_RATE_LIMITS__ENABLED", "true")]);
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    for guess in 0..150 {
        let (status, _) = server
            .query("{ me { email } }", Some(&format!("plt_guess_{guess}")))
            .await;
        *statuses.entry(status).or_default() += 1;
    }
    // The default burst of failures is 60; a few more pass as the bucket refills.
    let refused = statuses.get(&429).copied().unwrap_or(0);
    assert!((80..=90).contains(&refused), "{statuses:?}");
    // The check comes before the lookup, so while the address is out of guesses even a
    // valid token from it waits (about a second: the bucket refills at 20 a second).
    let (status, json) = server.query("{ me { email } }", Some(ADMIN_TOKEN)).await;
    assert_eq!(
        status, 429,
        "the address is out of guesses for a while: {json}"
    );
    server.assert_healthy().await;
}
