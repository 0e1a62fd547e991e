//! Staff accounts and their API tokens. A token is stored only as its hash; a lookup
//! answers only for a live token (not revoked, not expired) of an enabled account, so
//! disabling an account or revoking a token takes effect on the next request without
//! deleting anything.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use palaute_core::{EmailAddress, StaffMember, StaffRole};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, SqlErr,
};

use crate::db::Store;
use crate::entity::{api_token, staff_user, staff_user_unit, unit};
use crate::error::{DbContext, StoreError};

/// A staff account as listed to administrators.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StaffUserRecord {
    pub id: i64,
    pub email: String,
    pub role: StaffRole,
    /// Sorted unit codes (a handler's scope).
    pub units: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// An API token as listed to administrators: never its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiTokenRecord {
    pub id: i64,
    pub email: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
    /// What the token is for ("laptop", "integration X"), to tell tokens apart.
    pub label: Option<String>,
}

/// Accounts are keyed by the whole address in lower case: `Maija@Hel.fi` and
/// `maija@hel.fi` are one person, whatever `EmailAddress` keeps of the local part.
fn account_key(email: &EmailAddress) -> String {
    email.as_str().to_lowercase()
}

/// What a city (OIDC) sign-in found for a verified identity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OidcSignIn {
    /// The account, created or brought up to date with the token's role and units.
    Member(StaffMember),
    /// A local account with that email is disabled: it stays disabled.
    Disabled,
}

/// An account as a sign-in compares it with a token's claims.
struct AccountState {
    id: i64,
    role: String,
    units: BTreeSet<String>,
    disabled: bool,
}

/// The account with this (lower-cased) email and its units, in one query.
async fn account_state(
    db: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<AccountState>, StoreError> {
    type Row = (i64, String, Option<DateTime<Utc>>, Option<String>);
    let rows: Vec<Row> = staff_user::Entity::find()
        .select_only()
        .columns([
            staff_user::Column::Id,
            staff_user::Column::Role,
            staff_user::Column::DisabledAt,
        ])
        .column_as(staff_user_unit::Column::UnitCode, "unit_code")
        .join(JoinType::LeftJoin, staff_user::Entity::units())
        .filter(staff_user::Column::Email.eq(key))
        .into_tuple()
        .all(db)
        .await
        .context("looking up a signed-in staff account")?;
    let mut rows = rows.into_iter();
    let Some((id, role, disabled_at, first_unit)) = rows.next() else {
        return Ok(None);
    };
    let units = first_unit
        .into_iter()
        .chain(rows.filter_map(|(_, _, _, unit)| unit))
        .collect();
    Ok(Some(AccountState {
        id,
        role,
        units,
        disabled: disabled_at.is_some(),
    }))
}

fn parse_role(code: &str) -> Result<StaffRole, StoreError> {
    StaffRole::from_code(code)
        .ok_or_else(|| StoreError::Corrupt(format!("unknown staff role {code:?}")))
}

impl Store {
    /// Adds a staff account with its units, in one transaction. Refused when the email
    /// has an account, a unit is unknown or inactive, or a handler has no unit.
    pub async fn add_staff_user(
        &self,
        email: &EmailAddress,
        role: StaffRole,
        units: &[String],
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let key = account_key(email);
        let units: BTreeSet<&str> = units.iter().map(String::as_str).collect();
        if role == StaffRole::Handler && units.is_empty() {
            return Err(StoreError::Refused(format!(
                "a handler needs at least one unit; {key} was not added"
            )));
        }
        let txn = self.begin_write().await?;
        let existing = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(key.clone()))
            .one(&txn)
            .await
            .context("looking for an existing staff account")?;
        if existing.is_some() {
            return Err(StoreError::Refused(format!(
                "a staff account for {key} already exists"
            )));
        }
        let known: BTreeMap<String, bool> = unit::Entity::find()
            .select_only()
            .columns([unit::Column::Code, unit::Column::Active])
            .filter(unit::Column::Code.is_in(units.iter().copied()))
            .into_tuple::<(String, bool)>()
            .all(&txn)
            .await
            .context("checking a staff account's units")?
            .into_iter()
            .collect();
        for code in &units {
            match known.get(*code) {
                None => {
                    return Err(StoreError::Refused(format!(
                        "unknown unit {code:?}; {key} was not added"
                    )));
                }
                Some(false) => {
                    return Err(StoreError::Refused(format!(
                        "unit {code:?} is no longer in the organisation; {key} was not added"
                    )));
                }
                Some(true) => {}
            }
        }
        let inserted = staff_user::Entity::insert(staff_user::ActiveModel {
            email: Set(key.clone()),
            role: Set(role.code().to_owned()),
            created_at: Set(now),
            disabled_at: Set(None),
            ..Default::default()
        })
        .exec(&txn)
        .await;
        let user_id = match inserted {
            Ok(result) => result.last_insert_id,
            // Another process added the same address since the check above.
            Err(error) if matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                return Err(StoreError::Refused(format!(
                    "a staff account for {key} already exists"
                )));
            }
            Err(source) => {
                return Err(StoreError::Database {
                    operation: "adding a staff account",
                    source,
                });
            }
        };
        if !units.is_empty() {
            staff_user_unit::Entity::insert_many(units.iter().map(|code| {
                staff_user_unit::ActiveModel {
                    user_id: Set(user_id),
                    unit_code: Set((*code).to_owned()),
                }
            }))
            .exec(&txn)
            .await
            .context("adding a staff account's units")?;
        }
        txn.commit()
            .await
            .context("committing a new staff account")?;
        Ok(user_id)
    }

    /// Every staff account with its units, ordered by email.
    pub async fn staff_users(&self) -> Result<Vec<StaffUserRecord>, StoreError> {
        let users = staff_user::Entity::find()
            .order_by_asc(staff_user::Column::Email)
            .all(&self.db)
            .await
            .context("listing staff accounts")?;
        let mut units: BTreeMap<i64, Vec<String>> = BTreeMap::new();
        for row in staff_user_unit::Entity::find()
            .order_by_asc(staff_user_unit::Column::UnitCode)
            .all(&self.db)
            .await
            .context("listing staff accounts' units")?
        {
            units.entry(row.user_id).or_default().push(row.unit_code);
        }
        users
            .into_iter()
            .map(|user| {
                Ok(StaffUserRecord {
                    id: user.id,
                    role: parse_role(&user.role)?,
                    units: units.remove(&user.id).unwrap_or_default(),
                    email: user.email,
                    created_at: user.created_at,
                    disabled_at: user.disabled_at,
                })
            })
            .collect()
    }

    /// Disables an account; its tokens stop working at once. `false` when there is no
    /// such account. Disabling twice keeps the first time.
    pub async fn disable_staff_user(
        &self,
        email: &EmailAddress,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let key = account_key(email);
        let txn = self.begin_write().await?;
        let exists = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(key.clone()))
            .one(&txn)
            .await
            .context("looking up a staff account to disable")?
            .is_some();
        if exists {
            staff_user::Entity::update_many()
                .col_expr(staff_user::Column::DisabledAt, Expr::value(now))
                .filter(staff_user::Column::Email.eq(key))
                .filter(staff_user::Column::DisabledAt.is_null())
                .exec(&txn)
                .await
                .context("disabling a staff account")?;
        }
        txn.commit()
            .await
            .context("committing a disabled staff account")?;
        Ok(exists)
    }

    /// Stores a new token's hash for an enabled account; returns the token's id.
    pub async fn create_api_token(
        &self,
        email: &EmailAddress,
        token_hash: &str,
        label: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let key = account_key(email);
        let txn = self.begin_write().await?;
        let Some(user) = staff_user::Entity::find()
            .filter(staff_user::Column::Email.eq(key.clone()))
            .one(&txn)
            .await
            .context("looking up a staff account for a token")?
        else {
            return Err(StoreError::Refused(format!("no staff account for {key}")));
        };
        if user.disabled_at.is_some() {
            return Err(StoreError::Refused(format!(
                "the staff account for {key} is disabled"
            )));
        }
        let id = api_token::Entity::insert(api_token::ActiveModel {
            user_id: Set(user.id),
            token_hash: Set(token_hash.to_owned()),
            label: Set(label.map(str::to_owned)),
            created_at: Set(now),
            expires_at: Set(expires_at),
            revoked_at: Set(None),
            ..Default::default()
        })
        .exec(&txn)
        .await
        .context("storing an API token")?
        .last_insert_id;
        txn.commit().await.context("committing an API token")?;
        Ok(id)
    }

    /// Revokes a token. `false` when there is no such token; revoking twice keeps the
    /// first time.
    pub async fn revoke_api_token(&self, id: i64, now: DateTime<Utc>) -> Result<bool, StoreError> {
        let txn = self.begin_write().await?;
        let exists = api_token::Entity::find_by_id(id)
            .one(&txn)
            .await
            .context("looking up an API token to revoke")?
            .is_some();
        if exists {
            api_token::Entity::update_many()
                .col_expr(api_token::Column::RevokedAt, Expr::value(now))
                .filter(api_token::Column::Id.eq(id))
                .filter(api_token::Column::RevokedAt.is_null())
                .exec(&txn)
                .await
                .context("revoking an API token")?;
        }
        txn.commit()
            .await
            .context("committing a revoked API token")?;
        Ok(exists)
    }

    /// The staff member a presented token's hash belongs to, when the token is live
    /// (not revoked, not expired at `now`) and its account enabled. One query: the
    /// token, its account and the account's units.
    pub async fn staff_by_token_hash(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<StaffMember>, StoreError> {
        type Row = (i64, String, String, Option<String>);
        let rows: Vec<Row> = api_token::Entity::find()
            .select_only()
            .column_as(staff_user::Column::Id, "user_id")
            .column_as(staff_user::Column::Email, "email")
            .column_as(staff_user::Column::Role, "role")
            .column_as(staff_user_unit::Column::UnitCode, "unit_code")
            .join(JoinType::InnerJoin, api_token::Entity::belongs_to_user())
            .join(JoinType::LeftJoin, staff_user::Entity::units())
            .filter(api_token::Column::TokenHash.eq(token_hash))
            .filter(api_token::Column::RevokedAt.is_null())
            .filter(
                Condition::any()
                    .add(api_token::Column::ExpiresAt.is_null())
                    .add(api_token::Column::ExpiresAt.gt(now)),
            )
            .filter(staff_user::Column::DisabledAt.is_null())
            .into_tuple()
            .all(&self.db)
            .await
            .context("looking up an API token")?;
        let mut rows = rows.into_iter();
        let Some((user_id, email, role, first_unit)) = rows.next() else {
            return Ok(None);
        };
        let units = first_unit
            .into_iter()
            .chain(rows.filter_map(|(_, _, _, unit)| unit))
            .collect();
        Ok(Some(StaffMember {
            user_id: Some(user_id),
            email,
            role: parse_role(&role)?,
            units,
        }))
    }

    /// The account of someone who signed in with the city's identity provider: created
    /// on first sign-in, and its role and units set to what the token says (the
    /// provider is the authority for them), so the timeline and assignments name a
    /// real account. Writes only when something changed: most requests cost one read.
    /// A disabled account stays disabled. `units` must be the organisation's.
    pub async fn sync_oidc_user(
        &self,
        email: &EmailAddress,
        role: StaffRole,
        units: &BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> Result<OidcSignIn, StoreError> {
        let key = account_key(email);
        if role == StaffRole::Handler && units.is_empty() {
            return Err(StoreError::Refused(format!(
                "a handler needs at least one unit; {key} was not signed in"
            )));
        }
        let member = |user_id| {
            OidcSignIn::Member(StaffMember {
                user_id: Some(user_id),
                email: key.clone(),
                role,
                units: units.clone(),
            })
        };
        match account_state(&self.db, &key).await? {
            Some(account) if account.disabled => return Ok(OidcSignIn::Disabled),
            Some(account) if account.role == role.code() && account.units == *units => {
                return Ok(member(account.id));
            }
            _ => {}
        }
        // Two first sign-ins at once may both insert; the loser (a unique violation
        // on PostgreSQL, where the read above does not lock) reads the winner's row.
        let mut last_error = None;
        for _ in 0..2 {
            match self.write_oidc_user(&key, role, units, now).await {
                Ok(Some(user_id)) => return Ok(member(user_id)),
                Ok(None) => return Ok(OidcSignIn::Disabled),
                Err(error) if is_unique_violation(&error) => last_error = Some(error),
                Err(error) => return Err(error),
            }
        }
        Err(last_error.unwrap_or_else(|| {
            StoreError::Corrupt(format!("could not store the account of {key}"))
        }))
    }

    /// One attempt of `sync_oidc_user`'s write: the account's id, or `None` when it is
    /// disabled.
    async fn write_oidc_user(
        &self,
        key: &str,
        role: StaffRole,
        units: &BTreeSet<String>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>, StoreError> {
        let txn = self.begin_write().await?;
        let user_id = match account_state(&txn, key).await? {
            Some(account) if account.disabled => return Ok(None),
            Some(account) => {
                if account.role != role.code() {
                    staff_user::Entity::update_many()
                        .col_expr(staff_user::Column::Role, Expr::value(role.code()))
                        .filter(staff_user::Column::Id.eq(account.id))
                        .exec(&txn)
                        .await
                        .context("updating a signed-in staff account's role")?;
                }
                if account.units != *units {
                    staff_user_unit::Entity::delete_many()
                        .filter(staff_user_unit::Column::UserId.eq(account.id))
                        .exec(&txn)
                        .await
                        .context("replacing a signed-in staff account's units")?;
                    insert_units(&txn, account.id, units).await?;
                }
                account.id
            }
            None => {
                let user_id = staff_user::Entity::insert(staff_user::ActiveModel {
                    email: Set(key.to_owned()),
                    role: Set(role.code().to_owned()),
                    created_at: Set(now),
                    disabled_at: Set(None),
                    ..Default::default()
                })
                .exec(&txn)
                .await
                .context("adding a signed-in staff account")?
                .last_insert_id;
                insert_units(&txn, user_id, units).await?;
                user_id
            }
        };
        txn.commit()
            .await
            .context("committing a signed-in staff account")?;
        Ok(Some(user_id))
    }

    /// Every API token with its owner's email, oldest first; never the hash.
    pub async fn api_tokens(&self) -> Result<Vec<ApiTokenRecord>, StoreError> {
        type Row = (
            i64,
            String,
            DateTime<Utc>,
            Option<DateTime<Utc>>,
            Option<DateTime<Utc>>,
            Option<String>,
        );
        let rows: Vec<Row> = api_token::Entity::find()
            .select_only()
            .column(api_token::Column::Id)
            .column_as(staff_user::Column::Email, "email")
            .columns([
                api_token::Column::CreatedAt,
                api_token::Column::ExpiresAt,
                api_token::Column::RevokedAt,
                api_token::Column::Label,
            ])
            .join(JoinType::InnerJoin, api_token::Entity::belongs_to_user())
            .order_by_asc(api_token::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .context("listing API tokens")?;
        Ok(rows
            .into_iter()
            .map(
                |(id, email, created_at, expires_at, revoked_at, label)| ApiTokenRecord {
                    id,
                    email,
                    created_at,
                    expires_at,
                    revoked_at,
                    label,
                },
            )
            .collect())
    }
}

async fn insert_units(
    db: &impl ConnectionTrait,
    user_id: i64,
    units: &BTreeSet<String>,
) -> Result<(), StoreError> {
    if units.is_empty() {
        return Ok(());
    }
    staff_user_unit::Entity::insert_many(units.iter().map(|code| staff_user_unit::ActiveModel {
        user_id: Set(user_id),
        unit_code: Set(code.clone()),
    }))
    .exec(db)
    .await
    .context("adding a staff account's units")?;
    Ok(())
}

fn is_unique_violation(error: &StoreError) -> bool {
    matches!(
        error,
        StoreError::Database { source, .. }
            if matches!(source.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
    )
}
