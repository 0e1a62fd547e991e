//! The HTTP face of palaute: the GraphQL API (residents submit and track feedback;
//! staff query, list, search and reassign cases, and manage routing models) and the
//! health check.
//!
//! Only this crate knows GraphQL. It talks to the store and the search index through
//! their own types and maps them to GraphQL types of its own.

mod auth;
mod errors;
mod guidance;
mod http;
mod inbound_mail;
mod inputs;
mod live;
mod loaders;
mod mutation;
mod oidc;
mod query;
mod reply_templates;
pub mod request_shape;
mod resident;
mod routing_types;
mod schema;
mod server;
mod stats;
mod subscription;
pub mod telemetry;
mod timeline;
mod types;
mod websocket;
mod workflow;

pub use auth::StaffAuth;
pub use http::{AppState, RequestPolicy, app, serve};
pub use live::LiveFeed;
pub use oidc::{OidcSetupError, OidcVerifier};
pub use schema::{ApiSchema, build_schema, schema_sdl};
pub use server::{PeerAddress, serve_http};
pub use websocket::LiveDoor;
