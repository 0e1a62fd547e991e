//! The form's problems in the page's language, each tied to the id of the field it is
//! about (the summary links to `#<field>`, the field names `<field>-error`).

use palaute_core::attachment::AttachmentError;
use palaute_core::guidance::{GuidanceProblem, MAX_ANSWER_CHARS};
use palaute_core::settings::AttachmentSettings;
use palaute_core::{Field, FieldError, FieldRule, Language};

use crate::guidance::answer_name;
use crate::i18n::texts;

/// One problem as the form shows it.
pub struct ShownError {
    /// The id of the form field it is about.
    pub field: String,
    pub message: String,
    /// Where to go instead, for a redirected category (`tel:112`).
    pub url: Option<String>,
}

impl ShownError {
    pub fn new(field: &str, message: String) -> Self {
        Self {
            field: field.to_owned(),
            message,
            url: None,
        }
    }
}

/// The form's fields in the order they appear, for the error summary; the category's
/// questions (`answer-…`) come after the title.
const FIELD_ORDER: [&str; 9] = [
    "category",
    "description",
    "title",
    "answer-",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "photos",
];

pub fn field_order(field: &str) -> usize {
    FIELD_ORDER
        .iter()
        .position(|known| *known == field || (known.ends_with('-') && field.starts_with(known)))
        .unwrap_or(FIELD_ORDER.len())
}

/// The form field a submission field is entered in. The coordinates are hidden
/// fields filled by "use my location": their problems belong to the place's input.
fn field_id(field: Field) -> &'static str {
    match field {
        Field::CategoryCode => "category",
        Field::Title => "title",
        Field::ContactName => "contact_name",
        Field::ContactEmail => "contact_email",
        Field::ContactPhone => "contact_phone",
        Field::Coordinates | Field::Latitude | Field::Longitude | Field::Address => "address",
        // The description, and what has no input of its own (the hidden idempotency
        // key; answers are placed by their question).
        Field::Description | Field::IdempotencyKey | Field::Answer => "description",
    }
}

/// A broken intake rule, said in `language`; `category` is the chosen category's code,
/// whose questions' inputs carry answers' problems.
pub fn field_error(language: Language, error: &FieldError, category: &str) -> ShownError {
    let t = texts(language);
    if let Some(problem) = &error.guidance {
        return guidance_error(language, problem, category);
    }
    let message = match error.rule {
        FieldRule::Required => t.err_required.to_owned(),
        FieldRule::TooLong { max } => t.err_too_long_template.replace("{max}", &max.to_string()),
        FieldRule::InvalidEmail => t.err_email_invalid.to_owned(),
        FieldRule::InvalidPhone => t.err_phone_invalid.to_owned(),
        FieldRule::UnknownCategory => t.err_category_unknown.to_owned(),
        FieldRule::OutOfRange | FieldRule::IncompleteCoordinates => {
            t.err_location_invalid.to_owned()
        }
        FieldRule::Guidance => t.err_invalid.to_owned(),
    };
    ShownError::new(field_id(error.field), message)
}

/// What the category's guidance refused, next to the question (or the category).
fn guidance_error(language: Language, problem: &GuidanceProblem, category: &str) -> ShownError {
    let t = texts(language);
    let at_question = |template: &str, code: &str| {
        ShownError::new(&answer_name(category, code), template.to_owned())
    };
    match problem {
        GuidanceProblem::Redirected(redirect) => ShownError {
            field: "category".to_owned(),
            message: redirect.message.get(language).to_owned(),
            url: redirect.url.clone(),
        },
        GuidanceProblem::Missing { code } => at_question(t.err_answer_missing, code),
        GuidanceProblem::NotAChoice { code, .. } | GuidanceProblem::OneAnswerOnly { code } => {
            at_question(t.err_answer_choice, code)
        }
        GuidanceProblem::NotANumber { code } => at_question(t.err_answer_number, code),
        GuidanceProblem::NotADate { code } => at_question(t.err_answer_date, code),
        GuidanceProblem::TooLong { code } => at_question(
            &t.err_too_long_template
                .replace("{max}", &MAX_ANSWER_CHARS.to_string()),
            code,
        ),
        // Only a hand-made request answers questions the category does not ask.
        GuidanceProblem::UnknownQuestion { .. } | GuidanceProblem::TooMany => {
            ShownError::new("category", t.err_invalid.to_owned())
        }
    }
}

/// Coordinates that are not numbers (only a hand-made request sends them).
pub fn location_error(language: Language) -> ShownError {
    ShownError::new("address", texts(language).err_location_invalid.to_owned())
}

/// A refused photo, said in `language`.
pub fn photo_error(
    language: Language,
    limits: &AttachmentSettings,
    error: &AttachmentError,
) -> ShownError {
    let t = texts(language);
    let message = match error {
        AttachmentError::TooMany { max } => t
            .err_photos_too_many_template
            .replace("{max}", &max.to_string()),
        AttachmentError::TooLarge {
            filename,
            max_bytes,
        } => t
            .err_photo_too_large_template
            .replace("{file}", filename)
            .replace("{megabytes}", &megabytes(*max_bytes)),
        AttachmentError::Empty { filename } => {
            t.err_photo_empty_template.replace("{file}", filename)
        }
        AttachmentError::TypeNotAllowed { filename, .. } => t
            .err_photo_type_template
            .replace("{file}", filename)
            .replace("{types}", &type_names(limits)),
        AttachmentError::Damaged { filename, .. } => {
            t.err_photo_damaged_template.replace("{file}", filename)
        }
    };
    ShownError::new("photos", format!("{message} {}", t.photos_again))
}

/// Bytes as whole megabytes (MiB), rounded down but never 0: "5".
pub fn megabytes(bytes: usize) -> String {
    (bytes / (1024 * 1024)).max(1).to_string()
}

/// The accepted file types as people name them: "JPEG, PNG, PDF".
pub fn type_names(limits: &AttachmentSettings) -> String {
    limits
        .allowed_types
        .iter()
        .map(|media| {
            let mime = media.mime();
            mime.rsplit('/').next().unwrap_or(mime).to_ascii_uppercase()
        })
        .collect::<Vec<_>>()
        .join(", ")
}
