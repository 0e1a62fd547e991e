use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "cases")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub reference: String,
    pub channel: String,
    pub title: Option<String>,
    pub description: String,
    /// The language the submitter said they use (form or channel), if any.
    pub stated_language: Option<String>,
    /// The language the pipeline settled on: fi, sv, en or und; NULL before detection.
    pub language: Option<String>,
    pub language_confidence: Option<f64>,
    pub category_code: Option<String>,
    pub unit_code: Option<String>,
    pub status: String,
    pub routing_reason: Option<String>,
    pub routing_confidence: Option<f64>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub address: Option<String>,
    pub tracking_token_hash: String,
    #[sea_orm(unique)]
    pub idempotency_key_hash: Option<String>,
    pub idempotency_fingerprint: Option<String>,
    /// The tracking token sealed with the idempotency key, so a retried submission
    /// gets the same token back (see `palaute_core::token::seal_with_key`).
    pub sealed_tracking_token: Option<String>,
    /// The tracking token sealed with the server's key, kept only until the first
    /// routing wrote the resident's acknowledgement (whose link carries the token).
    pub ack_sealed_token: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub routed_at: Option<DateTimeUtc>,
    /// The category the submitter chose, kept when routing or staff change
    /// `category_code`: it is what a model may learn from, not the outcome.
    pub given_category_code: Option<String>,
    /// Bumped by every change, so an edit made against an older version is refused.
    pub version: i64,
    /// The staff user working on the case.
    pub assignee_id: Option<i64>,
    pub first_replied_at: Option<DateTimeUtc>,
    /// When the case was last resolved (cleared when it is reopened).
    pub resolved_at: Option<DateTimeUtc>,
    /// Set on a duplicate: the case it was merged into.
    pub merged_into_id: Option<i64>,
    /// The resident's answer after resolution: 1 (poor) to 5 (very good).
    pub satisfaction_score: Option<i16>,
    pub satisfaction_comment: Option<String>,
    pub rated_at: Option<DateTimeUtc>,
    /// Deadlines (see `deadlines.rs`): set when the case is routed, counted in working
    /// time from its submission; NULL for cases routed before deadlines existed.
    pub first_reply_due_at: Option<DateTimeUtc>,
    pub first_reply_warning_at: Option<DateTimeUtc>,
    pub due_at: Option<DateTimeUtc>,
    pub due_warning_at: Option<DateTimeUtc>,
    /// Who sent the case in, beyond its channel: the name of the API key that created
    /// it ("config" for a key from settings); NULL for the doors without keys.
    pub source: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
