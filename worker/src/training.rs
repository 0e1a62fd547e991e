//! Training a routing model from every labelled example in the store, and storing it
//! as a new version. The `palaute train` command and the periodic retraining job both
//! come here.

use anyhow::Context;
use palaute_routing::router::{LabelledCase, ROUTER_FORMAT, Router, RouterOptions, TrainError};
use palaute_store::{NewRoutingModel, Placement, RoutingModelInfo, Store};
use tracing::info;

use crate::runner::JobError;

/// What a training run did.
#[derive(Debug)]
pub enum Trained {
    Stored(RoutingModelInfo),
    /// No example arrived since the newest model was trained.
    NothingNew,
    /// The store's examples cannot train a model (too few, one unit).
    NotEnough(TrainError),
}

/// Trains on the store's examples and stores the model in the role `placement` gives.
/// With `only_if_new`, returns [`Trained::NothingNew`] when the newest stored model
/// already saw every example.
pub async fn train_and_store(
    store: &Store,
    options: RouterOptions,
    placement: Placement,
    trained_by: &str,
    only_if_new: bool,
) -> anyhow::Result<Trained> {
    let watermark = store
        .training_examples_watermark()
        .await
        .context("reading the newest training example")?;
    if only_if_new {
        let newest_seen = store
            .routing_models()
            .await
            .context("listing routing models")?
            .iter()
            .map(|model| model.examples_watermark)
            .max()
            .unwrap_or(0);
        if newest_seen >= watermark {
            return Ok(Trained::NothingNew);
        }
    }
    let examples: Vec<LabelledCase> = store
        .training_examples()
        .await
        .context("loading training examples")?
        .into_iter()
        .map(|example| LabelledCase {
            title: example.title,
            description: example.description,
            category_code: example.category_code,
            unit_code: example.unit_code,
            final_category_code: example.final_category_code,
        })
        .collect();
    let count = examples.len();
    let started = std::time::Instant::now();
    let trained = tokio::task::spawn_blocking(move || {
        Router::train(&examples, &options).map(|router| {
            let payload = router.to_bytes();
            (router, payload)
        })
    })
    .await
    .context("the training task failed")?;
    let (router, payload) = match trained {
        Ok(trained) => trained,
        Err(error) => return Ok(Trained::NotEnough(error)),
    };
    let seconds = started.elapsed().as_secs_f64();
    let summary = serde_json::to_value(router.summary()).context("summarising the model")?;
    let stored = store
        .save_routing_model(
            NewRoutingModel {
                format: ROUTER_FORMAT.to_owned(),
                fingerprint: router.fingerprint(),
                examples: count as i64,
                examples_watermark: watermark,
                summary,
                payload,
                trained_by: trained_by.to_owned(),
            },
            placement,
            palaute_store::now(),
        )
        .await
        .context("storing the model")?;
    info!(
        model = stored.id,
        role = %stored.role,
        examples = count,
        seconds,
        threshold = ?router.threshold(),
        "routing model trained"
    );
    Ok(Trained::Stored(stored))
}

/// The periodic job: retrain when there are new examples. The new model starts in
/// shadow, unless none is live.
pub(crate) async fn retrain(store: &Store, options: RouterOptions) -> Result<(), JobError> {
    match train_and_store(store, options, Placement::LiveIfNone, "worker", true).await? {
        Trained::Stored(_) | Trained::NothingNew => Ok(()),
        Trained::NotEnough(reason) => {
            info!(%reason, "routing model not retrained");
            Ok(())
        }
    }
}
