//! What each routing model made of a case: the live model's decision and suggestions,
//! and the candidates' shadow predictions.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "routing_predictions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub case_id: i64,
    pub model_id: i64,
    /// The model's role when it predicted: live or candidate.
    pub role: String,
    pub unit_code: String,
    pub category_code: Option<String>,
    pub confidence: f64,
    /// Whether the best suggestion reached the model's threshold.
    pub confident: bool,
    /// JSON list of `{unit_code, category_code, confidence}`, most likely first.
    pub suggestions: String,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// The join from a prediction to its case.
    pub fn belongs_to_case() -> RelationDef {
        Entity::belongs_to(super::case::Entity)
            .from(Column::CaseId)
            .to(super::case::Column::Id)
            .into()
    }

    /// The join from a prediction to the staff decision about its case, if any.
    pub fn staff_decision() -> RelationDef {
        Entity::belongs_to(super::training_example::Entity)
            .from(Column::CaseId)
            .to(super::training_example::Column::CaseId)
            .into()
    }
}
