//! The form's problems in the page's language, each tied to the id of the field it is
//! about (the summary links to `#<field>`, the field names `<field>-error`).

use palaute_core::attachment::AttachmentError;
use palaute_core::settings::AttachmentSettings;
use palaute_core::{Field, FieldError, Language};

use crate::i18n::texts;

/// One problem as the form shows it.
pub struct ShownError {
    /// The id (and name) of the form field it is about.
    pub field: &'static str,
    pub message: String,
}

/// The form's fields in the order they appear, for the error summary.
const FIELD_ORDER: [&str; 8] = [
    "category",
    "description",
    "title",
    "address",
    "contact_name",
    "contact_email",
    "contact_phone",
    "photos",
];

pub fn field_order(field: &str) -> usize {
    FIELD_ORDER
        .iter()
        .position(|known| *known == field)
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
        // The description, and anything without a field of its own (the form's
        // hidden idempotency key).
        _ => "description",
    }
}

/// A broken intake rule, said in `language`.
pub fn field_error(language: Language, error: &FieldError) -> ShownError {
    let t = texts(language);
    let message = match error.field {
        Field::Description => t.err_required.to_owned(),
        Field::CategoryCode => t.err_category_unknown.to_owned(),
        Field::ContactEmail => t.err_email_invalid.to_owned(),
        Field::ContactPhone => t.err_phone_invalid.to_owned(),
        Field::Coordinates | Field::Latitude | Field::Longitude => {
            t.err_location_invalid.to_owned()
        }
        _ => t.err_invalid.to_owned(),
    };
    ShownError {
        field: field_id(error.field),
        message,
    }
}

/// Coordinates that are not numbers (only a hand-made request sends them).
pub fn location_error(language: Language) -> ShownError {
    ShownError {
        field: "address",
        message: texts(language).err_location_invalid.to_owned(),
    }
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
    ShownError {
        field: "photos",
        message: format!("{message} {}", t.photos_again),
    }
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
