//! Every inbound email, kept once, with what became of it.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "inbound_mail")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The Message-ID, or `sha256:<hex>` of the raw bytes when it has none.
    #[sea_orm(unique)]
    pub message_key: String,
    /// cli, webhook or imap.
    pub source: String,
    pub from_address: Option<String>,
    pub subject: String,
    /// new_case, resident_message, staff_reply, internal_note or set_aside.
    pub disposition: String,
    pub reason: Option<String>,
    pub case_id: Option<i64>,
    pub raw: Vec<u8>,
    pub received_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
