//! GraphQL output types and enums. They wrap the store's read models; nothing here is
//! a database entity.

use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use palaute_core::{CaseId, Category, Localized, Organisation, Unit};
use palaute_store::{CaseRecord, Store};

use crate::errors::{from_loader, from_store};
use crate::guidance::{AnswerView, GuidanceView};
use crate::loaders::{AnswersOf, CaseDetails, ContactOf, StaffEmail, TagsOf};

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "palaute_core::Channel")]
/// Where a piece of feedback came from.
pub enum Channel {
    Web,
    MobileApp,
    Email,
    Phone,
    Sms,
    SocialMedia,
    Open311,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "palaute_core::Language")]
/// Finnish, Swedish or English: the languages every resident-facing text exists in.
pub enum Language {
    Fi,
    Sv,
    En,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
/// The language a case is written in, as the pipeline detected it.
pub enum CaseLanguage {
    Fi,
    Sv,
    En,
    /// Not detected yet, or the text gave no evidence ("OK!", a link).
    Unknown,
}

impl From<Option<palaute_core::Language>> for CaseLanguage {
    fn from(language: Option<palaute_core::Language>) -> Self {
        match language {
            Some(palaute_core::Language::Fi) => CaseLanguage::Fi,
            Some(palaute_core::Language::Sv) => CaseLanguage::Sv,
            Some(palaute_core::Language::En) => CaseLanguage::En,
            None => CaseLanguage::Unknown,
        }
    }
}

impl CaseLanguage {
    pub fn code(self) -> &'static str {
        match self {
            CaseLanguage::Fi => "fi",
            CaseLanguage::Sv => "sv",
            CaseLanguage::En => "en",
            CaseLanguage::Unknown => "und",
        }
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "palaute_core::CaseStatus")]
/// Where a case stands.
pub enum CaseStatus {
    /// Received; the pipeline has not routed it yet.
    New,
    /// The pipeline chose the unit that handles it.
    Routed,
    /// No rule was sure enough, or its handler returned it: the case waits in the
    /// triage unit for a person.
    NeedsTriage,
    /// A handler is working on it.
    InProgress,
    /// Staff asked the resident for more and wait for their answer.
    WaitingForResident,
    /// Staff consider it done; the resident may still reopen it.
    Resolved,
    /// Finished for good (reopened only by staff).
    Closed,
}

/// Resolves names in the language the top-level field asked for, unless a field
/// asks for another.
fn localized(names: &Localized, asked: Option<Language>, default: Language) -> String {
    names.get(asked.unwrap_or(default).into()).to_owned()
}

/// A unit of the organisation that handles cases.
pub struct UnitView {
    pub unit: Unit,
    pub division_name: Option<Localized>,
    pub lang: Language,
}

#[Object(name = "Unit")]
impl UnitView {
    async fn code(&self) -> &str {
        &self.unit.code
    }

    async fn name(&self, lang: Option<Language>) -> String {
        localized(&self.unit.name, lang, self.lang)
    }

    /// The division the unit belongs to.
    async fn division(&self, lang: Option<Language>) -> Option<String> {
        self.division_name
            .as_ref()
            .map(|names| localized(names, lang, self.lang))
    }
}

impl UnitView {
    pub fn new(organisation: &Organisation, unit: &Unit, lang: Language) -> Self {
        Self {
            unit: unit.clone(),
            division_name: organisation
                .division(&unit.division)
                .map(|d| d.name.clone()),
            lang,
        }
    }
}

/// A public feedback category (an Open311 service).
pub struct CategoryView {
    pub category: Category,
    pub lang: Language,
}

#[Object(name = "Category")]
impl CategoryView {
    /// The Open311 service code.
    async fn code(&self) -> &str {
        &self.category.code
    }

    async fn name(&self, lang: Option<Language>) -> String {
        localized(&self.category.name, lang, self.lang)
    }

    async fn group(&self, lang: Option<Language>) -> String {
        localized(&self.category.group, lang, self.lang)
    }

    /// A notice, extra questions or a redirect to show before a case is made; null
    /// when the category has none.
    async fn guidance(&self, lang: Option<Language>) -> Option<GuidanceView> {
        self.category.guidance.clone().map(|guidance| GuidanceView {
            guidance,
            lang: lang.unwrap_or(self.lang),
        })
    }
}

#[derive(SimpleObject)]
pub struct Location {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
}

#[derive(SimpleObject)]
/// How to reach the resident. Shown to staff only.
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

/// The organisation's unit `code`, named in Finnish unless a `lang` argument asks
/// otherwise; `None` if the organisation no longer has it.
pub(crate) fn unit_view(ctx: &Context<'_>, code: &str) -> Option<UnitView> {
    let organisation = ctx.data_unchecked::<Arc<Organisation>>();
    organisation
        .unit(code)
        .map(|unit| UnitView::new(organisation, unit, Language::Fi))
}

/// The organisation's category `code`; `None` if the organisation no longer has it.
pub(crate) fn category_view(ctx: &Context<'_>, code: &str) -> Option<CategoryView> {
    let organisation = ctx.data_unchecked::<Arc<Organisation>>();
    organisation.category(code).map(|category| CategoryView {
        category: category.clone(),
        lang: Language::Fi,
    })
}

/// A case as staff see it.
pub struct CaseView(pub CaseRecord);

#[Object(name = "Case")]
impl CaseView {
    /// The reference the resident was given, e.g. `HEL-2026-000123`.
    async fn reference(&self) -> String {
        self.0.reference.to_string()
    }

    async fn status(&self) -> CaseStatus {
        self.0.status.into()
    }

    /// The detected language (`UNKNOWN` before detection or without evidence).
    async fn language(&self) -> CaseLanguage {
        self.0.language.into()
    }

    /// How sure the detection was, from 0 to 1.
    async fn language_confidence(&self) -> Option<f64> {
        self.0.language_confidence
    }

    /// The language the submitter said they use.
    async fn stated_language(&self) -> Option<Language> {
        self.0.stated_language.map(Into::into)
    }

    async fn channel(&self) -> Channel {
        self.0.channel.into()
    }

    /// Who sent the case in, beyond its channel: the name of the Open311 API key that
    /// created it ("config" for a key from settings), or "mail" for the email door;
    /// null for the other doors.
    async fn source(&self) -> Option<&str> {
        self.0.source.as_deref()
    }

    async fn title(&self) -> Option<&str> {
        self.0.title.as_deref()
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    /// The unit handling the case; null until the pipeline routed it.
    async fn unit(&self, ctx: &Context<'_>) -> Option<UnitView> {
        unit_view(ctx, self.0.unit_code.as_deref()?)
    }

    async fn category(&self, ctx: &Context<'_>) -> Option<CategoryView> {
        category_view(ctx, self.0.category_code.as_deref()?)
    }

    /// Why the pipeline routed the case where it did.
    async fn routing_reason(&self) -> Option<&str> {
        self.0.routing_reason.as_deref()
    }

    /// How sure the routing was, from 0 to 1.
    async fn routing_confidence(&self) -> Option<f64> {
        self.0.routing_confidence
    }

    async fn location(&self) -> Option<Location> {
        self.0.location.as_ref().map(|location| Location {
            lat: location.lat,
            lon: location.lon,
            address: location.address.clone(),
        })
    }

    async fn contact(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<Contact>> {
        let contact = ctx
            .data_unchecked::<CaseDetails>()
            .load_one(ContactOf(self.0.id))
            .await
            .map_err(|error| from_loader("loading contact details", &error))?;
        Ok(contact.map(|contact| Contact {
            name: contact.name,
            email: contact.email,
            phone: contact.phone,
        }))
    }

    /// What happened to the case, oldest first: who, when, before and after. At most
    /// 200 events a page (50 when `first` is omitted).
    async fn timeline(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<crate::timeline::TimelineConnection> {
        crate::timeline::timeline_page(ctx, self.0.id, first, after).await
    }

    /// Bumped by every change. Every workflow mutation takes the version it was
    /// decided on, and a stale one is refused with CONFLICT.
    async fn version(&self) -> i64 {
        self.0.version
    }

    /// The staff member working on the case.
    async fn assignee(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<StaffRef>> {
        let Some(id) = self.0.assignee_id else {
            return Ok(None);
        };
        let email = ctx
            .data_unchecked::<CaseDetails>()
            .load_one(StaffEmail(id))
            .await
            .map_err(|error| from_loader("loading the assignee", &error))?;
        Ok(email.map(|email| StaffRef { email }))
    }

    /// The case this duplicate was merged into (the duplicate is closed).
    async fn merged_into(&self, ctx: &Context<'_>) -> async_graphql::Result<Option<CaseView>> {
        let Some(id) = self.0.merged_into else {
            return Ok(None);
        };
        Ok(visible_cases(ctx, &[id]).await?.into_iter().next())
    }

    /// The duplicates merged into this case, oldest first.
    async fn duplicates(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CaseView>> {
        let store = ctx.data_unchecked::<Store>();
        let ids = store
            .merged_duplicates(self.0.id)
            .await
            .map_err(|error| from_store("loading duplicates", error))?;
        visible_cases(ctx, &ids).await
    }

    /// Cases about related matters (`linkCases`), in the caller's scope.
    async fn linked_cases(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<CaseView>> {
        let store = ctx.data_unchecked::<Store>();
        let ids = store
            .linked_cases(self.0.id)
            .await
            .map_err(|error| from_store("loading linked cases", error))?;
        visible_cases(ctx, &ids).await
    }

    /// Tags staff put on the case, sorted.
    async fn tags(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<String>> {
        Ok(ctx
            .data_unchecked::<CaseDetails>()
            .load_one(TagsOf(self.0.id))
            .await
            .map_err(|error| from_loader("loading tags", &error))?
            .unwrap_or_default())
    }

    /// The resident's answers to the category's questions, in the questions' order.
    async fn answers(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<AnswerView>> {
        Ok(ctx
            .data_unchecked::<CaseDetails>()
            .load_one(AnswersOf(self.0.id))
            .await
            .map_err(|error| from_loader("loading answers", &error))?
            .unwrap_or_default()
            .into_iter()
            .map(AnswerView::from)
            .collect())
    }

    /// When staff first replied to the resident.
    async fn first_replied_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_replied_at
    }

    /// When the case was resolved (null once reopened).
    async fn resolved_at(&self) -> Option<DateTime<Utc>> {
        self.0.resolved_at
    }

    /// Deadlines: when the first reply to the resident is due, counted in working time
    /// in Helsinki from the submission (null before routing).
    async fn first_reply_due_at(&self) -> Option<DateTime<Utc>> {
        self.0.first_reply_due_at
    }

    /// Deadlines: when the case should be resolved, counted like `firstReplyDueAt`.
    async fn due_at(&self) -> Option<DateTime<Utc>> {
        self.0.due_at
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }

    async fn routed_at(&self) -> Option<DateTime<Utc>> {
        self.0.routed_at
    }

    /// Where the live routing model would send the case, most likely first (at most
    /// three): for a case in triage, the choices to start from. Empty when no trained
    /// model was live when the case arrived.
    async fn routing_suggestions(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::routing_types::RoutingSuggestion>> {
        let store = ctx.data_unchecked::<Store>();
        let predictions = store
            .case_predictions(self.0.id)
            .await
            .map_err(|error| from_store("loading routing suggestions", error))?;
        Ok(predictions
            .into_iter()
            .find(|prediction| prediction.role == palaute_store::ModelRole::Live)
            .map(|prediction| {
                prediction
                    .suggestions
                    .into_iter()
                    .map(crate::routing_types::RoutingSuggestion)
                    .collect()
            })
            .unwrap_or_default())
    }
}

#[derive(SimpleObject)]
/// A staff member as other staff see them.
pub struct StaffRef {
    pub email: String,
}

#[derive(SimpleObject)]
/// Staff's answer to a resident.
pub struct Reply {
    pub body: String,
    pub sent_at: DateTime<Utc>,
}

/// The cases `ids` that the caller may see, in that order; others are left out as if
/// they did not exist.
async fn visible_cases(ctx: &Context<'_>, ids: &[CaseId]) -> async_graphql::Result<Vec<CaseView>> {
    let scope = crate::auth::require_staff(ctx)?.scope();
    let store = ctx.data_unchecked::<Store>();
    let cases = store
        .cases_by_ids(ids)
        .await
        .map_err(|error| from_store("loading related cases", error))?;
    Ok(cases
        .into_iter()
        .filter(|case| scope.covers(case.unit_code.as_deref()))
        .map(CaseView)
        .collect())
}

/// What a resident may see of their own case.
#[derive(SimpleObject)]
#[graphql(complex)]
pub struct TrackedCase {
    pub reference: String,
    pub status: CaseStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    #[graphql(skip)]
    pub category_code: Option<String>,
    #[graphql(skip)]
    pub core_status: palaute_core::CaseStatus,
    #[graphql(skip)]
    pub case_id: palaute_core::CaseId,
    #[graphql(skip)]
    pub resolved_at: Option<DateTime<Utc>>,
    #[graphql(skip)]
    pub satisfaction: Option<palaute_store::Satisfaction>,
}

#[derive(SimpleObject)]
/// A resident's answer to "how well was your feedback handled?".
pub struct SatisfactionView {
    /// 1 (poor) to 5 (very good).
    pub score: i32,
    pub comment: Option<String>,
}

#[ComplexObject]
impl TrackedCase {
    /// The status in words, in the resident's language.
    async fn status_text(&self, lang: Option<Language>) -> String {
        self.core_status
            .name()
            .get(lang.unwrap_or(Language::Fi).into())
            .to_owned()
    }

    /// The resident's satisfaction answer, once given (`rateCase`).
    async fn satisfaction(&self) -> Option<SatisfactionView> {
        self.satisfaction.as_ref().map(|answer| SatisfactionView {
            score: i32::from(answer.score),
            comment: answer.comment.clone(),
        })
    }

    /// Until when the resident may reopen the case (`reopenCase`); null unless it is
    /// resolved and the window is open.
    async fn reopenable_until(&self, ctx: &Context<'_>) -> Option<DateTime<Utc>> {
        let window = ctx.data_unchecked::<crate::schema::Limits>().reopen_window;
        let until = self.resolved_at? + window;
        (self.core_status == palaute_core::CaseStatus::Resolved
            && until > palaute_store::now()
            && !window.is_zero())
        .then_some(until)
    }

    /// Staff's replies, oldest first. Internal notes are never shown here.
    async fn replies(&self, ctx: &Context<'_>) -> async_graphql::Result<Vec<Reply>> {
        let store = ctx.data_unchecked::<Store>();
        let replies = store
            .case_replies(self.case_id)
            .await
            .map_err(|error| from_store("loading replies", error))?;
        Ok(replies
            .into_iter()
            .filter_map(|event| {
                let body = event.detail.get("note")?.as_str()?.to_owned();
                Some(Reply {
                    body,
                    sent_at: event.created_at,
                })
            })
            .collect())
    }

    async fn category(&self, ctx: &Context<'_>) -> Option<CategoryView> {
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let code = self.category_code.as_deref()?;
        organisation.category(code).map(|category| CategoryView {
            category: category.clone(),
            lang: Language::Fi,
        })
    }
}

impl From<CaseRecord> for TrackedCase {
    fn from(case: CaseRecord) -> Self {
        Self {
            reference: case.reference.to_string(),
            status: case.status.into(),
            created_at: case.created_at,
            updated_at: case.updated_at,
            category_code: case.category_code,
            core_status: case.status,
            case_id: case.id,
            resolved_at: case.resolved_at,
            satisfaction: case.satisfaction,
        }
    }
}

#[derive(SimpleObject)]
pub struct SubmitFeedbackPayload {
    /// The reference to quote, e.g. `HEL-2026-000123`.
    pub reference: String,
    /// The secret that lets the submitter track the case with `trackCase`. Shown once:
    /// only its hash is stored. A retried submission with the same idempotencyKey
    /// gets the same token.
    pub tracking_token: Option<String>,
    /// Always `NEW`: routing happens in the background within moments.
    pub status: CaseStatus,
    /// True when the idempotencyKey matched an earlier submission, which is returned.
    pub replayed: bool,
}

#[derive(SimpleObject)]
/// How many matching cases have a value.
pub struct FacetCount {
    pub value: String,
    pub count: u64,
}

#[derive(SimpleObject)]
/// Counts over all cases matching a search, per field.
pub struct SearchFacets {
    pub status: Vec<FacetCount>,
    pub unit: Vec<FacetCount>,
    pub category: Vec<FacetCount>,
    pub channel: Vec<FacetCount>,
    pub language: Vec<FacetCount>,
}

#[derive(SimpleObject)]
pub struct SearchResult {
    /// How many cases match, whatever `first` is.
    pub total_count: u64,
    pub nodes: Vec<CaseView>,
    pub facets: SearchFacets,
}

#[derive(SimpleObject)]
/// Extra fields of the `cases` connection.
pub struct CaseConnectionFields {
    /// How many cases the filter matches, over all pages.
    pub total_count: u64,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "palaute_core::StaffRole")]
/// What a staff member may do.
pub enum StaffRole {
    /// Everything: every case, routing models, accounts.
    Admin,
    /// Every unit's cases; may reassign any of them.
    Triage,
    /// The cases of their own units.
    Handler,
}

/// A staff member: who a bearer token belongs to.
pub struct StaffView(pub palaute_core::StaffMember);

#[Object(name = "StaffMember")]
impl StaffView {
    /// The account's email address (`admin` for the bootstrap administrator token).
    async fn email(&self) -> &str {
        &self.0.email
    }

    async fn role(&self) -> StaffRole {
        self.0.role.into()
    }

    /// The units whose cases a handler works on; empty for roles that see every unit.
    async fn units(&self, ctx: &Context<'_>) -> Vec<UnitView> {
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        self.0
            .units
            .iter()
            .filter_map(|code| organisation.unit(code))
            .map(|unit| UnitView::new(organisation, unit, Language::Fi))
            .collect()
    }
}
