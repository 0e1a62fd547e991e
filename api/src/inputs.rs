//! GraphQL inputs and their validation. Validation turns an input into the store's
//! `NewCase` or names the first field that is wrong; nothing is stored before it passes.

use std::str::FromStr;

use async_graphql::InputObject;
use chrono::{DateTime, Utc};
use palaute_core::text::{normalize, normalize_optional};
use palaute_core::{Organisation, token::sha256_hex};
use palaute_search_index::SearchFilters;
use palaute_store::{CaseFilter, ContactDetails, Location, NewCase};

use crate::errors::bad_input;
use crate::types::{CaseLanguage, CaseStatus, Channel, Language};

pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_TITLE_CHARS: usize = 200;
const MAX_NAME_CHARS: usize = 200;
const MAX_ADDRESS_CHARS: usize = 500;
const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;

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
        }
    }
}

impl CaseFilterInput {
    pub fn into_filter(self) -> CaseFilter {
        CaseFilter {
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
        }
    }
}

type Invalid = async_graphql::Error;

impl SubmitFeedbackInput {
    /// Checks every field and builds what the store saves.
    pub fn validate(self, organisation: &Organisation) -> Result<NewCase, Invalid> {
        let description = normalize(&self.description);
        if description.is_empty() {
            return Err(bad_input("description", "description must not be empty"));
        }
        check_length("description", &description, MAX_DESCRIPTION_CHARS)?;
        let title = normalize_optional(self.title.as_deref());
        if let Some(title) = &title {
            check_length("title", title, MAX_TITLE_CHARS)?;
        }
        let category_code = known_category(organisation, self.category_code.as_deref())?;
        let contact = self.contact.map(validate_contact).transpose()?.flatten();
        let location = self.location.map(validate_location).transpose()?.flatten();
        let idempotency_key = normalize_optional(self.idempotency_key.as_deref());
        if let Some(key) = &idempotency_key {
            check_length("idempotencyKey", key, MAX_IDEMPOTENCY_KEY_CHARS)?;
        }
        let stated_language = self.language.map(Into::into);
        let fingerprint = fingerprint(&[
            palaute_core::Channel::from(self.channel).code(),
            &description,
            title.as_deref().unwrap_or(""),
            category_code.as_deref().unwrap_or(""),
            &format!("{contact:?}|{location:?}|{stated_language:?}"),
        ]);
        Ok(NewCase {
            channel: self.channel.into(),
            title,
            description,
            stated_language,
            category_code,
            contact,
            location,
            idempotency_key,
            fingerprint,
        })
    }
}

/// The normalised category code, if given, after checking the organisation has it.
fn known_category(
    organisation: &Organisation,
    code: Option<&str>,
) -> Result<Option<String>, Invalid> {
    let code = normalize_optional(code);
    if let Some(code) = &code
        && organisation.category(code).is_none()
    {
        return Err(bad_input(
            "categoryCode",
            format!("unknown category {code:?}; the query `categories` lists them"),
        ));
    }
    Ok(code)
}

fn check_length(field: &str, value: &str, max_chars: usize) -> Result<(), Invalid> {
    let length = value.chars().count();
    if length > max_chars {
        return Err(bad_input(
            field,
            format!("{field} is {length} characters long; at most {max_chars} are accepted"),
        ));
    }
    Ok(())
}

fn validate_contact(input: ContactInput) -> Result<Option<ContactDetails>, Invalid> {
    let name = normalize_optional(input.name.as_deref());
    if let Some(name) = &name {
        check_length("contact.name", name, MAX_NAME_CHARS)?;
    }
    let email = normalize_optional(input.email.as_deref())
        .map(|email| deliverable_address(&email))
        .transpose()?;
    let phone = normalize_optional(input.phone.as_deref());
    if let Some(phone) = &phone {
        let digits = phone.chars().filter(char::is_ascii_digit).count();
        let allowed = phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'));
        if !allowed || !(5..=20).contains(&digits) {
            return Err(bad_input(
                "contact.phone",
                "a phone number has 5 to 20 digits and may contain + - ( ) and spaces",
            ));
        }
    }
    if name.is_none() && email.is_none() && phone.is_none() {
        return Ok(None);
    }
    Ok(Some(ContactDetails { name, email, phone }))
}

/// An address the acknowledgement can be delivered to: palaute's own rules, then the
/// mailbox and envelope that delivery builds, so that no accepted address fails there.
fn deliverable_address(email: &str) -> Result<String, Invalid> {
    let address = palaute_core::EmailAddress::parse(email)
        .map_err(|error| bad_input("contact.email", error.to_string()))?;
    let deliverable = lettre::Address::from_str(address.as_str())
        .ok()
        .and_then(|to| lettre::address::Envelope::new(None, vec![to]).ok());
    if deliverable.is_none() {
        return Err(bad_input(
            "contact.email",
            format!("{email:?} is not an email address palaute can write to"),
        ));
    }
    Ok(address.into_string())
}

fn validate_location(input: LocationInput) -> Result<Option<Location>, Invalid> {
    match (input.lat, input.lon) {
        (Some(lat), Some(lon)) => {
            if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
                return Err(bad_input(
                    "location.lat",
                    "latitude must be between -90 and 90",
                ));
            }
            if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
                return Err(bad_input(
                    "location.lon",
                    "longitude must be between -180 and 180",
                ));
            }
        }
        (None, None) => {}
        _ => {
            return Err(bad_input("location", "give both lat and lon, or neither"));
        }
    }
    let address = normalize_optional(input.address.as_deref());
    if let Some(address) = &address {
        check_length("location.address", address, MAX_ADDRESS_CHARS)?;
    }
    if input.lat.is_none() && address.is_none() {
        return Ok(None);
    }
    Ok(Some(Location {
        lat: input.lat,
        lon: input.lon,
        address,
    }))
}

fn fingerprint(parts: &[&str]) -> String {
    sha256_hex(parts.join("\u{1f}").as_bytes())
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
        }
    }

    fn field_of(error: &Invalid) -> String {
        let extensions = error.extensions.as_ref().expect("extensions");
        match extensions.get("field") {
            Some(async_graphql::Value::String(field)) => field.clone(),
            other => panic!("no field: {other:?}"),
        }
    }

    #[test]
    fn rejects_empty_and_overlong_descriptions() {
        let helsinki = Organisation::helsinki();
        for bad in ["", "   \n\t "] {
            let error = input(bad).validate(&helsinki).expect_err("empty");
            assert_eq!(field_of(&error), "description");
        }
        let long = "a".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert_eq!(
            field_of(&input(&long).validate(&helsinki).expect_err("long")),
            "description"
        );
        let exact = "ä".repeat(MAX_DESCRIPTION_CHARS);
        assert!(
            input(&exact).validate(&helsinki).is_ok(),
            "limit counts characters, not bytes"
        );
    }

    #[test]
    fn normalises_text_to_nfc() {
        let case = input("  Ka\u{0308}velytie  ")
            .validate(&Organisation::helsinki())
            .expect("valid");
        assert_eq!(case.description, "Kävelytie");
    }

    #[test]
    fn rejects_bad_contact_location_and_category() {
        let helsinki = Organisation::helsinki();
        let mut bad_email = input("Kuoppa");
        bad_email.contact = Some(ContactInput {
            email: Some("not an address".into()),
            ..Default::default()
        });
        assert_eq!(
            field_of(&bad_email.validate(&helsinki).expect_err("email")),
            "contact.email"
        );

        let mut bad_phone = input("Kuoppa");
        bad_phone.contact = Some(ContactInput {
            phone: Some("call me".into()),
            ..Default::default()
        });
        assert_eq!(
            field_of(&bad_phone.validate(&helsinki).expect_err("phone")),
            "contact.phone"
        );

        let mut half_location = input("Kuoppa");
        half_location.location = Some(LocationInput {
            lat: Some(60.17),
            ..Default::default()
        });
        assert_eq!(
            field_of(&half_location.validate(&helsinki).expect_err("loc")),
            "location"
        );

        let mut far = input("Kuoppa");
        far.location = Some(LocationInput {
            lat: Some(91.0),
            lon: Some(24.9),
            address: None,
        });
        assert_eq!(
            field_of(&far.validate(&helsinki).expect_err("lat")),
            "location.lat"
        );

        let mut unknown = input("Kuoppa");
        unknown.category_code = Some("999".into());
        assert_eq!(
            field_of(&unknown.validate(&helsinki).expect_err("cat")),
            "categoryCode"
        );
    }

    #[test]
    fn addresses_that_cannot_be_delivered_are_refused() {
        let helsinki = Organisation::helsinki();
        for bad in [
            "\"x\"@example.com",
            "a@[127.0.0.1]",
            "a@localhost",
            "a\u{202E}b@example.com",
        ] {
            let mut input = input("Kuoppa");
            input.contact = Some(ContactInput {
                email: Some(bad.into()),
                ..Default::default()
            });
            let error = input.validate(&helsinki).expect_err(bad);
            assert_eq!(field_of(&error), "contact.email", "{bad}");
        }
        let mut good = input("Kuoppa");
        good.contact = Some(ContactInput {
            email: Some("maija.meikalainen+palaute@Example.FI".into()),
            ..Default::default()
        });
        let case = good.validate(&helsinki).expect("valid");
        assert_eq!(
            case.contact.and_then(|contact| contact.email).as_deref(),
            Some("maija.meikalainen+palaute@example.fi")
        );
    }

    #[test]
    fn same_content_same_fingerprint() {
        let helsinki = Organisation::helsinki();
        let a = input("Kuoppa").validate(&helsinki).expect("valid");
        let b = input(" Kuoppa ").validate(&helsinki).expect("valid");
        let c = input("Kuoppa!").validate(&helsinki).expect("valid");
        assert_eq!(a.fingerprint, b.fingerprint);
        assert_ne!(a.fingerprint, c.fingerprint);
    }
}

const MAX_NOTE_CHARS: usize = 2_000;

/// A staff decision: the unit (and optionally the category) a case belongs to.
#[derive(InputObject, Debug, Clone)]
pub struct ReassignCaseInput {
    pub reference: String,
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
    pub unit_code: String,
    pub category_code: Option<String>,
    pub note: Option<String>,
}

impl ReassignCaseInput {
    pub fn validate(self, organisation: &Organisation) -> Result<ValidReassignment, Invalid> {
        let reference = palaute_core::Reference::parse(self.reference.trim())
            .map_err(|error| bad_input("reference", error.to_string()))?;
        let unit_code = self.unit_code.trim().to_owned();
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
        let category_code = known_category(organisation, self.category_code.as_deref())?;
        let note = normalize_optional(self.note.as_deref());
        if let Some(note) = &note {
            check_length("note", note, MAX_NOTE_CHARS)?;
        }
        Ok(ValidReassignment {
            reference,
            unit_code,
            category_code,
            note,
        })
    }
}
