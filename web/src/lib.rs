//! The resident pages: server-rendered HTML in Finnish, Swedish and English, merged
//! into the one HTTP server beside GraphQL and Open311.
//!
//! A door like the others: what a resident sends through the form becomes a
//! [`palaute_core::RawSubmission`] (channel `web`), checked by the shared intake rules
//! and saved by [`Store::submit_case`]. Pages come from askama templates in
//! `templates/`, checked at compile time; the stylesheet and the script are served by
//! this crate under `/static/`, under a Content-Security-Policy that allows nothing
//! from elsewhere and no inline script. Every page works without JavaScript.
//!
//! - `page`: the frame every page shares (base layout, language switch, headers).
//! - `i18n`: the pages' texts in fi/sv/en and the choice of a page's language.
//! - `assets`: `/static/site.css` and `/static/form.js`.
//! - `figures`: the public service figures (`/palvelu`, `/tjanst`, `/service`) and
//!   their CSV, per unit for staff; `charts` draws their SVG charts.
//! - `form`: the feedback form at `/`, `/sv`, `/en` (GET and POST), reading the body
//!   with `posted`, its CSRF token from `csrf`, its problems said by `messages`, a
//!   category's notice, redirect and questions from `guidance`.
//! - `confirmation`: the page after a submission, with the reference and tracking link.
//! - `tracking`: `/track/{reference}`, the case's status for the holder of its token.
//! - `problem`: the pages of a refusal (403, 413, 429, 500).

mod assets;
mod charts;
mod confirmation;
mod csrf;
mod figures;
mod form;
mod guidance;
pub mod i18n;
mod messages;
pub mod page;
mod posted;
mod problem;
mod tracking;

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::middleware::map_response;
use palaute_core::rate_limit::KeyedLimiter;
use palaute_core::settings::AttachmentSettings;
use palaute_core::{Organisation, Settings};
use palaute_store::{StaffTokens, Store};
use tokio::sync::Notify;

/// What the resident pages need; cheap to clone.
#[derive(Clone)]
pub struct WebDoor {
    inner: Arc<Inner>,
    /// Checks the tokens of staff asking for one unit's figures.
    staff_tokens: StaffTokens,
}

struct Inner {
    store: Store,
    organisation: Arc<Organisation>,
    /// Woken after a new case, so the worker routes it at once.
    jobs: Arc<Notify>,
    /// The `[rate_limits]` bucket of anonymous submissions shared with the other doors;
    /// `None` when limits are off.
    submissions: Option<Arc<KeyedLimiter<IpAddr>>>,
    trusted_proxy_hops: usize,
    attachments: AttachmentSettings,
    max_attempts: i32,
    /// The key of the form's CSRF tokens.
    csrf_key: Vec<u8>,
    /// The site is served over HTTPS: its cookie gets `Secure`.
    secure_cookies: bool,
    body_read_timeout: Duration,
    /// `[privacy] anonymise_after_days`, told in the form's privacy notice.
    anonymise_after_days: u32,
}

impl WebDoor {
    /// The door taking submissions from `submissions`, the bucket GraphQL and Open311
    /// draw on (`palaute_api::RequestPolicy::submission_limiter`). `secret` keys the
    /// forms' CSRF tokens: a value that stays the same across restarts and processes
    /// (such as one derived from the administrator token) keeps open forms valid.
    pub fn new(
        store: Store,
        organisation: Arc<Organisation>,
        settings: &Settings,
        jobs: Arc<Notify>,
        submissions: Option<Arc<KeyedLimiter<IpAddr>>>,
        secret: &[u8],
    ) -> Self {
        let staff_tokens = StaffTokens::new(None, store.clone());
        Self {
            staff_tokens,
            inner: Arc::new(Inner {
                store,
                organisation,
                jobs,
                submissions,
                trusted_proxy_hops: settings.http.trusted_proxy_hops,
                attachments: settings.attachments.clone(),
                max_attempts: settings.worker.max_attempts,
                csrf_key: secret.to_vec(),
                secure_cookies: settings.public_url.starts_with("https://"),
                body_read_timeout: settings.http.body_read_timeout(),
                anonymise_after_days: settings.privacy.anonymise_after_days,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn organisation(&self) -> &Organisation {
        &self.inner.organisation
    }

    /// Staff-only pages also accept the administrator token (staff API tokens are
    /// always accepted), checked as GraphQL checks it.
    pub fn with_admin_token(mut self, admin_token: &str) -> Self {
        self.staff_tokens = StaffTokens::new(Some(admin_token), self.inner.store.clone());
        self
    }

    pub(crate) fn staff_tokens(&self) -> &StaffTokens {
        &self.staff_tokens
    }
}

/// Every resident page and asset, ready to merge into the application. A new page is
/// a module with its own `routes()` merged here.
pub fn router(door: WebDoor) -> Router {
    Router::new()
        .merge(assets::routes())
        .merge(figures::routes())
        .merge(form::routes())
        .merge(tracking::routes())
        .layer(map_response(page::security_headers))
        .with_state(door)
}
