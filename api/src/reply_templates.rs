//! Reply templates: `replyTemplates` offers staff ready-made texts for a case's
//! category in the resident's language, already filled with the case's fields;
//! administrators keep them with `saveReplyTemplate` and `deleteReplyTemplate`.
//! Templates are only offered: a client puts the filled text (edited or not) into
//! `replyToResident` or a status note, so what the resident gets is always what a
//! person sent.

use std::sync::Arc;

use async_graphql::{Context, ErrorExtensions, InputObject, Object};
use chrono::{DateTime, Utc};
use palaute_core::i18n::helsinki_time;
use palaute_core::submission::too_long;
use palaute_core::text::{normalize, normalize_optional};
use palaute_core::{Localized, Organisation, ReplyTemplate, StaffRole, TemplateFields};
use palaute_store::{
    CaseRecord, NewReplyTemplate, ReplyTemplateRecord, Store, TemplateSaved, TemplatesFor,
};
use tracing::info;

use crate::auth::{require_role, require_staff};
use crate::errors::{bad_input, from_store, internal, not_found};
use crate::types::{CategoryView, Language, category_view};
use crate::workflow::case_in_scope;

const MAX_NAME_CHARS: usize = 200;

#[derive(Default)]
pub struct ReplyTemplateQuery;

#[derive(Default)]
pub struct ReplyTemplateMutation;

#[derive(InputObject)]
pub struct SaveReplyTemplateInput {
    /// The template to replace; null adds a new one.
    pub id: Option<i64>,
    /// What staff pick it by, unique per category and language: at most 200
    /// characters.
    pub name: String,
    /// The category it is for; null offers it for every category (after the
    /// category's own templates).
    pub category_code: Option<String>,
    pub language: Language,
    /// The text, at most 10,000 characters. Placeholders `{reference}`, `{title}`,
    /// `{category}`, `{unit}`, `{status}` and `{received}` are filled with the case's
    /// fields; `{{` and `}}` are literal braces.
    pub body: String,
}

/// A reply template, and for a case, its text filled with the case's fields.
pub struct ReplyTemplateView {
    template: ReplyTemplateRecord,
    filled: Option<String>,
}

#[Object(name = "ReplyTemplate")]
impl ReplyTemplateView {
    async fn id(&self) -> i64 {
        self.template.id
    }

    async fn name(&self) -> &str {
        &self.template.name
    }

    /// Null: offered for every category.
    async fn category_code(&self) -> Option<&str> {
        self.template.category_code.as_deref()
    }

    async fn category(&self, ctx: &Context<'_>) -> Option<CategoryView> {
        self.template
            .category_code
            .as_deref()
            .and_then(|code| category_view(ctx, code))
    }

    async fn language(&self) -> Language {
        self.template.language.into()
    }

    /// The text with its placeholders.
    async fn body(&self) -> &str {
        &self.template.body
    }

    /// The text filled with the case's fields, when the templates were asked for a
    /// case (`replyTemplates(reference: …)`); ready for `replyToResident`.
    async fn filled(&self) -> Option<&str> {
        self.filled.as_deref()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.template.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.template.updated_at
    }
}

#[Object]
impl ReplyTemplateQuery {
    /// Reply templates. Staff only. With `reference` (a case in the caller's scope),
    /// the templates for that case's category (its own first, then the general ones)
    /// in the resident's language (stated, else detected, else Finnish; `language`
    /// overrides it), each with `filled`. Without it, every template, or those offered
    /// for `categoryCode`, in `language` or all three.
    async fn reply_templates(
        &self,
        ctx: &Context<'_>,
        reference: Option<String>,
        category_code: Option<String>,
        language: Option<Language>,
    ) -> async_graphql::Result<Vec<ReplyTemplateView>> {
        let member = require_staff(ctx)?;
        let store = ctx.data_unchecked::<Store>();
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let Some(reference) = reference else {
            let which = match category_code.as_deref() {
                Some(code) => TemplatesFor::Category(Some(known_category(organisation, code)?)),
                None => TemplatesFor::Everything,
            };
            let templates = store
                .reply_templates(which, language.map(Into::into))
                .await
                .map_err(|error| from_store("listing reply templates", error))?;
            return Ok(templates.into_iter().map(unfilled).collect());
        };
        if category_code.is_some() {
            return Err(bad_input(
                "categoryCode",
                "give reference or categoryCode, not both: a case's templates are its category's",
            ));
        }
        let case = case_in_scope(store, member, &reference).await?;
        let language = language
            .map(Into::into)
            .or(case.stated_language)
            .or(case.language)
            .unwrap_or(palaute_core::Language::DEFAULT);
        let templates = store
            .reply_templates(
                TemplatesFor::Category(case.category_code.as_deref()),
                Some(language),
            )
            .await
            .map_err(|error| from_store("listing a case's reply templates", error))?;
        let fields = case_fields(organisation, &case, language);
        templates
            .into_iter()
            .map(|template| {
                // Bodies are checked when saved, so this fails only on a row written
                // around the API.
                let parsed = ReplyTemplate::parse(&template.body)
                    .map_err(|error| internal("filling a stored reply template", &error))?;
                Ok(ReplyTemplateView {
                    filled: Some(parsed.fill(&fields)),
                    template,
                })
            })
            .collect()
    }
}

#[Object]
impl ReplyTemplateMutation {
    /// Adds a reply template, or replaces the one `id` names. ADMIN only.
    async fn save_reply_template(
        &self,
        ctx: &Context<'_>,
        input: SaveReplyTemplateInput,
    ) -> async_graphql::Result<ReplyTemplateView> {
        let member = require_role(ctx, &[StaffRole::Admin])?;
        let organisation = ctx.data_unchecked::<Arc<Organisation>>();
        let name = normalize(&input.name);
        if name.is_empty() {
            return Err(bad_input("name", "name must not be empty"));
        }
        if let Some(message) = too_long("name", &name, MAX_NAME_CHARS) {
            return Err(bad_input("name", message));
        }
        let category_code = match normalize_optional(input.category_code.as_deref()) {
            Some(code) => Some(known_category(organisation, &code)?.to_owned()),
            None => None,
        };
        let body = normalize(&input.body);
        if let Err(refused) = ReplyTemplate::parse(&body) {
            let position = refused.position();
            return Err(bad_input("body", refused.to_string()).extend_with(
                move |_, extensions| {
                    if let Some(position) = position {
                        extensions.set("position", position);
                    }
                },
            ));
        }
        let template = NewReplyTemplate {
            id: input.id,
            name,
            category_code,
            language: input.language.into(),
            body,
        };
        let saved = ctx
            .data_unchecked::<Store>()
            .save_reply_template(&template, palaute_store::now())
            .await
            .map_err(|error| from_store("saving a reply template", error))?;
        match saved {
            TemplateSaved::Saved(record) => {
                info!(template = record.id, actor = %member.actor(), "reply template saved");
                Ok(unfilled(record))
            }
            TemplateSaved::NotFound => Err(not_found(format!(
                "no reply template {}",
                input.id.unwrap_or_default()
            ))),
            TemplateSaved::NameTaken => Err(bad_input(
                "name",
                format!(
                    "a template named {:?} already exists for this category and language",
                    template.name
                ),
            )),
        }
    }

    /// Deletes a reply template. ADMIN only. Replies already sent from it stay as sent.
    async fn delete_reply_template(
        &self,
        ctx: &Context<'_>,
        id: i64,
    ) -> async_graphql::Result<bool> {
        let member = require_role(ctx, &[StaffRole::Admin])?;
        let deleted = ctx
            .data_unchecked::<Store>()
            .delete_reply_template(id)
            .await
            .map_err(|error| from_store("deleting a reply template", error))?;
        if !deleted {
            return Err(not_found(format!("no reply template {id}")));
        }
        info!(template = id, actor = %member.actor(), "reply template deleted");
        Ok(true)
    }
}

fn unfilled(template: ReplyTemplateRecord) -> ReplyTemplateView {
    ReplyTemplateView {
        template,
        filled: None,
    }
}

/// The code if the organisation has that category; BAD_USER_INPUT on `categoryCode`.
fn known_category<'a>(
    organisation: &Organisation,
    code: &'a str,
) -> async_graphql::Result<&'a str> {
    match organisation.category(code) {
        Some(_) => Ok(code),
        None => Err(bad_input(
            "categoryCode",
            format!("unknown category {code:?}"),
        )),
    }
}

/// A case's fields as a resident reads them in `language`: names from the
/// organisation, the status as the tracking page words it.
fn case_fields(
    organisation: &Organisation,
    case: &CaseRecord,
    language: palaute_core::Language,
) -> TemplateFields {
    let unclassified = Localized::new("Ei luokiteltu", "Inte klassificerad", "Not classified");
    let category = case
        .category_code
        .as_deref()
        .and_then(|code| organisation.category(code))
        .map_or(unclassified.get(language), |category| {
            category.name.get(language)
        });
    let unit = case
        .unit_code
        .as_deref()
        .and_then(|code| organisation.unit(code))
        .map_or("", |unit| unit.name.get(language));
    TemplateFields {
        reference: case.reference.to_string(),
        title: case.title.clone().unwrap_or_default(),
        category: category.to_owned(),
        unit: unit.to_owned(),
        status: case.status.name().get(language).to_owned(),
        received: helsinki_time(case.created_at, language),
    }
}
