//! `palaute import FILE...`: past cases from another system (Helsinki's Open311
//! export, or CSV) become real cases with their original dates, status, category and
//! unit. They are not routed again and nobody is emailed (no job is queued for them),
//! but they are queued for the search index and counted in the figures. A record
//! imported before (same `--source` and `service_request_id`) is skipped.
//!
//! Every file is read and checked first, off the async threads, so that a file that
//! cannot be read stops the import before anything is written; then the cases are
//! written in batches, many per transaction.

mod csv_file;
mod mapping;
mod open311_json;
mod records;
mod summary;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use palaute_core::Organisation;
use palaute_store::{PastCase, Store};

use crate::cli::ImportArgs;
use crate::progress::Progress;
use records::{RecordPlace, Rejection};
pub use summary::Summary;

/// A file's records, each mapped to a case or refused.
struct CheckedFile {
    name: String,
    records: Vec<(RecordPlace, Result<PastCase, Rejection>)>,
}

pub async fn run(
    store: &Store,
    organisation: &Organisation,
    args: &ImportArgs,
) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let files = {
        let paths = args.files.clone();
        let organisation = organisation.clone();
        let source = args.source.clone();
        tokio::task::spawn_blocking(move || check_files(&paths, &organisation, &source))
            .await
            .context("reading the files stopped unexpectedly")??
    };
    let mut summary = Summary::of(files.iter().map(|file| file.records.len() as u64).sum());
    let mut progress = Progress::start("importing", summary.records);
    for file in files {
        let mut records = file.records.into_iter().peekable();
        while let Some((first_place, _)) = records.peek() {
            let first_place = *first_place;
            let batch: Vec<_> = records
                .by_ref()
                .take(usize::from(args.batch_size))
                .collect();
            let read = batch.len() as u64;
            let mut cases = Vec::with_capacity(batch.len());
            for (place, record) in batch {
                match record {
                    Ok(case) => cases.push(case),
                    Err(rejection) => summary.reject(&file.name, place, rejection),
                }
            }
            let written = store
                .import_past_cases(&cases, palaute_store::now())
                .await
                .with_context(|| format!("importing {} from {first_place} on", file.name))?;
            summary.imported += written.imported.len() as u64;
            summary.skipped += written.already_imported.len() as u64;
            progress.advance(read);
        }
    }
    progress.finish();
    summary.elapsed = started.elapsed();
    Ok(summary)
}

fn check_files(
    paths: &[PathBuf],
    organisation: &Organisation,
    source: &str,
) -> anyhow::Result<Vec<CheckedFile>> {
    paths
        .iter()
        .map(|path| {
            let records = records::read_file(path)?
                .into_iter()
                .map(|read| {
                    let case = read
                        .record
                        .and_then(|record| mapping::past_case(record, organisation, source));
                    (read.place, case)
                })
                .collect();
            Ok(CheckedFile {
                name: path.display().to_string(),
                records,
            })
        })
        .collect()
}
