//! Privacy: which cases have had their personal data removed, when and under which
//! policy. A row of its own rather than a column on `cases`, so that the retention job
//! finds the cases still to do with one anti-join and the figures' tables stay as they
//! are.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000013_privacy"
    }
}

#[derive(DeriveIden)]
enum CaseAnonymisations {
    Table,
    CaseId,
    Policy,
    AnonymisedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseAnonymisations::Table)
                    .col(
                        ColumnDef::new(CaseAnonymisations::CaseId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(CaseAnonymisations::Policy))
                    .col(timestamp(CaseAnonymisations::AnonymisedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseAnonymisations::Table, CaseAnonymisations::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseAnonymisations::Table).to_owned())
            .await
    }
}
