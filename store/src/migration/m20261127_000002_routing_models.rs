//! Routing that learns: stored model versions, the labelled examples they train on,
//! every model's prediction per case (live and shadow), and schedules for periodic
//! jobs. Cases remember the category the resident gave, which routing may replace.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{
    id_column, index, optional_text, optional_timestamp, text, timestamp,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000002_routing_models"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    GivenCategoryCode,
}

#[derive(DeriveIden)]
enum RoutingModels {
    Table,
    Id,
    Role,
    Format,
    Fingerprint,
    Examples,
    ExamplesWatermark,
    Summary,
    Payload,
    TrainedBy,
    TrainedAt,
    PromotedAt,
    PrunedAt,
}

#[derive(DeriveIden)]
enum TrainingExamples {
    Table,
    Id,
    Source,
    CaseId,
    ExternalId,
    Title,
    Description,
    CategoryCode,
    UnitCode,
    FinalCategoryCode,
    DecidedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum RoutingPredictions {
    Table,
    Id,
    CaseId,
    ModelId,
    Role,
    UnitCode,
    CategoryCode,
    Confidence,
    Confident,
    Suggestions,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Schedules {
    Table,
    Name,
    NextRunAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(optional_text(Cases::GivenCategoryCode))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoutingModels::Table)
                    .col(id_column(RoutingModels::Id))
                    .col(text(RoutingModels::Role))
                    .col(text(RoutingModels::Format))
                    .col(text(RoutingModels::Fingerprint))
                    .col(
                        ColumnDef::new(RoutingModels::Examples)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RoutingModels::ExamplesWatermark)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(RoutingModels::Summary))
                    .col(ColumnDef::new(RoutingModels::Payload).blob().not_null())
                    .col(text(RoutingModels::TrainedBy))
                    .col(timestamp(RoutingModels::TrainedAt))
                    .col(optional_timestamp(RoutingModels::PromotedAt))
                    .col(optional_timestamp(RoutingModels::PrunedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_routing_models_role",
                RoutingModels::Table,
                vec![RoutingModels::Role.into_iden()],
            ))
            .await?;
        // At most one live model, however many processes promote at once. Partial
        // indexes read the same on SQLite and PostgreSQL.
        manager
            .get_connection()
            .execute_unprepared(
                "CREATE UNIQUE INDEX idx_routing_models_one_live \
                 ON routing_models (role) WHERE role = 'live'",
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(TrainingExamples::Table)
                    .col(id_column(TrainingExamples::Id))
                    .col(text(TrainingExamples::Source))
                    .col(
                        ColumnDef::new(TrainingExamples::CaseId)
                            .big_integer()
                            .null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(TrainingExamples::ExternalId)
                            .text()
                            .null()
                            .unique_key(),
                    )
                    .col(optional_text(TrainingExamples::Title))
                    .col(text(TrainingExamples::Description))
                    .col(optional_text(TrainingExamples::CategoryCode))
                    .col(text(TrainingExamples::UnitCode))
                    .col(optional_text(TrainingExamples::FinalCategoryCode))
                    .col(timestamp(TrainingExamples::DecidedAt))
                    .col(timestamp(TrainingExamples::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(TrainingExamples::Table, TrainingExamples::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_training_examples_decided",
                TrainingExamples::Table,
                vec![
                    TrainingExamples::DecidedAt.into_iden(),
                    TrainingExamples::Id.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(RoutingPredictions::Table)
                    .col(id_column(RoutingPredictions::Id))
                    .col(
                        ColumnDef::new(RoutingPredictions::CaseId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RoutingPredictions::ModelId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(RoutingPredictions::Role))
                    .col(text(RoutingPredictions::UnitCode))
                    .col(optional_text(RoutingPredictions::CategoryCode))
                    .col(
                        ColumnDef::new(RoutingPredictions::Confidence)
                            .double()
                            .not_null(),
                    )
                    .col(
                        ColumnDef::new(RoutingPredictions::Confident)
                            .boolean()
                            .not_null(),
                    )
                    .col(text(RoutingPredictions::Suggestions))
                    .col(timestamp(RoutingPredictions::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoutingPredictions::Table, RoutingPredictions::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RoutingPredictions::Table, RoutingPredictions::ModelId)
                            .to(RoutingModels::Table, RoutingModels::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "idx_routing_predictions_case_model",
                    RoutingPredictions::Table,
                    vec![
                        RoutingPredictions::CaseId.into_iden(),
                        RoutingPredictions::ModelId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_routing_predictions_model",
                RoutingPredictions::Table,
                vec![RoutingPredictions::ModelId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Schedules::Table)
                    .col(
                        ColumnDef::new(Schedules::Name)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(timestamp(Schedules::NextRunAt))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Schedules::Table.into_iden(),
            RoutingPredictions::Table.into_iden(),
            TrainingExamples::Table.into_iden(),
            RoutingModels::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::GivenCategoryCode)
                    .to_owned(),
            )
            .await
    }
}
