//! Domain types shared by every palaute crate.
//!
//! This crate knows nothing of databases, GraphQL, search or async runtimes: it holds
//! the vocabulary (cases, references, channels, languages, statuses), the organisation
//! model that routing and notification work against, and the settings shape.

pub mod attachment;
pub mod calendar;
pub mod case;
pub mod deadlines;
pub mod email;
pub mod guidance;
pub mod i18n;
pub mod org;
pub mod privacy;
pub mod rate_limit;
pub mod reply_template;
pub mod settings;
pub mod staff;
pub mod submission;
pub mod text;
pub mod token;
pub mod workflow;

pub use case::{CaseId, CaseStatus, Channel, Language, Reference, ReferenceError};
pub use email::{EmailAddress, EmailAddressError};
pub use i18n::Localized;
pub use org::{Category, Division, ExternalBody, Organisation, OrganisationError, Unit};
pub use reply_template::{ReplyTemplate, TemplateError, TemplateFields};
pub use settings::Settings;
pub use staff::{Scope, StaffMember, StaffRole};
pub use submission::{Field, FieldError, FieldErrors, FieldRule, RawSubmission, Submission};
pub use workflow::{ActionError, StaffAction, TransitionError};
