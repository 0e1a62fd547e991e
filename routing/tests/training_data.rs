//! Measures the keyword classifier on the city's historical feedback, without the
//! category the resident chose. Not a pass/fail test: it prints figures.
//!
//! ```sh
//! PALAUTE_ROUTING_EVAL_JSONL=/path/to/train.jsonl \
//!     cargo test -p palaute-routing --test training_data -- --ignored --nocapture
//! ```
//!
//! With `PALAUTE_ROUTING_EVAL_VERBOSE=1` every misrouted and triaged case is printed
//! with the decision's reason, which is where keyword lists get their ideas.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::collections::BTreeMap;

use palaute_core::Organisation;
use palaute_routing::{CaseText, Classifier, Outcome, detect_language};

#[test]
#[ignore = "needs PALAUTE_ROUTING_EVAL_JSONL pointing at Open311 feedback as JSON lines"]
fn keyword_routing_on_historical_feedback() {
    let Ok(path) = std::env::var("PALAUTE_ROUTING_EVAL_JSONL") else {
        eprintln!("PALAUTE_ROUTING_EVAL_JSONL is not set: nothing measured");
        return;
    };
    let verbose = std::env::var("PALAUTE_ROUTING_EVAL_VERBOSE").is_ok();
    let data = std::fs::read_to_string(&path).expect("the evaluation file is readable");
    let organisation = Organisation::helsinki();
    let classifier = Classifier::new(&organisation);

    let (mut cases, mut unlabelled, mut right, mut wrong, mut triaged) = (0, 0, 0, 0, 0);
    let (mut with_category, mut right_category) = (0, 0);
    let mut languages = BTreeMap::<&str, usize>::new();
    for line in data.lines().filter(|line| !line.trim().is_empty()) {
        let record: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let field = |name: &str| record.get(name).and_then(|value| value.as_str());
        let label = field("agency_responsible");
        let Some(expected) = label.and_then(|label| organisation.unit_by_label(label)) else {
            unlabelled += 1;
            continue;
        };
        cases += 1;
        let title = field("title");
        let description = field("description").unwrap_or_default();
        let whole_text = format!("{} {description}", title.unwrap_or_default());
        let language = detect_language(&whole_text, None).language;
        *languages
            .entry(language.map_or("unknown", |language| language.code()))
            .or_default() += 1;
        let decision = classifier.classify(&CaseText {
            title,
            description,
            category_code: None,
            language,
        });
        let verdict = match decision.outcome {
            Outcome::NeedsTriage => {
                triaged += 1;
                "triaged"
            }
            Outcome::Routed if decision.unit_code == expected.code => {
                right += 1;
                "right"
            }
            Outcome::Routed => {
                wrong += 1;
                "wrong"
            }
        };
        if verbose && verdict != "right" {
            let start: String = description.chars().take(120).collect();
            eprintln!(
                "{verdict} | expected {} | got {} | {} | {start}",
                expected.code, decision.unit_code, decision.reason
            );
        }
        if let Some(category) = &decision.category_code {
            with_category += 1;
            if field("service_code") == Some(category.as_str()) {
                right_category += 1;
            }
        }
    }

    let percent = |count: usize, of: usize| 100.0 * count as f64 / of.max(1) as f64;
    println!("cases with a known unit: {cases} ({unlabelled} without one skipped)");
    println!("languages detected: {languages:?}");
    println!(
        "right unit: {right} ({:.1}%), wrong unit: {wrong} ({:.1}%), triage: {triaged} ({:.1}%)",
        percent(right, cases),
        percent(wrong, cases),
        percent(triaged, cases)
    );
    println!(
        "of routed cases, right unit: {:.1}%",
        percent(right, right + wrong)
    );
    println!(
        "routed with a category: {with_category}, the resident's category: {right_category} ({:.1}%)",
        percent(right_category, with_category)
    );
}
