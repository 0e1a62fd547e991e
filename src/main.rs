//! `palaute`: the command line that wires the store, the worker, the search index and
//! the API together.

use std::process::ExitCode;

use clap::Parser;
use palaute::{cli, commands, config};

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    // Settings that do not load leave text logs; the command then reports why.
    let log_format = config::load_settings(&cli.common)
        .map(|settings| settings.log.format)
        .unwrap_or_default();
    palaute::logging::init(log_format);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: could not start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}
