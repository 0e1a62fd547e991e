//! The tantivy search index of cases.
//!
//! The database is the source of truth; this index is derived from it and can be rebuilt
//! at any time (`palaute reindex`: [`SearchIndex::open_or_recreate`], [`SearchIndex::clear`],
//! then [`SearchIndex::upsert`] in batches). Only this crate opens a tantivy `IndexWriter`,
//! and a writable [`SearchIndex`] holds the only one of its folder.
//!
//! A case's title and description are analysed in its language — Finnish, Swedish or
//! English, each with a Snowball stemmer and small fixes of ours (see the `analyzers`
//! module) — or in all three when its language is unknown. Search text is parsed by this
//! crate, within [`QueryLimits`] (longer or deeper text is refused with a position, see
//! [`IndexError::query_position`]); tantivy's query grammar never sees it. Each word is
//! read in every language and the best reading wins; excluding a word excludes every case
//! any reading finds it in. Status, unit, category, channel and language are exact-match
//! fields used as filters and counted as facets.
//!
//! ```no_run
//! # fn main() -> Result<(), palaute_search_index::IndexError> {
//! use palaute_search_index::{SearchIndex, SearchQuery};
//!
//! let index = SearchIndex::open(std::path::Path::new("data/index"))?;
//! let results = index.search(&SearchQuery {
//!     text: "katulampun".to_owned(),
//!     limit: 20,
//!     ..SearchQuery::default()
//! })?;
//! println!("{} cases, first page {:?}", results.total_count, results.case_ids);
//! # Ok(())
//! # }
//! ```

mod analyzers;
mod document;
mod error;
mod facets;
mod index;
mod query;
mod schema;

pub use document::CaseDocument;
pub use error::IndexError;
pub use index::SearchIndex;
pub use query::{Facets, QueryLimits, SearchFilters, SearchQuery, SearchResults};
pub use schema::UNDETERMINED_LANGUAGE;
