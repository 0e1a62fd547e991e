//! Every intake rule, in one place: what a resident's submission must be before it is
//! stored, whatever door it came through (GraphQL, Open311, email, a web form).
//!
//! A door maps its wire format to a [`RawSubmission`], calls [`Submission::parse`], and
//! maps each [`FieldError`] back to its own field names and error shape. Every problem
//! is reported, not only the first, so that a form can show each next to its field.

use std::fmt;

use crate::email::EmailAddress;
use crate::guidance::{Answer, GuidanceProblem, check_answers};
use crate::org::Organisation;
use crate::text::{normalize, normalize_optional};
use crate::token::sha256_hex;
use crate::{Channel, Language};

pub const MAX_DESCRIPTION_CHARS: usize = 10_000;
pub const MAX_TITLE_CHARS: usize = 200;
pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_ADDRESS_CHARS: usize = 500;
pub const MAX_IDEMPOTENCY_KEY_CHARS: usize = 200;
const PHONE_DIGITS: std::ops::RangeInclusive<usize> = 5..=20;

/// A submission as a door received it: text untrimmed and unchecked.
#[derive(Debug, Clone, PartialEq)]
pub struct RawSubmission {
    pub channel: Channel,
    pub description: String,
    pub title: Option<String>,
    /// An Open311 service code of the organisation.
    pub category_code: Option<String>,
    /// The language the submitter chose.
    pub language: Option<Language>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub address: Option<String>,
    pub idempotency_key: Option<String>,
    /// Answers to the category's extra questions, `(question code, value)`; a
    /// multiple-choice question may appear once per chosen key.
    pub answers: Vec<(String, String)>,
}

impl RawSubmission {
    /// A submission of `description` through `channel`, every other field empty.
    pub fn new(channel: Channel, description: impl Into<String>) -> Self {
        Self {
            channel,
            description: description.into(),
            title: None,
            category_code: None,
            language: None,
            contact_name: None,
            contact_email: None,
            contact_phone: None,
            latitude: None,
            longitude: None,
            address: None,
            idempotency_key: None,
            answers: Vec::new(),
        }
    }
}

/// A submission that passed every rule: NFC-normalised, trimmed, within its limits.
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    pub channel: Channel,
    pub description: String,
    pub title: Option<String>,
    pub category_code: Option<String>,
    pub stated_language: Option<Language>,
    /// `None` when no contact detail was given.
    pub contact: Option<Contact>,
    /// `None` when neither coordinates nor an address were given.
    pub location: Option<Place>,
    pub idempotency_key: Option<String>,
    /// Answers to the category's questions, checked, in the questions' order.
    pub answers: Vec<Answer>,
    /// A digest of the content: the same key with other content is a conflict, not a
    /// replay. Computed from the normalised fields in a fixed encoding.
    pub fingerprint: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contact {
    pub name: Option<String>,
    pub email: Option<EmailAddress>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Coordinates {
    /// WGS84, -90 to 90.
    pub latitude: f64,
    /// WGS84, -180 to 180.
    pub longitude: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    pub coordinates: Option<Coordinates>,
    pub address: Option<String>,
}

/// The field of a [`RawSubmission`] a problem is about; doors name it their own way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Description,
    Title,
    CategoryCode,
    ContactName,
    ContactEmail,
    ContactPhone,
    /// The coordinates as a pair (one given without the other).
    Coordinates,
    Latitude,
    Longitude,
    Address,
    IdempotencyKey,
    /// An answer to one of the category's questions; [`FieldError::guidance`] names it.
    Answer,
}

/// Which rule a [`FieldError`] broke, for a door that says it in its own words (the
/// web form speaks Finnish, Swedish and English; the message is English only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldRule {
    /// Empty where a value is needed.
    Required,
    /// Longer than `max` characters.
    TooLong { max: usize },
    /// Not an email address.
    InvalidEmail,
    /// Not a phone number (5 to 20 digits, with `+ - ( )` and spaces).
    InvalidPhone,
    /// A category the organisation does not offer.
    UnknownCategory,
    /// A coordinate outside its range (or not a finite number).
    OutOfRange,
    /// Only one of latitude and longitude.
    IncompleteCoordinates,
    /// The category's guidance refused it: [`FieldError::guidance`] says how.
    Guidance,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: Field,
    pub rule: FieldRule,
    /// In English, naming the rule ("… is 10,342 characters long; at most 10,000 …").
    pub message: String,
    /// Set when the category's guidance refused the submission (a redirect, or an
    /// answer to its questions), so a door can say it in the resident's language.
    pub guidance: Option<GuidanceProblem>,
}

/// Every broken rule of one submission, in field order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn first(&self) -> Option<&FieldError> {
        self.0.first()
    }

    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let messages: Vec<&str> = self.0.iter().map(|error| error.message.as_str()).collect();
        formatter.write_str(&messages.join("; "))
    }
}

impl std::error::Error for FieldErrors {}

impl Submission {
    /// Checks every rule and builds the submission, or lists every broken rule.
    pub fn parse(raw: RawSubmission, organisation: &Organisation) -> Result<Self, FieldErrors> {
        let mut errors = Vec::new();
        let mut refuse = |field, rule, message: String| {
            errors.push(FieldError {
                field,
                rule,
                message,
                guidance: None,
            });
        };

        let description = normalize(&raw.description);
        if description.is_empty() {
            refuse(
                Field::Description,
                FieldRule::Required,
                "description must not be empty".to_owned(),
            );
        } else if let Some(message) = too_long("description", &description, MAX_DESCRIPTION_CHARS) {
            refuse(
                Field::Description,
                FieldRule::TooLong {
                    max: MAX_DESCRIPTION_CHARS,
                },
                message,
            );
        }
        let title = normalize_optional(raw.title.as_deref());
        if let Some(message) = title
            .as_deref()
            .and_then(|title| too_long("title", title, MAX_TITLE_CHARS))
        {
            refuse(
                Field::Title,
                FieldRule::TooLong {
                    max: MAX_TITLE_CHARS,
                },
                message,
            );
        }
        let category_code = known_category(organisation, raw.category_code.as_deref())
            .unwrap_or_else(|message| {
                refuse(Field::CategoryCode, FieldRule::UnknownCategory, message);
                None
            });

        let name = normalize_optional(raw.contact_name.as_deref());
        if let Some(message) = name
            .as_deref()
            .and_then(|name| too_long("name", name, MAX_NAME_CHARS))
        {
            refuse(
                Field::ContactName,
                FieldRule::TooLong {
                    max: MAX_NAME_CHARS,
                },
                message,
            );
        }
        let email = match normalize_optional(raw.contact_email.as_deref()) {
            Some(email) => match EmailAddress::parse(&email) {
                Ok(email) => Some(email),
                Err(error) => {
                    refuse(
                        Field::ContactEmail,
                        FieldRule::InvalidEmail,
                        error.to_string(),
                    );
                    None
                }
            },
            None => None,
        };
        let phone = normalize_optional(raw.contact_phone.as_deref());
        if let Some(phone) = &phone
            && !is_phone_number(phone)
        {
            refuse(
                Field::ContactPhone,
                FieldRule::InvalidPhone,
                "a phone number has 5 to 20 digits and may contain + - ( ) and spaces".to_owned(),
            );
        }

        let coordinates = match (raw.latitude, raw.longitude) {
            (Some(latitude), Some(longitude)) => {
                let mut valid = true;
                if !latitude.is_finite() || !(-90.0..=90.0).contains(&latitude) {
                    refuse(
                        Field::Latitude,
                        FieldRule::OutOfRange,
                        "latitude must be between -90 and 90".to_owned(),
                    );
                    valid = false;
                }
                if !longitude.is_finite() || !(-180.0..=180.0).contains(&longitude) {
                    refuse(
                        Field::Longitude,
                        FieldRule::OutOfRange,
                        "longitude must be between -180 and 180".to_owned(),
                    );
                    valid = false;
                }
                valid.then_some(Coordinates {
                    latitude,
                    longitude,
                })
            }
            (None, None) => None,
            _ => {
                refuse(
                    Field::Coordinates,
                    FieldRule::IncompleteCoordinates,
                    "give both latitude and longitude, or neither".to_owned(),
                );
                None
            }
        };
        let address = normalize_optional(raw.address.as_deref());
        if let Some(message) = address
            .as_deref()
            .and_then(|address| too_long("address", address, MAX_ADDRESS_CHARS))
        {
            refuse(
                Field::Address,
                FieldRule::TooLong {
                    max: MAX_ADDRESS_CHARS,
                },
                message,
            );
        }
        let idempotency_key = normalize_optional(raw.idempotency_key.as_deref());
        if let Some(message) = idempotency_key
            .as_deref()
            .and_then(|key| too_long("idempotency key", key, MAX_IDEMPOTENCY_KEY_CHARS))
        {
            refuse(
                Field::IdempotencyKey,
                FieldRule::TooLong {
                    max: MAX_IDEMPOTENCY_KEY_CHARS,
                },
                message,
            );
        }

        let category = category_code
            .as_deref()
            .and_then(|code| organisation.category(code));
        // Answers are judged only against a category that is known to be the one chosen.
        let category_is_settled = category.is_some() || raw.category_code.is_none();
        let answers = if category_is_settled {
            check_answers(category, &raw.answers).unwrap_or_else(|problems| {
                errors.extend(problems.into_iter().map(|problem| FieldError {
                    field: match problem {
                        GuidanceProblem::Redirected(_) => Field::CategoryCode,
                        _ => Field::Answer,
                    },
                    rule: FieldRule::Guidance,
                    message: problem.message(),
                    guidance: Some(problem),
                }));
                Vec::new()
            })
        } else {
            Vec::new()
        };

        if !errors.is_empty() {
            return Err(FieldErrors(errors));
        }
        let contact = (name.is_some() || email.is_some() || phone.is_some()).then_some(Contact {
            name,
            email,
            phone,
        });
        let location = (coordinates.is_some() || address.is_some()).then_some(Place {
            coordinates,
            address,
        });
        let mut submission = Self {
            channel: raw.channel,
            description,
            title,
            category_code,
            stated_language: raw.language,
            contact,
            location,
            idempotency_key,
            answers,
            fingerprint: String::new(),
        };
        submission.fingerprint = submission.content_fingerprint();
        Ok(submission)
    }

    /// SHA-256 over every content field in a fixed, unambiguous encoding (each part
    /// length-prefixed), so the digest changes only when the content does.
    fn content_fingerprint(&self) -> String {
        let contact = self.contact.as_ref();
        let coordinates = self
            .location
            .as_ref()
            .and_then(|place| place.coordinates)
            .map(|at| format!("{},{}", at.latitude, at.longitude));
        let parts: [Option<&str>; 10] = [
            Some(self.channel.code()),
            Some(&self.description),
            self.title.as_deref(),
            self.category_code.as_deref(),
            self.stated_language.map(Language::code),
            contact.and_then(|contact| contact.name.as_deref()),
            contact.and_then(|contact| contact.email.as_ref().map(EmailAddress::as_str)),
            contact.and_then(|contact| contact.phone.as_deref()),
            coordinates.as_deref(),
            self.location
                .as_ref()
                .and_then(|place| place.address.as_deref()),
        ];
        let mut encoded = String::from("palaute-submission/1");
        for part in parts {
            match part {
                Some(text) => encoded.push_str(&format!("|{}:{text}", text.len())),
                None => encoded.push_str("|-"),
            }
        }
        // Appended only when present, so a submission without answers keeps the
        // digest it had before questions existed (a retried request still replays).
        for answer in &self.answers {
            let part = format!("{}={}", answer.code, answer.value);
            encoded.push_str(&format!("|a{}:{part}", part.len()));
        }
        sha256_hex(encoded.as_bytes())
    }
}

/// The normalised category code, if one was given, after checking the organisation
/// offers it; the message says why not. Every door that takes a category uses this.
pub fn known_category(
    organisation: &Organisation,
    code: Option<&str>,
) -> Result<Option<String>, String> {
    let code = normalize_optional(code);
    if let Some(code) = &code
        && organisation.category(code).is_none()
    {
        return Err(format!(
            "unknown category {code:?}; the list of categories names them"
        ));
    }
    Ok(code)
}

/// Why `value` is too long, counted in characters, or `None` when it fits.
pub fn too_long(what: &str, value: &str, max_chars: usize) -> Option<String> {
    let length = value.chars().count();
    (length > max_chars)
        .then(|| format!("{what} is {length} characters long; at most {max_chars} are accepted"))
}

fn is_phone_number(phone: &str) -> bool {
    let digits = phone.chars().filter(char::is_ascii_digit).count();
    PHONE_DIGITS.contains(&digits)
        && phone
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(description: &str) -> RawSubmission {
        RawSubmission::new(Channel::Web, description)
    }

    fn fields(errors: &FieldErrors) -> Vec<Field> {
        errors.iter().map(|error| error.field).collect()
    }

    #[test]
    fn answers_are_checked_against_the_categorys_questions() {
        let helsinki = Organisation::helsinki();
        let mut pothole = raw("Iso kuoppa");
        pothole.category_code = Some("171".into());
        let without = Submission::parse(pothole.clone(), &helsinki).expect("valid");
        pothole.answers = vec![("size".into(), "large".into())];
        let with = Submission::parse(pothole.clone(), &helsinki).expect("valid");
        assert_eq!(with.answers.len(), 1);
        assert_ne!(with.fingerprint, without.fingerprint, "answers are content");

        pothole.answers = vec![("size".into(), "enormous".into())];
        let errors = Submission::parse(pothole, &helsinki).expect_err("not a choice");
        assert_eq!(fields(&errors), [Field::Answer]);
        assert_eq!(
            errors.first().and_then(|e| e.guidance.as_ref()?.question()),
            Some("size")
        );
    }

    #[test]
    fn each_error_names_its_rule_for_doors_that_translate() {
        let helsinki = Organisation::helsinki();
        let mut broken = raw(&"x".repeat(MAX_DESCRIPTION_CHARS + 1));
        broken.category_code = Some("no-such-category".into());
        broken.contact_email = Some("not an address".into());
        broken.contact_phone = Some("12".into());
        broken.latitude = Some(91.0);
        broken.longitude = Some(24.9);
        let errors = Submission::parse(broken, &helsinki).expect_err("broken");
        let rules: Vec<(Field, FieldRule)> = errors
            .iter()
            .map(|error| (error.field, error.rule))
            .collect();
        assert_eq!(
            rules,
            [
                (
                    Field::Description,
                    FieldRule::TooLong {
                        max: MAX_DESCRIPTION_CHARS
                    }
                ),
                (Field::CategoryCode, FieldRule::UnknownCategory),
                (Field::ContactEmail, FieldRule::InvalidEmail),
                (Field::ContactPhone, FieldRule::InvalidPhone),
                (Field::Latitude, FieldRule::OutOfRange),
            ]
        );
        let mut half = raw(" ");
        half.latitude = Some(60.1);
        let errors = Submission::parse(half, &helsinki).expect_err("broken");
        let rules: Vec<FieldRule> = errors.iter().map(|error| error.rule).collect();
        assert_eq!(
            rules,
            [FieldRule::Required, FieldRule::IncompleteCoordinates]
        );
        let mut danger = raw("Sähköjohto roikkuu tiellä");
        danger.category_code = Some("danger".into());
        let errors = Submission::parse(danger, &helsinki).expect_err("redirected");
        assert_eq!(
            errors.first().map(|error| error.rule),
            Some(FieldRule::Guidance)
        );
    }

    #[test]
    fn a_redirected_category_stops_the_submission_at_every_door() {
        let helsinki = Organisation::helsinki();
        let mut danger = raw("Sähköjohto roikkuu tiellä");
        danger.category_code = Some("danger".into());
        let errors = Submission::parse(danger, &helsinki).expect_err("redirected");
        assert_eq!(fields(&errors), [Field::CategoryCode]);
        assert!(errors.to_string().contains("112"), "{errors}");
    }

    #[test]
    fn a_submission_without_answers_keeps_its_earlier_fingerprint() {
        // Recorded before questions existed: a retried request must still replay.
        let submission =
            Submission::parse(raw("Kuoppa"), &Organisation::helsinki()).expect("valid");
        assert_eq!(
            submission.fingerprint,
            sha256_hex(b"palaute-submission/1|3:web|6:Kuoppa|-|-|-|-|-|-|-|-")
        );
    }

    #[test]
    fn text_is_normalised_and_limited_in_characters() {
        let helsinki = Organisation::helsinki();
        let parsed = Submission::parse(raw("  Ka\u{0308}velytie  "), &helsinki).expect("valid");
        assert_eq!(parsed.description, "Kävelytie");
        for empty in ["", " \n\t "] {
            let errors = Submission::parse(raw(empty), &helsinki).expect_err("empty");
            assert_eq!(fields(&errors), [Field::Description]);
        }
        let long = "a".repeat(MAX_DESCRIPTION_CHARS + 1);
        assert!(Submission::parse(raw(&long), &helsinki).is_err());
        let exact = "ä".repeat(MAX_DESCRIPTION_CHARS);
        assert!(
            Submission::parse(raw(&exact), &helsinki).is_ok(),
            "characters, not bytes"
        );
    }

    #[test]
    fn every_broken_rule_is_reported() {
        let mut submission = raw("");
        submission.title = Some("t".repeat(MAX_TITLE_CHARS + 1));
        submission.category_code = Some("999".into());
        submission.contact_email = Some("\"x\"@example.com".into());
        submission.contact_phone = Some("call me".into());
        submission.latitude = Some(91.0);
        submission.longitude = Some(f64::NAN);
        submission.idempotency_key = Some("k".repeat(MAX_IDEMPOTENCY_KEY_CHARS + 1));
        let errors = Submission::parse(submission, &Organisation::helsinki()).expect_err("bad");
        assert_eq!(
            fields(&errors),
            [
                Field::Description,
                Field::Title,
                Field::CategoryCode,
                Field::ContactEmail,
                Field::ContactPhone,
                Field::Latitude,
                Field::Longitude,
                Field::IdempotencyKey,
            ]
        );
        let mut half = raw("Kuoppa");
        half.latitude = Some(60.17);
        let errors = Submission::parse(half, &Organisation::helsinki()).expect_err("half");
        assert_eq!(fields(&errors), [Field::Coordinates]);
    }

    #[test]
    fn empty_contact_and_place_are_none() {
        let mut submission = raw("Kuoppa");
        submission.contact_name = Some("   ".into());
        submission.address = Some("".into());
        let parsed = Submission::parse(submission, &Organisation::helsinki()).expect("valid");
        assert_eq!(parsed.contact, None);
        assert_eq!(parsed.location, None);
    }

    #[test]
    fn the_fingerprint_follows_the_content_only() {
        let helsinki = Organisation::helsinki();
        let fingerprint = |submission: RawSubmission| {
            Submission::parse(submission, &helsinki)
                .expect("valid")
                .fingerprint
        };
        let base = fingerprint(raw("Kuoppa"));
        assert_eq!(base, fingerprint(raw(" Kuoppa ")));
        assert_ne!(base, fingerprint(raw("Kuoppa!")));
        let mut keyed = raw("Kuoppa");
        keyed.idempotency_key = Some("retry-1".into());
        assert_eq!(base, fingerprint(keyed), "the key is not content");
        // Moving text between fields changes the digest, even where a plain join would not.
        let mut title = raw("b");
        title.title = Some("a".into());
        let mut other = raw("a");
        other.title = Some("b".into());
        assert_ne!(fingerprint(title), fingerprint(other));
        // A pinned value: the digest must not change between versions by accident.
        assert_eq!(
            base,
            sha256_hex(b"palaute-submission/1|3:web|6:Kuoppa|-|-|-|-|-|-|-|-")
        );
    }
}
