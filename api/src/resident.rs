//! What a resident may do with their own case, proven by its tracking token: reopen it
//! within the configured window after resolution, and answer one satisfaction
//! question. A wrong token answers exactly as an unknown reference.

use async_graphql::{Context, ErrorExtensions, InputObject, Object};
use palaute_core::Reference;
use palaute_core::submission::too_long;
use palaute_core::text::normalize_optional;
use palaute_store::{CaseRecord, ResidentOutcome, Store};

use crate::errors::{Code, bad_input, coded, from_store, not_found};
use crate::schema::{JobWakeup, Limits};
use crate::types::TrackedCase;

const MAX_REASON_CHARS: usize = 2_000;

#[derive(InputObject)]
pub struct ReopenCaseInput {
    pub reference: String,
    /// The tracking token the resident was given with the reference.
    pub token: String,
    /// What is still wrong: at most 2,000 characters.
    pub reason: String,
}

#[derive(InputObject)]
pub struct RateCaseInput {
    pub reference: String,
    pub token: String,
    /// 1 (poor) to 5 (very good).
    pub score: i32,
    /// At most 2,000 characters.
    pub comment: Option<String>,
}

#[derive(Default)]
pub struct ResidentMutation;

#[Object]
impl ResidentMutation {
    /// Reopens the resident's resolved case (back to IN_PROGRESS, its unit is told),
    /// within `residents.reopen_window_days` of its resolution.
    async fn reopen_case(
        &self,
        ctx: &Context<'_>,
        input: ReopenCaseInput,
    ) -> async_graphql::Result<TrackedCase> {
        let Some(reason) = normalize_optional(Some(&input.reason)) else {
            return Err(bad_input("reason", "say what is still wrong"));
        };
        if let Some(message) = too_long("reason", &reason, MAX_REASON_CHARS) {
            return Err(bad_input("reason", message));
        }
        let case = own_case(ctx, &input.reference, &input.token).await?;
        let limits = ctx.data_unchecked::<Limits>();
        let outcome = ctx
            .data_unchecked::<Store>()
            .reopen_by_resident(
                case.id,
                &reason,
                limits.reopen_window,
                limits.job_max_attempts,
                palaute_store::now(),
            )
            .await
            .map_err(|error| from_store("reopening a case", error))?;
        ctx.data_unchecked::<JobWakeup>().0.notify_one();
        answer(outcome, &case)
    }

    /// Records the resident's one answer to "how well was your feedback handled?",
    /// once the case is resolved or closed.
    async fn rate_case(
        &self,
        ctx: &Context<'_>,
        input: RateCaseInput,
    ) -> async_graphql::Result<TrackedCase> {
        let score = u8::try_from(input.score)
            .ok()
            .filter(|score| (1..=5).contains(score))
            .ok_or_else(|| bad_input("score", "a score is 1 to 5"))?;
        let comment = normalize_optional(input.comment.as_deref());
        if let Some(message) = comment
            .as_deref()
            .and_then(|comment| too_long("comment", comment, MAX_REASON_CHARS))
        {
            return Err(bad_input("comment", message));
        }
        let case = own_case(ctx, &input.reference, &input.token).await?;
        let outcome = ctx
            .data_unchecked::<Store>()
            .rate_by_resident(case.id, score, comment.as_deref(), palaute_store::now())
            .await
            .map_err(|error| from_store("recording a satisfaction answer", error))?;
        answer(outcome, &case)
    }
}

/// The case if `token` is its tracking token; NOT_FOUND otherwise.
pub(crate) async fn own_case(
    ctx: &Context<'_>,
    reference: &str,
    token: &str,
) -> async_graphql::Result<CaseRecord> {
    let reference =
        Reference::parse(reference).map_err(|error| bad_input("reference", error.to_string()))?;
    ctx.data_unchecked::<Store>()
        .case_for_resident(&reference, token.trim())
        .await
        .map_err(|error| from_store("tracking a case", error))?
        .ok_or_else(|| not_found("no case with this reference and token"))
}

fn answer(
    outcome: Option<ResidentOutcome>,
    case: &CaseRecord,
) -> async_graphql::Result<TrackedCase> {
    match outcome {
        None => Err(not_found("no case with this reference and token")),
        Some(Ok(changed)) => Ok(TrackedCase::from(changed)),
        Some(Err(refused)) => {
            let reference = case.reference.to_string();
            Err(coded(Code::BadUserInput, refused.to_string())
                .extend_with(move |_, extensions| extensions.set("reference", reference.as_str())))
        }
    }
}
