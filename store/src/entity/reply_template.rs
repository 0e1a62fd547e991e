//! A reply template administrators manage; staff fill it with a case's fields.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "reply_templates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// The category's code, or '' for a template offered for every category.
    pub category_code: String,
    /// fi, sv or en (`palaute_core::Language`).
    pub language: String,
    /// Checked by `palaute_core::ReplyTemplate::parse` before it is stored.
    pub body: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
