//! The one error type of this crate.

use std::path::PathBuf;

/// Why an index operation failed.
///
/// Messages name the index folder, which helps an operator; the API maps every variant to
/// an opaque `INTERNAL` error, so paths never reach a client.
#[derive(Debug, thiserror::Error)]
pub enum IndexError {
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
