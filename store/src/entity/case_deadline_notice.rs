//! One warning or breach notice sent about a case's deadline. Unique per case,
//! deadline, kind and due time: the row is written in the transaction that records the
//! timeline event and queues the email, so each is sent once.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_deadline_notices")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    /// first_reply or resolution.
    pub deadline: String,
    /// warning or breach.
    pub kind: String,
    /// The due time the notice was about: a deadline moved by a reassignment is a new
    /// deadline, with notices of its own.
    pub due_at: DateTimeUtc,
    pub recipient: String,
    /// The timeline event that records it.
    pub event_id: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
