//! GraphQL inputs and their validation. Validation turns an input into the store's
//! `NewCase` or names the first field that is wrong; nothing is stored before it passes.

use async_graphql::InputObject;
use chrono::{DateTime, Utc};
use palaute_core::submission::{known_category, too_long};
use palaute_core::text::normalize_optional;
use palaute_core::workflow::Tag;
use palaute_core::{Field, FieldErrors, Organisation, RawSubmission, Submission};
use palaute_search_index::SearchFilters;
use palaute_store::{AssigneeFilter, CaseFilter, CaseOrder, NewCase};

use async_graphql::ErrorExtensions;

use crate::errors::{Code, bad_input};
use crate::types::{CaseLanguage, CaseStatus, Channel, Language};

#[derive(InputObject, Debug, Clone)]
pub struct SubmitFeedbackInput {
    pub channel: Channel,
    /// The feedback itself: 1 to 10,000 characters after trimming.
    pub description: String,
    /// A short summary, at most 200 characters.
    pub title: Option<String>,
    /// An Open311 service code from `categories`.
    pub category_code: Option<String>,
    /// The language the submitter uses; replies are written in it.
    pub language: Option<Language>,
    pub contact: Option<ContactInput>,
    pub location: Option<LocationInput>,
    /// Sending the same key again returns the same case instead of a new one.
    pub idempotency_key: Option<String>,
    /// Answers to the chosen category's `questions`; a multiple-choice question is
    /// answered once per chosen key.
    pub answers: Option<Vec<AnswerInput>>,
}

/// An answer to one of a category's questions.
#[derive(InputObject, Debug, Clone)]
pub struct AnswerInput {
    /// The question's `code`.
    pub question: String,
    /// The text, the number, the date (`YYYY-MM-DD`) or a choice's `key`.
    pub value: String,
}

#[derive(InputObject, Debug, Clone, Default)]
pub struct ContactInput {
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
}

#[derive(InputObject, Debug, Clone, Default)]
pub struct LocationInput {
    /// WGS84 latitude, -90 to 90; given together with `lon`.
    pub lat: Option<f64>,
    /// WGS84 longitude, -180 to 180; given together with `lat`.
    pub lon: Option<f64>,
    pub address: Option<String>,
}

#[derive(InputObject, Debug, Clone, Default)]
pub struct CaseFilterInput {
    pub status: Option<Vec<CaseStatus>>,
    /// Unit codes.
    pub unit: Option<Vec<String>>,
    /// Category (Open311 service) codes.
    pub category: Option<Vec<String>>,
    pub channel: Option<Vec<Channel>>,
    pub language: Option<Vec<CaseLanguage>>,
    /// Cases created at or after this time.
    pub created_after: Option<DateTime<Utc>>,
    /// Cases created before this time.
    pub created_before: Option<DateTime<Utc>>,
    /// Cases assigned to this staff member (email).
    pub assignee: Option<String>,
    /// Cases whose resolution is due (`dueAt`) before this time.
    pub due_before: Option<DateTime<Utc>>,
    /// true: cases assigned to nobody (not with `assignee`).
    pub unassigned: Option<bool>,
    /// Cases with any of these tags.
    pub tag: Option<Vec<String>>,
}

/// The order of a case list.
#[derive(async_graphql::Enum, Copy, Clone, Eq, PartialEq, Debug, Default)]
pub enum CaseOrderBy {
    /// Newest first.
    #[default]
    Newest,
    /// Longest waiting first.
    Oldest,
    /// Most recently changed first.
    LastChange,
    /// Soonest resolution deadline (`dueAt`) first; cases without one last.
    DueDate,
}

impl From<CaseOrderBy> for CaseOrder {
    fn from(order: CaseOrderBy) -> Self {
        match order {
            CaseOrderBy::Newest => CaseOrder::Newest,
            CaseOrderBy::Oldest => CaseOrder::Oldest,
            CaseOrderBy::LastChange => CaseOrder::LastChange,
            CaseOrderBy::DueDate => CaseOrder::DueDate,
        }
    }
}

/// Exact-match filters of a search; all given ones must hold.
#[derive(InputObject, Debug, Clone, Default)]
pub struct SearchFilterInput {
    pub status: Option<CaseStatus>,
    /// A unit code.
    pub unit: Option<String>,
    /// A category (Open311 service) code.
    pub category: Option<String>,
    pub channel: Option<Channel>,
    pub language: Option<CaseLanguage>,
}

impl SearchFilterInput {
    pub fn into_filters(self) -> SearchFilters {
        SearchFilters {
            status: self
                .status
                .map(|status| palaute_core::CaseStatus::from(status).code().to_owned()),
            unit_code: self.unit,
            category_code: self.category,
            channel: self
                .channel
                .map(|channel| palaute_core::Channel::from(channel).code().to_owned()),
            language: self.language.map(|language| language.code().to_owned()),
            within_units: None,
        }
    }
}

impl CaseFilterInput {
    pub fn into_filter(self) -> Result<CaseFilter, Invalid> {
        let assignee = match (self.assignee.as_deref().map(str::trim), self.unassigned) {
            (Some(_), Some(true)) => {
                return Err(bad_input(
                    "unassigned",
                    "give either assignee or unassigned: true, not both",
                ));
            }
            (Some(email), _) if !email.is_empty() => {
                Some(AssigneeFilter::Email(email.to_lowercase()))
            }
            (_, Some(true)) => Some(AssigneeFilter::Nobody),
            _ => None,
        };
        let tags = self
            .tag
            .unwrap_or_default()
            .iter()
            .map(|tag| {
                Tag::parse(tag)
                    .map(|tag| tag.as_str().to_owned())
                    .map_err(|message| bad_input("tag", message))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(CaseFilter {
            statuses: self
                .status
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            unit_codes: self.unit.unwrap_or_default(),
            category_codes: self.category.unwrap_or_default(),
            channels: self
                .channel
                .unwrap_or_default()
                .into_iter()
                .map(Into::into)
                .collect(),
            languages: self
                .language
                .unwrap_or_default()
                .into_iter()
                .map(|language| language.code().to_owned())
                .collect(),
            created_after: self.created_after,
            created_before: self.created_before,
            assignee,
            due_before: self.due_before,
            tags,
            within_units: None,
        })
    }
}

type Invalid = async_graphql::Error;

impl SubmitFeedbackInput {
    /// Checks every field by the shared intake rules and builds what the store saves.
    /// The first broken rule names its field; `extensions.problems` lists them all.
    pub fn validate(self, organisation: &Organisation) -> Result<NewCase, Invalid> {
        let contact = self.contact.unwrap_or_default();
        let location = self.location.unwrap_or_default();
        let raw = RawSubmission {
            channel: self.channel.into(),
            description: self.description,
            title: self.title,
            category_code: self.category_code,
            language: self.language.map(Into::into),
            contact_name: contact.name,
            contact_email: contact.email,
            contact_phone: contact.phone,
            latitude: location.lat,
            longitude: location.lon,
            address: location.address,
            idempotency_key: self.idempotency_key,
            answers: self
                .answers
                .unwrap_or_default()
                .into_iter()
                .map(|answer| (answer.question, answer.value))
                .collect(),
        };
        Submission::parse(raw, organisation)
            .map(NewCase::from)
            .map_err(|errors| field_errors(&errors))
    }
}

/// The GraphQL name of a submission field, as a dotted path into the input.
fn graphql_field(field: Field) -> &'static str {
    match field {
        Field::Description => "description",
        Field::Title => "title",
        Field::CategoryCode => "categoryCode",
        Field::ContactName => "contact.name",
        Field::ContactEmail => "contact.email",
        Field::ContactPhone => "contact.phone",
        Field::Coordinates => "location",
        Field::Latitude => "location.lat",
        Field::Longitude => "location.lon",
        Field::Address => "location.address",
        Field::IdempotencyKey => "idempotencyKey",
        Field::Answer => "answers",
    }
}

fn field_errors(errors: &FieldErrors) -> Invalid {
    let Some(first) = errors.first() else {
        return bad_input("input", "the submission is not valid");
    };
    let problems: Vec<async_graphql::Value> = errors
        .iter()
        .map(|error| {
            let mut problem = async_graphql::indexmap::IndexMap::new();
            problem.insert(
                async_graphql::Name::new("field"),
                async_graphql::Value::from(graphql_field(error.field)),
            );
            problem.insert(
                async_graphql::Name::new("message"),
                async_graphql::Value::from(error.message.as_str()),
            );
            if let Some(question) = error.guidance.as_ref().and_then(|g| g.question()) {
                problem.insert(
                    async_graphql::Name::new("question"),
                    async_graphql::Value::from(question),
                );
            }
            async_graphql::Value::Object(problem)
        })
        .collect();
    let field = graphql_field(first.field);
    async_graphql::Error::new(first.message.clone()).extend_with(move |_, extensions| {
        extensions.set("code", Code::BadUserInput.as_str());
        extensions.set("field", field);
        extensions.set("problems", problems.clone());
    })
}

const MAX_NOTE_CHARS: usize = 2_000;

/// A staff decision: the unit (and optionally the category) a case belongs to.
#[derive(InputObject, Debug, Clone)]
pub struct ReassignCaseInput {
    pub reference: String,
    /// The `version` of the case as the caller last saw it.
    pub version: i64,
    /// A unit from `units`; not the triage unit.
    pub unit_code: String,
    /// A category from `categories`; omitted keeps the case's category.
    pub category_code: Option<String>,
    /// Why, for the timeline: at most 2,000 characters.
    pub note: Option<String>,
}

/// A checked reassignment, still to be tied to a case.
#[derive(Debug, Clone)]
pub struct ValidReassignment {
    pub reference: palaute_core::Reference,
    pub version: i64,
    pub unit_code: String,
    pub category_code: Option<String>,
    pub note: Option<String>,
}

impl ReassignCaseInput {
    pub fn validate(self, organisation: &Organisation) -> Result<ValidReassignment, Invalid> {
        let reference = palaute_core::Reference::parse(self.reference.trim())
            .map_err(|error| bad_input("reference", error.to_string()))?;
        let target = reassign_target(
            organisation,
            &self.unit_code,
            self.category_code.as_deref(),
            self.note.as_deref(),
        )?;
        Ok(ValidReassignment {
            reference,
            version: self.version,
            unit_code: target.unit_code,
            category_code: target.category_code,
            note: target.note,
        })
    }
}

/// Where a case is moved, checked against the organisation.
#[derive(Debug, Clone)]
pub struct ReassignTarget {
    pub unit_code: String,
    pub category_code: Option<String>,
    pub note: Option<String>,
}

/// Checks a reassignment's unit (known, not triage), category and note.
pub fn reassign_target(
    organisation: &Organisation,
    unit_code: &str,
    category_code: Option<&str>,
    note: Option<&str>,
) -> Result<ReassignTarget, Invalid> {
    let unit_code = unit_code.trim().to_owned();
    if organisation.unit(&unit_code).is_none() {
        return Err(bad_input(
            "unitCode",
            format!("unknown unit {unit_code:?}; the query `units` lists them"),
        ));
    }
    if unit_code == organisation.triage_unit {
        return Err(bad_input(
            "unitCode",
            "a case cannot be assigned to the triage unit; choose the unit that handles it",
        ));
    }
    let category_code = known_category(organisation, category_code)
        .map_err(|message| bad_input("categoryCode", message))?;
    let note = normalize_optional(note);
    if let Some(message) = note
        .as_deref()
        .and_then(|note| too_long("note", note, MAX_NOTE_CHARS))
    {
        return Err(bad_input("note", message));
    }
    Ok(ReassignTarget {
        unit_code,
        category_code,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(description: &str) -> SubmitFeedbackInput {
        SubmitFeedbackInput {
            channel: Channel::Web,
            description: description.into(),
            title: None,
            category_code: None,
            language: None,
            contact: None,
            location: None,
            idempotency_key: None,
            answers: None,
        }
    }

    fn extension(error: &Invalid, name: &str) -> async_graphql::Value {
        error
            .extensions
            .as_ref()
            .and_then(|extensions| extensions.get(name))
            .cloned()
            .unwrap_or(async_graphql::Value::Null)
    }

    /// The rules are core's (tested there); here, that each broken rule is reported
    /// under its GraphQL name, the first one as `field`.
    #[test]
    fn broken_rules_are_named_as_the_input_names_them() {
        let helsinki = Organisation::helsinki();
        let mut bad = input("");
        bad.category_code = Some("999".into());
        bad.contact = Some(ContactInput {
            email: Some("\"x\"@example.com".into()),
            phone: Some("call me".into()),
            ..Default::default()
        });
        bad.location = Some(LocationInput {
            lat: Some(91.0),
            lon: Some(24.9),
            address: None,
        });
        let error = bad.validate(&helsinki).expect_err("invalid");
        assert_eq!(
            extension(&error, "field"),
            async_graphql::Value::from("description")
        );
        assert_eq!(
            extension(&error, "code"),
            async_graphql::Value::from("BAD_USER_INPUT")
        );
        let async_graphql::Value::List(problems) = extension(&error, "problems") else {
            panic!("no problems listed: {error:?}");
        };
        let named: Vec<String> = problems
            .iter()
            .filter_map(|problem| match problem {
                async_graphql::Value::Object(fields) => {
                    fields.get("field").map(ToString::to_string)
                }
                _ => None,
            })
            .collect();
        assert_eq!(
            named,
            [
                "\"description\"",
                "\"categoryCode\"",
                "\"contact.email\"",
                "\"contact.phone\"",
                "\"location.lat\""
            ]
        );
        let mut half = input("Kuoppa");
        half.location = Some(LocationInput {
            lat: Some(60.17),
            ..Default::default()
        });
        let error = half.validate(&helsinki).expect_err("half a location");
        assert_eq!(
            extension(&error, "field"),
            async_graphql::Value::from("location")
        );
    }

    #[test]
    fn a_valid_input_becomes_the_case_the_store_saves() {
        let mut good = input("  Katulamppu  on rikki ");
        good.contact = Some(ContactInput {
            email: Some("maija.meikalainen+palaute@Example.FI".into()),
            ..Default::default()
        });
        good.location = Some(LocationInput {
            lat: Some(60.17),
            lon: Some(24.94),
            address: Some(" Mannerheimintie 1 ".into()),
        });
        let case = good.validate(&Organisation::helsinki()).expect("valid");
        assert_eq!(case.description, "Katulamppu  on rikki");
        assert_eq!(
            case.contact.and_then(|contact| contact.email).as_deref(),
            Some("maija.meikalainen+palaute@example.fi")
        );
        let location = case.location.expect("location");
        assert_eq!((location.lat, location.lon), (Some(60.17), Some(24.94)));
        assert_eq!(location.address.as_deref(), Some("Mannerheimintie 1"));
    }
}
