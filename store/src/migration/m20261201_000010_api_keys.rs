//! Named API keys of the Open311 door, kept only as hashes, and the source of each
//! case: the name of the key (or door) that created it.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{
    id_column, optional_text, optional_timestamp, text, timestamp,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000010_api_keys"
    }
}

#[derive(DeriveIden)]
enum Open311ApiKeys {
    Table,
    Id,
    Name,
    KeyHash,
    CreatedAt,
    RevokedAt,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Source,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Open311ApiKeys::Table)
                    .col(id_column(Open311ApiKeys::Id))
                    // A revoked key keeps its name: a name means one key, ever, so a
                    // case's source never points at two.
                    .col(text(Open311ApiKeys::Name).unique_key())
                    // Hex SHA-256 of the key; the key itself is never stored.
                    .col(text(Open311ApiKeys::KeyHash).unique_key())
                    .col(timestamp(Open311ApiKeys::CreatedAt))
                    .col(optional_timestamp(Open311ApiKeys::RevokedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(optional_text(Cases::Source))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::Source)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(Open311ApiKeys::Table).to_owned())
            .await
    }
}
