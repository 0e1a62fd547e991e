//! Batched loading of what each case on a page shows besides its own row (contact
//! details, assignee, tags), so a page of 100 cases costs one query per kind instead
//! of one per case. No cache: every request sees the current data.

use std::collections::HashMap;

use async_graphql::dataloader::{DataLoader, Loader};
use palaute_core::CaseId;
use palaute_core::guidance::Answer;
use palaute_store::{ContactDetails, Store, StoreError};

/// The loader every resolver shares through the schema's data.
pub type CaseDetails = DataLoader<CaseDetailsLoader>;

pub fn case_details(store: Store) -> CaseDetails {
    DataLoader::new(CaseDetailsLoader { store }, tokio::spawn)
}

pub struct CaseDetailsLoader {
    store: Store,
}

/// A case's contact details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ContactOf(pub CaseId);

/// A case's tags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TagsOf(pub CaseId);

/// A case's answers to its category's questions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AnswersOf(pub CaseId);

/// A staff user's email, by their id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StaffEmail(pub i64);

impl Loader<ContactOf> for CaseDetailsLoader {
    type Value = ContactDetails;
    type Error = std::sync::Arc<StoreError>;

    async fn load(
        &self,
        keys: &[ContactOf],
    ) -> Result<HashMap<ContactOf, ContactDetails>, Self::Error> {
        let ids: Vec<CaseId> = keys.iter().map(|key| key.0).collect();
        let contacts = self
            .store
            .case_contacts(&ids)
            .await
            .map_err(std::sync::Arc::new)?;
        Ok(contacts
            .into_iter()
            .map(|(id, contact)| (ContactOf(id), contact))
            .collect())
    }
}

impl Loader<TagsOf> for CaseDetailsLoader {
    type Value = Vec<String>;
    type Error = std::sync::Arc<StoreError>;

    async fn load(&self, keys: &[TagsOf]) -> Result<HashMap<TagsOf, Vec<String>>, Self::Error> {
        let ids: Vec<CaseId> = keys.iter().map(|key| key.0).collect();
        let tags = self
            .store
            .case_tags(&ids)
            .await
            .map_err(std::sync::Arc::new)?;
        Ok(tags
            .into_iter()
            .map(|(id, tags)| (TagsOf(id), tags))
            .collect())
    }
}

impl Loader<AnswersOf> for CaseDetailsLoader {
    type Value = Vec<Answer>;
    type Error = std::sync::Arc<StoreError>;

    async fn load(
        &self,
        keys: &[AnswersOf],
    ) -> Result<HashMap<AnswersOf, Vec<Answer>>, Self::Error> {
        let ids: Vec<CaseId> = keys.iter().map(|key| key.0).collect();
        let answers = self
            .store
            .case_answers(&ids)
            .await
            .map_err(std::sync::Arc::new)?;
        Ok(answers
            .into_iter()
            .map(|(id, answers)| (AnswersOf(id), answers))
            .collect())
    }
}

impl Loader<StaffEmail> for CaseDetailsLoader {
    type Value = String;
    type Error = std::sync::Arc<StoreError>;

    async fn load(&self, keys: &[StaffEmail]) -> Result<HashMap<StaffEmail, String>, Self::Error> {
        let ids: Vec<i64> = keys.iter().map(|key| key.0).collect();
        let emails = self
            .store
            .staff_emails(&ids)
            .await
            .map_err(std::sync::Arc::new)?;
        Ok(emails
            .into_iter()
            .map(|(id, email)| (StaffEmail(id), email))
            .collect())
    }
}
