//! Answers to a category's extra questions (its guidance), one row per answer, kept
//! beside the case so that the question's code and the value stay queryable.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{id_column, index, text};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000016_case_answers"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CaseAnswers {
    Table,
    Id,
    CaseId,
    Position,
    QuestionCode,
    Value,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseAnswers::Table)
                    .col(id_column(CaseAnswers::Id))
                    .col(ColumnDef::new(CaseAnswers::CaseId).big_integer().not_null())
                    // The order the questions were asked in.
                    .col(ColumnDef::new(CaseAnswers::Position).integer().not_null())
                    .col(text(CaseAnswers::QuestionCode))
                    .col(text(CaseAnswers::Value))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseAnswers::Table, CaseAnswers::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_case_answers_case",
                CaseAnswers::Table,
                vec![
                    CaseAnswers::CaseId.into_iden(),
                    CaseAnswers::Position.into_iden(),
                ],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseAnswers::Table).to_owned())
            .await
    }
}
