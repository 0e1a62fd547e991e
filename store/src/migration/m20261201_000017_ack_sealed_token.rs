//! The tracking token sealed with the server's key until the acknowledgement is written,
//! so the resident's email can carry the same tracking link the confirmation showed.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::optional_text;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000017_ack_sealed_token"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    AckSealedToken,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(optional_text(Cases::AckSealedToken))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::AckSealedToken)
                    .to_owned(),
            )
            .await
    }
}
