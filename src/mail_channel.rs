//! `palaute ingest-mail` and `palaute mail …`: raw messages in by hand or from an MTA
//! pipe, and the administrator's view of what inbound mail became (noise included:
//! nothing is dropped silently).

use std::io::Read;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use palaute_core::{Organisation, Settings};
use palaute_mail::intake::{IntakeError, MailIntake, MailSource};
use palaute_store::{MailDisposition, Store};

use crate::cli::MailCommand;

/// `EX_TEMPFAIL` (sysexits.h): an MTA piping mail here keeps the message and retries,
/// where any other failure would bounce it to the resident.
const EXIT_TEMPORARY_FAILURE: u8 = 75;

/// Takes one message from `file` (`-` for standard input) and prints what it became.
/// Exits 0 when the message is kept, whatever it became; 75 when it could not be kept
/// now (the database away), so that a mail system retries; 1 when it never will be (an
/// unreadable file, a message over the size limit).
pub async fn ingest(
    store: Store,
    organisation: Arc<Organisation>,
    settings: &Settings,
    file: &Path,
) -> ExitCode {
    let raw = if file == Path::new("-") {
        let mut raw = Vec::new();
        if let Err(error) = std::io::stdin().read_to_end(&mut raw) {
            eprintln!("reading the message from standard input: {error}");
            return ExitCode::from(EXIT_TEMPORARY_FAILURE);
        }
        raw
    } else {
        match std::fs::read(file) {
            Ok(raw) => raw,
            Err(error) => {
                eprintln!("reading {}: {error}", file.display());
                return ExitCode::FAILURE;
            }
        }
    };
    let intake = MailIntake::new(store, organisation, settings, None);
    match intake.ingest(&raw, MailSource::Cli).await {
        Ok(taken) => {
            println!("{taken}");
            ExitCode::SUCCESS
        }
        Err(error @ IntakeError::TooLarge { .. }) => {
            eprintln!("{error}");
            ExitCode::FAILURE
        }
        Err(IntakeError::Failed(error)) => {
            eprintln!("the message could not be kept now; try again: {error:#}");
            ExitCode::from(EXIT_TEMPORARY_FAILURE)
        }
    }
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
