//! Text that exists in Finnish, Swedish and English.

use serde::{Deserialize, Serialize};

use crate::case::Language;

/// A name or sentence in the three first-class languages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Localized {
    pub fi: String,
    pub sv: String,
    pub en: String,
}

impl Localized {
    pub fn new(fi: impl Into<String>, sv: impl Into<String>, en: impl Into<String>) -> Self {
        Self {
            fi: fi.into(),
            sv: sv.into(),
            en: en.into(),
        }
    }

    pub fn get(&self, language: Language) -> &str {
        match language {
            Language::Fi => &self.fi,
            Language::Sv => &self.sv,
            Language::En => &self.en,
        }
    }
}
