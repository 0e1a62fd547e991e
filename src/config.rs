//! Settings in layers: defaults, then `palaute.toml`, then `PALAUTE_*` environment
//! variables (nested keys with `__`, e.g. `PALAUTE_WORKER__CONCURRENCY=2`), then flags.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context;
use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use palaute_core::{Organisation, Settings};

use crate::cli::CommonArgs;

const DEFAULT_CONFIG_FILE: &str = "palaute.toml";

pub fn load_settings(args: &CommonArgs) -> anyhow::Result<Settings> {
    let mut figment = Figment::from(Serialized::defaults(Settings::default()));
    match &args.config {
        Some(file) => {
            anyhow::ensure!(
                file.exists(),
                "settings file {} does not exist",
                file.display()
            );
            figment = figment.merge(Toml::file(file));
        }
        None if Path::new(DEFAULT_CONFIG_FILE).exists() => {
            figment = figment.merge(Toml::file(DEFAULT_CONFIG_FILE));
        }
        None => {}
    }
    let known = known_keys();
    figment = figment.merge(Env::prefixed("PALAUTE_").split("__").filter(move |key| {
        let top = key.as_str().split('.').next().unwrap_or_default();
        known.contains(&top.to_ascii_lowercase())
    }));
    let mut settings: Settings = figment.extract().context("reading settings")?;
    if let Some(data_dir) = &args.data_dir {
        settings.data_dir = data_dir.clone();
    }
    if let Some(url) = &args.database_url {
        settings.database_url = Some(url.clone());
    }
    if let Some(url) = &args.smtp_url {
        settings.smtp_url = Some(url.clone());
    }
    if let Some(file) = &args.organisation {
        settings.organisation_file = Some(file.clone());
    }
    // An empty variable means "unset", as shells and compose files often write it.
    settings.database_url = settings.database_url.filter(|url| !url.trim().is_empty());
    settings.smtp_url = settings.smtp_url.filter(|url| !url.trim().is_empty());
    settings.admin_token = settings
        .admin_token
        .filter(|token| !token.trim().is_empty());
    crate::routing_models::check_precision(settings.routing.target_precision)
        .context("setting routing.target_precision")?;
    if let Some(oidc) = &settings.oidc {
        oidc.check()
            .map_err(anyhow::Error::msg)
            .context("checking the [oidc] settings (city sign-in)")?;
    }
    Ok(settings)
}

/// Top-level setting names, so that other `PALAUTE_*` variables (test settings and
/// the like) are not mistaken for settings.
fn known_keys() -> HashSet<String> {
    let defaults = serde_json::to_value(Settings::default()).unwrap_or_default();
    let mut keys: HashSet<String> = defaults
        .as_object()
        .map(|map| map.keys().cloned().collect())
        .unwrap_or_default();
    // Optional settings serialise as null but are keys all the same.
    keys.extend(
        [
            "database_url",
            "smtp_url",
            "admin_token",
            "organisation_file",
            "oidc",
        ]
        .into_iter()
        .map(String::from),
    );
    keys
}

pub fn load_organisation(settings: &Settings) -> anyhow::Result<Arc<Organisation>> {
    let Some(file) = &settings.organisation_file else {
        return Ok(Arc::new(Organisation::helsinki()));
    };
    Ok(Arc::new(read_organisation(file)?))
}

pub fn read_organisation(file: &PathBuf) -> anyhow::Result<Organisation> {
    let source = std::fs::read_to_string(file)
        .with_context(|| format!("reading organisation file {}", file.display()))?;
    Organisation::from_toml(&source)
        .with_context(|| format!("organisation file {}", file.display()))
}
