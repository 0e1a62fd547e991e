//! The store: sea-orm entities, one set of migrations for SQLite and PostgreSQL, and
//! repositories that return domain read models. Only this crate knows SQL.
//!
//! Invariant: a case, its first timeline event and its first job are written in one
//! transaction (`Store::submit_case`); every email is written to the outbox in the
//! same transaction as the change that causes it (`Store::record_routing`,
//! `Store::reassign_case`); a staff decision and the training example it makes are one
//! transaction too.

mod answers;
mod api_keys;
mod attachments;
mod cases;
mod changes;
mod db;
mod deadlines;
mod duplicates;
mod entity;
mod error;
mod imports;
mod inbound_mail;
mod jobs;
mod migration;
mod operations;
mod organisation;
mod outbox;
mod privacy;
mod queue;
mod reassignment;
mod reply_templates;
mod request_context;
mod resident;
mod routing_models;
mod schedules;
mod search_queue;
mod staff;
mod staff_auth;
mod stats;
mod workflow;

pub use api_keys::ApiKeyRecord;
pub use attachments::{AttachmentFile, AttachmentInfo, NewAttachment};
pub use cases::{
    CaseEvent, CaseRecord, ContactDetails, EmailKind, Location, NewCase, NewEmail, Routing,
    RoutingRecorded, Satisfaction, Submitted,
};
pub use changes::CaseChange;
pub use db::Store;
pub use deadlines::{Deadline, DeadlineNotice, DueNotice, NoticeKind, NoticeRecorded};
pub use duplicates::{Related, VersionedCase};
pub use error::StoreError;
pub use imports::{ImportedBatch, PastCase};
pub use inbound_mail::{
    InboundMail, InboundMailRecord, MailAction, MailCount, MailDisposition, MailRecorded,
};
pub use jobs::{ClaimedJob, JobCounts, JobKind, JobStatus};
pub use operations::{IndexLag, QueueDepth};
pub use outbox::{EmailRecord, EmailStatus};
pub use privacy::{
    Anonymised, ErasureSummary, ExportedAttachment, ExportedCase, ExportedContact, ExportedEmail,
    ExportedEvent, ExportedInboundMail, PrivacyExport,
};
pub use queue::{AssigneeFilter, CaseCursor, CaseFilter, CaseOrder, CasePage, CountBy};
pub use reassignment::{Reassigned, Reassignment};
pub use reply_templates::{NewReplyTemplate, ReplyTemplateRecord, TemplateSaved, TemplatesFor};
pub use request_context::{current_request_id, with_request_id};
pub use resident::{ResidentOutcome, ResidentRefusal};
pub use routing_models::{
    ExampleSource, ModelRole, ModelScore, NewPrediction, NewRoutingModel, NewTrainingExample,
    Placement, PredictionOutcome, PredictionRecord, RoutingModelInfo, StoredSuggestion,
    TrainingExampleRecord,
};
pub use search_queue::IndexTicket;
pub use staff::{ApiTokenRecord, OidcSignIn, StaffUserRecord};
pub use staff_auth::{Caller, Presented, StaffTokens};
pub use stats::{
    DeadlineCompliance, Durations, FiguresRequest, MAX_STATS_RANGE_DAYS, ServiceFigures,
    ServiceStats, StatsGrouping, StatsRange, StatsRangeError, StatsRequest, StatsRow,
    WeekChannelCount, helsinki_week, helsinki_weeks, hours,
};
pub use workflow::{BulkEdited, CaseEdit, Change, Edited};

/// The current time at the precision both backends store (microseconds), so a value
/// read back compares equal to the value written.
pub fn now() -> chrono::DateTime<chrono::Utc> {
    let now = chrono::Utc::now();
    chrono::SubsecRound::trunc_subsecs(now, 6)
}
