//! What each subcommand does.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use palaute_core::Organisation;
use palaute_search_index::SearchIndex;
use palaute_worker::Indexer;

use crate::cli::{Cli, Command, ConfigCommand};
use crate::config::load_settings;
use crate::progress::Progress;
use crate::runtime;

pub async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    // Checking a file and evaluating need no settings; every other command reads them.
    let settings = || load_settings(&cli.common);
    match cli.command {
        Command::Config {
            command: ConfigCommand::Check { file },
        } => return Ok(check_organisation(&file)),
        Command::EvalLanguage { file, json } => crate::eval_language::run(&file, json)?,
        Command::EvalRouting(args) => {
            // Training is CPU work: keep it off the async threads.
            tokio::task::spawn_blocking(move || crate::eval_routing::run(&args)).await??;
        }
        Command::Serve { listen, no_worker } => {
            let mut settings = settings()?;
            if let Some(listen) = listen {
                settings.listen = listen;
            }
            let run_worker = settings.worker.in_process && !no_worker;
            runtime::serve(settings, run_worker).await?;
        }
        Command::Worker => runtime::worker(settings()?).await?,
        Command::Train(args) => {
            let settings = settings()?;
            let (store, organisation) = runtime::open_store(&settings).await?;
            crate::routing_models::train(
                &store,
                &organisation,
                &args,
                settings.routing.target_precision,
            )
            .await?;
            store.close().await?;
        }
        Command::Models { command } => {
            let (store, _) = runtime::open_store(&settings()?).await?;
            crate::routing_models::models(&store, &command).await?;
            store.close().await?;
        }
        Command::User { command } => {
            let (store, _) = runtime::open_store(&settings()?).await?;
            let outcome = crate::staff_accounts::users(&store, &command).await;
            store.close().await?;
            outcome?;
        }
        Command::Token { command } => {
            let (store, _) = runtime::open_store(&settings()?).await?;
            let outcome = crate::staff_accounts::tokens(&store, &command).await;
            store.close().await?;
            outcome?;
        }
        Command::ApiKey { command } => {
            let (store, _) = runtime::open_store(&settings()?).await?;
            let outcome = crate::api_keys::api_keys(&store, &command).await;
            store.close().await?;
            outcome?;
        }
        Command::IngestMail { file } => {
            let settings = settings()?;
            let (store, organisation) = runtime::open_store(&settings).await?;
            let outcome =
                crate::mail_channel::ingest(store.clone(), organisation, &settings, &file).await;
            store.close().await?;
            return Ok(outcome);
        }
        Command::Mail { command } => {
            let (store, _) = runtime::open_store(&settings()?).await?;
            let outcome = crate::mail_channel::mail(&store, &command).await;
            store.close().await?;
            outcome?;
        }
        Command::Privacy { command } => {
            let settings = settings()?;
            let (store, _) = runtime::open_store(&settings).await?;
            let outcome = crate::privacy::run(&store, &settings, &command).await;
            store.close().await?;
            outcome?;
        }
        Command::Stats(args) => {
            let (store, _) = runtime::open_store(&settings()?).await?;
            let outcome = crate::stats::run(&store, &args).await;
            store.close().await?;
            outcome?;
        }
        Command::Migrate => {
            let (store, organisation) = runtime::open_store(&settings()?).await?;
            println!(
                "database is up to date; organisation loaded: {} divisions, {} units, {} categories",
                organisation.divisions.len(),
                organisation.units.len(),
                organisation.categories.len()
            );
            store.close().await?;
        }
        Command::Import(args) => {
            let (store, organisation) = runtime::open_store(&settings()?).await?;
            let outcome = crate::import::run(&store, &organisation, &args).await;
            store.close().await?;
            print!("{}", outcome?);
        }
        Command::Reindex => {
            let settings = settings()?;
            let (store, _) = runtime::open_store(&settings).await?;
            let index = SearchIndex::open_or_recreate(&settings.index_dir())
                .context("opening the search index (is `palaute serve` running? stop it first)")?;
            let expected = store.case_count().await?;
            let mut progress = Progress::start("indexing", expected);
            let count = Indexer::new(store, Arc::new(index))
                .rebuild_reporting(|written| progress.advance(written as u64))
                .await?;
            progress.finish();
            println!("search index rebuilt: {count} cases");
        }
        Command::Config {
            command: ConfigCommand::Show,
        } => {
            let shown = settings()?.redacted();
            println!(
                "{}",
                toml::to_string_pretty(&shown).context("printing settings")?
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_organisation(file: &std::path::Path) -> ExitCode {
    let source = match std::fs::read_to_string(file) {
        Ok(source) => source,
        Err(error) => {
            eprintln!("{}: cannot read: {error}", file.display());
            return ExitCode::FAILURE;
        }
    };
    match Organisation::from_toml(&source) {
        Ok(organisation) => {
            println!(
                "{}: ok ({} divisions, {} units, {} categories; triage unit {:?})",
                file.display(),
                organisation.divisions.len(),
                organisation.units.len(),
                organisation.categories.len(),
                organisation.triage_unit
            );
            ExitCode::SUCCESS
        }
        Err(error) => {
            for problem in &error.problems {
                eprintln!("{}: {problem}", file.display());
            }
            eprintln!(
                "{}: {} problem(s) found",
                file.display(),
                error.problems.len()
            );
            ExitCode::FAILURE
        }
    }
}
