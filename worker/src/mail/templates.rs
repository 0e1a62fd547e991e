//! The texts of the emails palaute sends, in the recipient's language.
//!
//! The emails: the notification a case handler gets when a case reaches their unit,
//! the acknowledgement a resident gets after giving feedback, staff's reply to the
//! resident, and the notice that their feedback was merged into another case. Every phrase
//! lives in a per-language wording table, so a phrase missing in one language is a
//! compile error rather than a blank line in someone's inbox.

use chrono::{DateTime, Utc};
pub use palaute_core::i18n::helsinki_time;
use palaute_core::{CaseStatus, Channel, Language};

/// Subjects longer than this are cut (with "…") at the case title: long subjects get
/// cut anyway by mail clients, and the reference in front must survive.
pub const SUBJECT_MAX_CHARS: usize = 120;

/// What the emails say about a case. Names (category, unit) are already in the
/// recipient's language.
#[derive(Debug, Clone)]
pub struct CaseFacts<'a> {
    /// The reference the resident quotes, e.g. `HEL-2026-000123`.
    pub reference: &'a str,
    pub title: Option<&'a str>,
    pub description: &'a str,
    pub channel: Channel,
    pub category_name: Option<&'a str>,
    pub unit_name: &'a str,
    pub status: CaseStatus,
    pub needs_triage: bool,
    /// Why routing chose the unit. For handlers only, never shown to residents.
    pub routing_reason: &'a str,
    pub address: Option<&'a str>,
    pub created_at: DateTime<Utc>,
    /// Whether the resident left contact details for a reply.
    pub contact_given: bool,
    /// Link to the case in the staff user interface.
    pub staff_url: &'a str,
}

/// Subject and body of the email telling a handler that a case reached their unit.
///
/// Carries everything needed to judge the case without opening it: the full
/// description, category, channel, address and why routing chose this unit.
pub fn handler_notification(facts: &CaseFacts, language: Language) -> (String, String) {
    let words = HandlerWording::of(language);
    let subject = subject(
        facts.reference,
        words.subject,
        facts.title.or_else(|| first_line(facts.description)),
    );

    let mut body = String::new();
    push_line(&mut body, words.intro);
    body.push('\n');
    if needs_triage(facts) {
        push_line(&mut body, words.triage_note);
        body.push('\n');
    }
    let fields = [
        (words.reference, facts.reference.to_owned()),
        (words.received, helsinki_time(facts.created_at, language)),
        (
            words.channel,
            capitalised(channel_name(facts.channel, language)),
        ),
        (
            words.category,
            facts.category_name.unwrap_or(words.no_category).to_owned(),
        ),
        (
            words.address,
            facts.address.unwrap_or(words.no_address).to_owned(),
        ),
        (words.unit, facts.unit_name.to_owned()),
        (words.status, facts.status.name().get(language).to_owned()),
        (
            words.contact,
            if facts.contact_given {
                words.contact_given
            } else {
                words.contact_missing
            }
            .to_owned(),
        ),
        (words.routing_reason, facts.routing_reason.to_owned()),
    ];
    for (label, value) in fields {
        push_line(&mut body, &format!("{label}: {value}"));
    }
    body.push('\n');
    if let Some(title) = facts.title {
        push_line(&mut body, &format!("{}: {title}", words.title));
    }
    push_line(&mut body, &format!("{}:", words.description));
    push_line(&mut body, facts.description.trim_end());
    body.push('\n');
    push_line(&mut body, words.open_link);
    push_line(&mut body, facts.staff_url);
    body.push('\n');
    push_line(&mut body, words.footer);
    (subject, body)
}

/// Subject and body of the email thanking a resident for their feedback.
///
/// Tells the reference, what happens next and where to follow the case. It never
/// contains the internal routing reason.
pub fn acknowledgement(
    facts: &CaseFacts,
    language: Language,
    tracking_url: &str,
) -> (String, String) {
    let words = AcknowledgementWording::of(language);
    let subject = subject(facts.reference, words.subject, None);

    let mut body = String::new();
    push_line(&mut body, words.greeting);
    body.push('\n');
    push_line(
        &mut body,
        &format!(
            "{} {}.",
            words.thanks,
            helsinki_time(facts.created_at, language)
        ),
    );
    body.push('\n');
    push_line(
        &mut body,
        &format!(
            "{} {}. {}",
            words.reference, facts.reference, words.quote_reference
        ),
    );
    body.push('\n');
    push_line(&mut body, words.next_heading);
    if needs_triage(facts) {
        push_line(&mut body, words.next_triage);
    } else {
        push_line(
            &mut body,
            &format!(
                "{} {}. {}",
                words.next_routed, facts.unit_name, words.next_handler
            ),
        );
    }
    if facts.contact_given {
        push_line(&mut body, words.next_contact);
    }
    body.push('\n');
    push_line(
        &mut body,
        &format!("{}: {}", words.status, facts.status.name().get(language)),
    );
    body.push('\n');
    push_line(&mut body, words.tracking);
    push_line(&mut body, tracking_url);
    body.push('\n');
    push_line(&mut body, words.regards);
    push_line(&mut body, words.signature);
    body.push('\n');
    push_line(&mut body, words.footer);
    (subject, body)
}

/// Subject and body of staff's reply to a resident: the reply as written, framed by
/// the reference, the status it leaves the case in and the tracking link.
pub fn resident_reply(
    facts: &CaseFacts,
    language: Language,
    reply: &str,
    tracking_url: &str,
) -> (String, String) {
    let words = ReplyWording::of(language);
    let common = AcknowledgementWording::of(language);
    let subject = subject(facts.reference, words.subject, None);
    let mut body = String::new();
    push_line(&mut body, common.greeting);
    body.push('\n');
    push_line(&mut body, &format!("{} {}:", words.intro, facts.reference));
    body.push('\n');
    push_line(&mut body, reply.trim());
    body.push('\n');
    push_line(
        &mut body,
        &format!("{}: {}", common.status, facts.status.name().get(language)),
    );
    body.push('\n');
    push_line(&mut body, common.tracking);
    push_line(&mut body, tracking_url);
    body.push('\n');
    push_line(&mut body, common.regards);
    push_line(&mut body, common.signature);
    body.push('\n');
    push_line(&mut body, &format!("{} {}.", words.footer, facts.reference));
    (subject, body)
}

/// Subject and body of the email telling a resident that their feedback was merged
/// into another case about the same matter, which carries it on.
pub fn merge_notice(
    facts: &CaseFacts,
    language: Language,
    kept_reference: &str,
    tracking_url: &str,
) -> (String, String) {
    let words = MergeWording::of(language);
    let common = AcknowledgementWording::of(language);
    let subject = subject(facts.reference, words.subject, None);
    let mut body = String::new();
    push_line(&mut body, common.greeting);
    body.push('\n');
    // The kept reference on a line of its own: it is what the resident quotes from now.
    push_line(
        &mut body,
        &format!("{} {} {}:", words.intro, facts.reference, words.same_matter),
    );
    push_line(&mut body, kept_reference);
    push_line(&mut body, words.together);
    body.push('\n');
    push_line(&mut body, common.tracking);
    push_line(&mut body, tracking_url);
    body.push('\n');
    push_line(&mut body, common.regards);
    push_line(&mut body, common.signature);
    body.push('\n');
    push_line(&mut body, common.footer);
    (subject, body)
}

/// How a channel is called in running text, in lower case.
pub fn channel_name(channel: Channel, language: Language) -> &'static str {
    let (fi, sv, en) = match channel {
        Channel::Web => ("verkkolomake", "webbformulär", "web form"),
        Channel::MobileApp => ("mobiilisovellus", "mobilapp", "mobile app"),
        Channel::Email => ("sähköposti", "e-post", "email"),
        Channel::Phone => ("puhelin", "telefon", "phone"),
        Channel::Sms => ("tekstiviesti", "textmeddelande", "text message"),
        Channel::SocialMedia => ("sosiaalinen media", "sociala medier", "social media"),
        Channel::Open311 => (
            "Open311-rajapinta",
            "Open311-gränssnitt",
            "Open311 interface",
        ),
        Channel::Other => ("muu", "annan", "other"),
    };
    match language {
        Language::Fi => fi,
        Language::Sv => sv,
        Language::En => en,
    }
}

fn needs_triage(facts: &CaseFacts) -> bool {
    facts.needs_triage || facts.status == CaseStatus::NeedsTriage
}

/// `[reference] lead: title`, cut at the title to stay within [`SUBJECT_MAX_CHARS`].
pub(super) fn subject(reference: &str, lead: &str, title: Option<&str>) -> String {
    let prefix = format!("[{reference}] {lead}");
    let title = title.map(collapse_whitespace).filter(|t| !t.is_empty());
    let Some(title) = title else {
        return prefix;
    };
    let room = SUBJECT_MAX_CHARS.saturating_sub(prefix.chars().count() + ": ".len());
    format!("{prefix}: {}", truncated(&title, room))
}

fn truncated(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_owned();
    }
    let kept: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

fn collapse_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn first_line(text: &str) -> Option<&str> {
    text.lines().map(str::trim).find(|line| !line.is_empty())
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

pub(super) fn push_line(body: &mut String, line: &str) {
    body.push_str(line);
    body.push('\n');
}

struct HandlerWording {
    subject: &'static str,
    intro: &'static str,
    triage_note: &'static str,
    reference: &'static str,
    received: &'static str,
    channel: &'static str,
    category: &'static str,
    no_category: &'static str,
    address: &'static str,
    no_address: &'static str,
    unit: &'static str,
    status: &'static str,
    contact: &'static str,
    contact_given: &'static str,
    contact_missing: &'static str,
    routing_reason: &'static str,
    title: &'static str,
    description: &'static str,
    open_link: &'static str,
    footer: &'static str,
}

impl HandlerWording {
    fn of(language: Language) -> &'static Self {
        match language {
            Language::Fi => &Self::FI,
            Language::Sv => &Self::SV,
            Language::En => &Self::EN,
        }
    }

    const FI: Self = Self {
        subject: "Uusi palaute",
        intro: "Uusi palaute on saapunut käsiteltäväksi.",
        triage_note: "HUOM: Palautetta ei voitu ohjata automaattisesti varmalla tavalla. \
                      Tarkistathan sen aiheen ja ohjaat sen tarvittaessa oikealle yksikölle.",
        reference: "Tunnus",
        received: "Vastaanotettu",
        channel: "Kanava",
        category: "Luokka",
        no_category: "Ei luokiteltu",
        address: "Osoite",
        no_address: "Ei ilmoitettu",
        unit: "Käsittelevä yksikkö",
        status: "Tila",
        contact: "Yhteystiedot",
        contact_given: "Palautteen antaja on jättänyt yhteystietonsa.",
        contact_missing: "Palautteen antaja ei jättänyt yhteystietoja, joten hänelle ei voi vastata suoraan.",
        routing_reason: "Ohjauksen peruste",
        title: "Otsikko",
        description: "Palaute",
        open_link: "Avaa palaute käsittelyjärjestelmässä:",
        footer: "Tämä on palautejärjestelmän automaattisesti lähettämä viesti.",
    };

    const SV: Self = Self {
        subject: "Ny respons",
        intro: "En ny respons har kommit in för behandling.",
        triage_note: "OBS: Responsen kunde inte styras automatiskt med säkerhet. \
                      Kontrollera ämnet och skicka den vid behov vidare till rätt enhet.",
        reference: "Referensnummer",
        received: "Mottagen",
        channel: "Kanal",
        category: "Kategori",
        no_category: "Inte klassificerad",
        address: "Adress",
        no_address: "Inte angiven",
        unit: "Behandlande enhet",
        status: "Status",
        contact: "Kontaktuppgifter",
        contact_given: "Avsändaren har lämnat sina kontaktuppgifter.",
        contact_missing: "Avsändaren lämnade inga kontaktuppgifter, så det går inte att svara direkt.",
        routing_reason: "Grund för styrningen",
        title: "Rubrik",
        description: "Respons",
        open_link: "Öppna responsen i behandlingssystemet:",
        footer: "Detta är ett automatiskt meddelande från responssystemet.",
    };

    const EN: Self = Self {
        subject: "New feedback",
        intro: "New feedback has arrived for handling.",
        triage_note: "NOTE: This feedback could not be routed automatically with confidence. \
                      Please check its topic and forward it to the right unit if needed.",
        reference: "Reference",
        received: "Received",
        channel: "Channel",
        category: "Category",
        no_category: "Not classified",
        address: "Address",
        no_address: "Not given",
        unit: "Handling unit",
        status: "Status",
        contact: "Contact details",
        contact_given: "The sender left their contact details.",
        contact_missing: "The sender left no contact details, so they cannot be answered directly.",
        routing_reason: "Routing reason",
        title: "Title",
        description: "Feedback",
        open_link: "Open the feedback in the case system:",
        footer: "This is an automated message from the feedback system.",
    };
}

struct AcknowledgementWording {
    subject: &'static str,
    greeting: &'static str,
    /// Followed by the time the feedback arrived and a full stop.
    thanks: &'static str,
    /// Followed by the reference and a full stop.
    reference: &'static str,
    quote_reference: &'static str,
    next_heading: &'static str,
    /// Followed by the unit name and a full stop.
    next_routed: &'static str,
    next_handler: &'static str,
    next_triage: &'static str,
    next_contact: &'static str,
    status: &'static str,
    tracking: &'static str,
    regards: &'static str,
    signature: &'static str,
    footer: &'static str,
}

impl AcknowledgementWording {
    fn of(language: Language) -> &'static Self {
        match language {
            Language::Fi => &Self::FI,
            Language::Sv => &Self::SV,
            Language::En => &Self::EN,
        }
    }

    const FI: Self = Self {
        subject: "Kiitos palautteestasi",
        greeting: "Hei,",
        thanks: "kiitos palautteestasi Helsingin kaupungille. Otimme sen vastaan",
        reference: "Palautteesi tunnus on",
        quote_reference: "Mainitsethan tunnuksen, jos otat meihin yhteyttä tähän palautteeseen liittyen.",
        next_heading: "Mitä seuraavaksi tapahtuu",
        next_routed: "Palautteesi on ohjattu käsiteltäväksi yksikölle",
        next_handler: "Käsittelijä perehtyy siihen mahdollisimman pian.",
        next_triage: "Ohjaamme palautteesi oikealle käsittelijälle mahdollisimman pian.",
        next_contact: "Jos palautteesi vaatii vastauksen tai lisätietoja, käsittelijä ottaa sinuun yhteyttä.",
        status: "Palautteesi tila",
        tracking: "Voit seurata palautteesi käsittelyä osoitteessa:",
        regards: "Ystävällisin terveisin",
        signature: "Helsingin kaupunki",
        footer: "Tämä on automaattinen viesti, eikä siihen tarvitse vastata.",
    };

    const SV: Self = Self {
        subject: "Tack för din respons",
        greeting: "Hej,",
        thanks: "tack för din respons till Helsingfors stad. Vi tog emot den",
        reference: "Referensnumret för din respons är",
        quote_reference: "Ange gärna referensnumret om du kontaktar oss om den här responsen.",
        next_heading: "Vad händer härnäst",
        next_routed: "Din respons har skickats för behandling till enheten",
        next_handler: "Handläggaren tar del av den så snart som möjligt.",
        next_triage: "Vi skickar din respons vidare till rätt handläggare så snart som möjligt.",
        next_contact: "Om din respons kräver ett svar eller mer information kontaktar handläggaren dig.",
        status: "Status för din respons",
        tracking: "Du kan följa behandlingen av din respons på adressen:",
        regards: "Med vänliga hälsningar",
        signature: "Helsingfors stad",
        footer: "Detta är ett automatiskt meddelande och du behöver inte svara på det.",
    };

    const EN: Self = Self {
        subject: "Thank you for your feedback",
        greeting: "Hello,",
        thanks: "Thank you for your feedback to the City of Helsinki. We received it on",
        reference: "The reference of your feedback is",
        quote_reference: "Please mention it if you contact us about this feedback.",
        next_heading: "What happens next",
        next_routed: "Your feedback has been passed on for handling to the unit",
        next_handler: "A handler will look into it as soon as possible.",
        next_triage: "We will direct your feedback to the right handler as soon as possible.",
        next_contact: "If your feedback needs a reply or more information, the handler will contact you.",
        status: "Status of your feedback",
        tracking: "You can follow the handling of your feedback at:",
        regards: "Kind regards",
        signature: "City of Helsinki",
        footer: "This is an automated message; there is no need to reply to it.",
    };
}

struct ReplyWording {
    subject: &'static str,
    /// Followed by the reference and a colon.
    intro: &'static str,
    /// Followed by the reference and a full stop.
    footer: &'static str,
}

impl ReplyWording {
    fn of(language: Language) -> &'static Self {
        match language {
            Language::Fi => &Self::FI,
            Language::Sv => &Self::SV,
            Language::En => &Self::EN,
        }
    }

    const FI: Self = Self {
        subject: "Vastaus palautteeseesi",
        intro: "Olemme vastanneet palautteeseesi",
        footer: "Jos haluat lisätä jotain, anna uusi palaute ja mainitse siinä tunnus",
    };

    const SV: Self = Self {
        subject: "Svar på din respons",
        intro: "Vi har svarat på din respons",
        footer: "Om du vill tillägga något, ge en ny respons och ange referensnumret",
    };

    const EN: Self = Self {
        subject: "A reply to your feedback",
        intro: "We have replied to your feedback",
        footer: "If you want to add something, give new feedback and mention the reference",
    };
}

struct MergeWording {
    subject: &'static str,
    /// Followed by the resident's reference.
    intro: &'static str,
    /// Followed by a colon and the kept case's reference on its own line.
    same_matter: &'static str,
    together: &'static str,
}

impl MergeWording {
    fn of(language: Language) -> &'static Self {
        match language {
            Language::Fi => &Self::FI,
            Language::Sv => &Self::SV,
            Language::En => &Self::EN,
        }
    }

    const FI: Self = Self {
        subject: "Palautteesi käsitellään yhdessä toisen kanssa",
        intro: "Palautteesi",
        same_matter: "koskee samaa asiaa kuin palaute",
        together: "Käsittelemme ne yhdessä, ja asian käsittely jatkuu tuolla tunnuksella.",
    };

    const SV: Self = Self {
        subject: "Din respons behandlas tillsammans med en annan",
        intro: "Din respons",
        same_matter: "gäller samma sak som responsen",
        together: "Vi behandlar dem tillsammans, och ärendet fortsätter under det referensnumret.",
    };

    const EN: Self = Self {
        subject: "Your feedback is handled together with another",
        intro: "Your feedback",
        same_matter: "is about the same matter as feedback",
        together: "We handle them together, and the matter carries on under that reference.",
    };
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn facts() -> CaseFacts<'static> {
        CaseFacts {
            reference: "HEL-2026-000123",
            title: Some("Katulamppu rikki"),
            description: "Katulamppu on ollut rikki viikon.\nKulmassa on pimeää.",
            channel: Channel::Web,
            category_name: Some("Katuvalaistus"),
            unit_name: "Katujen kunnossapito",
            status: CaseStatus::Routed,
            needs_triage: false,
            routing_reason: "sääntö: avainsana 'katulamppu' (luottamus 0.92)",
            address: Some("Mannerheimintie 1"),
            // 12.05 UTC is 14.05 in Helsinki in winter (UTC+2).
            created_at: Utc
                .with_ymd_and_hms(2026, 11, 27, 12, 5, 0)
                .single()
                .expect("valid date"),
            contact_given: true,
            staff_url: "https://palaute.hel.fi/staff/cases/42",
        }
    }

    const TRACKING: &str = "https://palaute.hel.fi/seuranta/abc123";

    #[test]
    fn times_are_shown_in_helsinki_time_in_each_language() {
        let winter = facts().created_at;
        assert_eq!(helsinki_time(winter, Language::Fi), "27.11.2026 klo 14.05");
        assert_eq!(helsinki_time(winter, Language::Sv), "27.11.2026 kl. 14.05");
        assert_eq!(helsinki_time(winter, Language::En), "27 Nov 2026 14:05");

        // Summer time is UTC+3; single-digit days, months and hours are not padded in fi/sv.
        let summer = Utc
            .with_ymd_and_hms(2026, 6, 4, 6, 7, 0)
            .single()
            .expect("valid date");
        assert_eq!(helsinki_time(summer, Language::Fi), "4.6.2026 klo 9.07");
        assert_eq!(helsinki_time(summer, Language::Sv), "4.6.2026 kl. 9.07");
        assert_eq!(helsinki_time(summer, Language::En), "4 Jun 2026 09:07");
    }

    #[test]
    fn handler_subjects_lead_with_the_reference() {
        let cases = [
            (
                Language::Fi,
                "[HEL-2026-000123] Uusi palaute: Katulamppu rikki",
            ),
            (
                Language::Sv,
                "[HEL-2026-000123] Ny respons: Katulamppu rikki",
            ),
            (
                Language::En,
                "[HEL-2026-000123] New feedback: Katulamppu rikki",
            ),
        ];
        for (language, expected) in cases {
            assert_eq!(handler_notification(&facts(), language).0, expected);
        }
    }

    #[test]
    fn acknowledgement_subjects_thank_the_resident() {
        let cases = [
            (Language::Fi, "[HEL-2026-000123] Kiitos palautteestasi"),
            (Language::Sv, "[HEL-2026-000123] Tack för din respons"),
            (
                Language::En,
                "[HEL-2026-000123] Thank you for your feedback",
            ),
        ];
        for (language, expected) in cases {
            assert_eq!(acknowledgement(&facts(), language, TRACKING).0, expected);
        }
    }

    #[test]
    fn handler_notification_carries_everything_needed_to_act() {
        let expected_time = [
            (Language::Fi, "27.11.2026 klo 14.05", "Verkkolomake"),
            (Language::Sv, "27.11.2026 kl. 14.05", "Webbformulär"),
            (Language::En, "27 Nov 2026 14:05", "Web form"),
        ];
        for (language, time, channel) in expected_time {
            let (_, body) = handler_notification(&facts(), language);
            for needle in [
                "HEL-2026-000123",
                time,
                channel,
                "Katulamppu on ollut rikki viikon.\nKulmassa on pimeää.",
                "Katuvalaistus",
                "Mannerheimintie 1",
                "Katujen kunnossapito",
                "sääntö: avainsana 'katulamppu' (luottamus 0.92)",
                "https://palaute.hel.fi/staff/cases/42",
                CaseStatus::Routed.name().get(language),
            ] {
                assert!(
                    body.contains(needle),
                    "{language}: {needle:?} missing from\n{body}"
                );
            }
            let triage_note = HandlerWording::of(language).triage_note;
            assert!(
                !body.contains(triage_note),
                "{language}: unexpected triage note"
            );
        }
    }

    #[test]
    fn handler_notification_flags_cases_that_need_triage() {
        let triage = CaseFacts {
            needs_triage: true,
            category_name: None,
            address: None,
            contact_given: false,
            ..facts()
        };
        for language in Language::ALL {
            let words = HandlerWording::of(*language);
            let (_, body) = handler_notification(&triage, *language);
            for needle in [
                words.triage_note,
                words.no_category,
                words.no_address,
                words.contact_missing,
            ] {
                assert!(
                    body.contains(needle),
                    "{language}: {needle:?} missing from\n{body}"
                );
            }
        }
    }

    #[test]
    fn acknowledgement_tells_reference_next_steps_and_tracking_link() {
        let expected_time = [
            (Language::Fi, "27.11.2026 klo 14.05"),
            (Language::Sv, "27.11.2026 kl. 14.05"),
            (Language::En, "27 Nov 2026 14:05"),
        ];
        for (language, time) in expected_time {
            let words = AcknowledgementWording::of(language);
            let (_, body) = acknowledgement(&facts(), language, TRACKING);
            for needle in [
                "HEL-2026-000123",
                time,
                TRACKING,
                "Katujen kunnossapito",
                words.next_contact,
                CaseStatus::Routed.name().get(language),
            ] {
                assert!(
                    body.contains(needle),
                    "{language}: {needle:?} missing from\n{body}"
                );
            }
        }
    }

    #[test]
    fn acknowledgement_never_reveals_internal_details() {
        let triage = CaseFacts {
            needs_triage: true,
            status: CaseStatus::NeedsTriage,
            contact_given: false,
            ..facts()
        };
        for language in Language::ALL {
            for case in [facts(), triage.clone()] {
                let (_, body) = acknowledgement(&case, *language, TRACKING);
                assert!(!body.contains(case.routing_reason), "{language}:\n{body}");
                assert!(!body.contains("luottamus"), "{language}:\n{body}");
                assert!(!body.contains(case.staff_url), "{language}:\n{body}");
            }
            let (_, body) = acknowledgement(&triage, *language, TRACKING);
            let words = AcknowledgementWording::of(*language);
            assert!(body.contains(words.next_triage), "{language}:\n{body}");
            assert!(!body.contains(words.next_contact), "{language}:\n{body}");
            assert!(!body.contains(triage.unit_name), "{language}:\n{body}");
        }
    }

    #[test]
    fn long_titles_are_cut_to_keep_the_subject_short() {
        let long_title = "Kävelytien lämmitys ".repeat(20);
        let long = CaseFacts {
            title: Some(&long_title),
            ..facts()
        };
        for language in Language::ALL {
            let (subject, _) = handler_notification(&long, *language);
            assert!(subject.chars().count() <= SUBJECT_MAX_CHARS, "{subject}");
            assert!(subject.starts_with("[HEL-2026-000123] "), "{subject}");
            assert!(subject.ends_with('…'), "{subject}");
            assert!(!subject.ends_with(" …"), "{subject}");
        }
    }

    #[test]
    fn untitled_cases_take_the_first_line_of_the_description() {
        let untitled = CaseFacts {
            title: None,
            description: "\n  Roska-astia   täynnä\nToinen rivi",
            ..facts()
        };
        assert_eq!(
            handler_notification(&untitled, Language::Fi).0,
            "[HEL-2026-000123] Uusi palaute: Roska-astia täynnä"
        );
        let empty = CaseFacts {
            title: None,
            description: " ",
            ..facts()
        };
        assert_eq!(
            handler_notification(&empty, Language::En).0,
            "[HEL-2026-000123] New feedback"
        );
    }

    #[test]
    fn a_reply_carries_the_answer_status_and_tracking_link_in_each_language() {
        for (language, subject_lead) in [
            (Language::Fi, "Vastaus palautteeseesi"),
            (Language::Sv, "Svar på din respons"),
            (Language::En, "A reply to your feedback"),
        ] {
            let facts = CaseFacts {
                status: CaseStatus::Resolved,
                ..facts()
            };
            let (subject, body) = resident_reply(
                &facts,
                language,
                "  The lamp was fixed on Monday.\n",
                "https://palaute.example/track/HEL-2026-000123",
            );
            assert!(subject.contains(subject_lead), "{subject}");
            assert!(subject.contains("HEL-2026-000123"), "{subject}");
            assert!(body.contains("\nThe lamp was fixed on Monday.\n"), "{body}");
            assert!(
                body.contains(CaseStatus::Resolved.name().get(language)),
                "{body}"
            );
            assert!(body.contains("https://palaute.example/track/HEL-2026-000123"));
            assert!(!body.contains(facts.routing_reason), "{body}");
        }
    }

    #[test]
    fn every_channel_has_a_name_in_every_language() {
        for channel in Channel::ALL {
            for language in Language::ALL {
                assert!(!channel_name(*channel, *language).is_empty());
            }
        }
    }
}
