//! `palaute apikey`: the named keys other systems use to create service requests
//! through the Open311 door.
//!
//! A key is printed once; the store keeps only its SHA-256. Its name is recorded as
//! the `source` of every case it creates. Keys in `[open311] api_keys` work beside
//! these, under the name "config".

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use palaute_core::token::{TrackingToken, api_token_hash};
use palaute_store::Store;

use crate::cli::ApiKeyCommand;

/// What every Open311 key starts with, so that a leaked one is recognisable.
pub const API_KEY_PREFIX: &str = "o311_";

/// The source name of keys given in settings rather than made with this command.
pub use palaute_open311::CONFIG_SOURCE;

pub async fn api_keys(store: &Store, command: &ApiKeyCommand) -> anyhow::Result<()> {
    let now = palaute_store::now();
    match command {
        ApiKeyCommand::Create { name } => {
            if name == CONFIG_SOURCE {
                bail!(
                    "the name {CONFIG_SOURCE:?} stands for the keys in [open311] api_keys; choose another"
                );
            }
            // 24 random bytes, base64url: 192 bits.
            let key = format!(
                "{API_KEY_PREFIX}{}",
                TrackingToken::generate().into_string()
            );
            store
                .create_api_key(name, &api_token_hash(&key), now)
                .await
                .with_context(|| format!("creating the API key {name:?}"))?;
            println!("API key {name:?} created; shown only now, keep it secret:");
            // The last line, for scripts.
            println!("{key}");
        }
        ApiKeyCommand::List => {
            let keys = store.api_keys().await?;
            if keys.is_empty() {
                println!("no API keys; create one with `palaute apikey create --name NAME`");
                return Ok(());
            }
            let width = keys
                .iter()
                .map(|key| key.name.chars().count())
                .max()
                .unwrap_or(0)
                .max("name".len());
            println!("{:<width$}  {:<20}  revoked", "name", "created");
            for key in &keys {
                println!(
                    "{:<width$}  {:<20}  {}",
                    key.name,
                    timestamp(key.created_at),
                    key.revoked_at.map_or("no".to_owned(), timestamp)
                );
            }
        }
        ApiKeyCommand::Revoke { name } => {
            if !store
                .revoke_api_key(name, now)
                .await
                .with_context(|| format!("revoking the API key {name:?}"))?
            {
                bail!("no API key named {name:?}");
            }
            println!("API key {name:?} is revoked; requests with it are refused from now on");
        }
    }
    Ok(())
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}
