//! Benchmark: the whole system killed with SIGKILL again and again under steady load.
//!
//! Runs `palaute serve` as a child process (this program itself, re-run with `serve`:
//! the same code as the `palaute` binary), over a SQLite file in a temporary data folder,
//! or over PostgreSQL when `PALAUTE_BENCH_DATABASE_URL` names an empty database. Four
//! clients submit about 20 cases a second, each resent with its idempotency key until
//! answered; after 1–3 s of uptime ten more are sent at once and the server is killed
//! the moment they are answered (pipelines running), then restarted, `--kills` times.
//! Then it reports cases accepted, lost (must be 0), stored twice, duplicate and missing
//! emails (must be 0), the index count, and the recovery time (kill → every case
//! accepted before it ROUTED).
//!
//!     cargo run --release --example fault -- --kills 100

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

#[path = "../tests/support/faults.rs"]
#[allow(
    dead_code,
    reason = "the tests use parts of the harness this benchmark does not"
)]
mod faults;

use std::process::{Command, ExitCode};
use std::time::Duration;

use clap::Parser;

fn main() -> ExitCode {
    if std::env::args().nth(1).as_deref() == Some("serve") {
        return serve();
    }
    let kills = std::env::args()
        .skip_while(|arg| arg != "--kills")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100);
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let report = runtime.block_on(bench(kills));
    println!("{}", report.summary());
    let times = report.recovered();
    let (interrupted, stuck) = report.interrupted();
    println!(
        "recovery after a kill that interrupted routing: p50 {:.2} s, p90 {:.2} s, max {:.2} s over {interrupted} of {kills} kills; {stuck} never recovered",
        quantile(&times, 0.5),
        quantile(&times, 0.9),
        quantile(&times, 1.0),
    );
    let clean = report.lost.is_empty()
        && report.abandoned == 0
        && report.cases_in_database == report.accepted
        && report.not_routed.is_empty()
        && report.duplicate_emails == 0
        && report.missing_emails == 0
        && report.indexed == Some(report.cases_in_database as u64)
        && stuck == 0;
    if clean {
        ExitCode::SUCCESS
    } else {
        eprintln!("{report:#?}");
        ExitCode::FAILURE
    }
}

async fn bench(kills: usize) -> faults::FaultReport {
    let data = tempfile::tempdir().expect("temporary data folder");
    let database_url = std::env::var("PALAUTE_BENCH_DATABASE_URL").unwrap_or_else(|_| {
        format!(
            "sqlite://{}?mode=rwc",
            data.path().join("palaute.db").display()
        )
    });
    faults::run(faults::FaultPlan {
        command: server_command,
        database_url,
        data_dir: data.path().to_path_buf(),
        admin_token: "fault-benchmark-admin-token-0123456789".to_owned(),
        kills,
        clients: 4,
        client_interval: Duration::from_millis(200),
        uptime: (Duration::from_secs(1), Duration::from_secs(3)),
        burst: 10,
        patience: Duration::from_secs(60),
    })
    .await
}

/// This program as `palaute`, quiet but for warnings.
fn server_command() -> Command {
    let mut command = Command::new(std::env::current_exe().expect("this program's path"));
    command
        .env_remove("PALAUTE_DATABASE_URL")
        .env_remove("PALAUTE_SMTP_URL")
        // One machine submits everything: per-address limits would refuse it.
        .env("PALAUTE_RATE_LIMITS__ENABLED", "false")
        .env("RUST_LOG", "warn");
    command
}

/// `palaute serve`, as the binary runs it.
fn serve() -> ExitCode {
    let cli = palaute::cli::Cli::parse();
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    match runtime.block_on(palaute::commands::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

fn quantile(sorted: &[Duration], q: f64) -> f64 {
    sorted
        .get(((sorted.len().max(1) - 1) as f64 * q).round() as usize)
        .map_or(f64::NAN, Duration::as_secs_f64)
}
