//! Named API keys for the doors that take submissions from other systems (Open311).
//! A key is stored only as its SHA-256; its name becomes the `source` of the cases it
//! creates. Revoking keeps the row, so a name is never given to a second key.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, SqlErr};

use crate::db::Store;
use crate::entity::open311_api_key;
use crate::error::{DbContext, StoreError};

/// An API key as listed to administrators: never the key or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyRecord {
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Store {
    /// Stores a new key's hash under `name`. Refused when the name (or the hash) is
    /// taken, by a live or a revoked key.
    pub async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let inserted = open311_api_key::Entity::insert(open311_api_key::ActiveModel {
            name: Set(name.to_owned()),
            key_hash: Set(key_hash.to_owned()),
            created_at: Set(now),
            revoked_at: Set(None),
            ..Default::default()
        })
        .exec(&self.db)
        .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                Err(StoreError::Refused(format!(
                    "an API key named {name:?} exists already (revoked keys keep their names)"
                )))
            }
            Err(error) => Err(error).context("storing an API key"),
        }
    }

    /// Every key, oldest first.
    pub async fn api_keys(&self) -> Result<Vec<ApiKeyRecord>, StoreError> {
        let rows = open311_api_key::Entity::find()
            .order_by_asc(open311_api_key::Column::Id)
            .all(&self.db)
            .await
            .context("listing API keys")?;
        Ok(rows
            .into_iter()
            .map(|row| ApiKeyRecord {
                name: row.name,
                created_at: row.created_at,
                revoked_at: row.revoked_at,
            })
            .collect())
    }

    /// Revokes the key named `name`. `false` when there is no such key; revoking twice
    /// keeps the first time.
    pub async fn revoke_api_key(&self, name: &str, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let exists = open311_api_key::Entity::find()
            .filter(open311_api_key::Column::Name.eq(name))
            .one(&self.db)
            .await
            .context("looking up an API key to revoke")?
            .is_some();
        if exists {
            open311_api_key::Entity::update_many()
                .col_expr(open311_api_key::Column::RevokedAt, Expr::value(now))
                .filter(open311_api_key::Column::Name.eq(name))
                .filter(open311_api_key::Column::RevokedAt.is_null())
                .exec(&self.db)
                .await
                .context("revoking an API key")?;
        }
        Ok(exists)
    }

    /// The name of the live (not revoked) key whose hash is `key_hash`.
    pub async fn api_key_name(&self, key_hash: &str) -> Result<Option<String>, StoreError> {
        let row = open311_api_key::Entity::find()
            .filter(open311_api_key::Column::KeyHash.eq(key_hash))
            .filter(open311_api_key::Column::RevokedAt.is_null())
            .one(&self.db)
            .await
            .context("looking up an API key")?;
        Ok(row.map(|row| row.name))
    }
}
