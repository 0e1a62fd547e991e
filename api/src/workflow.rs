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
use palaute_core::workflow::Tag;
use palaute_core::{ActionError, Organisation, Reference, StaffMember, StaffRole};
use palaute_store::{
    BulkEdited, CaseEdit, CaseRecord, Change, Edited, Related, Store, VersionedCase,
};
use tracing::info;

use crate::auth::{require_role, require_staff};
use crate::errors::{Code, bad_input, coded, from_store, not_found};
use crate::inputs::reassign_target;
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

#[derive(InputObject)]
pub struct SetCaseTagsInput {
    pub reference: String,
    pub version: i64,
    /// Tags to put on: letters, digits, - and _, at most 40 characters; folded to
    /// lower case.
    pub add: Option<Vec<String>>,
    pub remove: Option<Vec<String>>,
}

/// One case of a bulk change, at the version the caller saw.
#[derive(InputObject)]
pub struct CaseVersionInput {
    pub reference: String,
    pub version: i64,
}

/// Where a bulk change moves its cases (TRIAGE and ADMIN).
#[derive(InputObject)]
pub struct BulkReassignInput {
    pub unit_code: String,
    pub category_code: Option<String>,
    pub note: Option<String>,
}

/// One change applied to every listed case: give exactly one of `assigneeEmail`,
/// `unassign`, `status`, tags (`addTags`/`removeTags`) or `reassign`.
#[derive(InputObject)]
pub struct BulkUpdateCasesInput {
    /// At most 100 cases.
    pub cases: Vec<CaseVersionInput>,
    pub assignee_email: Option<String>,
    pub unassign: Option<bool>,
    pub status: Option<CaseStatus>,
    pub add_tags: Option<Vec<String>>,
    pub remove_tags: Option<Vec<String>>,
    pub reassign: Option<BulkReassignInput>,
}

const MAX_BULK_CASES: usize = 100;

/// A duplicate and the case it is merged into, each at the version the caller saw.
#[derive(InputObject)]
pub struct MergeCasesInput {
    pub duplicate: CaseVersionInput,
    pub into: CaseVersionInput,
    /// Why, for both timelines: at most 2,000 characters.
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct ForwardCaseInput {
    pub reference: String,
    pub version: i64,
    /// An outside body from `externalBodies`.
    pub body_code: String,
    /// For the body and the timeline: at most 2,000 characters.
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct LinkCasesInput {
    pub case: CaseVersionInput,
    pub linked: CaseVersionInput,
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

    /// Puts tags on a case and takes others off. Staff in the case's scope.
    async fn set_case_tags(
        &self,
        ctx: &Context<'_>,
        input: SetCaseTagsInput,
    ) -> async_graphql::Result<CaseView> {
        let change = Change::Tag {
            add: tags("add", input.add.as_deref())?,
            remove: tags("remove", input.remove.as_deref())?,
        };
        edit(ctx, &input.reference, input.version, change).await
    }

    /// Applies one change (assign, unassign, status, tags or reassign) to every
    /// listed case in one transaction: all of them or none. The first case that
    /// cannot be changed is named in the error (`extensions.index` and
    /// `extensions.reference`), with the code it would have had alone.
    async fn bulk_update_cases(
        &self,
        ctx: &Context<'_>,
        input: BulkUpdateCasesInput,
    ) -> async_graphql::Result<Vec<CaseView>> {
        let member = require_staff(ctx)?;
        if input.cases.is_empty() || input.cases.len() > MAX_BULK_CASES {
            return Err(bad_input(
                "cases",
                format!("list 1 to {MAX_BULK_CASES} cases"),
            ));
        }
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let change = bulk_change(&input, member, organisation)?;
        let store = ctx.data_unchecked::<Store>();
        let mut edits = Vec::with_capacity(input.cases.len());
        for (index, item) in input.cases.iter().enumerate() {
            let case = case_in_scope(store, member, &item.reference)
                .await
                .map_err(|error| at_index(error, index, &item.reference))?;
            edits.push(CaseEdit {
                case_id: case.id,
                version: item.version,
                actor: member.actor(),
                change: change.clone(),
            });
        }
        let max_attempts = ctx.data_unchecked::<Limits>().job_max_attempts;
        let outcome = store
            .edit_cases(&edits, max_attempts, palaute_store::now())
            .await
            .map_err(|error| from_store("changing cases", error))?;
        match outcome {
            BulkEdited::Applied(cases) => {
                ctx.data_unchecked::<JobWakeup>().0.notify_one();
                info!(cases = cases.len(), actor = %member.actor(), "cases changed in bulk");
                Ok(cases.into_iter().map(CaseView).collect())
            }
            BulkEdited::Failed { index, outcome } => {
                let reference = input
                    .cases
                    .get(index)
                    .map_or(String::new(), |item| item.reference.clone());
                let version = input.cases.get(index).map_or(0, |item| item.version);
                let error = match outcome {
                    Edited::Conflict { current_version } => stale(version, current_version),
                    Edited::Refused(refused) => refused_action(&refused),
                    Edited::NotFound | Edited::Applied(_) => {
                        not_found(format!("no case {reference}"))
                    }
                };
                Err(at_index(error, index, &reference))
            }
        }
    }

    /// Merges a duplicate into the case that is kept: the duplicate is closed, leaves
    /// lists, counts and search, points at the kept case (`mergedInto`), and its
    /// resident is emailed, in their language, which case carries their matter on.
    /// Both cases must be in the caller's scope. Returns the kept case.
    async fn merge_cases(
        &self,
        ctx: &Context<'_>,
        input: MergeCasesInput,
    ) -> async_graphql::Result<CaseView> {
        let note = optional_text("note", input.note.as_deref(), MAX_NOTE_CHARS)?;
        related(
            ctx,
            &input.duplicate,
            &input.into,
            |store, first, second, actor, now, max_attempts| {
                Box::pin(async move {
                    store
                        .merge_cases(first, second, &actor, note.as_deref(), max_attempts, now)
                        .await
                })
            },
        )
        .await
    }

    /// Links two cases about related matters, both ways. Both must be in the caller's
    /// scope. Returns the first case.
    async fn link_cases(
        &self,
        ctx: &Context<'_>,
        input: LinkCasesInput,
    ) -> async_graphql::Result<CaseView> {
        related(
            ctx,
            &input.case,
            &input.linked,
            |store, first, second, actor, now, _| {
                Box::pin(async move { store.link_cases(first, second, &actor, now).await })
            },
        )
        .await
    }

    /// Not the city's matter: sends the case to an outside body from the organisation
    /// (`externalBodies`) by email, without the resident's contact details, closes it
    /// here, and tells the resident, in their language, who handles it now and how to
    /// reach them. TRIAGE and ADMIN.
    async fn forward_case(
        &self,
        ctx: &Context<'_>,
        input: ForwardCaseInput,
    ) -> async_graphql::Result<CaseView> {
        require_role(ctx, &[StaffRole::Admin, StaffRole::Triage])?;
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let body_code = input.body_code.trim().to_owned();
        if organisation.external_body(&body_code).is_none() {
            let known: Vec<&str> = organisation
                .external_bodies
                .iter()
                .map(|body| body.code.as_str())
                .collect();
            return Err(bad_input(
                "bodyCode",
                format!(
                    "unknown outside body {body_code:?}; the organisation lists {}",
                    known.join(", ")
                ),
            ));
        }
        let note = optional_text("note", input.note.as_deref(), MAX_NOTE_CHARS)?;
        let change = Change::Forward { body_code, note };
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

/// Tags parsed from input, or BAD_USER_INPUT naming `field`.
fn tags(field: &str, values: Option<&[String]>) -> async_graphql::Result<Vec<Tag>> {
    values
        .unwrap_or_default()
        .iter()
        .map(|value| Tag::parse(value).map_err(|message| bad_input(field, message)))
        .collect()
}

/// The one change a bulk update applies, checked.
fn bulk_change(
    input: &BulkUpdateCasesInput,
    member: &StaffMember,
    organisation: &Organisation,
) -> async_graphql::Result<Change> {
    let mut changes = Vec::new();
    if let Some(email) = normalize_optional(input.assignee_email.as_deref()) {
        changes.push(Change::Assign {
            assignee_email: Some(email),
        });
    }
    if input.unassign == Some(true) {
        changes.push(Change::Assign {
            assignee_email: None,
        });
    }
    if let Some(status) = input.status {
        changes.push(Change::SetStatus {
            status: status.into(),
            note: None,
        });
    }
    if input.add_tags.is_some() || input.remove_tags.is_some() {
        changes.push(Change::Tag {
            add: tags("addTags", input.add_tags.as_deref())?,
            remove: tags("removeTags", input.remove_tags.as_deref())?,
        });
    }
    if let Some(reassign) = &input.reassign {
        if !matches!(member.role, StaffRole::Admin | StaffRole::Triage) {
            return Err(coded(
                Code::Forbidden,
                "moving cases between units is for TRIAGE and ADMIN; a handler uses returnToTriage",
            ));
        }
        let valid = reassign_target(
            organisation,
            &reassign.unit_code,
            reassign.category_code.as_deref(),
            reassign.note.as_deref(),
        )?;
        changes.push(Change::Reassign {
            unit_code: valid.unit_code,
            category_code: valid.category_code,
            note: valid.note,
        });
    }
    let mut changes = changes.into_iter();
    match (changes.next(), changes.next()) {
        (Some(change), None) => Ok(change),
        _ => Err(bad_input(
            "input",
            "give exactly one change: assigneeEmail, unassign, status, addTags/removeTags or reassign",
        )),
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

type RelateFuture<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<Related, palaute_store::StoreError>> + Send + 'a>,
>;

/// Loads both cases within the caller's scope and applies `relate` to them.
async fn related<F>(
    ctx: &Context<'_>,
    first: &CaseVersionInput,
    second: &CaseVersionInput,
    relate: F,
) -> async_graphql::Result<CaseView>
where
    F: for<'a> FnOnce(
        &'a Store,
        VersionedCase,
        VersionedCase,
        String,
        chrono::DateTime<chrono::Utc>,
        i32,
    ) -> RelateFuture<'a>,
{
    let member = require_staff(ctx)?;
    let store = ctx.data_unchecked::<Store>();
    let first_case = case_in_scope(store, member, &first.reference).await?;
    let second_case = case_in_scope(store, member, &second.reference).await?;
    let max_attempts = ctx.data_unchecked::<Limits>().job_max_attempts;
    let outcome = relate(
        store,
        VersionedCase {
            id: first_case.id,
            version: first.version,
        },
        VersionedCase {
            id: second_case.id,
            version: second.version,
        },
        member.actor(),
        palaute_store::now(),
        max_attempts,
    )
    .await
    .map_err(|error| from_store("relating cases", error))?;
    let (outcome, input) = match outcome {
        Related::Applied(case) => {
            ctx.data_unchecked::<JobWakeup>().0.notify_one();
            return Ok(CaseView(*case));
        }
        Related::First(outcome) => (outcome, first),
        Related::Second(outcome) => (outcome, second),
    };
    Err(match outcome {
        Edited::Conflict { current_version } => stale(input.version, current_version),
        Edited::Refused(refused) => refused_action(&refused),
        Edited::NotFound | Edited::Applied(_) => not_found(format!("no case {}", input.reference)),
    }
    .extend_with(|_, extensions| extensions.set("reference", input.reference.as_str())))
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

/// Names the case of a bulk change an error is about; nothing was changed.
fn at_index(error: async_graphql::Error, index: usize, reference: &str) -> async_graphql::Error {
    let reference = reference.to_owned();
    let message = format!(
        "case {} ({reference}): {}; nothing was changed",
        index + 1,
        error.message
    );
    let mut named = error;
    named.message = message;
    named.extend_with(move |_, extensions| {
        extensions.set("index", index);
        extensions.set("reference", reference.as_str());
    })
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
