//! `palaute train` and `palaute models`: importing history as training examples,
//! training a stored model version, and managing versions (list, compare, promote,
//! retire).

use std::path::Path;

use anyhow::{Context, bail};
use chrono::{DateTime, Utc};
use palaute_core::Organisation;
use palaute_core::token::sha256_hex;
use palaute_routing::router::RouterOptions;
use palaute_store::{
    ModelRole, ModelScore, NewTrainingExample, Placement, RoutingModelInfo, Store,
};
use palaute_worker::training::{Trained, train_and_store};

use crate::cli::{ModelsCommand, TrainArgs};
use crate::eval_routing::{RoutingRecord, read_records};

pub async fn train(
    store: &Store,
    organisation: &Organisation,
    args: &TrainArgs,
    default_target_precision: f64,
) -> anyhow::Result<()> {
    for file in &args.import {
        import(store, organisation, file).await?;
    }
    let target_precision = args.target_precision.unwrap_or(default_target_precision);
    check_precision(target_precision)?;
    let placement = match (args.live, args.candidate) {
        (true, true) => bail!("give --live or --candidate, not both"),
        (true, false) => Placement::Live,
        (false, true) => Placement::Candidate,
        (false, false) => Placement::LiveIfNone,
    };
    let options = RouterOptions {
        target_precision,
        ..RouterOptions::default()
    };
    let started = std::time::Instant::now();
    match train_and_store(store, options, placement, "cli", false).await? {
        Trained::Stored(model) => {
            println!(
                "routing model {} trained in {:.1} s and stored as {}",
                model.id,
                started.elapsed().as_secs_f64(),
                model.role
            );
            print!("{}", describe(&model));
            Ok(())
        }
        Trained::NotEnough(reason) => bail!("no model trained: {reason}"),
        // Only a conditional training (the periodic job's) answers this.
        Trained::NothingNew => bail!("no model trained: no example arrived since the newest model"),
    }
}

async fn import(store: &Store, organisation: &Organisation, file: &Path) -> anyhow::Result<()> {
    let path = file.to_path_buf();
    let organisation_for_reading = organisation.clone();
    let records =
        tokio::task::spawn_blocking(move || read_records(&path, &organisation_for_reading))
            .await??;
    let read = records.len();
    let (known, unknown): (Vec<RoutingRecord>, Vec<RoutingRecord>) =
        records.into_iter().partition(|record| {
            record.unit != organisation.triage_unit && organisation.unit(&record.unit).is_some()
        });
    let examples: Vec<NewTrainingExample> = known.iter().map(training_example).collect();
    let added = store
        .import_training_examples(&examples, palaute_store::now())
        .await
        .with_context(|| format!("importing {}", file.display()))?;
    println!(
        "{}: {read} records, {added} new training examples, {} already imported, {} skipped (unit not in the organisation)",
        file.display(),
        examples.len() as u64 - added,
        unknown.len()
    );
    Ok(())
}

/// A record as a training example. Its external id is a digest of its content, so the
/// same record imported again (from this file or a later export) adds nothing.
fn training_example(record: &RoutingRecord) -> NewTrainingExample {
    let external_id = sha256_hex(
        format!(
            "{}\u{1f}{}\u{1f}{}\u{1f}{}\u{1f}{}",
            record.requested.as_deref().unwrap_or(""),
            record.title.as_deref().unwrap_or(""),
            record.description,
            record.category.as_deref().unwrap_or(""),
            record.unit
        )
        .as_bytes(),
    );
    NewTrainingExample {
        external_id: format!("import:{external_id}"),
        title: record.title.clone(),
        description: record.description.clone(),
        category_code: record.category.clone(),
        unit_code: record.unit.clone(),
        final_category_code: record.category.clone(),
        // Undated records sort first, in file order.
        decided_at: record
            .requested
            .as_deref()
            .and_then(|time| DateTime::parse_from_rfc3339(time).ok())
            .map_or(DateTime::<Utc>::UNIX_EPOCH, |time| time.with_timezone(&Utc)),
    }
}

pub async fn models(store: &Store, command: &ModelsCommand) -> anyhow::Result<()> {
    let now = palaute_store::now();
    match command {
        ModelsCommand::List => {
            let models = store.routing_models().await?;
            if models.is_empty() {
                println!("no routing models; train one with `palaute train --import FILE`");
            }
            for model in &models {
                let pruned = if model.pruned_at.is_some() {
                    ", weights pruned"
                } else {
                    ""
                };
                println!("version {} ({}{pruned})", model.id, model.role);
                print!("{}", describe(model));
            }
        }
        ModelsCommand::Promote { version } => {
            let model = store
                .promote_routing_model(*version, now)
                .await?
                .with_context(|| format!("no routing model version {version}"))?;
            println!("routing model {} is live", model.id);
        }
        ModelsCommand::Retire { version } => {
            let model = store
                .retire_routing_model(*version, now)
                .await?
                .with_context(|| format!("no routing model version {version}"))?;
            println!("routing model {} is retired", model.id);
        }
        ModelsCommand::Compare { version, with } => {
            let models = store.routing_models().await?;
            let find = |id: i64| {
                models
                    .iter()
                    .find(|model| model.id == id)
                    .with_context(|| format!("no routing model version {id}"))
            };
            find(*version)?;
            let other = match with {
                Some(id) => find(*id)?.id,
                None => models
                    .iter()
                    .find(|model| model.role == ModelRole::Live)
                    .map(|model| model.id)
                    .context("no live model to compare with; give --with VERSION")?,
            };
            let outcomes = store.prediction_outcomes(&[*version, other]).await?;
            println!("on the routed cases both models predicted, against their final unit:");
            for id in [*version, other] {
                let compared_with = if id == *version { other } else { *version };
                let score = ModelScore::of(&outcomes, id, Some(compared_with));
                println!("  version {id}: {}", describe_score(&score));
            }
        }
    }
    Ok(())
}

fn describe(model: &RoutingModelInfo) -> String {
    let number = |key: &str| model.summary.get(key).and_then(|value| value.as_f64());
    let percent =
        |value: Option<f64>| value.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0));
    format!(
        "  trained {} by {} on {} examples\n  threshold {} for target precision {}\n  held-out: accuracy {}, routed without a person {} at precision {}\n",
        model.trained_at.format("%Y-%m-%d %H:%M:%S UTC"),
        model.trained_by,
        model.examples,
        number("threshold").map_or("none (everything goes to triage)".to_owned(), |t| format!(
            "{t:.3}"
        )),
        percent(number("target_precision")),
        percent(number("validation_accuracy")),
        percent(number("validation_coverage")),
        percent(number("validation_precision")),
    )
}

fn describe_score(score: &ModelScore) -> String {
    let percent =
        |value: Option<f64>| value.map_or("—".to_owned(), |v| format!("{:.1}%", v * 100.0));
    format!(
        "{} cases, accuracy {}, confident on {} at precision {}; staff decided {} of them, accuracy there {}",
        score.cases,
        percent(score.accuracy()),
        percent(score.coverage()),
        percent(score.precision_when_confident()),
        score.staff_decided,
        percent(score.accuracy_on_staff_decided()),
    )
}

pub fn check_precision(target_precision: f64) -> anyhow::Result<()> {
    if !(target_precision > 0.0 && target_precision <= 1.0) {
        bail!("the target precision must be above 0 and at most 1, not {target_precision}");
    }
    Ok(())
}
