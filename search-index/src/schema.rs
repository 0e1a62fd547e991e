//! The index schema: which fields exist and how each is analysed.

use tantivy::schema::{
    DateOptions, DateTimePrecision, FAST, Field, INDEXED, IndexRecordOption, STORED, STRING,
    Schema, TextFieldIndexing, TextOptions,
};

use crate::analyzers;

/// Language code indexed for a case whose language is unknown (ISO 639-2 "undetermined").
pub const UNDETERMINED_LANGUAGE: &str = "und";

pub(crate) const CASE_ID: &str = "case_id";
pub(crate) const REFERENCE: &str = "reference";
pub(crate) const TEXT_FI: &str = "text_fi";
pub(crate) const TEXT_SV: &str = "text_sv";
pub(crate) const TEXT_EN: &str = "text_en";
pub(crate) const STATUS: &str = "status";
pub(crate) const UNIT_CODE: &str = "unit_code";
pub(crate) const CATEGORY_CODE: &str = "category_code";
pub(crate) const CHANNEL: &str = "channel";
pub(crate) const LANGUAGE: &str = "language";
pub(crate) const CREATED_AT: &str = "created_at";

/// Handles to the fields of [`build_schema`], resolved once.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CaseFields {
    /// The delete key: one live document per case.
    pub case_id: Field,
    pub reference: Field,
    pub text_fi: Field,
    pub text_sv: Field,
    pub text_en: Field,
    pub status: Field,
    pub unit_code: Field,
    pub category_code: Field,
    pub channel: Field,
    pub language: Field,
    pub created_at: Field,
}

/// The schema of the current version. An index on disk whose schema differs is rebuilt.
pub(crate) fn build_schema() -> (Schema, CaseFields) {
    let mut builder = Schema::builder();
    let fields = CaseFields {
        case_id: builder.add_i64_field(CASE_ID, INDEXED | STORED | FAST),
        reference: builder.add_text_field(REFERENCE, analysed(analyzers::REFERENCE, false)),
        text_fi: builder.add_text_field(TEXT_FI, analysed(analyzers::FINNISH, true)),
        text_sv: builder.add_text_field(TEXT_SV, analysed(analyzers::SWEDISH, true)),
        text_en: builder.add_text_field(TEXT_EN, analysed(analyzers::ENGLISH, true)),
        // Exact codes: filtered by term, counted for facets from their fast columns.
        status: builder.add_text_field(STATUS, STRING | FAST),
        unit_code: builder.add_text_field(UNIT_CODE, STRING | FAST),
        category_code: builder.add_text_field(CATEGORY_CODE, STRING | FAST),
        channel: builder.add_text_field(CHANNEL, STRING | FAST),
        language: builder.add_text_field(LANGUAGE, STRING | FAST),
        created_at: builder.add_date_field(
            CREATED_AT,
            DateOptions::default()
                .set_indexed()
                .set_fast()
                .set_precision(DateTimePrecision::Seconds),
        ),
    };
    (builder.build(), fields)
}

/// Free text keeps positions so quoted phrases work; the reference needs none.
fn analysed(tokenizer: &str, with_positions: bool) -> TextOptions {
    let record = if with_positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::Basic
    };
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_is_stable_between_builds() {
        // Reopening relies on equality to tell an old index from a current one.
        assert_eq!(build_schema().0, build_schema().0);
    }
}
