//! Claims jobs and runs them. Several runners (in one process or many, over one
//! database) share the queue safely: the store hands each job to one lease holder.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palaute_core::settings::{RoutingSettings, WorkerSettings};
use palaute_routing::router::RouterOptions;
use palaute_store::{ClaimedJob, JobKind, Store, with_request_id};
use tokio::sync::{Notify, oneshot, watch};
use tracing::{Instrument, debug, error, info, warn};

use crate::backoff::retry_delay;
use crate::deadlines::DeadlineCheck;
use crate::delivery::EmailSender;
use crate::liveness::{self, LivenessLock};
use crate::pipeline::Pipeline;
use crate::retention::Retention;
use crate::telemetry::{JobOutcome, record_job};

/// Signals that wake sleeping loops early: new jobs, new index work. Pollers still
/// look on their own interval, for work written by other processes.
#[derive(Debug, Default, Clone)]
pub struct Wakeups {
    pub jobs: Arc<Notify>,
    pub index: Arc<Notify>,
}

/// Why a job failed, and whether trying again could help.
#[derive(Debug)]
pub struct JobError {
    pub error: anyhow::Error,
    /// A permanent failure is parked at once: retrying cannot succeed.
    pub permanent: bool,
}

impl JobError {
    pub fn transient(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            permanent: false,
        }
    }

    pub fn permanent(error: impl Into<anyhow::Error>) -> Self {
        Self {
            error: error.into(),
            permanent: true,
        }
    }
}

impl<E: Into<anyhow::Error>> From<E> for JobError {
    fn from(error: E) -> Self {
        Self::transient(error)
    }
}

/// The schedule row behind periodic retraining.
const RETRAIN_SCHEDULE: &str = "retrain_routing";
/// The schedule row behind the periodic deadline check.
const DEADLINE_SCHEDULE: &str = "check_deadlines";
/// The schedule row behind the retention job.
const RETENTION_SCHEDULE: &str = "anonymise_expired";

/// How long a job other than retraining may run. Each IO step inside has a bound of its
/// own (SMTP timeout, SQLite busy timeout, pool acquire timeout); this catches one that
/// has none, such as a PostgreSQL query stuck on a lock, because the heartbeat would
/// otherwise keep a hung job's lease for ever.
const HANDLER_DEADLINE: Duration = Duration::from_secs(120);

/// The liveness lock of a runner whose database is on this machine, and the folder
/// where the other runners' locks are.
struct Liveness {
    folder: std::path::PathBuf,
    lock: LivenessLock,
}

pub struct Runner {
    store: Store,
    settings: WorkerSettings,
    routing: RoutingSettings,
    pipeline: Arc<Pipeline>,
    email_sender: Arc<EmailSender>,
    deadlines: DeadlineCheck,
    wakeups: Wakeups,
    name: String,
    liveness: Option<Liveness>,
    /// The retention job, when `[privacy]` anonymises closed cases.
    retention: Option<Arc<Retention>>,
}

impl Runner {
    pub fn new(
        store: Store,
        settings: WorkerSettings,
        routing: RoutingSettings,
        pipeline: Pipeline,
        email_sender: EmailSender,
        wakeups: Wakeups,
    ) -> Self {
        let name = format!("{}-{}", std::process::id(), rand::random::<u32>());
        Self {
            store,
            settings,
            routing,
            deadlines: pipeline.deadline_check(),
            pipeline: Arc::new(pipeline),
            email_sender: Arc::new(email_sender),
            wakeups,
            name,
            liveness: None,
            retention: None,
        }
    }

    /// Makes this runner's life visible to runners on this machine, through a lock file
    /// in `folder` held until it stops, and lets it take back at start the jobs of
    /// runners that died holding them. Only for a database every user of which is on
    /// this machine (SQLite): elsewhere the lease is the only sign of life.
    pub fn with_liveness_folder(mut self, folder: &Path) -> anyhow::Result<Self> {
        let lock = LivenessLock::acquire(folder, &self.name).map_err(|error| {
            anyhow::anyhow!(
                "creating the worker lock file in {}: {error}",
                folder.display()
            )
        })?;
        self.liveness = Some(Liveness {
            folder: folder.to_owned(),
            lock,
        });
        Ok(self)
    }

    /// Runs the retention job on its schedule (`[privacy] retention_check_minutes`).
    pub fn with_retention(mut self, retention: Retention) -> Self {
        self.retention = Some(Arc::new(retention));
        self
    }

    /// Runs `concurrency` job loops until `shutdown` turns true; jobs in hand finish first.
    pub async fn run(self, shutdown: watch::Receiver<bool>) {
        let runner = Arc::new(self);
        let slots = runner.settings.concurrency.max(1);
        info!(worker = %runner.name, slots, "worker started");
        runner.reclaim_from_dead_runners().await;
        let mut loops = Vec::with_capacity(slots);
        for slot in 0..slots {
            let runner = Arc::clone(&runner);
            let shutdown = shutdown.clone();
            loops.push(tokio::spawn(async move {
                runner.job_loop(slot, shutdown).await
            }));
        }
        let schedules = [
            (
                RETRAIN_SCHEDULE,
                JobKind::RetrainRouting,
                runner.routing.retrain_interval(),
            ),
            (
                DEADLINE_SCHEDULE,
                JobKind::CheckDeadlines,
                runner.settings.deadline_check_interval(),
            ),
            (
                RETENTION_SCHEDULE,
                JobKind::AnonymiseExpired,
                runner
                    .retention
                    .as_ref()
                    .and_then(|retention| retention.interval()),
            ),
        ];
        for (name, kind, interval) in schedules {
            let Some(interval) = interval else {
                continue;
            };
            let runner = Arc::clone(&runner);
            let shutdown = shutdown.clone();
            loops.push(tokio::spawn(async move {
                runner.schedule_loop(name, kind, interval, shutdown).await
            }));
        }
        for handle in loops {
            if let Err(error) = handle.await {
                error!(%error, "a worker loop ended abnormally");
            }
        }
        if let Some(liveness) = Arc::into_inner(runner).and_then(|runner| runner.liveness)
            && let Err(error) = liveness.lock.release()
        {
            warn!(%error, "could not remove the worker lock file");
        }
        info!("worker stopped");
    }

    /// Puts the running jobs of every dead runner on this machine back in the queue, due
    /// at once, and forgets the runner. A runner whose jobs could not be released keeps
    /// its lock file for the next start.
    async fn reclaim_from_dead_runners(&self) {
        let Some(liveness) = &self.liveness else {
            return;
        };
        let dead = match liveness::dead_runners(&liveness.folder) {
            Ok(dead) => dead,
            Err(error) => {
                warn!(folder = %liveness.folder.display(), %error, "could not look for dead workers");
                return;
            }
        };
        for runner in dead {
            match self
                .store
                .release_jobs_of(&runner.name, palaute_store::now())
                .await
            {
                Ok(released) => {
                    if released > 0 {
                        info!(dead_worker = %runner.name, released, "took back the jobs of a dead worker");
                        self.wakeups.jobs.notify_waiters();
                    }
                    if let Err(error) = runner.forget() {
                        warn!(%error, "could not remove a dead worker's lock file");
                    }
                }
                Err(error) => {
                    error!(dead_worker = %runner.name, %error, "could not take back a dead worker's jobs")
                }
            }
        }
    }

    async fn job_loop(self: Arc<Self>, slot: usize, mut shutdown: watch::Receiver<bool>) {
        let worker = format!("{}/{slot}", self.name);
        while !*shutdown.borrow() {
            let claimed = self
                .store
                .claim_job(&worker, self.settings.lease(), palaute_store::now())
                .await;
            match claimed {
                Ok(Some(job)) => {
                    Arc::clone(&self).run_job_isolated(&worker, job).await;
                    continue;
                }
                Ok(None) => {}
                Err(error) => error!(error = %error, "could not claim a job"),
            }
            tokio::select! {
                _ = self.wakeups.jobs.notified() => {}
                _ = tokio::time::sleep(self.settings.poll_interval()) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    /// Enqueues a periodic job (retraining, the deadline check) when it is due. Every
    /// worker process runs this; the store lets one of them enqueue each run.
    async fn schedule_loop(
        self: Arc<Self>,
        name: &'static str,
        kind: JobKind,
        interval: Duration,
        mut shutdown: watch::Receiver<bool>,
    ) {
        let interval = chrono::Duration::from_std(interval).unwrap_or(chrono::Duration::days(1));
        // Often enough to keep to the interval, rarely enough to cost nothing.
        let check_every = Duration::from_secs(60).min(self.settings.poll_interval() * 20);
        while !*shutdown.borrow() {
            match self
                .store
                .run_schedule_if_due(
                    name,
                    kind,
                    interval,
                    self.settings.max_attempts,
                    palaute_store::now(),
                )
                .await
            {
                Ok(Some(job)) => {
                    debug!(job, schedule = name, "periodic job enqueued");
                    self.wakeups.jobs.notify_waiters();
                }
                Ok(None) => {}
                Err(error) => error!(error = %error, schedule = name, "could not check a schedule"),
            }
            tokio::select! {
                _ = tokio::time::sleep(check_every) => {}
                _ = shutdown.changed() => {}
            }
        }
    }

    fn routing_options(&self) -> RouterOptions {
        RouterOptions {
            target_precision: self.routing.target_precision,
            ..RouterOptions::default()
        }
    }

    /// Runs one job in a task of its own, so that a panicking handler fails the job
    /// instead of taking this worker slot down with it.
    async fn run_job_isolated(self: Arc<Self>, worker: &str, job: ClaimedJob) {
        let span = job_span(&job);
        let heartbeat = self.heartbeat(worker, job.id);
        let runner = Arc::clone(&self);
        let handler_job = job.clone();
        let started = Instant::now();
        // A spawned task starts outside the caller's span and request scope: give it both.
        let handler = with_request_id(job.request_id.clone(), async move {
            runner.execute(&handler_job).await
        })
        .instrument(span.clone());
        let outcome = tokio::spawn(handler).await.unwrap_or_else(|panic| {
            Err(JobError::transient(anyhow::anyhow!(
                "the job panicked: {panic}"
            )))
        });
        let ran_for = started.elapsed();
        heartbeat.stop().await;
        self.settle(worker, &job, outcome, ran_for)
            .instrument(span)
            .await;
    }

    /// Runs one job and settles it. Returns once the outcome is stored.
    pub async fn run_job(&self, worker: &str, job: ClaimedJob) {
        let span = job_span(&job);
        let heartbeat = self.heartbeat(worker, job.id);
        let started = Instant::now();
        let outcome = with_request_id(job.request_id.clone(), self.execute(&job))
            .instrument(span.clone())
            .await;
        let ran_for = started.elapsed();
        heartbeat.stop().await;
        self.settle(worker, &job, outcome, ran_for)
            .instrument(span)
            .await;
    }

    /// Renews the lease of a running job every `heartbeat_seconds` until stopped, so
    /// that a short lease only runs out when its worker is gone.
    fn heartbeat(&self, worker: &str, job: i64) -> Heartbeat {
        let (stop, mut stopped) = oneshot::channel::<()>();
        let store = self.store.clone();
        let worker = worker.to_owned();
        let (every, lease) = (self.settings.heartbeat(), self.settings.lease());
        let task = tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = &mut stopped => return,
                    _ = tokio::time::sleep(every) => {}
                }
                match store
                    .renew_lease(job, &worker, lease, palaute_store::now())
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        warn!(job, %worker, "lease lost while the job runs; another worker may run it too");
                        return;
                    }
                    Err(error) => warn!(job, %error, "could not renew a job's lease"),
                }
            }
        });
        Heartbeat { stop, task }
    }

    async fn execute(&self, job: &ClaimedJob) -> Result<(), JobError> {
        debug!(job = job.id, kind = %job.kind_code, attempt = job.attempts, "running job");
        if job.attempts > job.max_attempts {
            // Claimed again after its lease expired more times than it may run: the
            // job may be what crashes its workers, so it is not run again.
            return Err(JobError::permanent(anyhow::anyhow!(
                "the job's lease expired on {} attempts without an outcome",
                job.attempts - 1
            )));
        }
        let handler = async {
            match job.kind {
                Some(JobKind::ProcessCase) => self.pipeline.process(job).await,
                Some(JobKind::SendEmail) => self.email_sender.send(job).await,
                Some(JobKind::NotifyUnit) => self.pipeline.notify_unit(job).await,
                Some(JobKind::SendReply) => self.pipeline.send_reply(job).await,
                Some(JobKind::NotifyMerge) => self.pipeline.notify_merge(job).await,
                Some(JobKind::ForwardCase) => self.pipeline.forward_case(job).await,
                Some(JobKind::NotifyResidentMessage) => {
                    self.pipeline.notify_resident_message(job).await
                }
                Some(JobKind::RetrainRouting) => {
                    crate::training::retrain(&self.store, self.routing_options()).await
                }
                Some(JobKind::CheckDeadlines) => self
                    .deadlines
                    .run(palaute_store::now())
                    .await
                    .map(|_| ())
                    .map_err(JobError::transient),
                // A runner without the retention job (retention off) has nothing to do.
                Some(JobKind::AnonymiseExpired) => match &self.retention {
                    Some(retention) => retention
                        .run(palaute_store::now())
                        .await
                        .map(|_| ())
                        .map_err(JobError::transient),
                    None => Ok(()),
                },
                None => Err(JobError::permanent(anyhow::anyhow!(
                    "unknown job kind {:?}",
                    job.kind_code
                ))),
            }
        };
        if job.kind == Some(JobKind::RetrainRouting) {
            // Training is CPU work off the async threads: a deadline could not stop it.
            return handler.await;
        }
        tokio::time::timeout(HANDLER_DEADLINE, handler)
            .await
            .unwrap_or_else(|_| {
                Err(JobError::transient(anyhow::anyhow!(
                    "the job did not finish within {} s",
                    HANDLER_DEADLINE.as_secs()
                )))
            })
    }

    async fn settle(
        &self,
        worker: &str,
        job: &ClaimedJob,
        outcome: Result<(), JobError>,
        ran_for: Duration,
    ) {
        let now = palaute_store::now();
        let settled = match outcome {
            Ok(()) => {
                record_job(job, JobOutcome::Done, ran_for);
                // Routing may have queued emails and index work: wake their loops.
                self.wakeups.jobs.notify_waiters();
                self.wakeups.index.notify_one();
                self.store.complete_job(job.id, worker, now).await
            }
            Err(failure) => {
                let message = format!("{:#}", failure.error);
                if failure.permanent || job.attempts >= job.max_attempts {
                    error!(job = job.id, kind = %job.kind_code, attempts = job.attempts, error = %message, "job failed for good");
                    record_job(job, JobOutcome::Failed, ran_for);
                    let buried = self.store.bury_job(job.id, worker, &message, now).await;
                    // Only the lease holder acts on the failure: another worker may have
                    // taken the job over and succeeded meanwhile.
                    if matches!(buried, Ok(true)) {
                        self.on_dead(job, &message).await;
                    }
                    buried
                } else {
                    let delay = retry_delay(
                        job.attempts,
                        Duration::from_millis(self.settings.retry_base_ms),
                        Duration::from_secs(self.settings.retry_cap_seconds),
                    );
                    warn!(job = job.id, kind = %job.kind_code, attempts = job.attempts, retry_in_ms = delay.as_millis() as u64, error = %message, "job failed, will retry");
                    record_job(job, JobOutcome::Retried, ran_for);
                    let run_at = now + chrono::Duration::from_std(delay).unwrap_or_default();
                    self.store
                        .retry_job(job.id, worker, &message, run_at, now)
                        .await
                }
            }
        };
        match settled {
            Ok(true) => {}
            Ok(false) => warn!(job = job.id, "lease was lost before the job was settled"),
            Err(error) => error!(job = job.id, error = %error, "could not settle a job"),
        }
    }

    /// What a job that will not run again leaves behind: a failed email is marked
    /// failed; a case whose pipeline failed goes to the triage unit, so that a person
    /// sees it rather than it waiting as NEW for ever.
    async fn on_dead(&self, job: &ClaimedJob, message: &str) {
        match job.kind {
            Some(JobKind::SendEmail) => {
                if let Some(email_id) = job.payload.get("email_id").and_then(|v| v.as_i64())
                    && let Err(error) = self
                        .store
                        .record_email_error(email_id, message, true, palaute_store::now())
                        .await
                {
                    error!(email = email_id, error = %error, "could not mark an email failed");
                }
            }
            Some(JobKind::ProcessCase) => {
                if let Err(error) = self.pipeline.fall_back_to_triage(job, message).await {
                    error!(
                        job = job.id,
                        error = format!("{:#}", error.error),
                        "could not send a failed case to triage"
                    );
                }
            }
            // The case stays with its new unit, whose mailbox simply was not told; a
            // reply that could not be emailed is still on the tracking page; a failed
            // retraining leaves the running models as they were; the next deadline check
            // picks up what a failed one left.
            Some(
                JobKind::NotifyUnit
                | JobKind::SendReply
                | JobKind::NotifyMerge
                | JobKind::ForwardCase
                | JobKind::NotifyResidentMessage
                | JobKind::RetrainRouting
                | JobKind::CheckDeadlines
                | JobKind::AnonymiseExpired,
            )
            | None => {}
        }
    }
}

/// A running job's lease renewal.
struct Heartbeat {
    stop: oneshot::Sender<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Heartbeat {
    /// Stops renewing, after a renewal in flight has finished, so none lands after the
    /// job is settled.
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.task.await;
    }
}

/// The span a job runs in: its log lines carry the job, its kind and the request id
/// of the HTTP request that made it.
fn job_span(job: &ClaimedJob) -> tracing::Span {
    tracing::info_span!(
        "job",
        job = job.id,
        kind = %job.kind_code,
        request_id = job.request_id.as_deref(),
    )
}
