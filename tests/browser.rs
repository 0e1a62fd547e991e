//! Browser tests: the resident pages in Debian's headless Chromium, against the real
//! system (server, worker and database in-process, real HTTP). The browser side lives in
//! `tests/browser/run.mjs` (Playwright over CDP, axe-core injected into each page); this
//! test starts palaute, runs it, and judges the JSON it prints.
//!
//! Needs `/usr/bin/chromium` (or `PALAUTE_CHROMIUM`), Node.js, and
//! `npm ci --prefix tests/browser`; skips with a message where one is missing, and fails
//! under `CI=true`. Screenshots go to `target/browser-screenshots/` (or
//! `PALAUTE_SCREENSHOT_DIR`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use palaute_testkit::TestDatabase;
use serde_json::{Value, json};
use support::spawn_app;

const PAGES: [&str; 6] = [
    "form",
    "error",
    "confirmation",
    "tracking",
    "tracking-token",
    "figures",
];
const LANGUAGES: [&str; 3] = ["fi", "sv", "en"];
const WIDTHS: [u32; 2] = [1280, 320];
/// Cases the browser submits: the keyboard, JavaScript-off and tracking-token scenarios, and
/// one confirmation page in each language.
const SUBMISSIONS: u64 = 3 + LANGUAGES.len() as u64;
/// A bound on the whole browser run; it takes about 20 s.
const RUN_TIMEOUT: Duration = Duration::from_secs(150);

/// What the browser run needs on this machine.
struct BrowserTools {
    chromium: PathBuf,
    script: PathBuf,
}

impl BrowserTools {
    /// The tools, or `None` (with a message) where one is missing outside CI.
    fn find() -> Option<BrowserTools> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let chromium = std::env::var_os("PALAUTE_CHROMIUM")
            .map_or_else(|| PathBuf::from("/usr/bin/chromium"), PathBuf::from);
        let node_modules = root.join("tests/browser/node_modules");
        let missing = if !chromium.is_file() {
            Some(format!("no Chromium at {}", chromium.display()))
        } else if !node_works() {
            Some("no working `node` on PATH".to_owned())
        } else if !node_modules.join("playwright-core").is_dir()
            || !node_modules.join("axe-core").is_dir()
        {
            Some("tests/browser/node_modules is not installed".to_owned())
        } else {
            None
        };
        if let Some(why) = missing {
            let help =
                "install with `apt-get install chromium` and `npm ci --prefix tests/browser`";
            assert!(!palaute_testkit::in_ci(), "{why}; CI must have it ({help})");
            eprintln!("skipping the browser tests: {why} ({help})");
            return None;
        }
        Some(BrowserTools {
            chromium,
            script: root.join("tests/browser/run.mjs"),
        })
    }
}

fn node_works() -> bool {
    std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

fn screenshot_dir() -> PathBuf {
    std::env::var_os("PALAUTE_SCREENSHOT_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("target/browser-screenshots"),
        PathBuf::from,
    )
}

fn screenshot_name(page: &str, lang: &str, width: u32) -> String {
    format!("{page}-{lang}-{width}.png")
}

/// Removes this test's screenshots from an earlier run, so that every file found
/// afterwards was written by this one.
fn clear_old_screenshots(dir: &Path) {
    std::fs::create_dir_all(dir)
        .unwrap_or_else(|error| panic!("creating {}: {error}", dir.display()));
    for page in PAGES {
        for lang in LANGUAGES {
            for width in WIDTHS {
                let _ = std::fs::remove_file(dir.join(screenshot_name(page, lang, width)));
            }
        }
    }
}

/// Runs `run.mjs` against the server and returns its report.
async fn run_browser(tools: &BrowserTools, base_url: &str, screenshots: &Path) -> Value {
    let mut command = tokio::process::Command::new("node");
    command
        .arg(&tools.script)
        .arg(base_url)
        .arg(screenshots)
        .env("PALAUTE_CHROMIUM", &tools.chromium)
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true);
    let output = tokio::time::timeout(RUN_TIMEOUT, command.output())
        .await
        .unwrap_or_else(|_| panic!("the browser run took over {RUN_TIMEOUT:?}"))
        .expect("starting node");
    let stderr = String::from_utf8_lossy(&output.stderr);
    eprint!("{stderr}");
    assert!(
        output.status.success(),
        "the browser run failed ({}): {stderr}",
        output.status
    );
    serde_json::from_slice(&output.stdout).unwrap_or_else(|error| {
        panic!(
            "the browser run printed no JSON report ({error}): {}",
            String::from_utf8_lossy(&output.stdout)
        )
    })
}

/// Every scenario that failed, with its reasons.
fn scenario_failures(report: &Value) -> Vec<String> {
    let scenarios = report["scenarios"].as_array().expect("scenarios");
    assert_eq!(scenarios.len(), 4, "{report}");
    scenarios
        .iter()
        .filter(|scenario| scenario["passed"] != true)
        .map(|scenario| {
            format!(
                "scenario \"{}\": {}",
                scenario["name"].as_str().unwrap_or("?"),
                scenario["reasons"]
            )
        })
        .collect()
}

/// Every page in every language that is missing, has axe violations or layout
/// problems, or lacks a screenshot.
fn page_failures(report: &Value, screenshots: &Path) -> Vec<String> {
    let pages = report["pages"].as_array().expect("pages");
    let mut failures = Vec::new();
    for page in PAGES {
        for lang in LANGUAGES {
            let Some(audit) = pages
                .iter()
                .find(|audit| audit["page"] == page && audit["lang"] == lang)
            else {
                failures.push(format!("{page} ({lang}): not audited"));
                continue;
            };
            for violation in audit["violations"].as_array().expect("violations") {
                let targets: Vec<&str> = violation["nodes"]
                    .as_array()
                    .expect("nodes")
                    .iter()
                    .filter_map(|node| node["target"].as_str())
                    .collect();
                failures.push(format!(
                    "{page} ({lang}): axe {} ({}) on {}",
                    violation["id"],
                    violation["help"],
                    targets.join(", ")
                ));
            }
            for problem in audit["problems"].as_array().expect("problems") {
                failures.push(format!("{page} ({lang}): {problem}"));
            }
            if audit["url"].is_null() {
                continue;
            }
            if audit["passes"].as_u64().unwrap_or(0) == 0 {
                failures.push(format!("{page} ({lang}): axe passed no rule: did it run?"));
            }
            for width in WIDTHS {
                let file = screenshots.join(screenshot_name(page, lang, width));
                if !file.metadata().is_ok_and(|meta| meta.len() > 0) {
                    failures.push(format!("{page} ({lang}): no screenshot {}", file.display()));
                }
            }
        }
    }
    failures
}

/// One line per page and language, so the test's output shows what was checked.
fn print_summary(report: &Value) {
    eprintln!(
        "browser {} ran in {} s",
        report["browser"], report["seconds"]
    );
    for audit in report["pages"].as_array().into_iter().flatten() {
        let violations = audit["violations"].as_array().map_or(0, Vec::len);
        eprintln!(
            "{:<14} {}  axe: {} violations, {} rules passed, to review by hand {}  problems {}",
            audit["page"].as_str().unwrap_or("?"),
            audit["lang"].as_str().unwrap_or("?"),
            violations,
            audit["passes"],
            audit["incomplete"],
            audit["problems"]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resident_pages_work_in_a_real_browser_and_pass_axe() {
    let Some(tools) = BrowserTools::find() else {
        return;
    };
    let app = spawn_app(TestDatabase::sqlite()).await;
    let screenshots = screenshot_dir();
    clear_old_screenshots(&screenshots);

    let started = Instant::now();
    let report = run_browser(&tools, &app.base_url, &screenshots).await;
    print_summary(&report);
    eprintln!(
        "screenshots in {}; browser run {:.1} s",
        screenshots.display(),
        started.elapsed().as_secs_f64()
    );

    let mut failures = scenario_failures(&report);
    failures.extend(page_failures(&report, &screenshots));
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Each submission the browser made is one case: no double submissions, none lost.
    let counted = app
        .staff("{ cases(first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(
        counted["data"]["cases"]["totalCount"].as_u64(),
        Some(SUBMISSIONS),
        "{counted}"
    );
    app.stop().await;
}
