//! One set of migrations for SQLite and PostgreSQL, written with sea-query's schema
//! builder so that each backend gets its own dialect.

use sea_orm_migration::prelude::*;

mod m20261127_000001_initial;
mod m20261127_000002_routing_models;
mod m20261201_000003_recipient_throttles;
mod m20261201_000004_staff_accounts;
mod m20261201_000005_workflow;
mod m20261201_000006_deadlines;
mod m20261201_000007_case_relations;
mod m20261201_000008_resident_answers;
mod m20261201_000009_reply_templates;
mod m20261201_000010_api_keys;
mod m20261201_000011_attachments;
mod m20261201_000012_inbound_mail;
mod m20261201_000013_privacy;
mod m20261201_000014_import;
mod m20261201_000015_job_request_id;
mod m20261201_000016_case_answers;
mod m20261201_000017_ack_sealed_token;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261127_000001_initial::Migration),
            Box::new(m20261127_000002_routing_models::Migration),
            Box::new(m20261201_000003_recipient_throttles::Migration),
            Box::new(m20261201_000004_staff_accounts::Migration),
            Box::new(m20261201_000005_workflow::Migration),
            Box::new(m20261201_000006_deadlines::Migration),
            Box::new(m20261201_000007_case_relations::Migration),
            Box::new(m20261201_000008_resident_answers::Migration),
            Box::new(m20261201_000009_reply_templates::Migration),
            Box::new(m20261201_000010_api_keys::Migration),
            Box::new(m20261201_000011_attachments::Migration),
            Box::new(m20261201_000012_inbound_mail::Migration),
            Box::new(m20261201_000013_privacy::Migration),
            Box::new(m20261201_000014_import::Migration),
            Box::new(m20261201_000015_job_request_id::Migration),
            Box::new(m20261201_000016_case_answers::Migration),
            Box::new(m20261201_000017_ack_sealed_token::Migration),
        ]
    }
}
