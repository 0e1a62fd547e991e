//! The organisation that cases are routed through: divisions, their units, the public
//! feedback categories and the triage unit for what cannot be routed.
//!
//! It is configuration, loaded from TOML. Helsinki's organisation ships as the default
//! ([`Organisation::helsinki`]); `palaute config check FILE` runs [`Organisation::from_toml`]
//! on a custom file and prints every problem with its place.

use std::collections::HashSet;
use std::fmt;

use serde::Deserialize;

use crate::case::Language;
use crate::deadlines::Deadlines;
use crate::guidance::{Guidance, guidance_problems};
use crate::i18n::Localized;

const HELSINKI_TOML: &str = include_str!("../org/helsinki.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    /// Code of the unit that receives cases no rule could route.
    pub triage_unit: String,
    #[serde(default)]
    pub divisions: Vec<Division>,
    #[serde(default)]
    pub units: Vec<Unit>,
    #[serde(default)]
    pub categories: Vec<Category>,
    /// First-reply and resolution deadlines; absent: 5 and 20 working days.
    #[serde(default)]
    pub deadlines: Deadlines,
    /// Bodies outside the city that triage may forward a case to (the regional transport
    /// authority, the water utility, the police).
    #[serde(default)]
    pub external_bodies: Vec<ExternalBody>,
}

/// An organisation outside the city that handles some matters residents raise with it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalBody {
    pub code: String,
    pub name: Localized,
    /// Where forwarded cases are sent.
    pub mailbox: String,
    /// How a resident reaches them, told to the resident in the forwarding notice
    /// (a web address or an email address).
    pub contact: String,
    /// The language the body reads; the forwarded case is written in it.
    #[serde(default = "default_language_code")]
    pub language: String,
}

impl ExternalBody {
    pub fn language(&self) -> Language {
        Language::from_code(&self.language).unwrap_or(Language::DEFAULT)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Division {
    pub code: String,
    pub name: Localized,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unit {
    pub code: String,
    pub division: String,
    pub name: Localized,
    /// Where handler notifications for this unit are sent.
    pub mailbox: String,
    /// Who hears that a case of this unit missed a deadline; absent: the mailbox.
    #[serde(default)]
    pub lead_email: Option<String>,
    /// The language the unit's handlers read; their notifications are written in it.
    #[serde(default = "default_language_code")]
    pub language: String,
    /// Names this unit had in historical data (routing labels), so that training data
    /// and imported cases map onto it.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Words that point a free-text case at this unit when no category matches.
    #[serde(default)]
    pub keywords: Vec<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    /// The Open311 service code.
    pub code: String,
    pub name: Localized,
    pub group: Localized,
    pub default_unit: String,
    /// Words (any of the three languages) that point a free-text case at this category.
    #[serde(default)]
    pub keywords: Vec<String>,
    /// A notice, extra questions or a redirect, shown before a case is made.
    #[serde(default)]
    pub guidance: Option<Guidance>,
}

fn default_language_code() -> String {
    Language::DEFAULT.code().to_owned()
}

impl Unit {
    pub fn handler_language(&self) -> Language {
        Language::from_code(&self.language).unwrap_or(Language::DEFAULT)
    }

    /// Where a missed deadline is reported: the unit's lead, else its mailbox.
    pub fn lead_address(&self) -> &str {
        self.lead_email.as_deref().unwrap_or(&self.mailbox)
    }
}

/// One thing wrong with an organisation file, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// A path into the file such as `units[3] (code "hkl").mailbox`, or `line 12, column 5`.
    pub place: String,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.place, self.message)
    }
}

#[derive(Debug, Clone, thiserror::Error)]
#[error("{} problem(s) in the organisation:\n{}", .problems.len(), render(.problems))]
pub struct OrganisationError {
    pub problems: Vec<Problem>,
}

fn render(problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|problem| format!("  - {problem}"))
        .collect::<Vec<_>>()
        .join("\n")
}

impl Organisation {
    /// The City of Helsinki's organisation, shipped with palaute.
    #[allow(
        clippy::expect_used,
        reason = "the file is compiled in, and a unit test loads it"
    )]
    pub fn helsinki() -> Self {
        Self::from_toml(HELSINKI_TOML).expect("the shipped Helsinki organisation is valid")
    }

    /// Parses and validates an organisation file; every problem is reported, not only
    /// the first.
    pub fn from_toml(source: &str) -> Result<Self, OrganisationError> {
        let organisation: Organisation = toml::from_str(source).map_err(|error| {
            let place = error
                .span()
                .map(|span| line_and_column(source, span.start))
                .unwrap_or_else(|| "file".to_owned());
            OrganisationError {
                problems: vec![Problem {
                    place,
                    message: error.message().to_owned(),
                }],
            }
        })?;
        let problems = organisation.problems();
        if problems.is_empty() {
            Ok(organisation)
        } else {
            Err(OrganisationError { problems })
        }
    }

    pub fn external_body(&self, code: &str) -> Option<&ExternalBody> {
        self.external_bodies.iter().find(|body| body.code == code)
    }

    pub fn unit(&self, code: &str) -> Option<&Unit> {
        self.units.iter().find(|unit| unit.code == code)
    }

    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories
            .iter()
            .find(|category| category.code == code)
    }

    pub fn division(&self, code: &str) -> Option<&Division> {
        self.divisions.iter().find(|division| division.code == code)
    }

    #[allow(
        clippy::expect_used,
        reason = "an organisation exists only after validation, which requires its triage unit"
    )]
    pub fn triage(&self) -> &Unit {
        self.unit(&self.triage_unit)
            .expect("a validated organisation has its triage unit")
    }

    /// Finds a unit by its code or by a historical name (case-insensitive).
    pub fn unit_by_label(&self, label: &str) -> Option<&Unit> {
        let wanted = label.trim().to_lowercase();
        self.units.iter().find(|unit| {
            unit.code == wanted
                || unit.name.fi.to_lowercase() == wanted
                || unit
                    .aliases
                    .iter()
                    .any(|alias| alias.to_lowercase() == wanted)
        })
    }

    fn problems(&self) -> Vec<Problem> {
        let mut problems = Vec::new();
        let mut problem =
            |place: String, message: String| problems.push(Problem { place, message });

        let mut division_codes = HashSet::new();
        for (index, division) in self.divisions.iter().enumerate() {
            let place = format!("divisions[{index}] (code {:?})", division.code);
            check_code(&division.code, &place, &mut problem);
            if !division_codes.insert(division.code.as_str()) {
                problem(format!("{place}.code"), "duplicate division code".into());
            }
            check_names(&division.name, &format!("{place}.name"), &mut problem);
        }

        let mut body_codes = HashSet::new();
        for (index, body) in self.external_bodies.iter().enumerate() {
            let place = format!("external_bodies[{index}] (code {:?})", body.code);
            check_code(&body.code, &place, &mut problem);
            if !body_codes.insert(body.code.as_str()) {
                problem(
                    format!("{place}.code"),
                    "duplicate external body code".into(),
                );
            }
            check_names(&body.name, &format!("{place}.name"), &mut problem);
            if !looks_like_mailbox(&body.mailbox) {
                problem(
                    format!("{place}.mailbox"),
                    format!("{:?} is not an email address", body.mailbox),
                );
            }
            if body.contact.trim().is_empty() {
                problem(
                    format!("{place}.contact"),
                    "say how residents reach them".into(),
                );
            }
            if Language::from_code(&body.language).is_none() {
                problem(
                    format!("{place}.language"),
                    format!("{:?} is not one of fi, sv, en", body.language),
                );
            }
        }

        let mut unit_codes = HashSet::new();
        for (index, unit) in self.units.iter().enumerate() {
            let place = format!("units[{index}] (code {:?})", unit.code);
            check_code(&unit.code, &place, &mut problem);
            if !unit_codes.insert(unit.code.as_str()) {
                problem(format!("{place}.code"), "duplicate unit code".into());
            }
            if !division_codes.contains(unit.division.as_str()) {
                problem(
                    format!("{place}.division"),
                    format!("unknown division {:?}", unit.division),
                );
            }
            check_names(&unit.name, &format!("{place}.name"), &mut problem);
            if !looks_like_mailbox(&unit.mailbox) {
                problem(
                    format!("{place}.mailbox"),
                    format!("{:?} is not an email address", unit.mailbox),
                );
            }
            if let Some(lead) = &unit.lead_email
                && !looks_like_mailbox(lead)
            {
                problem(
                    format!("{place}.lead_email"),
                    format!("{lead:?} is not an email address"),
                );
            }
            if Language::from_code(&unit.language).is_none() {
                problem(
                    format!("{place}.language"),
                    format!("{:?} is not one of fi, sv, en", unit.language),
                );
            }
            check_words(&unit.keywords, &format!("{place}.keywords"), &mut problem);
        }

        if !unit_codes.contains(self.triage_unit.as_str()) {
            problem(
                "triage_unit".into(),
                format!(
                    "unknown unit {:?}: cases that cannot be routed need a unit",
                    self.triage_unit
                ),
            );
        }

        let mut category_codes = HashSet::new();
        for (index, category) in self.categories.iter().enumerate() {
            let place = format!("categories[{index}] (code {:?})", category.code);
            check_code(&category.code, &place, &mut problem);
            if !category_codes.insert(category.code.as_str()) {
                problem(format!("{place}.code"), "duplicate category code".into());
            }
            check_names(&category.name, &format!("{place}.name"), &mut problem);
            check_names(&category.group, &format!("{place}.group"), &mut problem);
            if !unit_codes.contains(category.default_unit.as_str()) {
                problem(
                    format!("{place}.default_unit"),
                    format!("unknown unit {:?}", category.default_unit),
                );
            }
            check_words(
                &category.keywords,
                &format!("{place}.keywords"),
                &mut problem,
            );
            if let Some(guidance) = &category.guidance {
                for (part, message) in guidance_problems(guidance) {
                    problem(format!("{place}.{part}"), message);
                }
            }
        }
        self.deadlines
            .problems(&unit_codes, &category_codes, &mut problem);
        problems
    }
}

fn check_code(code: &str, place: &str, problem: &mut impl FnMut(String, String)) {
    let valid = !code.is_empty()
        && code.len() <= 64
        && code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    if !valid {
        problem(
            format!("{place}.code"),
            format!("{code:?} must be 1-64 characters of a-z, 0-9, '-' or '_'"),
        );
    }
}

fn check_names(names: &Localized, place: &str, problem: &mut impl FnMut(String, String)) {
    for language in Language::ALL {
        if names.get(*language).trim().is_empty() {
            problem(format!("{place}.{language}"), "name is empty".into());
        }
    }
}

fn check_words(words: &[String], place: &str, problem: &mut impl FnMut(String, String)) {
    for (index, word) in words.iter().enumerate() {
        if word.trim().is_empty() {
            problem(format!("{place}[{index}]"), "keyword is empty".into());
        }
    }
}

/// A deliberately loose check: one `@`, a non-empty local part and a dotted domain.
/// Delivery is the real test; this catches typos in configuration.
fn looks_like_mailbox(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !address.chars().any(char::is_whitespace)
}

fn line_and_column(source: &str, offset: usize) -> String {
    let before = &source[..offset.min(source.len())];
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |s| s.chars().count()) + 1;
    format!("line {line}, column {column}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helsinki_organisation_is_valid_and_complete() {
        let helsinki = Organisation::helsinki();
        assert_eq!(helsinki.categories.len(), 11);
        assert!(helsinki.divisions.len() >= 5);
        assert_eq!(helsinki.triage().code, helsinki.triage_unit);
        for code in [
            "171", "172", "174", "176", "180", "198", "199", "211", "234", "246",
        ] {
            assert!(helsinki.category(code).is_some(), "category {code}");
        }
        assert_eq!(
            helsinki
                .unit_by_label("Helsingin kaupungin liikennelaitos")
                .map(|u| u.code.as_str()),
            Some("hkl")
        );
    }

    #[test]
    fn shipped_swedish_names_are_swedish() {
        let helsinki = Organisation::helsinki();
        let names: Vec<&str> = helsinki
            .categories
            .iter()
            .map(|c| c.name.sv.as_str())
            .collect();
        assert!(names.contains(&"Klotterborttagning"), "{names:?}");
        for category in &helsinki.categories {
            assert_ne!(
                category.name.sv, category.name.en,
                "category {}",
                category.code
            );
        }
    }

    #[test]
    fn every_problem_is_reported_with_its_place() {
        let source = r#"
            triage_unit = "nobody"
            [[divisions]]
            code = "d"
            name = { fi = "D", sv = "", en = "D" }
            [[units]]
            code = "u"
            division = "missing"
            name = { fi = "U", sv = "U", en = "U" }
            mailbox = "not-an-address"
            [[categories]]
            code = "1"
            name = { fi = "C", sv = "C", en = "C" }
            group = { fi = "G", sv = "G", en = "G" }
            default_unit = "ghost"
        "#;
        let error = Organisation::from_toml(source).expect_err("invalid");
        let places: Vec<&str> = error.problems.iter().map(|p| p.place.as_str()).collect();
        assert!(
            places.contains(&"divisions[0] (code \"d\").name.sv"),
            "{places:?}"
        );
        assert!(
            places.contains(&"units[0] (code \"u\").division"),
            "{places:?}"
        );
        assert!(
            places.contains(&"units[0] (code \"u\").mailbox"),
            "{places:?}"
        );
        assert!(places.contains(&"triage_unit"), "{places:?}");
        assert!(
            places.contains(&"categories[0] (code \"1\").default_unit"),
            "{places:?}"
        );
    }

    #[test]
    fn deadlines_are_optional_and_checked_against_the_organisation() {
        let base = r#"
            triage_unit = "t"
            [[divisions]]
            code = "d"
            name = { fi = "D", sv = "D", en = "D" }
            [[units]]
            code = "t"
            division = "d"
            name = { fi = "T", sv = "T", en = "T" }
            mailbox = "t@example.fi"
        "#;
        let plain = Organisation::from_toml(base).expect("valid without deadlines");
        assert_eq!(plain.deadlines.first_reply_working_days, 5);
        assert_eq!(plain.triage().lead_address(), "t@example.fi");

        let source = format!(
            "{base}\nlead_email = \"boss\"\n[deadlines]\n[[deadlines.overrides]]\ncategory = \"404\"\n"
        );
        let error = Organisation::from_toml(&source).expect_err("invalid");
        let places: Vec<&str> = error.problems.iter().map(|p| p.place.as_str()).collect();
        assert_eq!(
            places,
            [
                "units[0] (code \"t\").lead_email",
                "deadlines.overrides[0] (category \"404\").category"
            ]
        );
        let helsinki = Organisation::helsinki();
        assert_eq!(helsinki.deadlines.resolution_working_days, 20);
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        let error = Organisation::from_toml("triage_unit = \"t\"\n[[units]\n").expect_err("bad");
        assert_eq!(error.problems.len(), 1);
        assert!(
            error.problems[0].place.starts_with("line 2"),
            "{:?}",
            error.problems
        );
    }
}
