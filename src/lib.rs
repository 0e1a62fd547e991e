//! The `palaute` application: settings, start-up and shutdown of its parts, and the
//! subcommands. `main.rs` is a thin shell over this library so that whole-system
//! tests can start the same application in-process.

pub mod api_keys;
pub mod cli;
pub mod commands;
pub mod config;
pub mod eval_language;
pub mod eval_routing;
pub mod http_telemetry;
pub mod import;
pub mod logging;
pub mod mail_channel;
pub mod operations;
pub mod privacy;
pub mod progress;
pub mod request_id;
pub mod routing_models;
pub mod runtime;
pub mod staff_accounts;
pub mod stats;
pub mod telemetry;
