//! Privacy by design, in words: what anonymising a case means, why a case was
//! anonymised (for its timeline), and the notice residents read before they send
//! feedback, in Finnish, Swedish and English.

use serde::{Deserialize, Serialize};

use crate::Language;

/// What free text and contact details become when a case is anonymised. One fixed
/// string, so that search, exports and the timeline show the same thing.
pub const ANONYMISED_TEXT: &str = "[anonymised]";

/// The kind of the timeline event an anonymised case gets.
pub const ANONYMISED_EVENT: &str = "anonymised";

/// Why a case's personal data was removed; written into its timeline event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "policy", rename_all = "snake_case")]
pub enum AnonymisationPolicy {
    /// The retention period after closing ran out (`[privacy] anonymise_after_days`).
    Retention { days: u32 },
    /// The resident asked for their data to be erased (`palaute privacy erase`).
    ErasureRequest,
}

impl AnonymisationPolicy {
    /// The actor the timeline names.
    pub fn actor(self) -> &'static str {
        match self {
            AnonymisationPolicy::Retention { .. } => "system:retention",
            AnonymisationPolicy::ErasureRequest => "system:erasure-request",
        }
    }
}

/// The privacy notice shown beside the feedback form, in plain words, for a retention
/// of `anonymise_after_days` days after closing (0: details are kept until a resident
/// asks for them to be erased).
pub fn privacy_notice(language: Language, anonymise_after_days: u32) -> String {
    let kept = retention_sentence(language, anonymise_after_days);
    match language {
        Language::Fi => format!(
            "Käytämme palautettasi sen käsittelyyn ja palvelujemme kehittämiseen. \
             Yhteystietojasi (nimi, sähköposti, puhelin) käytämme vain, jotta voimme vastata \
             sinulle ja kertoa asian etenemisestä; ne eivät näy muille. Voit jättää ne \
             antamatta. Kuvista poistetaan ennen tallennusta niiden sisältämät tiedot \
             kuvauspaikasta ja laitteesta. {kept} Tilastoihin jäävät vain aihe, käsittelevä \
             yksikkö, kanava, päivämäärät ja käsittelyn vaiheet, eivät tietosi. Voit pyytää \
             kaikki sähköpostiosoitteeseesi liittyvät tiedot nähtäväksesi tai poistettaviksi \
             ottamalla yhteyttä kirjaamoon."
        ),
        Language::Sv => format!(
            "Vi använder din respons för att behandla ärendet och utveckla våra tjänster. \
             Dina kontaktuppgifter (namn, e-post, telefon) använder vi bara för att svara dig \
             och berätta hur ärendet framskrider; de visas inte för andra. Du kan låta bli \
             att ge dem. Från bilder tas uppgifter om plats och enhet bort innan de sparas. \
             {kept} I statistiken finns bara ämne, enhet, kanal, datum och \
             behandlingsskeden kvar, inte dina uppgifter. Du kan begära att få se eller \
             radera alla uppgifter som hör till din e-postadress genom att kontakta \
             registratorskontoret."
        ),
        Language::En => format!(
            "We use your feedback to handle your matter and to improve our services. We use \
             your contact details (name, email, phone) only to answer you and to tell you how \
             your matter is going; no one else sees them. You may leave them out. Photos lose \
             the details of where and with what device they were taken before they are \
             stored. {kept} Our statistics keep only the topic, the unit, the channel, the \
             dates and the steps of handling, never your details. You can ask to see or to \
             erase everything held under your email address by contacting the registry \
             office."
        ),
    }
}

fn retention_sentence(language: Language, days: u32) -> String {
    match (language, days) {
        (Language::Fi, 0) => "Tietojasi säilytetään, kunnes pyydät niiden poistamista.".into(),
        (Language::Sv, 0) => "Dina uppgifter sparas tills du ber att de raderas.".into(),
        (Language::En, 0) => "Your details are kept until you ask for them to be erased.".into(),
        (Language::Fi, days) => format!(
            "Nimesi, yhteystietosi ja kirjoittamasi tekstit poistetaan {days} päivän kuluttua \
             asian sulkemisesta."
        ),
        (Language::Sv, days) => format!(
            "Ditt namn, dina kontaktuppgifter och dina texter raderas {days} dagar efter att \
             ärendet har avslutats."
        ),
        (Language::En, days) => format!(
            "Your name, contact details and the text you wrote are erased {days} days after \
             your matter is closed."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_notice_names_the_retention_in_every_language() {
        for language in [Language::Fi, Language::Sv, Language::En] {
            let notice = privacy_notice(language, 365);
            assert!(notice.contains("365"), "{notice}");
            let kept = privacy_notice(language, 0);
            assert!(!kept.contains(" 0 "), "{kept}");
            assert_ne!(notice, kept);
        }
        assert!(privacy_notice(Language::Sv, 30).contains("30 dagar"));
    }
}
