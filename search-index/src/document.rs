//! What the index knows of a case, and how it becomes a tantivy document.

use chrono::{DateTime, Utc};
use palaute_core::Language;
use palaute_core::text::normalize;
use tantivy::TantivyDocument;

use crate::schema::{CaseFields, UNDETERMINED_LANGUAGE};

/// The searchable projection of one case, built by the caller from the database row.
#[derive(Debug, Clone, PartialEq)]
pub struct CaseDocument {
    pub case_id: i64,
    /// The resident-facing reference, `HEL-2026-000123`.
    pub reference: String,
    pub title: Option<String>,
    pub description: String,
    pub category_code: Option<String>,
    pub unit_code: Option<String>,
    /// A [`CaseStatus`](palaute_core::CaseStatus) code.
    pub status: String,
    /// A [`Channel`](palaute_core::Channel) code.
    pub channel: String,
    /// `None` when detection was unsure: the text is then analysed in all three languages.
    pub language: Option<Language>,
    pub created_at: DateTime<Utc>,
}

impl CaseDocument {
    pub(crate) fn to_tantivy(&self, fields: &CaseFields) -> TantivyDocument {
        let mut document = TantivyDocument::new();
        document.add_i64(fields.case_id, self.case_id);
        document.add_text(fields.reference, &self.reference);

        let text_fields = match self.language {
            Some(Language::Fi) => &[fields.text_fi][..],
            Some(Language::Sv) => &[fields.text_sv][..],
            Some(Language::En) => &[fields.text_en][..],
            None => &[fields.text_fi, fields.text_sv, fields.text_en][..],
        };
        // Queries are NFC-normalised too, so "ä" matches however it was typed.
        let title = self.title.as_deref().map(normalize);
        let description = normalize(&self.description);
        for &field in text_fields {
            if let Some(title) = &title {
                document.add_text(field, title);
            }
            document.add_text(field, &description);
        }

        document.add_text(fields.status, &self.status);
        document.add_text(fields.channel, &self.channel);
        if let Some(unit_code) = &self.unit_code {
            document.add_text(fields.unit_code, unit_code);
        }
        if let Some(category_code) = &self.category_code {
            document.add_text(fields.category_code, category_code);
        }
        let language = self.language.map_or(UNDETERMINED_LANGUAGE, Language::code);
        document.add_text(fields.language, language);
        document.add_date(
            fields.created_at,
            tantivy::DateTime::from_timestamp_micros(self.created_at.timestamp_micros()),
        );
        document
    }
}
