//! The background worker: claims jobs from the store's queue and runs them (the case
//! pipeline, email delivery), and keeps the search index in step with the database.
//!
//! - [`runner`] claims jobs under a lease, retries failures with capped exponential
//!   backoff and parks jobs that keep failing; [`liveness`] tells dead runners from live
//!   ones on one machine.
//! - [`pipeline`] detects a new case's language, routes it and queues its emails.
//! - [`delivery`] sends one outbox email.
//! - [`deadlines`] sends the deadline warnings and breach notices that have come due.
//! - [`indexer`] drains the store's index queue into the search index.
//! - [`mail`] writes, renders and delivers email.
//! - [`telemetry`] records the worker's Prometheus metrics (jobs, emails, index commits).
//! - [`models`] keeps the running routing models loaded; [`training`] trains new ones.

mod backoff;
pub mod deadlines;
pub mod delivery;
pub mod indexer;
pub mod liveness;
pub mod mail;
pub mod models;
pub mod pipeline;
pub mod retention;
pub mod runner;
pub mod telemetry;
pub mod training;

pub use indexer::Indexer;
pub use retention::{Retention, remove_outbox_copies};
pub use runner::{JobError, Runner, Wakeups};
