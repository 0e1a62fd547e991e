//! Cases whose search document is stale. Written in the same transaction as the case
//! change; the indexer drains it in batches and deletes what it committed.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "index_queue")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: i64,
    /// Bumped on every change, so the indexer only deletes entries it has seen.
    pub version: i64,
    pub enqueued_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
