//! What a resident answers after resolution: one satisfaction score (1 to 5) with an
//! optional comment, kept on the case so the service figures can count them.

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{optional_text, optional_timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_resident_answers"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    SatisfactionScore,
    SatisfactionComment,
    RatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite alters one column per statement.
        for column in [
            ColumnDef::new(Cases::SatisfactionScore)
                .small_integer()
                .null()
                .to_owned(),
            optional_text(Cases::SatisfactionComment),
            optional_timestamp(Cases::RatedAt),
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Cases::Table)
                        .add_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Cases::RatedAt,
            Cases::SatisfactionComment,
            Cases::SatisfactionScore,
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
