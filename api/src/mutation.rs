//! Mutations: feedback submission from every channel that speaks GraphQL.

use std::sync::Arc;

use async_graphql::{Context, Object};
use palaute_core::Organisation;
use palaute_store::Store;
use tracing::info;

use crate::errors::from_store;
use crate::inputs::SubmitFeedbackInput;
use crate::schema::{JobWakeup, Limits};
use crate::types::{CaseStatus, SubmitFeedbackPayload};

pub struct Mutation;

#[Object]
impl Mutation {
    /// Gives feedback. Returns the case reference and a tracking token at once;
    /// language detection, routing and notification follow in the background.
    /// Invalid input is refused with `BAD_USER_INPUT` naming the field, and nothing is
    /// stored.
    async fn submit_feedback(
        &self,
        ctx: &Context<'_>,
        input: SubmitFeedbackInput,
    ) -> async_graphql::Result<SubmitFeedbackPayload> {
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let new_case = input.validate(organisation)?;
        let channel = new_case.channel;
        let store = ctx.data_unchecked::<Store>();
        let max_attempts = ctx.data_unchecked::<Limits>().job_max_attempts;
        let submitted = store
            .submit_case(new_case, max_attempts, palaute_store::now())
            .await
            .map_err(|error| from_store("saving feedback", error))?;
        if !submitted.replayed {
            ctx.data_unchecked::<JobWakeup>().0.notify_one();
            info!(case = %submitted.reference, %channel, "feedback received");
        }
        // A new case is NEW; only a replay may have moved on since.
        let status = if submitted.replayed {
            store
                .case_by_id(submitted.case_id)
                .await
                .ok()
                .flatten()
                .map_or(CaseStatus::New, |case| case.status.into())
        } else {
            CaseStatus::New
        };
        Ok(SubmitFeedbackPayload {
            reference: submitted.reference.to_string(),
            tracking_token: submitted.tracking_token,
            status,
            replayed: submitted.replayed,
        })
    }
}
