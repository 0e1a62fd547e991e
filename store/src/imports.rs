//! Past cases from another system (`palaute import`). Each becomes a real case with
//! its original dates, status, category and unit, a reference of this system and a
//! timeline, and is queued for the search index; but it is stored as already handled
//! there: no pipeline job, no email, no deadline. A record is imported once per
//! `(source, external id)`: the unique key in `case_imports` makes a second import of
//! the same file add nothing, even when two imports race.
//!
//! Many cases are written per transaction (`import_past_cases` takes a batch): the
//! reference numbers of a batch are taken in one statement per year, and the cases and
//! the rows that hang off them (contacts, events, import keys, index entries) in one
//! statement per table and thousand rows; the cases' new ids are read back by their
//! references, which are unique.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Datelike, Utc};
use palaute_core::token::TrackingToken;
use palaute_core::{CaseStatus, Channel, Language, Reference};
use sea_orm::sea_query::{Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseTransaction, DbErr,
    EntityTrait, QueryFilter, QuerySelect, SqlErr,
};
use serde_json::json;

use crate::cases::{ContactDetails, Location};
use crate::db::Store;
use crate::entity::{case, case_contact, case_event, case_import, index_queue, reference_counter};
use crate::error::{DbContext, StoreError};

/// A past case, checked by the intake rules and mapped onto this organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct PastCase {
    /// The system it came from (`--source` of `palaute import`).
    pub source: String,
    /// Its id in that system (Open311's `service_request_id`).
    pub external_id: String,
    pub channel: Channel,
    pub title: Option<String>,
    pub description: String,
    pub language: Option<Language>,
    pub language_confidence: Option<f64>,
    /// A category of this organisation; a historical code it lacks is in `original`.
    pub category_code: Option<String>,
    /// A unit of this organisation (the triage unit where the historical one is unknown).
    pub unit_code: String,
    pub status: CaseStatus,
    pub contact: Option<ContactDetails>,
    pub location: Option<Location>,
    /// When the resident sent it (`requested_datetime`).
    pub created_at: DateTime<Utc>,
    /// Its last change in the source system.
    pub updated_at: DateTime<Utc>,
    /// When it reached a unit, where the record tells.
    pub routed_at: Option<DateTime<Utc>>,
    /// When it was closed, for a closed case.
    pub resolved_at: Option<DateTime<Utc>>,
    /// The record's own words for what this organisation names otherwise (unit,
    /// status, category), kept on the case's `imported` timeline event.
    pub original: serde_json::Value,
    /// A note for staff on that event, e.g. why the case went to triage.
    pub note: Option<String>,
}

/// What one batch did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportedBatch {
    /// External id and new reference of each case made.
    pub imported: Vec<(String, Reference)>,
    /// External ids imported before (or twice in the batch): nothing was written.
    pub already_imported: Vec<String>,
}

/// What the timeline says about who imported a case.
const IMPORT_ACTOR: &str = "system";

/// The language code the pipeline stores when it cannot tell (as `cases.rs` reads it).
const UNDETERMINED_LANGUAGE: &str = "und";

impl Store {
    /// Stores a batch of past cases in one transaction, skipping those imported
    /// before. Nothing of the batch is written if any of it fails.
    pub async fn import_past_cases(
        &self,
        cases: &[PastCase],
        now: DateTime<Utc>,
    ) -> Result<ImportedBatch, StoreError> {
        let txn = self.begin_write().await?;
        let known = imported_keys(&txn, cases).await?;
        let mut seen: HashSet<(&str, &str)> = HashSet::new();
        let mut outcome = ImportedBatch::default();
        let mut fresh: Vec<&PastCase> = Vec::new();
        for past in cases {
            let key = (past.source.as_str(), past.external_id.as_str());
            if known.contains(&(key.0.to_owned(), key.1.to_owned())) || !seen.insert(key) {
                outcome.already_imported.push(past.external_id.clone());
            } else {
                fresh.push(past);
            }
        }
        let references = take_references(&txn, &fresh).await?;
        let rows: Vec<case::ActiveModel> = fresh
            .iter()
            .zip(&references)
            .map(|(past, reference)| case_row(past, reference))
            .collect();
        insert_rows(&txn, rows)
            .await
            .context("saving imported cases")?;
        let ids = case_ids(&txn, &references).await?;
        let mut contacts = Vec::new();
        let mut events = Vec::new();
        let mut keys = Vec::new();
        let mut index_entries = Vec::new();
        for (past, reference) in fresh.into_iter().zip(references) {
            let case_id = *ids.get(&reference.to_string()).ok_or_else(|| {
                StoreError::Corrupt(format!("imported case {reference} was not saved"))
            })?;
            if let Some(contact) = &past.contact {
                contacts.push(case_contact::ActiveModel {
                    case_id: Set(case_id),
                    name: Set(contact.name.clone()),
                    email: Set(contact.email.clone()),
                    phone: Set(contact.phone.clone()),
                });
            }
            events.extend(timeline(case_id, past, now));
            keys.push(case_import::ActiveModel {
                case_id: Set(case_id),
                source: Set(past.source.clone()),
                external_id: Set(past.external_id.clone()),
                imported_at: Set(now),
            });
            index_entries.push(index_queue::ActiveModel {
                case_id: Set(case_id),
                version: Set(1),
                enqueued_at: Set(now),
            });
            outcome.imported.push((past.external_id.clone(), reference));
        }
        insert_rows(&txn, contacts)
            .await
            .context("saving imported contact details")?;
        insert_rows(&txn, events)
            .await
            .context("saving imported timelines")?;
        insert_rows(&txn, keys)
            .await
            .map_err(|error| match error.sql_err() {
                // Another import wrote some of these records since they were looked up.
                Some(SqlErr::UniqueConstraintViolation(_)) => StoreError::Refused(
                    "another import wrote some of these records meanwhile; importing again skips them".into(),
                ),
                _ => StoreError::Database {
                    operation: "saving import keys",
                    source: error,
                },
            })?;
        insert_rows(&txn, index_entries)
            .await
            .context("queueing imported cases for indexing")?;
        txn.commit().await.context("committing imported cases")?;
        Ok(outcome)
    }
}

/// The `(source, external id)` pairs of the batch already in the store.
async fn imported_keys(
    txn: &DatabaseTransaction,
    cases: &[PastCase],
) -> Result<HashSet<(String, String)>, StoreError> {
    if cases.is_empty() {
        return Ok(HashSet::new());
    }
    let sources: HashSet<&str> = cases.iter().map(|past| past.source.as_str()).collect();
    let ids: HashSet<&str> = cases.iter().map(|past| past.external_id.as_str()).collect();
    let rows: Vec<(String, String)> = case_import::Entity::find()
        .select_only()
        .columns([case_import::Column::Source, case_import::Column::ExternalId])
        .filter(case_import::Column::Source.is_in(sources))
        .filter(case_import::Column::ExternalId.is_in(ids))
        .into_tuple()
        .all(txn)
        .await
        .context("looking up imported records")?;
    Ok(rows.into_iter().collect())
}

/// A reference for each case, numbered within the year it was sent in, as if it had
/// come in then: one counter update per year in the batch.
async fn take_references(
    txn: &DatabaseTransaction,
    cases: &[&PastCase],
) -> Result<Vec<Reference>, StoreError> {
    let mut per_year: BTreeMap<i32, i64> = BTreeMap::new();
    for past in cases {
        *per_year.entry(past.created_at.year()).or_default() += 1;
    }
    let mut next_number: BTreeMap<i32, i64> = BTreeMap::new();
    for (year, count) in per_year {
        let last = take_reference_numbers(txn, year, count).await?;
        next_number.insert(year, last - count + 1);
    }
    let mut references = Vec::with_capacity(cases.len());
    for past in cases {
        let year = past.created_at.year();
        let number = next_number
            .get_mut(&year)
            .ok_or_else(|| StoreError::Corrupt(format!("no reference numbers for {year}")))?;
        references.push(Reference::new(year, *number));
        *number += 1;
    }
    Ok(references)
}

/// Takes `count` reference numbers of `year` at once and returns the last of them.
async fn take_reference_numbers(
    txn: &DatabaseTransaction,
    year: i32,
    count: i64,
) -> Result<i64, StoreError> {
    let statement = Query::insert()
        .into_table(reference_counter::Entity)
        .columns([
            reference_counter::Column::Year,
            reference_counter::Column::LastNumber,
        ])
        .values_panic([year.into(), count.into()])
        .on_conflict(
            OnConflict::column(reference_counter::Column::Year)
                .value(
                    reference_counter::Column::LastNumber,
                    Expr::col((
                        reference_counter::Entity,
                        reference_counter::Column::LastNumber,
                    ))
                    .add(count),
                )
                .to_owned(),
        )
        .returning_col(reference_counter::Column::LastNumber)
        .to_owned();
    let row = txn
        .query_one(&statement)
        .await
        .context("taking reference numbers for imported cases")?
        .ok_or_else(|| StoreError::Corrupt("reference counter returned nothing".into()))?;
    row.try_get::<i64>("", "last_number")
        .context("reading a reference number")
}

/// Rows per `INSERT`: within both backends' limits on bound parameters (PostgreSQL's
/// 65,535; a case row binds about twenty) whatever `--batch-size` is.
const ROWS_PER_STATEMENT: usize = 1000;

/// Inserts the rows in as few statements as the limit allows.
async fn insert_rows<A>(txn: &DatabaseTransaction, rows: Vec<A>) -> Result<(), DbErr>
where
    A: ActiveModelTrait,
{
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let statement: Vec<A> = rows.by_ref().take(ROWS_PER_STATEMENT).collect();
        A::Entity::insert_many(statement)
            .exec_without_returning(txn)
            .await?;
    }
    Ok(())
}

/// The ids the database gave the cases of these references, by reference.
async fn case_ids(
    txn: &DatabaseTransaction,
    references: &[Reference],
) -> Result<HashMap<String, i64>, StoreError> {
    let mut ids = HashMap::with_capacity(references.len());
    for chunk in references.chunks(ROWS_PER_STATEMENT) {
        let rows: Vec<(i64, String)> = case::Entity::find()
            .select_only()
            .columns([case::Column::Id, case::Column::Reference])
            .filter(case::Column::Reference.is_in(chunk.iter().map(ToString::to_string)))
            .into_tuple()
            .all(txn)
            .await
            .context("reading the ids of imported cases")?;
        ids.extend(rows.into_iter().map(|(id, reference)| (reference, id)));
    }
    Ok(ids)
}

fn case_row(past: &PastCase, reference: &Reference) -> case::ActiveModel {
    let location = past.location.clone().unwrap_or_default();
    case::ActiveModel {
        reference: Set(reference.to_string()),
        channel: Set(past.channel.code().to_owned()),
        title: Set(past.title.clone()),
        description: Set(past.description.clone()),
        stated_language: Set(None),
        language: Set(Some(
            past.language
                .map_or(UNDETERMINED_LANGUAGE, Language::code)
                .to_owned(),
        )),
        language_confidence: Set(past.language_confidence),
        category_code: Set(past.category_code.clone()),
        given_category_code: Set(past.category_code.clone()),
        unit_code: Set(Some(past.unit_code.clone())),
        status: Set(past.status.code().to_owned()),
        routing_reason: Set(Some(format!("imported from {}", past.source))),
        routing_confidence: Set(None),
        lat: Set(location.lat),
        lon: Set(location.lon),
        address: Set(location.address),
        // Nobody holds a token for a past case: only its hash is kept, of a token
        // thrown away, so the tracking page reveals nothing of it.
        tracking_token_hash: Set(TrackingToken::generate().hash()),
        created_at: Set(past.created_at),
        updated_at: Set(past.updated_at),
        routed_at: Set(past.routed_at),
        resolved_at: Set(past.resolved_at),
        source: Set(Some(past.source.clone())),
        ..Default::default()
    }
}

/// `received` when the resident sent it, then `imported` now with what the record
/// said in its own words.
fn timeline(case_id: i64, past: &PastCase, now: DateTime<Utc>) -> [case_event::ActiveModel; 2] {
    let received = case_event::ActiveModel {
        case_id: Set(case_id),
        kind: Set("received".to_owned()),
        actor: Set("resident".to_owned()),
        detail: Set(json!({ "channel": past.channel.code() }).to_string()),
        created_at: Set(past.created_at),
        ..Default::default()
    };
    let imported = case_event::ActiveModel {
        case_id: Set(case_id),
        kind: Set("imported".to_owned()),
        actor: Set(IMPORT_ACTOR.to_owned()),
        detail: Set(json!({
            "source": past.source,
            "external_id": past.external_id,
            "original": past.original,
            "note": past.note,
        })
        .to_string()),
        created_at: Set(now),
        ..Default::default()
    };
    [received, imported]
}
