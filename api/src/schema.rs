//! Building the schema with its limits, and printing it as SDL.

use std::sync::Arc;

use async_graphql::{MergedObject, Schema};
use palaute_core::Organisation;
use palaute_core::Settings;
use palaute_search_index::{QueryLimits, SearchIndex};
use palaute_store::Store;
use tokio::sync::Notify;

use crate::inbound_mail::InboundMailQuery;
use crate::mutation::Mutation;
use crate::query::Query;
use crate::reply_templates::{ReplyTemplateMutation, ReplyTemplateQuery};
use crate::resident::ResidentMutation;
use crate::stats::StatsQuery;
use crate::subscription::SubscriptionRoot;
use crate::workflow::WorkflowMutation;

/// Every mutation: intake and routing decisions, and the case workflow.
#[derive(MergedObject, Default)]
#[graphql(name = "Mutation")]
pub struct MutationRoot(
    Mutation,
    WorkflowMutation,
    ResidentMutation,
    ReplyTemplateMutation,
);

/// Every query: lookups, tracking, staff reads, and service stats.
#[derive(MergedObject)]
#[graphql(name = "Query")]
pub struct QueryRoot(Query, StatsQuery, ReplyTemplateQuery, InboundMailQuery);

fn query_root() -> QueryRoot {
    QueryRoot(Query, StatsQuery, ReplyTemplateQuery, InboundMailQuery)
}

pub type ApiSchema = Schema<QueryRoot, MutationRoot, SubscriptionRoot>;

/// Limits resolvers read from the context (configuration, not constants).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    pub max_page_size: u64,
    pub job_max_attempts: i32,
    pub search_text: QueryLimits,
    /// How long after resolution a resident may reopen their case.
    pub reopen_window: chrono::Duration,
}

/// Wakes the in-process worker when a job was queued.
#[derive(Debug, Clone, Default)]
pub(crate) struct JobWakeup(pub Arc<Notify>);

pub fn build_schema(
    store: Store,
    organisation: Arc<Organisation>,
    index: Arc<SearchIndex>,
    settings: &Settings,
    job_wakeup: Arc<Notify>,
) -> ApiSchema {
    let graphql = &settings.graphql;
    Schema::build(query_root(), MutationRoot::default(), SubscriptionRoot)
        .data(crate::loaders::case_details(store.clone()))
        .data(store)
        .data(organisation)
        .data(index)
        .data(Limits {
            max_page_size: graphql.max_page_size.max(1),
            job_max_attempts: settings.worker.max_attempts,
            reopen_window: chrono::Duration::days(i64::from(settings.residents.reopen_window_days)),
            search_text: QueryLimits {
                max_chars: graphql.max_search_query_chars,
                max_nesting: graphql.max_search_nesting,
            },
        })
        .data(JobWakeup(job_wakeup))
        .extension(crate::telemetry::OperationMetrics)
        .limit_depth(graphql.max_depth)
        .limit_complexity(graphql.max_complexity)
        .finish()
}

/// The schema in SDL, as checked in at the repository root (`schema.graphql`).
pub fn schema_sdl() -> String {
    Schema::build(query_root(), MutationRoot::default(), SubscriptionRoot)
        .finish()
        .sdl()
}
