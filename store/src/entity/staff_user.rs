//! Staff accounts. A disabled account keeps its row (timeline events name it) but its
//! tokens stop working.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "staff_users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Lower-cased, unique.
    pub email: String,
    /// admin, triage or handler (`palaute_core::StaffRole`).
    pub role: String,
    pub created_at: DateTimeUtc,
    pub disabled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

impl Entity {
    /// The join from a user to the units they work for (none for most roles). Only a
    /// join condition, so `belongs_to` serves without a `Related` impl.
    pub fn units() -> RelationDef {
        Entity::belongs_to(super::staff_user_unit::Entity)
            .from(Column::Id)
            .to(super::staff_user_unit::Column::UserId)
            .into()
    }
}
