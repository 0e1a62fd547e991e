//! Reading and settling outbox emails. Rows are written by `record_routing`; the
//! worker's `send_email` job delivers them.

use chrono::{DateTime, Utc};
use palaute_core::Language;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::cases::insert_event;
use crate::db::Store;
use crate::entity::email;
use crate::error::{DbContext, StoreError};

palaute_core::coded_enum!(
    /// Where an outbox email stands.
    EmailStatus {
        Pending => "pending",
        Sent => "sent",
        /// Delivery failed for good (a permanent rejection or too many attempts).
        Failed => "failed",
        /// Never sent: its case was anonymised (or its resident erased) first.
        Withdrawn => "withdrawn",
    }
);

#[derive(Debug, Clone, PartialEq)]
pub struct EmailRecord {
    pub id: i64,
    pub case_id: Option<i64>,
    pub kind: String,
    pub message_id: String,
    pub from: String,
    pub to: String,
    pub subject: String,
    pub body_text: String,
    pub language: Language,
    pub status: String,
    pub delivery_note: Option<String>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    /// The Message-ID this email answers, for threading.
    pub in_reply_to: Option<String>,
}

impl From<email::Model> for EmailRecord {
    fn from(row: email::Model) -> Self {
        Self {
            id: row.id,
            case_id: row.case_id,
            kind: row.kind,
            message_id: row.message_id,
            from: row.from_address,
            to: row.to_address,
            subject: row.subject,
            body_text: row.body_text,
            language: Language::from_code(&row.language).unwrap_or(Language::DEFAULT),
            status: row.status,
            delivery_note: row.delivery_note,
            last_error: row.last_error,
            created_at: row.created_at,
            sent_at: row.sent_at,
            in_reply_to: row.in_reply_to,
        }
    }
}

impl Store {
    pub async fn email(&self, id: i64) -> Result<Option<EmailRecord>, StoreError> {
        Ok(email::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .context("loading an email")?
            .map(EmailRecord::from))
    }

    pub async fn emails_for_case(&self, case_id: i64) -> Result<Vec<EmailRecord>, StoreError> {
        let rows = email::Entity::find()
            .filter(email::Column::CaseId.eq(case_id))
            .order_by_asc(email::Column::Id)
            .all(&self.db)
            .await
            .context("loading a case's emails")?;
        Ok(rows.into_iter().map(EmailRecord::from).collect())
    }

    pub async fn mark_email_sent(
        &self,
        id: i64,
        delivery_note: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        email::Entity::update_many()
            .col_expr(email::Column::Status, Expr::value(EmailStatus::Sent.code()))
            .col_expr(email::Column::DeliveryNote, Expr::value(delivery_note))
            .col_expr(email::Column::SentAt, Expr::value(now))
            .filter(email::Column::Id.eq(id))
            .exec(&self.db)
            .await
            .context("marking an email sent")?;
        Ok(())
    }

    /// Records a delivery error on an email still pending; `permanent` marks it failed
    /// for good and says so on its case's timeline. An email another worker delivered
    /// meanwhile is left as sent.
    pub async fn record_email_error(
        &self,
        id: i64,
        error: &str,
        permanent: bool,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let error: String = error.chars().take(2000).collect();
        let txn = self.begin_write().await?;
        let mut update = email::Entity::update_many()
            .col_expr(email::Column::LastError, Expr::value(error.clone()));
        if permanent {
            update = update.col_expr(
                email::Column::Status,
                Expr::value(EmailStatus::Failed.code()),
            );
        }
        let changed = update
            .filter(email::Column::Id.eq(id))
            .filter(email::Column::Status.eq(EmailStatus::Pending.code()))
            .exec(&txn)
            .await
            .context("recording an email error")?
            .rows_affected;
        if permanent
            && changed > 0
            && let Some(failed) = email::Entity::find_by_id(id)
                .one(&txn)
                .await
                .context("loading a failed email")?
            && let Some(case_id) = failed.case_id
        {
            insert_event(
                &txn,
                case_id,
                "email_failed",
                "system",
                json!({ "note": error, "kind": failed.kind, "to": failed.to_address }),
                now,
            )
            .await?;
        }
        txn.commit().await.context("committing an email error")?;
        Ok(())
    }
}
