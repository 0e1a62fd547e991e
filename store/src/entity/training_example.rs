//! Labelled cases the routing models learn from: imported history and staff decisions.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_examples")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// imported or staff.
    pub source: String,
    /// The case a staff decision was about; one example per case, its latest decision.
    #[sea_orm(unique)]
    pub case_id: Option<i64>,
    /// The id an imported record had in its source, so importing twice adds nothing.
    #[sea_orm(unique)]
    pub external_id: Option<String>,
    pub title: Option<String>,
    pub description: String,
    /// The category the submitter gave, if any.
    pub category_code: Option<String>,
    pub unit_code: String,
    pub final_category_code: Option<String>,
    pub decided_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
