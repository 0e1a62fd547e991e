//! The request id of the HTTP request that made a job, so the worker's log lines for
//! the job can be found from the request's, and the other way round. Nullable: jobs
//! made by schedules, the CLI or before this migration have none.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000015_job_request_id"
    }
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    RequestId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .add_column(ColumnDef::new(Jobs::RequestId).text().null())
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Jobs::Table)
                    .drop_column(Jobs::RequestId)
                    .to_owned(),
            )
            .await
    }
}
