//! The email door over real HTTP: a resident's email (an encoded Finnish subject,
//! quoted-printable body) posted to `/inbound/email` becomes a case whose
//! acknowledgement carries the tracking link, threading headers and a tagged
//! `Reply-To`; the resident's answer to it lands on the case and moves it back to work;
//! a handler's answer by email reaches the resident and `trackCase`; a stranger naming
//! the reference only adds a note; auto-replies and bounces never become cases, and a
//! bounce stops resident mail to its address. Every message is taken once. On SQLite
//! and PostgreSQL; the sisimai corpus and the CLI on SQLite.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it checks is not as expected"
)]

mod support;

use std::time::Duration;

use palaute_core::StaffRole;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{TestApp, account, palaute_command, spawn_app_with};

const SECRET: &str = "inbound-webhook-secret-for-tests";
const INBOUND: &str = "palaute@hel.fi";
const RESIDENT: &str = "matti.meikalainen@example.fi";

async fn spawn(database: TestDatabase) -> TestApp {
    spawn_app_with(database, |settings| {
        settings.mail.webhook_secret = Some(SECRET.to_owned());
        settings.mail.inbound_address = Some(INBOUND.to_owned());
        settings.mail_from = "Helsingin kaupunki <noreply@hel.fi>".to_owned();
    })
    .await
}

async fn taken(app: &TestApp, raw: &str) -> Value {
    let (status, body) = app.post_signed_mail(SECRET, raw).await;
    assert_eq!(status, 200, "{body}");
    body
}

/// The outbox email to `to` whose text contains `needle`, waited for.
async fn email_to(app: &TestApp, to: &str, needle: &str) -> String {
    for _ in 0..400 {
        if let Some((_, text)) = app.outbox_files().into_iter().find(|(_, text)| {
            header(text, "To").is_some_and(|value| value.contains(to)) && text.contains(needle)
        }) {
            return text;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!(
        "no email to {to} containing {needle:?}: {:#?}",
        app.outbox_files()
    );
}

/// A header of a written message (first occurrence, unfolded).
fn header(message: &str, name: &str) -> Option<String> {
    let mut lines = message
        .split("\r\n")
        .take_while(|line| !line.is_empty())
        .peekable();
    let prefix = format!("{}:", name.to_ascii_lowercase());
    while let Some(line) = lines.next() {
        if line.to_ascii_lowercase().starts_with(&prefix) {
            let mut value = line[prefix.len()..].trim().to_owned();
            while let Some(next) = lines.peek() {
                if next.starts_with(' ') || next.starts_with('\t') {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            return Some(value);
        }
    }
    None
}

/// The outbox files are quoted-printable or base64: decode the body through the
/// email door's own parser, which the inbound tests check separately.
fn body_of(message: &str) -> String {
    palaute_mail::message::InboundMessage::parse(message.as_bytes())
        .expect("our own email parses")
        .text
}

fn message_id_of(message: &str) -> String {
    header(message, "Message-ID")
        .expect("a Message-ID")
        .trim_matches(['<', '>'])
        .to_owned()
}

/// A message of `lines` (headers, a blank line, the body) with CRLF line ends.
fn mail(lines: &[&str]) -> String {
    let mut message = lines.join("\r\n");
    message.push_str("\r\n");
    message
}

fn resident_email() -> String {
    concat!(
        "From: =?UTF-8?Q?Matti_Meik=C3=A4l=C3=A4inen?= <matti.meikalainen@example.fi>\r\n",
        "To: palaute@hel.fi\r\n",
        "Subject: =?UTF-8?Q?Katuvalo_rikki_H=C3=A4meentiell=C3=A4?=\r\n",
        "Message-ID: <first-message.1@example.fi>\r\n",
        "Date: Tue, 1 Dec 2026 08:00:00 +0200\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=utf-8\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "\r\n",
        "Katuvalo on ollut rikki viikon H=C3=A4meentie 10:n kohdalla, ilta on pime=C3=A4.\r\n",
        "\r\n",
        "Terveisin Matti\r\n",
    )
    .to_owned()
}

async fn timeline(app: &TestApp, reference: &str) -> Vec<Value> {
    let response = app
        .staff(
            "query($r: String!) { case(reference: $r) { timeline(first: 100) { edges { node { kind actor note } } } } }",
            json!({ "r": reference }),
        )
        .await;
    response["data"]["case"]["timeline"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no timeline: {response}"))
        .iter()
        .map(|edge| edge["node"].clone())
        .collect()
}

async fn track(app: &TestApp, reference: &str, token: &str) -> Value {
    let response = app
        .graphql(
            "query($r: String!, $t: String!) { trackCase(reference: $r, token: $t) { status replies { body } } }",
            json!({ "r": reference, "t": token }),
            None,
        )
        .await;
    response["data"]["trackCase"].clone()
}

async fn a_conversation_by_email_stays_on_its_case(database: TestDatabase) {
    let app = spawn(database).await;

    // The resident writes: a new case, titled by the decoded subject.
    let answer = taken(&app, &resident_email()).await;
    assert_eq!(answer["disposition"], "new_case", "{answer}");
    let reference = answer["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();
    let case = app
        .wait_for_status(&reference, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    assert_eq!(case["title"], "Katuvalo rikki Hämeentiellä");
    assert_eq!(case["channel"], "EMAIL");
    assert!(
        case["description"]
            .as_str()
            .unwrap()
            .contains("Hämeentie 10:n kohdalla")
    );

    // The same message again (an MTA retry): nothing new.
    let again = taken(&app, &resident_email()).await;
    assert_eq!(again["duplicate"], true, "{again}");
    assert_eq!(again["reference"], reference.as_str());

    // The acknowledgement: in the resident's thread, answers tagged with the case, and
    // a tracking link with the token (the resident has no other way to get it).
    let ack = email_to(&app, RESIDENT, &reference).await;
    let reply_to = header(&ack, "Reply-To").expect("a Reply-To");
    assert_eq!(reply_to, format!("palaute+{reference}@hel.fi"));
    let ack_id = message_id_of(&ack);
    let ack_text = body_of(&ack);
    let token = ack_text
        .split(&format!("/track/{reference}?token="))
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no tracking link with a token in:\n{ack_text}"))
        .to_owned();
    assert_eq!(
        track(&app, &reference, &token).await["status"],
        case["status"]
    );

    // Staff ask the resident for more, and the case waits.
    let version = app.case_version(&reference).await;
    let waiting = app
        .staff(
            "mutation($i: SetCaseStatusInput!) { setCaseStatus(input: $i) { status } }",
            json!({ "i": { "reference": reference, "version": version, "status": "WAITING_FOR_RESIDENT" } }),
        )
        .await;
    assert_eq!(
        waiting["data"]["setCaseStatus"]["status"], "WAITING_FOR_RESIDENT",
        "{waiting}"
    );

    // The resident answers the acknowledgement from a Finnish mail client: the new text
    // joins the case (quoted history cut), the case is back in progress, the unit told.
    let answer = taken(
        &app,
        &mail(&[
            "From: matti.meikalainen@example.fi",
            &format!("To: palaute+{reference}@hel.fi"),
            &format!("Subject: Re: {reference}"),
            "Message-ID: <second-message.2@example.fi>",
            &format!("In-Reply-To: <{ack_id}>"),
            &format!("References: <{ack_id}>"),
            "Content-Type: text/plain; charset=utf-8",
            "",
            "Valo on edelleen rikki, nyt myös viereinen.",
            "",
            "ti 1.12.2026 klo 10.00 Helsingin kaupunki <noreply@hel.fi> kirjoitti:",
            "> Kiitos palautteestasi.",
        ]),
    )
    .await;
    assert_eq!(answer["disposition"], "resident_message", "{answer}");
    assert_eq!(answer["reference"], reference.as_str());
    app.wait_for_status(&reference, &["IN_PROGRESS"]).await;
    let events = timeline(&app, &reference).await;
    let message = events
        .iter()
        .find(|event| event["kind"] == "resident_message")
        .unwrap_or_else(|| panic!("no resident message: {events:#?}"));
    assert_eq!(
        message["note"],
        "Valo on edelleen rikki, nyt myös viereinen."
    );
    let unit_notice = email_to(&app, "@", "Valo on edelleen rikki").await;
    assert!(!body_of(&unit_notice).contains("Kiitos palautteestasi"));

    // A handler of the case's unit answers by email to the tagged address: a staff
    // reply that reaches the resident by email and on the tracking page.
    let unit = app
        .staff(
            "query($r: String!) { case(reference: $r) { unit { code } } }",
            json!({ "r": reference }),
        )
        .await["data"]["case"]["unit"]["code"]
        .as_str()
        .expect("a unit")
        .to_owned();
    account(
        &app.store().await,
        "kasittelija@hel.fi",
        StaffRole::Handler,
        &[unit.as_str()],
        None,
    )
    .await;
    // Naming the case by its address alone is not enough to speak as its handler:
    // anyone can write that address.
    let spoof = taken(
        &app,
        &mail(&[
            "From: kasittelija@hel.fi",
            &format!("To: palaute+{reference}@hel.fi"),
            "Subject: Katuvalo",
            "Message-ID: <spoof.1@example.org>",
            "",
            "Maksakaa korjausmaksu osoitteessa http://example.org/pay",
        ]),
    )
    .await;
    assert_eq!(spoof["disposition"], "internal_note", "{spoof}");
    // The handler answers the unit's notification, which their mail client threads.
    let notification = app
        .outbox_files()
        .into_iter()
        .map(|(_, text)| text)
        .find(|text| {
            header(text, "Message-ID").is_some_and(|id| id.contains(".handler.c"))
                && text.contains(&reference)
        })
        .expect("the unit's notification");
    let notification_id = message_id_of(&notification);
    let answer = taken(
        &app,
        &mail(&[
            "From: =?ISO-8859-1?Q?K=E4sittelij=E4?= <Kasittelija@hel.fi>",
            &format!("To: palaute+{reference}@hel.fi"),
            "Subject: Katuvalo",
            "Message-ID: <handler-answer.3@hel.fi>",
            &format!("In-Reply-To: <{notification_id}>"),
            "Content-Type: text/plain; charset=iso-8859-1",
            "Content-Transfer-Encoding: quoted-printable",
            "",
            "Korjaamme valot t=E4ll=E4 viikolla.",
            "",
            "-- ",
            "K=E4sittelij=E4, Rakennusvirasto",
        ]),
    )
    .await;
    assert_eq!(answer["disposition"], "staff_reply", "{answer}");
    let tracked = track(&app, &reference, &token).await;
    assert_eq!(
        tracked["replies"],
        json!([{ "body": "Korjaamme valot tällä viikolla." }]),
        "{tracked}"
    );
    let reply = email_to(&app, RESIDENT, "Korjaamme valot").await;
    assert_eq!(header(&reply, "In-Reply-To"), Some(format!("<{ack_id}>")));
    assert!(
        !body_of(&reply).contains("Rakennusvirasto\n"),
        "the signature is cut"
    );

    // Someone else names the reference: staff see it as a note, the resident never.
    let answer = taken(
        &app,
        &mail(&[
            "From: naapuri@example.org",
            "To: palaute@hel.fi",
            &format!("Subject: Re: [{reference}] sama valo"),
            "Message-ID: <neighbour.4@example.org>",
            "",
            "Sama valo on rikki minunkin ikkunani alla.",
        ]),
    )
    .await;
    assert_eq!(answer["disposition"], "internal_note", "{answer}");
    let events = timeline(&app, &reference).await;
    assert!(events.iter().any(|event| event["kind"] == "internal_note"
        && event["actor"] == "email:naapuri@example.org"
        && event["note"] == "Sama valo on rikki minunkin ikkunani alla."));
    assert_eq!(
        track(&app, &reference, &token).await["replies"]
            .as_array()
            .unwrap()
            .len(),
        1
    );

    // A reply that says nothing new (only the quoted acknowledgement) adds nothing.
    let empty = taken(
        &app,
        &mail(&[
            "From: matti.meikalainen@example.fi",
            &format!("To: palaute+{reference}@hel.fi"),
            &format!("Subject: Re: {reference}"),
            "Message-ID: <empty.6@example.fi>",
            &format!("In-Reply-To: <{ack_id}>"),
            "",
            "> Kiitos palautteestasi.",
        ]),
    )
    .await;
    assert_eq!(empty["disposition"], "set_aside", "{empty}");
    assert_eq!(empty["reason"], "empty_reply");

    // An out-of-office answer to the reply: set aside, the case untouched.
    let version = app.case_version(&reference).await;
    let answer = taken(
        &app,
        &mail(&[
            "From: matti.meikalainen@example.fi",
            &format!("To: palaute+{reference}@hel.fi"),
            &format!("Subject: Automaattinen vastaus: {reference}"),
            "Auto-Submitted: auto-replied",
            "Message-ID: <ooo.5@example.fi>",
            "",
            "Olen lomalla 14.12. asti.",
        ]),
    )
    .await;
    assert_eq!(answer["disposition"], "set_aside", "{answer}");
    assert_eq!(answer["reason"], "auto_reply");
    assert_eq!(app.case_version(&reference).await, version);

    // Resolved, then the resident writes again within the reopen window: back to work.
    let version = app.case_version(&reference).await;
    let resolved = app
        .staff(
            "mutation($i: SetCaseStatusInput!) { setCaseStatus(input: $i) { status } }",
            json!({ "i": { "reference": reference, "version": version, "status": "RESOLVED" } }),
        )
        .await;
    assert_eq!(
        resolved["data"]["setCaseStatus"]["status"], "RESOLVED",
        "{resolved}"
    );
    let again = taken(
        &app,
        &mail(&[
            "From: matti.meikalainen@example.fi",
            &format!("To: palaute+{reference}@hel.fi"),
            &format!("Subject: Re: {reference}"),
            "Message-ID: <reopen.8@example.fi>",
            &format!("In-Reply-To: <{ack_id}>"),
            "",
            "Valo sammui taas.",
        ]),
    )
    .await;
    assert_eq!(again["disposition"], "resident_message", "{again}");
    app.wait_for_status(&reference, &["IN_PROGRESS"]).await;

    // A follow-up to their own first message (not to ours) also finds the case.
    let follow_up = taken(
        &app,
        &mail(&[
            "From: matti.meikalainen@example.fi",
            "To: palaute@hel.fi",
            "Subject: Re: Katuvalo rikki",
            "Message-ID: <follow-up.7@example.fi>",
            "In-Reply-To: <first-message.1@example.fi>",
            "",
            "Unohdin mainita: valo vilkkuu.",
        ]),
    )
    .await;
    assert_eq!(follow_up["disposition"], "resident_message", "{follow_up}");
    assert_eq!(follow_up["reference"], reference.as_str());

    app.stop().await;
}

async fn a_bounce_stops_resident_mail_and_makes_no_case(database: TestDatabase) {
    let app = spawn(database).await;
    let answer = taken(&app, &resident_email()).await;
    let reference = answer["reference"]
        .as_str()
        .expect("a reference")
        .to_owned();
    let ack = email_to(&app, RESIDENT, &reference).await;
    let ack_id = message_id_of(&ack);

    // The resident's server bounces the acknowledgement (RFC 3464).
    let bounce = format!(
        concat!(
            "From: MAILER-DAEMON@mx.example.fi (Mail Delivery System)\r\n",
            "To: noreply@hel.fi\r\n",
            "Subject: Undelivered Mail Returned to Sender\r\n",
            "Message-ID: <bounce.1@mx.example.fi>\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b1\"\r\n",
            "\r\n",
            "--b1\r\n",
            "Content-Type: text/plain\r\n",
            "\r\n",
            "The mail system could not deliver your message.\r\n",
            "--b1\r\n",
            "Content-Type: message/delivery-status\r\n",
            "\r\n",
            "Reporting-MTA: dns; mx.example.fi\r\n",
            "\r\n",
            "Final-Recipient: rfc822; {resident}\r\n",
            "Action: failed\r\n",
            "Status: 5.1.1\r\n",
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n",
            "--b1\r\n",
            "Content-Type: text/rfc822-headers\r\n",
            "\r\n",
            "From: noreply@hel.fi\r\n",
            "To: {resident}\r\n",
            "Message-ID: <{ack_id}>\r\n",
            "Subject: {reference}\r\n",
            "--b1--\r\n",
        ),
        resident = RESIDENT,
        ack_id = ack_id,
        reference = reference
    );
    // A forged report naming another address (no email of ours bounced) suppresses
    // nothing.
    let forged = taken(
        &app,
        &mail(&[
            "From: MAILER-DAEMON@evil.example",
            "To: noreply@hel.fi",
            "Subject: Undelivered Mail Returned to Sender",
            "Message-ID: <forged.1@evil.example>",
            "X-Failed-Recipients: victim@example.fi",
            "",
            "This message could not be delivered.",
        ]),
    )
    .await;
    assert_eq!(forged["disposition"], "set_aside", "{forged}");
    assert!(
        !app.store()
            .await
            .is_suppressed("victim@example.fi")
            .await
            .unwrap()
    );

    let answer = taken(&app, &bounce).await;
    assert_eq!(answer["disposition"], "set_aside", "{answer}");
    assert_eq!(answer["reason"], "bounce");
    assert_eq!(
        answer["reference"],
        reference.as_str(),
        "the bounce names its case"
    );
    let events = timeline(&app, &reference).await;
    assert!(
        events.iter().any(|event| event["kind"] == "email_bounced"),
        "{events:#?}"
    );
    let store = app.store().await;
    assert!(store.is_suppressed(RESIDENT).await.unwrap());

    // A reply to the resident is no longer sent to the address that bounced.
    let version = app.case_version(&reference).await;
    let replied = app
        .staff(
            "mutation($i: ReplyToResidentInput!) { replyToResident(input: $i) { status } }",
            json!({ "i": { "reference": reference, "version": version, "body": "Kiitos, korjaamme." } }),
        )
        .await;
    assert!(replied["errors"].is_null(), "{replied}");
    let case_id = store
        .case_by_reference(&palaute_core::Reference::parse(&reference).unwrap())
        .await
        .unwrap()
        .unwrap()
        .id;
    let mut settled = None;
    for _ in 0..400 {
        let emails = store.emails_for_case(case_id.0).await.unwrap();
        if let Some(reply) = emails.iter().find(|email| email.kind == "resident_reply")
            && reply.status != "pending"
        {
            settled = Some(reply.clone());
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let reply = settled.expect("the reply email was settled");
    assert_eq!(reply.status, "failed");
    assert!(
        reply
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("bounced"),
        "{reply:?}"
    );
    assert_eq!(
        store.case_ids_after(0, 100).await.unwrap().len(),
        1,
        "the bounce made no case"
    );
    app.stop().await;
}

async fn the_webhook_takes_only_signed_mail(database: TestDatabase) {
    let app = spawn(database).await;
    let url = format!("{}/inbound/email", app.base_url);
    let raw = resident_email();
    let unsigned = app.http.post(&url).body(raw.clone()).send().await.unwrap();
    assert_eq!(unsigned.status().as_u16(), 401);
    let forged = app
        .http
        .post(&url)
        .header(
            palaute_mail::webhook::SIGNATURE_HEADER,
            palaute_mail::webhook::sign("another secret", raw.as_bytes()),
        )
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status().as_u16(), 401);
    let bearer = app
        .http
        .post(&url)
        .bearer_auth(SECRET)
        .body(raw.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status().as_u16(), 200);
    let body: Value = bearer.json().await.unwrap();
    assert_eq!(body["disposition"], "new_case", "{body}");
    app.stop().await;
}

/// A photo attached to a resident's email is kept with the case; a file of a type the
/// `[attachments]` settings refuse is not (it stays in the kept message).
async fn an_emailed_photo_is_kept_with_the_case(database: TestDatabase) {
    let app = spawn(database).await;
    // The smallest PNG: its signature and an IHDR chunk are what the type check reads.
    let png: &[u8] = &[
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, b'I', b'H', b'D', b'R', 0, 0,
        0, 1, 0, 0, 0, 1, 8, 6, 0, 0, 0, 0x1f, 0x15, 0xc4, 0x89,
    ];
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(png);
    let raw = format!(
        concat!(
            "From: asukas@example.fi\r\n",
            "To: palaute@hel.fi\r\n",
            "Subject: Roskia puistossa\r\n",
            "Message-ID: <photo.1@example.fi>\r\n",
            "MIME-Version: 1.0\r\n",
            "Content-Type: multipart/mixed; boundary=\"x\"\r\n",
            "\r\n",
            "--x\r\n",
            "Content-Type: text/plain; charset=utf-8\r\n",
            "\r\n",
            "Puistossa on roskia, kuva liitteenä.\r\n",
            "--x\r\n",
            "Content-Type: image/png; name=\"roskat.png\"\r\n",
            "Content-Disposition: attachment; filename=\"roskat.png\"\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "{png}\r\n",
            "--x\r\n",
            "Content-Type: application/x-msdownload; name=\"ohjelma.exe\"\r\n",
            "Content-Disposition: attachment; filename=\"ohjelma.exe\"\r\n",
            "Content-Transfer-Encoding: base64\r\n",
            "\r\n",
            "TVqQAAMAAAAEAAAA//8AALgAAAAAAAAAQAAAAAAAAAAA\r\n",
            "--x--\r\n",
        ),
        png = encoded
    );
    let answer = taken(&app, &raw).await;
    assert_eq!(answer["disposition"], "new_case", "{answer}");
    let reference = palaute_core::Reference::parse(answer["reference"].as_str().unwrap()).unwrap();
    let store = app.store().await;
    let case = store.case_by_reference(&reference).await.unwrap().unwrap();
    let files = store.attachments_of(&[case.id]).await.unwrap();
    let files = files.get(&case.id).cloned().unwrap_or_default();
    assert_eq!(files.len(), 1, "{files:?}");
    assert_eq!(files[0].filename, "roskat.png");
    assert_eq!(files[0].content_type, "image/png");
    assert_eq!(files[0].size, png.len() as i64);
    app.stop().await;
}

on_every_backend!(
    an_emailed_photo_is_kept_with_the_case,
    a_conversation_by_email_stays_on_its_case,
    a_bounce_stops_resident_mail_and_makes_no_case,
    the_webhook_takes_only_signed_mail,
);

/// Without a secret configured the webhook does not exist.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_secret_the_webhook_answers_404() {
    let app = support::spawn_app(TestDatabase::sqlite()).await;
    let response = app
        .http
        .post(format!("{}/inbound/email", app.base_url))
        .bearer_auth("anything")
        .body(resident_email())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 404);
    app.stop().await;
}

/// A real IMAP mailbox (Dovecot) drained by the worker's poller into cases, across a
/// server restart: every message made exactly one case, duplicates of a message made
/// none, and the mailbox was emptied into Processed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_worker_drains_an_imap_mailbox_across_a_restart() {
    use palaute_testkit::dovecot::{Dovecot, PASSWORD, USERNAME};
    let Some(mut server) = Dovecot::start().await else {
        return;
    };
    let message = |n: usize| {
        format!(
            concat!(
                "From: asukas{n}@example.fi\r\n",
                "To: palaute@hel.fi\r\n",
                "Subject: Palaute {n}\r\n",
                "Message-ID: <imap-{n}@example.fi>\r\n",
                "\r\n",
                "Puiston penkki {n} on rikki.\r\n",
            ),
            n = n
        )
    };
    for n in 0..10 {
        server.append("INBOX", message(n).as_bytes()).await;
    }
    // The same message twice in the mailbox (a sender's retry): one case.
    server.append("INBOX", message(0).as_bytes()).await;
    let url = server.url();
    let app = spawn_app_with(TestDatabase::sqlite(), |settings| {
        settings.mail.inbound_address = Some(INBOUND.to_owned());
        settings.mail.imap = Some(palaute_core::settings::ImapSettings {
            url,
            username: USERNAME.to_owned(),
            password: PASSWORD.to_owned(),
            poll_seconds: 1,
            ..Default::default()
        });
    })
    .await;
    let store = app.store().await;
    let wait_for_cases = |expected: usize| {
        let store = store.clone();
        async move {
            for _ in 0..600 {
                if store.case_ids_after(0, 100).await.unwrap().len() >= expected {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            panic!("fewer than {expected} cases were made");
        }
    };
    wait_for_cases(10).await;

    server.restart().await;
    for n in 10..15 {
        server.append("INBOX", message(n).as_bytes()).await;
    }
    server.append("INBOX", message(3).as_bytes()).await;
    wait_for_cases(15).await;
    for _ in 0..200 {
        if server.message_count("INBOX").await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(server.message_count("INBOX").await, 0);
    assert_eq!(server.message_count("Processed").await, 17);
    assert_eq!(store.case_ids_after(0, 100).await.unwrap().len(), 15);
    assert_eq!(store.inbound_mail_total().await.unwrap(), 15);
    app.stop().await;
}

/// Every message of the sisimai corpus (bounces, complaint reports, auto-replies from
/// many systems) through `palaute ingest-mail`'s intake: no case, all kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sisimai_corpus_creates_no_case() {
    let corpus =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/email/sisimai");
    if !corpus.is_dir() {
        assert!(
            !palaute_testkit::in_ci(),
            "{} is missing under CI",
            corpus.display()
        );
        eprintln!("skipped: {} is absent", corpus.display());
        return;
    }
    let database = TestDatabase::sqlite();
    let data = tempfile::tempdir().unwrap();
    let settings = support::test_settings(&database, data.path());
    let (store, organisation) = palaute::runtime::open_store(&settings).await.unwrap();
    let intake =
        palaute_mail::intake::MailIntake::new(store.clone(), organisation, &settings, None);
    let mut files = Vec::new();
    collect_eml(&corpus, &mut files);
    files.sort();
    assert!(files.len() > 600, "only {} messages found", files.len());
    let mut reasons = std::collections::BTreeMap::<String, usize>::new();
    for file in &files {
        let raw = std::fs::read(file).unwrap();
        if raw.is_empty() {
            continue;
        }
        let taken = intake
            .ingest(&raw, palaute_mail::intake::MailSource::Cli)
            .await
            .unwrap_or_else(|error| panic!("{}: {error}", file.display()));
        assert_eq!(
            taken.disposition,
            palaute_store::MailDisposition::SetAside,
            "{} became {taken}",
            file.display()
        );
        *reasons
            .entry(taken.reason.clone().unwrap_or_default())
            .or_default() += 1;
    }
    eprintln!("sisimai: {} files: {reasons:?}", files.len());
    assert!(store.case_ids_after(0, 10).await.unwrap().is_empty());
    assert!(store.inbound_mail_total().await.unwrap() > 0);
}

fn collect_eml(folder: &std::path::Path, into: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_eml(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "eml") {
            into.push(path);
        }
    }
}

/// `palaute ingest-mail FILE` and `-`: exit 0 with what the message became, once;
/// `palaute mail counts` and `list --set-aside` show what was kept.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_ingests_mail_and_shows_what_became_of_it() {
    let database = TestDatabase::sqlite();
    let data = tempfile::tempdir().unwrap();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut command = palaute_command();
        command
            .arg("--data-dir")
            .arg(data.path())
            .arg("--database-url")
            .arg(&database.url)
            .env("PALAUTE_MAIL__INBOUND_ADDRESS", INBOUND)
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("running palaute");
        if let Some(input) = stdin {
            use std::io::Write;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(input.as_bytes())
                .unwrap();
        }
        let output = child.wait_with_output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let file = data.path().join("message.eml");
    std::fs::write(&file, resident_email()).unwrap();
    let (code, out, err) = run(&["ingest-mail", file.to_str().unwrap()], None);
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.starts_with("new case HEL-"), "{out}");
    let (code, out, err) = run(&["ingest-mail", "-"], Some(&resident_email()));
    assert_eq!(code, Some(0), "{out}{err}");
    assert!(out.contains("taken before"), "{out}");
    let auto_reply = "From: a@example.org\r\nSubject: Out of office\r\nAuto-Submitted: auto-replied\r\n\r\nAway.\r\n";
    let (code, out, err) = run(&["ingest-mail", "-"], Some(auto_reply));
    assert_eq!(code, Some(0), "{out}{err}");
    assert_eq!(out.trim(), "set aside (auto_reply)");
    let (code, out, _) = run(&["ingest-mail", "/nonexistent/message.eml"], None);
    assert_ne!(code, Some(0), "{out}");
    let (code, out, err) = run(&["mail", "counts"], None);
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("2 inbound emails kept"), "{out}");
    assert!(out.contains("set_aside (auto_reply)"), "{out}");
    let (code, out, err) = run(&["mail", "list", "--set-aside"], None);
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(
        out.contains("auto_reply") && out.contains("Out of office"),
        "{out}"
    );
    let id = out.split('\t').next().unwrap();
    let (code, out, _) = run(&["mail", "show", id], None);
    assert_eq!(code, Some(0));
    assert_eq!(out, auto_reply);
}
