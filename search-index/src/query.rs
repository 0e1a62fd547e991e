//! What staff ask the index, what it answers, and how the question becomes a tantivy query.

use serde::{Deserialize, Serialize};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, Occur, Query, QueryParser,
    TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Index, Term};

use crate::schema::CaseFields;

/// A search over cases.
///
/// `text` uses tantivy's query syntax (`"exact phrase"`, `a OR b`, `-excluded`), parsed
/// leniently: malformed input such as `"unbalanced` or `a AND` is repaired, never an error.
/// Words are combined with AND: each must occur in the case for it to match.
///
/// An empty or whitespace-only `text` matches every case, so staff can browse by filters
/// alone; such results come newest first. Otherwise the best matches come first. Text
/// with no searchable word at all (`!!!`) matches nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchQuery {
    pub text: String,
    pub filters: SearchFilters,
    /// Page size. Callers cap it (page size is configuration, not a constant of ours).
    pub limit: usize,
    pub offset: usize,
}

/// Exact-match filters, all of which must hold. `None` means "any".
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchFilters {
    /// A [`CaseStatus`](palaute_core::CaseStatus) code.
    pub status: Option<String>,
    pub unit_code: Option<String>,
    pub category_code: Option<String>,
    /// A [`Channel`](palaute_core::Channel) code.
    pub channel: Option<String>,
    /// `fi`, `sv`, `en`, or [`UNDETERMINED_LANGUAGE`](crate::UNDETERMINED_LANGUAGE).
    pub language: Option<String>,
}

/// One page of matching cases, with counts over all of them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchResults {
    /// How many cases match, whatever the page.
    pub total_count: u64,
    /// The page, best match (or newest, for an empty text) first.
    pub case_ids: Vec<i64>,
    pub facets: Facets,
}

/// How the matching cases (all of them, filters applied) spread over each field:
/// `(value, count)` pairs, most frequent first, ties by value. Cases without a unit or
/// category are not counted there; cases of unknown language count as `und`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Facets {
    pub unit_code: Vec<(String, u64)>,
    pub category_code: Vec<(String, u64)>,
    pub status: Vec<(String, u64)>,
    pub channel: Vec<(String, u64)>,
    pub language: Vec<(String, u64)>,
}

/// How a page is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ranking {
    BestFirst,
    NewestFirst,
}

/// Parses free text once per language and keeps the best-scoring reading.
///
/// A case's text sits in the field of its language only (or in all three when its
/// language is unknown), so each reading is complete on its own: every word must match
/// in that one language. Taking the maximum rather than the sum keeps cases of unknown
/// language, indexed three times, from outranking the others.
pub(crate) struct TextQueryParser {
    per_language: Vec<QueryParser>,
}

impl TextQueryParser {
    pub(crate) fn new(index: &Index, fields: &CaseFields) -> Self {
        let per_language = [fields.text_fi, fields.text_sv, fields.text_en]
            .into_iter()
            .map(|text_field| {
                // The reference is in every reading so `HEL-2026-000123` finds its case.
                let mut parser = QueryParser::for_index(index, vec![text_field, fields.reference]);
                parser.set_conjunction_by_default();
                parser
            })
            .collect();
        Self { per_language }
    }

    fn parse(&self, text: &str) -> Box<dyn Query> {
        let readings = self
            .per_language
            .iter()
            .map(|parser| {
                let (query, errors) = parser.parse_query_lenient(text);
                if !errors.is_empty() {
                    tracing::debug!(?errors, "repaired a malformed search query");
                }
                query
            })
            .collect();
        Box::new(DisjunctionMaxQuery::new(readings))
    }
}

/// Drops boolean operators with nothing on one side, as in `lamppu AND` or `OR lamppu`.
/// Tantivy's lenient parser would read them as the words "and", "or", "not", which under
/// AND-by-default would make the query match almost nothing.
fn without_dangling_operators(text: &str) -> String {
    let mut words: Vec<&str> = text.split_whitespace().collect();
    while words
        .last()
        .is_some_and(|word| matches!(*word, "AND" | "OR" | "NOT"))
    {
        words.pop();
    }
    let leading = words
        .iter()
        .take_while(|word| matches!(**word, "AND" | "OR"))
        .count();
    words.split_off(leading).join(" ")
}

/// Builds the tantivy query for a search and says how to order its hits.
pub(crate) fn plan(
    search: &SearchQuery,
    parser: &TextQueryParser,
    fields: &CaseFields,
) -> (Box<dyn Query>, Ranking) {
    let text = without_dangling_operators(&palaute_core::text::normalize(&search.text));
    let (text_query, ranking): (Box<dyn Query>, _) = if text.is_empty() {
        (Box::new(AllQuery), Ranking::NewestFirst)
    } else {
        (parser.parse(&text), Ranking::BestFirst)
    };

    let filters = &search.filters;
    let mut clauses: Vec<(Occur, Box<dyn Query>)> = [
        (fields.status, &filters.status),
        (fields.unit_code, &filters.unit_code),
        (fields.category_code, &filters.category_code),
        (fields.channel, &filters.channel),
        (fields.language, &filters.language),
    ]
    .into_iter()
    .filter_map(|(field, value)| Some((Occur::Must, exact_match(field, value.as_deref()?))))
    .collect();
    if clauses.is_empty() {
        return (text_query, ranking);
    }
    clauses.push((Occur::Must, text_query));
    (Box::new(BooleanQuery::new(clauses)), ranking)
}

/// A filter clause that selects without adding to the score, so filters never reorder.
fn exact_match(field: Field, value: &str) -> Box<dyn Query> {
    let term = TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    );
    Box::new(ConstScoreQuery::new(Box::new(term), 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dangling_operators_are_dropped() {
        assert_eq!(without_dangling_operators("lamppu AND"), "lamppu");
        assert_eq!(without_dangling_operators("OR lamppu NOT "), "lamppu");
        assert_eq!(without_dangling_operators("AND"), "");
        assert_eq!(without_dangling_operators("a AND b"), "a AND b");
        assert_eq!(
            without_dangling_operators("\"rock and\" roll"),
            "\"rock and\" roll"
        );
    }
}
