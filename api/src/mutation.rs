//! Mutations: feedback submission from every channel that speaks GraphQL, and staff
//! decisions (reassigning cases, promoting routing models).

use std::sync::Arc;

use async_graphql::{Context, InputType, Object};
use palaute_core::{Organisation, StaffRole};
use palaute_store::{ModelRole, Reassigned, Reassignment, Store};
use tracing::info;

use crate::auth::{require_role, require_staff};
use crate::errors::{Code, coded, from_store, not_found};
use crate::inputs::{ReassignCaseInput, SubmitFeedbackInput};
use crate::routing_types::RoutingModelView;
use crate::schema::{JobWakeup, Limits};
use crate::types::{CaseStatus, CaseView, SubmitFeedbackPayload};
use crate::workflow::{refused_action, stale};

#[derive(Default)]
pub struct Mutation;

/// Merged into the schema's `Mutation` with the workflow's (`crate::schema::MutationRoot`).
#[Object(name = "CaseMutation")]
impl Mutation {
    /// Gives feedback. WEB, MOBILE_APP and OTHER are open to anyone; PHONE, SMS,
    /// SOCIAL_MEDIA, EMAIL and OPEN311 are entered by staff or an integration (an SMS
    /// gateway) with a staff bearer token, and answer UNAUTHENTICATED without one.
    /// Returns the case reference and a tracking token at once;
    /// language detection, routing and notification follow in the background.
    /// Invalid input is refused with `BAD_USER_INPUT` naming the field, and nothing is
    /// stored.
    async fn submit_feedback(
        &self,
        ctx: &Context<'_>,
        input: SubmitFeedbackInput,
    ) -> async_graphql::Result<SubmitFeedbackPayload> {
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let channel: palaute_core::Channel = input.channel.into();
        if !channel.open_to_residents() {
            // Staff entering a phone call, or an SMS gateway: nobody else may speak
            // for those channels.
            if require_staff(ctx).is_err() {
                return Err(coded(
                    Code::Unauthenticated,
                    format!(
                        "feedback by {} is entered by staff or an integration with a staff bearer token; residents use WEB or MOBILE_APP",
                        input.channel.to_value()
                    ),
                ));
            }
        }
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

    /// Moves a case to the unit that handles it (or assigns a case waiting in
    /// triage), optionally with its category. The new unit is emailed, the timeline
    /// records who moved it and why, and the decision becomes a training example for
    /// the routing model. Moving a case to where it already is changes nothing. A case
    /// still being routed, or a stale `version`, gives CONFLICT. TRIAGE and ADMIN;
    /// a handler hands a case back with `returnToTriage`.
    async fn reassign_case(
        &self,
        ctx: &Context<'_>,
        input: ReassignCaseInput,
    ) -> async_graphql::Result<CaseView> {
        let member = require_role(ctx, &[StaffRole::Admin, StaffRole::Triage])?;
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let valid = input.validate(organisation)?;
        let store = ctx.data_unchecked::<Store>();
        let case = store
            .case_by_reference(&valid.reference)
            .await
            .map_err(|error| from_store("loading a case", error))?
            .ok_or_else(|| not_found(format!("no case {}", valid.reference)))?;
        let max_attempts = ctx.data_unchecked::<Limits>().job_max_attempts;
        let outcome = store
            .reassign_case(
                &Reassignment {
                    case_id: case.id,
                    version: valid.version,
                    unit_code: valid.unit_code.clone(),
                    category_code: valid.category_code,
                    actor: member.actor(),
                    note: valid.note,
                },
                max_attempts,
                palaute_store::now(),
            )
            .await
            .map_err(|error| from_store("reassigning a case", error))?;
        match outcome {
            Reassigned::Moved { .. } => {
                ctx.data_unchecked::<JobWakeup>().0.notify_one();
                info!(case = %valid.reference, unit = %valid.unit_code, "case reassigned");
            }
            Reassigned::Unchanged => {}
            Reassigned::Conflict { current_version } => {
                return Err(stale(valid.version, current_version));
            }
            Reassigned::Refused(refused) => return Err(refused_action(&refused)),
            Reassigned::NotFound => return Err(not_found(format!("no case {}", valid.reference))),
        }
        store
            .case_by_id(case.id)
            .await
            .map_err(|error| from_store("loading a case", error))?
            .map(CaseView)
            .ok_or_else(|| not_found(format!("no case {}", valid.reference)))
    }

    /// Makes a routing model version live; the model that was live is retired. New
    /// cases are routed by it from the next case on, in every worker. Staff only.
    async fn promote_routing_model(
        &self,
        ctx: &Context<'_>,
        version: i64,
    ) -> async_graphql::Result<RoutingModelView> {
        set_model_role(ctx, version, ModelRole::Live).await
    }

    /// Stops a routing model version from running (live or in shadow). Without a
    /// live model, cases are routed by the organisation's keywords. Staff only.
    async fn retire_routing_model(
        &self,
        ctx: &Context<'_>,
        version: i64,
    ) -> async_graphql::Result<RoutingModelView> {
        set_model_role(ctx, version, ModelRole::Retired).await
    }
}

/// Promotes (`Live`) or retires a model version, for staff.
async fn set_model_role(
    ctx: &Context<'_>,
    version: i64,
    role: ModelRole,
) -> async_graphql::Result<RoutingModelView> {
    require_role(ctx, &[StaffRole::Admin])?;
    let store = ctx.data_unchecked::<Store>();
    let now = palaute_store::now();
    let changed = match role {
        ModelRole::Live => store.promote_routing_model(version, now).await,
        ModelRole::Candidate | ModelRole::Retired => store.retire_routing_model(version, now).await,
    }
    .map_err(|error| from_store("changing a routing model's role", error))?
    .ok_or_else(|| not_found(format!("no routing model version {version}")))?;
    info!(model = version, role = %changed.role, "routing model role changed");
    Ok(RoutingModelView(changed))
}
