//! The texts of forwarding: the case as sent to the outside body that handles the
//! matter (in the body's language, without the resident's contact details: the city
//! passes on the matter, not the person), and the notice that tells the resident who
//! handles it now and how to reach them (in the resident's language).

use palaute_core::Language;

use super::templates::{CaseFacts, helsinki_time, push_line, subject};

/// Subject and body of the email that hands a case to an outside body.
pub fn forwarded_case(
    facts: &CaseFacts,
    language: Language,
    note: Option<&str>,
) -> (String, String) {
    let words = ForwardWording::of(language);
    let subject = subject(facts.reference, words.subject, facts.title);
    let mut body = String::new();
    push_line(&mut body, words.intro);
    body.push('\n');
    push_line(
        &mut body,
        &format!("{}: {}", words.reference, facts.reference),
    );
    push_line(
        &mut body,
        &format!(
            "{}: {}",
            words.received,
            helsinki_time(facts.created_at, language)
        ),
    );
    if let Some(category) = facts.category_name {
        push_line(&mut body, &format!("{}: {category}", words.category));
    }
    if let Some(address) = facts.address {
        push_line(&mut body, &format!("{}: {address}", words.address));
    }
    if let Some(title) = facts.title {
        push_line(&mut body, &format!("{}: {title}", words.title));
    }
    body.push('\n');
    push_line(&mut body, &format!("{}:", words.description));
    push_line(&mut body, facts.description.trim());
    if let Some(note) = note {
        body.push('\n');
        push_line(&mut body, &format!("{}: {}", words.note, note.trim()));
    }
    body.push('\n');
    push_line(&mut body, words.privacy);
    body.push('\n');
    push_line(&mut body, words.footer);
    (subject, body)
}

/// Subject and body of the notice that tells a resident their case went to `body_name`.
pub fn forward_notice(
    facts: &CaseFacts,
    language: Language,
    body_name: &str,
    contact: &str,
) -> (String, String) {
    let words = ForwardNoticeWording::of(language);
    let subject = subject(facts.reference, words.subject, None);
    let mut body = String::new();
    push_line(&mut body, words.greeting);
    body.push('\n');
    push_line(
        &mut body,
        &format!("{} {} {}", words.intro, facts.reference, words.handled_by),
    );
    push_line(&mut body, body_name);
    push_line(&mut body, words.forwarded);
    body.push('\n');
    push_line(&mut body, words.contact);
    push_line(&mut body, contact);
    body.push('\n');
    push_line(&mut body, words.regards);
    push_line(&mut body, words.signature);
    (subject, body)
}

struct ForwardWording {
    subject: &'static str,
    intro: &'static str,
    reference: &'static str,
    received: &'static str,
    category: &'static str,
    address: &'static str,
    title: &'static str,
    description: &'static str,
    note: &'static str,
    privacy: &'static str,
    footer: &'static str,
}

impl ForwardWording {
    fn of(language: Language) -> &'static Self {
        match language {
            Language::Fi => &Self::FI,
            Language::Sv => &Self::SV,
            Language::En => &Self::EN,
        }
    }

    const FI: Self = Self {
        subject: "Helsingin kaupunki välittää palautteen",
        intro: "Helsingin kaupunki on saanut palautteen asiasta, joka kuuluu teille, ja välittää sen teille käsiteltäväksi.",
        reference: "Kaupungin tunnus",
        received: "Vastaanotettu",
        category: "Aihe",
        address: "Osoite",
        title: "Otsikko",
        description: "Palaute",
        note: "Kaupungin huomio",
        privacy: "Palautteen antajalle on kerrottu, että asia on siirtynyt teille, ja miten hän tavoittaa teidät. Hänen yhteystietojaan ei välitetä.",
        footer: "Tämä on Helsingin kaupungin palautejärjestelmän automaattisesti lähettämä viesti.",
    };

    const SV: Self = Self {
        subject: "Helsingfors stad vidarebefordrar respons",
        intro: "Helsingfors stad har fått respons om en fråga som hör till er och vidarebefordrar den till er för behandling.",
        reference: "Stadens referensnummer",
        received: "Mottaget",
        category: "Ämne",
        address: "Adress",
        title: "Rubrik",
        description: "Respons",
        note: "Stadens anmärkning",
        privacy: "Den som gav responsen har fått veta att ärendet har flyttats till er och hur hen når er. Hens kontaktuppgifter vidarebefordras inte.",
        footer: "Detta är ett automatiskt meddelande från Helsingfors stads responssystem.",
    };

    const EN: Self = Self {
        subject: "The City of Helsinki forwards feedback",
        intro: "The City of Helsinki has received feedback about a matter that is yours to handle, and forwards it to you.",
        reference: "City reference",
        received: "Received",
        category: "Subject",
        address: "Address",
        title: "Title",
        description: "Feedback",
        note: "Note from the city",
        privacy: "The sender has been told that the matter has moved to you and how to reach you. Their contact details are not passed on.",
        footer: "This is an automated message from the City of Helsinki feedback system.",
    };
}

struct ForwardNoticeWording {
    subject: &'static str,
    greeting: &'static str,
    /// Followed by the reference and `handled_by`.
    intro: &'static str,
    /// Followed by the body's name on its own line.
    handled_by: &'static str,
    forwarded: &'static str,
    contact: &'static str,
    regards: &'static str,
    signature: &'static str,
}

impl ForwardNoticeWording {
    fn of(language: Language) -> &'static Self {
        match language {
            Language::Fi => &Self::FI,
            Language::Sv => &Self::SV,
            Language::En => &Self::EN,
        }
    }

    const FI: Self = Self {
        subject: "Palautteesi on välitetty eteenpäin",
        greeting: "Hei,",
        intro: "Palautteesi",
        handled_by: "koskee asiaa, jonka hoitaa",
        forwarded: "Olemme välittäneet palautteesi heille, ja se on päätetty kaupungin palautejärjestelmässä. Yhteystietojasi emme välittäneet.",
        contact: "Voit olla heihin yhteydessä suoraan:",
        regards: "Ystävällisin terveisin",
        signature: "Helsingin kaupunki",
    };

    const SV: Self = Self {
        subject: "Din respons har vidarebefordrats",
        greeting: "Hej,",
        intro: "Din respons",
        handled_by: "gäller en fråga som sköts av",
        forwarded: "Vi har vidarebefordrat din respons till dem, och den är avslutad i stadens responssystem. Dina kontaktuppgifter vidarebefordrade vi inte.",
        contact: "Du kan kontakta dem direkt:",
        regards: "Med vänliga hälsningar",
        signature: "Helsingfors stad",
    };

    const EN: Self = Self {
        subject: "Your feedback has been forwarded",
        greeting: "Hello,",
        intro: "Your feedback",
        handled_by: "is about a matter handled by",
        forwarded: "We have forwarded your feedback to them, and it is closed in the city's feedback system. We did not pass on your contact details.",
        contact: "You can contact them directly:",
        regards: "Kind regards",
        signature: "City of Helsinki",
    };
}
