//! The new text of a reply: quoted history, attribution lines and signatures cut.

/// The new text of a reply: `>` quoted lines dropped (with the attribution line above
/// them), and everything from the first of these on cut: an attribution line followed by
/// unquoted history ("On … wrote:", "… kirjoitti:", "… skrev:", …), a header block of
/// the quoted message ("From:/Sent:/To:/Subject:", "Lähettäjä:/Lähetetty:",
/// "Från:/Skickat:", …), an "-----Original Message-----" line in any of the clients'
/// languages, a signature delimiter (`-- `) or a phone's signature ("Sent from my
/// iPhone", "Lähetetty iPhonesta", "Skickat från min iPhone", "Get Outlook for iOS").
/// Lines of a quote that a client wrapped without `>` are dropped with the quote.
///
/// If cutting would leave nothing, the trimmed original is returned.
pub fn new_text(text: &str) -> String {
    let cut = only_new_text(text);
    if cut.is_empty() {
        return text.trim().to_owned();
    }
    cut
}

/// Like [`new_text`], but empty when the message holds nothing new (an empty reply,
/// or only the quoted history): what intake needs to tell "nothing said" apart.
pub fn only_new_text(text: &str) -> String {
    let normalised = text.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = normalised.split('\n').collect();
    let mut kept: Vec<&str> = Vec::with_capacity(lines.len());
    let mut index = 0;
    // Lines were dropped since the last one kept: a blank line that would double the
    // blank line before the drop is dropped too.
    let mut dropped = false;
    while let Some(&line) = lines.get(index) {
        if is_quoted(line) || is_wrapped_quote_line(&lines, index) {
            index += 1;
            dropped = true;
            continue;
        }
        if let Some(length) = attribution_at(&lines, index) {
            let next = lines
                .iter()
                .skip(index + length)
                .find(|line| !line.trim().is_empty());
            if next.is_some_and(|line| is_quoted(line)) {
                index += length;
                dropped = true;
                continue;
            }
            break;
        }
        if is_original_message_separator(line)
            || is_footer_rule(&lines, index)
            || header_block_at(&lines, index)
            || is_signature_delimiter(line)
            || is_phone_signature(line)
        {
            break;
        }
        let blank = line.trim().is_empty();
        let doubles_blank =
            blank && (kept.is_empty() || kept.last().is_some_and(|last| last.trim().is_empty()));
        if !(dropped && doubles_blank) {
            kept.push(line);
            dropped = dropped && blank;
        }
        index += 1;
    }
    while kept.last().is_some_and(|line| is_blank_or_rule(line)) {
        kept.pop();
    }
    kept.join("\n").trim().to_owned()
}

fn is_quoted(line: &str) -> bool {
    line.trim_start().starts_with('>')
}

/// A line between two quoted lines, with no blank line around it: a quoted line that a
/// client wrapped without its `>`.
fn is_wrapped_quote_line(lines: &[&str], index: usize) -> bool {
    let Some(previous) = index.checked_sub(1).and_then(|at| lines.get(at)) else {
        return false;
    };
    let next = lines.get(index + 1);
    is_quoted(previous)
        && !previous
            .trim_start()
            .trim_start_matches('>')
            .trim()
            .is_empty()
        && lines.get(index).is_some_and(|line| !line.trim().is_empty())
        && next.is_some_and(|next| is_quoted(next))
}

fn is_blank_or_rule(line: &str) -> bool {
    line.trim()
        .chars()
        .all(|c| matches!(c, '-' | '_' | '=' | '*' | '~' | '#'))
}

/// How attribution lines end, lowercased, in the languages mail clients write them.
const ATTRIBUTION_ENDINGS: &[&str] = &[
    "wrote:",
    "wrote",
    "writes:",
    "kirjoitti:",
    "kirjoitti",
    "skrev:",
    "skrev",
    "schrieb:",
    "geschrieben:",
    "a écrit :",
    "a écrit:",
    "a écrit",
    "ha scritto:",
    "escribió:",
    "escreveu:",
    "napisał:",
    "napisał(a):",
    "napisala:",
    "schreef:",
    "schreef",
    "написал:",
    "написала:",
    "написал(а):",
    "пишет:",
    "yazdı:",
    "írta:",
    "napsal:",
    "kirjutas:",
    "rakstīja:",
    "parašė:",
];

/// The verbs of attribution lines, as words inside a line (lowercased).
const ATTRIBUTION_VERBS: &[&str] = &[
    " wrote ",
    " kirjoitti ",
    " skrev ",
    " schrieb ",
    " a écrit ",
    " ha scritto ",
    " escribió ",
];

/// First words of attribution lines (lowercased): "On", "Le", "Am", "Il", …, and the
/// weekdays that Finnish, Swedish and English clients start them with.
const ATTRIBUTION_OPENERS: &[&str] = &[
    "on",
    "le",
    "am",
    "el",
    "il",
    "em",
    "op",
    "den",
    "på",
    "w",
    "dnia",
    "ma",
    "ti",
    "ke",
    "to",
    "pe",
    "la",
    "su",
    "maanantaina",
    "tiistaina",
    "keskiviikkona",
    "torstaina",
    "perjantaina",
    "lauantaina",
    "sunnuntaina",
    "mån",
    "tis",
    "ons",
    "tors",
    "tor",
    "fre",
    "lör",
    "sön",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "sun",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "den",
    "am",
    "le",
    "el",
];

/// The line starts like an attribution: an opener word or a date.
fn starts_like_attribution(lower: &str) -> bool {
    if lower.starts_with(|c: char| c.is_ascii_digit()) {
        return true;
    }
    let first_word = lower
        .split(|c: char| c.is_whitespace() || c == ',' || c == '.')
        .next()
        .unwrap_or("");
    ATTRIBUTION_OPENERS.contains(&first_word)
}

/// An attribution line (or one wrapped over two or three lines) starting at `index`: its
/// length in lines.
fn attribution_at(lines: &[&str], index: usize) -> Option<usize> {
    let first = trim_dashes(lines.get(index)?);
    if first.is_empty() || first.len() > 300 {
        return None;
    }
    let opens = starts_like_attribution(&first.to_lowercase())
        || first.chars().filter(char::is_ascii_digit).count() >= 4;
    let mut joined = String::new();
    for length in 1..=3 {
        let line = trim_dashes(lines.get(index + length - 1)?);
        // Gmail may wrap even the address's closing bracket: "<x@y.no\n>:".
        if line.is_empty() || (is_quoted(line) && line != ">:") {
            return None;
        }
        // A wrapped attribution starts like one; otherwise the lines above an attribution
        // would be taken in with it.
        if length > 1 && !opens {
            return None;
        }
        if length > 1 {
            joined.push(' ');
        }
        joined.push_str(line);
        let lower = joined.to_lowercase();
        let says_wrote = ATTRIBUTION_ENDINGS.iter().any(|end| lower.ends_with(end));
        let has_evidence =
            opens || lower.contains('@') || lower.chars().any(|c| c.is_ascii_digit());
        // Apple Mail puts the date after the verb: "X <x@y> kirjoitti 1.12.2026 kello 10.00:".
        let says_wrote_then_date = lower.ends_with(':')
            && ATTRIBUTION_VERBS.iter().any(|verb| lower.contains(verb))
            && lower.contains('@')
            && lower.chars().any(|c| c.is_ascii_digit());
        if (says_wrote || says_wrote_then_date) && has_evidence && !lower.contains("://") {
            return Some(length);
        }
        // "30.09.2017, 18.30, "John" <j@x.com>:" and "2017-11-24 16:32 GMT+01:00 X <x@y>:"
        if lower.ends_with(">:")
            && lower.contains('@')
            && lower.starts_with(|c: char| c.is_ascii_digit() || c.is_alphabetic())
            && lower.chars().filter(|c| c.is_ascii_digit()).count() >= 4
        {
            return Some(length);
        }
    }
    None
}

/// A line without the dashes some clients put around an attribution
/// ("---- On … wrote ----").
fn trim_dashes(line: &str) -> &str {
    line.trim().trim_matches('-').trim()
}

/// `-----Original Message-----` and its translations; a forwarded message's separator too
/// (in a reply, what was forwarded is history).
const ORIGINAL_MESSAGE: &[&str] = &[
    "original message",
    "alkuperäinen viesti",
    "ursprungligt meddelande",
    "ursprungsmeddelande",
    "ursprüngliche nachricht",
    "originalnachricht",
    "oprindelig besked",
    "oprindelig meddelelse",
    "opprinnelig melding",
    "message d'origine",
    "message original",
    "messaggio originale",
    "mensaje original",
    "mensagem original",
    "oorspronkelijk bericht",
    "origineel bericht",
    "původní zpráva",
    "исходное сообщение",
    "oryginalna wiadomość",
    "wiadomość oryginalna",
    "forwarded message",
    "välitetty viesti",
    "edelleenlähetetty viesti",
    "vidarebefordrat meddelande",
    "videresendt melding",
    "weitergeleitete nachricht",
    "message transféré",
];

fn is_original_message_separator(line: &str) -> bool {
    let trimmed = line.trim();
    if !trimmed.starts_with(['-', '_', '=', '*']) {
        return false;
    }
    let inner = trimmed
        .trim_matches(|c: char| matches!(c, '-' | '_' | '=' | '*' | ' '))
        .to_lowercase();
    ORIGINAL_MESSAGE.contains(&inner.as_str())
}

/// Labels that start a quoted message's header block (lowercased).
const FROM_LABELS: &[&str] = &[
    "from",
    "lähettäjä",
    "från",
    "fra",
    "von",
    "van",
    "de",
    "da",
    "od",
    "от",
    "message du",
    "feladó",
    "lähettaja",
];

/// Labels of the other fields of that block.
const OTHER_LABELS: &[&str] = &[
    // sent / date
    "sent",
    "date",
    "lähetetty",
    "päivämäärä",
    "päiväys",
    "skickat",
    "datum",
    "envoyé le",
    "envoyé",
    "gesendet",
    "verzonden",
    "inviato",
    "sendt",
    "dato",
    "enviado",
    "enviada",
    "fecha",
    "data",
    "отправлено",
    "дата",
    "wysłano",
    "gönderildi",
    "elküldve",
    // to and copy
    "to",
    "vastaanottaja",
    "till",
    "à",
    "a",
    "an",
    "aan",
    "til",
    "para",
    "кому",
    "do",
    "cc",
    "kopio",
    "kopia",
    "kopie",
    "copie à",
    "copia",
    "címzett",
    // subject
    "subject",
    "aihe",
    "ämne",
    "objet",
    "betreff",
    "onderwerp",
    "oggetto",
    "emne",
    "asunto",
    "assunto",
    "sujet",
    "тема",
    "temat",
    "tárgy",
    "konu",
];

/// The label of a `Label: value` line (`*From:*` and `De :` included), lowercased.
fn label(line: &str) -> Option<String> {
    let trimmed = line.trim().trim_start_matches('*');
    let (name, _) = trimmed.split_once(':')?;
    let name = name.trim().trim_matches('*').trim();
    if name.is_empty() || name.chars().count() > 20 {
        return None;
    }
    Some(name.to_lowercase())
}

/// A header block of the quoted message starts at `index`: a "From"-like label and at
/// least one more label within the next lines (wrapped values allowed), no blank line.
fn header_block_at(lines: &[&str], index: usize) -> bool {
    let Some(first) = lines.get(index).and_then(|line| label(line)) else {
        return false;
    };
    let first_is_from = FROM_LABELS.contains(&first.as_str());
    if !first_is_from && !OTHER_LABELS.contains(&first.as_str()) {
        return false;
    }
    let mut labels = 1;
    let mut saw_from = first_is_from;
    for line in lines.iter().skip(index + 1).take(7) {
        if line.trim().is_empty() {
            break;
        }
        if let Some(name) = label(line) {
            if FROM_LABELS.contains(&name.as_str()) {
                saw_from = true;
                labels += 1;
            } else if OTHER_LABELS.contains(&name.as_str()) {
                labels += 1;
            }
        }
    }
    saw_from && labels >= 2
}

/// A rule of underscores with text right under it: Outlook's line above the quoted
/// message, a mailing list's footer.
fn is_footer_rule(lines: &[&str], index: usize) -> bool {
    let Some(line) = lines.get(index).map(|line| line.trim()) else {
        return false;
    };
    line.len() >= 2
        && line.chars().all(|c| c == '_')
        && lines
            .get(index + 1)
            .is_some_and(|next| !next.trim().is_empty())
}

fn is_signature_delimiter(line: &str) -> bool {
    line == "-- " || line == "--" || line.trim_end() == "--" && line.starts_with("--")
}

/// How phones and mail apps sign (lowercased line starts).
const PHONE_SIGNATURES: &[&str] = &[
    "sent from my ",
    "sent from ",
    "sent via ",
    "sent with ",
    "get outlook for ",
    "lähetetty iphonesta",
    "lähetetty ipadista",
    "lähetetty android",
    "lähetetty samsung",
    "lähetetty mobiili",
    "lähetetty puhelimesta",
    "lähetetty laitteesta",
    "lähetetty outlook",
    "lähetetty yahoo",
    "hanki outlook",
    "skickat från min ",
    "skickat från ",
    "hämta outlook",
    "skaffa outlook",
    "envoyé de mon ",
    "envoyé à partir de ",
    "envoyé depuis ",
    "von meinem ",
    "gesendet von ",
    "verstuurd vanaf ",
    "inviato da ",
    "enviado desde ",
    "enviado do meu ",
    "sendt fra ",
    "skickad från ",
];

fn is_phone_signature(line: &str) -> bool {
    let lower = line.trim().to_lowercase();
    // A sentence ("Sent from my desk, which…", "Lähetetty kuva eilen.") is not a signature.
    if lower.is_empty()
        || lower.chars().count() > 80
        || lower.contains(", ")
        || lower.ends_with('.')
        || lower.contains(". ")
    {
        return false;
    }
    let words: Vec<&str> = lower.split_whitespace().collect();
    if words.len() > 7 {
        return false;
    }
    // "Lähetetty Galaxy-älypuhelimesta": Finnish names the device in the elative.
    let finnish_device = lower.starts_with("lähetetty ")
        && words.len() <= 5
        && words
            .last()
            .is_some_and(|last| last.ends_with("sta") || last.ends_with("stä"));
    finnish_device
        || PHONE_SIGNATURES
            .iter()
            .any(|start| lower.starts_with(start))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn top_posted_reply_with_english_attribution() {
        let text = "Thanks, fixed now.\n\nOn Mon, 1 Dec 2026 at 10:00, Palaute <palaute@hel.fi> wrote:\n> Your case HEL-1\n> was received.\n";
        assert_eq!(new_text(text), "Thanks, fixed now.");
    }

    #[test]
    fn wrapped_attribution_and_unquoted_history() {
        let text = "Kiitos!\n\nma 1.12.2026 klo 10.00 Palaute\n<palaute@hel.fi> kirjoitti:\n\nVanha viesti ilman lainausmerkkejä";
        assert_eq!(new_text(text), "Kiitos!");
    }

    #[test]
    fn bottom_posted_and_inline_replies_keep_their_text() {
        let text = "On 1 Dec 2026, X <x@y.fi> wrote:\n> Question one?\n\nAnswer one.\n\n> Question two?\n\nAnswer two.";
        assert_eq!(new_text(text), "Answer one.\n\nAnswer two.");
    }

    #[test]
    fn outlook_header_blocks_in_three_languages() {
        for header in [
            "From: Palaute <palaute@hel.fi>\nSent: Monday, December 1, 2026 10:00\nTo: x@y.fi\nSubject: Case",
            "Lähettäjä: Palaute <palaute@hel.fi>\nLähetetty: maanantai 1. joulukuuta 2026 10.00\nVastaanottaja: x@y.fi\nAihe: Asia",
            "Från: Palaute <palaute@hel.fi>\nSkickat: den 1 december 2026 10:00\nTill: x@y.fi\nÄmne: Ärende",
            "________________________________\nFrom: Palaute <palaute@hel.fi>\nSent: Monday",
        ] {
            let text = format!("Uusi teksti.\n\n{header}\n\nVanha teksti.");
            assert_eq!(new_text(&text), "Uusi teksti.", "{header}");
        }
    }

    #[test]
    fn original_message_separators_and_signatures() {
        for cut in [
            "-----Original Message-----",
            "-----Alkuperäinen viesti-----",
            "-----Ursprungligt meddelande-----",
            "-- ",
            "Sent from my iPhone",
            "Lähetetty iPhonesta",
            "Skickat från min iPhone",
            "Get Outlook for iOS",
        ] {
            let text = format!("Uusi teksti.\n\n{cut}\nVanha teksti.");
            assert_eq!(new_text(&text), "Uusi teksti.", "{cut}");
        }
    }

    #[test]
    fn phone_signatures_and_sentences_like_them() {
        for signature in [
            "Lähetetty Galaxy-älypuhelimesta",
            "Lähetetty Android-laitteesta",
            "Skickat från min Samsung Galaxy",
            "Sent from Mail for Windows",
        ] {
            assert!(is_phone_signature(signature), "{signature}");
        }
        for sentence in [
            "Lähetetty kuva eilen",
            "Lähetin kuvan puhelimesta.",
            "Sent from my desk, which is easier.",
            "Sent from the office yesterday.",
        ] {
            assert!(!is_phone_signature(sentence), "{sentence}");
        }
    }

    #[test]
    fn ordinary_text_is_left_alone() {
        let text = "On the corner of Mannerheimintie the lamp is out.\nSent from my desk, which is easier than my phone.\nFrom: the city, to: everyone";
        assert_eq!(new_text(text), text);
    }

    #[test]
    fn nothing_left_returns_the_original() {
        assert_eq!(new_text("> only a quote\n"), "> only a quote");
        assert_eq!(new_text("  "), "");
    }
}
