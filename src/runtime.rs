//! Starting the parts of a palaute process: the store, the search index, the worker,
//! the indexer and the HTTP server, and stopping them in order.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Context;
use palaute_api::{
    AppState, LiveDoor, LiveFeed, OidcVerifier, RequestPolicy, StaffAuth, build_schema,
};
use palaute_core::settings::MIN_ADMIN_TOKEN_CHARS;
use palaute_core::{Organisation, Settings};
use palaute_mail::intake::MailIntake;
use palaute_open311::Open311Door;
use palaute_search_index::{IndexError, SearchIndex};
use palaute_store::Store;
use palaute_web::WebDoor;
use palaute_worker::delivery::EmailSender;
use palaute_worker::mail::Mailer;
use palaute_worker::pipeline::Pipeline;
use palaute_worker::{Indexer, Retention, Runner, Wakeups};
use tokio::sync::watch;
use tracing::{info, warn};

use crate::config::load_organisation;
use crate::http_telemetry::track_request;
use crate::operations::Operations;

/// Connects, migrates and mirrors the organisation into the database.
pub async fn open_store(settings: &Settings) -> anyhow::Result<(Store, Arc<Organisation>)> {
    create_private_folder(&settings.data_dir)
        .with_context(|| format!("creating data folder {}", settings.data_dir.display()))?;
    let organisation = load_organisation(settings)?;
    let store = Store::connect(&settings.database_url(), settings.database_max_connections)
        .await
        .context("opening the database")?;
    store.migrate().await.context("migrating the database")?;
    store
        .sync_organisation(&organisation)
        .await
        .context("loading the organisation into the database")?;
    Ok((store, organisation))
}

pub fn worker_runner(
    settings: &Settings,
    store: &Store,
    organisation: Arc<Organisation>,
    wakeups: Wakeups,
) -> anyhow::Result<Runner> {
    settings
        .worker
        .check()
        .map_err(anyhow::Error::msg)
        .context("checking the worker settings")?;
    let mailer = Mailer::from_settings(
        settings.smtp_url.as_deref(),
        &settings.outbox_dir(),
        settings.worker.smtp_timeout(),
    )
    .context("setting up email delivery")?;
    let pipeline = Pipeline::new(
        store.clone(),
        organisation,
        settings.mail_from.clone(),
        settings.public_url.clone(),
        settings.worker.max_attempts,
    )
    .with_acknowledgement_interval(
        settings
            .rate_limits
            .acknowledgement_interval()
            .and_then(|interval| chrono::Duration::from_std(interval).ok()),
    );
    let runner = Runner::new(
        store.clone(),
        settings.worker.clone(),
        settings.routing.clone(),
        pipeline,
        match &settings.mail.inbound_address {
            Some(inbound) => EmailSender::new(store.clone(), mailer).with_answers_to(inbound),
            None => EmailSender::new(store.clone(), mailer),
        },
        wakeups,
    )
    .with_retention(Retention::new(
        store.clone(),
        settings.privacy.clone(),
        // Email written to the outbox folder keeps copies there; over SMTP it does not.
        settings.smtp_url.is_none().then(|| settings.outbox_dir()),
    ));
    // Every process using a SQLite file is on this machine: a dead one's jobs can be
    // taken back at once. Elsewhere their leases run out.
    if store.is_sqlite() {
        runner.with_liveness_folder(&settings.data_dir.join("workers"))
    } else {
        Ok(runner)
    }
}

/// Opens the index; an index written by an older schema is recreated and refilled
/// from the database, which is the source of truth.
pub async fn open_index(folder: &Path, store: &Store) -> anyhow::Result<Arc<SearchIndex>> {
    match SearchIndex::open(folder) {
        Ok(index) => {
            let index = Arc::new(index);
            // A lost or deleted index folder comes back empty: refill it, since the
            // database is the source of truth.
            let has_cases = !store.case_ids_after(0, 1).await?.is_empty();
            if index.document_count() == 0 && has_cases {
                warn!(folder = %folder.display(), "search index is empty; rebuilding it from the database");
                Indexer::new(store.clone(), Arc::clone(&index)).rebuild().await?;
            }
            Ok(index)
        }
        Err(IndexError::SchemaChanged { .. }) => {
            warn!(folder = %folder.display(), "search index has an older schema; rebuilding it");
            let index = Arc::new(SearchIndex::open_or_recreate(folder).context("recreating the index")?);
            Indexer::new(store.clone(), Arc::clone(&index)).rebuild().await?;
            Ok(index)
        }
        Err(error @ IndexError::Locked { .. }) => Err(anyhow::Error::new(error).context(
            "another palaute process holds the search index; stop it, or give this one its own --data-dir",
        )),
        Err(error) => Err(anyhow::Error::new(error).context("opening the search index")),
    }
}

/// Reads the administrator token from settings, or from the data folder, creating one
/// there on first start so a new installation is usable at once.
pub fn admin_token(settings: &Settings) -> anyhow::Result<String> {
    if let Some(token) = &settings.admin_token {
        check_admin_token(token).context("admin_token (PALAUTE_ADMIN_TOKEN)")?;
        return Ok(token.clone());
    }
    let file = settings.admin_token_file();
    if let Ok(existing) = std::fs::read_to_string(&file) {
        let existing = existing.trim().to_owned();
        if !existing.is_empty() {
            check_admin_token(&existing).with_context(|| format!("{}", file.display()))?;
            return Ok(existing);
        }
    }
    let token = palaute_core::token::TrackingToken::generate().into_string();
    write_private(&file, &token).with_context(|| format!("writing {}", file.display()))?;
    info!(file = %file.display(), "generated an administrator token");
    Ok(token)
}

/// The key of the resident form's CSRF tokens, derived from the administrator token so
/// that no other setting is needed and the key never equals the token itself.
fn web_form_key(admin_token: &str) -> String {
    palaute_core::token::sha256_hex(format!("palaute web form key\n{admin_token}").as_bytes())
}

/// The data folder holds contact details and the admin token: a new one is readable by
/// palaute's own user only. An existing folder keeps the permissions it was given.
fn create_private_folder(folder: &Path) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(folder)
}

fn check_admin_token(token: &str) -> anyhow::Result<()> {
    let length = token.trim().chars().count();
    anyhow::ensure!(
        length >= MIN_ADMIN_TOKEN_CHARS,
        "the administrator token has {length} characters; at least {MIN_ADMIN_TOKEN_CHARS} are needed \
         (delete the file to have one generated, or use e.g. `openssl rand -base64 33`)"
    );
    Ok(())
}

fn write_private(file: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut handle = options.open(file)?;
    handle.write_all(contents.as_bytes())?;
    handle.sync_all()
}

/// A running `serve`: its address, and the handle to stop it.
pub struct RunningServer {
    pub address: std::net::SocketAddr,
    /// The admin listener serving `/metrics` without a token (`[metrics] listen`).
    pub metrics_address: Option<std::net::SocketAddr>,
    /// The server's own store handle (its statement count shows what requests cost).
    pub store: Store,
    stop: watch::Sender<bool>,
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    background: Vec<tokio::task::JoinHandle<()>>,
}

impl RunningServer {
    /// Stops accepting requests, lets requests and jobs in hand finish, and waits.
    pub async fn stop(self) -> anyhow::Result<()> {
        let _ = self.stop.send(true);
        let served = self.server.await.context("server task failed")?;
        for task in self.background {
            let _ = task.await;
        }
        served.context("serving HTTP")
    }

    /// Waits until the server ends by itself (it only does on an error).
    async fn wait(&mut self) -> anyhow::Result<()> {
        (&mut self.server)
            .await
            .context("server task failed")?
            .context("serving HTTP")
    }
}

/// Starts the API with the indexer and, if `run_worker`, the job worker.
pub async fn start(settings: Settings, run_worker: bool) -> anyhow::Result<RunningServer> {
    let ready = Arc::new(AtomicBool::new(false));
    let (store, organisation) = open_store(&settings).await?;
    let token = admin_token(&settings)?;
    // Every process seals and opens with the same administrator token.
    let store = store.with_acknowledgement_seal(&token);
    let index = open_index(&settings.index_dir(), &store).await?;
    let wakeups = Wakeups::default();
    let (stop, stopped) = watch::channel(false);

    let schema = build_schema(
        store.clone(),
        Arc::clone(&organisation),
        Arc::clone(&index),
        &settings,
        Arc::clone(&wakeups.jobs),
    );
    let policy = Arc::new(RequestPolicy::from_settings(&settings, &schema));
    // One budget of anonymous submissions per client, whichever door it uses.
    let submissions = policy.submission_limiter();
    let mut auth = StaffAuth::new(Some(&token), store.clone());
    if let Some(oidc) = &settings.oidc {
        let verifier = OidcVerifier::new(oidc, Arc::clone(&organisation))
            .context("setting up city sign-in ([oidc] settings)")?;
        info!(issuer = %oidc.issuer, "city sign-in (OIDC) is on");
        auth = auth.with_oidc(verifier);
    }
    let (live, live_poller) = LiveFeed::start(store.clone(), &settings.live, stopped.clone())
        .await
        .context("starting the live queue's change feed")?;
    let state = AppState {
        schema,
        store: store.clone(),
        auth,
        policy,
        ready: Arc::clone(&ready),
        live: LiveDoor::new(live, &settings.live),
    };

    let mut background = vec![live_poller];
    let indexer = Indexer::new(store.clone(), Arc::clone(&index));
    background.push(tokio::spawn(indexer.run(
        Arc::clone(&wakeups.index),
        settings.worker.poll_interval(),
        stopped.clone(),
    )));
    if run_worker {
        let runner = worker_runner(
            &settings,
            &store,
            Arc::clone(&organisation),
            wakeups.clone(),
        )?;
        background.push(tokio::spawn(runner.run(stopped.clone())));
    }

    let listener = tokio::net::TcpListener::bind(settings.listen)
        .await
        .with_context(|| format!("listening on {}", settings.listen))?;
    let address = listener.local_addr().context("reading the bound address")?;
    let mut server_stopped = stopped.clone();
    let shutdown = async move {
        let _ = server_stopped.wait_for(|stop| *stop).await;
    };
    let http_settings = settings.http.clone();
    // One server for every door: GraphQL, Open311 under /open311/v2/, and the
    // resident pages.
    let open311 = Open311Door::sharing_submissions(
        store.clone(),
        Arc::clone(&organisation),
        &settings,
        Arc::clone(&wakeups.jobs),
        submissions.clone(),
    );
    // The resident pages draw on the same submissions bucket; their CSRF key comes
    // from the administrator token, so open forms stay valid across restarts.
    let web = WebDoor::new(
        store.clone(),
        Arc::clone(&organisation),
        &settings,
        Arc::clone(&wakeups.jobs),
        submissions,
        web_form_key(&token).as_bytes(),
    )
    .with_admin_token(&token);
    let intake = MailIntake::new(
        store.clone(),
        Arc::clone(&organisation),
        &settings,
        Some(Arc::clone(&wakeups.jobs)),
    );
    if run_worker && let Some(imap) = settings.mail.imap.clone() {
        background.push(spawn_mailbox_poller(intake.clone(), imap, stopped.clone()));
    }
    let app = palaute_api::app(state)
        .merge(palaute_open311::router(open311))
        .merge(palaute_web::router(web))
        .merge(palaute_mail::webhook::router(
            intake,
            settings.mail.webhook_secret.clone(),
        ));
    // Operators' routes, then the layer every request of every door passes through:
    // request id, span, and counts by route template.
    crate::telemetry::recorder();
    let operations = Operations::new(store.clone(), &settings, Some(&token));
    let app = app
        .merge(operations.clone().router())
        .layer(axum::middleware::from_fn(track_request));
    let metrics_address = match settings.metrics.listen {
        Some(listen) => {
            let (address, task) = serve_admin_metrics(listen, operations, stopped.clone()).await?;
            background.push(task);
            Some(address)
        }
        None => None,
    };
    let server = tokio::spawn(async move {
        palaute_api::serve_http(listener, app, &http_settings, shutdown).await
    });
    ready.store(true, Ordering::Release);
    info!(%address, data_dir = %settings.data_dir.display(), worker = run_worker, email = if settings.smtp_url.is_some() { "smtp" } else { "outbox folder" }, "serving");
    Ok(RunningServer {
        address,
        metrics_address,
        store: store.clone(),
        stop,
        server,
        background,
    })
}

/// The admin listener of `[metrics] listen`: `/metrics` only, no token, stopped with
/// the server.
async fn serve_admin_metrics(
    listen: std::net::SocketAddr,
    operations: Operations,
    mut stopped: watch::Receiver<bool>,
) -> anyhow::Result<(std::net::SocketAddr, tokio::task::JoinHandle<()>)> {
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening for metrics on {listen} ([metrics] listen)"))?;
    let address = listener
        .local_addr()
        .context("reading the metrics listener's address")?;
    let app = operations.admin_router();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.wait_for(|stop| *stop).await;
        };
        if let Err(error) = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::error!(%error, "the metrics listener stopped");
        }
    });
    info!(%address, "serving /metrics without a token on the admin listener");
    Ok((address, task))
}

/// Runs `serve` until Ctrl-C or SIGTERM.
pub async fn serve(settings: Settings, run_worker: bool) -> anyhow::Result<()> {
    let token_note = settings
        .admin_token
        .is_none()
        .then(|| settings.admin_token_file());
    let mut running = start(settings, run_worker).await?;
    // Scripts and tests read this line to find the server.
    println!(
        "palaute is listening on http://{}/graphql (GraphiQL in a browser)",
        running.address
    );
    println!(
        "resident pages: http://{0}/ (feedback form), http://{0}/palvelu (service figures)",
        running.address
    );
    if let Some(file) = token_note {
        println!(
            "staff token: in {} (send it as Authorization: Bearer …)",
            file.display()
        );
    }
    tokio::select! {
        _ = shutdown_signal() => {}
        result = running.wait() => return result,
    }
    info!("shutting down: finishing requests and jobs in hand");
    running.stop().await
}

/// Runs a worker-only process until Ctrl-C or SIGTERM.
pub async fn worker(settings: Settings) -> anyhow::Result<()> {
    let (store, organisation) = open_store(&settings).await?;
    let store = store.with_acknowledgement_seal(&admin_token(&settings)?);
    let (stop, stopped) = watch::channel(false);
    let wakeups = Wakeups::default();
    let mut tasks = Vec::new();
    if let Some(imap) = settings.mail.imap.clone() {
        let intake = MailIntake::new(
            store.clone(),
            Arc::clone(&organisation),
            &settings,
            Some(Arc::clone(&wakeups.jobs)),
        );
        tasks.push(spawn_mailbox_poller(intake, imap, stopped.clone()));
    }
    if let Some(listen) = settings.metrics.listen {
        // The worker's own counters (jobs, emails), and the shared gauges.
        crate::telemetry::recorder();
        let operations = Operations::new(store.clone(), &settings, None);
        let (_, task) = serve_admin_metrics(listen, operations, stopped.clone()).await?;
        tasks.push(task);
    }
    let runner = worker_runner(&settings, &store, organisation, wakeups)?;
    tasks.push(tokio::spawn(runner.run(stopped)));
    shutdown_signal().await;
    let _ = stop.send(true);
    for task in tasks {
        task.await.context("worker task failed")?;
    }
    Ok(())
}

/// The IMAP poller of `[mail.imap]`, part of the worker: it only stops on shutdown (or
/// on settings that can never work, which it logs).
fn spawn_mailbox_poller(
    intake: MailIntake,
    imap: palaute_core::settings::ImapSettings,
    stopped: watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(error) = intake.poll_mailbox(imap, stopped).await {
            tracing::error!(error = format!("{error:#}"), "the imap poller stopped");
        }
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {}
        _ = terminate => {}
    }
}
