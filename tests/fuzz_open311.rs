//! Fuzzed Open311 service requests against the real application over HTTP: hostile
//! form-encoded and multipart bodies to `POST requests`, and hostile query strings to
//! `GET requests`. None may crash the process, panic a handler (a dropped connection)
//! or answer 500; every answer is a success or Open311's `[{code, description}]`.
//!
//! CI runs `PALAUTE_FUZZ_CASES` (default 3,000) cases; a long run raises it:
//! `PALAUTE_FUZZ_CASES=200000 cargo test --release --test fuzz_open311 -- --nocapture`.
//! `PALAUTE_FUZZ_SEED` replays a run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Instant;

use futures::StreamExt;
use palaute_testkit::TestDatabase;
use palaute_testkit::fuzz::{self, Rng, mutate};
use serde_json::Value;
use support::spawn_app_with;

const API_KEY: &str = "open311-fuzz-key-of-some-length";

/// Real forms, the spec's odd corners and known troublemakers.
const FORMS: &[&str] = &[
    "api_key=open311-fuzz-key-of-some-length&service_code=171&lat=60.1699&long=24.9384&description=Kuoppa+ajoradalla+Mannerheimintiell%C3%A4",
    "api_key=open311-fuzz-key-of-some-length&service_code=172&address_string=Aleksanterinkatu+1&description=Roskis+t%C3%A4ynn%C3%A4&email=maija%40example.com&first_name=Maija&last_name=M&phone=%2B358401234567",
    "api_key=open311-fuzz-key-of-some-length&service_code=171&lat=95&long=-200&description=x",
    "api_key=open311-fuzz-key-of-some-length&service_code=171&lat=1e309&long=NaN&description=inf",
    "api_key=open311-fuzz-key-of-some-length&service_code=171&address_id=77&attribute%5Bdepth%5D=deep&attribute[x][y]=1&description=d",
    "api_key=open311-fuzz-key-of-some-length&service_code=%00&lat=60&long=24&description=%FF%FE%FD",
    "api_key=open311-fuzz-key-of-some-length&api_key=other&service_code=171&service_code=999&lat=60&long=24&description=twice",
    "api_key=wrong&service_code=171&lat=60&long=24&description=k",
    "service_code=171&lat=60.17&long=24.94&description=no+key",
    "api_key=open311-fuzz-key-of-some-length&service_code=171&lat=60.17&long=24.94&title=Otsikko&description=%E2%80%AE%F0%9F%98%80&locale=sv_SE",
    "%%%%&&&===&=&a=%zz&%C3%28=%E2%82",
    "",
];

/// Query strings of `GET requests`.
const QUERIES: &[&str] = &[
    "service_request_id=HEL-2026-000001,HEL-2026-000002&extensions=true&locale=en",
    "service_code=171,172&status=open,closed&start_date=2026-01-01T00:00:00Z&end_date=2026-12-31T23:59:59%2B02:00",
    "lat=60.17&long=24.94&radius=500&search=kuoppa+katu&extensions=true",
    "lat=-91&long=181&radius=1e400&search=%00%FF",
    "status=pending&start_date=yesterday",
    "service_request_id=,,,,&locale=zz",
];

/// A multipart body around `fields` and `files`, with the given boundary.
fn multipart(boundary: &str, fields: &[(String, String)], files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    for (filename, content) in files {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"{filename}\"\r\nContent-Type: image/jpeg\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    body
}

/// The start of a file of each kind, and some that are not what they say.
fn file_content(rng: &mut Rng) -> Vec<u8> {
    let heads: &[&[u8]] = &[
        b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        b"GIF89a\x01\x00\x01\x00",
        b"RIFF\x24\x00\x00\x00WEBPVP8 ",
        b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
        b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n",
        b"<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>",
        b"<html><body onload=alert(1)>",
        b"MZ\x90\x00",
        b"",
    ];
    let mut content = rng.pick(heads).copied().unwrap_or_default().to_vec();
    let extra = [0, 10, 1_000, 70_000][rng.below(4)];
    content.extend((0..extra).map(|_| rng.below(256) as u8));
    content
}

/// One request: (method is POST, path, content type, body).
fn request(rng: &mut Rng) -> (bool, String, Option<String>, Vec<u8>) {
    let format = if rng.chance(80) { "json" } else { "xml" };
    if rng.chance(15) {
        // A few KiB at most: longer request lines are refused by the HTTP server
        // before any route sees them.
        let query: String = mutate(rng, QUERIES).chars().take(1_000).collect();
        return (
            false,
            format!("requests.{format}?{query}"),
            None,
            Vec::new(),
        );
    }
    let path = format!("requests.{format}");
    if rng.chance(50) {
        let content_type = match rng.below(10) {
            0 => None,
            1 => Some("text/plain".to_owned()),
            2 => Some("application/x-www-form-urlencoded; charset=latin1".to_owned()),
            _ => Some("application/x-www-form-urlencoded".to_owned()),
        };
        return (true, path, content_type, mutate(rng, FORMS).into_bytes());
    }
    // Multipart: a valid form's fields, some files, then the text mutated or not.
    let form = rng.pick(FORMS).copied().unwrap_or_default();
    // The fields as they are written (percent-escapes left in: hostile enough).
    let fields: Vec<(String, String)> = form
        .split('&')
        .map(|pair| {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            (
                name.replace("%5B", "[").replace("%5D", "]"),
                value.replace('+', " "),
            )
        })
        .collect();
    let files: Vec<(String, Vec<u8>)> = (0..rng.below(8))
        .map(|index| {
            let name = if rng.chance(20) {
                mutate(
                    rng,
                    &[
                        "kuva.jpg",
                        "../../etc/passwd",
                        "a\";b.png",
                        "\u{202E}gpj.exe",
                    ],
                )
            } else {
                format!("kuva{index}.jpg")
            };
            (name, file_content(rng))
        })
        .collect();
    let boundary = if rng.chance(90) {
        "palauteFuzzBoundary".to_owned()
    } else {
        // Mutated, but still a header value the client can send.
        mutate(rng, &["palauteFuzzBoundary", "a", "\"quoted\""])
            .chars()
            .filter(|c| c.is_ascii_graphic() || *c == ' ')
            .collect()
    };
    let mut body = multipart("palauteFuzzBoundary", &fields, &files);
    if rng.chance(60) {
        // Mutating the text parts: a lossy view of the bytes, mutated, back to bytes.
        let text = String::from_utf8_lossy(&body).into_owned();
        body = mutate(rng, &[text.as_str()]).into_bytes();
    }
    if rng.chance(10) {
        body.truncate(rng.below(body.len() + 1));
    }
    let content_type = match rng.below(12) {
        0 => "multipart/form-data".to_owned(),
        1 => "multipart/mixed; boundary=palauteFuzzBoundary".to_owned(),
        _ => format!("multipart/form-data; boundary={boundary}"),
    };
    (true, path, Some(content_type), body)
}

/// Whether an answer is a success or Open311's error list, in its format.
fn well_formed(path: &str, status: u16, text: &str) -> bool {
    if path.contains(".xml") {
        return text.starts_with("<?xml")
            && (text.contains("<errors>") || text.contains("<service_requests>"));
    }
    let Ok(value) = serde_json::from_str::<Value>(text) else {
        return false;
    };
    let Some(list) = value.as_array() else {
        return false;
    };
    if status == 200 {
        return true;
    }
    !list.is_empty()
        && list.iter().all(|error| {
            error["code"].as_u64() == Some(u64::from(status)) && error["description"].is_string()
        })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fuzzed_open311_requests_never_crash_panic_or_fail_internally() {
    let cases = fuzz::cases_from_env(3_000);
    let seed = fuzz::seed_from_env();
    println!("fuzzing {cases} Open311 requests with PALAUTE_FUZZ_SEED={seed}");
    let app = spawn_app_with(TestDatabase::sqlite(), |settings| {
        settings.open311.api_keys = vec![API_KEY.to_owned()];
        settings.attachments.max_file_bytes = 64 * 1024;
    })
    .await;
    let mut rng = Rng::new(seed);
    let requests: Vec<_> = (0..cases).map(|index| (index, request(&mut rng))).collect();
    let started = Instant::now();
    let mut statuses = std::collections::BTreeMap::<u16, usize>::new();
    let client = app.http.clone();
    let base = format!("{}/open311/v2", app.base_url);
    let mut outcomes = futures::stream::iter(requests)
        .map(|(index, (post, path, content_type, body))| {
            let http = client.clone();
            let url = format!("{base}/{path}");
            async move {
                let mut request = if post {
                    http.post(&url)
                } else {
                    http.get(&url)
                };
                if let Some(content_type) = &content_type {
                    request = request.header("content-type", content_type);
                }
                let outcome = match request.body(body.clone()).send().await {
                    Ok(response) => {
                        let status = response.status().as_u16();
                        Ok((status, response.text().await.unwrap_or_default()))
                    }
                    Err(error) => Err(error.to_string()),
                };
                (index, path, content_type, body, outcome)
            }
        })
        .buffer_unordered(8);
    while let Some((index, path, content_type, body, outcome)) = outcomes.next().await {
        let shown: String = String::from_utf8_lossy(&body).chars().take(300).collect();
        let shown_path: String = path.chars().take(300).collect();
        let what = format!("case {index} (seed {seed}) {shown_path} {content_type:?}");
        match outcome {
            Ok((status, text)) => {
                assert!(
                    status != 500 && status < 600,
                    "{what} got HTTP {status}: {text}\nbody: {shown}"
                );
                assert!(
                    well_formed(&path, status, &text),
                    "{what} answered HTTP {status} outside Open311's shapes: {text}\nbody: {shown}"
                );
                *statuses.entry(status).or_default() += 1;
            }
            Err(error) => panic!("{what}: no answer ({error})\nbody: {shown}"),
        }
    }
    let elapsed = started.elapsed();
    println!(
        "{cases} requests in {:.1} s ({:.0}/s); HTTP statuses {statuses:?}",
        elapsed.as_secs_f64(),
        cases as f64 / elapsed.as_secs_f64()
    );
    drop(outcomes);
    let health = app
        .http
        .get(format!("{}/healthz", app.base_url))
        .send()
        .await
        .expect("healthz");
    assert_eq!(health.status().as_u16(), 200);
    app.stop().await;
}
