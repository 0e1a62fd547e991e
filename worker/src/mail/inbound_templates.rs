//! The text that tells a handler their case's resident wrote back by email, in the
//! handler's language, with the message itself so it can be read without signing in.

use palaute_core::Language;

use super::templates::{CaseFacts, push_line, subject};

/// Subject and body of the notice of the resident's message `message`.
pub fn resident_message_notice(
    facts: &CaseFacts,
    language: Language,
    message: &str,
    reopened: bool,
) -> (String, String) {
    let words = Wording::of(language);
    let subject = subject(facts.reference, words.subject, facts.title);
    let mut body = String::new();
    push_line(&mut body, words.intro);
    if reopened {
        push_line(&mut body, words.back_in_progress);
    }
    body.push('\n');
    push_line(&mut body, &format!("{}:", words.message));
    push_line(&mut body, message.trim());
    body.push('\n');
    push_line(&mut body, &format!("{}: {}", words.open, facts.staff_url));
    body.push('\n');
    push_line(&mut body, words.footer);
    (subject, body)
}

struct Wording {
    subject: &'static str,
    intro: &'static str,
    back_in_progress: &'static str,
    message: &'static str,
    open: &'static str,
    footer: &'static str,
}

impl Wording {
    fn of(language: Language) -> Self {
        match language {
            Language::Fi => Self {
                subject: "Asukas vastasi",
                intro: "Palautteen antaja vastasi sähköpostilla.",
                back_in_progress: "Asia on nyt taas käsittelyssä.",
                message: "Viesti",
                open: "Avaa asia",
                footer: "Tämä on palaute-järjestelmän automaattinen viesti.",
            },
            Language::Sv => Self {
                subject: "Invånaren svarade",
                intro: "Den som gav responsen svarade per e-post.",
                back_in_progress: "Ärendet är nu under behandling igen.",
                message: "Meddelande",
                open: "Öppna ärendet",
                footer: "Detta är ett automatiskt meddelande från responssystemet.",
            },
            Language::En => Self {
                subject: "The resident replied",
                intro: "The person who gave the feedback replied by email.",
                back_in_progress: "The case is in progress again.",
                message: "Message",
                open: "Open the case",
                footer: "This is an automatic message from the feedback system.",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use palaute_core::{CaseStatus, Channel};

    #[test]
    fn the_notice_carries_the_message_and_says_the_case_is_back() {
        let facts = CaseFacts {
            reference: "HEL-2026-000007",
            title: Some("Katuvalo"),
            description: "Katuvalo rikki",
            channel: Channel::Email,
            category_name: None,
            unit_name: "Rakennusvirasto",
            status: CaseStatus::InProgress,
            needs_triage: false,
            routing_reason: "",
            address: None,
            created_at: chrono::Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap(),
            contact_given: true,
            staff_url: "https://palaute.example/cases/HEL-2026-000007",
        };
        let (subject, body) =
            resident_message_notice(&facts, Language::Fi, "Valo on yhä rikki.\n", true);
        assert!(subject.contains("HEL-2026-000007"), "{subject}");
        assert!(body.contains("Valo on yhä rikki."), "{body}");
        assert!(body.contains("taas käsittelyssä"), "{body}");
        assert!(body.contains("/cases/HEL-2026-000007"), "{body}");
        let (_, quiet) = resident_message_notice(&facts, Language::En, "Thanks", false);
        assert!(!quiet.contains("in progress again"), "{quiet}");
    }
}
