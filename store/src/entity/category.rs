use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "categories")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub code: String,
    pub name_fi: String,
    pub name_sv: String,
    pub name_en: String,
    pub group_fi: String,
    pub group_sv: String,
    pub group_en: String,
    pub default_unit_code: String,
    /// JSON array of keywords.
    pub keywords: String,
    pub active: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
