use sea_orm::DbErr;

/// What can go wrong in the store. Messages name the operation; callers log the full
/// chain and show clients only an opaque message for `Database`.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error while {operation}: {source}")]
    Database {
        operation: &'static str,
        #[source]
        source: DbErr,
    },
    #[error("idempotency key was used before for a different submission")]
    IdempotencyConflict,
    /// The operation cannot apply to the row as it stands (a pruned model promoted).
    #[error("{0}")]
    Refused(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("file error while {operation}: {source}")]
    File {
        operation: &'static str,
        #[source]
        source: std::io::Error,
    },
}

/// Adds the operation to a sea-orm error, like `anyhow::Context` does for anyhow.
pub(crate) trait DbContext<T> {
    fn context(self, operation: &'static str) -> Result<T, StoreError>;
}

impl<T> DbContext<T> for Result<T, DbErr> {
    fn context(self, operation: &'static str) -> Result<T, StoreError> {
        self.map_err(|source| StoreError::Database { operation, source })
    }
}
