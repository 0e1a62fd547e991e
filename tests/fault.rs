//! The real binary killed with SIGKILL again and again while residents keep submitting:
//! no accepted case is lost or stored twice, every case is routed, every email is
//! written once, and the search index counts what the database holds.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::time::Duration;

use palaute_testkit::{TestDatabase, on_every_backend};
use support::faults::{self, FaultPlan};
use support::{ADMIN_TOKEN, palaute_command};

async fn submissions_survive_repeated_kills(database: TestDatabase) {
    let data = tempfile::tempdir().expect("data folder");
    let report = faults::run(FaultPlan {
        command: palaute_command,
        database_url: database.url.clone(),
        data_dir: data.path().to_path_buf(),
        admin_token: ADMIN_TOKEN.to_owned(),
        kills: 5,
        // About 20 submissions a second.
        clients: 4,
        client_interval: Duration::from_millis(200),
        uptime: (Duration::from_millis(1500), Duration::from_millis(3000)),
        // Ten more at once before each kill, which comes as the last is answered.
        burst: 10,
        // PostgreSQL waits for the dead worker's leases (15 s).
        patience: Duration::from_secs(30),
    })
    .await;
    eprintln!("{}", report.summary());

    assert!(report.accepted > 0, "{report:#?}");
    assert_eq!(report.abandoned, 0, "{report:#?}");
    assert!(report.lost.is_empty(), "{report:#?}");
    assert_eq!(
        report.cases_in_database, report.accepted,
        "a resent submission was stored twice: {report:#?}"
    );
    assert!(report.not_routed.is_empty(), "{report:#?}");
    assert_eq!(report.duplicate_emails, 0, "{report:#?}");
    assert_eq!(report.missing_emails, 0, "{report:#?}");
    assert_eq!(
        report.indexed,
        Some(report.cases_in_database as u64),
        "{report:#?}"
    );
    assert!(
        report.recoveries.iter().all(|kill| kill.time.is_some()),
        "{report:#?}"
    );
}

on_every_backend!(submissions_survive_repeated_kills);
