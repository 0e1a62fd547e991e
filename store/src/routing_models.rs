//! Routing that learns, as stored: model versions and their roles, the labelled
//! examples they train on, and each model's prediction per case.
//!
//! Invariant: at most one model is live (a partial unique index enforces it across
//! processes); candidates run in shadow; retired models keep their predictions.

use chrono::{DateTime, Utc};
use palaute_core::CaseId;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};

use crate::db::Store;
use crate::entity::{case, routing_model, routing_prediction, training_example};
use crate::error::{DbContext, StoreError};

palaute_core::coded_enum!(
    /// What a stored routing model does.
    ModelRole {
        /// Routes new cases. At most one model is live.
        Live => "live",
        /// Predicts beside the live model, for comparison; routes nothing.
        Candidate => "candidate",
        /// No longer runs.
        Retired => "retired",
    }
);

palaute_core::coded_enum!(
    /// Where a labelled example came from.
    ExampleSource {
        /// Historical cases loaded from a file.
        Imported => "imported",
        /// A staff member's decision about a case.
        Staff => "staff",
    }
);

/// A freshly trained model to store.
#[derive(Debug, Clone)]
pub struct NewRoutingModel {
    pub format: String,
    pub fingerprint: String,
    pub examples: i64,
    /// The highest training example id it was trained with.
    pub examples_watermark: i64,
    pub summary: serde_json::Value,
    pub payload: Vec<u8>,
    /// Who trained it: `cli`, or `worker` for the periodic job.
    pub trained_by: String,
}

/// Where a newly stored model goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placement {
    /// Live at once, retiring the live one.
    Live,
    /// Live if no model is, else a candidate.
    LiveIfNone,
    Candidate,
}

/// A stored model without its payload.
#[derive(Debug, Clone, PartialEq)]
pub struct RoutingModelInfo {
    pub id: i64,
    pub role: ModelRole,
    pub format: String,
    pub fingerprint: String,
    pub examples: i64,
    pub examples_watermark: i64,
    pub summary: serde_json::Value,
    pub trained_by: String,
    pub trained_at: DateTime<Utc>,
    pub promoted_at: Option<DateTime<Utc>>,
    /// Set when its weights were dropped to save space; it cannot run again.
    pub pruned_at: Option<DateTime<Utc>>,
}

/// Retired models whose weights are kept, newest first, so that a rollback to a recent
/// model needs no retraining. Older ones keep their row and predictions only.
pub const RETIRED_MODELS_KEPT: u64 = 3;

/// One suggestion, as stored with a prediction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredSuggestion {
    pub unit_code: String,
    pub category_code: Option<String>,
    pub confidence: f64,
}

/// What one model made of a case, to be stored with the routing decision.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPrediction {
    pub model_id: i64,
    pub role: ModelRole,
    /// Most likely first; the first is the model's answer.
    pub suggestions: Vec<StoredSuggestion>,
    pub confident: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PredictionRecord {
    pub model_id: i64,
    pub role: ModelRole,
    pub unit_code: String,
    pub category_code: Option<String>,
    pub confidence: f64,
    pub confident: bool,
    pub suggestions: Vec<StoredSuggestion>,
    pub created_at: DateTime<Utc>,
}

/// A labelled example to import.
#[derive(Debug, Clone, PartialEq)]
pub struct NewTrainingExample {
    /// The record's id in its source: importing it again adds nothing.
    pub external_id: String,
    pub title: Option<String>,
    pub description: String,
    pub category_code: Option<String>,
    pub unit_code: String,
    pub final_category_code: Option<String>,
    pub decided_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct TrainingExampleRecord {
    pub id: i64,
    pub source: ExampleSource,
    pub case_id: Option<CaseId>,
    pub title: Option<String>,
    pub description: String,
    pub category_code: Option<String>,
    pub unit_code: String,
    pub final_category_code: Option<String>,
    pub decided_at: DateTime<Utc>,
}

/// A model's prediction next to where the case finally went.
#[derive(Debug, Clone, PartialEq)]
pub struct PredictionOutcome {
    pub model_id: i64,
    pub case_id: CaseId,
    pub predicted_unit: String,
    pub confident: bool,
    pub final_unit: String,
    /// Whether staff moved or assigned the case (else the routing stood).
    pub decided_by_staff: bool,
}

impl Store {
    /// Stores a trained model in the role `placement` gives it.
    pub async fn save_routing_model(
        &self,
        new_model: NewRoutingModel,
        placement: Placement,
        now: DateTime<Utc>,
    ) -> Result<RoutingModelInfo, StoreError> {
        let txn = self.begin_write().await?;
        let live_exists = routing_model::Entity::find()
            .filter(routing_model::Column::Role.eq(ModelRole::Live.code()))
            .one(&txn)
            .await
            .context("looking for the live model")?
            .is_some();
        let role = match placement {
            Placement::Live => ModelRole::Live,
            Placement::LiveIfNone if !live_exists => ModelRole::Live,
            Placement::LiveIfNone | Placement::Candidate => ModelRole::Candidate,
        };
        // One model is live and one runs in shadow: a new candidate, trained on at
        // least what the old one saw, replaces it.
        retire_role(&txn, role).await?;
        let inserted = routing_model::Entity::insert(routing_model::ActiveModel {
            role: Set(role.code().to_owned()),
            format: Set(new_model.format),
            fingerprint: Set(new_model.fingerprint),
            examples: Set(new_model.examples),
            examples_watermark: Set(new_model.examples_watermark),
            summary: Set(new_model.summary.to_string()),
            payload: Set(new_model.payload),
            trained_by: Set(new_model.trained_by),
            trained_at: Set(now),
            promoted_at: Set((role == ModelRole::Live).then_some(now)),
            pruned_at: Set(None),
            ..Default::default()
        })
        .exec(&txn)
        .await
        .context("storing a routing model")?;
        prune_old_payloads(&txn, now).await?;
        txn.commit().await.context("committing a routing model")?;
        self.routing_model(inserted.last_insert_id)
            .await?
            .ok_or_else(|| StoreError::Corrupt("stored model vanished".into()))
    }

    /// Every stored model, newest first, without payloads.
    pub async fn routing_models(&self) -> Result<Vec<RoutingModelInfo>, StoreError> {
        self.model_infos(None).await
    }

    pub async fn routing_model(&self, id: i64) -> Result<Option<RoutingModelInfo>, StoreError> {
        Ok(self.model_infos(Some(id)).await?.into_iter().next())
    }

    async fn model_infos(&self, id: Option<i64>) -> Result<Vec<RoutingModelInfo>, StoreError> {
        type Row = (
            i64,
            String,
            String,
            String,
            i64,
            i64,
            String,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
        );
        let mut query = routing_model::Entity::find()
            .select_only()
            .columns([
                routing_model::Column::Id,
                routing_model::Column::Role,
                routing_model::Column::Format,
                routing_model::Column::Fingerprint,
                routing_model::Column::Examples,
                routing_model::Column::ExamplesWatermark,
                routing_model::Column::Summary,
                routing_model::Column::TrainedBy,
                routing_model::Column::TrainedAt,
                routing_model::Column::PromotedAt,
                routing_model::Column::PrunedAt,
            ])
            .order_by_desc(routing_model::Column::Id);
        if let Some(id) = id {
            query = query.filter(routing_model::Column::Id.eq(id));
        }
        let rows: Vec<Row> = query
            .into_tuple()
            .all(&self.db)
            .await
            .context("listing routing models")?;
        rows.into_iter()
            .map(|row| {
                Ok(RoutingModelInfo {
                    id: row.0,
                    role: parse_role(&row.1)?,
                    format: row.2,
                    fingerprint: row.3,
                    examples: row.4,
                    examples_watermark: row.5,
                    summary: serde_json::from_str(&row.6)
                        .map_err(|_| StoreError::Corrupt(format!("model {} summary", row.0)))?,
                    trained_by: row.7,
                    trained_at: row.8,
                    promoted_at: row.9,
                    pruned_at: row.10,
                })
            })
            .collect()
    }

    /// The ids and roles of the models that run: the live one and the candidates.
    /// Cheap enough to ask before every case, so a promotion anywhere takes effect.
    pub async fn running_routing_models(&self) -> Result<Vec<(i64, ModelRole)>, StoreError> {
        let rows: Vec<(i64, String)> = routing_model::Entity::find()
            .select_only()
            .columns([routing_model::Column::Id, routing_model::Column::Role])
            .filter(
                routing_model::Column::Role
                    .is_in([ModelRole::Live.code(), ModelRole::Candidate.code()]),
            )
            .order_by_asc(routing_model::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .context("listing running routing models")?;
        rows.into_iter()
            .map(|(id, role)| Ok((id, parse_role(&role)?)))
            .collect()
    }

    pub async fn routing_model_payload(&self, id: i64) -> Result<Option<Vec<u8>>, StoreError> {
        routing_model::Entity::find()
            .select_only()
            .column(routing_model::Column::Payload)
            .filter(routing_model::Column::Id.eq(id))
            .into_tuple::<Vec<u8>>()
            .one(&self.db)
            .await
            .context("loading a routing model")
    }

    /// Makes model `id` live and retires the one that was. `None` if there is no such
    /// model; [`StoreError::Refused`] if its weights were pruned.
    pub async fn promote_routing_model(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<RoutingModelInfo>, StoreError> {
        self.change_role(id, ModelRole::Live, now).await
    }

    /// Stops model `id` from running. `None` if there is no such model.
    pub async fn retire_routing_model(
        &self,
        id: i64,
        now: DateTime<Utc>,
    ) -> Result<Option<RoutingModelInfo>, StoreError> {
        self.change_role(id, ModelRole::Retired, now).await
    }

    async fn change_role(
        &self,
        id: i64,
        role: ModelRole,
        now: DateTime<Utc>,
    ) -> Result<Option<RoutingModelInfo>, StoreError> {
        let txn = self.begin_write().await?;
        let found: Option<(i64, Option<DateTime<Utc>>)> = routing_model::Entity::find_by_id(id)
            .select_only()
            .columns([routing_model::Column::Id, routing_model::Column::PrunedAt])
            .into_tuple()
            .one(&txn)
            .await
            .context("finding a routing model")?;
        let Some((_, pruned_at)) = found else {
            return Ok(None);
        };
        let mut update = routing_model::Entity::update_many()
            .col_expr(routing_model::Column::Role, Expr::value(role.code()));
        if role == ModelRole::Live {
            if pruned_at.is_some() {
                return Err(StoreError::Refused(format!(
                    "routing model {id} is too old: its weights were pruned; train a new one"
                )));
            }
            retire_role(&txn, ModelRole::Live).await?;
            update = update.col_expr(routing_model::Column::PromotedAt, Expr::value(now));
        }
        update
            .filter(routing_model::Column::Id.eq(id))
            .exec(&txn)
            .await
            .context("changing a routing model's role")?;
        txn.commit().await.context("committing a role change")?;
        self.routing_model(id).await
    }

    /// Imports labelled examples; those whose external id is already stored are
    /// skipped. Returns how many were new.
    pub async fn import_training_examples(
        &self,
        examples: &[NewTrainingExample],
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let txn = self.begin_write().await?;
        let mut inserted = 0;
        // Batches keep each statement under both backends' parameter limits.
        for batch in examples.chunks(200) {
            let rows = batch.iter().map(|example| training_example::ActiveModel {
                source: Set(ExampleSource::Imported.code().to_owned()),
                case_id: Set(None),
                external_id: Set(Some(example.external_id.clone())),
                title: Set(example.title.clone()),
                description: Set(example.description.clone()),
                category_code: Set(example.category_code.clone()),
                unit_code: Set(example.unit_code.clone()),
                final_category_code: Set(example.final_category_code.clone()),
                decided_at: Set(example.decided_at),
                created_at: Set(now),
                ..Default::default()
            });
            inserted += training_example::Entity::insert_many(rows)
                .on_conflict(
                    OnConflict::column(training_example::Column::ExternalId)
                        .do_nothing()
                        .to_owned(),
                )
                .exec_without_returning(&txn)
                .await
                .context("importing training examples")?;
        }
        txn.commit().await.context("committing imported examples")?;
        Ok(inserted)
    }

    /// Every labelled example, oldest decision first: the order training wants.
    pub async fn training_examples(&self) -> Result<Vec<TrainingExampleRecord>, StoreError> {
        let rows = training_example::Entity::find()
            .order_by_asc(training_example::Column::DecidedAt)
            .order_by_asc(training_example::Column::Id)
            .all(&self.db)
            .await
            .context("loading training examples")?;
        rows.into_iter()
            .map(TrainingExampleRecord::try_from)
            .collect()
    }

    /// The staff decision recorded as a training example for a case, if any.
    pub async fn training_example_for_case(
        &self,
        case_id: CaseId,
    ) -> Result<Option<TrainingExampleRecord>, StoreError> {
        training_example::Entity::find()
            .filter(training_example::Column::CaseId.eq(case_id.0))
            .one(&self.db)
            .await
            .context("loading a case's training example")?
            .map(TrainingExampleRecord::try_from)
            .transpose()
    }

    /// The newest training example's id (0 when there are none): a model trained
    /// with a lower watermark has not seen every example.
    pub async fn training_examples_watermark(&self) -> Result<i64, StoreError> {
        let newest: Option<i64> = training_example::Entity::find()
            .select_only()
            .column(training_example::Column::Id)
            .order_by_desc(training_example::Column::Id)
            .into_tuple()
            .one(&self.db)
            .await
            .context("finding the newest training example")?;
        Ok(newest.unwrap_or(0))
    }

    /// Every model's predictions for a case, oldest model first.
    pub async fn case_predictions(
        &self,
        case_id: CaseId,
    ) -> Result<Vec<PredictionRecord>, StoreError> {
        let rows = routing_prediction::Entity::find()
            .filter(routing_prediction::Column::CaseId.eq(case_id.0))
            .order_by_asc(routing_prediction::Column::ModelId)
            .all(&self.db)
            .await
            .context("loading a case's predictions")?;
        rows.into_iter().map(PredictionRecord::try_from).collect()
    }

    /// The predictions of `model_ids` for cases that have a final unit (routed, or
    /// assigned by staff), with that unit: what shadow evaluation compares.
    pub async fn prediction_outcomes(
        &self,
        model_ids: &[i64],
    ) -> Result<Vec<PredictionOutcome>, StoreError> {
        type Row = (i64, i64, String, bool, Option<String>, Option<i64>);
        let rows: Vec<Row> = routing_prediction::Entity::find()
            .select_only()
            .columns([
                routing_prediction::Column::ModelId,
                routing_prediction::Column::CaseId,
                routing_prediction::Column::UnitCode,
                routing_prediction::Column::Confident,
            ])
            .column_as(case::Column::UnitCode, "final_unit")
            .column_as(training_example::Column::Id, "staff_decision")
            .join(
                sea_orm::JoinType::InnerJoin,
                routing_prediction::Entity::belongs_to_case(),
            )
            .join(
                sea_orm::JoinType::LeftJoin,
                routing_prediction::Entity::staff_decision(),
            )
            .filter(routing_prediction::Column::ModelId.is_in(model_ids.iter().copied()))
            .filter(case::Column::Status.eq(palaute_core::CaseStatus::Routed.code()))
            .order_by_asc(routing_prediction::Column::CaseId)
            .into_tuple()
            .all(&self.db)
            .await
            .context("loading prediction outcomes")?;
        Ok(rows
            .into_iter()
            .filter_map(
                |(model_id, case_id, predicted_unit, confident, final_unit, staff_decision)| {
                    Some(PredictionOutcome {
                        model_id,
                        case_id: CaseId(case_id),
                        predicted_unit,
                        confident,
                        final_unit: final_unit?,
                        decided_by_staff: staff_decision.is_some(),
                    })
                },
            )
            .collect())
    }
}

/// Retires the model(s) holding `role` (live or candidate).
async fn retire_role(txn: &DatabaseTransaction, role: ModelRole) -> Result<(), StoreError> {
    if role == ModelRole::Retired {
        return Ok(());
    }
    routing_model::Entity::update_many()
        .col_expr(
            routing_model::Column::Role,
            Expr::value(ModelRole::Retired.code()),
        )
        .filter(routing_model::Column::Role.eq(role.code()))
        .exec(txn)
        .await
        .context("retiring a routing model")?;
    Ok(())
}

/// Empties the payload of retired models beyond the newest [`RETIRED_MODELS_KEPT`]:
/// a model's weights are megabytes, and a daily retraining would otherwise grow the
/// database by gigabytes a year.
async fn prune_old_payloads(
    txn: &DatabaseTransaction,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let kept: Vec<i64> = routing_model::Entity::find()
        .select_only()
        .column(routing_model::Column::Id)
        .filter(routing_model::Column::Role.eq(ModelRole::Retired.code()))
        .order_by_desc(routing_model::Column::Id)
        .limit(RETIRED_MODELS_KEPT)
        .into_tuple()
        .all(txn)
        .await
        .context("finding recent retired models")?;
    routing_model::Entity::update_many()
        .col_expr(
            routing_model::Column::Payload,
            Expr::value(Vec::<u8>::new()),
        )
        .col_expr(routing_model::Column::PrunedAt, Expr::value(now))
        .filter(routing_model::Column::Role.eq(ModelRole::Retired.code()))
        .filter(routing_model::Column::PrunedAt.is_null())
        .filter(routing_model::Column::Id.is_not_in(kept))
        .exec(txn)
        .await
        .context("pruning old model weights")?;
    Ok(())
}

pub(crate) async fn insert_predictions(
    txn: &DatabaseTransaction,
    case_id: CaseId,
    predictions: &[NewPrediction],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for prediction in predictions {
        let Some(best) = prediction.suggestions.first() else {
            continue;
        };
        let suggestions = serde_json::to_string(&prediction.suggestions)
            .map_err(|error| StoreError::Corrupt(format!("suggestions: {error}")))?;
        routing_prediction::Entity::insert(routing_prediction::ActiveModel {
            case_id: Set(case_id.0),
            model_id: Set(prediction.model_id),
            role: Set(prediction.role.code().to_owned()),
            unit_code: Set(best.unit_code.clone()),
            category_code: Set(best.category_code.clone()),
            confidence: Set(best.confidence),
            confident: Set(prediction.confident),
            suggestions: Set(suggestions),
            created_at: Set(now),
            ..Default::default()
        })
        .exec(txn)
        .await
        .context("saving a routing prediction")?;
    }
    Ok(())
}

/// Records a staff decision as the case's training example, replacing an earlier one:
/// the newest decision is the label. A replacement gets a new id, so it counts as new
/// for retraining.
pub(crate) async fn record_staff_decision(
    txn: &DatabaseTransaction,
    case: &case::Model,
    unit_code: &str,
    final_category_code: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    training_example::Entity::delete_many()
        .filter(training_example::Column::CaseId.eq(case.id))
        .exec(txn)
        .await
        .context("replacing a staff decision")?;
    training_example::Entity::insert(training_example::ActiveModel {
        source: Set(ExampleSource::Staff.code().to_owned()),
        case_id: Set(Some(case.id)),
        external_id: Set(None),
        title: Set(case.title.clone()),
        description: Set(case.description.clone()),
        category_code: Set(case.given_category_code.clone()),
        unit_code: Set(unit_code.to_owned()),
        final_category_code: Set(final_category_code.map(str::to_owned)),
        decided_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    })
    .exec(txn)
    .await
    .context("recording a staff decision")?;
    Ok(())
}

fn parse_role(stored: &str) -> Result<ModelRole, StoreError> {
    ModelRole::from_code(stored)
        .ok_or_else(|| StoreError::Corrupt(format!("model role {stored:?}")))
}

impl TryFrom<training_example::Model> for TrainingExampleRecord {
    type Error = StoreError;

    fn try_from(row: training_example::Model) -> Result<Self, StoreError> {
        Ok(Self {
            id: row.id,
            source: ExampleSource::from_code(&row.source).ok_or_else(|| {
                StoreError::Corrupt(format!("training example source {:?}", row.source))
            })?,
            case_id: row.case_id.map(CaseId),
            title: row.title,
            description: row.description,
            category_code: row.category_code,
            unit_code: row.unit_code,
            final_category_code: row.final_category_code,
            decided_at: row.decided_at,
        })
    }
}

impl TryFrom<routing_prediction::Model> for PredictionRecord {
    type Error = StoreError;

    fn try_from(row: routing_prediction::Model) -> Result<Self, StoreError> {
        Ok(Self {
            model_id: row.model_id,
            role: parse_role(&row.role)?,
            unit_code: row.unit_code,
            category_code: row.category_code,
            confidence: row.confidence,
            confident: row.confident,
            suggestions: serde_json::from_str(&row.suggestions)
                .map_err(|_| StoreError::Corrupt(format!("prediction {} suggestions", row.id)))?,
            created_at: row.created_at,
        })
    }
}

/// How a model's predictions fared against where cases finally went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ModelScore {
    pub cases: u64,
    pub correct: u64,
    /// Cases where the model reached its threshold, and how many of those were right.
    pub confident: u64,
    pub confident_correct: u64,
    /// Cases staff moved or assigned, and how many the model had right.
    pub staff_decided: u64,
    pub staff_decided_correct: u64,
}

impl ModelScore {
    /// Scores model `model_id` on `outcomes`; with `compared_with`, only on the cases
    /// both models predicted, so two models are measured on the same cases.
    pub fn of(outcomes: &[PredictionOutcome], model_id: i64, compared_with: Option<i64>) -> Self {
        let common: Option<std::collections::HashSet<CaseId>> = compared_with.map(|other| {
            let mine: std::collections::HashSet<CaseId> = outcomes
                .iter()
                .filter(|outcome| outcome.model_id == model_id)
                .map(|outcome| outcome.case_id)
                .collect();
            outcomes
                .iter()
                .filter(|outcome| outcome.model_id == other && mine.contains(&outcome.case_id))
                .map(|outcome| outcome.case_id)
                .collect()
        });
        let mut score = Self::default();
        for outcome in outcomes.iter().filter(|outcome| {
            outcome.model_id == model_id
                && common
                    .as_ref()
                    .is_none_or(|common| common.contains(&outcome.case_id))
        }) {
            let right = outcome.predicted_unit == outcome.final_unit;
            score.cases += 1;
            score.correct += u64::from(right);
            if outcome.confident {
                score.confident += 1;
                score.confident_correct += u64::from(right);
            }
            if outcome.decided_by_staff {
                score.staff_decided += 1;
                score.staff_decided_correct += u64::from(right);
            }
        }
        score
    }

    pub fn accuracy(&self) -> Option<f64> {
        ratio(self.correct, self.cases)
    }

    pub fn coverage(&self) -> Option<f64> {
        ratio(self.confident, self.cases)
    }

    pub fn precision_when_confident(&self) -> Option<f64> {
        ratio(self.confident_correct, self.confident)
    }

    pub fn accuracy_on_staff_decided(&self) -> Option<f64> {
        ratio(self.staff_decided_correct, self.staff_decided)
    }
}

fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}
