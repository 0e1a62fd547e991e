//! Cases imported from another system (`palaute import`): which record of which
//! source each one came from, so that importing the same file again adds nothing.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{index, text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000014_import"
    }
}

#[derive(DeriveIden)]
enum CaseImports {
    Table,
    CaseId,
    Source,
    ExternalId,
    ImportedAt,
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
                    .table(CaseImports::Table)
                    .col(
                        ColumnDef::new(CaseImports::CaseId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    // The system the record came from, and its id there (Open311's
                    // service_request_id).
                    .col(text(CaseImports::Source))
                    .col(text(CaseImports::ExternalId))
                    .col(timestamp(CaseImports::ImportedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseImports::Table, CaseImports::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // One case per record of a source, however often its file is imported.
        manager
            .create_index(
                index(
                    "case_imports_source_record",
                    CaseImports::Table,
                    vec![
                        CaseImports::Source.into_iden(),
                        CaseImports::ExternalId.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseImports::Table).to_owned())
            .await
    }
}
