//! The resident's contact details, kept apart from the case text so that the text can
//! be shared, indexed and exported without them.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "case_contacts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub case_id: i64,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
