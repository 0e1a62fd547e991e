//! GraphQL types for routing that learns: a case's suggestions, and the stored model
//! versions with how they fared against staff decisions.

use async_graphql::{Context, Enum, Object, SimpleObject};
use chrono::{DateTime, Utc};
use palaute_store::{ModelScore, RoutingModelInfo, Store, StoredSuggestion};

use crate::errors::from_store;
use crate::types::{CategoryView, UnitView, category_view, unit_view};

/// A place the live routing model suggested for a case.
pub struct RoutingSuggestion(pub StoredSuggestion);

#[Object]
impl RoutingSuggestion {
    /// Null if the unit was removed from the organisation since.
    async fn unit(&self, ctx: &Context<'_>) -> Option<UnitView> {
        unit_view(ctx, &self.0.unit_code)
    }

    async fn category(&self, ctx: &Context<'_>) -> Option<CategoryView> {
        category_view(ctx, self.0.category_code.as_deref()?)
    }

    /// The model's calibrated probability that this unit is right, from 0 to 1.
    async fn confidence(&self) -> f64 {
        self.0.confidence
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
#[graphql(remote = "palaute_store::ModelRole")]
pub enum ModelRole {
    /// Routes new cases.
    Live,
    /// Runs in shadow beside the live model; its predictions are only recorded.
    Candidate,
    Retired,
}

/// A stored routing model version.
pub struct RoutingModelView(pub RoutingModelInfo);

#[Object(name = "RoutingModel")]
impl RoutingModelView {
    async fn version(&self) -> i64 {
        self.0.id
    }

    async fn role(&self) -> ModelRole {
        self.0.role.into()
    }

    async fn trained_at(&self) -> DateTime<Utc> {
        self.0.trained_at
    }

    /// `cli` or `worker` (periodic retraining).
    async fn trained_by(&self) -> &str {
        &self.0.trained_by
    }

    async fn promoted_at(&self) -> Option<DateTime<Utc>> {
        self.0.promoted_at
    }

    /// When its weights were dropped to save space: an old retired model keeps its
    /// history but cannot be promoted again.
    async fn pruned_at(&self) -> Option<DateTime<Utc>> {
        self.0.pruned_at
    }

    /// How many labelled examples it learnt from.
    async fn examples(&self) -> i64 {
        self.0.examples
    }

    async fn target_precision(&self) -> Option<f64> {
        self.0
            .summary
            .get("target_precision")
            .and_then(|v| v.as_f64())
    }

    /// The confidence from which it routes without a person; null routes nothing.
    async fn threshold(&self) -> Option<f64> {
        self.0.summary.get("threshold").and_then(|v| v.as_f64())
    }

    /// On the newest fifth of its examples, held out while calibrating.
    async fn validation_accuracy(&self) -> Option<f64> {
        self.0
            .summary
            .get("validation_accuracy")
            .and_then(|v| v.as_f64())
    }

    /// The share of held-out examples at or above the threshold.
    async fn validation_coverage(&self) -> Option<f64> {
        self.0
            .summary
            .get("validation_coverage")
            .and_then(|v| v.as_f64())
    }

    /// How its predictions fared against where routed cases finally went (after any
    /// staff reassignment). With `comparedWith`, only the cases that model version
    /// predicted too, so that a candidate and the live model meet on the same cases.
    async fn evaluation(
        &self,
        ctx: &Context<'_>,
        compared_with: Option<i64>,
    ) -> async_graphql::Result<ModelEvaluation> {
        let store = ctx.data_unchecked::<Store>();
        let ids: Vec<i64> = std::iter::once(self.0.id).chain(compared_with).collect();
        let outcomes = store
            .prediction_outcomes(&ids)
            .await
            .map_err(|error| from_store("evaluating a routing model", error))?;
        Ok(ModelEvaluation::from(ModelScore::of(
            &outcomes,
            self.0.id,
            compared_with,
        )))
    }
}

/// A model's predictions against the units cases finally had.
#[derive(SimpleObject)]
pub struct ModelEvaluation {
    /// Routed cases the model predicted.
    pub cases: u64,
    /// The share whose final unit was the model's best guess.
    pub accuracy: Option<f64>,
    /// The share the model was sure enough of to route alone.
    pub coverage: Option<f64>,
    pub precision_when_confident: Option<f64>,
    /// Cases staff moved or assigned, and the model's accuracy on them.
    pub staff_decided_cases: u64,
    pub accuracy_on_staff_decided: Option<f64>,
}

impl From<ModelScore> for ModelEvaluation {
    fn from(score: ModelScore) -> Self {
        Self {
            cases: score.cases,
            accuracy: score.accuracy(),
            coverage: score.coverage(),
            precision_when_confident: score.precision_when_confident(),
            staff_decided_cases: score.staff_decided,
            accuracy_on_staff_decided: score.accuracy_on_staff_decided(),
        }
    }
}
