//! The worker and trained routing models: the periodic job trains on new examples only,
//! the pipeline routes with the live model and records the candidates' predictions,
//! and a model that cannot be loaded leaves routing to the organisation's keywords.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use chrono::{Duration, Utc};
use palaute_core::CaseStatus;
use palaute_store::{JobKind, ModelRole, NewRoutingModel, NewTrainingExample, Placement, Store};
use palaute_testkit::{TestDatabase, on_every_backend};
use palaute_worker::mail::Mailer;
use support::{Running, feedback, open_store, runner, submit, wait_until_idle};

fn examples() -> Vec<NewTrainingExample> {
    let start = Utc::now() - Duration::days(30);
    (0..40)
        .map(|n| {
            // The library's cases carry a service code the organisation does not
            // offer, as old history does.
            let (description, unit, category) = if n % 2 == 0 {
                (
                    format!("Katulamppu numero {n} on rikki"),
                    "rakennusvirasto",
                    "180",
                )
            } else {
                (
                    format!("Kirjaston kirja numero {n} puuttuu"),
                    "kaupunginkirjasto",
                    "1877",
                )
            };
            NewTrainingExample {
                external_id: format!("example-{n}"),
                title: None,
                description,
                category_code: None,
                unit_code: unit.to_owned(),
                final_category_code: Some(category.to_owned()),
                decided_at: start + Duration::hours(n),
            }
        })
        .collect()
}

/// Makes the retraining schedule due, as the worker's schedule loop would.
async fn retraining_due(store: &Store, at: chrono::DateTime<Utc>) -> bool {
    store
        .run_schedule_if_due(
            "test-retrain",
            JobKind::RetrainRouting,
            Duration::hours(1),
            3,
            at,
        )
        .await
        .expect("schedule")
        .is_some()
}

async fn periodic_retraining_trains_only_on_news(database: TestDatabase) {
    let store = open_store(&database).await;
    let outbox = tempfile::tempdir().expect("outbox");
    let worker = Running::start(runner(
        &store,
        Mailer::from_settings(None, outbox.path(), support::SMTP_TIMEOUT).expect("outbox mailer"),
    ));
    store
        .import_training_examples(&examples(), Utc::now())
        .await
        .expect("import");

    // In the past, so the jobs it enqueues are due at once.
    let now = Utc::now() - Duration::hours(10);
    assert!(
        !retraining_due(&store, now).await,
        "the first run waits an interval"
    );
    assert!(retraining_due(&store, now + Duration::hours(2)).await);
    wait_until_idle(&store).await;
    let models = store.routing_models().await.expect("models");
    assert_eq!(models.len(), 1, "{models:?}");
    assert_eq!(models[0].role, ModelRole::Live, "the first model goes live");
    assert_eq!(models[0].trained_by, "worker");
    assert_eq!(models[0].examples, 40);

    // Nothing new: the next run trains nothing.
    assert!(retraining_due(&store, now + Duration::hours(4)).await);
    wait_until_idle(&store).await;
    assert_eq!(store.routing_models().await.expect("models").len(), 1);

    // The live model routes; a new one trained on news waits in shadow and predicts.
    let more: Vec<_> = examples()
        .into_iter()
        .map(|example| NewTrainingExample {
            external_id: format!("{}-again", example.external_id),
            ..example
        })
        .collect();
    store
        .import_training_examples(&more, Utc::now())
        .await
        .expect("import");
    assert!(retraining_due(&store, now + Duration::hours(6)).await);
    wait_until_idle(&store).await;
    let models = store.routing_models().await.expect("models");
    assert_eq!(models.len(), 2);
    assert_eq!(
        (models[0].role, models[0].examples),
        (ModelRole::Candidate, 80)
    );

    let case_id = submit(&store, feedback("Kirjaston kirja on kadonnut", None)).await;
    wait_until_idle(&store).await;
    let case = store
        .case_by_id(case_id)
        .await
        .expect("load")
        .expect("case");
    assert_eq!(
        case.unit_code.as_deref(),
        Some("kaupunginkirjasto"),
        "{case:?}"
    );
    assert_eq!(
        case.category_code, None,
        "an unknown service code is not kept"
    );
    assert!(
        case.routing_reason
            .as_deref()
            .is_some_and(|reason| reason.starts_with(&format!("model {}:", models[1].id))),
        "{case:?}"
    );
    let predictions = store.case_predictions(case_id).await.expect("predictions");
    let roles: Vec<(i64, ModelRole)> = predictions.iter().map(|p| (p.model_id, p.role)).collect();
    assert_eq!(
        roles,
        vec![
            (models[1].id, ModelRole::Live),
            (models[0].id, ModelRole::Candidate)
        ]
    );
    assert!(
        predictions
            .iter()
            .all(|p| p.unit_code == "kaupunginkirjasto")
    );
    worker.stop().await;
}

async fn an_unreadable_model_leaves_routing_to_keywords(database: TestDatabase) {
    let store = open_store(&database).await;
    store
        .save_routing_model(
            NewRoutingModel {
                format: "palaute-router/1".into(),
                fingerprint: "damaged".into(),
                examples: 40,
                examples_watermark: 0,
                summary: serde_json::json!({}),
                payload: b"not a model".to_vec(),
                trained_by: "test".into(),
            },
            Placement::Live,
            Utc::now(),
        )
        .await
        .expect("save");
    let outbox = tempfile::tempdir().expect("outbox");
    let worker = Running::start(runner(
        &store,
        Mailer::from_settings(None, outbox.path(), support::SMTP_TIMEOUT).expect("outbox mailer"),
    ));
    let first = submit(
        &store,
        feedback("Katulamppu on rikki Mannerheimintiellä", None),
    )
    .await;
    let second = submit(&store, feedback("Katulamppu ei pala Kalliossa", None)).await;
    wait_until_idle(&store).await;
    for case_id in [first, second] {
        let case = store
            .case_by_id(case_id)
            .await
            .expect("load")
            .expect("case");
        assert_eq!(case.status, CaseStatus::Routed, "{case:?}");
        assert_eq!(case.unit_code.as_deref(), Some("rakennusvirasto"));
        assert!(
            store
                .case_predictions(case_id)
                .await
                .expect("predictions")
                .is_empty()
        );
    }
    assert_eq!(store.job_counts().await.expect("counts").dead, 0);
    worker.stop().await;
}

on_every_backend!(
    periodic_retraining_trains_only_on_news,
    an_unreadable_model_leaves_routing_to_keywords,
);
