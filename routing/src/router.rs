//! A trained router: the unit model, the category model, and the confidence from which
//! the unit model's best guess is trusted without a person. This is the unit that is
//! versioned and stored; the worker routes with the live one and records what the
//! candidates would have done.
//!
//! ```
//! use palaute_routing::CaseText;
//! use palaute_routing::router::{LabelledCase, Router, RouterOptions};
//!
//! let case = |text: &str, unit: &str| LabelledCase {
//!     title: None,
//!     description: text.to_owned(),
//!     category_code: None,
//!     unit_code: unit.to_owned(),
//!     final_category_code: None,
//! };
//! let history: Vec<_> = (0..20)
//!     .flat_map(|_| [case("roskis on täynnä", "stara"), case("kirja puuttuu hyllystä", "kirjasto")])
//!     .collect();
//! let router = Router::train(&history, &RouterOptions::default()).unwrap();
//! let routing = router.route(&CaseText { description: "roskikset täynnä", ..CaseText::default() });
//! assert_eq!(routing.suggestions[0].unit_code, "stara");
//! assert!(routing.confident);
//! ```

#![allow(
    clippy::indexing_slicing,
    reason = "indices are positions in the router's own unit and category lists"
)]

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use crate::CaseText;
use crate::model::{Model, ModelError, TrainOptions, TrainingExample};

/// The version of the stored router's layout; another is refused, not misread.
pub const ROUTER_FORMAT: &str = "palaute-router/2";
/// How many suggestions staff see for a case.
pub const SUGGESTIONS: usize = 3;
/// Fewer examples than this cannot give a model worth trusting or measuring.
pub const MIN_TRAINING_EXAMPLES: usize = 20;

/// A past case and where it belonged: imported history, or a staff decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelledCase {
    pub title: Option<String>,
    pub description: String,
    /// The category the resident chose, as known when the case arrived.
    pub category_code: Option<String>,
    /// The unit that handled it: the label.
    pub unit_code: String,
    /// The category it finally had, where known: the category model's label.
    pub final_category_code: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RouterOptions {
    pub train: TrainOptions,
    /// The share of automatically routed cases that should be right; the threshold is
    /// the lowest confidence that reached it on held-out examples.
    pub target_precision: f64,
}

impl Default for RouterOptions {
    fn default() -> Self {
        Self {
            train: TrainOptions::default(),
            target_precision: 0.9,
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TrainError {
    #[error("{found} training examples; at least {needed} are needed")]
    TooFewExamples { found: usize, needed: usize },
    #[error("every training example has the same unit ({0}); there is nothing to learn")]
    OneUnit(String),
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("stored router has format {found:?}; this build reads {ROUTER_FORMAT:?}")]
    UnknownFormat { found: String },
    #[error("stored router is unreadable: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Model(#[from] ModelError),
}

/// One place a case could go, with how likely the model finds it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub unit_code: String,
    pub category_code: Option<String>,
    pub confidence: f32,
}

/// What the router makes of a case.
#[derive(Debug, Clone, PartialEq)]
pub struct ModelRouting {
    /// At most [`SUGGESTIONS`], most likely first.
    pub suggestions: Vec<Suggestion>,
    /// Whether the best suggestion reaches the threshold: route it without a person.
    pub confident: bool,
    /// The router's threshold; `None` routes nothing without a person.
    pub threshold: Option<f32>,
}

impl ModelRouting {
    pub fn best(&self) -> Option<&Suggestion> {
        self.suggestions.first()
    }
}

/// What a trained router promises, measured on its held-out examples.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouterSummary {
    pub examples: usize,
    pub units: usize,
    pub target_precision: f64,
    /// `None` when no confidence reached the target: every case goes to triage.
    pub threshold: Option<f32>,
    pub validation_cases: usize,
    pub validation_accuracy: f64,
    /// The share of held-out cases at or above the threshold, and how many were right.
    pub validation_coverage: f64,
    pub validation_precision: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Router {
    format: String,
    unit: Model,
    /// `None` when too few examples had a final category.
    category: Option<Model>,
    /// How often each category was seen with each unit, so a suggested unit is paired
    /// with one of its own categories.
    unit_categories: BTreeMap<String, BTreeMap<String, usize>>,
    summary: RouterSummary,
}

impl Router {
    /// Trains on `cases`, oldest first (the newest are held out to calibrate).
    pub fn train(cases: &[LabelledCase], options: &RouterOptions) -> Result<Self, TrainError> {
        if cases.len() < MIN_TRAINING_EXAMPLES {
            return Err(TrainError::TooFewExamples {
                found: cases.len(),
                needed: MIN_TRAINING_EXAMPLES,
            });
        }
        let units: BTreeSet<&str> = cases.iter().map(|case| case.unit_code.as_str()).collect();
        if units.len() < 2 {
            return Err(TrainError::OneUnit(cases[0].unit_code.clone()));
        }
        let unit_examples: Vec<TrainingExample> = cases
            .iter()
            .map(|case| TrainingExample {
                title: case.title.clone(),
                description: case.description.clone(),
                category_code: case.category_code.clone(),
                label: case.unit_code.clone(),
            })
            .collect();
        let unit = Model::train(&unit_examples, &options.train);

        let category_examples: Vec<TrainingExample> = cases
            .iter()
            .filter_map(|case| {
                Some(TrainingExample {
                    title: case.title.clone(),
                    description: case.description.clone(),
                    category_code: None,
                    label: case.final_category_code.clone()?,
                })
            })
            .collect();
        let category_labels: BTreeSet<&str> = category_examples
            .iter()
            .map(|example| example.label.as_str())
            .collect();
        let category = (category_examples.len() >= MIN_TRAINING_EXAMPLES
            && category_labels.len() >= 2)
            .then(|| {
                let text_only = TrainOptions {
                    use_category: false,
                    ..options.train
                };
                Model::train(&category_examples, &text_only)
            });

        let mut unit_categories: BTreeMap<String, BTreeMap<String, usize>> = BTreeMap::new();
        for case in cases {
            if let Some(category) = &case.final_category_code {
                *unit_categories
                    .entry(case.unit_code.clone())
                    .or_default()
                    .entry(category.clone())
                    .or_default() += 1;
            }
        }
        let summary = summarise(&unit, cases.len(), options.target_precision);
        Ok(Self {
            format: ROUTER_FORMAT.to_owned(),
            unit,
            category,
            unit_categories,
            summary,
        })
    }

    /// The top suggestions for a case and whether the best one may be routed.
    pub fn route(&self, case: &CaseText<'_>) -> ModelRouting {
        let units = self.unit.top(case, SUGGESTIONS);
        let categories = match (&self.category, case.category_code) {
            (Some(model), None) => model.predict(&CaseText {
                category_code: None,
                ..*case
            }),
            _ => Vec::new(),
        };
        let suggestions: Vec<Suggestion> = units
            .into_iter()
            .map(|unit| {
                let category_code = match case.category_code {
                    Some(given) => Some(given.to_owned()),
                    None => self.likeliest_category_of(&unit.label, &categories),
                };
                Suggestion {
                    unit_code: unit.label,
                    category_code,
                    confidence: unit.probability,
                }
            })
            .collect();
        let confident = match (self.summary.threshold, suggestions.first()) {
            (Some(threshold), Some(best)) => best.confidence >= threshold,
            _ => false,
        };
        ModelRouting {
            suggestions,
            confident,
            threshold: self.summary.threshold,
        }
    }

    /// The category model's likeliest category among those seen with `unit`; without
    /// a category model, the unit's most common category.
    fn likeliest_category_of(
        &self,
        unit: &str,
        ranked: &[crate::model::Prediction],
    ) -> Option<String> {
        let own = self.unit_categories.get(unit)?;
        if ranked.is_empty() {
            // Ties go to the code that sorts first.
            return own
                .iter()
                .rev()
                .max_by_key(|(_, count)| **count)
                .map(|(code, _)| code.clone());
        }
        ranked
            .iter()
            .find(|prediction| own.contains_key(&prediction.label))
            .map(|prediction| prediction.label.clone())
    }

    pub fn summary(&self) -> &RouterSummary {
        &self.summary
    }

    pub fn threshold(&self) -> Option<f32> {
        self.summary.threshold
    }

    /// Identifies what the router predicts with: equal fingerprints predict alike.
    pub fn fingerprint(&self) -> String {
        match &self.category {
            Some(category) => format!("{}-{}", self.unit.fingerprint(), category.fingerprint()),
            None => self.unit.fingerprint(),
        }
    }

    /// The stored form: the format line, then the router in postcard's compact binary
    /// encoding (JSON of the weights is about ten times larger and slower to read).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = format!("{ROUTER_FORMAT}\n").into_bytes();
        // Serialising plain data into a Vec cannot fail.
        bytes.extend(postcard::to_stdvec(self).unwrap_or_default());
        bytes
    }

    pub fn from_bytes(bytes: &[u8]) -> Result<Self, LoadError> {
        let (format, body) = match bytes.iter().position(|&byte| byte == b'\n') {
            Some(end) if end <= 64 => (&bytes[..end], &bytes[end + 1..]),
            _ => return Err(LoadError::Unreadable("no format line".to_owned())),
        };
        let format = String::from_utf8_lossy(format);
        if format != ROUTER_FORMAT {
            return Err(LoadError::UnknownFormat {
                found: format.into_owned(),
            });
        }
        let router: Self =
            postcard::from_bytes(body).map_err(|error| LoadError::Unreadable(error.to_string()))?;
        if router.format != ROUTER_FORMAT {
            return Err(LoadError::UnknownFormat {
                found: router.format,
            });
        }
        Ok(router)
    }
}

fn summarise(unit: &Model, examples: usize, target_precision: f64) -> RouterSummary {
    let validation = unit.validation();
    let threshold = unit
        .threshold_for_precision(target_precision)
        .map(|threshold| {
            // When routing every held-out case would have met the target, the held-out
            // cases give no evidence for a threshold above their lowest confidence;
            // there the calibrated confidence's own promise holds (cases from the
            // target up are right that often), so the threshold need not exceed it.
            let all_qualify = validation.iter().all(|point| point.confidence >= threshold);
            if all_qualify {
                threshold.min(target_precision as f32)
            } else {
                threshold
            }
        });
    let share = |count: usize, of: usize| {
        if of == 0 {
            0.0
        } else {
            count as f64 / of as f64
        }
    };
    let correct = validation.iter().filter(|point| point.correct).count();
    let routed: Vec<_> = match threshold {
        Some(threshold) => validation
            .iter()
            .filter(|point| point.confidence >= threshold)
            .collect(),
        None => Vec::new(),
    };
    let routed_correct = routed.iter().filter(|point| point.correct).count();
    RouterSummary {
        examples,
        units: unit.labels().len(),
        target_precision,
        threshold,
        validation_cases: validation.len(),
        validation_accuracy: share(correct, validation.len()),
        validation_coverage: share(routed.len(), validation.len()),
        validation_precision: (!routed.is_empty()).then(|| share(routed_correct, routed.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labelled(text: &str, category: Option<&str>, unit: &str) -> LabelledCase {
        LabelledCase {
            title: None,
            description: text.to_owned(),
            category_code: None,
            unit_code: unit.to_owned(),
            final_category_code: category.map(str::to_owned),
        }
    }

    /// Three units with distinct vocabularies; only one gives categories.
    fn history() -> Vec<LabelledCase> {
        let texts = [
            ("Katulamppu on rikki", Some("180"), "rakennusvirasto"),
            ("Katulampun valo ei pala", Some("180"), "rakennusvirasto"),
            ("Asfaltissa on syvä kuoppa", Some("171"), "rakennusvirasto"),
            ("Kirjastossa ei ole kirjaa", None, "kaupunginkirjasto"),
            (
                "Kirjaston aukioloajat ovat huonot",
                None,
                "kaupunginkirjasto",
            ),
            ("Lainasin kirjan kirjastosta", None, "kaupunginkirjasto"),
            ("Päiväkodin piha on liukas", None, "varhaiskasvatusvirasto"),
            (
                "Päiväkodissa lapset leikkivät",
                None,
                "varhaiskasvatusvirasto",
            ),
            ("Päiväkotipaikka puuttuu", None, "varhaiskasvatusvirasto"),
        ];
        (0..8)
            .flat_map(|_| texts.iter())
            .map(|(text, category, unit)| labelled(text, *category, unit))
            .collect()
    }

    fn case(description: &str) -> CaseText<'_> {
        CaseText {
            description,
            ..CaseText::default()
        }
    }

    #[test]
    fn too_little_or_too_uniform_history_is_refused() {
        let few = history()[..5].to_vec();
        assert_eq!(
            Router::train(&few, &RouterOptions::default()),
            Err(TrainError::TooFewExamples {
                found: 5,
                needed: MIN_TRAINING_EXAMPLES
            })
        );
        let uniform: Vec<_> = (0..30).map(|_| labelled("x", None, "stara")).collect();
        assert_eq!(
            Router::train(&uniform, &RouterOptions::default()),
            Err(TrainError::OneUnit("stara".into()))
        );
    }

    #[test]
    fn confident_cases_route_and_the_rest_get_three_suggestions() {
        let router = Router::train(&history(), &RouterOptions::default()).expect("trains");
        let threshold = router.threshold().expect("easy history reaches 0.9");

        let clear = router.route(&case("katulamppu rikki"));
        assert!(clear.confident);
        let best = clear.best().expect("a suggestion");
        assert_eq!(best.unit_code, "rakennusvirasto");
        assert!(best.confidence >= threshold);
        assert_eq!(best.category_code.as_deref(), Some("180"));

        // Words no example had: the model may rank, but must not be sure.
        let unclear = router.route(&case("xyzzy qwerty"));
        assert!(!unclear.confident);
        assert_eq!(unclear.suggestions.len(), SUGGESTIONS);
        assert!(unclear.suggestions.iter().all(|s| s.confidence < threshold));
        assert!(
            unclear
                .suggestions
                .windows(2)
                .all(|pair| pair[0].confidence >= pair[1].confidence)
        );
        // A unit no example gave a category is suggested without one.
        let library = unclear
            .suggestions
            .iter()
            .find(|s| s.unit_code == "kaupunginkirjasto")
            .expect("every unit is ranked");
        assert_eq!(library.category_code, None);
    }

    #[test]
    fn the_threshold_follows_the_target_precision() {
        // Every held-out case of this easy history is right: no evidence for a
        // threshold above the target itself.
        let router = Router::train(&history(), &RouterOptions::default()).expect("trains");
        assert_eq!(router.summary().validation_accuracy, 1.0);
        assert!(router.threshold().is_some_and(|t| t <= 0.9));
        assert_eq!(router.summary().validation_coverage, 1.0);

        let impossible = RouterOptions {
            target_precision: 1.01,
            ..RouterOptions::default()
        };
        let router = Router::train(&history(), &impossible).expect("trains");
        assert_eq!(router.threshold(), None);
        assert_eq!(router.summary().validation_coverage, 0.0);
        // With no threshold nothing is routed without a person, however clear.
        assert!(!router.route(&case("katulamppu rikki")).confident);
    }

    #[test]
    fn a_given_category_is_kept_in_every_suggestion() {
        let router = Router::train(&history(), &RouterOptions::default()).expect("trains");
        let routing = router.route(&CaseText {
            description: "kirja",
            category_code: Some("246"),
            ..CaseText::default()
        });
        assert!(
            routing
                .suggestions
                .iter()
                .all(|s| s.category_code.as_deref() == Some("246"))
        );
    }

    #[test]
    fn a_stored_router_routes_the_same_after_loading() {
        let router = Router::train(&history(), &RouterOptions::default()).expect("trains");
        let again = Router::train(&history(), &RouterOptions::default()).expect("trains");
        assert_eq!(
            router.to_bytes(),
            again.to_bytes(),
            "training is deterministic"
        );
        let loaded = Router::from_bytes(&router.to_bytes()).expect("loads");
        assert_eq!(loaded.fingerprint(), router.fingerprint());
        for text in ["katulamppu", "kirja", "päiväkoti", "jotain muuta"] {
            assert_eq!(loaded.route(&case(text)), router.route(&case(text)));
        }
    }

    #[test]
    fn another_format_or_garbage_is_refused() {
        let router = Router::train(&history(), &RouterOptions::default()).expect("trains");
        let bytes = router.to_bytes();
        let mut older = b"palaute-router/1\n".to_vec();
        older.extend(&bytes[ROUTER_FORMAT.len() + 1..]);
        assert!(matches!(
            Router::from_bytes(&older),
            Err(LoadError::UnknownFormat { .. })
        ));
        assert!(matches!(
            Router::from_bytes(b"not a model"),
            Err(LoadError::Unreadable(_))
        ));
        let truncated = &bytes[..bytes.len() / 2];
        assert!(matches!(
            Router::from_bytes(truncated),
            Err(LoadError::Unreadable(_))
        ));
    }
}
