//! Routing models, training examples, staff reassignment and schedules, on SQLite and
//! (where configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use chrono::{Duration, Utc};
use palaute_core::{CaseId, CaseStatus, Channel, Language};
use palaute_store::{
    ExampleSource, JobKind, ModelRole, ModelScore, NewCase, NewPrediction, NewRoutingModel,
    NewTrainingExample, Placement, Reassigned, Reassignment, Routing, Store, StoredSuggestion,
};
use palaute_testkit::{TestDatabase, on_every_backend};
use support::open;

fn model(fingerprint: &str) -> NewRoutingModel {
    NewRoutingModel {
        format: "palaute-router/1".into(),
        fingerprint: fingerprint.into(),
        examples: 40,
        examples_watermark: 40,
        summary: serde_json::json!({ "threshold": 0.7, "target_precision": 0.9 }),
        payload: vec![1, 2, 3, 0, 255],
        trained_by: "test".into(),
    }
}

async fn submit(store: &Store, description: &str, category: Option<&str>) -> CaseId {
    store
        .submit_case(
            NewCase {
                channel: Channel::Web,
                title: None,
                description: description.into(),
                stated_language: Some(Language::Fi),
                category_code: category.map(str::to_owned),
                contact: None,
                location: None,
                idempotency_key: None,
                fingerprint: description.into(),
                source: None,
                attachments: Vec::new(),
                answers: Vec::new(),
            },
            3,
            Utc::now(),
        )
        .await
        .expect("submit")
        .case_id
}

fn suggestion(unit: &str, confidence: f64) -> StoredSuggestion {
    StoredSuggestion {
        unit_code: unit.into(),
        category_code: Some("180".into()),
        confidence,
    }
}

async fn route(store: &Store, case_id: CaseId, unit: &str, predictions: Vec<NewPrediction>) {
    let status = if unit == "triage" {
        CaseStatus::NeedsTriage
    } else {
        CaseStatus::Routed
    };
    store
        .record_routing(
            case_id,
            &Routing {
                language: Some(Language::Fi),
                language_confidence: 0.9,
                unit_code: unit.into(),
                // Routing recognised a category the resident did not give.
                category_code: Some("180".into()),
                status,
                reason: "test".into(),
                confidence: 0.5,
                predictions,
            },
            &[],
            3,
            Utc::now(),
        )
        .await
        .expect("route");
}

async fn one_model_is_live_and_promotion_retires_it(database: TestDatabase) {
    let store = open(&database).await;
    let now = Utc::now();
    let first = store
        .save_routing_model(model("a"), Placement::LiveIfNone, now)
        .await
        .expect("save");
    assert_eq!(first.role, ModelRole::Live, "the first model goes live");
    assert!(first.promoted_at.is_some());
    let second = store
        .save_routing_model(model("b"), Placement::LiveIfNone, now)
        .await
        .expect("save");
    assert_eq!(
        second.role,
        ModelRole::Candidate,
        "later ones wait in shadow"
    );
    assert_eq!(
        store.running_routing_models().await.expect("running"),
        vec![
            (first.id, ModelRole::Live),
            (second.id, ModelRole::Candidate)
        ]
    );
    assert_eq!(
        store
            .routing_model_payload(second.id)
            .await
            .expect("payload"),
        Some(vec![1, 2, 3, 0, 255])
    );

    let promoted = store
        .promote_routing_model(second.id, now)
        .await
        .expect("promote")
        .expect("exists");
    assert_eq!(promoted.role, ModelRole::Live);
    let roles: Vec<(i64, ModelRole)> = store
        .routing_models()
        .await
        .expect("list")
        .into_iter()
        .map(|model| (model.id, model.role))
        .collect();
    assert_eq!(
        roles,
        vec![(second.id, ModelRole::Live), (first.id, ModelRole::Retired)],
        "newest first, one live"
    );
    assert_eq!(
        store
            .promote_routing_model(999, now)
            .await
            .expect("promote"),
        None
    );

    let third = store
        .save_routing_model(model("c"), Placement::Live, now)
        .await
        .expect("save");
    assert_eq!(third.role, ModelRole::Live);
    let live: Vec<_> = store
        .routing_models()
        .await
        .expect("list")
        .into_iter()
        .filter(|model| model.role == ModelRole::Live)
        .collect();
    assert_eq!(live.len(), 1);
    store
        .retire_routing_model(third.id, now)
        .await
        .expect("retire")
        .expect("exists");
    assert!(
        store
            .running_routing_models()
            .await
            .expect("running")
            .is_empty()
    );
}

async fn candidates_replace_each_other_and_old_weights_are_pruned(database: TestDatabase) {
    let store = open(&database).await;
    let now = Utc::now();
    let live = store
        .save_routing_model(model("live"), Placement::Live, now)
        .await
        .expect("save");
    let mut candidates = Vec::new();
    for n in 0..6 {
        let candidate = store
            .save_routing_model(model(&format!("c{n}")), Placement::Candidate, now)
            .await
            .expect("save");
        candidates.push(candidate.id);
    }
    let running = store.running_routing_models().await.expect("running");
    assert_eq!(
        running,
        vec![
            (live.id, ModelRole::Live),
            (candidates[5], ModelRole::Candidate)
        ],
        "the newest candidate replaced the others"
    );
    let models = store.routing_models().await.expect("list");
    let pruned: Vec<i64> = models
        .iter()
        .filter(|model| model.pruned_at.is_some())
        .map(|model| model.id)
        .collect();
    assert_eq!(
        pruned,
        vec![candidates[1], candidates[0]],
        "all but three retired kept"
    );
    assert_eq!(
        store
            .routing_model_payload(candidates[0])
            .await
            .expect("payload"),
        Some(Vec::new())
    );
    assert_eq!(
        store
            .routing_model_payload(candidates[2])
            .await
            .expect("payload"),
        Some(vec![1, 2, 3, 0, 255])
    );
    let refused = store.promote_routing_model(candidates[0], now).await;
    assert!(
        matches!(refused, Err(palaute_store::StoreError::Refused(_))),
        "{refused:?}"
    );
    // A recent retired model can still come back.
    store
        .promote_routing_model(candidates[4], now)
        .await
        .expect("promote")
        .expect("exists");
}

async fn importing_twice_adds_nothing(database: TestDatabase) {
    let store = open(&database).await;
    let example = |id: &str, days: i64| NewTrainingExample {
        external_id: id.into(),
        title: None,
        description: format!("kuvaus {id}"),
        category_code: Some("171".into()),
        unit_code: "rakennusvirasto".into(),
        final_category_code: Some("171".into()),
        decided_at: Utc::now() - Duration::days(days),
    };
    let batch: Vec<_> = (0..450).map(|n| example(&format!("e{n}"), n)).collect();
    let now = Utc::now();
    assert_eq!(
        store
            .import_training_examples(&batch, now)
            .await
            .expect("import"),
        450
    );
    assert_eq!(
        store
            .import_training_examples(&batch, now)
            .await
            .expect("again"),
        0
    );
    let stored = store.training_examples().await.expect("examples");
    assert_eq!(stored.len(), 450);
    assert!(
        stored
            .windows(2)
            .all(|pair| pair[0].decided_at <= pair[1].decided_at),
        "oldest decision first"
    );
    assert!(stored.iter().all(|e| e.source == ExampleSource::Imported));
    assert_eq!(
        store
            .training_examples_watermark()
            .await
            .expect("watermark"),
        stored.iter().map(|e| e.id).max().unwrap_or_default()
    );
}

async fn a_reassignment_moves_the_case_and_becomes_a_training_example(database: TestDatabase) {
    let store = open(&database).await;
    let case_id = submit(&store, "Kirjastossa on kylmä", Some("180")).await;
    let reassign = |version: i64, unit: &str, category: Option<&str>| Reassignment {
        case_id,
        version,
        unit_code: unit.into(),
        category_code: category.map(str::to_owned),
        actor: "staff:test".into(),
        note: Some("kirjaston asia".into()),
    };
    assert_eq!(
        store
            .reassign_case(&reassign(1, "kaupunginkirjasto", None), 3, Utc::now())
            .await
            .expect("reassign"),
        Reassigned::Refused(palaute_core::ActionError::StillNew),
        "a case is not moved before the pipeline routed it"
    );
    route(&store, case_id, "rakennusvirasto", Vec::new()).await;
    let watermark = store
        .training_examples_watermark()
        .await
        .expect("watermark");

    let moved = store
        .reassign_case(&reassign(2, "kaupunginkirjasto", None), 3, Utc::now())
        .await
        .expect("reassign");
    assert!(
        matches!(moved, Reassigned::Moved { version: 3, .. }),
        "{moved:?}"
    );
    assert_eq!(
        store
            .reassign_case(&reassign(2, "stara", None), 3, Utc::now())
            .await
            .expect("reassign"),
        Reassigned::Conflict { current_version: 3 },
        "a decision made on an old version is refused"
    );
    let case = store
        .case_by_id(case_id)
        .await
        .expect("load")
        .expect("case");
    assert_eq!(case.unit_code.as_deref(), Some("kaupunginkirjasto"));
    assert_eq!(case.status, CaseStatus::Routed);
    assert_eq!(case.given_category_code.as_deref(), Some("180"));
    let events = store.case_events(case_id).await.expect("events");
    let event = events.last().expect("an event");
    assert_eq!(event.kind, "reassigned");
    assert_eq!(event.actor, "staff:test");
    assert_eq!(event.detail["before"]["unit"], "rakennusvirasto");
    assert_eq!(event.detail["after"]["unit"], "kaupunginkirjasto");

    let example = store
        .training_example_for_case(case_id)
        .await
        .expect("load")
        .expect("a training example");
    assert_eq!(example.source, ExampleSource::Staff);
    assert_eq!(example.unit_code, "kaupunginkirjasto");
    assert_eq!(example.description, "Kirjastossa on kylmä");
    assert_eq!(
        example.category_code.as_deref(),
        Some("180"),
        "as the resident gave it"
    );
    assert!(
        store
            .training_examples_watermark()
            .await
            .expect("watermark")
            > watermark
    );

    let notify = store
        .claim_job("test", std::time::Duration::from_secs(30), Utc::now())
        .await
        .expect("claim");
    // The process_case job was never run here, so it comes first; look further.
    let mut kinds = Vec::new();
    let mut next = notify;
    while let Some(job) = next {
        kinds.push(job.kind);
        next = store
            .claim_job("test", std::time::Duration::from_secs(30), Utc::now())
            .await
            .expect("claim");
    }
    assert!(kinds.contains(&Some(JobKind::NotifyUnit)), "{kinds:?}");

    assert_eq!(
        store
            .reassign_case(&reassign(3, "kaupunginkirjasto", None), 3, Utc::now())
            .await
            .expect("again"),
        Reassigned::Unchanged
    );
    // A second decision replaces the first as the case's example.
    store
        .reassign_case(&reassign(3, "stara", Some("246")), 3, Utc::now())
        .await
        .expect("reassign");
    let examples = store.training_examples().await.expect("examples");
    assert_eq!(examples.len(), 1);
    assert_eq!(examples[0].unit_code, "stara");
    assert_eq!(examples[0].final_category_code.as_deref(), Some("246"));
    assert_eq!(
        store
            .reassign_case(
                &Reassignment {
                    case_id: CaseId(987_654),
                    ..reassign(4, "stara", None)
                },
                3,
                Utc::now()
            )
            .await
            .expect("reassign"),
        Reassigned::NotFound
    );
}

async fn predictions_are_scored_against_the_final_unit(database: TestDatabase) {
    let store = open(&database).await;
    let now = Utc::now();
    let live = store
        .save_routing_model(model("live"), Placement::Live, now)
        .await
        .expect("save");
    let candidate = store
        .save_routing_model(model("candidate"), Placement::Candidate, now)
        .await
        .expect("save");
    let predict = |model_id, role, unit: &str, confident| NewPrediction {
        model_id,
        role,
        suggestions: vec![suggestion(unit, 0.8), suggestion("stara", 0.1)],
        confident,
    };
    // Case 1: both say rakennusvirasto, and it stays there.
    let first = submit(&store, "yksi", None).await;
    route(
        &store,
        first,
        "rakennusvirasto",
        vec![
            predict(live.id, ModelRole::Live, "rakennusvirasto", true),
            predict(candidate.id, ModelRole::Candidate, "rakennusvirasto", true),
        ],
    )
    .await;
    // Case 2: live unsure (triage), candidate says library; staff agree with it.
    let second = submit(&store, "kaksi", None).await;
    route(
        &store,
        second,
        "triage",
        vec![
            predict(live.id, ModelRole::Live, "stara", false),
            predict(
                candidate.id,
                ModelRole::Candidate,
                "kaupunginkirjasto",
                true,
            ),
        ],
    )
    .await;
    store
        .reassign_case(
            &Reassignment {
                case_id: second,
                version: 2,
                unit_code: "kaupunginkirjasto".into(),
                category_code: None,
                actor: "staff:test".into(),
                note: None,
            },
            3,
            now,
        )
        .await
        .expect("reassign");
    // Case 3: still in triage, so not scored.
    let third = submit(&store, "kolme", None).await;
    route(
        &store,
        third,
        "triage",
        vec![predict(live.id, ModelRole::Live, "stara", false)],
    )
    .await;

    let predictions = store.case_predictions(second).await.expect("predictions");
    assert_eq!(predictions.len(), 2);
    assert_eq!(predictions[0].role, ModelRole::Live);
    assert_eq!(predictions[0].suggestions.len(), 2);
    assert_eq!(predictions[0].unit_code, "stara");

    let outcomes = store
        .prediction_outcomes(&[live.id, candidate.id])
        .await
        .expect("outcomes");
    assert_eq!(outcomes.len(), 4, "two routed cases, two models");
    let live_score = ModelScore::of(&outcomes, live.id, Some(candidate.id));
    assert_eq!(
        (
            live_score.cases,
            live_score.correct,
            live_score.confident,
            live_score.staff_decided
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(live_score.accuracy(), Some(0.5));
    assert_eq!(live_score.accuracy_on_staff_decided(), Some(0.0));
    let candidate_score = ModelScore::of(&outcomes, candidate.id, Some(live.id));
    assert_eq!(candidate_score.accuracy(), Some(1.0));
    assert_eq!(candidate_score.precision_when_confident(), Some(1.0));
}

async fn a_due_schedule_enqueues_one_job(database: TestDatabase) {
    let store = open(&database).await;
    let start = Utc::now();
    let hour = Duration::hours(1);
    let run = |at| {
        let store = store.clone();
        async move {
            store
                .run_schedule_if_due("retrain", JobKind::RetrainRouting, hour, 3, at)
                .await
                .expect("schedule")
        }
    };
    assert_eq!(run(start).await, None, "the first run waits one interval");
    assert_eq!(run(start + Duration::minutes(30)).await, None);
    let due = start + Duration::minutes(61);
    let (a, b) = tokio::join!(run(due), run(due));
    assert!(
        a.is_some() != b.is_some(),
        "exactly one of two concurrent callers enqueues: {a:?} {b:?}"
    );
    assert_eq!(run(due + Duration::minutes(1)).await, None);
    assert!(run(due + Duration::minutes(61)).await.is_some());
}

on_every_backend!(
    one_model_is_live_and_promotion_retires_it,
    candidates_replace_each_other_and_old_weights_are_pruned,
    importing_twice_adds_nothing,
    a_reassignment_moves_the_case_and_becomes_a_training_example,
    predictions_are_scored_against_the_final_unit,
    a_due_schedule_enqueues_one_job,
);
