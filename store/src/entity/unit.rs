use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "units")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub division_code: String,
    pub name_fi: String,
    pub name_sv: String,
    pub name_en: String,
    pub mailbox: String,
    pub handler_language: String,
    pub is_triage: bool,
    /// Units removed from the configuration stay (cases refer to them) but are retired.
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
