//! Fuzzing the search text: generated hostile queries against a small real index, on a
//! thread with a normal-sized stack. Every answer must be results or one of the two
//! refusals; a panic fails the test, a stack overflow aborts it.
//!
//! CI runs 10,000 cases. For a long run (a random seed unless one is given):
//!
//! ```text
//! PALAUTE_FUZZ_CASES=1000000 PALAUTE_FUZZ_SECONDS=600 \
//!   cargo test -p palaute-search-index --test hostile_queries -- --nocapture
//! ```
//!
//! Replay a failure with the seed it printed: `PALAUTE_FUZZ_SEED=<seed>` and the same
//! number of cases.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use palaute_core::Language;
use palaute_search_index::{
    CaseDocument, IndexError, QueryLimits, SearchFilters, SearchIndex, SearchQuery,
};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

/// The stack of a tokio worker thread, where the API runs searches (`spawn_blocking`).
const STACK_BYTES: usize = 2 * 1024 * 1024;
const DEFAULT_CASES: u64 = 10_000;

/// Known attacks and ordinary queries, each run as is and then mutated.
const SEED_CORPUS: &[&str] = &[
    "katulamppu",
    "katulampun rikki",
    "\"katulamppu on rikki\"",
    "lamppu -rikki",
    "-katulamppu",
    "NOT katulamppu",
    "-a -b",
    "katulamppu OR -rikki",
    "(a OR b) AND NOT (c OR -d)",
    "+a +b -c",
    "NOT NOT NOT a",
    "text_fi:*",
    "reference:x",
    "reference:*",
    "foo:bar",
    "12:30",
    "status:new",
    "case_id:1",
    "created_at:[2020-01-01T00:00:00Z TO *]",
    "text_fi:(katulamppu OR (gatlykta",
    "title:(a b",
    "*",
    "?",
    "^2",
    "a^2.5",
    "a^99999999999999999999999999999999999999",
    "~",
    "\"a b\"~3",
    "\"a b\"*",
    "lamp*",
    "[a TO b]",
    "{a TO b}",
    "[* TO *]",
    "{",
    "}",
    "IN [a b c]",
    "text_fi: IN [a",
    "/kat.*/",
    "/(((((((((((a)))))))))))/",
    ">=5",
    "<3",
    "a AND",
    "OR a",
    "NOT",
    "AND OR NOT",
    "(((",
    ")))",
    "\"unbalanced",
    "'single quoted'",
    "\\",
    "\\:",
    "a\\ b",
    "a\\(b",
    "HEL-2026-000123",
    "-HEL-2026-000123",
    "gatlyktan",
    "pothole",
    "Mannerheimintien",
    "ka\u{0308}tu",
    "",
    "   ",
];

/// Fragments of tantivy's grammar and of ours.
const OPERATORS: &[&str] = &[
    "(", ")", "\"", "'", ":", "*", "?", "^", "^2", "~", "~2", "[", "]", "{", "}", "/", "\\", "<",
    ">", "<=", ">=", "=", "!", "+", "-", "&&", "||", "AND", "OR", "NOT", "IN", "TO", " AND ",
    " OR ", "NOT ", " TO ", "IN [", "*:*", " ",
];

/// What a nesting burst repeats: every construct a recursive-descent parser might recurse
/// on, ours or tantivy's (`(`, `NOT `, `field:(`), and the chains we count as levels.
const BURST_UNITS: &[&str] = &[
    "(",
    "NOT ",
    "-",
    "+",
    "- ",
    "\"",
    "-(",
    "+(",
    "NOT (",
    "(NOT ",
    "NOT -",
    "text_fi:(",
    "a:(",
    "a OR (",
    "(a ",
    ")",
    "[",
    "{",
    "\\",
];

const FIELDS: &[&str] = &[
    "text_fi:",
    "text_sv:",
    "text_en:",
    "reference:",
    "status:",
    "unit_code:",
    "language:",
    "case_id:",
    "created_at:",
    "foo:",
    "12:",
    "a.b:",
    "\"text_fi\":",
];

const WORDS: &[&str] = &[
    "katulamppu",
    "rikki",
    "gatlyktan",
    "pothole",
    "roskakori",
    "school",
    "HEL-2026-000003",
    "a",
    "ä",
    "x",
    "12",
];

fn documents() -> Vec<CaseDocument> {
    let texts: [(Option<Language>, &str); 10] = [
        (
            Some(Language::Fi),
            "Katulamppu on rikki Mannerheimintiellä kello 12:30",
        ),
        (Some(Language::Fi), "Roskakori on täynnä (taas)"),
        (Some(Language::Sv), "Gatlyktan är trasig"),
        (Some(Language::Sv), "Katulamppu heter gatlykta på finska"),
        (Some(Language::En), "The katulamppu by the school is out"),
        (Some(Language::En), "Pothole on the road: 12 cm deep"),
        (None, "Katulamppu gatlyktan potholes"),
        (None, "Roskis puisto park"),
        (Some(Language::Fi), "text_fi:* status:new \"lainaus\""),
        (None, ""),
    ];
    texts
        .into_iter()
        .zip(1_i64..)
        .map(|((language, description), case_id)| CaseDocument {
            case_id,
            reference: format!("HEL-2026-{case_id:06}"),
            title: (case_id % 3 == 0).then(|| "Otsikko title rubrik".to_owned()),
            description: description.to_owned(),
            category_code: None,
            unit_code: Some(if case_id % 2 == 0 { "streets" } else { "parks" }.to_owned()),
            status: if case_id % 4 == 0 { "routed" } else { "new" }.to_owned(),
            channel: "web".to_owned(),
            language,
            created_at: Utc
                .timestamp_opt(1_767_225_600 + case_id * 60, 0)
                .single()
                .expect("a valid timestamp"),
        })
        .collect()
}

fn env_number(name: &str) -> Option<u64> {
    let value = std::env::var(name).ok()?;
    match value.trim().parse() {
        Ok(number) => Some(number),
        Err(_) => panic!("{name} must be a whole number, not {value:?}"),
    }
}

/// A character from a class chosen at random: everyday letters, whitespace of every kind,
/// combining marks, invisible and bidirectional controls, emoji, or any scalar value.
fn random_char(rng: &mut StdRng) -> char {
    match rng.random_range(0..10) {
        0..=2 => rng.random_range(' '..='~'),
        3 => *['ä', 'ö', 'å', 'Ä', 'Ö', 'Å', 'é', 'ß', 'ı', 'İ']
            .choose(rng)
            .expect("non-empty"),
        4 => *[
            '\t', '\n', '\r', '\u{a0}', '\u{2028}', '\u{3000}', '\u{85}', '\u{0b}',
        ]
        .choose(rng)
        .expect("non-empty"),
        5 => rng.random_range('\u{300}'..='\u{36f}'),
        6 => *[
            '\u{0}', '\u{200b}', '\u{200d}', '\u{200e}', '\u{202e}', '\u{feff}', '\u{fffd}',
        ]
        .choose(rng)
        .expect("non-empty"),
        7 => rng.random_range('\u{1f300}'..='\u{1faff}'),
        8 => rng.random_range('\u{ff01}'..='\u{ff5e}'),
        _ => rng.random::<char>(),
    }
}

fn random_text(rng: &mut StdRng, max_len: usize) -> String {
    let len = rng.random_range(0..=max_len);
    (0..len).map(|_| random_char(rng)).collect()
}

/// A length skewed towards small, with the occasional huge one.
fn burst_len(rng: &mut StdRng) -> usize {
    match rng.random_range(0..10) {
        0..=4 => rng.random_range(1..=40),
        5..=7 => rng.random_range(30..=300),
        _ => rng.random_range(300..=3_000),
    }
}

fn operator_soup(rng: &mut StdRng) -> String {
    let mut text = String::new();
    for _ in 0..rng.random_range(1..=30) {
        match rng.random_range(0..4) {
            0 => text.push_str(WORDS.choose(rng).expect("non-empty")),
            1 => text.push(random_char(rng)),
            _ => text.push_str(OPERATORS.choose(rng).expect("non-empty")),
        }
        if rng.random_bool(0.5) {
            text.push(' ');
        }
    }
    text
}

fn nesting_burst(rng: &mut StdRng) -> String {
    let unit = BURST_UNITS.choose(rng).expect("non-empty");
    let count = burst_len(rng);
    let mut text = String::new();
    if rng.random_bool(0.3) {
        text.push_str(WORDS.choose(rng).expect("non-empty"));
        text.push(' ');
    }
    text.push_str(&unit.repeat(count));
    if rng.random_bool(0.7) {
        text.push_str(WORDS.choose(rng).expect("non-empty"));
    }
    if rng.random_bool(0.5) {
        text.push_str(&")".repeat(rng.random_range(0..=count)));
    }
    text
}

fn field_query(rng: &mut StdRng) -> String {
    let field = FIELDS.choose(rng).expect("non-empty");
    let value = match rng.random_range(0..5) {
        0 => "*".to_owned(),
        1 => format!("({} OR {}", WORDS[0], WORDS[2]),
        2 => "[a TO *]".to_owned(),
        3 => random_text(rng, 8),
        _ => (*WORDS.choose(rng).expect("non-empty")).to_owned(),
    };
    format!("{field}{value}")
}

fn long_word(rng: &mut StdRng) -> String {
    let unit = ["a", "ä", "7", "katulamppu", "-", "\u{301}", "🦀"]
        .choose(rng)
        .expect("non-empty");
    unit.repeat(rng.random_range(40..=2_500))
}

/// Inserts, deletes, duplicates, splices or repeats at character boundaries.
fn mutate(rng: &mut StdRng, seed: &str) -> String {
    let mut chars: Vec<char> = seed.chars().collect();
    for _ in 0..rng.random_range(1..=6) {
        let at = rng.random_range(0..=chars.len());
        match rng.random_range(0..6) {
            0 => chars.insert(at, random_char(rng)),
            1 => {
                let operator = OPERATORS.choose(rng).expect("non-empty");
                chars.splice(at..at, operator.chars());
            }
            2 if !chars.is_empty() => {
                let end = rng.random_range(at..=chars.len());
                chars.drain(at..end);
            }
            3 => {
                let end = rng.random_range(at..=chars.len());
                let copy: Vec<char> = chars[at..end].to_vec();
                chars.splice(at..at, copy);
            }
            4 => {
                let other = SEED_CORPUS.choose(rng).expect("non-empty");
                chars.splice(at..at, other.chars());
            }
            _ if chars.len() < 5_000 => {
                let copy = chars.clone();
                for _ in 0..rng.random_range(1..=8) {
                    chars.extend_from_slice(&copy);
                }
            }
            _ => {}
        }
    }
    chars.into_iter().collect()
}

fn generate(rng: &mut StdRng, case_number: u64) -> String {
    // Every seed is run as is first.
    if let Some(seed) = usize::try_from(case_number)
        .ok()
        .and_then(|index| SEED_CORPUS.get(index))
    {
        return (*seed).to_owned();
    }
    let pieces = if rng.random_bool(0.2) {
        rng.random_range(2..=4)
    } else {
        1
    };
    let mut text = String::new();
    for _ in 0..pieces {
        let piece = match rng.random_range(0..7) {
            0 => random_text(rng, 120),
            1 => operator_soup(rng),
            2 => nesting_burst(rng),
            3 => field_query(rng),
            4 => long_word(rng),
            _ => {
                let seed = SEED_CORPUS.choose(rng).expect("non-empty");
                mutate(rng, seed)
            }
        };
        if !text.is_empty() && rng.random_bool(0.7) {
            text.push(' ');
        }
        text.push_str(&piece);
    }
    text
}

/// Mostly the defaults; sometimes room enough for the deepest bursts to reach the nesting
/// check (up to the hard cap), sometimes tiny limits.
fn limits(rng: &mut StdRng) -> QueryLimits {
    match rng.random_range(0..10) {
        0..=6 => QueryLimits::default(),
        7 | 8 => QueryLimits {
            max_chars: 1_000_000,
            max_nesting: *[32, 100, QueryLimits::HARD_MAX_NESTING, usize::MAX]
                .choose(rng)
                .expect("non-empty"),
        },
        _ => QueryLimits {
            max_chars: rng.random_range(0..=64),
            max_nesting: rng.random_range(0..=8),
        },
    }
}

fn search_for(rng: &mut StdRng, text: String) -> SearchQuery {
    let mut filters = SearchFilters::default();
    if rng.random_bool(0.1) {
        filters.status = Some("new".to_owned());
    }
    if rng.random_bool(0.1) {
        filters.language = Some(["fi", "sv", "en", "und"][rng.random_range(0..4)].to_owned());
    }
    SearchQuery {
        text,
        filters,
        limit: rng.random_range(0..=20),
        offset: rng.random_range(0..=3),
    }
}

/// Why an answer is wrong, if it is.
fn check(
    search: &SearchQuery,
    limits: &QueryLimits,
    answer: &Result<palaute_search_index::SearchResults, IndexError>,
    documents: u64,
) -> Result<Outcome, String> {
    let chars: Vec<char> = search.text.chars().collect();
    match answer {
        Ok(results) => {
            if results.total_count > documents
                || results.case_ids.len() > search.limit
                || results
                    .case_ids
                    .iter()
                    .any(|id| !(1..=documents as i64).contains(id))
            {
                return Err(format!("impossible results {results:?}"));
            }
            if chars.len() > limits.max_chars {
                return Err(format!(
                    "{} characters were searched despite max_chars {}",
                    chars.len(),
                    limits.max_chars
                ));
            }
            Ok(Outcome::Searched)
        }
        Err(IndexError::QueryTooLong {
            position,
            max_chars,
        }) => {
            if chars.len() > limits.max_chars
                && *position == limits.max_chars
                && *max_chars == limits.max_chars
            {
                Ok(Outcome::TooLong)
            } else {
                Err(format!("wrong refusal {:?}", answer.as_ref().err()))
            }
        }
        Err(IndexError::QueryTooDeep {
            position,
            max_nesting,
        }) => {
            let expected_max = limits.max_nesting.min(QueryLimits::HARD_MAX_NESTING);
            let at_an_opener = match chars.get(*position) {
                Some('(' | '-' | '+') => true,
                Some('N') => chars.get(position + 1..position + 3) == Some(&['O', 'T'][..]),
                _ => false,
            };
            if chars.len() <= limits.max_chars && *max_nesting == expected_max && at_an_opener {
                Ok(Outcome::TooDeep)
            } else {
                Err(format!("wrong refusal {:?}", answer.as_ref().err()))
            }
        }
        Err(other) => Err(format!("unexpected error: {other}")),
    }
}

#[derive(Debug, Default)]
struct Tally {
    executions: u64,
    searched: u64,
    too_long: u64,
    too_deep: u64,
    findings: Vec<String>,
}

enum Outcome {
    Searched,
    TooLong,
    TooDeep,
}

fn run(index: &SearchIndex, seed: u64, cases: u64, budget: Option<Duration>) -> Tally {
    let documents = index.document_count();
    let mut rng = StdRng::seed_from_u64(seed);
    let started = Instant::now();
    let mut tally = Tally::default();
    for case_number in 0..cases {
        if budget.is_some_and(|budget| started.elapsed() > budget) {
            break;
        }
        let text = generate(&mut rng, case_number);
        let limits = limits(&mut rng);
        let search = search_for(&mut rng, text);
        tally.executions += 1;
        let answer = catch_unwind(AssertUnwindSafe(|| {
            index.search_with_limits(&search, &limits)
        }));
        let verdict = match answer {
            Ok(answer) => check(&search, &limits, &answer, documents),
            Err(_) => Err("panicked".to_owned()),
        };
        match verdict {
            Ok(Outcome::Searched) => tally.searched += 1,
            Ok(Outcome::TooLong) => tally.too_long += 1,
            Ok(Outcome::TooDeep) => tally.too_deep += 1,
            Err(problem) => {
                let shown: String = search.text.chars().take(200).collect();
                tally.findings.push(format!(
                    "case {case_number}: {problem}; limits {limits:?}; text ({} chars) {shown:?}",
                    search.text.chars().count()
                ));
            }
        }
    }
    tally
}

#[test]
fn hostile_queries_never_crash_the_search() {
    let seed = env_number("PALAUTE_FUZZ_SEED").unwrap_or_else(rand::random);
    let cases = env_number("PALAUTE_FUZZ_CASES").unwrap_or(DEFAULT_CASES);
    let budget = env_number("PALAUTE_FUZZ_SECONDS").map(Duration::from_secs);
    // Straight to stderr, past the test harness's capture: a stack overflow aborts the
    // process before any captured output would be shown.
    let _ = writeln!(
        std::io::stderr(),
        "hostile_queries: PALAUTE_FUZZ_SEED={seed} PALAUTE_FUZZ_CASES={cases}"
    );

    let index = SearchIndex::open_in_memory().expect("in-memory index opens");
    index.upsert(&documents()).expect("cases index");

    let started = Instant::now();
    let tally = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("fuzz".to_owned())
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || run(&index, seed, cases, budget))
            .expect("fuzz thread starts")
            .join()
            .expect("fuzz thread finishes")
    });
    let _ = writeln!(
        std::io::stderr(),
        "hostile_queries: {} executions in {:.1?} (seed {seed}): {} searched, {} too long, \
         {} too deep, {} findings",
        tally.executions,
        started.elapsed(),
        tally.searched,
        tally.too_long,
        tally.too_deep,
        tally.findings.len()
    );
    assert!(
        tally.findings.is_empty(),
        "seed {seed}: {} findings, first ones:\n{}",
        tally.findings.len(),
        tally.findings[..tally.findings.len().min(10)].join("\n")
    );
    assert!(tally.too_deep > 0 && tally.too_long > 0 && tally.searched > 0);
}

/// The deepest nesting any configuration allows, built of every construct that nests,
/// searched on the same small stack.
#[test]
fn the_deepest_allowed_nesting_fits_a_small_stack() {
    let index = SearchIndex::open_in_memory().expect("in-memory index opens");
    index.upsert(&documents()).expect("cases index");
    let deepest = QueryLimits {
        max_chars: usize::MAX,
        max_nesting: QueryLimits::HARD_MAX_NESTING,
    };
    let levels = QueryLimits::HARD_MAX_NESTING;
    let texts = [
        format!("{}katulamppu{}", "(".repeat(levels), ")".repeat(levels)),
        format!("{}katulamppu", "NOT ".repeat(levels)),
        format!("{}katulamppu", "-(".repeat(levels / 2)),
        // Three levels a unit: `(`, `-`, `(`.
        format!("{}katulamppu", "(a OR -(b ".repeat(levels / 3)),
        format!("{}katulamppu", "(a -(".repeat(levels / 3)),
        format!("{}katulamppu", "NOT (".repeat(levels / 2)),
    ];
    std::thread::scope(|scope| {
        std::thread::Builder::new()
            .stack_size(STACK_BYTES)
            .spawn_scoped(scope, || {
                for text in &texts {
                    let search = SearchQuery {
                        text: text.clone(),
                        limit: 10,
                        ..SearchQuery::default()
                    };
                    if let Err(error) = index.search_with_limits(&search, &deepest) {
                        panic!("{}…: {error}", &text[..40]);
                    }
                    // Every text above nests 255 or 256 levels.
                    let deeper = SearchQuery {
                        text: format!("(({text}))"),
                        ..search
                    };
                    assert!(matches!(
                        index.search_with_limits(&deeper, &deepest),
                        Err(IndexError::QueryTooDeep { .. })
                    ));
                }
            })
            .expect("thread starts")
            .join()
            .expect("no search panicked");
    });
}
