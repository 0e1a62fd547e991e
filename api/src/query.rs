//! Queries: public lookups for forms, case tracking for residents, and staff reads.

use std::sync::Arc;

use async_graphql::connection::{Connection, Edge, EmptyFields};
use async_graphql::{Context, Object};
use palaute_core::{CaseId, Organisation, Reference, StaffRole};
use palaute_search_index::{SearchFilters, SearchIndex, SearchQuery};
use palaute_store::{CaseCursor, CaseOrder, CountBy, Store};

use crate::auth::{require_role, require_staff};
use crate::errors::{bad_input, from_index, from_store, internal, not_found};
use crate::inputs::{CaseFilterInput, CaseOrderBy, SearchFilterInput};
use crate::schema::Limits;
use crate::types::{
    CaseConnectionFields, CaseView, CategoryView, FacetCount, Language, SearchFacets, SearchResult,
    StaffView, TrackedCase, UnitView,
};

const DEFAULT_PAGE_SIZE: u64 = 20;

/// An outside body cases may be forwarded to.
#[derive(async_graphql::SimpleObject)]
pub struct ExternalBodyView {
    pub code: String,
    pub name: String,
    /// How residents reach them.
    pub contact: String,
}

/// What `caseCounts` groups by.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CaseCountGroup {
    Status,
    Unit,
    Assignee,
}

impl From<CaseCountGroup> for CountBy {
    fn from(group: CaseCountGroup) -> Self {
        match group {
            CaseCountGroup::Status => CountBy::Status,
            CaseCountGroup::Unit => CountBy::Unit,
            CaseCountGroup::Assignee => CountBy::Assignee,
        }
    }
}

/// How many cases have one value: a status code (`in_progress`), a unit code or an
/// assignee's email; null for cases without a unit or without an assignee.
#[derive(async_graphql::SimpleObject)]
pub struct CaseCount {
    pub key: Option<String>,
    pub count: u64,
}

pub struct Query;

type CaseConnection = Connection<String, CaseView, CaseConnectionFields, EmptyFields>;

// Named apart from the root it is merged into (`schema::QueryRoot`, "Query").
#[Object(name = "CaseQuery")]
impl Query {
    /// The units that handle cases, names in `lang` (Finnish by default).
    async fn units(&self, ctx: &Context<'_>, lang: Option<Language>) -> Vec<UnitView> {
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let lang = lang.unwrap_or(Language::Fi);
        organisation
            .units
            .iter()
            .map(|unit| UnitView::new(organisation, unit, lang))
            .collect()
    }

    /// Bodies outside the city that triage may forward a case to (`forwardCase`), names
    /// in `lang` (Finnish by default). Staff only.
    async fn external_bodies(
        &self,
        ctx: &Context<'_>,
        lang: Option<Language>,
    ) -> async_graphql::Result<Vec<ExternalBodyView>> {
        require_staff(ctx)?;
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let lang = palaute_core::Language::from(lang.unwrap_or(Language::Fi));
        Ok(organisation
            .external_bodies
            .iter()
            .map(|body| ExternalBodyView {
                code: body.code.clone(),
                name: body.name.get(lang).to_owned(),
                contact: body.contact.clone(),
            })
            .collect())
    }

    /// The feedback categories a resident can choose, names in `lang` (Finnish by default).
    async fn categories(&self, ctx: &Context<'_>, lang: Option<Language>) -> Vec<CategoryView> {
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let lang = lang.unwrap_or(Language::Fi);
        organisation
            .categories
            .iter()
            .map(|category| CategoryView {
                category: category.clone(),
                lang,
            })
            .collect()
    }

    /// A resident's view of their own case: needs the token given at submission.
    /// A wrong token and an unknown reference give the same NOT_FOUND.
    async fn track_case(
        &self,
        ctx: &Context<'_>,
        reference: String,
        token: String,
    ) -> async_graphql::Result<TrackedCase> {
        crate::resident::own_case(ctx, &reference, &token)
            .await
            .map(TrackedCase::from)
    }

    /// The staff member the bearer token belongs to. Staff only.
    async fn me(&self, ctx: &Context<'_>) -> async_graphql::Result<StaffView> {
        Ok(StaffView(require_staff(ctx)?.clone()))
    }

    /// One case by its reference. Staff only; a case outside the caller's units
    /// answers exactly as a reference that does not exist.
    async fn case(&self, ctx: &Context<'_>, reference: String) -> async_graphql::Result<CaseView> {
        let scope = require_staff(ctx)?.scope();
        let reference = parse_reference(&reference)?;
        let store = ctx.data_unchecked::<Store>();
        store
            .case_by_reference(&reference)
            .await
            .map_err(|error| from_store("loading a case", error))?
            .filter(|case| scope.covers(case.unit_code.as_deref()))
            .map(CaseView)
            .ok_or_else(|| not_found(format!("no case {reference}")))
    }

    /// Cases matching `filter` in the caller's scope, in `orderBy` order (newest
    /// first by default), as a Relay connection. Staff only.
    async fn cases(
        &self,
        ctx: &Context<'_>,
        filter: Option<CaseFilterInput>,
        order_by: Option<CaseOrderBy>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<CaseConnection> {
        let scope = require_staff(ctx)?.scope();
        let first = page_size(ctx, first)?;
        let order = CaseOrder::from(order_by.unwrap_or_default());
        let after = after
            .map(|cursor| {
                CaseCursor::decode(order, &cursor)
                    .ok_or_else(|| bad_input("after", "not a cursor from this connection"))
            })
            .transpose()?;
        let store = ctx.data_unchecked::<Store>();
        let mut filter = filter.unwrap_or_default().into_filter()?;
        filter.within_units = scope.units().map(|units| units.iter().cloned().collect());
        let page = store
            .list_cases(&filter, order, first, after)
            .await
            .map_err(|error| from_store("listing cases", error))?;
        let mut connection = Connection::with_additional_fields(
            after.is_some(),
            page.has_next_page,
            CaseConnectionFields {
                total_count: page.total_count,
            },
        );
        connection.edges.extend(
            page.cases
                .into_iter()
                .map(|case| Edge::new(CaseCursor::after(order, &case).encode(), CaseView(case))),
        );
        Ok(connection)
    }

    /// How many cases in the caller's scope match `filter`, per status, unit or
    /// assignee, largest first. Staff only.
    async fn case_counts(
        &self,
        ctx: &Context<'_>,
        group_by: CaseCountGroup,
        filter: Option<CaseFilterInput>,
    ) -> async_graphql::Result<Vec<CaseCount>> {
        let scope = require_staff(ctx)?.scope();
        let mut filter = filter.unwrap_or_default().into_filter()?;
        filter.within_units = scope.units().map(|units| units.iter().cloned().collect());
        let store = ctx.data_unchecked::<Store>();
        let counts = store
            .case_counts(&filter, group_by.into())
            .await
            .map_err(|error| from_store("counting cases", error))?;
        Ok(counts
            .into_iter()
            .map(|(key, count)| CaseCount { key, count })
            .collect())
    }

    /// The stored routing model versions, newest first: the live one, candidates in
    /// shadow, and retired ones. Staff only.
    async fn routing_models(
        &self,
        ctx: &Context<'_>,
    ) -> async_graphql::Result<Vec<crate::routing_types::RoutingModelView>> {
        require_role(ctx, &[StaffRole::Admin, StaffRole::Triage])?;
        let store = ctx.data_unchecked::<Store>();
        let models = store
            .routing_models()
            .await
            .map_err(|error| from_store("listing routing models", error))?;
        Ok(models
            .into_iter()
            .map(crate::routing_types::RoutingModelView)
            .collect())
    }

    /// Full-text search over every case, in Finnish, Swedish and English (words are
    /// matched by their stems: "katulampun" finds "katulamppu"). Words, "phrases", AND,
    /// OR, NOT / -word and parentheses; anything else, `field:` included, is plain text.
    /// An empty query lists the cases matching the filters, newest first, and so does a
    /// query that only excludes (`-katulamppu`). A query over
    /// `graphql.max_search_query_chars` characters or nested deeper than
    /// `graphql.max_search_nesting` is refused with `BAD_USER_INPUT` and
    /// `extensions.position`. Staff only.
    async fn search(
        &self,
        ctx: &Context<'_>,
        query: String,
        first: Option<i32>,
        offset: Option<i32>,
        filter: Option<SearchFilterInput>,
    ) -> async_graphql::Result<SearchResult> {
        let scope = require_staff(ctx)?.scope();
        let limit = page_size(ctx, first)? as usize;
        let offset = usize::try_from(offset.unwrap_or(0))
            .map_err(|_| bad_input("offset", "offset must not be negative"))?;
        let request = SearchQuery {
            text: query,
            filters: SearchFilters {
                within_units: scope.units().map(|units| units.iter().cloned().collect()),
                ..filter.unwrap_or_default().into_filters()
            },
            limit,
            offset,
        };
        let text_limits = ctx.data_unchecked::<Limits>().search_text;
        let index = Arc::clone(ctx.data_unchecked::<Arc<SearchIndex>>());
        let results =
            tokio::task::spawn_blocking(move || index.search_with_limits(&request, &text_limits))
                .await
                .map_err(|error| internal("search task failed", &error))?
                .map_err(|error| from_index("searching", error))?;
        let ids: Vec<CaseId> = results.case_ids.iter().copied().map(CaseId).collect();
        let store = ctx.data_unchecked::<Store>();
        let cases = store
            .cases_by_ids(&ids)
            .await
            .map_err(|error| from_store("loading search results", error))?;
        let counts = |pairs: Vec<(String, u64)>| {
            pairs
                .into_iter()
                .map(|(value, count)| FacetCount { value, count })
                .collect()
        };
        let facets = results.facets;
        Ok(SearchResult {
            total_count: results.total_count,
            nodes: cases.into_iter().map(CaseView).collect(),
            facets: SearchFacets {
                status: counts(facets.status),
                unit: counts(facets.unit_code),
                category: counts(facets.category_code),
                channel: counts(facets.channel),
                language: counts(facets.language),
            },
        })
    }
}

fn parse_reference(reference: &str) -> async_graphql::Result<Reference> {
    Reference::parse(reference).map_err(|error| bad_input("reference", error.to_string()))
}

fn page_size(ctx: &Context<'_>, first: Option<i32>) -> async_graphql::Result<u64> {
    let max = ctx.data_unchecked::<Limits>().max_page_size;
    let Some(first) = first else {
        return Ok(DEFAULT_PAGE_SIZE.min(max));
    };
    match u64::try_from(first) {
        Ok(first) if (1..=max).contains(&first) => Ok(first),
        _ => Err(bad_input(
            "first",
            format!("first must be between 1 and {max}"),
        )),
    }
}
