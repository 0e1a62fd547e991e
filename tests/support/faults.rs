//! A real `palaute serve` process killed with SIGKILL and restarted, again and again,
//! while clients keep submitting; and what is left afterwards. Shared by the crash and
//! fault tests and by `examples/fault.rs`, so it needs nothing else from `support`.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use std::collections::{BTreeMap, HashSet};
use std::io::{BufRead, BufReader, Lines};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use palaute_core::{CaseStatus, Reference};
use palaute_store::Store;
use serde_json::{Value, json};

/// A running `palaute serve`.
pub struct Server {
    child: Child,
    /// The base URL, `http://127.0.0.1:<port>`.
    pub url: String,
    // Kept open so the server never writes to a closed pipe.
    _stdout: Lines<BufReader<ChildStdout>>,
}

impl Server {
    /// Starts `command` (a `palaute` binary) as `serve` on a free port over
    /// `database_url` and `data_dir`, with default settings otherwise, and waits until
    /// it listens. Blocks the thread meanwhile.
    pub fn start(
        mut command: Command,
        database_url: &str,
        data_dir: &Path,
        admin_token: &str,
    ) -> Server {
        let mut child = command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("PALAUTE_DATABASE_URL", database_url)
            .env("PALAUTE_ADMIN_TOKEN", admin_token)
            .stdout(Stdio::piped())
            .spawn()
            .expect("starting palaute serve");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("palaute serve ended before listening")
                .expect("reading its output");
            if let Some(rest) = line.strip_prefix("palaute is listening on ") {
                let address = rest.split_whitespace().next().unwrap_or_default();
                break address.trim_end_matches("/graphql").to_owned();
            }
        };
        Server {
            child,
            url,
            _stdout: lines,
        }
    }

    /// The process id, to read its CPU time in `/proc`.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL, and the process reaped.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaping the killed server");
    }
}

/// What to do to a server, and how hard to push it.
pub struct FaultPlan {
    /// Starts a `palaute` binary; `serve` and its arguments are added.
    pub command: fn() -> Command,
    pub database_url: String,
    pub data_dir: PathBuf,
    pub admin_token: String,
    pub kills: usize,
    pub clients: usize,
    /// Each client's pause between two submissions.
    pub client_interval: Duration,
    /// How long a server runs before it is killed, at random within this range.
    pub uptime: (Duration, Duration),
    /// Submissions sent at once just before each kill, which comes the moment the last
    /// is answered: so that every kill finds pipelines running.
    pub burst: usize,
    /// The bound on every wait: a recovery, the final routing and emails, the index.
    pub patience: Duration,
}

/// What was left after the kills, once the last server settled.
#[derive(Debug)]
pub struct FaultReport {
    /// Distinct references the clients were given.
    pub accepted: usize,
    /// Submissions the clients had to send again (connection lost, server down).
    pub resent: usize,
    /// Submissions still unanswered after `patience` of retries.
    pub abandoned: usize,
    /// Cases in the database: more than `accepted` means a retried submission was
    /// stored twice.
    pub cases_in_database: usize,
    /// References given to a client but not in the database.
    pub lost: Vec<String>,
    /// Cases not ROUTED at the end.
    pub not_routed: Vec<String>,
    /// Cases with more than one outbox file of a kind, and the count beyond one.
    pub duplicate_emails: usize,
    /// Emails queued in the database without exactly one outbox file.
    pub missing_emails: usize,
    /// Emails written to the outbox folder.
    pub email_files: usize,
    /// The search index's `totalCount` for an empty query, once it had settled.
    pub indexed: Option<u64>,
    /// Per kill, in order.
    pub recoveries: Vec<Recovery>,
    pub elapsed: Duration,
}

/// What one kill interrupted, and how long the system took to catch up.
#[derive(Debug, Clone, Copy)]
pub struct Recovery {
    /// Cases accepted before the kill and not yet ROUTED just after it.
    pub unrouted_at_kill: usize,
    /// From the kill until every case accepted before it was ROUTED (`None`: not
    /// within `patience`).
    pub time: Option<Duration>,
}

impl FaultReport {
    /// The recovery times of the kills that interrupted routing, sorted.
    pub fn recovered(&self) -> Vec<Duration> {
        let mut times: Vec<Duration> = self
            .recoveries
            .iter()
            .filter(|recovery| recovery.unrouted_at_kill > 0)
            .filter_map(|recovery| recovery.time)
            .collect();
        times.sort();
        times
    }

    /// Kills that interrupted routing, and those after which routing never caught up.
    pub fn interrupted(&self) -> (usize, usize) {
        let interrupted = self.recoveries.iter().filter(|r| r.unrouted_at_kill > 0);
        let stuck = self.recoveries.iter().filter(|r| r.time.is_none()).count();
        (interrupted.count(), stuck)
    }

    pub fn summary(&self) -> String {
        let times = self.recovered();
        let at = |q: f64| {
            times
                .get(((times.len().max(1) - 1) as f64 * q).round() as usize)
                .map_or("-".to_owned(), |d| format!("{:.2} s", d.as_secs_f64()))
        };
        let (interrupted, stuck) = self.interrupted();
        format!(
            "{} kills in {:.1} s: {} cases accepted ({} submissions resent, {} abandoned), {} in the database, {} lost, {} not routed; {} email files, {} duplicate, {} missing; index counts {:?}; {interrupted} kills interrupted routing, recovery p50 {}, max {}; {stuck} never recovered",
            self.recoveries.len(),
            self.elapsed.as_secs_f64(),
            self.accepted,
            self.resent,
            self.abandoned,
            self.cases_in_database,
            self.lost.len(),
            self.not_routed.len(),
            self.email_files,
            self.duplicate_emails,
            self.missing_emails,
            self.indexed,
            at(0.5),
            at(1.0),
        )
    }
}

/// Runs the plan: clients submit all along; the server is killed `kills` times and
/// restarted each time; then it waits for the last server to settle and counts.
pub async fn run(plan: FaultPlan) -> FaultReport {
    let started = Instant::now();
    let plan = Arc::new(plan);
    let mut server = start_server(&plan).await;
    let url = Arc::new(RwLock::new(server.url.clone()));
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let resent = Arc::new(AtomicUsize::new(0));
    let abandoned = Arc::new(AtomicUsize::new(0));
    let store = Store::connect(&plan.database_url, 2)
        .await
        .expect("connecting to the database");
    let routed = Arc::new(Mutex::new(HashSet::<String>::new()));

    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("http client");
    let client = |id: usize| Client {
        id,
        http: http.clone(),
        url: Arc::clone(&url),
        accepted: Arc::clone(&accepted),
        stop: Arc::clone(&stop),
        resent: Arc::clone(&resent),
        abandoned: Arc::clone(&abandoned),
        interval: plan.client_interval,
        patience: plan.patience,
    };
    let clients: Vec<_> = (0..plan.clients)
        .map(|id| tokio::spawn(client(id).run()))
        .collect();

    let mut watchers = Vec::with_capacity(plan.kills);
    for kill in 0..plan.kills {
        let (low, high) = plan.uptime;
        let uptime = low + (high.saturating_sub(low)).mul_f64(rand::random::<f64>());
        tokio::time::sleep(uptime).await;
        let burst = client(plan.clients + kill);
        futures::future::join_all((0..plan.burst).map(|number| burst.submit_one(number))).await;
        let before: Vec<String> = accepted.lock().expect("accepted").clone();
        let killed_at = Instant::now();
        tokio::task::spawn_blocking(move || server.kill())
            .await
            .expect("killing the server");
        watchers.push(tokio::spawn(watch_recovery(
            store.clone(),
            before,
            Arc::clone(&routed),
            killed_at,
            plan.patience,
        )));
        server = start_server(&plan).await;
        *url.write().expect("url") = server.url.clone();
    }
    // A last stretch of submissions to the last server, then the clients stop.
    tokio::time::sleep(plan.uptime.0).await;
    stop.store(true, Ordering::Relaxed);
    for client in clients {
        client.await.expect("a client panicked");
    }
    let mut recoveries = Vec::with_capacity(watchers.len());
    for watcher in watchers {
        recoveries.push(watcher.await.expect("a recovery watcher panicked"));
    }

    let references: Vec<String> = accepted.lock().expect("accepted").clone();
    let distinct: HashSet<&String> = references.iter().collect();
    let settled = settle(&store, &plan, &references).await;
    let indexed = indexed_count(&server.url, &plan, settled.cases_in_database).await;
    tokio::task::spawn_blocking(move || server.kill())
        .await
        .expect("stopping the last server");
    FaultReport {
        accepted: distinct.len(),
        resent: resent.load(Ordering::Relaxed),
        abandoned: abandoned.load(Ordering::Relaxed),
        cases_in_database: settled.cases_in_database,
        lost: settled.lost,
        not_routed: settled.not_routed,
        duplicate_emails: settled.duplicate_emails,
        missing_emails: settled.missing_emails,
        email_files: settled.email_files,
        indexed,
        recoveries,
        elapsed: started.elapsed(),
    }
}

async fn start_server(plan: &Arc<FaultPlan>) -> Server {
    let plan = Arc::clone(plan);
    tokio::task::spawn_blocking(move || {
        Server::start(
            (plan.command)(),
            &plan.database_url,
            &plan.data_dir,
            &plan.admin_token,
        )
    })
    .await
    .expect("starting the server")
}

/// One resident's channel: a submission every `interval`, each with its own
/// idempotency key, sent again with the same key until it is answered.
struct Client {
    id: usize,
    http: reqwest::Client,
    url: Arc<RwLock<String>>,
    accepted: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    resent: Arc<AtomicUsize>,
    abandoned: Arc<AtomicUsize>,
    interval: Duration,
    patience: Duration,
}

impl Client {
    async fn run(self) {
        let mut number = 0;
        while !self.stop.load(Ordering::Relaxed) {
            self.submit_one(number).await;
            number += 1;
            tokio::time::sleep(self.interval).await;
        }
    }

    /// Submits this client's case `number` until it is answered, and records the
    /// reference.
    async fn submit_one(&self, number: usize) {
        let body = json!({
            "query": "mutation($input: SubmitFeedbackInput!) { submitFeedback(input: $input) { reference } }",
            "variables": { "input": {
                "channel": "WEB",
                "description": format!("Katulamppu {} / {number} on rikki Mannerheimintiellä", self.id),
                "language": "FI",
                "contact": { "email": format!("asukas{}.{number}@example.com", self.id) },
                "idempotencyKey": format!("fault-{}-{number}", self.id),
            } }
        });
        match self.submit(&body).await {
            Some(reference) => self.accepted.lock().expect("accepted").push(reference),
            None => {
                self.abandoned.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The reference, once some server answers with one.
    async fn submit(&self, body: &Value) -> Option<String> {
        let deadline = Instant::now() + self.patience;
        loop {
            let url = format!("{}/graphql", self.url.read().expect("url"));
            let answer = match self.http.post(url).json(body).send().await {
                Ok(response) => response.json::<Value>().await.ok(),
                Err(_) => None,
            };
            if let Some(reference) = answer
                .as_ref()
                .and_then(|answer| answer["data"]["submitFeedback"]["reference"].as_str())
            {
                return Some(reference.to_owned());
            }
            if Instant::now() > deadline {
                eprintln!("gave up on a submission; last answer: {answer:?}");
                return None;
            }
            self.resent.fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// How long after `killed_at` every case of `references` was ROUTED, looking every
/// 20 ms; `None` after `patience`. Routed cases are remembered in `routed` for the
/// watchers of later kills.
async fn watch_recovery(
    store: Store,
    references: Vec<String>,
    routed: Arc<Mutex<HashSet<String>>>,
    killed_at: Instant,
    patience: Duration,
) -> Recovery {
    let mut unrouted_at_kill = None;
    let mut pending: Vec<String> = {
        let routed = routed.lock().expect("routed");
        references
            .into_iter()
            .filter(|reference| !routed.contains(reference))
            .collect()
    };
    loop {
        let mut still = Vec::new();
        for reference in pending {
            if status(&store, &reference).await == Some(CaseStatus::Routed) {
                routed.lock().expect("routed").insert(reference);
            } else {
                still.push(reference);
            }
        }
        pending = still;
        let unrouted_at_kill = *unrouted_at_kill.get_or_insert(pending.len());
        if pending.is_empty() || killed_at.elapsed() > patience {
            return Recovery {
                unrouted_at_kill,
                time: pending.is_empty().then(|| killed_at.elapsed()),
            };
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn status(store: &Store, reference: &str) -> Option<CaseStatus> {
    let reference = Reference::parse(reference).expect("a reference");
    store
        .case_by_reference(&reference)
        .await
        .expect("loading a case")
        .map(|case| case.status)
}

struct Settled {
    cases_in_database: usize,
    lost: Vec<String>,
    not_routed: Vec<String>,
    duplicate_emails: usize,
    missing_emails: usize,
    email_files: usize,
}

/// Waits (within `patience`) until every case is routed and every email sent, then
/// compares the database with the outbox folder.
async fn settle(store: &Store, plan: &FaultPlan, references: &[String]) -> Settled {
    let deadline = Instant::now() + plan.patience;
    let mut lost = Vec::new();
    let mut not_routed = Vec::new();
    // Every queued email by its Message-ID, with the case it is about.
    let mut emails: BTreeMap<String, String> = BTreeMap::new();
    loop {
        lost.clear();
        not_routed.clear();
        emails.clear();
        let mut unsent = 0;
        for reference in references {
            let parsed = Reference::parse(reference).expect("a reference");
            let Some(case) = store.case_by_reference(&parsed).await.expect("a case") else {
                lost.push(reference.clone());
                continue;
            };
            if case.status != CaseStatus::Routed {
                not_routed.push(reference.clone());
            }
            for email in store.emails_for_case(case.id.0).await.expect("emails") {
                if email.status != "sent" {
                    unsent += 1;
                }
                emails.insert(email.message_id, reference.clone());
            }
        }
        let done = not_routed.is_empty() && unsent == 0;
        if done || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    let cases_in_database = store
        .case_ids_after(0, 10_000_000)
        .await
        .expect("case ids")
        .len();
    // Outbox files by case and kind: a Message-ID reads
    // `<reference>.<kind>.c<case id>.<random>@<domain>`, so one case's emails of one
    // kind share a prefix; a second file with that prefix is an email written twice.
    let files = outbox_names(&plan.data_dir);
    let mut per_prefix: BTreeMap<String, usize> = BTreeMap::new();
    for name in &files {
        let local = name.split('@').next().unwrap_or(name);
        let prefix = local.rsplit_once('.').map_or(local, |(prefix, _)| prefix);
        *per_prefix.entry(prefix.to_owned()).or_default() += 1;
    }
    let duplicate_emails = per_prefix.values().map(|count| count - 1).sum();
    let on_disk: HashSet<&str> = files
        .iter()
        .map(|name| name.trim_end_matches(".eml"))
        .collect();
    let missing_emails = emails
        .keys()
        .filter(|id| !on_disk.contains(id.as_str()))
        .count();
    Settled {
        cases_in_database,
        lost,
        not_routed,
        duplicate_emails,
        missing_emails,
        email_files: files.len(),
    }
}

/// The names of the `.eml` files in the outbox folder.
fn outbox_names(data_dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(data_dir.join("outbox")) else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".eml"))
        .collect()
}

/// The index's count for an empty search, once it equals `expected` or `patience`
/// has passed.
async fn indexed_count(url: &str, plan: &FaultPlan, expected: usize) -> Option<u64> {
    let http = reqwest::Client::new();
    let deadline = Instant::now() + plan.patience;
    loop {
        let answer: Option<Value> = match http
            .post(format!("{url}/graphql"))
            .bearer_auth(&plan.admin_token)
            .json(&json!({ "query": "{ search(query: \"\") { totalCount } }" }))
            .send()
            .await
        {
            Ok(response) => response.json().await.ok(),
            Err(_) => None,
        };
        let count = answer.and_then(|answer| answer["data"]["search"]["totalCount"].as_u64());
        if count == Some(expected as u64) || Instant::now() > deadline {
            return count;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
