use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "recipient_throttles")]
pub struct Model {
    /// `<email kind>:<sha256 of the lower-cased address>`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub recipient_key: String,
    pub last_sent_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
