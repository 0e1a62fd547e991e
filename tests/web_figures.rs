//! The public service figures page over real HTTP, on SQLite and PostgreSQL: cases made
//! through GraphQL (two routed automatically, one sent to triage; two on the web form,
//! one by phone) show up in the page's table and summary and in the CSV file, in all
//! three languages; the figures with no data yet (first reply, deadlines) are said in
//! words; `?unit=` is for staff within their scope only.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it checks is not as expected"
)]

mod support;

use chrono::{DateTime, Utc};
use palaute_core::StaffRole;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::json;
use support::{ADMIN_TOKEN, TestApp, account, spawn_app, street_lamp};

const LAMP_UNIT: &str = "rakennusvirasto";
const OTHER_UNIT: &str = "liikuntavirasto";

struct Answer {
    status: u16,
    cache_control: String,
    content_type: String,
    body: String,
}

async fn get(app: &TestApp, path: &str, token: Option<&str>) -> Answer {
    let mut request = app.http.get(format!("{}{path}", app.base_url));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("sending a request");
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (cache_control, content_type) = (header("cache-control"), header("content-type"));
    Answer {
        status: response.status().as_u16(),
        cache_control,
        content_type,
        body: response.text().await.expect("a body"),
    }
}

/// The cells (`<td>`) of the table row whose header cell reads `row_header`.
fn table_row(html: &str, row_header: &str) -> Vec<String> {
    let start = html
        .find(&format!("<th scope=\"row\">{row_header}</th>"))
        .unwrap_or_else(|| panic!("no row {row_header:?} in the page"));
    let row = &html[start..start + html[start..].find("</tr>").expect("the row's end")];
    row.split("<td>")
        .skip(1)
        .map(|cell| cell[..cell.find("</td>").expect("a cell's end")].to_owned())
        .collect()
}

/// The week a case was created in, as the page's table writes it in Finnish.
fn finnish_week_label(created_at: &str) -> String {
    let created: DateTime<Utc> = created_at.parse().expect("createdAt");
    let iso = palaute_store::helsinki_week(created);
    let (year, week) = iso.split_once("-W").expect("an ISO week");
    format!("vk {}/{year}", week.trim_start_matches('0'))
}

/// The CSV's rows as (measure, week, channel, value), after checking its header.
fn csv_rows(body: &str) -> Vec<[String; 4]> {
    let mut reader = csv::Reader::from_reader(body.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .expect("a header row")
        .iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        header,
        ["measure", "label", "week", "channel", "value", "unit"]
    );
    reader
        .records()
        .map(|record| {
            let record = record.expect("a well-formed CSV row");
            assert_eq!(record.len(), 6, "every row has every column: {record:?}");
            [0, 2, 3, 4].map(|column| record[column].to_owned())
        })
        .collect()
}

fn csv_value<'a>(rows: &'a [[String; 4]], measure: &str) -> &'a str {
    &rows
        .iter()
        .find(|row| row[0] == measure)
        .unwrap_or_else(|| panic!("no {measure} in the CSV"))[3]
}

async fn figures_match_the_cases_made(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (web_lamp, _) = app.submit(street_lamp()).await;
    let mut phoned = street_lamp();
    phoned["channel"] = json!("PHONE");
    let (phone_lamp, _) = app.submit(phoned).await;
    let (thanks, _) = app
        .submit(json!({ "channel": "WEB", "description": "Hei, kiitos hyvästä palvelusta!" }))
        .await;
    let mut created = Vec::new();
    for reference in [&web_lamp, &phone_lamp] {
        let case = app.wait_for_status(reference, &["ROUTED"]).await;
        assert_eq!(case["unit"]["code"], LAMP_UNIT);
        created.push(case["createdAt"].as_str().unwrap().to_owned());
    }
    let case = app.wait_for_status(&thanks, &["NEEDS_TRIAGE"]).await;
    created.push(case["createdAt"].as_str().unwrap().to_owned());
    let week = finnish_week_label(&created[0]);
    assert!(
        created.iter().all(|at| finnish_week_label(at) == week),
        "the three cases were made seconds apart, in one week"
    );

    // The Finnish page: this week's row has two web cases and one phoned (channels
    // in their fixed order), and two of three routed automatically.
    let page = get(&app, "/palvelu", None).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.content_type.starts_with("text/html"));
    assert!(page.cache_control.starts_with("public"));
    let html = &page.body;
    assert!(html.contains("<html lang=\"fi\">"));
    assert!(html.contains("<h1>Palvelun tunnusluvut</h1>"));
    assert_eq!(table_row(html, &week), ["2", "1", "3"]);
    assert_eq!(table_row(html, "Yhteensä"), ["2", "1", "3"]);
    assert!(html.contains("<th scope=\"col\">Verkkolomake</th><th scope=\"col\">Puhelin</th>"));
    assert!(html.contains("<dd>67\u{a0}%</dd>"), "auto-routed share");
    // The charts are named images with a table each.
    assert!(html.contains("role=\"img\" aria-labelledby=\"cases-chart-title cases-chart-desc\""));
    assert!(
        html.contains(
            "<title id=\"cases-chart-title\">Palautteet viikoittain ja kanavittain</title>"
        )
    );
    assert!(html.contains("<caption id=\"cases-caption\">"));
    assert!(html.contains("aria-labelledby=\"routing-chart-title routing-chart-desc\""));
    // No replies and no decided deadlines yet: said in words, never as a zero.
    assert!(html.contains("Tämän ajan palautteisiin ei ole vielä kirjattu vastauksia"));
    assert!(html.contains("Määräajoista ei ole vielä tietoa"));
    assert!(!html.contains("first-reply-chart"), "no chart without data");
    assert!(html.contains("<a id=\"figures-csv\" href=\"/palvelu.csv\">"));
    assert!(html.contains("href=\"/tjanst\" hreflang=\"sv\""));
    assert!(html.contains("<link rel=\"stylesheet\" href=\"/static/figures.css\">"));
    let stylesheet = get(&app, "/static/figures.css", None).await;
    assert_eq!(stylesheet.status, 200);
    assert!(stylesheet.content_type.starts_with("text/css"));

    // The CSV file says the same.
    let file = get(&app, "/palvelu.csv", None).await;
    assert_eq!(file.status, 200);
    assert!(file.content_type.starts_with("text/csv"));
    let rows = csv_rows(&file.body);
    let this_week = palaute_store::helsinki_week(created[0].parse().unwrap());
    let cases = |channel: &str| -> u64 {
        rows.iter()
            .filter(|row| row[0] == "cases" && row[2] == channel)
            .map(|row| {
                let count: u64 = row[3].parse().unwrap();
                assert!(count == 0 || row[1] == this_week, "cases only this week");
                count
            })
            .sum()
    };
    assert_eq!((cases("web"), cases("phone")), (2, 1));
    assert_eq!(
        rows.iter().filter(|row| row[0] == "cases").count(),
        2 * 52,
        "every week of the year for each channel seen"
    );
    assert_eq!(csv_value(&rows, "cases_total"), "3");
    assert_eq!(csv_value(&rows, "routed_automatically_share"), "0.6667");
    let route_hours: f64 = csv_value(&rows, "time_to_route_median").parse().unwrap();
    assert!((0.0..1.0).contains(&route_hours), "routed within the test");
    assert_eq!(csv_value(&rows, "time_to_first_reply_median"), "");
    assert_eq!(csv_value(&rows, "resolved_within_deadline_share"), "");

    // Swedish and English: their own words and number formats, the same figures.
    let swedish = get(&app, "/tjanst", None).await;
    assert_eq!(swedish.status, 200);
    assert!(swedish.body.contains("<html lang=\"sv\">"));
    assert!(swedish.body.contains("<h1>Tjänstens nyckeltal</h1>"));
    assert!(swedish.body.contains("<dd>67\u{a0}%</dd>"));
    assert!(
        swedish
            .body
            .contains("<a id=\"figures-csv\" href=\"/tjanst.csv\">")
    );
    let english = get(&app, "/service", None).await;
    assert_eq!(english.status, 200);
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(english.body.contains("<h1>Service figures</h1>"));
    assert!(english.body.contains("<dd>67%</dd>"));
    assert!(
        english
            .body
            .contains("No replies to feedback from this period have been recorded yet")
    );
    let english_csv = get(&app, "/service.csv", None).await;
    assert_eq!(
        csv_rows(&english_csv.body),
        rows,
        "the same figures in every language"
    );
    app.stop().await;
}

async fn staff_see_their_own_units_figures(database: TestDatabase) {
    let app = spawn_app(database).await;
    let (lamp, _) = app.submit(street_lamp()).await;
    let (thanks, _) = app
        .submit(json!({ "channel": "WEB", "description": "Hei, kiitos hyvästä palvelusta!" }))
        .await;
    app.wait_for_status(&lamp, &["ROUTED"]).await;
    app.wait_for_status(&thanks, &["NEEDS_TRIAGE"]).await;
    let store = app.store().await;
    let handler = account(
        &store,
        "lamps@hel.fi",
        StaffRole::Handler,
        &[LAMP_UNIT],
        None,
    )
    .await;

    let own = format!("/palvelu?unit={LAMP_UNIT}");
    let page = get(&app, &own, Some(&handler)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.cache_control.starts_with("private"));
    assert!(page.body.contains("Yksikkö: "), "the unit is named");
    assert_eq!(
        table_row(&page.body, "Yhteensä"),
        ["1", "1"],
        "the lamp only"
    );
    assert!(
        page.body
            .contains(&format!("href=\"/palvelu.csv?unit={LAMP_UNIT}\""))
    );
    let file = get(
        &app,
        &format!("/palvelu.csv?unit={LAMP_UNIT}"),
        Some(&handler),
    )
    .await;
    assert_eq!(file.status, 200);
    assert_eq!(csv_value(&csv_rows(&file.body), "cases_total"), "1");
    // The whole city's figures stay public, and count both cases.
    let public = get(&app, "/palvelu.csv", None).await;
    assert_eq!(csv_value(&csv_rows(&public.body), "cases_total"), "2");

    // Another unit: refused to the handler, shown to an administrator.
    let other = format!("/service?unit={OTHER_UNIT}");
    assert_eq!(get(&app, &other, Some(&handler)).await.status, 403);
    let other_csv = format!("/service.csv?unit={OTHER_UNIT}");
    assert_eq!(get(&app, &other_csv, Some(&handler)).await.status, 403);
    assert_eq!(get(&app, &other, Some(ADMIN_TOKEN)).await.status, 200);
    // No token, or one that is not valid: per unit is not for the public.
    let anonymous = get(&app, &own, None).await;
    assert_eq!(anonymous.status, 401);
    assert!(anonymous.body.contains("role=\"alert\""));
    assert!(!anonymous.body.contains("figures-csv"), "no figures shown");
    assert_eq!(get(&app, &own, Some("plt_not_a_token")).await.status, 401);
    assert_eq!(
        get(&app, &format!("/tjanst.csv?unit={LAMP_UNIT}"), None)
            .await
            .status,
        401
    );
    // A code that names no unit, asked by staff.
    assert_eq!(
        get(&app, "/palvelu?unit=no-such-unit", Some(ADMIN_TOKEN))
            .await
            .status,
        404
    );
    app.stop().await;
}

/// The least statements a request ran over a few tries: the counter is the whole
/// server's, background work included.
async fn least_statements(app: &TestApp, path: &str, token: Option<&str>) -> u64 {
    let mut least = u64::MAX;
    for _ in 0..6 {
        let before = app.statements_run();
        let answer = get(app, path, token).await;
        least = least.min(app.statements_run() - before);
        assert_eq!(answer.status, 200, "{}", answer.body);
    }
    least
}

async fn figures_cost_the_same_statements_for_few_and_many_cases(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let handler = account(
        &store,
        "lamps@hel.fi",
        StaffRole::Handler,
        &[LAMP_UNIT],
        None,
    )
    .await;
    let own = format!("/palvelu?unit={LAMP_UNIT}");
    let (mut made, mut costs) = (0, Vec::new());
    for cases in [1, 6] {
        while made < cases {
            let (reference, _) = app.submit(street_lamp()).await;
            app.wait_for_status(&reference, &["ROUTED"]).await;
            made += 1;
        }
        costs.push(least_statements(&app, &own, Some(&handler)).await);
    }
    println!("statements for one unit's figures over 1 and 6 cases: {costs:?}");
    // The token's check and the two reads; a query per case would add five or more.
    assert!(
        costs[1] <= costs[0] + 1 && costs[0] <= 4,
        "statements {costs:?}"
    );
    // The public figures are computed once and kept a few minutes.
    get(&app, "/service", None).await;
    assert_eq!(least_statements(&app, "/service", None).await, 0);
    app.stop().await;
}

/// How long the figures take over many cases: `PALAUTE_FIGURES_CASES` (20,000 unless
/// set) spread over the last year, seeded through the store, routed to one of two
/// units; then the public page (computed, then kept), and one unit's CSV. Prints its
/// figures; run with `cargo test --release --test web_figures -- --ignored --nocapture`.
/// PostgreSQL when `PALAUTE_TEST_DATABASE_URL` is set, else SQLite.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a measurement: run it on purpose"]
async fn figures_time_over_many_cases() {
    use palaute_core::{CaseStatus, Channel, Language};
    use palaute_store::{NewCase, Routing};

    let cases: usize = std::env::var("PALAUTE_FIGURES_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(20_000);
    let (database, backend) = match TestDatabase::postgres().await {
        Some(database) => (database, "PostgreSQL"),
        None => (TestDatabase::sqlite(), "SQLite"),
    };
    let data = tempfile::tempdir().unwrap();
    let settings = support::test_settings(&database, data.path());
    let (store, _) = palaute::runtime::open_store(&settings).await.unwrap();
    let seeding = std::time::Instant::now();
    let now = palaute_store::now();
    for n in 0..cases {
        let created = now - chrono::TimeDelta::seconds(1 + (n as i64) * 31_000_000 / cases as i64);
        let new_case = NewCase {
            channel: [Channel::Web, Channel::Phone, Channel::Email][n % 3],
            title: None,
            description: "Katulamppu on rikki".into(),
            stated_language: None,
            category_code: None,
            contact: None,
            location: None,
            idempotency_key: None,
            fingerprint: format!("bench {n}"),
            source: None,
            attachments: Vec::new(),
            answers: Vec::new(),
        };
        let id = store
            .submit_case(new_case, 3, created)
            .await
            .unwrap()
            .case_id;
        let routing = Routing {
            language: Some(Language::Fi),
            language_confidence: 0.9,
            unit_code: [LAMP_UNIT, OTHER_UNIT][n % 2].into(),
            category_code: None,
            status: CaseStatus::Routed,
            reason: "bench".into(),
            confidence: 0.8,
            predictions: Vec::new(),
        };
        let routed = created + chrono::TimeDelta::seconds(1 + (n as i64 % 600));
        store
            .record_routing(id, &routing, &[], 3, routed)
            .await
            .unwrap();
    }
    println!(
        "{backend}: seeded {cases} cases in {:.1} s",
        seeding.elapsed().as_secs_f64()
    );
    // No worker: the seeded cases' jobs stay queued rather than compete with the timing.
    let server = palaute::runtime::start(settings, false).await.unwrap();
    let base = format!("http://{}", server.address);
    let http = reqwest::Client::new();
    let timed = |path: String, token: Option<&'static str>| {
        let http = http.clone();
        let url = format!("{base}{path}");
        async move {
            let started = std::time::Instant::now();
            let mut request = http.get(url);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            let response = request.send().await.unwrap();
            assert_eq!(response.status(), 200);
            let body = response.text().await.unwrap();
            (started.elapsed().as_secs_f64(), body.len())
        }
    };
    let (computed, size) = timed("/palvelu".into(), None).await;
    let (kept, _) = timed("/palvelu".into(), None).await;
    let mut unit_csv = f64::MAX;
    for _ in 0..3 {
        let path = format!("/palvelu.csv?unit={LAMP_UNIT}");
        unit_csv = unit_csv.min(timed(path, Some(ADMIN_TOKEN)).await.0);
    }
    println!(
        "{backend}, {cases} cases: public page computed in {computed:.3} s ({size} bytes), \
         kept {kept:.4} s; one unit's CSV ({} cases) {unit_csv:.3} s",
        cases.div_ceil(2)
    );
    server.stop().await.unwrap();
}

on_every_backend!(
    figures_match_the_cases_made,
    staff_see_their_own_units_figures,
    figures_cost_the_same_statements_for_few_and_many_cases,
);
