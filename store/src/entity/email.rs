//! The outbox: every email palaute sends is a row here first, written in the same
//! transaction as the change that causes it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "emails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: Option<i64>,
    /// handler_notification or acknowledgement.
    pub kind: String,
    /// Unique: one email of a kind per case, however often the pipeline runs.
    #[sea_orm(unique)]
    pub dedupe_key: String,
    #[sea_orm(unique)]
    pub message_id: String,
    pub from_address: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub language: String,
    /// pending, sent or failed.
    pub status: String,
    pub delivery_note: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The Message-ID (without angle brackets) this email answers, for threading.
    pub in_reply_to: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
