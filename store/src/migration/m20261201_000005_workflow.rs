//! The case workflow: a version that every change bumps (so a stale edit is refused,
//! not silently applied), the assigned handler, when the resident first got a reply and
//! when the case was resolved; and the message an outbox email answers, so replies
//! thread under the acknowledgement in the resident's mail client.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{index, optional_text, optional_timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_workflow"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Version,
    AssigneeId,
    FirstRepliedAt,
    ResolvedAt,
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    InReplyTo,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        let case_columns = [
            ColumnDef::new(Cases::Version)
                .big_integer()
                .not_null()
                .default(1)
                .to_owned(),
            ColumnDef::new(Cases::AssigneeId)
                .big_integer()
                .null()
                .to_owned(),
            optional_timestamp(Cases::FirstRepliedAt),
            optional_timestamp(Cases::ResolvedAt),
        ];
        for column in case_columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .alter_table(
                Table::alter()
                    .table(Emails::Table)
                    .add_column(optional_text(Emails::InReplyTo))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "cases_by_assignee",
                Cases::Table,
                vec![Cases::AssigneeId.into_iden()],
            ))
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name("cases_by_assignee").to_owned())
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Emails::Table)
                    .drop_column(Emails::InReplyTo)
                    .to_owned(),
            )
            .await?;
        for column in [
            Cases::ResolvedAt,
            Cases::FirstRepliedAt,
            Cases::AssigneeId,
            Cases::Version,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
