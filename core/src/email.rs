//! Email addresses palaute will write to.
//!
//! RFC 5321/5322 allow far more than mail systems deliver: quoted local parts
//! (`"x y"@example.com`), IP literals (`a@[127.0.0.1]`), single-label domains. Such an
//! address was accepted at intake and then failed every delivery attempt. Only the
//! dot-atom form with a dotted domain name is accepted here, which every relay and
//! the delivery path (lettre's mailbox and envelope) take; unseen characters that
//! change how an address looks (bidirectional controls, zero-width characters) are
//! refused so that an address shows what it is.

use std::fmt;

/// Longest address SMTP carries in a path (RFC 5321 §4.5.3.1.3).
const MAX_ADDRESS_LENGTH: usize = 254;
const MAX_LOCAL_PART_LENGTH: usize = 64;
const MAX_LABEL_LENGTH: usize = 63;

/// A deliverable email address, as the resident typed it apart from the domain, which
/// is lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct EmailAddress(String);

/// Why an address was refused, in words a resident understands.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an email address palaute can write to: {1}")]
pub struct EmailAddressError(pub String, pub &'static str);

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, EmailAddressError> {
        let refuse = |reason| Err(EmailAddressError(input.to_owned(), reason));
        let address = input.trim();
        if address.len() > MAX_ADDRESS_LENGTH {
            return refuse("it is longer than 254 bytes");
        }
        if address.chars().any(is_hidden_or_control) {
            return refuse("it contains spaces, control or invisible characters");
        }
        let Some((local, domain)) = address.rsplit_once('@') else {
            return refuse("it has no @");
        };
        if local.is_empty() {
            return refuse("nothing comes before the @");
        }
        if local.len() > MAX_LOCAL_PART_LENGTH {
            return refuse("the part before the @ is longer than 64 bytes");
        }
        if !local.split('.').all(is_atom) {
            return refuse(
                "the part before the @ may hold letters, digits and !#$%&'*+-/=?^_`{|}~, with single dots between them",
            );
        }
        if domain.starts_with('[') {
            return refuse("an IP address in brackets is not accepted; give a domain name");
        }
        let labels: Vec<&str> = domain.split('.').collect();
        if labels.len() < 2 {
            return refuse("the domain after the @ needs a dot, as in example.fi");
        }
        if !labels.iter().all(|label| is_domain_label(label)) {
            return refuse(
                "each part of the domain holds letters, digits or hyphens, and no part starts or ends with a hyphen",
            );
        }
        if labels
            .last()
            .is_some_and(|top| top.chars().all(|c| c.is_ascii_digit()))
        {
            return refuse("the domain ends in a number, not a name");
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }

    /// The form two addresses are compared in for limits per recipient: the whole
    /// address lower-cased (mail systems treat local parts case-insensitively in
    /// practice, though RFC 5321 lets them not to).
    pub fn canonical(&self) -> String {
        self.0.to_lowercase()
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str(&self.0)
    }
}

/// An RFC 5322 atom, extended to non-ASCII letters (RFC 6531).
fn is_atom(part: &str) -> bool {
    !part.is_empty()
        && part.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || "!#$%&'*+-/=?^_`{|}~".contains(c)
                || (!c.is_ascii() && c.is_alphanumeric())
        })
}

/// A DNS label, letters of any script allowed (internationalised domain names).
fn is_domain_label(label: &str) -> bool {
    !label.is_empty()
        && label.len() <= MAX_LABEL_LENGTH
        && !label.starts_with('-')
        && !label.ends_with('-')
        && label.chars().all(|c| c == '-' || c.is_alphanumeric())
}

/// Whitespace, control characters, and format characters that are invisible or
/// reorder text (bidirectional overrides and isolates, zero-width joiners, BOM).
fn is_hidden_or_control(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c,
            '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{2069}'
            | '\u{FEFF}'
            | '\u{00AD}')
}

/// An inbound address split for plus-addressing (`local+tag@domain`): outbound mail
/// of a case says `Reply-To: local+HEL-2026-000123@domain`, and a reply sent there
/// names its case whatever its headers lost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlusAddress {
    local: String,
    domain: String,
}

impl PlusAddress {
    /// The bare address in `mailbox` (`Name <address>` or `address`), without any tag.
    pub fn of(mailbox: &str) -> Option<Self> {
        let address = bare_address(mailbox)?;
        let (local, domain) = address.rsplit_once('@')?;
        let local = local.split('+').next().unwrap_or(local);
        (!local.is_empty() && !domain.is_empty()).then(|| Self {
            local: local.to_ascii_lowercase(),
            domain: domain.to_ascii_lowercase(),
        })
    }

    /// The address without any tag.
    pub fn untagged(&self) -> String {
        format!("{}@{}", self.local, self.domain)
    }

    /// The address that carries `reference`: where replies about that case go.
    pub fn for_case(&self, reference: &crate::Reference) -> String {
        format!("{}+{}@{}", self.local, reference, self.domain)
    }

    /// The case reference a recipient address carries, if it is this one with a tag.
    pub fn reference_in(&self, recipient: &str) -> Option<crate::Reference> {
        let (local, domain) = recipient.trim().rsplit_once('@')?;
        let (base, tag) = local.split_once('+')?;
        if !base.eq_ignore_ascii_case(&self.local) || !domain.eq_ignore_ascii_case(&self.domain) {
            return None;
        }
        crate::Reference::parse(tag).ok()
    }
}

/// The bare, lowercased address in `Name <address>` or `address`, if it is one
/// palaute can write to.
pub fn bare_address(mailbox: &str) -> Option<String> {
    let inner = match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(open), Some(close)) if open < close => mailbox.get(open + 1..close)?,
        _ => mailbox,
    };
    EmailAddress::parse(inner.trim())
        .ok()
        .map(|address| address.as_str().to_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ordinary_addresses_pass() {
        for good in [
            "maija@example.com",
            "maija.meikalainen+palaute@hel.fi",
            "o'brien@example.co.uk",
            "äiti@esimerkki.fi",
            "user@münchen.de",
            "x@a-b.example",
        ] {
            assert!(EmailAddress::parse(good).is_ok(), "{good}");
        }
        assert_eq!(
            EmailAddress::parse(" Maija@Example.COM ")
                .expect("valid")
                .as_str(),
            "Maija@example.com"
        );
    }

    #[test]
    fn undeliverable_and_deceptive_addresses_are_refused() {
        for bad in [
            "",
            "no-at-sign",
            "@example.com",
            "\"x\"@example.com",
            "\"a b\"@example.com",
            "a@[127.0.0.1]",
            "a@[IPv6:::1]",
            "a@localhost",
            "a@example.",
            "a@.example.com",
            "a@-example.com",
            "a@example.123",
            "a..b@example.com",
            ".a@example.com",
            "a.@example.com",
            "a b@example.com",
            "a@exa mple.com",
            "a\u{202E}moc.elpmaxe@example.com",
            "a\u{200B}@example.com",
            "a\n@example.com",
            "a(comment)@example.com",
            "a@b@example.com",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?} accepted");
        }
        let long_local = format!("{}@example.com", "a".repeat(65));
        assert!(EmailAddress::parse(&long_local).is_err());
        let long_address = format!("a@{}.fi", "b.".repeat(130));
        assert!(EmailAddress::parse(&long_address).is_err());
    }

    #[test]
    fn canonical_form_ignores_case() {
        let one = EmailAddress::parse("Maija@Example.com").expect("valid");
        let other = EmailAddress::parse("maija@example.COM").expect("valid");
        assert_eq!(one.canonical(), other.canonical());
    }
}
