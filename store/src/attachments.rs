//! Files sent with a case: written in the case's own submission transaction
//! (`Store::submit_case`), listed per case without their bytes, and read back whole by
//! their public id. The doors check type and size before they get here
//! (`palaute_core::attachment`); the store removes the photos' metadata (place, device)
//! on the way in, whichever door they came through, and keeps nothing else it was not
//! given.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use palaute_core::CaseId;
use palaute_core::attachment::{MediaType, strip_metadata};
use palaute_core::token::TrackingToken;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::db::Store;
use crate::entity::case_attachment;
use crate::error::{DbContext, StoreError};

/// A file to store with a new case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    /// The name to show (already made safe by the door).
    pub filename: String,
    /// The type the bytes showed, e.g. `image/jpeg`.
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// A stored file without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentInfo {
    pub case_id: CaseId,
    /// Random and unguessable: the file's address.
    pub public_id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub created_at: DateTime<Utc>,
}

/// A stored file with its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentFile {
    pub info: AttachmentInfo,
    pub bytes: Vec<u8>,
}

/// Writes a new case's files inside its submission transaction.
pub(crate) async fn insert_attachments(
    txn: &DatabaseTransaction,
    case_id: i64,
    attachments: &[NewAttachment],
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    if attachments.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::with_capacity(attachments.len());
    for file in attachments {
        let bytes = without_metadata(file)?;
        rows.push(case_attachment::ActiveModel {
            case_id: Set(case_id),
            // 24 random bytes, base64url.
            public_id: Set(TrackingToken::generate().into_string()),
            filename: Set(file.filename.clone()),
            content_type: Set(file.content_type.clone()),
            size: Set(i64::try_from(bytes.len()).unwrap_or(i64::MAX)),
            bytes: Set(bytes),
            created_at: Set(now),
            ..Default::default()
        });
    }
    case_attachment::Entity::insert_many(rows)
        .exec(txn)
        .await
        .context("saving a case's files")?;
    Ok(())
}

/// The file's bytes without the metadata its type can carry. The door's check has
/// already tried this, so a refusal here means a door skipped the check.
fn without_metadata(file: &NewAttachment) -> Result<Vec<u8>, StoreError> {
    let Some(media) = MediaType::sniff(&file.bytes) else {
        return Err(StoreError::Refused(format!(
            "{}: not a file type that may be kept",
            file.filename
        )));
    };
    strip_metadata(media, &file.bytes)
        .map_err(|problem| StoreError::Refused(format!("{}: {problem}", file.filename)))
}

type InfoRow = (i64, String, String, String, i64, DateTime<Utc>);

fn info(row: InfoRow) -> AttachmentInfo {
    let (case_id, public_id, filename, content_type, size, created_at) = row;
    AttachmentInfo {
        case_id: CaseId(case_id),
        public_id,
        filename,
        content_type,
        size,
        created_at,
    }
}

impl Store {
    /// The files of each of `cases`, in the order they were sent; one query, bytes left
    /// in the database.
    pub async fn attachments_of(
        &self,
        cases: &[CaseId],
    ) -> Result<HashMap<CaseId, Vec<AttachmentInfo>>, StoreError> {
        let mut found: HashMap<CaseId, Vec<AttachmentInfo>> = HashMap::new();
        if cases.is_empty() {
            return Ok(found);
        }
        let rows: Vec<InfoRow> = case_attachment::Entity::find()
            .select_only()
            .columns([
                case_attachment::Column::CaseId,
                case_attachment::Column::PublicId,
                case_attachment::Column::Filename,
                case_attachment::Column::ContentType,
                case_attachment::Column::Size,
                case_attachment::Column::CreatedAt,
            ])
            .filter(case_attachment::Column::CaseId.is_in(cases.iter().map(|id| id.0)))
            .order_by_asc(case_attachment::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .context("listing case files")?;
        for row in rows {
            let attachment = info(row);
            found
                .entry(attachment.case_id)
                .or_default()
                .push(attachment);
        }
        Ok(found)
    }

    /// A file with its bytes, by its public id.
    pub async fn attachment(&self, public_id: &str) -> Result<Option<AttachmentFile>, StoreError> {
        let row = case_attachment::Entity::find()
            .filter(case_attachment::Column::PublicId.eq(public_id))
            .one(&self.db)
            .await
            .context("loading a case file")?;
        Ok(row.map(|row| AttachmentFile {
            info: AttachmentInfo {
                case_id: CaseId(row.case_id),
                public_id: row.public_id,
                filename: row.filename,
                content_type: row.content_type,
                size: row.size,
                created_at: row.created_at,
            },
            bytes: row.bytes,
        }))
    }
}
