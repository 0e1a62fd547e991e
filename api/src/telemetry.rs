//! GraphQL operations for Prometheus: one count per operation by its name and the code
//! of its first error. Names come from clients, so they are bounded: a name must look
//! like a GraphQL name of at most [`MAX_NAME_CHARS`], and only the first
//! [`MAX_DISTINCT_NAMES`] names seen get a series of their own; everything else counts
//! as `other`, and an operation without a name as `anonymous`.

use std::collections::HashSet;
use std::sync::{Arc, Mutex, OnceLock};

use async_graphql::extensions::{
    Extension, ExtensionContext, ExtensionFactory, NextExecute, NextParseQuery, NextRequest,
};
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument};
use async_graphql::{Response, ServerResult, Value, Variables};

use crate::errors::Code;

/// GraphQL operations by `operation` and `code` (`none` when it had no error).
pub const GRAPHQL_OPERATIONS_TOTAL: &str = "palaute_graphql_operations_total";

const MAX_NAME_CHARS: usize = 64;
const MAX_DISTINCT_NAMES: usize = 200;

const CODES: [Code; 7] = [
    Code::BadUserInput,
    Code::Unauthenticated,
    Code::Forbidden,
    Code::NotFound,
    Code::Conflict,
    Code::RateLimited,
    Code::Internal,
];

/// Installed on the schema; makes one [`OperationCounter`] per request.
pub struct OperationMetrics;

impl ExtensionFactory for OperationMetrics {
    fn create(&self) -> Arc<dyn Extension> {
        Arc::new(OperationCounter::default())
    }
}

/// The name of the operation being run, learnt while the request passes through.
#[derive(Default)]
struct OperationCounter {
    name: Mutex<Option<String>>,
}

impl OperationCounter {
    fn remember(&self, name: Option<&str>) {
        if let (Some(name), Ok(mut slot)) = (name, self.name.lock()) {
            *slot = Some(name.to_owned());
        }
    }
}

#[async_graphql::async_trait::async_trait]
impl Extension for OperationCounter {
    async fn request(&self, ctx: &ExtensionContext<'_>, next: NextRequest<'_>) -> Response {
        let response = next.run(ctx).await;
        let name = self.name.lock().ok().and_then(|mut slot| slot.take());
        let operation = operation_label(name.as_deref());
        let code = response.errors.first().map_or("none", |error| {
            code_label(error.extensions.as_ref().and_then(|e| e.get("code")))
        });
        metrics::counter!(GRAPHQL_OPERATIONS_TOTAL, "operation" => operation, "code" => code)
            .increment(1);
        response
    }

    async fn parse_query(
        &self,
        ctx: &ExtensionContext<'_>,
        query: &str,
        variables: &Variables,
        next: NextParseQuery<'_>,
    ) -> ServerResult<ExecutableDocument> {
        let document = next.run(ctx, query, variables).await?;
        // A document with one named operation runs it without `operationName`.
        if let DocumentOperations::Multiple(operations) = &document.operations
            && operations.len() == 1
        {
            self.remember(operations.keys().next().map(|name| name.as_str()));
        }
        Ok(document)
    }

    async fn execute(
        &self,
        ctx: &ExtensionContext<'_>,
        operation_name: Option<&str>,
        next: NextExecute<'_>,
    ) -> Response {
        self.remember(operation_name);
        next.run(ctx, operation_name).await
    }
}

/// The label for a client's operation name: itself if it is a plausible name and among
/// the first names seen, else `other`; `anonymous` without one.
fn operation_label(name: Option<&str>) -> String {
    let Some(name) = name else {
        return "anonymous".to_owned();
    };
    if !is_plain_name(name) {
        return "other".to_owned();
    }
    static SEEN: OnceLock<Mutex<HashSet<String>>> = OnceLock::new();
    let Ok(mut seen) = SEEN.get_or_init(Default::default).lock() else {
        return "other".to_owned();
    };
    if seen.contains(name) || seen.len() < MAX_DISTINCT_NAMES {
        seen.insert(name.to_owned());
        name.to_owned()
    } else {
        "other".to_owned()
    }
}

fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_NAME_CHARS
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// An error's code as a label: one of the codes this API gives, else `OTHER`. An error
/// without a code is answered as `BAD_USER_INPUT` (see `http::with_error_codes`).
fn code_label(code: Option<&Value>) -> &'static str {
    let Some(code) = code else {
        return Code::BadUserInput.as_str();
    };
    CODES
        .iter()
        .map(|known| known.as_str())
        .find(|known| matches!(code, Value::String(given) if given == known))
        .unwrap_or("OTHER")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_names_are_bounded() {
        assert_eq!(operation_label(None), "anonymous");
        assert_eq!(operation_label(Some("SubmitFeedback")), "SubmitFeedback");
        assert_eq!(operation_label(Some("drop table; --")), "other");
        assert_eq!(operation_label(Some(&"a".repeat(65))), "other");
        for n in 0..MAX_DISTINCT_NAMES + 10 {
            let label = operation_label(Some(&format!("Generated{n}")));
            assert!(label.starts_with("Generated") || label == "other");
        }
        assert_eq!(operation_label(Some("NeverSeenBefore")), "other");
        // A name seen before the cap keeps its series.
        assert_eq!(operation_label(Some("SubmitFeedback")), "SubmitFeedback");
    }

    #[test]
    fn unknown_codes_become_other() {
        assert_eq!(code_label(Some(&Value::from("NOT_FOUND"))), "NOT_FOUND");
        assert_eq!(code_label(Some(&Value::from("SOMETHING"))), "OTHER");
        assert_eq!(code_label(None), "BAD_USER_INPUT");
    }
}
