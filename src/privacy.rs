//! `palaute privacy`: serving a resident's request to see (`export`) or to erase
//! (`erase`) what is held under their email address.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use palaute_core::EmailAddress;
use palaute_core::Settings;
use palaute_search_index::{IndexError, SearchIndex};
use palaute_store::{ErasureSummary, Store};
use palaute_worker::{Indexer, remove_outbox_copies};

use crate::cli::PrivacyCommand;

pub async fn run(
    store: &Store,
    settings: &Settings,
    command: &PrivacyCommand,
) -> anyhow::Result<()> {
    match command {
        PrivacyCommand::Export { email, out } => {
            let address = parse_address(email)?;
            let export = store
                .privacy_export(&address, palaute_store::now())
                .await
                .context("collecting the address's data")?;
            let json = serde_json::to_string_pretty(&export).context("writing the export")?;
            match out {
                Some(path) => {
                    write_private_file(path, json.as_bytes())
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!(
                        "exported {} cases held for {} to {}",
                        export.cases.len(),
                        address,
                        path.display()
                    );
                }
                None => println!("{json}"),
            }
        }
        PrivacyCommand::Erase { email } => {
            let address = parse_address(email)?;
            let summary = store
                .erase_address(&address, palaute_store::now())
                .await
                .context("erasing the address's data")?;
            let outbox_files =
                remove_outbox_copies(&settings.outbox_dir(), &summary.outbox_message_ids)
                    .context("removing the address's emails from the outbox folder")?;
            store
                .reclaim_free_space()
                .await
                .context("making the database forget the erased bytes")?;
            let index = reindex_erased(store, settings).await?;
            print!("{}", summary_text(&address, &summary, outbox_files, index));
        }
    }
    Ok(())
}

fn parse_address(email: &str) -> anyhow::Result<EmailAddress> {
    EmailAddress::parse(email).map_err(|error| anyhow::anyhow!("{error}"))
}

/// Who brings the search index up to date after an erasure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum IndexUpdate {
    /// No server held the index: this command did it.
    Done,
    /// A running `palaute serve` holds the index; its indexer picks the cases up from
    /// the queue within its poll interval.
    LeftToServer,
}

async fn reindex_erased(store: &Store, settings: &Settings) -> anyhow::Result<IndexUpdate> {
    let index = match SearchIndex::open(&settings.index_dir()) {
        Ok(index) => index,
        Err(IndexError::Locked { .. }) => return Ok(IndexUpdate::LeftToServer),
        Err(error) => return Err(error).context("opening the search index"),
    };
    let indexer = Indexer::new(store.clone(), Arc::new(index));
    while indexer.drain().await.context("updating the search index")? > 0 {}
    Ok(IndexUpdate::Done)
}

fn summary_text(
    address: &EmailAddress,
    summary: &ErasureSummary,
    outbox_files: usize,
    index: IndexUpdate,
) -> String {
    let mut text = format!("erased the data of {address}\n");
    let cases = if summary.cases.is_empty() {
        "none".to_owned()
    } else {
        summary.cases.join(", ")
    };
    text.push_str(&format!(
        "  cases anonymised: {} ({cases})\n",
        summary.cases.len()
    ));
    text.push_str(&format!("  emails emptied: {}\n", summary.emails));
    text.push_str(&format!("  outbox files removed: {outbox_files}\n"));
    text.push_str(&format!(
        "  inbound messages emptied: {}\n",
        summary.inbound_mail
    ));
    text.push_str(&format!("  files removed: {}\n", summary.attachments));
    text.push_str(&format!(
        "  bounce suppressions removed: {}\n",
        summary.suppressions
    ));
    text.push_str(match index {
        IndexUpdate::Done => "  search index: updated\n",
        IndexUpdate::LeftToServer => {
            "  search index: the running server's indexer updates it from the queue\n"
        }
    });
    text
}

/// Writes a file only its owner may read: it holds a person's data.
fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}
