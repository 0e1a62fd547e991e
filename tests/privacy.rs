//! Privacy by design, on the real system: a resident's request to erase their data
//! (`palaute privacy erase`, the real binary against the running server's data), the
//! export of their data, and the retention job. After an erasure the resident's address
//! and name are nowhere in the database files, the search index's files or the stored
//! files, and the service figures are what they were.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it checks is not as expected"
)]

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine;
use palaute_core::settings::PrivacySettings;
use palaute_core::{CaseStatus, Reference};
use palaute_store::{CaseEdit, Change, Store};
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{TestApp, palaute_command, spawn_app_with};

const NAME: &str = "Zacharias Öbergström";
/// As the resident typed it; the erasure is asked for in other letter case.
const EMAIL: &str = "Zacharias.Obergstrom@Example.FI";
const WEBHOOK_SECRET: &str = "privacy-test-webhook-secret-0123456789";
const OPEN311_KEY: &str = "privacy-test-open311-key-0123456789";

fn resident_case(description: &str) -> Value {
    json!({
        "channel": "WEB",
        "description": description,
        "language": "FI",
        "title": "Zachariaksen lamppu",
        "location": { "lat": 60.17, "lon": 24.94, "address": "Zachariaksenkuja 3" },
        "contact": { "name": NAME, "email": EMAIL, "phone": "+358401234567" }
    })
}

/// The same resident writes in by email, with their name encoded in the header.
fn resident_email() -> String {
    [
        "From: =?utf-8?q?Zacharias_=C3=96bergstr=C3=B6m?= <zacharias.obergstrom@example.fi>",
        "To: palaute@hel.fi",
        "Subject: Roskia puistossa, terveisin Zacharias",
        "Message-ID: <privacy.1@example.fi>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "",
        "Puistossa on roskia. Yst=C3=A4v=C3=A4llisin terveisin Zacharias =C3=96bergstr=C3=B6m",
        "",
    ]
    .join("\r\n")
}

/// Runs the real binary against the app's data folder and database.
fn palaute(app: &TestApp, args: &[&str]) -> std::process::Output {
    palaute_command()
        .arg("--data-dir")
        .arg(&app.data_dir)
        .args(["--database-url", app.database_url()])
        .args(args)
        .output()
        .expect("running palaute")
}

fn stdout_of(output: &std::process::Output) -> String {
    assert!(
        output.status.success(),
        "palaute failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The service figures of the last days and the next, in every shape the CLI gives.
fn figures(app: &TestApp) -> Vec<String> {
    let today = chrono::Utc::now().date_naive();
    let from = (today - chrono::Days::new(3)).to_string();
    let to = (today + chrono::Days::new(3)).to_string();
    ["unit", "channel", "category", "week"]
        .into_iter()
        .flat_map(|group| {
            ["csv", "json"].map(|format| {
                stdout_of(&palaute(
                    app,
                    &[
                        "stats",
                        "--from",
                        &from,
                        "--to",
                        &to,
                        "--group-by",
                        group,
                        "--format",
                        format,
                    ],
                ))
            })
        })
        .collect()
}

async fn eventually(what: &str, mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..400 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("{what} never happened");
}

async fn index_caught_up(store: &Store) -> bool {
    store
        .index_backlog(10)
        .await
        .expect("index queue")
        .is_empty()
}

async fn case_id(store: &Store, reference: &str) -> palaute_core::CaseId {
    let reference = Reference::parse(reference).expect("a reference");
    store
        .case_by_reference(&reference)
        .await
        .expect("a case")
        .expect("the case exists")
        .id
}

/// Staff reply to the resident, naming them, and resolve the case.
async fn reply_and_resolve(store: &Store, reference: &str, body: &str) {
    let id = case_id(store, reference).await;
    let case = store.case_by_id(id).await.expect("a case").expect("exists");
    store
        .edit_case(
            &CaseEdit {
                case_id: id,
                version: case.version,
                actor: "staff:kasittelija@hel.fi".into(),
                change: Change::Reply {
                    body: body.into(),
                    then: Some(CaseStatus::Resolved),
                },
            },
            3,
            palaute_store::now(),
        )
        .await
        .expect("a reply");
}

/// What to look for: the name and the address as written, in lower case, and in the
/// base64 any email part may be encoded in (at each of the three alignments).
fn needles() -> Vec<(String, Vec<u8>)> {
    let mut needles: Vec<(String, Vec<u8>)> = Vec::new();
    for text in [EMAIL, "zacharias", "obergstrom", "Öbergström", "öbergström"] {
        needles.push((text.to_owned(), text.as_bytes().to_vec()));
        needles.push((text.to_lowercase(), text.to_lowercase().into_bytes()));
    }
    needles.push(("=C3=96bergstr".into(), b"=c3=96bergstr".to_vec()));
    for text in [EMAIL.to_lowercase(), NAME.to_owned()] {
        for skip in 0..3 {
            let encoded =
                base64::engine::general_purpose::STANDARD.encode(&text.as_bytes()[skip..]);
            // The first and last characters depend on the bytes around it.
            let stable = &encoded[1..encoded.len().saturating_sub(4)];
            needles.push((
                format!("base64 of {text} at {skip}"),
                stable.as_bytes().to_vec(),
            ));
        }
    }
    needles
}

fn every_file(folder: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            every_file(&path, found);
        } else {
            found.push(path);
        }
    }
}

/// Every (file, needle) where a needle is found, comparing ASCII case-insensitively.
fn traces(files: &[PathBuf]) -> Vec<String> {
    let needles = needles();
    let mut found = Vec::new();
    for file in files {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        let lower = bytes.to_ascii_lowercase();
        for (label, needle) in &needles {
            let needle_lower = needle.to_ascii_lowercase();
            let hit = |haystack: &[u8], needle: &[u8]| {
                haystack
                    .windows(needle.len())
                    .any(|window| window == needle)
            };
            // base64 is case-sensitive: look for it as it is.
            let present = if label.starts_with("base64") {
                hit(&bytes, needle)
            } else {
                hit(&lower, &needle_lower)
            };
            if present {
                found.push(format!("{label:?} in {}", file.display()));
            }
        }
    }
    found
}

/// The SQLite files of the database, when it is SQLite.
fn sqlite_files(database_url: &str) -> Vec<PathBuf> {
    let Some(path) = database_url.strip_prefix("sqlite://") else {
        return Vec::new();
    };
    let path = path.split('?').next().unwrap_or(path);
    ["", "-wal", "-shm", "-journal"]
        .iter()
        .map(|suffix| PathBuf::from(format!("{path}{suffix}")))
        .filter(|file| file.exists())
        .collect()
}

async fn erasure_leaves_no_trace_and_the_figures_stand(database: TestDatabase) {
    let app = spawn_app_with(database, |settings| {
        settings.mail.webhook_secret = Some(WEBHOOK_SECRET.into());
        settings.mail.inbound_address = Some("palaute@hel.fi".into());
    })
    .await;
    let store = app.store().await;
    let (first, _) = app
        .submit(resident_case(
            "Katulamppu on rikki kotini edessä. Terveisin Zacharias Öbergström",
        ))
        .await;
    let (second, _) = app
        .submit(resident_case("Roska-astia on täynnä. Zacharias Öbergström"))
        .await;
    let (other, _) = app
        .submit(json!({
            "channel": "WEB",
            "description": "Puiston penkki on rikki, terveisin Matti Virtanen",
            "language": "FI",
            "contact": { "name": "Matti Virtanen", "email": "matti@example.com" }
        }))
        .await;
    for reference in [&first, &second, &other] {
        app.wait_for_status(reference, &["ROUTED", "NEEDS_TRIAGE"])
            .await;
    }
    let (status, mailed) = app
        .post_signed_mail(WEBHOOK_SECRET, &resident_email())
        .await;
    assert_eq!(status, 200, "{mailed}");
    assert_eq!(mailed["disposition"], "new_case", "{mailed}");
    reply_and_resolve(&store, &first, "Kiitos Zacharias, lamppu on korjattu.").await;
    eventually(
        "the reply and the acknowledgements are written",
        async || {
            let files = app.outbox_files();
            files.iter().any(|(_, text)| text.contains("korjattu"))
                && files
                    .iter()
                    .filter(|(_, text)| text.to_lowercase().contains(&EMAIL.to_lowercase()))
                    .count()
                    >= 2
        },
    )
    .await;
    eventually("the cases are searchable", async || {
        index_caught_up(&store).await
    })
    .await;
    let before = figures(&app);

    let mut stored = Vec::new();
    every_file(&app.data_dir, &mut stored);
    stored.extend(sqlite_files(app.database_url()));
    assert!(
        !traces(&stored).is_empty(),
        "the scan finds the resident before the erasure"
    );

    let erased = palaute(
        &app,
        &[
            "privacy",
            "erase",
            "--email",
            "ZACHARIAS.OBERGSTROM@example.fi",
        ],
    );
    let summary = stdout_of(&erased);
    assert!(summary.contains("cases anonymised: 3"), "{summary}");
    for reference in [&first, &second] {
        assert!(summary.contains(reference.as_str()), "{summary}");
    }
    assert!(!summary.contains(other.as_str()), "{summary}");
    eventually("the server's indexer forgets the cases", async || {
        index_caught_up(&store).await
    })
    .await;

    assert_eq!(figures(&app), before, "the figures are the same");
    let mut stored = Vec::new();
    every_file(&app.data_dir, &mut stored);
    stored.extend(sqlite_files(app.database_url()));
    let left = traces(&stored);
    assert!(left.is_empty(), "the resident is still in: {left:#?}");

    // Search finds neither the name nor the address; the other resident's case stays.
    let search = app
        .staff(
            "query($q: String!) { search(query: $q) { totalCount } }",
            json!({ "q": "Zacharias" }),
        )
        .await;
    assert_eq!(search["data"]["search"]["totalCount"], 0, "{search}");
    let kept = store
        .case_by_id(case_id(&store, &other).await)
        .await
        .expect("a case")
        .expect("exists");
    assert!(kept.description.contains("Matti Virtanen"));

    // Each erased case says so on its timeline; nothing is held for the address now.
    for reference in [&first, &second] {
        let events = store
            .case_events(case_id(&store, reference).await)
            .await
            .expect("a timeline");
        let anonymised = events
            .iter()
            .find(|event| event.kind == "anonymised")
            .unwrap_or_else(|| panic!("no anonymised event: {events:?}"));
        assert_eq!(anonymised.actor, "system:erasure-request");
    }
    let export = store
        .privacy_export(
            &palaute_core::EmailAddress::parse(EMAIL).expect("an address"),
            palaute_store::now(),
        )
        .await
        .expect("an export");
    assert!(export.cases.is_empty(), "{export:?}");
    app.stop().await;
}

async fn export_lists_every_case_of_the_address(database: TestDatabase) {
    let app = spawn_app_with(database, |_| {}).await;
    let (reference, _) = app
        .submit(resident_case("Katulamppu on rikki, terveisin Zacharias"))
        .await;
    app.wait_for_status(&reference, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    let store = app.store().await;
    reply_and_resolve(&store, &reference, "Kiitos, korjattu.").await;

    let output = palaute(
        &app,
        &["privacy", "export", "--email", &EMAIL.to_uppercase()],
    );
    let export: Value = serde_json::from_str(&stdout_of(&output)).expect("JSON");
    let cases = export["cases"].as_array().expect("cases");
    assert_eq!(cases.len(), 1, "{export}");
    let case = &cases[0];
    assert_eq!(case["reference"], reference.as_str());
    assert_eq!(case["contact"]["name"], NAME);
    // The domain is kept in lower case, as every address is.
    assert_eq!(case["contact"]["email"], "Zacharias.Obergstrom@example.fi");
    assert!(
        case["description"]
            .as_str()
            .unwrap_or_default()
            .contains("Zacharias")
    );
    let kinds: Vec<&str> = case["timeline"]
        .as_array()
        .expect("a timeline")
        .iter()
        .filter_map(|event| event["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"received"), "{kinds:?}");
    assert!(
        case["timeline"].to_string().contains("Kiitos, korjattu."),
        "the reply is in the timeline"
    );
    assert!(case["attachments"].is_array());

    // To a file, readable by its owner only.
    let file = app.data_dir.join("export.json");
    let written = palaute(
        &app,
        &[
            "privacy",
            "export",
            "--email",
            EMAIL,
            "--out",
            file.to_str().expect("a path"),
        ],
    );
    stdout_of(&written);
    let saved: Value =
        serde_json::from_slice(&std::fs::read(&file).expect("the export file")).expect("JSON");
    assert_eq!(saved["cases"].as_array().map(Vec::len), Some(1));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(mode & 0o077, 0, "only the owner may read it");
    }

    // An address nobody used: an empty export. Not an address: a clear refusal.
    let nobody = palaute(&app, &["privacy", "export", "--email", "nobody@example.fi"]);
    let empty: Value = serde_json::from_str(&stdout_of(&nobody)).expect("JSON");
    assert_eq!(empty["cases"], json!([]));
    let refused = palaute(&app, &["privacy", "erase", "--email", "not an address"]);
    assert!(!refused.status.success());
    let message = String::from_utf8_lossy(&refused.stderr);
    assert!(message.contains("not an email address"), "{message}");
    app.stop().await;
}

async fn retention_anonymises_closed_cases_after_the_period(database: TestDatabase) {
    let app = spawn_app_with(database, |_| {}).await;
    let store = app.store().await;
    let (closed, _) = app
        .submit(resident_case("Katulamppu on rikki, terveisin Zacharias"))
        .await;
    let (open, _) = app
        .submit(resident_case("Penkki on rikki, terveisin Zacharias"))
        .await;
    for reference in [&closed, &open] {
        app.wait_for_status(reference, &["ROUTED", "NEEDS_TRIAGE"])
            .await;
    }
    reply_and_resolve(&store, &closed, "Kiitos Zacharias, korjattu.").await;
    eventually("the reply is emailed", async || {
        app.outbox_files()
            .iter()
            .any(|(_, text)| text.contains("korjattu"))
    })
    .await;
    let before = figures(&app);
    let retention = palaute_worker::Retention::new(
        store.clone(),
        PrivacySettings {
            anonymise_after_days: 30,
            retention_check_minutes: 60,
        },
        Some(app.data_dir.join("outbox")),
    );
    let now = palaute_store::now();
    assert_eq!(
        retention
            .run(now + chrono::Duration::days(29))
            .await
            .expect("a run"),
        0,
        "within the period nothing is touched"
    );
    let later = now + chrono::Duration::days(31);
    assert_eq!(retention.run(later).await.expect("a run"), 1);
    assert_eq!(retention.run(later).await.expect("again"), 0, "done once");

    let closed_id = case_id(&store, &closed).await;
    let anonymised = store
        .case_by_id(closed_id)
        .await
        .expect("a case")
        .expect("exists");
    assert_eq!(
        anonymised.description,
        palaute_core::privacy::ANONYMISED_TEXT
    );
    assert_eq!(anonymised.title, None);
    assert_eq!(anonymised.status, CaseStatus::Resolved, "the status stays");
    assert!(anonymised.unit_code.is_some(), "the unit stays");
    assert!(
        store
            .case_contact(closed_id)
            .await
            .expect("contact")
            .is_none()
    );
    let events = store.case_events(closed_id).await.expect("a timeline");
    let event = events
        .iter()
        .find(|event| event.kind == "anonymised")
        .expect("an anonymised event");
    assert_eq!(event.actor, "system:retention");
    assert!(
        !events
            .iter()
            .any(|event| event.detail.to_string().contains("Zacharias")),
        "{events:?}"
    );
    assert!(
        !app.outbox_files()
            .iter()
            .any(|(_, text)| text.contains("korjattu")),
        "the reply's outbox copy is gone"
    );
    let still_open = store
        .case_by_id(case_id(&store, &open).await)
        .await
        .expect("a case")
        .expect("exists");
    assert!(
        still_open.description.contains("Zacharias"),
        "an open case keeps its text"
    );

    eventually("the index catches up", async || {
        index_caught_up(&store).await
    })
    .await;
    assert_eq!(figures(&app), before, "the figures are the same");

    // Reopened after its anonymising, a case gathers new words; closed again, it is
    // anonymised again once the period has passed.
    let set_status = async |status: CaseStatus, note: Option<&str>, at| {
        let case = store
            .case_by_id(closed_id)
            .await
            .expect("a case")
            .expect("exists");
        store
            .edit_case(
                &CaseEdit {
                    case_id: closed_id,
                    version: case.version,
                    actor: "staff:kasittelija@hel.fi".into(),
                    change: Change::SetStatus {
                        status,
                        note: note.map(str::to_owned),
                    },
                },
                3,
                at,
            )
            .await
            .expect("a status change");
    };
    let reopened_at = later + chrono::Duration::days(1);
    set_status(
        CaseStatus::InProgress,
        Some("Zacharias soitti uudelleen"),
        reopened_at,
    )
    .await;
    set_status(
        CaseStatus::Resolved,
        None,
        reopened_at + chrono::Duration::days(1),
    )
    .await;
    let reopened_figures = figures(&app);
    let again = reopened_at + chrono::Duration::days(40);
    assert_eq!(retention.run(again).await.expect("a run"), 1);
    assert_eq!(figures(&app), reopened_figures, "the figures are the same");
    let events = store.case_events(closed_id).await.expect("a timeline");
    assert!(
        !events
            .iter()
            .any(|event| event.detail.to_string().contains("Zacharias")),
        "{events:?}"
    );
    assert_eq!(
        events
            .iter()
            .filter(|event| event.kind == "anonymised")
            .count(),
        2
    );
    app.stop().await;
}

/// A JPEG as a phone sends it: the place and the device in an EXIF segment, the place
/// again in XMP, a comment; then the image itself.
fn phone_photo() -> Vec<u8> {
    fn segment(marker: u8, payload: &[u8]) -> Vec<u8> {
        let mut out = vec![0xFF, marker];
        out.extend_from_slice(
            &u16::try_from(payload.len() + 2)
                .expect("short")
                .to_be_bytes(),
        );
        out.extend_from_slice(payload);
        out
    }
    let mut photo = vec![0xFF, 0xD8];
    photo.extend(segment(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    photo.extend(segment(
        0xE1,
        b"Exif\0\0MM\0\x2A\0\0\0\x08SecretPhone GPS 60.169857N 24.938379E",
    ));
    photo.extend(segment(
        0xE1,
        b"http://ns.adobe.com/xap/1.0/\0<x:xmpmeta>60.169857 24.938379</x:xmpmeta>",
    ));
    photo.extend(segment(0xFE, b"Kuvannut Zacharias"));
    photo.extend(segment(0xDB, &[0u8; 65]));
    photo.extend(segment(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
    photo.extend(segment(0xDA, &[1, 1, 0, 0, 0x3F, 0]));
    photo.extend_from_slice(&[0x12, 0x34, 0xFF, 0x00, 0x56]);
    photo.extend_from_slice(&[0xFF, 0xD9]);
    photo
}

async fn a_photo_from_any_door_is_kept_without_its_metadata(database: TestDatabase) {
    let app = spawn_app_with(database, |settings| {
        settings.mail.webhook_secret = Some(WEBHOOK_SECRET.into());
        settings.mail.inbound_address = Some("palaute@hel.fi".into());
        settings.open311.api_keys = vec![OPEN311_KEY.to_owned()];
    })
    .await;
    let photo = phone_photo();
    let raw = [
        "From: asukas@example.fi",
        "To: palaute@hel.fi",
        "Subject: Kuoppa kadulla",
        "Message-ID: <photo.privacy@example.fi>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"b\"",
        "",
        "--b",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Kadulla on iso kuoppa, kuva liitteenä.",
        "--b",
        "Content-Type: image/jpeg; name=\"kuoppa.jpg\"",
        "Content-Disposition: attachment; filename=\"kuoppa.jpg\"",
        "Content-Transfer-Encoding: base64",
        "",
        &base64::engine::general_purpose::STANDARD.encode(&photo),
        "--b--",
        "",
    ]
    .join("\r\n");
    let (status, answer) = app.post_signed_mail(WEBHOOK_SECRET, &raw).await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["disposition"], "new_case", "{answer}");
    let store = app.store().await;
    let mailed = case_id(&store, answer["reference"].as_str().expect("a reference")).await;
    assert_kept_without_metadata(&store, mailed).await;

    // The same photo through Open311, as a multipart `media` file.
    let boundary = "privacy-test-boundary";
    let mut form = Vec::new();
    for (name, value) in [
        ("api_key", OPEN311_KEY),
        ("service_code", "171"),
        ("lat", "60.1699"),
        ("long", "24.9384"),
        ("description", "Syvä kuoppa ajoradalla, kuva liitteenä"),
    ] {
        form.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    form.extend_from_slice(
        format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"media\"; filename=\"kuoppa.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n"
        )
        .as_bytes(),
    );
    form.extend_from_slice(&photo);
    form.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    let response = app
        .http
        .post(format!("{}/open311/v2/requests.json", app.base_url))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(form)
        .send()
        .await
        .expect("an Open311 request");
    assert_eq!(response.status(), 200);
    let created: Value = response.json().await.expect("JSON");
    let reference = created[0]["service_request_id"]
        .as_str()
        .unwrap_or_else(|| panic!("{created}"));
    assert_kept_without_metadata(&store, case_id(&store, reference).await).await;
    app.stop().await;
}

/// The one file of case `id` is the phone photo without its metadata.
async fn assert_kept_without_metadata(store: &Store, id: palaute_core::CaseId) {
    let files = store.attachments_of(&[id]).await.expect("files");
    let info = &files.get(&id).expect("a file")[0];
    let kept = store
        .attachment(&info.public_id)
        .await
        .expect("a file")
        .expect("exists");
    for secret in ["SecretPhone", "60.169857", "xmpmeta", "Zacharias"] {
        assert!(
            !kept
                .bytes
                .windows(secret.len())
                .any(|w| w == secret.as_bytes()),
            "{secret} was kept"
        );
    }
    assert_eq!(
        info.size as usize,
        kept.bytes.len(),
        "the size is the kept file's"
    );
    assert!(
        kept.bytes.starts_with(&[0xFF, 0xD8, 0xFF, 0xE0]),
        "still a JPEG"
    );
    assert!(
        kept.bytes
            .ends_with(&[0x12, 0x34, 0xFF, 0x00, 0x56, 0xFF, 0xD9]),
        "the image data is untouched"
    );
}

async fn the_worker_runs_the_retention_job_on_its_schedule(database: TestDatabase) {
    let app = spawn_app_with(database, |settings| {
        settings.privacy.anonymise_after_days = 1;
        // The worker's own schedule loop stays out of the way; the test makes the
        // schedule come due itself, as that loop would an hour on.
        settings.privacy.retention_check_minutes = 0;
    })
    .await;
    let store = app.store().await;
    let (reference, _) = app
        .submit(resident_case("Katulamppu on rikki, terveisin Zacharias"))
        .await;
    app.wait_for_status(&reference, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    let id = case_id(&store, &reference).await;
    // Resolved two days ago, as far as the case knows.
    let case = store.case_by_id(id).await.expect("a case").expect("exists");
    let two_days_ago = palaute_store::now() - chrono::Duration::days(2);
    store
        .edit_case(
            &CaseEdit {
                case_id: id,
                version: case.version,
                actor: "staff:kasittelija@hel.fi".into(),
                change: Change::SetStatus {
                    status: CaseStatus::Resolved,
                    note: None,
                },
            },
            3,
            two_days_ago,
        )
        .await
        .expect("resolved");
    // The schedule, made an hour ago, comes due now.
    let now = palaute_store::now();
    let interval = chrono::Duration::minutes(60);
    let schedule = "anonymise_expired";
    let kind = palaute_store::JobKind::AnonymiseExpired;
    let first = store
        .run_schedule_if_due(schedule, kind, interval, 3, now - interval)
        .await
        .expect("a schedule");
    let due = store
        .run_schedule_if_due(schedule, kind, interval, 3, now)
        .await
        .expect("a schedule");
    assert!(first.is_none() && due.is_some(), "one run enqueued");
    eventually("the worker anonymises the case", async || {
        store
            .case_by_id(id)
            .await
            .expect("a case")
            .is_some_and(|case| case.description == palaute_core::privacy::ANONYMISED_TEXT)
    })
    .await;
    let events = store.case_events(id).await.expect("a timeline");
    let event = events
        .iter()
        .find(|event| event.kind == "anonymised")
        .expect("an anonymised event");
    assert_eq!(event.actor, "system:retention");
    assert_eq!(event.detail, json!({ "policy": "retention", "days": 1 }));
    app.stop().await;
}

on_every_backend!(
    erasure_leaves_no_trace_and_the_figures_stand,
    export_lists_every_case_of_the_address,
    retention_anonymises_closed_cases_after_the_period,
    a_photo_from_any_door_is_kept_without_its_metadata,
    the_worker_runs_the_retention_job_on_its_schedule,
);
