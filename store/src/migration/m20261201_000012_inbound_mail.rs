//! The email door: every inbound message kept once (by its Message-ID, or a digest of
//! its bytes), with what became of it; and addresses that bounced, which resident
//! mail no longer goes to.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{id_column, index, optional_text, text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000012_inbound_mail"
    }
}

#[derive(DeriveIden)]
enum InboundMail {
    Table,
    Id,
    MessageKey,
    Source,
    FromAddress,
    Subject,
    Disposition,
    Reason,
    CaseId,
    Raw,
    ReceivedAt,
}

#[derive(DeriveIden)]
enum EmailSuppressions {
    Table,
    Address,
    Reason,
    CreatedAt,
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
                    .table(InboundMail::Table)
                    .col(id_column(InboundMail::Id))
                    .col(text(InboundMail::MessageKey))
                    .col(text(InboundMail::Source))
                    .col(optional_text(InboundMail::FromAddress))
                    .col(text(InboundMail::Subject))
                    .col(text(InboundMail::Disposition))
                    .col(optional_text(InboundMail::Reason))
                    .col(ColumnDef::new(InboundMail::CaseId).big_integer().null())
                    .col(ColumnDef::new(InboundMail::Raw).blob().not_null())
                    .col(timestamp(InboundMail::ReceivedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(InboundMail::Table, InboundMail::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "inbound_mail_unique_key",
                    InboundMail::Table,
                    vec![InboundMail::MessageKey.into_iden()],
                )
                .unique()
                .to_owned(),
            )
            .await?;
        manager
            .create_index(
                index(
                    "inbound_mail_by_disposition",
                    InboundMail::Table,
                    vec![
                        InboundMail::Disposition.into_iden(),
                        InboundMail::Id.into_iden(),
                    ],
                )
                .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(EmailSuppressions::Table)
                    .col(text(EmailSuppressions::Address).primary_key())
                    .col(text(EmailSuppressions::Reason))
                    .col(timestamp(EmailSuppressions::CreatedAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(EmailSuppressions::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(InboundMail::Table).to_owned())
            .await
    }
}
