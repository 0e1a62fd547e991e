//! What the in-process benchmarks share: settings for palaute on this machine with
//! embedded defaults, or PostgreSQL when `PALAUTE_BENCH_DATABASE_URL` names a database.

use std::path::Path;

use palaute_core::Settings;

/// The staff token the benchmarks send.
pub const BENCH_TOKEN: &str = "bench-admin-token-of-at-least-32-characters";

/// Defaults over a data folder of the benchmark's own, on a free port. Rate limits are
/// off: every client is this machine, and limits per address would measure themselves.
pub fn bench_settings(data_dir: &Path) -> Settings {
    let mut settings = Settings {
        data_dir: data_dir.to_path_buf(),
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        admin_token: Some(BENCH_TOKEN.into()),
        database_url: std::env::var("PALAUTE_BENCH_DATABASE_URL").ok(),
        ..Settings::default()
    };
    settings.rate_limits.enabled = false;
    settings
}
