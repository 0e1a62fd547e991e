//! The one error type of this crate.

use std::path::PathBuf;

/// Why an index operation failed.
///
/// Messages of the index variants name the index folder, which helps an operator; the API
/// maps those to an opaque `INTERNAL` error, so paths never reach a client. The query
/// variants are the searcher's own doing: their messages are meant for them, and
/// [`IndexError::query_position`] tells the two kinds apart.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
    /// The search text is longer than [`QueryLimits::max_chars`](crate::QueryLimits); none
    /// of it was searched.
    #[error(
        "the search text is too long: at most {max_chars} characters are accepted \
         (the excess starts at position {position})"
    )]
    QueryTooLong { position: usize, max_chars: usize },

    /// The search text nests parentheses or `NOT` / `-` / `+` chains deeper than
    /// [`QueryLimits::max_nesting`](crate::QueryLimits); none of it was searched.
    #[error(
        "the search text is nested too deeply: at most {max_nesting} levels of parentheses \
         and NOT, - or + operators are accepted (the level too many is at position {position})"
    )]
    QueryTooDeep { position: usize, max_nesting: usize },

    /// The index on disk was built with another schema or other analyzers.
    #[error(
        "the search index at {path} was built by another version of palaute; \
         run `palaute reindex` to rebuild it from the database"
    )]
    SchemaChanged { path: PathBuf },

    /// Another process holds the index writer.
    #[error(
        "the search index at {path} is locked by another writer \
         (is another `palaute serve` or `palaute reindex` running on this data folder?)"
    )]
    Locked { path: PathBuf },

    /// A write was attempted through [`SearchIndex::open_read_only`](crate::SearchIndex::open_read_only).
    #[error("the search index was opened read-only and cannot be written")]
    ReadOnly,

    #[error("could not create the search index folder {path}")]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// Any other failure inside tantivy, with what we were doing at the time.
    #[error("search index failed while {doing}")]
    Tantivy {
        doing: &'static str,
        #[source]
        source: tantivy::TantivyError,
    },
}

impl IndexError {
    /// For an error in the search text itself, where it is: the number of characters
    /// (Unicode scalar values, counting from 0) of the text as sent before the offending
    /// one. `None` for every failure of the index.
    pub fn query_position(&self) -> Option<usize> {
        match self {
            IndexError::QueryTooLong { position, .. }
            | IndexError::QueryTooDeep { position, .. } => Some(*position),
            _ => None,
        }
    }
}

/// Attaches what we were doing to a tantivy error, Quickwit-style `.context(…)`.
pub(crate) trait WhileDoing<T> {
    fn while_doing(self, doing: &'static str) -> Result<T, IndexError>;
}

impl<T, E: Into<tantivy::TantivyError>> WhileDoing<T> for Result<T, E> {
    fn while_doing(self, doing: &'static str) -> Result<T, IndexError> {
        self.map_err(|error| IndexError::Tantivy {
            doing,
            source: error.into(),
        })
    }
}
