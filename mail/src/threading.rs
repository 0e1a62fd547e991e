//! Where a reply says which case it belongs to, besides the Message-IDs it answers:
//! the plus-address our `Reply-To` carries (`palaute+HEL-2026-000123@hel.fi`, see
//! [`PlusAddress`]) and a reference in the subject (`Re: [HEL-2026-000123] …`).

use palaute_core::Reference;
pub use palaute_core::email::PlusAddress;

/// Every distinct case reference in a subject, in order (`[HEL-2026-000123]`,
/// `HEL-2026-000123:`, lower case too).
pub fn reference_in_subject(subject: &str) -> Vec<Reference> {
    let mut found: Vec<Reference> = Vec::new();
    for word in subject.split(|c: char| !(c.is_ascii_alphanumeric() || c == '-')) {
        if let Ok(reference) = Reference::parse(word.trim_matches('-'))
            && !found.contains(&reference)
        {
            found.push(reference);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plus_address_carries_the_reference_there_and_back() {
        let inbound = PlusAddress::of("palaute@hel.fi").unwrap();
        let reference = Reference::new(2026, 123);
        let address = inbound.for_case(&reference);
        assert_eq!(address, "palaute+HEL-2026-000123@hel.fi");
        assert_eq!(inbound.reference_in(&address), Some(reference.clone()));
        assert_eq!(
            inbound.reference_in("PALAUTE+hel-2026-000123@HEL.FI"),
            Some(reference)
        );
        assert_eq!(inbound.reference_in("palaute@hel.fi"), None);
        assert_eq!(inbound.reference_in("other+HEL-2026-000123@hel.fi"), None);
        assert_eq!(
            inbound.reference_in("palaute+HEL-2026-000123@evil.example"),
            None
        );
        assert_eq!(inbound.reference_in("palaute+nonsense@hel.fi"), None);
    }

    #[test]
    fn references_are_found_in_reply_subjects() {
        assert_eq!(
            reference_in_subject("Re: [HEL-2026-000123] Katuvalo rikki"),
            vec![Reference::new(2026, 123)]
        );
        assert_eq!(
            reference_in_subject("VS: Palautteesi hel-2026-000042: kiitos"),
            vec![Reference::new(2026, 42)]
        );
        assert!(reference_in_subject("Katuvalo rikki Hämeentiellä 2026").is_empty());
        assert!(reference_in_subject("HEL-2026-12").is_empty());
    }
}
