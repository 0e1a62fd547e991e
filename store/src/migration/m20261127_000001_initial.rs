//! The first schema: organisation, cases with their contacts and timeline, the job
//! queue, the email outbox and the search-index queue.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261127_000001_initial"
    }
}

#[derive(DeriveIden)]
enum Divisions {
    Table,
    Code,
    NameFi,
    NameSv,
    NameEn,
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Code,
    DivisionCode,
    NameFi,
    NameSv,
    NameEn,
    Mailbox,
    HandlerLanguage,
    IsTriage,
    Active,
}

#[derive(DeriveIden)]
enum Categories {
    Table,
    Code,
    NameFi,
    NameSv,
    NameEn,
    GroupFi,
    GroupSv,
    GroupEn,
    DefaultUnitCode,
    Keywords,
    Active,
}

#[derive(DeriveIden)]
enum Cases {
    Table,
    Id,
    Reference,
    Channel,
    Title,
    Description,
    StatedLanguage,
    Language,
    LanguageConfidence,
    CategoryCode,
    UnitCode,
    Status,
    RoutingReason,
    RoutingConfidence,
    Lat,
    Lon,
    Address,
    TrackingTokenHash,
    IdempotencyKeyHash,
    IdempotencyFingerprint,
    SealedTrackingToken,
    CreatedAt,
    UpdatedAt,
    RoutedAt,
}

#[derive(DeriveIden)]
enum CaseContacts {
    Table,
    CaseId,
    Name,
    Email,
    Phone,
}

#[derive(DeriveIden)]
enum CaseEvents {
    Table,
    Id,
    CaseId,
    Kind,
    Actor,
    Detail,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Kind,
    Payload,
    CaseId,
    Status,
    Attempts,
    MaxAttempts,
    RunAt,
    LockedUntil,
    LockedBy,
    LastError,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Emails {
    Table,
    Id,
    CaseId,
    Kind,
    DedupeKey,
    MessageId,
    FromAddress,
    ToAddress,
    Subject,
    BodyText,
    Language,
    Status,
    DeliveryNote,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden)]
enum IndexQueue {
    Table,
    CaseId,
    Version,
    EnqueuedAt,
}

#[derive(DeriveIden)]
enum ReferenceCounters {
    Table,
    Year,
    LastNumber,
}

pub(super) fn id_column<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .big_integer()
        .not_null()
        .auto_increment()
        .primary_key()
        .to_owned()
}

pub(super) fn text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).text().not_null().to_owned()
}

pub(super) fn optional_text<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name).text().null().to_owned()
}

pub(super) fn timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .not_null()
        .to_owned()
}

pub(super) fn optional_timestamp<T: IntoIden>(name: T) -> ColumnDef {
    ColumnDef::new(name)
        .timestamp_with_time_zone()
        .null()
        .to_owned()
}

pub(super) fn index(
    name: &str,
    table: impl IntoIden,
    columns: Vec<DynIden>,
) -> IndexCreateStatement {
    let mut statement = Index::create();
    statement.name(name).table(table);
    for column in columns {
        statement.col(column);
    }
    statement.to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Divisions::Table)
                    .col(
                        ColumnDef::new(Divisions::Code)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(Divisions::NameFi))
                    .col(text(Divisions::NameSv))
                    .col(text(Divisions::NameEn))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Units::Table)
                    .col(ColumnDef::new(Units::Code).text().not_null().primary_key())
                    .col(text(Units::DivisionCode))
                    .col(text(Units::NameFi))
                    .col(text(Units::NameSv))
                    .col(text(Units::NameEn))
                    .col(text(Units::Mailbox))
                    .col(text(Units::HandlerLanguage))
                    .col(ColumnDef::new(Units::IsTriage).boolean().not_null())
                    .col(ColumnDef::new(Units::Active).boolean().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Units::Table, Units::DivisionCode)
                            .to(Divisions::Table, Divisions::Code),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Categories::Table)
                    .col(
                        ColumnDef::new(Categories::Code)
                            .text()
                            .not_null()
                            .primary_key(),
                    )
                    .col(text(Categories::NameFi))
                    .col(text(Categories::NameSv))
                    .col(text(Categories::NameEn))
                    .col(text(Categories::GroupFi))
                    .col(text(Categories::GroupSv))
                    .col(text(Categories::GroupEn))
                    .col(text(Categories::DefaultUnitCode))
                    .col(text(Categories::Keywords))
                    .col(ColumnDef::new(Categories::Active).boolean().not_null())
                    .foreign_key(
                        ForeignKey::create()
                            .from(Categories::Table, Categories::DefaultUnitCode)
                            .to(Units::Table, Units::Code),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(ReferenceCounters::Table)
                    .col(
                        ColumnDef::new(ReferenceCounters::Year)
                            .integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(
                        ColumnDef::new(ReferenceCounters::LastNumber)
                            .big_integer()
                            .not_null(),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Cases::Table)
                    .col(id_column(Cases::Id))
                    .col(
                        ColumnDef::new(Cases::Reference)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(text(Cases::Channel))
                    .col(optional_text(Cases::Title))
                    .col(text(Cases::Description))
                    .col(optional_text(Cases::StatedLanguage))
                    .col(optional_text(Cases::Language))
                    .col(ColumnDef::new(Cases::LanguageConfidence).double().null())
                    .col(optional_text(Cases::CategoryCode))
                    .col(optional_text(Cases::UnitCode))
                    .col(text(Cases::Status))
                    .col(optional_text(Cases::RoutingReason))
                    .col(ColumnDef::new(Cases::RoutingConfidence).double().null())
                    .col(ColumnDef::new(Cases::Lat).double().null())
                    .col(ColumnDef::new(Cases::Lon).double().null())
                    .col(optional_text(Cases::Address))
                    .col(text(Cases::TrackingTokenHash))
                    .col(
                        ColumnDef::new(Cases::IdempotencyKeyHash)
                            .text()
                            .null()
                            .unique_key(),
                    )
                    .col(optional_text(Cases::IdempotencyFingerprint))
                    .col(optional_text(Cases::SealedTrackingToken))
                    .col(timestamp(Cases::CreatedAt))
                    .col(timestamp(Cases::UpdatedAt))
                    .col(optional_timestamp(Cases::RoutedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Cases::Table, Cases::CategoryCode)
                            .to(Categories::Table, Categories::Code),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Cases::Table, Cases::UnitCode)
                            .to(Units::Table, Units::Code),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, column) in [
            ("idx_cases_status", Cases::Status),
            ("idx_cases_unit", Cases::UnitCode),
            ("idx_cases_category", Cases::CategoryCode),
            ("idx_cases_created_at", Cases::CreatedAt),
        ] {
            manager
                .create_index(index(name, Cases::Table, vec![column.into_iden()]))
                .await?;
        }

        manager
            .create_table(
                Table::create()
                    .table(CaseContacts::Table)
                    .col(
                        ColumnDef::new(CaseContacts::CaseId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(optional_text(CaseContacts::Name))
                    .col(optional_text(CaseContacts::Email))
                    .col(optional_text(CaseContacts::Phone))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseContacts::Table, CaseContacts::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(CaseEvents::Table)
                    .col(id_column(CaseEvents::Id))
                    .col(ColumnDef::new(CaseEvents::CaseId).big_integer().not_null())
                    .col(text(CaseEvents::Kind))
                    .col(text(CaseEvents::Actor))
                    .col(text(CaseEvents::Detail))
                    .col(timestamp(CaseEvents::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(CaseEvents::Table, CaseEvents::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_case_events_case",
                CaseEvents::Table,
                vec![CaseEvents::CaseId.into_iden(), CaseEvents::Id.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Jobs::Table)
                    .col(id_column(Jobs::Id))
                    .col(text(Jobs::Kind))
                    .col(text(Jobs::Payload))
                    .col(ColumnDef::new(Jobs::CaseId).big_integer().null())
                    .col(text(Jobs::Status))
                    .col(ColumnDef::new(Jobs::Attempts).integer().not_null())
                    .col(ColumnDef::new(Jobs::MaxAttempts).integer().not_null())
                    .col(timestamp(Jobs::RunAt))
                    .col(optional_timestamp(Jobs::LockedUntil))
                    .col(optional_text(Jobs::LockedBy))
                    .col(optional_text(Jobs::LastError))
                    .col(timestamp(Jobs::CreatedAt))
                    .col(timestamp(Jobs::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_jobs_claim",
                Jobs::Table,
                vec![Jobs::Status.into_iden(), Jobs::RunAt.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Emails::Table)
                    .col(id_column(Emails::Id))
                    .col(ColumnDef::new(Emails::CaseId).big_integer().null())
                    .col(text(Emails::Kind))
                    .col(
                        ColumnDef::new(Emails::DedupeKey)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(
                        ColumnDef::new(Emails::MessageId)
                            .text()
                            .not_null()
                            .unique_key(),
                    )
                    .col(text(Emails::FromAddress))
                    .col(text(Emails::ToAddress))
                    .col(text(Emails::Subject))
                    .col(text(Emails::BodyText))
                    .col(text(Emails::Language))
                    .col(text(Emails::Status))
                    .col(optional_text(Emails::DeliveryNote))
                    .col(optional_text(Emails::LastError))
                    .col(timestamp(Emails::CreatedAt))
                    .col(optional_timestamp(Emails::SentAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Emails::Table, Emails::CaseId)
                            .to(Cases::Table, Cases::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "idx_emails_case",
                Emails::Table,
                vec![Emails::CaseId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(IndexQueue::Table)
                    .col(
                        ColumnDef::new(IndexQueue::CaseId)
                            .big_integer()
                            .not_null()
                            .primary_key(),
                    )
                    .col(ColumnDef::new(IndexQueue::Version).big_integer().not_null())
                    .col(timestamp(IndexQueue::EnqueuedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(IndexQueue::Table, IndexQueue::CaseId)
                            .to(Cases::Table, Cases::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let tables: [DynIden; 10] = [
            IndexQueue::Table.into_iden(),
            Emails::Table.into_iden(),
            Jobs::Table.into_iden(),
            CaseEvents::Table.into_iden(),
            CaseContacts::Table.into_iden(),
            Cases::Table.into_iden(),
            ReferenceCounters::Table.into_iden(),
            Categories::Table.into_iden(),
            Units::Table.into_iden(),
            Divisions::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
