//! Reply templates administrators write for staff to start replies from, per category
//! (or for any category) and language.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{id_column, index, text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000009_reply_templates"
    }
}

#[derive(DeriveIden)]
enum ReplyTemplates {
    Table,
    Id,
    Name,
    CategoryCode,
    Language,
    Body,
    CreatedAt,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // "Any category" is stored as '' rather than NULL: both backends treat NULLs
        // as distinct in a unique index, which would let two general templates share
        // a name and language. No foreign key to categories for the same reason; the
        // API checks the code against the organisation.
        manager
            .create_table(
                Table::create()
                    .table(ReplyTemplates::Table)
                    .col(id_column(ReplyTemplates::Id))
                    .col(text(ReplyTemplates::Name))
                    .col(text(ReplyTemplates::CategoryCode))
                    .col(text(ReplyTemplates::Language))
                    .col(text(ReplyTemplates::Body))
                    .col(timestamp(ReplyTemplates::CreatedAt))
                    .col(timestamp(ReplyTemplates::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "reply_templates_unique_name",
                    ReplyTemplates::Table,
                    vec![
                        ReplyTemplates::CategoryCode.into_iden(),
                        ReplyTemplates::Language.into_iden(),
                        ReplyTemplates::Name.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(ReplyTemplates::Table).to_owned())
            .await
    }
}
