//! `palaute import`, run as the real binary against a database that a running
//! palaute (API, worker, indexer) also uses: past cases become cases with their own
//! dates, statuses and units, once however often the file is imported, searchable and
//! counted, and nobody is emailed about them.

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

use chrono::{DateTime, Utc};
use palaute_core::Reference;
use palaute_testkit::TestDatabase;
use serde_json::{Value, json};
use support::{TestApp, palaute_command as palaute, spawn_app};

/// The Helsinki export's records: one Open311 service request a line.
fn helsinki_export() -> Option<PathBuf> {
    let path =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/helsinki-feedback/train.jsonl");
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "{} is missing under CI=true",
        path.display()
    );
    eprintln!(
        "skipping: {} is absent (the shared data folder is not beside the project)",
        path.display()
    );
    None
}

/// Runs `palaute import` against the app's database and data folder; (stdout, stderr).
fn import(app: &TestApp, files: &[&Path]) -> (String, String) {
    let output = palaute()
        .arg("import")
        .args(files)
        .arg("--database-url")
        .arg(app.database_url())
        .arg("--data-dir")
        .arg(&app.data_dir)
        .output()
        .expect("running palaute import");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "{stdout}\n{stderr}");
    (stdout, stderr)
}

/// The figures of the first summary line: (records, imported, skipped, rejected).
fn counts(summary: &str) -> (u64, u64, u64, u64) {
    let line = summary.lines().next().expect("a summary line");
    let number = |after: &str| -> u64 {
        let words: Vec<&str> = line.split([' ', ',', ';', ':']).collect();
        let position = words
            .iter()
            .position(|word| *word == after)
            .unwrap_or_else(|| panic!("no {after:?} in {line:?}"));
        words[position - 1].parse().expect("a count")
    };
    (
        number("records"),
        number("imported"),
        number("skipped"),
        number("rejected"),
    )
}

/// A GraphQL DateTime as `2014-12-05T10:50:03Z`, however the server spells the offset.
fn instant(value: &Value) -> String {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("not a time: {value}"));
    DateTime::parse_from_rfc3339(text)
        .expect("an RFC 3339 time")
        .with_timezone(&Utc)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

async fn case(app: &TestApp, reference: &str) -> Value {
    let response = app
        .staff(
            "query($r: String!) { case(reference: $r) { reference status channel createdAt routedAt unit { code } category { code } timeline { edges { node { kind actor at note } } } } }",
            json!({ "r": reference }),
        )
        .await;
    response["data"]["case"].clone()
}

/// Polls the search until `query` finds a case (the indexer runs in the app).
async fn search(app: &TestApp, query: &str) -> Value {
    for _ in 0..400 {
        let response = app
            .staff(
                "query($q: String!) { search(query: $q, first: 50) { totalCount nodes { reference createdAt status unit { code } } } }",
                json!({ "q": query }),
            )
            .await;
        let result = response["data"]["search"].clone();
        if result["totalCount"].as_u64().unwrap_or(0) > 0 {
            return result;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the search never found {query:?}");
}

fn stats(app: &TestApp, group_by: &str) -> Value {
    let output = palaute()
        .args(["stats", "--from", "2014-12-01", "--to", "2015-10-01"])
        .args(["--group-by", group_by, "--format", "json"])
        .arg("--database-url")
        .arg(app.database_url())
        .arg("--data-dir")
        .arg(&app.data_dir)
        .output()
        .expect("running palaute stats");
    assert!(output.status.success(), "{output:?}");
    serde_json::from_slice(&output.stdout).expect("stats as JSON")
}

async fn helsinki_export_is_imported_once_searchable_counted_and_silent(database: TestDatabase) {
    let Some(export) = helsinki_export() else {
        return;
    };
    let lines = std::fs::read_to_string(&export)
        .expect("reading the export")
        .lines()
        .filter(|line| !line.trim().is_empty())
        .count() as u64;
    let app = spawn_app(database).await;
    let store = app.store().await;
    let jobs_before = store.job_counts().await.expect("job counts");

    let (first, stderr) = import(&app, &[&export]);
    println!("first import: {first}");
    assert!(
        !stderr.contains('\u{1b}'),
        "no terminal: no bar drawn\n{stderr}"
    );
    let (records, imported, skipped, rejected) = counts(&first);
    assert_eq!(records, lines, "{first}");
    assert_eq!(skipped, 0, "{first}");
    assert_eq!(imported + rejected, records, "{first}");
    assert!(imported > 0, "{first}");
    assert!(first.contains("records/s"), "{first}");

    let (second, _) = import(&app, &[&export]);
    println!("second import: {second}");
    assert_eq!(
        counts(&second),
        (records, 0, imported, rejected),
        "a second import adds nothing: {second}"
    );

    // The export is in time order, so its first record of 2014 has the year's first
    // reference: 1vp1s1plcork0g7lsjam, sent 2014-12-05 about a tram stop in Merikasarmi.
    let first_case = case(&app, "HEL-2014-000001").await;
    assert_eq!(
        instant(&first_case["createdAt"]),
        "2014-12-05T10:50:03Z",
        "{first_case}"
    );
    assert_eq!(
        instant(&first_case["routedAt"]),
        "2014-12-05T10:50:06Z",
        "{first_case}"
    );
    assert_eq!(
        first_case["unit"]["code"], "rakennusvirasto",
        "{first_case}"
    );
    assert_eq!(first_case["category"]["code"], "180", "{first_case}");
    assert_eq!(first_case["status"], "CLOSED", "{first_case}");
    let kinds: Vec<&str> = first_case["timeline"]["edges"]
        .as_array()
        .expect("timeline")
        .iter()
        .map(|edge| edge["node"]["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds, ["received", "imported"], "{first_case}");

    let found = search(&app, "raitiovaunupysäkki").await;
    assert!(
        found["nodes"]
            .as_array()
            .expect("nodes")
            .iter()
            .any(|node| node["reference"] == "HEL-2014-000001"),
        "{found}"
    );

    let by_unit = stats(&app, "unit");
    assert_eq!(by_unit["total"]["volume"], imported, "{by_unit}");
    let building = by_unit["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|group| group["key"] == "rakennusvirasto")
        .expect("the Public Works Department's row");
    assert!(
        building["volume"].as_u64().expect("volume") > 700,
        "{building}"
    );
    assert!(
        building["median_hours_to_route"].as_f64().is_some(),
        "routing times from the tasks: {building}"
    );

    // Nothing was routed again or emailed: no job was queued, no email written.
    assert_eq!(
        store.job_counts().await.expect("job counts"),
        jobs_before,
        "no job for an imported case"
    );
    let first_id = store
        .case_by_reference(&Reference::parse("HEL-2014-000001").expect("reference"))
        .await
        .expect("loading")
        .expect("the case")
        .id;
    assert!(
        store
            .emails_for_case(first_id.0)
            .await
            .expect("emails")
            .is_empty()
    );
    assert!(app.outbox_files().is_empty(), "no email in the outbox");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helsinki_export_is_imported_once_on_sqlite() {
    helsinki_export_is_imported_once_searchable_counted_and_silent(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn helsinki_export_is_imported_once_on_postgres() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    helsinki_export_is_imported_once_searchable_counted_and_silent(database).await;
}

/// A CSV written here: a valid row, one whose description is blank (row 3), one with a
/// unit the organisation does not know, one whose description spans two lines, and the
/// first record again (an export that repeats a record).
const PAST_CASES_CSV: &str = "\
service_request_id,requested_datetime,updated_datetime,status,title,description,service_code,agency_responsible,address,lat,long,email
r-1,2015-03-02T08:15:00Z,2015-03-04T12:00:00Z,closed,Kuoppa,Kadulla on syvä kuoppa,171,Rakennusvirasto,Mannerheimintie 1,60.17,24.94,
r-2,2015-03-03T09:00:00Z,,open,,   ,171,Rakennusvirasto,,,,
r-3,2015-03-05 10:30,,open,Penkki,Puiston penkki on rikki,174,Talous- ja suunnittelukeskus,,,,asukas@example.fi
r-4,2015-03-06,,open,,\"Roska-astia on täynnä.
Tyhjentäkää se.\",246,rakennusvirasto,,,,
r-1,2015-03-02T08:15:00Z,2015-03-04T12:00:00Z,closed,Kuoppa,Kadulla on syvä kuoppa,171,Rakennusvirasto,Mannerheimintie 1,60.17,24.94,
";

async fn csv_rows_are_imported_and_a_bad_row_is_named(database: TestDatabase) {
    let app = spawn_app(database).await;
    let folder = tempfile::tempdir().expect("temporary folder");
    let file = folder.path().join("past.csv");
    std::fs::write(&file, PAST_CASES_CSV).expect("writing the CSV");

    let (summary, _) = import(&app, &[&file]);
    assert_eq!(counts(&summary), (5, 3, 1, 1), "{summary}");
    assert!(
        summary.contains("rejected 1: invalid description\n")
            && summary.contains("past.csv row 3: description must not be empty"),
        "{summary}"
    );
    let (again, _) = import(&app, &[&file]);
    assert_eq!(counts(&again), (5, 0, 4, 1), "{again}");

    // References follow the rows' order within 2015.
    let closed = case(&app, "HEL-2015-000001").await;
    assert_eq!(closed["status"], "CLOSED", "{closed}");
    assert_eq!(
        instant(&closed["createdAt"]),
        "2015-03-02T08:15:00Z",
        "{closed}"
    );
    assert_eq!(closed["unit"]["code"], "rakennusvirasto", "{closed}");

    let unknown_unit = case(&app, "HEL-2015-000002").await;
    assert_eq!(unknown_unit["unit"]["code"], "triage", "{unknown_unit}");
    assert_eq!(unknown_unit["status"], "NEEDS_TRIAGE", "{unknown_unit}");
    // Helsinki time without an offset: 10:30 in March is 08:30 UTC.
    assert_eq!(instant(&unknown_unit["createdAt"]), "2015-03-05T08:30:00Z");
    let note = unknown_unit["timeline"]["edges"][1]["node"]["note"]
        .as_str()
        .expect("a note on the import");
    assert!(note.contains("Talous- ja suunnittelukeskus"), "{note}");

    let open = case(&app, "HEL-2015-000003").await;
    assert_eq!(open["status"], "ROUTED", "{open}");
    assert_eq!(open["category"]["code"], "246", "{open}");

    // The resident of r-3 left an address and is not acknowledged: the worker gets
    // no job for an imported case.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(app.outbox_files().is_empty(), "no email in the outbox");
    app.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_rows_are_imported_and_a_bad_row_is_named_on_sqlite() {
    csv_rows_are_imported_and_a_bad_row_is_named(TestDatabase::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn csv_rows_are_imported_and_a_bad_row_is_named_on_postgres() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    csv_rows_are_imported_and_a_bad_row_is_named(database).await;
}

#[test]
fn a_file_that_cannot_be_read_stops_the_import_before_anything_is_written() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let file = folder.path().join("no-header.csv");
    std::fs::write(&file, "id,text\n1,hello\n").expect("writing");
    let output = palaute()
        .arg("import")
        .arg(&file)
        .arg("--data-dir")
        .arg(folder.path())
        .output()
        .expect("running palaute import");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("no-header.csv") && stderr.contains("service_request_id"),
        "{stderr}"
    );
}
