use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use palaute_core::Language;

use super::*;
use crate::query::{QueryLimits, SearchFilters};
use tantivy::TantivyDocument;

fn case(case_id: i64, language: Option<Language>, description: &str) -> CaseDocument {
    CaseDocument {
        case_id,
        reference: format!("HEL-2026-{case_id:06}"),
        title: None,
        description: description.to_owned(),
        category_code: None,
        unit_code: None,
        status: "new".to_owned(),
        channel: "web".to_owned(),
        language,
        created_at: Utc
            .timestamp_opt(1_767_225_600 + case_id * 60, 0)
            .single()
            .unwrap_or_default(),
    }
}

fn text(text: &str) -> SearchQuery {
    SearchQuery {
        text: text.to_owned(),
        limit: 100,
        ..SearchQuery::default()
    }
}

fn filtered(filters: SearchFilters) -> SearchQuery {
    SearchQuery {
        filters,
        limit: 100,
        ..SearchQuery::default()
    }
}

fn found(index: &SearchIndex, query: &SearchQuery) -> Vec<i64> {
    match index.search(query) {
        Ok(results) => results.case_ids,
        Err(error) => panic!("search {query:?} failed: {error}"),
    }
}

fn memory_index_with(cases: &[CaseDocument]) -> SearchIndex {
    let index = SearchIndex::open_in_memory().expect("in-memory index opens");
    index.upsert(cases).expect("cases index");
    index
}

#[test]
fn finnish_genitive_finds_the_nominative() {
    let index = memory_index_with(&[
        case(
            1,
            Some(Language::Fi),
            "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa",
        ),
        case(2, Some(Language::Fi), "Roskis on täynnä"),
    ]);
    assert_eq!(found(&index, &text("katulampun")), [1]);
    assert_eq!(found(&index, &text("Mannerheimintie")), [1]);
    assert_eq!(found(&index, &text("runeberginkatu")), [1]);
    assert_eq!(found(&index, &text("katulamppu rikki")), [1]);
}

#[test]
fn decomposed_letters_match_composed_ones() {
    let index = memory_index_with(&[case(1, Some(Language::Fi), "Jalkakäytävä on liukas")]);
    assert_eq!(
        found(
            &index,
            &text("jalkaka\u{0308}yta\u{0308}va\u{0308}lla\u{0308}")
        ),
        [1]
    );
}

#[test]
fn words_are_combined_with_and() {
    let index = memory_index_with(&[
        case(1, Some(Language::Fi), "Katulamppu on rikki"),
        case(2, Some(Language::Fi), "Katulamppu palaa päivällä"),
    ]);
    assert_eq!(found(&index, &text("katulamppu rikki")), [1]);
    assert_eq!(found(&index, &text("katulamppu OR palaa")).len(), 2);
}

#[test]
fn swedish_definite_and_indefinite_find_each_other() {
    let index = memory_index_with(&[
        case(1, Some(Language::Sv), "Gatlyktan är trasig"),
        case(2, Some(Language::Sv), "En gatlykta lyser inte"),
    ]);
    assert_eq!(found(&index, &text("gatlykta")), [1, 2]);
    assert_eq!(found(&index, &text("gatlyktan")), [1, 2]);
}

#[test]
fn english_plural_finds_the_singular() {
    let index = memory_index_with(&[case(1, Some(Language::En), "Two potholes on the road")]);
    assert_eq!(found(&index, &text("pothole")), [1]);
}

#[test]
fn case_of_unknown_language_is_found_in_every_language() {
    let index = memory_index_with(&[case(1, None, "Katulamppu gatlyktan potholes")]);
    for query in ["katulampun", "gatlykta", "pothole"] {
        assert_eq!(found(&index, &text(query)), [1], "{query}");
    }
}

#[test]
fn reference_is_found_exactly_and_case_insensitively() {
    let index = memory_index_with(&[
        case(123, Some(Language::Fi), "Puu kaatunut"),
        case(124, Some(Language::Fi), "Puu kaatunut tielle"),
        case(1230, Some(Language::Fi), "Puu kaatunut"),
    ]);
    assert_eq!(found(&index, &text("HEL-2026-000123")), [123]);
    assert_eq!(found(&index, &text("hel-2026-000123")), [123]);
    assert_eq!(found(&index, &text("  HEL-2026-000124 ")), [124]);
}

#[test]
fn title_is_searched_like_the_description() {
    let mut titled = case(1, Some(Language::En), "Near the school");
    titled.title = Some("Broken swing".to_owned());
    let index = memory_index_with(&[titled]);
    assert_eq!(found(&index, &text("swings school")), [1]);
}

fn routed_cases() -> Vec<CaseDocument> {
    let mut cases = Vec::new();
    for (case_id, unit, category, status, channel, language) in [
        (
            1,
            Some("streets"),
            Some("lighting"),
            "routed",
            "web",
            Some(Language::Fi),
        ),
        (
            2,
            Some("streets"),
            Some("potholes"),
            "routed",
            "email",
            Some(Language::Fi),
        ),
        (
            3,
            Some("parks"),
            Some("litter"),
            "routed",
            "web",
            Some(Language::Sv),
        ),
        (4, None, None, "needs_triage", "phone", None),
        (
            5,
            Some("streets"),
            Some("lighting"),
            "new",
            "web",
            Some(Language::En),
        ),
    ] {
        let mut document = case(case_id, language, "palaute feedback respons");
        document.unit_code = unit.map(str::to_owned);
        document.category_code = category.map(str::to_owned);
        document.status = status.to_owned();
        document.channel = channel.to_owned();
        cases.push(document);
    }
    cases
}

#[test]
fn filters_select_exact_values_and_combine() {
    let index = memory_index_with(&routed_cases());
    let by = |filters: SearchFilters| {
        let mut ids = found(&index, &filtered(filters));
        ids.sort_unstable();
        ids
    };
    let some = |value: &str| Some(value.to_owned());

    assert_eq!(
        by(SearchFilters {
            unit_code: some("streets"),
            ..Default::default()
        }),
        [1, 2, 5]
    );
    assert_eq!(
        by(SearchFilters {
            category_code: some("lighting"),
            ..Default::default()
        }),
        [1, 5]
    );
    assert_eq!(
        by(SearchFilters {
            status: some("needs_triage"),
            ..Default::default()
        }),
        [4]
    );
    assert_eq!(
        by(SearchFilters {
            channel: some("web"),
            ..Default::default()
        }),
        [1, 3, 5]
    );
    assert_eq!(
        by(SearchFilters {
            language: some("und"),
            ..Default::default()
        }),
        [4]
    );
    assert_eq!(
        by(SearchFilters {
            language: some("sv"),
            ..Default::default()
        }),
        [3]
    );
    assert_eq!(
        by(SearchFilters {
            unit_code: some("streets"),
            channel: some("web"),
            status: some("routed"),
            ..Default::default()
        }),
        [1]
    );
    assert_eq!(
        by(SearchFilters {
            unit_code: some("Streets"),
            ..Default::default()
        }),
        [0; 0]
    );

    let mut filtered_text = text("feedback");
    filtered_text.filters.unit_code = some("parks");
    assert_eq!(found(&index, &filtered_text), [3]);
}

#[test]
fn facets_count_all_matches_most_frequent_first() {
    let index = memory_index_with(&routed_cases());
    let mut query = filtered(SearchFilters::default());
    query.limit = 1;
    let results = index.search(&query).expect("search succeeds");
    assert_eq!(results.total_count, 5);
    assert_eq!(results.case_ids.len(), 1);

    let counts = |pairs: &[(&str, u64)]| -> Vec<(String, u64)> {
        pairs
            .iter()
            .map(|(value, count)| ((*value).to_owned(), *count))
            .collect()
    };
    let facets = results.facets;
    assert_eq!(facets.unit_code, counts(&[("streets", 3), ("parks", 1)]));
    assert_eq!(
        facets.category_code,
        counts(&[("lighting", 2), ("litter", 1), ("potholes", 1)])
    );
    assert_eq!(
        facets.status,
        counts(&[("routed", 3), ("needs_triage", 1), ("new", 1)])
    );
    assert_eq!(
        facets.channel,
        counts(&[("web", 3), ("email", 1), ("phone", 1)])
    );
    assert_eq!(
        facets.language,
        counts(&[("fi", 2), ("en", 1), ("sv", 1), ("und", 1)])
    );

    let mut streets = filtered(SearchFilters {
        unit_code: Some("streets".to_owned()),
        ..Default::default()
    });
    streets.limit = 0;
    let results = index.search(&streets).expect("search succeeds");
    assert_eq!(results.total_count, 3);
    assert!(results.case_ids.is_empty());
    assert_eq!(
        results.facets.category_code,
        counts(&[("lighting", 2), ("potholes", 1)])
    );
}

/// A scope is part of the query: hits, the total and every facet count only the cases
/// of the searcher's units, with or without text.
#[test]
fn scope_limits_hits_counts_and_facets() {
    let index = memory_index_with(&routed_cases());
    let everything = index
        .search(&filtered(SearchFilters::default()))
        .expect("search succeeds");
    let mut scoped = filtered(SearchFilters {
        within_units: Some(vec!["parks".to_owned()]),
        ..SearchFilters::default()
    });
    let results = index.search(&scoped).expect("search succeeds");
    assert_eq!(results.total_count, 1);
    assert!(everything.total_count > results.total_count);
    assert_eq!(results.facets.unit_code, [("parks".to_owned(), 1)]);
    let in_scope: u64 = results.facets.status.iter().map(|(_, count)| count).sum();
    assert_eq!(in_scope, 1, "facets count only cases in scope");
    // A unit filter outside the scope finds nothing rather than widening it.
    scoped.filters.unit_code = Some("streets".to_owned());
    assert_eq!(index.search(&scoped).expect("search").total_count, 0);
    // No units at all: nothing.
    let nothing = filtered(SearchFilters {
        within_units: Some(Vec::new()),
        ..SearchFilters::default()
    });
    assert_eq!(index.search(&nothing).expect("search").total_count, 0);
}

#[test]
fn upsert_replaces_the_earlier_version_of_a_case() {
    let index = memory_index_with(&[case(7, Some(Language::En), "Broken bench")]);
    index
        .upsert(&[case(7, Some(Language::En), "Graffiti on the wall")])
        .expect("reindexing succeeds");
    assert_eq!(index.document_count(), 1);
    assert!(found(&index, &text("bench")).is_empty());
    assert_eq!(found(&index, &text("graffiti")), [7]);

    // Within one batch the last version wins.
    index
        .upsert(&[
            case(8, Some(Language::En), "first version"),
            case(8, Some(Language::En), "second version"),
        ])
        .expect("batch indexes");
    assert_eq!(index.document_count(), 2);
    assert_eq!(found(&index, &text("version")), [8]);
    assert!(found(&index, &text("first")).is_empty());
}

#[test]
fn clear_removes_every_case() {
    let index = memory_index_with(&routed_cases());
    index.clear().expect("clear succeeds");
    assert_eq!(index.document_count(), 0);
    let results = index
        .search(&filtered(SearchFilters::default()))
        .expect("search succeeds");
    assert_eq!(results.total_count, 0);
    assert_eq!(results.facets, Facets::default());

    index
        .upsert(&routed_cases())
        .expect("reindexing after clear succeeds");
    assert_eq!(index.document_count(), 5);
}

#[test]
fn pages_partition_the_matches() {
    let cases: Vec<_> = (1..=25)
        .map(|case_id| case(case_id, Some(Language::En), "streetlight out"))
        .collect();
    let index = memory_index_with(&cases);
    let page = |offset: usize, limit: usize| {
        let mut query = text("streetlight");
        query.offset = offset;
        query.limit = limit;
        index.search(&query).expect("search succeeds")
    };

    let mut seen = Vec::new();
    for offset in (0..25).step_by(10) {
        let results = page(offset, 10);
        assert_eq!(results.total_count, 25);
        seen.extend(results.case_ids);
    }
    assert_eq!(seen.len(), 25);
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 25, "pages overlap");

    assert_eq!(page(20, 10).case_ids.len(), 5);
    let beyond = page(100, 10);
    assert_eq!((beyond.total_count, beyond.case_ids.len()), (25, 0));
    assert_eq!(page(0, usize::MAX).case_ids.len(), 25);
}

#[test]
fn empty_text_matches_everything_newest_first() {
    let index = memory_index_with(&[
        case(2, Some(Language::Fi), "b"),
        case(3, Some(Language::Fi), "c"),
        case(1, Some(Language::Fi), "a"),
    ]);
    assert_eq!(found(&index, &text("   ")), [3, 2, 1]);
}

#[test]
fn malformed_queries_are_repaired_not_rejected() {
    let index = memory_index_with(&[case(1, Some(Language::Fi), "Katulamppu on rikki")]);
    for junk in [
        "\"unbalanced",
        "katulamppu AND",
        "AND",
        "(((",
        ")",
        "text_fi:",
        "case_id:abc",
        "-",
        "*",
        ":::",
        "^2",
        "[a TO",
        "katulamppu\"",
        "!!!",
        "AND",
    ] {
        if let Err(error) = index.search(&text(junk)) {
            panic!("{junk:?} was rejected: {error}");
        }
    }
    assert_eq!(found(&index, &text("\"katulamppu")), [1]);
    assert_eq!(found(&index, &text("katulamppu AND")), [1]);
}

#[test]
fn index_on_disk_survives_reopening() {
    let folder = tempfile::tempdir().expect("temp dir");
    let path = folder.path().join("index");
    {
        let index = SearchIndex::open(&path).expect("creates the index");
        index.upsert(&routed_cases()).expect("indexes");
    }
    let index = SearchIndex::open(&path).expect("reopens the index");
    assert_eq!(index.document_count(), 5);
    assert_eq!(found(&index, &text("HEL-2026-000003")), [3]);
}

#[test]
fn a_second_writer_is_refused_and_a_reader_follows_the_writer() {
    let folder = tempfile::tempdir().expect("temp dir");
    let writer = SearchIndex::open(folder.path()).expect("opens");
    assert!(matches!(
        SearchIndex::open(folder.path()),
        Err(IndexError::Locked { .. })
    ));

    let reader = SearchIndex::open_read_only(folder.path()).expect("opens read-only");
    assert!(matches!(
        reader.upsert(&routed_cases()),
        Err(IndexError::ReadOnly)
    ));
    assert!(matches!(reader.clear(), Err(IndexError::ReadOnly)));

    writer.upsert(&routed_cases()).expect("indexes");
    let deadline = Instant::now() + Duration::from_secs(10);
    while reader.document_count() < 5 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(reader.document_count(), 5);
}

#[test]
fn index_of_another_schema_is_reported_or_recreated() {
    let folder = tempfile::tempdir().expect("temp dir");
    {
        let mut builder = tantivy::schema::Schema::builder();
        builder.add_text_field("old_field", tantivy::schema::TEXT);
        let old = Index::create_in_dir(folder.path(), builder.build()).expect("old index");
        let mut writer: IndexWriter = old.writer_with_num_threads(1, 15_000_000).expect("writer");
        let mut document = TantivyDocument::new();
        let old_field = old.schema().get_field("old_field").expect("field");
        document.add_text(old_field, "stale");
        writer.add_document(document).expect("adds");
        writer.commit().expect("commits");
    }

    let error = SearchIndex::open(folder.path()).expect_err("schema differs");
    assert!(matches!(error, IndexError::SchemaChanged { .. }));
    assert!(error.to_string().contains("palaute reindex"));
    assert!(matches!(
        SearchIndex::open_read_only(folder.path()),
        Err(IndexError::SchemaChanged { .. })
    ));

    let index = SearchIndex::open_or_recreate(folder.path()).expect("recreates");
    assert_eq!(index.document_count(), 0);
    index.upsert(&routed_cases()).expect("indexes");
    drop(index);
    let index = SearchIndex::open(folder.path()).expect("now current");
    assert_eq!(index.document_count(), 5);
}

/// Indexing throughput, for the record: `cargo test --release -p palaute-search-index
/// -- --ignored --nocapture indexing_throughput`. Prints a figure, asserts nothing timed.
#[test]
#[ignore]
fn indexing_throughput() {
    const CASES: i64 = 10_000;
    let languages = [
        Some(Language::Fi),
        Some(Language::Sv),
        Some(Language::En),
        None,
    ];
    let cases: Vec<_> = (1..=CASES)
        .map(|case_id| {
            let mut document = case(
                case_id,
                languages[(case_id % 4) as usize],
                "Katulamppu on rikki Mannerheimintien ja Runeberginkadun kulmassa. \
                 Gatlyktan vid hörnet är trasig sedan i går kväll. \
                 There are deep potholes on the cycle path next to the school.",
            );
            document.title = Some(format!("Palaute numero {case_id}"));
            document.unit_code = Some(format!("unit-{}", case_id % 12));
            document.category_code = Some(format!("category-{}", case_id % 40));
            document
        })
        .collect();
    let folder = tempfile::tempdir().expect("temp dir");
    let index = SearchIndex::open(folder.path()).expect("opens");

    let started = Instant::now();
    index.upsert(&cases).expect("indexes");
    let elapsed = started.elapsed();
    println!(
        "indexed {CASES} cases in one batch in {elapsed:.2?}: {:.0} cases/s",
        CASES as f64 / elapsed.as_secs_f64()
    );

    let started = Instant::now();
    let results = index.search(&text("katulampun")).expect("search succeeds");
    println!(
        "searched {} matches with facets in {:.2?}",
        results.total_count,
        started.elapsed()
    );
}

/// Cases in every language, some of them quoting a Finnish word, oldest first.
fn multilingual_cases() -> Vec<CaseDocument> {
    vec![
        case(
            1,
            Some(Language::Fi),
            "Katulamppu on rikki Mannerheimintiellä kello 12:30",
        ),
        case(2, Some(Language::Fi), "Roskakori on täynnä"),
        case(3, Some(Language::Sv), "Gatlyktan är trasig"),
        case(4, Some(Language::Sv), "Katulamppu heter gatlykta på finska"),
        case(5, Some(Language::En), "The katulamppu by the school is out"),
        case(6, Some(Language::En), "Pothole on the road"),
        case(7, None, "Katulamppu gatlyktan potholes"),
        case(8, None, "Roskis puisto park"),
    ]
}

#[test]
fn excluding_alone_keeps_every_case_without_the_word_in_any_language() {
    let index = memory_index_with(&multilingual_cases());
    // Newest first: excluding says nothing about relevance.
    for query in [
        "-katulamppu",
        "NOT katulamppu",
        "NOT (katulamppu)",
        "-(-(-katulamppu))",
    ] {
        assert_eq!(found(&index, &text(query)), [8, 6, 3, 2], "{query}");
    }
    // Excluding is the complement of finding: only the Finnish reading stems the genitive
    // "katulampun" like "katulamppu", so it finds the Finnish and unknown-language cases.
    let mut genitive = found(&index, &text("katulampun"));
    genitive.sort_unstable();
    assert_eq!(genitive, [1, 7]);
    assert_eq!(found(&index, &text("-katulampun")), [8, 6, 5, 4, 3, 2]);
    assert_eq!(
        found(&index, &text("-katulamppu -pothole")),
        [8, 3, 2],
        "an English word excludes English and unknown-language cases"
    );
    assert_eq!(found(&index, &text("-gatlyktan")), [8, 6, 5, 2, 1]);
    assert_eq!(
        found(&index, &text("-katulamppu OR -gatlykta")),
        [8, 6, 5, 3, 2, 1]
    );
    assert_eq!(
        found(&index, &text("-HEL-2026-000001")),
        [8, 7, 6, 5, 4, 3, 2]
    );
    let results = index.search(&text("-katulamppu")).expect("search succeeds");
    assert_eq!(results.total_count, 4);
    assert_eq!(
        results.facets.language,
        [
            ("en".to_owned(), 1),
            ("fi".to_owned(), 1),
            ("sv".to_owned(), 1),
            ("und".to_owned(), 1)
        ]
    );
}

#[test]
fn mixed_queries_exclude_within_the_matches() {
    let index = memory_index_with(&multilingual_cases());
    let sorted = |query: &str| {
        let mut ids = found(&index, &text(query));
        ids.sort_unstable();
        ids
    };
    assert_eq!(sorted("katulamppu"), [1, 4, 5, 7]);
    assert_eq!(sorted("katulamppu -rikki"), [4, 5, 7]);
    assert_eq!(sorted("katulamppu NOT rikki"), [4, 5, 7]);
    assert_eq!(sorted("katulamppu -(rikki OR school)"), [4, 7]);
    assert_eq!(sorted("roskakori OR -katulamppu"), [2, 3, 6, 8]);
    assert_eq!(sorted("HEL-2026-000004 -finska"), [0; 0]);
    // Double negation is the word itself.
    assert_eq!(sorted("NOT NOT katulamppu"), [1, 4, 5, 7]);
}

#[test]
fn tantivy_syntax_is_ordinary_text_and_never_an_error() {
    let mut cases = multilingual_cases();
    cases.push(case(
        9,
        Some(Language::En),
        "foo bar, text fi and status new",
    ));
    let index = memory_index_with(&cases);
    // Field prefixes are words: `12:30` is the phrase "12 30", and no field is ever
    // queried directly (on tantivy's parser `status:new` matched every case and
    // `text_fi:*` failed inside the index).
    for (query, expected) in [
        ("12:30", &[1][..]),
        ("kello 12:30", &[1]),
        ("foo:bar", &[9]),
        ("text_fi:*", &[9]),
        ("status:new", &[9]),
        ("reference:x", &[]),
        ("reference:*", &[]),
        ("case_id:1", &[]),
        ("language:fi", &[]),
        ("created_at:*", &[]),
        ("text_fi:(katulamppu)", &[]),
        ("foo\\:bar", &[9]),
        // Operators of tantivy's grammar are punctuation, dropped like any other.
        ("*", &[]),
        ("?", &[]),
        ("~", &[]),
        ("{", &[]),
        ("}", &[]),
        ("[a TO b]", &[]),
        ("[* TO *]", &[]),
        ("IN [a b]", &[]),
        ("/kat.*/", &[]),
        (">5", &[]),
        ("^2", &[]),
        ("katulamppu^2", &[]),
        ("pothole~2", &[]),
        ("pothole*", &[6, 7]),
        ("'pothole'", &[6, 7]),
        ("road^", &[6]),
        ("katulamppu *", &[1, 4, 5, 7]),
    ] {
        let mut ids = found(&index, &text(query));
        ids.sort_unstable();
        assert_eq!(ids, expected, "{query}");
    }
}

#[test]
fn text_beyond_the_limits_is_refused_with_its_position() {
    let index = memory_index_with(&multilingual_cases());
    let refused =
        |query: &str, limits: &QueryLimits| match index.search_with_limits(&text(query), limits) {
            Ok(results) => panic!("{query:?} was searched: {results:?}"),
            Err(error) => error,
        };
    let defaults = QueryLimits::default();
    assert_eq!(
        defaults,
        QueryLimits {
            max_chars: 1_000,
            max_nesting: 32
        }
    );

    // The attacks that aborted the process on tantivy's parser.
    for attack in ["(".repeat(2_000), "NOT ".repeat(2_000), "-".repeat(2_000)] {
        assert!(matches!(
            refused(&attack, &defaults),
            IndexError::QueryTooLong {
                position: 1_000,
                max_chars: 1_000
            }
        ));
    }
    let roomy = QueryLimits {
        max_chars: 1_000_000,
        ..defaults
    };
    for (attack, position) in [
        ("(".repeat(2_000), 32),
        ("NOT ".repeat(2_000), 128),
        (format!("{}a", "-".repeat(2_000)), 32),
        ("-(".repeat(2_000), 32),
        ("text_fi:(".repeat(2_000), 32 * 9 + 8),
        (format!("katulamppu {}", "(NOT ".repeat(2_000)), 11 + 16 * 5),
    ] {
        match refused(&attack, &roomy) {
            IndexError::QueryTooDeep {
                position: at,
                max_nesting: 32,
            } => {
                assert_eq!(at, position, "{}", &attack[..20]);
            }
            other => panic!("{other}"),
        }
    }

    // Exactly at the limits, the text is searched.
    let deepest = format!("{}katulamppu{}", "(".repeat(32), ")".repeat(32));
    let mut ids = found(&index, &text(&deepest));
    ids.sort_unstable();
    assert_eq!(ids, [1, 4, 5, 7]);
    let longest = format!("katulamppu {}", "x".repeat(989));
    assert_eq!(longest.chars().count(), 1_000);
    assert!(index.search(&text(&longest)).is_ok());
    assert!(matches!(
        refused(&format!("{longest}x"), &defaults),
        IndexError::QueryTooLong {
            position: 1_000,
            ..
        }
    ));

    // Limits are the caller's.
    let strict = QueryLimits {
        max_chars: 20,
        max_nesting: 1,
    };
    assert!(
        index
            .search_with_limits(&text("(katulamppu)"), &strict)
            .is_ok()
    );
    assert!(matches!(
        refused("((katulamppu))", &strict),
        IndexError::QueryTooDeep {
            position: 1,
            max_nesting: 1
        }
    ));
    assert!(matches!(
        refused("katulamppu katulamppu", &strict),
        IndexError::QueryTooLong {
            position: 20,
            max_chars: 20
        }
    ));
    let error = refused("((katulamppu))", &strict);
    assert_eq!(error.query_position(), Some(1));
    assert!(error.to_string().contains("position 1"), "{error}");
}

#[test]
fn phrases_can_be_excluded_and_combined() {
    // Tantivy's phrase scorer asserts in debug builds when excluded or intersected
    // (quickwit-oss/tantivy#2811): these panicked before phrases were wrapped.
    let index = memory_index_with(&multilingual_cases());
    let sorted = |query: &str| {
        let mut ids = found(&index, &text(query));
        ids.sort_unstable();
        ids
    };
    assert_eq!(sorted("-\"on rikki\""), [2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(sorted("NOT 12:30"), [2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(sorted("katulamppu -\"kello 12\""), [4, 5, 7]);
    assert_eq!(sorted("\"on rikki\" katulamppu"), [1]);
    assert_eq!(sorted("katulamppu \"on rikki\" -\"on täynnä\""), [1]);
    assert_eq!(
        sorted("-(\"on rikki\" OR \"the road\")"),
        [2, 3, 4, 5, 7, 8]
    );
}

/// Every byte of every file under `folder`.
fn folder_bytes(folder: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in fs::read_dir(folder).expect("the index folder lists") {
        let path = entry.expect("an entry").path();
        if path.is_file() {
            bytes.extend(fs::read(&path).expect("an index file reads"));
        }
    }
    bytes
}

/// How many terms of any indexed field, in any segment (deleted documents' included),
/// start with `prefix`.
fn terms_starting_with(index: &SearchIndex, prefix: &str) -> usize {
    let searcher = index.reader.searcher();
    let schema = searcher.schema().clone();
    let mut count = 0;
    for segment in searcher.segment_readers() {
        for (field, entry) in schema.fields() {
            if !entry.is_indexed() {
                continue;
            }
            let inverted = segment.inverted_index(field).expect("an inverted index");
            let mut terms = inverted.terms().stream().expect("a term stream");
            while terms.advance() {
                if terms
                    .key()
                    .windows(prefix.len())
                    .any(|window| window == prefix.as_bytes())
                {
                    count += 1;
                }
            }
        }
    }
    count
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle.as_bytes())
}

#[test]
fn an_anonymised_case_leaves_no_words_in_the_index_files() {
    let folder = tempfile::tempdir().expect("a temporary folder");
    let index = SearchIndex::open(folder.path()).expect("the index opens");
    let secret = "Zyxwvutsson";
    let mut cases: Vec<CaseDocument> = (1..=3)
        .map(|id| {
            case(
                id,
                Some(Language::Fi),
                &format!("Kuoppa kadulla, terveisin {secret}"),
            )
        })
        .collect();
    // One segment holding a case that stays: a segment whose every document is
    // deleted is dropped at commit anyway.
    let mut first = cases.clone();
    first.push(case(4, None, "toinen asia"));
    index.upsert(&first).expect("indexed");
    assert!(terms_starting_with(&index, "zyxwvuts") > 0);

    for case in &mut cases {
        case.description = "[anonymised]".to_owned();
    }
    index.upsert(&cases).expect("replaced");
    assert!(found(&index, &text(secret)).is_empty(), "not searchable");
    assert!(
        terms_starting_with(&index, "zyxwvuts") > 0,
        "a replaced document's words stay in its segment until a merge"
    );
    let rewritten = index.purge_deleted().expect("purged");
    assert!(
        rewritten >= 1,
        "the segment with the old words is rewritten"
    );
    assert_eq!(terms_starting_with(&index, "zyxwvuts"), 0, "no word left");
    let bytes = folder_bytes(folder.path());
    assert!(!contains(&bytes, "zyxwvuts"), "no stem left in any file");
    assert!(!contains(&bytes, secret), "no stored text left in any file");
    assert_eq!(found(&index, &text("toinen")), vec![4]);
    assert_eq!(index.purge_deleted().expect("nothing to do"), 0);
}
