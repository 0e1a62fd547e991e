//! Staff accounts: people with a role, the units a handler works for, and the opaque
//! API tokens they sign in with, kept only as hashes.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{
    id_column, index, optional_text, optional_timestamp, text, timestamp,
};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000004_staff_accounts"
    }
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Code,
}

#[derive(DeriveIden)]
enum StaffUsers {
    Table,
    Id,
    Email,
    Role,
    CreatedAt,
    DisabledAt,
}

#[derive(DeriveIden)]
enum StaffUserUnits {
    Table,
    UserId,
    UnitCode,
}

#[derive(DeriveIden)]
enum ApiTokens {
    Table,
    Id,
    UserId,
    TokenHash,
    Label,
    CreatedAt,
    ExpiresAt,
    RevokedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(StaffUsers::Table)
                    .col(id_column(StaffUsers::Id))
                    // Lower-cased by the store, so the unique key ignores case.
                    .col(text(StaffUsers::Email).unique_key())
                    .col(text(StaffUsers::Role))
                    .col(timestamp(StaffUsers::CreatedAt))
                    .col(optional_timestamp(StaffUsers::DisabledAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(StaffUserUnits::Table)
                    .col(
                        ColumnDef::new(StaffUserUnits::UserId)
                            .big_integer()
                            .not_null(),
                    )
                    .col(text(StaffUserUnits::UnitCode))
                    .primary_key(
                        Index::create()
                            .col(StaffUserUnits::UserId)
                            .col(StaffUserUnits::UnitCode),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffUserUnits::Table, StaffUserUnits::UserId)
                            .to(StaffUsers::Table, StaffUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(StaffUserUnits::Table, StaffUserUnits::UnitCode)
                            .to(Units::Table, Units::Code),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ApiTokens::Table)
                    .col(id_column(ApiTokens::Id))
                    .col(ColumnDef::new(ApiTokens::UserId).big_integer().not_null())
                    // Hex SHA-256 of the token; the token itself is never stored.
                    .col(text(ApiTokens::TokenHash).unique_key())
                    .col(optional_text(ApiTokens::Label))
                    .col(timestamp(ApiTokens::CreatedAt))
                    .col(optional_timestamp(ApiTokens::ExpiresAt))
                    .col(optional_timestamp(ApiTokens::RevokedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(ApiTokens::Table, ApiTokens::UserId)
                            .to(StaffUsers::Table, StaffUsers::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_api_tokens_user",
                ApiTokens::Table,
                vec![ApiTokens::UserId.into_iden()],
            ))
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            ApiTokens::Table.into_iden(),
            StaffUserUnits::Table.into_iden(),
            StaffUsers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
