//! Text that exists in Finnish, Swedish and English.

use chrono::{DateTime, Utc};
use chrono_tz::Europe::Helsinki;
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

/// A moment in Helsinki time as people write it in each language (emails, reply
/// templates):
/// `27.11.2026 klo 14.05`, `27.11.2026 kl. 14.05`, `27 Nov 2026 14:05`.
pub fn helsinki_time(at: DateTime<Utc>, language: Language) -> String {
    let local = at.with_timezone(&Helsinki);
    let pattern = match language {
        Language::Fi => "%-d.%-m.%Y klo %-H.%M",
        Language::Sv => "%-d.%-m.%Y kl. %-H.%M",
        Language::En => "%-d %b %Y %H:%M",
    };
    local.format(pattern).to_string()
}
