//! What staff ask the index, what it answers, and how the question becomes a tantivy query.

mod seek_safe;
mod syntax;

use serde::{Deserialize, Serialize};
use tantivy::query::{
    AllQuery, BooleanQuery, ConstScoreQuery, DisjunctionMaxQuery, EmptyQuery, Occur, Query,
    QueryParser, TermQuery, TermSetQuery,
};
use tantivy::query_grammar::{Delimiter, UserInputAst, UserInputLeaf, UserInputLiteral};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::{Index, Term};

use crate::error::IndexError;
use crate::schema::CaseFields;
use seek_safe::SeekSafe;
use syntax::Expr;
pub use syntax::QueryLimits;

/// A search over cases.
///
/// `text` is a small query language of our own (see the `syntax` module): words,
/// `"exact phrases"`, `a OR b`, `a AND b`, `NOT a` or `-a` (exclude), and parentheses.
/// Words are combined with AND: each must occur in the case for it to match. Anything
/// else, `field:` prefixes and tantivy's `*`, `^`, `~` or ranges included, is ordinary
/// text. Malformed input such as `"unbalanced` or `a AND` is repaired, never an error;
/// only text beyond the [`QueryLimits`] (too long, nested too deeply) is refused, with
/// [`IndexError::QueryTooLong`](crate::IndexError::QueryTooLong) or
/// [`IndexError::QueryTooDeep`](crate::IndexError::QueryTooDeep).
///
/// An empty or whitespace-only `text` matches every case, so staff can browse by filters
/// alone; such results come newest first, and so do those of a text that only excludes
/// (`-katulamppu`: every case without the word, in whichever language). Otherwise the
/// best matches come first. Text with no searchable word at all (`!!!`, `*`) matches
/// nothing.
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
    /// The searcher's scope: only cases of these units exist for this search (hits,
    /// counts and facets alike). `None` for a searcher who sees every case; an empty
    /// list matches nothing.
    pub within_units: Option<Vec<String>>,
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

/// Turns a parsed text into a tantivy query, reading every word and phrase in each
/// language.
///
/// A word matches a case when any reading finds it: a case's text sits in the field of its
/// language only (or in all three when its language is unknown), and the reference is in
/// every reading so `HEL-2026-000123` finds its case. Of the readings, the best-scoring
/// one counts (a disjunction-max, not a sum), which keeps cases of unknown language,
/// indexed three times, from outranking the others. Words then combine by the text's own
/// AND, OR and NOT, so `-katulamppu` excludes every case any reading finds "katulamppu"
/// in, whatever its language.
pub(crate) struct TextQueryParser {
    per_language: Vec<QueryParser>,
}

impl TextQueryParser {
    pub(crate) fn new(index: &Index, fields: &CaseFields) -> Self {
        let per_language = [fields.text_fi, fields.text_sv, fields.text_en]
            .into_iter()
            .map(|text_field| QueryParser::for_index(index, vec![text_field, fields.reference]))
            .collect();
        Self { per_language }
    }

    /// Recurses once per level of `expr`, which the parser's nesting limit bounds.
    fn query(&self, expr: &Expr) -> Box<dyn Query> {
        match expr {
            Expr::Word(word) => self.literal(word, Delimiter::None),
            Expr::Phrase(phrase) => self.literal(phrase, Delimiter::DoubleQuotes),
            Expr::Not(excluded) => everything_except(vec![self.query(excluded)]),
            Expr::All(parts) => {
                let mut required = Vec::new();
                let mut excluded = Vec::new();
                for part in parts {
                    match part {
                        Expr::Not(inner) => excluded.push(self.query(inner)),
                        other => required.push(self.query(other)),
                    }
                }
                if required.is_empty() {
                    return everything_except(excluded);
                }
                let clauses = required
                    .into_iter()
                    .map(|query| (Occur::Must, query))
                    .chain(excluded.into_iter().map(|query| (Occur::MustNot, query)))
                    .collect();
                Box::new(BooleanQuery::new(clauses))
            }
            Expr::Any(alternatives) => Box::new(BooleanQuery::new(
                alternatives
                    .iter()
                    .map(|alternative| (Occur::Should, self.query(alternative)))
                    .collect(),
            )),
        }
    }

    /// One word or phrase, analysed by tantivy's query parser in each language. It never
    /// sees our text as query syntax: it gets the literal already parsed.
    fn literal(&self, text: &str, delimiter: Delimiter) -> Box<dyn Query> {
        let literal = UserInputAst::from(UserInputLeaf::Literal(UserInputLiteral {
            field_name: None,
            phrase: text.to_owned(),
            delimiter,
            slop: 0,
            prefix: false,
        }));
        let readings = self
            .per_language
            .iter()
            .map(|parser| {
                let (query, errors) =
                    parser.build_query_from_user_input_ast_lenient(literal.clone());
                if !errors.is_empty() {
                    tracing::debug!(?errors, "tantivy dropped part of a search word");
                }
                query
            })
            .collect();
        Box::new(SeekSafe(Box::new(DisjunctionMaxQuery::new(readings))))
    }
}

/// Every case but those matching any of `excluded`. A tantivy boolean query of `MustNot`
/// clauses alone matches nothing, hence the explicit "all".
fn everything_except(excluded: Vec<Box<dyn Query>>) -> Box<dyn Query> {
    let clauses = std::iter::once((Occur::Must, Box::new(AllQuery) as Box<dyn Query>))
        .chain(excluded.into_iter().map(|query| (Occur::MustNot, query)))
        .collect();
    Box::new(BooleanQuery::new(clauses))
}

/// Builds the tantivy query for a search and says how to order its hits. Refuses text
/// beyond `limits` before any of it is parsed.
pub(crate) fn plan(
    search: &SearchQuery,
    limits: &QueryLimits,
    parser: &TextQueryParser,
    fields: &CaseFields,
) -> Result<(Box<dyn Query>, Ranking), IndexError> {
    let (text_query, ranking): (Box<dyn Query>, _) = match syntax::parse(&search.text, limits)? {
        None if search.text.trim().is_empty() => (Box::new(AllQuery), Ranking::NewestFirst),
        None => (Box::new(EmptyQuery), Ranking::BestFirst),
        // Excluding scores nothing: list the rest like an empty text does.
        Some(expr) if !expr.has_positive() => (parser.query(&expr), Ranking::NewestFirst),
        Some(expr) => (parser.query(&expr), Ranking::BestFirst),
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
    if let Some(units) = &filters.within_units {
        let terms = units
            .iter()
            .map(|unit| Term::from_field_text(fields.unit_code, unit));
        let in_scope = TermSetQuery::new(terms);
        clauses.push((
            Occur::Must,
            Box::new(ConstScoreQuery::new(Box::new(in_scope), 0.0)),
        ));
    }
    if clauses.is_empty() {
        return Ok((text_query, ranking));
    }
    clauses.push((Occur::Must, text_query));
    Ok((Box::new(BooleanQuery::new(clauses)), ranking))
}

/// A filter clause that selects without adding to the score, so filters never reorder.
fn exact_match(field: Field, value: &str) -> Box<dyn Query> {
    let term = TermQuery::new(
        Term::from_field_text(field, value),
        IndexRecordOption::Basic,
    );
    Box::new(ConstScoreQuery::new(Box::new(term), 0.0))
}
