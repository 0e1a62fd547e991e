//! The vocabulary of a case: its identity, reference, channel, language and status.

use std::fmt;
use std::str::FromStr;

use crate::i18n::Localized;

/// Database identity of a case. Never shown to residents: they get a [`Reference`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CaseId(pub i64);

impl fmt::Display for CaseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The human reference a resident quotes: `HEL-2026-000123`.
///
/// The number counts up per calendar year (UTC); six digits are shown, more when a
/// year exceeds a million cases.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Reference {
    year: i32,
    number: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a case reference: expected the form HEL-2026-000123")]
pub struct ReferenceError;

impl Reference {
    pub const PREFIX: &'static str = "HEL";

    pub fn new(year: i32, number: i64) -> Self {
        Self { year, number }
    }

    /// Parses a reference as a resident might type it: case-insensitive, surrounding
    /// whitespace ignored.
    pub fn parse(input: &str) -> Result<Self, ReferenceError> {
        let upper = input.trim().to_ascii_uppercase();
        let mut parts = upper.splitn(3, '-');
        let (Some(prefix), Some(year), Some(number)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(ReferenceError);
        };
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if prefix != Self::PREFIX || year.len() != 4 || !all_digits(year) || number.len() < 6 {
            return Err(ReferenceError);
        }
        if !all_digits(number) || number.len() > 12 {
            return Err(ReferenceError);
        }
        let year = year.parse().map_err(|_| ReferenceError)?;
        let number = number.parse().map_err(|_| ReferenceError)?;
        if number == 0 {
            return Err(ReferenceError);
        }
        Ok(Self { year, number })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn number(&self) -> i64 {
        self.number
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{:04}-{:06}", Self::PREFIX, self.year, self.number)
    }
}

impl FromStr for Reference {
    type Err = ReferenceError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Declares a closed set of values with a stable lowercase code, as stored in the
/// database and written in configuration: `ALL`, `code()`, `from_code()` and `Display`.
#[macro_export]
macro_rules! coded_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$variant_meta:meta])* $variant:ident => $code:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name { $($(#[$variant_meta])* $variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stable code stored in the database and used in configuration.
            pub fn code(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($code => Some($name::$variant),)+ _ => None }
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.code())
            }
        }
    };
}

coded_enum!(
    /// Where a piece of feedback came from.
    Channel {
        Web => "web",
        MobileApp => "mobile_app",
        Email => "email",
        Phone => "phone",
        Sms => "sms",
        SocialMedia => "social_media",
        Open311 => "open311",
        Other => "other",
    }
);

coded_enum!(
    /// The three first-class languages. Every name a resident sees exists in each.
    Language {
        Fi => "fi",
        Sv => "sv",
        En => "en",
    }
);

coded_enum!(
    /// Where a case stands in its workflow.
    CaseStatus {
        New => "new",
        Routed => "routed",
        NeedsTriage => "needs_triage",
        InProgress => "in_progress",
        WaitingForResident => "waiting_for_resident",
        Resolved => "resolved",
        Closed => "closed",
    }
);

/// The `source` of a case made from an email by the email door (the other doors'
/// sources are API key names).
pub const MAIL_SOURCE: &str = "mail";

impl Channel {
    /// Channels a resident uses themself. The others (phone, SMS, social media, a
    /// forwarded email, another system) are entered by staff or an integration that
    /// holds a staff token, so that figures by channel say where feedback really came
    /// from; email and Open311 also have doors of their own.
    pub fn open_to_residents(self) -> bool {
        matches!(self, Channel::Web | Channel::MobileApp | Channel::Other)
    }
}

impl Language {
    /// The language used when nothing better is known: Helsinki's majority language.
    pub const DEFAULT: Language = Language::Fi;
}

impl CaseStatus {
    /// The status name a resident sees, in their language.
    pub fn name(self) -> Localized {
        match self {
            CaseStatus::New => Localized::new("Vastaanotettu", "Mottaget", "Received"),
            CaseStatus::Routed => {
                Localized::new("Käsittelyssä", "Under behandling", "Being handled")
            }
            CaseStatus::NeedsTriage => Localized::new(
                "Ohjataan käsittelijälle",
                "Skickas vidare till handläggare",
                "Being directed to a handler",
            ),
            CaseStatus::InProgress => {
                Localized::new("Käsittelyssä", "Under behandling", "Being handled")
            }
            CaseStatus::WaitingForResident => Localized::new(
                "Odottaa lisätietoja sinulta",
                "Väntar på mer information från dig",
                "Waiting for more information from you",
            ),
            CaseStatus::Resolved => Localized::new("Ratkaistu", "Löst", "Resolved"),
            CaseStatus::Closed => Localized::new("Suljettu", "Stängt", "Closed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_round_trips_through_display_and_parse() {
        let reference = Reference::new(2026, 123);
        assert_eq!(reference.to_string(), "HEL-2026-000123");
        assert_eq!(Reference::parse(" hel-2026-000123 "), Ok(reference));
        assert_eq!(
            Reference::new(2026, 1_234_567).to_string(),
            "HEL-2026-1234567"
        );
    }

    #[test]
    fn reference_rejects_malformed_input() {
        for bad in [
            "",
            "HEL",
            "HEL-26-000001",
            "ESP-2026-000001",
            "HEL-2026-12",
            "HEL-2026-00001x",
            "HEL-2026-000000",
        ] {
            assert_eq!(Reference::parse(bad), Err(ReferenceError), "{bad:?}");
        }
    }

    #[test]
    fn codes_round_trip() {
        for channel in Channel::ALL {
            assert_eq!(Channel::from_code(channel.code()), Some(*channel));
        }
        for status in CaseStatus::ALL {
            assert_eq!(CaseStatus::from_code(status.code()), Some(*status));
        }
        assert_eq!(Language::from_code("de"), None);
    }
}
