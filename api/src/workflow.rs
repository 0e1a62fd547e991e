//! Staff working a case: status, assignment, internal notes, replies to the resident
//! and returning a case to triage. Each mutation takes the case's `version`; a stale
//! one is refused with CONFLICT. A case outside the caller's scope answers NOT_FOUND,
//! exactly as a reference that does not exist. The rules themselves (which move is
//! allowed when) live in `palaute_core::workflow` and are checked by the store inside
//! the transaction that makes the change.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, InputObject, Object};
use palaute_core::submission::too_long;
use palaute_core::text::normalize_optional;
use palaute_core::{ActionError, Organisation, Reference, StaffMember};
use palaute_store::{CaseEdit, CaseRecord, Change, Edited, Store};
use tracing::info;

use crate::auth::require_staff;
use crate::errors::{Code, bad_input, coded, from_store, not_found};
use crate::schema::{JobWakeup, Limits};
use crate::types::{CaseStatus, CaseView};

const MAX_NOTE_CHARS: usize = 2_000;
const MAX_REPLY_CHARS: usize = 10_000;

#[derive(InputObject)]
pub struct SetCaseStatusInput {
    pub reference: String,
    /// The `version` of the case as the caller last saw it.
    pub version: i64,
    /// IN_PROGRESS, WAITING_FOR_RESIDENT, RESOLVED or CLOSED (reopening a resolved
    /// or closed case is IN_PROGRESS).
    pub status: CaseStatus,
    /// Why, for the timeline: at most 2,000 characters.
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct AssignCaseInput {
    pub reference: String,
    pub version: i64,
    /// An active staff user who works the case's unit; null unassigns. Assigning a
    /// ROUTED case moves it to IN_PROGRESS.
    pub assignee_email: Option<String>,
}

#[derive(InputObject)]
pub struct AddInternalNoteInput {
    pub reference: String,
    pub version: i64,
    /// Seen by staff only, never by the resident: at most 2,000 characters.
    pub body: String,
}

#[derive(InputObject)]
pub struct ReplyToResidentInput {
    pub reference: String,
    pub version: i64,
    /// The answer as the resident will read it: at most 10,000 characters.
    pub body: String,
    /// Moves the case on in the same step, e.g. RESOLVED or WAITING_FOR_RESIDENT.
    pub status: Option<CaseStatus>,
}

#[derive(InputObject)]
pub struct ReturnToTriageInput {
    pub reference: String,
    pub version: i64,
    /// Why the case is not this unit's: at most 2,000 characters.
    pub reason: String,
}

#[derive(Default)]
pub struct WorkflowMutation;

#[Object]
impl WorkflowMutation {
    /// Moves a case along its workflow. Staff in the case's scope.
    async fn set_case_status(
        &self,
        ctx: &Context<'_>,
        input: SetCaseStatusInput,
    ) -> async_graphql::Result<CaseView> {
        let note = optional_text("note", input.note.as_deref(), MAX_NOTE_CHARS)?;
        let change = Change::SetStatus {
            status: input.status.into(),
            note,
        };
        edit(ctx, &input.reference, input.version, change).await
    }

    /// Assigns a case to a handler of its unit (or triage or an administrator), or
    /// unassigns it. Staff in the case's scope.
    async fn assign_case(
        &self,
        ctx: &Context<'_>,
        input: AssignCaseInput,
    ) -> async_graphql::Result<CaseView> {
        let assignee_email = normalize_optional(input.assignee_email.as_deref());
        let change = Change::Assign { assignee_email };
        edit(ctx, &input.reference, input.version, change).await
    }

    /// Adds a note to the case's timeline for staff; the resident never sees it.
    async fn add_internal_note(
        &self,
        ctx: &Context<'_>,
        input: AddInternalNoteInput,
    ) -> async_graphql::Result<CaseView> {
        let body = required_text("body", &input.body, MAX_NOTE_CHARS)?;
        edit(ctx, &input.reference, input.version, Change::Note { body }).await
    }

    /// Answers the resident: the reply shows in `trackCase { replies }` and is
    /// emailed in the resident's language, in the thread of their acknowledgement,
    /// when they left an address.
    async fn reply_to_resident(
        &self,
        ctx: &Context<'_>,
        input: ReplyToResidentInput,
    ) -> async_graphql::Result<CaseView> {
        let body = required_text("body", &input.body, MAX_REPLY_CHARS)?;
        let change = Change::Reply {
            body,
            then: input.status.map(Into::into),
        };
        edit(ctx, &input.reference, input.version, change).await
    }

    /// "Not ours": sends a case back to the triage unit with the reason, unassigned;
    /// the triage unit is emailed. For a handler, the one way a case leaves their unit.
    async fn return_to_triage(
        &self,
        ctx: &Context<'_>,
        input: ReturnToTriageInput,
    ) -> async_graphql::Result<CaseView> {
        let reason = required_text("reason", &input.reason, MAX_NOTE_CHARS)?;
        let triage_unit = ctx
            .data_unchecked::<Arc<Organisation>>()
            .triage_unit
            .clone();
        let change = Change::ReturnToTriage {
            triage_unit,
            reason,
        };
        edit(ctx, &input.reference, input.version, change).await
    }
}

/// The case `reference` if the caller may see it; NOT_FOUND otherwise, the same
/// answer as for a reference that does not exist.
pub(crate) async fn case_in_scope(
    store: &Store,
    member: &StaffMember,
    reference: &str,
) -> async_graphql::Result<CaseRecord> {
    let parsed =
        Reference::parse(reference).map_err(|error| bad_input("reference", error.to_string()))?;
    store
        .case_by_reference(&parsed)
        .await
        .map_err(|error| from_store("loading a case", error))?
        .filter(|case| member.scope().covers(case.unit_code.as_deref()))
        .ok_or_else(|| not_found(format!("no case {parsed}")))
}

async fn edit(
    ctx: &Context<'_>,
    reference: &str,
    version: i64,
    change: Change,
) -> async_graphql::Result<CaseView> {
    let member = require_staff(ctx)?;
    let store = ctx.data_unchecked::<Store>();
    let case = case_in_scope(store, member, reference).await?;
    let edit = CaseEdit {
        case_id: case.id,
        version,
        actor: member.actor(),
        change,
    };
    let max_attempts = ctx.data_unchecked::<Limits>().job_max_attempts;
    let edited = store
        .edit_case(&edit, max_attempts, palaute_store::now())
        .await
        .map_err(|error| from_store("changing a case", error))?;
    match edited {
        Edited::Applied(changed) => {
            ctx.data_unchecked::<JobWakeup>().0.notify_one();
            info!(case = %changed.reference, version = changed.version, actor = %edit.actor, "case changed");
            Ok(CaseView(*changed))
        }
        Edited::Conflict { current_version } => Err(stale(version, current_version)),
        Edited::Refused(refused) => Err(refused_action(&refused)),
        Edited::NotFound => Err(not_found(format!("no case {}", case.reference))),
    }
}

/// CONFLICT for an edit made against an old version, with the current one so the
/// client can reload and decide again.
pub(crate) fn stale(given: i64, current: i64) -> async_graphql::Error {
    coded(
        Code::Conflict,
        format!(
            "the case changed since version {given} (it is at version {current}); reload it and try again"
        ),
    )
    .extend_with(|_, extensions| extensions.set("currentVersion", current))
}

/// The workflow's refusal: a move that is not allowed is the client's to fix
/// (BAD_USER_INPUT naming the transition); a case still being routed is CONFLICT, as
/// it clears by itself in a moment.
pub(crate) fn refused_action(refused: &ActionError) -> async_graphql::Error {
    match refused {
        ActionError::StillNew => coded(Code::Conflict, refused.to_string()),
        ActionError::Transition(transition) => {
            let (from, to) = (transition.from.graphql_name(), transition.to.graphql_name());
            coded(Code::BadUserInput, refused.to_string()).extend_with(move |_, extensions| {
                extensions.set("from", from);
                extensions.set("to", to);
            })
        }
        ActionError::Finished { .. } | ActionError::Other(_) => {
            coded(Code::BadUserInput, refused.to_string())
        }
    }
}

fn required_text(field: &str, text: &str, max_chars: usize) -> async_graphql::Result<String> {
    match optional_text(field, Some(text), max_chars)? {
        Some(text) => Ok(text),
        None => Err(bad_input(field, format!("{field} must not be empty"))),
    }
}

fn optional_text(
    field: &str,
    text: Option<&str>,
    max_chars: usize,
) -> async_graphql::Result<Option<String>> {
    let text = normalize_optional(text);
    if let Some(message) = text
        .as_deref()
        .and_then(|text| too_long(field, text, max_chars))
    {
        return Err(bad_input(field, message));
    }
    Ok(text)
}
