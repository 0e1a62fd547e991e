//! Deadlines: when a case's first reply and its resolution are due, and when their
//! warnings fall (set when the case is routed, counted in working time), and a record
//! of each warning and breach notice sent, unique per case, deadline, kind and due
//! time, so that two workers or a repeated check cannot send one twice.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{id_column, index, optional_timestamp, text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_deadlines"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    FirstReplyDueAt,
    FirstReplyWarningAt,
    DueAt,
    DueWarningAt,
}

#[derive(DeriveIden)]
enum CaseDeadlineNotices {
    Table,
    Id,
    CaseId,
    Deadline,
    Kind,
    DueAt,
    Recipient,
    EventId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            Cases::FirstReplyDueAt,
            Cases::FirstReplyWarningAt,
            Cases::DueAt,
            Cases::DueWarningAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(optional_timestamp(column))
                        .to_owned(),
                )
                .await?;
        }
        // The deadline check looks for warnings and breaches that have come due.
        for (name, column) in [
            ("cases_by_first_reply_warning", Cases::FirstReplyWarningAt),
            ("cases_by_first_reply_due", Cases::FirstReplyDueAt),
            ("cases_by_due_warning", Cases::DueWarningAt),
            ("cases_by_due", Cases::DueAt),
        ] {
            manager
                .create_index(index(name, Cases::Table, vec![column.into_iden()]))
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(CaseDeadlineNotices::Table)
                    .col(id_column(CaseDeadlineNotices::Id))
                    .col(
                        ColumnDef::new(CaseDeadlineNotices::CaseId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(CaseDeadlineNotices::Deadline))
                    .col(text(CaseDeadlineNotices::Kind))
                    .col(timestamp(CaseDeadlineNotices::DueAt))
                    .col(text(CaseDeadlineNotices::Recipient))
                    .col(
                        ColumnDef::new(CaseDeadlineNotices::EventId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(timestamp(CaseDeadlineNotices::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseDeadlineNotices::Table, CaseDeadlineNotices::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "case_deadline_notices_once",
                    CaseDeadlineNotices::Table,
                    vec![
                        CaseDeadlineNotices::CaseId.into_iden(),
                        CaseDeadlineNotices::Deadline.into_iden(),
                        CaseDeadlineNotices::Kind.into_iden(),
                        CaseDeadlineNotices::DueAt.into_iden(),
                    ],
                )
                .unique()
                .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(CaseDeadlineNotices::Table).to_owned())
            .await?;
        for name in [
            "cases_by_due",
            "cases_by_due_warning",
            "cases_by_first_reply_due",
            "cases_by_first_reply_warning",
        ] {
            manager
                .drop_index(Index::drop().name(name).to_owned())
                .await?;
        }
        for column in [
            Cases::DueWarningAt,
            Cases::DueAt,
            Cases::FirstReplyWarningAt,
            Cases::FirstReplyDueAt,
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
