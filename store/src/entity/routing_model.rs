//! Stored routing model versions: the serialised router and what it promised on its
//! held-out examples.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_models")]
pub struct Model {
    /// Also the version number staff see.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// live (at most one), candidate (shadow) or retired.
    pub role: String,
    pub format: String,
    pub fingerprint: String,
    pub examples: i64,
    /// The highest training example id it saw: newer examples mean retraining pays.
    pub examples_watermark: i64,
    /// JSON: the router's summary (threshold, held-out accuracy and coverage).
    pub summary: String,
    pub payload: Vec<u8>,
    pub trained_by: String,
    pub trained_at: DateTimeUtc,
    pub promoted_at: Option<DateTimeUtc>,
    /// When its payload was emptied to save space (an old retired model); such a model
    /// keeps its history but cannot run again.
    pub pruned_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
