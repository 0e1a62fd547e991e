//! `palaute user` and `palaute token`: staff accounts and their opaque API tokens.
//!
//! A token (`core::token::new_api_token`) is printed once; the store keeps only its
//! SHA-256, and a lookup hashes the presented token the same way.

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use palaute_core::token::new_api_token;
use palaute_store::{StaffUserRecord, Store};

use crate::cli::{TokenCommand, UserCommand};

pub async fn users(store: &Store, command: &UserCommand) -> anyhow::Result<()> {
    match command {
        UserCommand::Add { email, role, units } => {
            let id = store
                .add_staff_user(email, *role, units, palaute_store::now())
                .await
                .with_context(|| format!("adding staff account {email}"))?;
            let users = store.staff_users().await?;
            let user = users
                .iter()
                .find(|user| user.id == id)
                .context("the new staff account vanished")?;
            println!(
                "added staff account {}: {} ({}), units: {}",
                user.id,
                user.email,
                user.role,
                describe_units(user)
            );
        }
        UserCommand::List => {
            let users = store.staff_users().await?;
            if users.is_empty() {
                println!(
                    "no staff accounts; add one with `palaute user add --email EMAIL --role admin`"
                );
                return Ok(());
            }
            let rows: Vec<[String; 4]> = users
                .iter()
                .map(|user| {
                    [
                        user.email.clone(),
                        user.role.to_string(),
                        describe_units(user),
                        user.disabled_at
                            .map_or("no".to_owned(), |at| format!("since {}", timestamp(at))),
                    ]
                })
                .collect();
            print!("{}", table(["email", "role", "units", "disabled"], &rows));
        }
        UserCommand::Disable { email } => {
            if !store
                .disable_staff_user(email, palaute_store::now())
                .await
                .with_context(|| format!("disabling staff account {email}"))?
            {
                bail!("no staff account for {email}");
            }
            println!("staff account {email} is disabled; its tokens no longer work");
        }
    }
    Ok(())
}

pub async fn tokens(store: &Store, command: &TokenCommand) -> anyhow::Result<()> {
    let now = palaute_store::now();
    match command {
        TokenCommand::Create {
            email,
            expires_in,
            label,
        } => {
            let expires_at = match expires_in {
                Some(days) => Some(
                    now.checked_add_signed(chrono::Duration::days(i64::from(*days)))
                        .context("the expiry is too far in the future")?,
                ),
                None => None,
            };
            let (token, hash) = new_api_token();
            let id = store
                .create_api_token(email, &hash, label.as_deref(), expires_at, now)
                .await
                .with_context(|| format!("creating a token for {email}"))?;
            println!(
                "token {id} for {email}, expires {}; shown only now, keep it secret:",
                expires_at.map_or("never".to_owned(), timestamp)
            );
            // The last line, for scripts.
            println!("{token}");
        }
        TokenCommand::List => {
            let tokens = store.api_tokens().await?;
            if tokens.is_empty() {
                println!("no API tokens; create one with `palaute token create --email EMAIL`");
                return Ok(());
            }
            let rows: Vec<[String; 6]> = tokens
                .iter()
                .map(|token| {
                    [
                        token.id.to_string(),
                        token.email.clone(),
                        token.label.clone().unwrap_or_default(),
                        timestamp(token.created_at),
                        token.expires_at.map_or("never".to_owned(), timestamp),
                        token.revoked_at.map_or("no".to_owned(), timestamp),
                    ]
                })
                .collect();
            print!(
                "{}",
                table(
                    ["id", "email", "label", "created", "expires", "revoked"],
                    &rows
                )
            );
        }
        TokenCommand::Revoke { id } => {
            if !store
                .revoke_api_token(*id, now)
                .await
                .with_context(|| format!("revoking token {id}"))?
            {
                bail!("no API token {id}");
            }
            println!("token {id} is revoked");
        }
    }
    Ok(())
}

fn describe_units(user: &StaffUserRecord) -> String {
    if user.units.is_empty() {
        "-".to_owned()
    } else {
        user.units.join(", ")
    }
}

fn timestamp(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// Columns padded to their widest cell, two spaces apart.
fn table<const N: usize>(header: [&str; N], rows: &[[String; N]]) -> String {
    let mut widths = header.map(|title| title.chars().count());
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    let mut line = |cells: Vec<&str>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:<width$}"))
            .collect();
        text.push_str(padded.join("  ").trim_end());
        text.push('\n');
    };
    line(header.to_vec());
    for row in rows {
        line(row.iter().map(String::as_str).collect());
    }
    text
}
