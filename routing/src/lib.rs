//! Language detection and case classification for palaute: pure and deterministic, no
//! IO. The worker calls both for every new case.
//!
//! - [`detect_language`] tells Finnish, Swedish and English apart, with the language the
//!   resident stated as the prior for short or ambiguous text.
//! - [`Classifier`] routes a case to a unit and category of an
//!   [`Organisation`](palaute_core::Organisation) by the keywords configured there, and
//!   sends it to the triage unit when the evidence is not clear.
//!
//! ```
//! use palaute_core::{Language, Organisation};
//! use palaute_routing::{detect_language, CaseText, Classifier, Outcome};
//!
//! let text = "Katulamppu on rikki Mannerheimintiellä";
//! let language = detect_language(text, None).language;
//! assert_eq!(language, Some(Language::Fi));
//!
//! let classifier = Classifier::new(&Organisation::helsinki());
//! let decision = classifier.classify(&CaseText { description: text, language, ..CaseText::default() });
//! assert_eq!(decision.outcome, Outcome::Routed);
//! assert_eq!(decision.category_code.as_deref(), Some("180"));
//! ```

mod classify;
mod keyword;
mod language;
pub mod model;
pub mod router;
mod text;

pub use classify::{CaseText, Classifier, Outcome, ROUTE_THRESHOLD, RoutingDecision};
pub use language::{LanguageGuess, detect_language};
pub use language::{LanguageReport, SHORT_TEXT_CHARS, evaluate as evaluate_language};
