//! How cases relate: tags staff put on them (a handler's own grouping:
//! "talvikunnossapito", "toistuva"), links between related cases, and the case a
//! duplicate was merged into (the duplicate is closed and leaves lists, counts and
//! search; its resident is told where the matter is handled).

use sea_orm_migration::prelude::*;

use super::m20261127_000001_initial::{index, text, timestamp};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_case_relations"
    }
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    MergedIntoId,
}

#[derive(DeriveIden)]
enum CaseTags {
    Table,
    CaseId,
    Tag,
}

#[derive(DeriveIden)]
enum CaseLinks {
    Table,
    CaseId,
    LinkedCaseId,
    CreatedAt,
}

fn case_reference(column: impl IntoIden) -> ColumnDef {
    ColumnDef::new(column).big_integer().not_null().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(CaseTags::Table)
                    .col(case_reference(CaseTags::CaseId))
                    .col(text(CaseTags::Tag))
                    .primary_key(Index::create().col(CaseTags::CaseId).col(CaseTags::Tag))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseTags::Table, CaseTags::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "case_tags_by_tag",
                CaseTags::Table,
                vec![CaseTags::Tag.into_iden(), CaseTags::CaseId.into_iden()],
            ))
            .await?;
        // One row per direction, so either case finds the other by its own id.
        manager
            .create_table(
                Table::create()
                    .table(CaseLinks::Table)
                    .col(case_reference(CaseLinks::CaseId))
                    .col(case_reference(CaseLinks::LinkedCaseId))
                    .col(timestamp(CaseLinks::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(CaseLinks::CaseId)
                            .col(CaseLinks::LinkedCaseId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseLinks::Table, CaseLinks::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseLinks::Table, CaseLinks::LinkedCaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .add_column(ColumnDef::new(Cases::MergedIntoId).big_integer().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Cases::Table)
                    .drop_column(Cases::MergedIntoId)
                    .to_owned(),
            )
            .await?;
        manager
            .drop_table(Table::drop().table(CaseLinks::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(CaseTags::Table).to_owned())
            .await
    }
}
