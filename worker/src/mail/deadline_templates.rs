//! The texts of deadline notices: a warning to the case's handler (or unit mailbox)
//! that a deadline is near, and the notice to the unit lead (or mailbox) that one
//! passed. Written in the unit's handler language, with the deadline in Helsinki time.

use chrono::{DateTime, Utc};
use palaute_core::{CaseStatus, Language};
use palaute_store::{Deadline, NoticeKind};

use super::templates::{helsinki_time, push_line, subject};

/// What a deadline notice says about its case. Names are in the recipient's language.
#[derive(Debug, Clone)]
pub struct DeadlineFacts<'a> {
    pub reference: &'a str,
    pub title: Option<&'a str>,
    pub description: &'a str,
    pub unit_name: &'a str,
    pub status: CaseStatus,
    pub created_at: DateTime<Utc>,
    pub deadline: Deadline,
    pub kind: NoticeKind,
    pub due_at: DateTime<Utc>,
    /// Link to the case in the staff user interface.
    pub staff_url: &'a str,
}

/// Subject and body of a deadline warning or breach notice.
pub fn deadline_notice(facts: &DeadlineFacts, language: Language) -> (String, String) {
    let words = DeadlineWording::of(language);
    let (lead, intro) = match (facts.kind, facts.deadline) {
        (NoticeKind::Warning, Deadline::FirstReply) => {
            (words.warning_subject, words.warning_first_reply)
        }
        (NoticeKind::Warning, Deadline::Resolution) => {
            (words.warning_subject, words.warning_resolution)
        }
        (NoticeKind::Breach, Deadline::FirstReply) => {
            (words.breach_subject, words.breach_first_reply)
        }
        (NoticeKind::Breach, Deadline::Resolution) => {
            (words.breach_subject, words.breach_resolution)
        }
    };
    let title = facts.title.or_else(|| {
        facts
            .description
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty())
    });
    let subject = subject(facts.reference, lead, title);

    let mut body = String::new();
    push_line(&mut body, intro);
    body.push('\n');
    let fields = [
        (words.deadline, helsinki_time(facts.due_at, language)),
        (words.reference, facts.reference.to_owned()),
        (words.received, helsinki_time(facts.created_at, language)),
        (words.unit, facts.unit_name.to_owned()),
        (words.status, facts.status.name().get(language).to_owned()),
    ];
    for (label, value) in fields {
        push_line(&mut body, &format!("{label}: {value}"));
    }
    body.push('\n');
    push_line(&mut body, words.open_link);
    push_line(&mut body, facts.staff_url);
    body.push('\n');
    push_line(&mut body, words.footer);
    (subject, body)
}

struct DeadlineWording {
    warning_subject: &'static str,
    breach_subject: &'static str,
    warning_first_reply: &'static str,
    warning_resolution: &'static str,
    breach_first_reply: &'static str,
    breach_resolution: &'static str,
    deadline: &'static str,
    reference: &'static str,
    received: &'static str,
    unit: &'static str,
    status: &'static str,
    open_link: &'static str,
    footer: &'static str,
}

impl DeadlineWording {
    fn of(language: Language) -> &'static Self {
        match language {
            Language::Fi => &Self::FI,
            Language::Sv => &Self::SV,
            Language::En => &Self::EN,
        }
    }

    const FI: Self = Self {
        warning_subject: "Määräaika lähestyy",
        breach_subject: "Määräaika ylittyi",
        warning_first_reply: "Palautteen antajalle ei ole vielä vastattu, ja ensimmäisen \
                              vastauksen määräaika lähestyy.",
        warning_resolution: "Palautteen käsittelyn määräaika lähestyy.",
        breach_first_reply: "Palautteen antajalle ei vastattu määräaikaan mennessä.",
        breach_resolution: "Palautteen käsittelyä ei saatu päätökseen määräaikaan mennessä.",
        deadline: "Määräaika",
        reference: "Tunnus",
        received: "Vastaanotettu",
        unit: "Käsittelevä yksikkö",
        status: "Tila",
        open_link: "Avaa palaute käsittelyjärjestelmässä:",
        footer: "Tämä on palautejärjestelmän automaattisesti lähettämä viesti.",
    };

    const SV: Self = Self {
        warning_subject: "Tidsfristen närmar sig",
        breach_subject: "Tidsfristen har överskridits",
        warning_first_reply: "Avsändaren har ännu inte fått något svar, och tidsfristen \
                              för det första svaret närmar sig.",
        warning_resolution: "Tidsfristen för behandlingen av responsen närmar sig.",
        breach_first_reply: "Avsändaren fick inget svar inom tidsfristen.",
        breach_resolution: "Behandlingen av responsen avslutades inte inom tidsfristen.",
        deadline: "Tidsfrist",
        reference: "Referensnummer",
        received: "Mottagen",
        unit: "Behandlande enhet",
        status: "Status",
        open_link: "Öppna responsen i behandlingssystemet:",
        footer: "Detta är ett automatiskt meddelande från responssystemet.",
    };

    const EN: Self = Self {
        warning_subject: "Deadline approaching",
        breach_subject: "Deadline missed",
        warning_first_reply: "The sender has not been answered yet, and the deadline for \
                              the first reply is approaching.",
        warning_resolution: "The deadline for resolving this feedback is approaching.",
        breach_first_reply: "The sender was not answered by the deadline.",
        breach_resolution: "This feedback was not resolved by the deadline.",
        deadline: "Deadline",
        reference: "Reference",
        received: "Received",
        unit: "Handling unit",
        status: "Status",
        open_link: "Open the feedback in the case system:",
        footer: "This is an automated message from the feedback system.",
    };
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn facts(kind: NoticeKind, deadline: Deadline) -> DeadlineFacts<'static> {
        DeadlineFacts {
            reference: "HEL-2026-000123",
            title: None,
            description: "Katulamppu on rikki.\nKulmassa on pimeää.",
            unit_name: "Rakennusvirasto",
            status: CaseStatus::InProgress,
            // 07:00 UTC is 10.00 in Helsinki in September (UTC+3).
            created_at: Utc.with_ymd_and_hms(2026, 9, 7, 7, 0, 0).single().unwrap(),
            deadline,
            kind,
            due_at: Utc.with_ymd_and_hms(2026, 9, 14, 7, 0, 0).single().unwrap(),
            staff_url: "https://palaute.hel.fi/cases/HEL-2026-000123",
        }
    }

    #[test]
    fn a_notice_names_the_case_the_deadline_in_helsinki_time_and_a_link() {
        for (language, due, subject_lead) in [
            (Language::Fi, "14.9.2026 klo 10.00", "Määräaika lähestyy"),
            (
                Language::Sv,
                "14.9.2026 kl. 10.00",
                "Tidsfristen närmar sig",
            ),
            (Language::En, "14 Sep 2026 10:00", "Deadline approaching"),
        ] {
            let (subject, body) =
                deadline_notice(&facts(NoticeKind::Warning, Deadline::FirstReply), language);
            assert_eq!(
                subject,
                format!("[HEL-2026-000123] {subject_lead}: Katulamppu on rikki.")
            );
            for needle in [
                due,
                "HEL-2026-000123",
                "Rakennusvirasto",
                "https://palaute.hel.fi/cases/HEL-2026-000123",
                CaseStatus::InProgress.name().get(language),
                DeadlineWording::of(language).warning_first_reply,
            ] {
                assert!(
                    body.contains(needle),
                    "{language}: {needle:?} not in\n{body}"
                );
            }
        }
    }

    #[test]
    fn every_kind_and_deadline_has_its_own_words() {
        for language in Language::ALL {
            let mut intros = Vec::new();
            for kind in NoticeKind::ALL {
                for deadline in Deadline::ALL {
                    let (subject, body) = deadline_notice(&facts(*kind, *deadline), *language);
                    assert!(subject.starts_with("[HEL-2026-000123] "), "{subject}");
                    intros.push(body.lines().next().unwrap_or_default().to_owned());
                }
            }
            intros.sort();
            intros.dedup();
            assert_eq!(intros.len(), 4, "{language}: {intros:?}");
        }
    }
}
