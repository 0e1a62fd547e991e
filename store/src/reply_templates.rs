//! Reply templates: administrators' ready-made texts per category and language. The
//! store keeps them and answers which ones fit a case; checking a body's placeholders
//! is `palaute_core::ReplyTemplate`'s job, done before a body reaches here.

use chrono::{DateTime, Utc};
use palaute_core::Language;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DbErr, EntityTrait,
    QueryFilter, SqlErr,
};

use crate::db::Store;
use crate::entity::reply_template;
use crate::error::{DbContext, StoreError};

/// How "any category" is stored: NULLs would be distinct in the unique index.
const ANY_CATEGORY: &str = "";

/// A stored template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyTemplateRecord {
    pub id: i64,
    pub name: String,
    /// `None`: offered for every category.
    pub category_code: Option<String>,
    pub language: Language,
    pub body: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A template to insert (`id` is `None`) or to replace (`id` names it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewReplyTemplate {
    pub id: Option<i64>,
    pub name: String,
    pub category_code: Option<String>,
    pub language: Language,
    pub body: String,
}

/// What saving a template came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TemplateSaved {
    Saved(ReplyTemplateRecord),
    /// The `id` to update does not exist.
    NotFound,
    /// Another template has this name for the same category and language.
    NameTaken,
}

/// Which templates a list is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplatesFor<'a> {
    /// Every template, whatever its category (what administrators manage).
    Everything,
    /// The templates offered for a case of this category: its own, then the general
    /// ones. A case without a category gets only the general ones.
    Category(Option<&'a str>),
}

fn record(model: reply_template::Model) -> Result<ReplyTemplateRecord, StoreError> {
    let language = Language::from_code(&model.language).ok_or_else(|| {
        StoreError::Corrupt(format!(
            "reply template {} has unknown language {:?}",
            model.id, model.language
        ))
    })?;
    Ok(ReplyTemplateRecord {
        id: model.id,
        name: model.name,
        category_code: Some(model.category_code).filter(|code| code != ANY_CATEGORY),
        language,
        body: model.body,
        created_at: model.created_at,
        updated_at: model.updated_at,
    })
}

/// A category's own templates before the general ones, then by name, so the most
/// specific text is offered first.
fn offer_order(template: &ReplyTemplateRecord) -> (bool, Option<String>, String, &'static str) {
    (
        template.category_code.is_none(),
        template.category_code.clone(),
        template.name.to_lowercase(),
        template.language.code(),
    )
}

fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

/// Whether another template already has this name for the category and language.
async fn name_taken(
    db: &impl ConnectionTrait,
    template: &NewReplyTemplate,
    category: &str,
) -> Result<bool, StoreError> {
    let mut query = reply_template::Entity::find()
        .filter(reply_template::Column::CategoryCode.eq(category))
        .filter(reply_template::Column::Language.eq(template.language.code()))
        .filter(reply_template::Column::Name.eq(template.name.as_str()));
    if let Some(id) = template.id {
        query = query.filter(reply_template::Column::Id.ne(id));
    }
    let found = query
        .one(db)
        .await
        .context("checking a reply template's name")?;
    Ok(found.is_some())
}

impl Store {
    /// Templates for `which`, in one language or all three.
    pub async fn reply_templates(
        &self,
        which: TemplatesFor<'_>,
        language: Option<Language>,
    ) -> Result<Vec<ReplyTemplateRecord>, StoreError> {
        let mut query = reply_template::Entity::find();
        if let TemplatesFor::Category(category) = which {
            let codes: Vec<&str> = [Some(ANY_CATEGORY), category]
                .into_iter()
                .flatten()
                .collect();
            query = query.filter(reply_template::Column::CategoryCode.is_in(codes));
        }
        if let Some(language) = language {
            query = query.filter(reply_template::Column::Language.eq(language.code()));
        }
        let mut templates = query
            .all(&self.db)
            .await
            .context("listing reply templates")?
            .into_iter()
            .map(record)
            .collect::<Result<Vec<_>, _>>()?;
        // Sorted here rather than in SQL: the lists are short, and "own category
        // first" would need a computed sort key on both backends.
        templates.sort_by_cached_key(offer_order);
        Ok(templates)
    }

    pub async fn reply_template(&self, id: i64) -> Result<Option<ReplyTemplateRecord>, StoreError> {
        reply_template::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .context("loading a reply template")?
            .map(record)
            .transpose()
    }

    /// Inserts a template, or replaces the one `template.id` names. The name check and
    /// the write are one transaction; the unique index catches a concurrent save that
    /// took the name in between.
    pub async fn save_reply_template(
        &self,
        template: &NewReplyTemplate,
        now: DateTime<Utc>,
    ) -> Result<TemplateSaved, StoreError> {
        let category = template.category_code.as_deref().unwrap_or(ANY_CATEGORY);
        let txn = self.begin_write().await?;
        let existing = match template.id {
            Some(id) => {
                let found = reply_template::Entity::find_by_id(id)
                    .one(&txn)
                    .await
                    .context("loading a reply template to update")?;
                match found {
                    Some(found) => Some(found),
                    None => return Ok(TemplateSaved::NotFound),
                }
            }
            None => None,
        };
        if name_taken(&txn, template, category).await? {
            return Ok(TemplateSaved::NameTaken);
        }
        let mut row = reply_template::ActiveModel {
            name: Set(template.name.clone()),
            category_code: Set(category.to_owned()),
            language: Set(template.language.code().to_owned()),
            body: Set(template.body.clone()),
            updated_at: Set(now),
            ..Default::default()
        };
        let written = match existing {
            Some(existing) => {
                row.id = Set(existing.id);
                row.created_at = Set(existing.created_at);
                row.update(&txn).await
            }
            None => {
                row.created_at = Set(now);
                row.insert(&txn).await
            }
        };
        let saved = match written {
            Ok(saved) => saved,
            Err(error) if is_unique_violation(&error) => return Ok(TemplateSaved::NameTaken),
            Err(error) => return Err(error).context("saving a reply template"),
        };
        txn.commit().await.context("committing a reply template")?;
        Ok(TemplateSaved::Saved(record(saved)?))
    }

    /// Deletes a template; `false` when there was none with this id.
    pub async fn delete_reply_template(&self, id: i64) -> Result<bool, StoreError> {
        let deleted = reply_template::Entity::delete_by_id(id)
            .exec(&self.db)
            .await
            .context("deleting a reply template")?;
        Ok(deleted.rows_affected > 0)
    }
}
