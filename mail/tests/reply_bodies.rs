//! `reply_text::new_text` on the reply bodies of crisp-oss/email-reply-parser (its
//! fixtures, many clients and languages; its expected outputs live in its own test code,
//! which is not copied), and on replies written here the way Finnish and Swedish clients
//! quote and sign.
//!
//! Every fixture is held to the properties any answer must have (no panic; the first line
//! of the new text kept; no `>` line left unless nothing else was there; never longer than
//! the input), and some to what a reader sees in them: a phrase of the new text that must
//! stay, a phrase of the history or signature that must go.
//!
//! The fixtures live outside the repository (`../../shared/data/email/crisp-reply-bodies`,
//! MIT, see its SOURCE.txt). Where they are absent the test says so and passes, except
//! under CI. `cargo test -p palaute-mail --test reply_bodies -- --nocapture` prints counts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it measures is not as expected"
)]

use std::path::{Path, PathBuf};

use palaute_mail::reply_text::new_text;

fn fixtures() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/data/email/crisp-reply-bodies/test/fixtures");
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        !palaute_testkit::in_ci(),
        "the crisp reply bodies are missing at {} and CI requires them",
        path.display()
    );
    println!(
        "skipped: the crisp reply bodies are not at {}",
        path.display()
    );
    None
}

/// Read here, fixture by fixture: (file, phrases that must stay, phrases that must go).
const READ_BY_HAND: &[(&str, &[&str], &[&str])] = &[
    (
        "email_finnish.txt",
        &["Fusce bibendum", "nec nec nibh."],
        &["kirjoitti", "Thanks!"],
    ),
    (
        "email_2.txt",
        &["Hi,", "You can list the keys", "individually."],
        &["Hi folks", "riak-users mailing list"],
    ),
    (
        "email_3.txt",
        &["Oh thanks.", "Having the function would be great."],
        &["Russell Brown", "Hi folks"],
    ),
    (
        "email_ios_outlook.txt",
        &["Fusce bibendum"],
        &["Get Outlook", "Hiring Engine", "Chauffeur"],
    ),
    (
        "email_ios_outlook_fr.txt",
        &["Fusce bibendum"],
        &["Outlook pour iOS", "Hiring Engine"],
    ),
    (
        "email_outlook_split_line_from.txt",
        &["Fusce bibendum"],
        &["Human Resources", "new person"],
    ),
    (
        "email_german_outlook.txt",
        &["Fusce bibendum"],
        &["Ursprüngliche", "original message content"],
    ),
    (
        "email_danish_dash_separator.txt",
        &["Fusce bibendum"],
        &["Oprindelig", "Abc has sent"],
    ),
    (
        "email_original_message.txt",
        &["Fusce bibendum"],
        &["original message", "revisit the proposal"],
    ),
    (
        "email_tricky_15_original_message_variations.txt",
        &["Fusce bibendum"],
        &["Original Message", "original message content"],
    ),
    (
        "email_9.txt",
        &["Fusce bibendum"],
        &["Message du", "Proin cursus"],
    ),
    (
        "email_10.txt",
        &["Fusce bibendum"],
        &["Envoyé le", "Etiam non sagittis"],
    ),
    (
        "email_12.txt",
        &["Fusce bibendum"],
        &["Verzonden", "Etiam non sagittis"],
    ),
    (
        "email_13.txt",
        &["Fusce bibendum"],
        &["Inviato", "Etiam non sagittis"],
    ),
    (
        "email_14.txt",
        &["Fusce bibendum"],
        &["napisał", "Etiam non sagittis"],
    ),
    (
        "email_16.txt",
        &["Fusce bibendum"],
        &["napisał(a)", "Etiam non sagittis"],
    ),
    (
        "email_18.txt",
        &["Fusce bibendum"],
        &["John Jung", "Etiam non sagittis"],
    ),
    ("email_22.txt", &["Fusce bibendum"], &["John - Doe", "Test"]),
    ("email_23.txt", &["Fusce bibendum"], &["Baptiste", "Test"]),
    (
        "email_24.txt",
        &["Fusce bibendum"],
        &["John Doe", "When are you available?"],
    ),
    (
        "email_25.txt",
        &["Fusce bibendum"],
        &["John - Acme", "Etiam non sagittis"],
    ),
    (
        "email_26.txt",
        &["Fusce bibendum"],
        &["john@mail.acme.com", "Etiam non sagittis"],
    ),
    (
        "email_7.txt",
        &["Fusce bibendum"],
        &["ha scritto", "Dino", "ignissim odio", "riservate"],
    ),
    (
        "email_8.txt",
        &["Fusce bibendum"],
        &["schreef", "Beste Praesent", "Pellentesque\""],
    ),
    (
        "email_norwegian_gmail.txt",
        &["Fusce bibendum"],
        &["skrev", "Ok. Thanks."],
    ),
    (
        "email_zoho.txt",
        &["clear a Riak bucket"],
        &["john@gmail.com", "Java sucks"],
    ),
    (
        "email_19.txt",
        &["On Thursday, I get proper rendering."],
        &["Corey Donohoe", "caching related"],
    ),
    (
        "email_20.txt",
        &["On Thursday."],
        &["John Doe", "fix this parsing"],
    ),
    ("email_21.txt", &["On Thursday:", "id est laborum."], &[]),
    (
        "email_thread.txt",
        &["This is new email reply in thread from bellow."],
        &["John Doe", "Ok. Thanks."],
    ),
    (
        "email_tricky_9_nested_quotes.txt",
        &["I agree with the points below."],
        &["Jane Doe", "option A"],
    ),
    (
        "email_tricky_12_no_space_after_header.txt",
        &["Fusce bibendum", "nec nec nibh."],
        &["John Smith", "no blank line"],
    ),
    (
        "email_tricky_17_forward_header.txt",
        &["See the forwarded message below."],
        &["forwarded content"],
    ),
    (
        "email_tricky_18_inline_reply.txt",
        &[
            "I think option A is great.",
            "Option B has some drawbacks.",
            "Option C is not suitable",
        ],
        &["What's your opinion", "Jane Doe"],
    ),
    (
        "email_tricky_19_quote_without_header.txt",
        &[
            "I wanted to respond",
            "My response to the quoted text above.",
            "And my final thoughts.",
        ],
        &["angle brackets", "in the middle of the email"],
    ),
    (
        "email_tricky_20_html_entities.txt",
        &["&gt; 100", "&amp; symbols"],
        &["Previous message"],
    ),
    (
        "email_tricky_1_on_false_positive.txt",
        &["On the surface", "On average", "performance is great."],
        &[],
    ),
    (
        "email_tricky_2_url_with_wrote.txt",
        &["Check out this article", "Best regards,", "John"],
        &[],
    ),
    (
        "email_tricky_4_from_in_body.txt",
        &["From: our database", "This is the actual message content."],
        &[],
    ),
    ("email_tricky_6_regards_in_sentence.txt", &[], &[]),
    (
        "email_tricky_7_multiple_dashes.txt",
        &["## Key Points", "just separators in my content."],
        &[],
    ),
    (
        "email_tricky_8_sent_from_in_content.txt",
        &[
            "not Sent from my iPad.",
            "All messages are sent from the main server.",
        ],
        &[],
    ),
    (
        "email_tricky_11_double_signature.txt",
        &["Thanks for your help!", "Best regards,"],
        &["Senior Developer", "Sent from my iPhone"],
    ),
    (
        "email_tricky_13_timestamp_variations.txt",
        &["15.01.2024 14:30", "not quote headers."],
        &[],
    ),
    (
        "email_sent_from_my_not_signature.txt",
        &["Sent from my desk, is much easier then my mobile phone."],
        &[],
    ),
    (
        "email_multi_word_sent_from_my_mobile_device.txt",
        &["Here is another email"],
        &["Verizon"],
    ),
    (
        "email_blackberry.txt",
        &["Here is another email"],
        &["BlackBerry"],
    ),
    ("email_iphone.txt", &[], &["iPhone"]),
    (
        "email_sent_from.txt",
        &["as long as you type in between words"],
        &["TypeApp", "Valerian", "Can you send this text"],
    ),
    (
        "email_not_a_signature.txt",
        &["Dear XXXXX:", "Super Domain Name Manager"],
        &[],
    ),
    (
        "email_not_a_signature_2.txt",
        &["-- and also third point needs to be checked", "Thanks!"],
        &[],
    ),
    (
        "email_custom_quote_header.txt",
        &["Thank you!"],
        &["imdb", "Scr34m"],
    ),
    (
        "email_customer_quote_header_2.txt",
        &["Thank you very much."],
        &["somedude", "new message"],
    ),
    (
        "email_customer_quote_header_3.txt",
        &["merci d'avance"],
        &["Someone Somewhere", "ici dans la description"],
    ),
    (
        "email_reply_header.txt",
        &["This is the latest reply.", "it could happen TWICE!"],
        &["mrmister", "My name is Stranger"],
    ),
    (
        "email_one_is_not_on.txt",
        &["Locally (on development), when I run..."],
        &["Dave Tapley", "lastLocation"],
    ),
    (
        "email_bullets.txt",
        &["- how about bullets", "- and another"],
        &["goalengine", "Give us an example", "Director"],
    ),
    (
        "email_2_1.txt",
        &["Outlook with a reply"],
        &["Google Apps Sync", "Dear Google"],
    ),
    (
        "email_4.txt",
        &["Awesome! I haven't had another problem with it."],
        &["defunkt", "Loader seems"],
    ),
    (
        "email_5.txt",
        &["One: Here's what I've got.", "for a while."],
        &[],
    ),
    (
        "email_6.txt",
        &["I get proper rendering as well."],
        &["Corey Donohoe"],
    ),
    (
        "correct_sig.txt",
        &["this is an email with a correct -- signature."],
        &["rick"],
    ),
    (
        "sig_no_empty_line.txt",
        &["signature with no empty line above."],
        &["rick"],
    ),
];

/// The first line with text, trimmed.
fn first_line(text: &str) -> &str {
    text.lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("")
}

fn looks_like_history_start(line: &str) -> bool {
    let lower = line.to_lowercase();
    line.starts_with('>') || lower.ends_with("wrote:") || lower.ends_with(">:")
}

#[test]
fn crisp_fixtures() {
    let Some(folder) = fixtures() else {
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 80, "only {} fixtures", files.len());

    let mut failures = Vec::new();
    let mut passed = 0;
    for file in &files {
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        let text = String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned();
        let result = new_text(&text);
        let mut problems = Vec::new();

        let first = first_line(&text);
        if !first.is_empty() && !looks_like_history_start(first) && first_line(&result) != first {
            problems.push(format!("first line {first:?} not kept"));
        }
        if result != text.trim()
            && result
                .lines()
                .any(|line| line.trim_start().starts_with('>'))
        {
            problems.push("a quoted line is left".to_owned());
        }
        if result.len() > text.trim().len() {
            problems.push("longer than the input".to_owned());
        }
        if let Some((_, keep, cut)) = READ_BY_HAND.iter().find(|(file, _, _)| *file == name) {
            for phrase in *keep {
                if !result.contains(phrase) {
                    problems.push(format!("lost {phrase:?}"));
                }
            }
            for phrase in *cut {
                if result.contains(phrase) {
                    problems.push(format!("kept {phrase:?}"));
                }
            }
        }
        if problems.is_empty() {
            passed += 1;
        } else {
            failures.push(format!(
                "{name}: {}\n--- new text ---\n{result}\n---",
                problems.join("; ")
            ));
        }
    }
    let read = READ_BY_HAND
        .iter()
        .filter(|(file, _, _)| files.iter().any(|path| path.ends_with(file)))
        .count();
    println!(
        "crisp reply bodies: {passed} of {} pass ({read} of them also read by hand)",
        files.len()
    );
    for failure in &failures {
        println!("FAIL {failure}");
    }
    assert!(failures.is_empty(), "{} fixtures fail", failures.len());
}

/// Replies as Finnish and Swedish clients write them, written for this test.
const OWN: &[(&str, &str, &str)] = &[
    (
        "Gmail in Finnish, attribution wrapped",
        "Kiitos nopeasta korjauksesta!\n\nTerveisin Maija\n\nma 1.12.2026 klo 10.15 Helsingin kaupunki <palaute@hel.fi>\nkirjoitti:\n\n> Hei,\n> palautteesi on vastaanotettu.\n",
        "Kiitos nopeasta korjauksesta!\n\nTerveisin Maija",
    ),
    (
        "Gmail in Finnish, one line",
        "Valo palaa taas.\n\nti 2. jouluk. 2026 klo 8.05 Palaute <palaute@hel.fi> kirjoitti:\n> Asia on käsittelyssä.\n",
        "Valo palaa taas.",
    ),
    (
        "Apple Mail in Finnish",
        "Hyvä niin.\n\nLähetetty iPhonesta\n\n> Palaute <palaute@hel.fi> kirjoitti 1.12.2026 kello 10.00:\n> \n> Tapaus on suljettu.\n",
        "Hyvä niin.",
    ),
    (
        "Outlook in Finnish",
        "Korjaus ei pitänyt, lamppu on taas pimeänä.\r\n\r\nMatti Virtanen\r\n\r\n________________________________\r\nLähettäjä: Helsingin kaupunki <palaute@hel.fi>\r\nLähetetty: maanantai 1. joulukuuta 2026 10.00\r\nVastaanottaja: Matti Virtanen <matti@example.fi>\r\nAihe: Palautteesi HEL-2026-000123\r\n\r\nHei, palautteesi on käsitelty.\r\n",
        "Korjaus ei pitänyt, lamppu on taas pimeänä.\n\nMatti Virtanen",
    ),
    (
        "Outlook in Finnish, original message line",
        "Lisätieto: kuoppa on noin metrin levyinen.\n\n-----Alkuperäinen viesti-----\nLähettäjä: palaute@hel.fi\nLähetetty: 1. joulukuuta 2026 10:00\nAihe: HEL-2026-000123\n\nKiitos palautteestasi.",
        "Lisätieto: kuoppa on noin metrin levyinen.",
    ),
    (
        "Android in Finnish",
        "Selvä, kiitos.\n\nLähetetty Android-laitteesta\n\nPalaute <palaute@hel.fi> kirjoitti 1.12.2026 10.00:\nAsia on ratkaistu.",
        "Selvä, kiitos.",
    ),
    (
        "Outlook mobile in Finnish",
        "Kuvat liitteenä.\n\nHanki Outlook for iOS\n________________________________\nLähettäjä: Palaute <palaute@hel.fi>\nLähetetty: maanantai, joulukuu 1, 2026 10.00\nAihe: Lisätietoja",
        "Kuvat liitteenä.",
    ),
    (
        "Gmail in Swedish",
        "Tack, lampan lyser igen.\n\nmån 1 dec. 2026 kl. 10:00 skrev Helsingfors stad <palaute@hel.fi>:\n> Ditt ärende har tagits emot.\n",
        "Tack, lampan lyser igen.",
    ),
    (
        "Outlook in Swedish",
        "Gropen är fortfarande kvar.\n\nHälsningar\nAnna\n\nFrån: Helsingfors stad <palaute@hel.fi>\nSkickat: den 1 december 2026 10:00\nTill: Anna Lindqvist <anna@example.se>\nÄmne: Ditt ärende HEL-2026-000456\n\nÄrendet är avslutat.",
        "Gropen är fortfarande kvar.\n\nHälsningar\nAnna",
    ),
    (
        "Outlook in Swedish, original message line",
        "Se bilden.\n\n-----Ursprungligt meddelande-----\nFrån: palaute@hel.fi\nSkickat: 1 december 2026 10:00\n\nTack för din respons.",
        "Se bilden.",
    ),
    (
        "iPhone in Swedish",
        "Bra, tack!\n\nSkickat från min iPhone\n\n> 1 dec. 2026 kl. 10:00 skrev Helsingfors stad <palaute@hel.fi>:\n> \n> Ärendet är löst.",
        "Bra, tack!",
    ),
    (
        "Signature delimiter and an English attribution wrapped",
        "The bench is still broken.\n\n-- \nJohn Smith\n+358 40 123 4567\n\nOn Mon, 1 Dec 2026 at 10:00, City of Helsinki\n<palaute@hel.fi> wrote:\n> Your case was closed.",
        "The bench is still broken.",
    ),
    (
        "Bottom-posted reply in Finnish",
        "Palaute <palaute@hel.fi> kirjoitti 1.12.2026 klo 10.00:\n> Voitteko kertoa tarkemman osoitteen?\n\nOsoite on Mannerheimintie 5.\n",
        "Osoite on Mannerheimintie 5.",
    ),
];

#[test]
fn finnish_and_swedish_clients() {
    let mut failures = Vec::new();
    for (client, reply, expected) in OWN {
        let result = new_text(reply);
        if result != *expected {
            failures.push(format!(
                "{client}:\n  got      {result:?}\n  expected {expected:?}"
            ));
        }
    }
    println!(
        "own fixtures: {} of {} pass",
        OWN.len() - failures.len(),
        OWN.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
