//! Mirrors the configured organisation into the database, where cases refer to it.

use palaute_core::Organisation;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, EntityTrait};

use crate::db::Store;
use crate::entity::{category, division, unit};
use crate::error::{DbContext, StoreError};

impl Store {
    /// Upserts every division, unit and category of `organisation`. Units and categories
    /// that left the configuration are kept (old cases refer to them) but marked
    /// inactive, so nothing new is routed to them.
    pub async fn sync_organisation(&self, organisation: &Organisation) -> Result<(), StoreError> {
        let txn = self.begin_write().await?;
        for division in &organisation.divisions {
            let row = division::ActiveModel {
                code: Set(division.code.clone()),
                name_fi: Set(division.name.fi.clone()),
                name_sv: Set(division.name.sv.clone()),
                name_en: Set(division.name.en.clone()),
            };
            division::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(division::Column::Code)
                        .update_columns([
                            division::Column::NameFi,
                            division::Column::NameSv,
                            division::Column::NameEn,
                        ])
                        .to_owned(),
                )
                .exec(&txn)
                .await
                .context("saving a division")?;
        }

        unit::Entity::update_many()
            .col_expr(unit::Column::Active, false.into())
            .exec(&txn)
            .await
            .context("retiring units")?;
        for configured in &organisation.units {
            let row = unit::ActiveModel {
                code: Set(configured.code.clone()),
                division_code: Set(configured.division.clone()),
                name_fi: Set(configured.name.fi.clone()),
                name_sv: Set(configured.name.sv.clone()),
                name_en: Set(configured.name.en.clone()),
                mailbox: Set(configured.mailbox.clone()),
                handler_language: Set(configured.handler_language().code().to_owned()),
                is_triage: Set(configured.code == organisation.triage_unit),
                active: Set(true),
            };
            unit::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(unit::Column::Code)
                        .update_columns([
                            unit::Column::DivisionCode,
                            unit::Column::NameFi,
                            unit::Column::NameSv,
                            unit::Column::NameEn,
                            unit::Column::Mailbox,
                            unit::Column::HandlerLanguage,
                            unit::Column::IsTriage,
                            unit::Column::Active,
                        ])
                        .to_owned(),
                )
                .exec(&txn)
                .await
                .context("saving a unit")?;
        }

        category::Entity::update_many()
            .col_expr(category::Column::Active, false.into())
            .exec(&txn)
            .await
            .context("retiring categories")?;
        for configured in &organisation.categories {
            let keywords = serde_json::to_string(&configured.keywords)
                .map_err(|error| StoreError::Corrupt(format!("keywords: {error}")))?;
            let row = category::ActiveModel {
                code: Set(configured.code.clone()),
                name_fi: Set(configured.name.fi.clone()),
                name_sv: Set(configured.name.sv.clone()),
                name_en: Set(configured.name.en.clone()),
                group_fi: Set(configured.group.fi.clone()),
                group_sv: Set(configured.group.sv.clone()),
                group_en: Set(configured.group.en.clone()),
                default_unit_code: Set(configured.default_unit.clone()),
                keywords: Set(keywords),
                active: Set(true),
            };
            category::Entity::insert(row)
                .on_conflict(
                    OnConflict::column(category::Column::Code)
                        .update_columns([
                            category::Column::NameFi,
                            category::Column::NameSv,
                            category::Column::NameEn,
                            category::Column::GroupFi,
                            category::Column::GroupSv,
                            category::Column::GroupEn,
                            category::Column::DefaultUnitCode,
                            category::Column::Keywords,
                            category::Column::Active,
                        ])
                        .to_owned(),
                )
                .exec(&txn)
                .await
                .context("saving a category")?;
        }
        txn.commit().await.context("committing the organisation")
    }
}
