//! Files sent with a case (Open311 media, email attachments), kept in the database
//! beside the case they came with, and served by an unguessable public id.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{id_column, index, text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000011_attachments"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum CaseAttachments {
    Table,
    Id,
    CaseId,
    PublicId,
    Filename,
    ContentType,
    Size,
    Bytes,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseAttachments::Table)
                    .col(id_column(CaseAttachments::Id))
                    .col(
                        ColumnDef::new(CaseAttachments::CaseId)
                            .big_integer()
                            .not_null(),
                    )
                    // Random, so that a file's address cannot be guessed from another's.
                    .col(text(CaseAttachments::PublicId).unique_key())
                    .col(text(CaseAttachments::Filename))
                    // The type the file's bytes showed, not the one declared.
                    .col(text(CaseAttachments::ContentType))
                    .col(
                        ColumnDef::new(CaseAttachments::Size)
                            .big_integer()
                            .not_null(),
                    )
                    // BLOB on SQLite, bytea on PostgreSQL.
                    .col(ColumnDef::new(CaseAttachments::Bytes).blob().not_null())
                    .col(timestamp(CaseAttachments::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseAttachments::Table, CaseAttachments::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_case_attachments_case",
                CaseAttachments::Table,
                vec![CaseAttachments::CaseId.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseAttachments::Table).to_owned())
            .await
    }
}
