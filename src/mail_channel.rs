//! `palaute ingest-mail` and `palaute mail …`: raw messages in by hand or from an MTA
//! pipe, and the administrator's view of what inbound mail became (noise included:
//! nothing is dropped silently).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use palaute_core::{Organisation, Settings};
use palaute_mail::intake::{MailIntake, MailSource};
use palaute_store::{MailDisposition, Store};

use crate::cli::MailCommand;

/// Takes one message from `file` (`-` for standard input) and prints what it became.
/// Succeeds when the message is kept, whatever it became.
pub async fn ingest(
    store: Store,
    organisation: Arc<Organisation>,
    settings: &Settings,
    file: &Path,
) -> anyhow::Result<()> {
    let raw = if file == Path::new("-") {
        let mut raw = Vec::new();
        std::io::stdin()
            .read_to_end(&mut raw)
            .context("reading the message from standard input")?;
        raw
    } else {
        std::fs::read(file).with_context(|| format!("reading {}", file.display()))?
    };
    let intake = MailIntake::new(store, organisation, settings, None);
    let taken = intake.ingest(&raw, MailSource::Cli).await?;
    println!("{taken}");
    Ok(())
}

/// `palaute mail list|show|counts`.
pub async fn mail(store: &Store, command: &MailCommand) -> anyhow::Result<()> {
    match command {
        MailCommand::Counts => {
            let total = store.inbound_mail_total().await?;
            println!("{total} inbound emails kept");
            for count in store.inbound_mail_counts().await? {
                println!(
                    "{:>8}  {}{}",
                    count.count,
                    count.disposition.code(),
                    count
                        .reason
                        .map(|reason| format!(" ({reason})"))
                        .unwrap_or_default()
                );
            }
        }
        MailCommand::List {
            set_aside,
            limit,
            before,
        } => {
            let disposition = set_aside.then_some(MailDisposition::SetAside);
            for mail in store.inbound_mail(disposition, *before, *limit).await? {
                let case = match mail.case_id {
                    Some(id) => store
                        .case_by_id(id)
                        .await?
                        .map(|case| case.reference.to_string())
                        .unwrap_or_default(),
                    None => String::new(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    mail.id,
                    mail.received_at.to_rfc3339(),
                    mail.source,
                    mail.disposition.code(),
                    mail.reason.unwrap_or_default(),
                    case,
                    mail.from_address.unwrap_or_default(),
                    mail.size,
                    mail.subject.replace(['\t', '\n', '\r'], " "),
                );
            }
        }
        MailCommand::Show { id } => {
            let raw = store
                .inbound_mail_raw(*id)
                .await?
                .with_context(|| format!("no inbound email {id}"))?;
            use std::io::Write;
            std::io::stdout()
                .write_all(&raw)
                .context("writing the message")?;
        }
    }
    Ok(())
}
