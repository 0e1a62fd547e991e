//! GraphQL errors carry `extensions.code` from a small fixed set, so clients can react
//! without parsing messages. Internal errors are logged in full and shown opaquely.

use async_graphql::{Error, ErrorExtensions};
use palaute_search_index::IndexError;
use palaute_store::StoreError;
use tracing::error;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Code {
    BadUserInput,
    Unauthenticated,
    Forbidden,
    NotFound,
    Conflict,
    RateLimited,
    Internal,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::BadUserInput => "BAD_USER_INPUT",
            Code::Unauthenticated => "UNAUTHENTICATED",
            Code::Forbidden => "FORBIDDEN",
            Code::NotFound => "NOT_FOUND",
            Code::Conflict => "CONFLICT",
            Code::RateLimited => "RATE_LIMITED",
            Code::Internal => "INTERNAL",
        }
    }
}

pub fn coded(code: Code, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, extensions| extensions.set("code", code.as_str()))
}

/// A bad input value, naming the input field (a dotted path such as `contact.email`).
pub fn bad_input(field: &str, message: impl Into<String>) -> Error {
    let field = field.to_owned();
    Error::new(message).extend_with(move |_, extensions| {
        extensions.set("code", Code::BadUserInput.as_str());
        extensions.set("field", field.as_str());
    })
}

pub fn not_found(message: impl Into<String>) -> Error {
    coded(Code::NotFound, message)
}

/// Logs the whole error chain and returns an error that reveals nothing internal.
pub fn internal(context: &str, cause: &dyn std::error::Error) -> Error {
    let mut chain = cause.to_string();
    let mut source = cause.source();
    while let Some(next) = source {
        chain.push_str(": ");
        chain.push_str(&next.to_string());
        source = next.source();
    }
    error!(error = %chain, "{context}");
    coded(Code::Internal, "internal error; it has been logged")
}

pub fn from_store(context: &str, store_error: StoreError) -> Error {
    match store_error {
        StoreError::IdempotencyConflict => coded(
            Code::Conflict,
            "this idempotencyKey was already used for a different submission",
        ),
        StoreError::Refused(message) => coded(Code::Conflict, message),
        other => internal(context, &other),
    }
}

/// A batched load failed in the store: internal, as with [`from_store`].
pub fn from_loader(context: &str, store_error: &std::sync::Arc<StoreError>) -> Error {
    internal(context, store_error.as_ref())
}

/// Failures of the index are internal. Search text refused by its limits is the client's
/// to fix: `BAD_USER_INPUT` on the field `query`, with `position`, the number of characters
/// before the offending one.
pub fn from_index(context: &str, index_error: IndexError) -> Error {
    match index_error.query_position() {
        Some(position) => bad_input("query", index_error.to_string())
            .extend_with(move |_, extensions| extensions.set("position", position)),
        None => internal(context, &index_error),
    }
}

#[cfg(test)]
mod tests {
    use async_graphql::Value;

    use super::*;

    fn extension(error: &Error, name: &str) -> Option<Value> {
        error.extensions.as_ref()?.get(name).cloned()
    }

    #[test]
    fn refused_search_text_is_bad_user_input_with_its_position() {
        for (index_error, position) in [
            (
                IndexError::QueryTooDeep {
                    position: 32,
                    max_nesting: 32,
                },
                32,
            ),
            (
                IndexError::QueryTooLong {
                    position: 1_000,
                    max_chars: 1_000,
                },
                1_000,
            ),
        ] {
            let message = index_error.to_string();
            let error = from_index("searching", index_error);
            assert_eq!(error.message, message);
            assert_eq!(
                extension(&error, "code"),
                Some(Value::from("BAD_USER_INPUT"))
            );
            assert_eq!(extension(&error, "field"), Some(Value::from("query")));
            assert_eq!(extension(&error, "position"), Some(Value::from(position)));
        }
    }

    #[test]
    fn index_failures_stay_internal() {
        let error = from_index("searching", IndexError::ReadOnly);
        assert_eq!(extension(&error, "code"), Some(Value::from("INTERNAL")));
        assert_eq!(extension(&error, "position"), None);
    }
}
