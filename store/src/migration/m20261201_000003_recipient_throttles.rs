//! Limits per email recipient: when each address last got an email of a kind that is
//! sent at most once in a while (acknowledgements), keyed by a hash of the address so
//! that the table holds no contact details of its own.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000003_recipient_throttles"
    }
}

#[derive(DeriveIden)]
enum RecipientThrottles {
    Table,
    RecipientKey,
    LastSentAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(RecipientThrottles::Table)
                    .col(text(RecipientThrottles::RecipientKey).primary_key())
                    .col(timestamp(RecipientThrottles::LastSentAt))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(RecipientThrottles::Table).to_owned())
            .await
    }
}
