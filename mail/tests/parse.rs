//! Ordinary residents' mail, written by hand the way clients send it: parsed to the right
//! subject, sender, text and attachments, and never taken for noise. And the signs of
//! noise that the sisimai set does not carry: Finnish and Swedish out-of-office replies,
//! read receipts, Precedence, X-Autoreply.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it measures is not as expected"
)]

use palaute_mail::message::InboundMessage;
use palaute_mail::noise::Noise;

fn parse(raw: &str) -> InboundMessage {
    InboundMessage::parse(raw.as_bytes()).unwrap()
}

#[test]
fn rfc2047_subject_quoted_printable_utf8_body() {
    let message = parse(concat!(
        "Return-Path: <maija.meikalainen@example.fi>\r\n",
        "From: =?UTF-8?Q?Maija_Meik=C3=A4l=C3=A4inen?= <Maija.Meikalainen@Example.FI>\r\n",
        "To: Palaute <palaute@hel.fi>, kirjaamo@hel.fi\r\n",
        "Cc: \"Naapuri\" <naapuri@example.fi>\r\n",
        "Subject: =?UTF-8?Q?Katuvalo_rikki_H=C3=A4meentiell=C3=A4?=\r\n",
        "Message-ID: <CAF1234.abc@mail.example.fi>\r\n",
        "Date: Mon, 1 Dec 2026 09:15:00 +0200\r\n",
        "MIME-Version: 1.0\r\n",
        "Content-Type: text/plain; charset=\"UTF-8\"\r\n",
        "Content-Transfer-Encoding: quoted-printable\r\n",
        "\r\n",
        "Hei,\r\n",
        "\r\n",
        "H=C3=A4meentie 12:n kohdalla katuvalo on ollut pime=C3=A4n=C3=A4 viikon. Ty=\r\n",
        "=C3=B6matkalla on vaarallista.\r\n",
        "\r\n",
        "Terveisin Maija\r\n",
    ));
    assert_eq!(message.subject, "Katuvalo rikki Hämeentiellä");
    assert_eq!(
        message.from_address.as_deref(),
        Some("maija.meikalainen@example.fi")
    );
    assert_eq!(message.from_name.as_deref(), Some("Maija Meikäläinen"));
    assert_eq!(
        message.recipients,
        ["palaute@hel.fi", "kirjaamo@hel.fi", "naapuri@example.fi"]
    );
    assert_eq!(
        message.message_id.as_deref(),
        Some("CAF1234.abc@mail.example.fi")
    );
    assert_eq!(
        message.date.unwrap().to_rfc3339(),
        "2026-12-01T07:15:00+00:00"
    );
    assert_eq!(
        message.text,
        "Hei,\n\nHämeentie 12:n kohdalla katuvalo on ollut pimeänä viikon. Työmatkalla on vaarallista.\n\nTerveisin Maija"
    );
    assert!(message.attachments.is_empty());
    assert_eq!(message.noise, None);
}

#[test]
fn iso_8859_1_headers_and_body() {
    let mut raw = Vec::new();
    raw.extend_from_slice(b"From: Kalle <kalle@example.fi>\n");
    raw.extend_from_slice(b"To: palaute@hel.fi\n");
    raw.extend_from_slice(b"Subject: =?ISO-8859-1?Q?Roskis_t=E4ynn=E4_Ty=F6p=E4j=E4nkadulla?=\n");
    raw.extend_from_slice(b"In-Reply-To: <case-HEL-2026-000123@palaute.hel.fi>\n");
    raw.extend_from_slice(b"References: <a@x.fi>\n <case-HEL-2026-000123@palaute.hel.fi>\n");
    raw.extend_from_slice(b"Content-Type: text/plain; charset=ISO-8859-1\n");
    raw.extend_from_slice(b"Content-Transfer-Encoding: 8bit\n\n");
    raw.extend_from_slice(b"Roska-astia on ollut t\xe4ynn\xe4 kaksi viikkoa. \xc5\xe4\xf6 \xa4\n");
    let message = InboundMessage::parse(&raw).unwrap();
    assert_eq!(message.subject, "Roskis täynnä Työpäjänkadulla");
    assert_eq!(
        message.text,
        "Roska-astia on ollut täynnä kaksi viikkoa. Åäö ¤"
    );
    assert_eq!(message.in_reply_to, ["case-HEL-2026-000123@palaute.hel.fi"]);
    assert_eq!(
        message.references,
        ["a@x.fi", "case-HEL-2026-000123@palaute.hel.fi"]
    );
    assert_eq!(message.noise, None);
}

#[test]
fn html_only_mail_becomes_readable_text() {
    let message = parse(concat!(
        "From: liisa@example.fi\n",
        "To: palaute@hel.fi\n",
        "Subject: Puisto\n",
        "MIME-Version: 1.0\n",
        "Content-Type: text/html; charset=utf-8\n",
        "\n",
        "<html><head><style>div { font-family: Calibri }</style></head><body>",
        "<div>Hei!</div><div><br></div>",
        "<div>Kaisaniemen puistossa penkki on rikki &amp; roskat levinneet.</div>",
        "<ul><li>penkki</li><li>roska-astia</li></ul>",
        "<p>Terveisin<br>Liisa</p></body></html>\n",
    ));
    assert_eq!(
        message.text,
        "Hei!\n\nKaisaniemen puistossa penkki on rikki & roskat levinneet.\n\n- penkki\n- roska-astia\n\nTerveisin\nLiisa"
    );
    assert_eq!(message.noise, None);
}

#[test]
fn alternative_prefers_the_plain_text() {
    let message = parse(concat!(
        "From: a@example.fi\n",
        "Subject: Vaihtoehdot\n",
        "Content-Type: multipart/alternative; boundary=\"b1\"\n",
        "\n",
        "--b1\n",
        "Content-Type: text/plain; charset=utf-8\n",
        "\n",
        "Tavallinen teksti.\n",
        "--b1\n",
        "Content-Type: text/html; charset=utf-8\n",
        "\n",
        "<p>HTML-teksti.</p>\n",
        "--b1--\n",
    ));
    assert_eq!(message.text, "Tavallinen teksti.");
    assert!(message.attachments.is_empty());
}

#[test]
fn base64_body_in_swedish() {
    // "Gatlampan vid Åbovägen är trasig." in UTF-8, base64.
    let message = parse(concat!(
        "From: Sven <sven@example.se>\n",
        "To: feedback@hel.fi\n",
        "Subject: =?utf-8?B?R2F0bGFtcGEgcMOlIMOFYm92w6RnZW4=?=\n",
        "Content-Type: text/plain; charset=utf-8\n",
        "Content-Transfer-Encoding: base64\n",
        "\n",
        "R2F0bGFtcGFuIHZpZCDDhWJvdsOkZ2VuIMOkciB0cmFzaWcu\n",
    ));
    assert_eq!(message.subject, "Gatlampa på Åbovägen");
    assert_eq!(message.text, "Gatlampan vid Åbovägen är trasig.");
    assert_eq!(message.noise, None);
}

#[test]
fn cr_only_line_endings() {
    let raw = "From: vanha@example.fi\rTo: palaute@hel.fi\rSubject: Vanha Mac\rContent-Type: text/plain; charset=utf-8\r\rEnsimmäinen rivi.\rToinen rivi.\r";
    let message = parse(raw);
    assert_eq!(message.subject, "Vanha Mac");
    assert_eq!(message.from_address.as_deref(), Some("vanha@example.fi"));
    assert_eq!(message.text, "Ensimmäinen rivi.\nToinen rivi.");
    assert_eq!(message.noise, None);
}

#[test]
fn photo_attachment() {
    // A 1×1 JPEG's first bytes are enough: the parser does not look inside.
    let photo = [
        0xffu8, 0xd8, 0xff, 0xe0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00, 0xff, 0xd9,
    ];
    let encoded = base64_encode(&photo);
    let raw = format!(
        concat!(
            "From: Pekka <pekka@example.fi>\n",
            "To: palaute@hel.fi\n",
            "Subject: Kuva =?UTF-8?Q?kuopasta?=\n",
            "MIME-Version: 1.0\n",
            "Content-Type: multipart/mixed; boundary=\"==sep==\"\n",
            "\n",
            "--==sep==\n",
            "Content-Type: text/plain; charset=utf-8\n",
            "\n",
            "Kuoppa tiessä, kuva liitteenä.\n",
            "--==sep==\n",
            "Content-Type: IMAGE/JPEG; name=\"kuoppa.jpg\"\n",
            "Content-Disposition: attachment; filename=\"=?UTF-8?Q?kuoppa_M=C3=A4kel=C3=A4nkatu.jpg?=\"\n",
            "Content-Transfer-Encoding: base64\n",
            "\n",
            "{}\n",
            "--==sep==--\n",
        ),
        encoded
    );
    let message = parse(&raw);
    assert_eq!(message.subject, "Kuva kuopasta");
    assert_eq!(message.text, "Kuoppa tiessä, kuva liitteenä.");
    assert_eq!(message.attachments.len(), 1);
    let attachment = &message.attachments[0];
    assert_eq!(attachment.content_type, "image/jpeg");
    assert_eq!(
        attachment.filename.as_deref(),
        Some("kuoppa Mäkelänkatu.jpg")
    );
    assert_eq!(attachment.bytes, photo);
    assert_eq!(message.noise, None);
}

#[test]
fn text_file_and_forwarded_message_are_attachments() {
    let message = parse(concat!(
        "From: a@example.fi\n",
        "Subject: Liitteet\n",
        "Content-Type: multipart/mixed; boundary=\"m\"\n",
        "\n",
        "--m\n",
        "Content-Type: text/plain; charset=utf-8\n",
        "\n",
        "Katso liitteet.\n",
        "--m\n",
        "Content-Type: text/plain; charset=utf-8; name=\"muistio.txt\"\n",
        "Content-Disposition: attachment; filename=\"muistio.txt\"\n",
        "\n",
        "Muistion teksti.\n",
        "--m\n",
        "Content-Type: message/rfc822\n",
        "\n",
        "From: naapuri@example.fi\n",
        "Subject: Alkuperainen\n",
        "\n",
        "Naapurin viesti.\n",
        "--m--\n",
    ));
    assert_eq!(message.text, "Katso liitteet.");
    let found: Vec<(Option<&str>, &str)> = message
        .attachments
        .iter()
        .map(|a| (a.filename.as_deref(), a.content_type.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (Some("muistio.txt"), "text/plain"),
            (None, "message/rfc822")
        ]
    );
    assert_eq!(message.attachments[0].bytes, b"Muistion teksti.");
    let forwarded = String::from_utf8_lossy(&message.attachments[1].bytes).into_owned();
    assert!(forwarded.contains("Subject: Alkuperainen"), "{forwarded}");
    assert!(forwarded.contains("Naapurin viesti."), "{forwarded}");
    assert_eq!(message.noise, None);
}

#[test]
fn inline_image_in_related_html() {
    let raw = concat!(
        "From: a@example.fi\n",
        "Subject: Kuva tekstissä\n",
        "Content-Type: multipart/related; boundary=\"r\"\n",
        "\n",
        "--r\n",
        "Content-Type: text/html; charset=utf-8\n",
        "\n",
        "<div>Katso kuvaa:</div><img src=\"cid:kuva1\">\n",
        "--r\n",
        "Content-Type: image/png\n",
        "Content-ID: <kuva1>\n",
        "Content-Transfer-Encoding: base64\n",
        "\n",
        "iVBORw0KGgo=\n",
        "--r--\n",
    );
    let message = parse(raw);
    assert_eq!(message.text, "Katso kuvaa:");
    assert_eq!(message.attachments.len(), 1);
    assert_eq!(message.attachments[0].content_type, "image/png");
    assert_eq!(message.attachments[0].bytes, b"\x89PNG\r\n\x1a\n");
}

#[test]
fn auto_submitted_no_and_outlook_suppression_are_not_noise() {
    let message = parse(concat!(
        "From: a@example.fi\n",
        "Subject: Poissa paikaltaan oleva liikennemerkki\n",
        "Auto-Submitted: no\n",
        "X-Auto-Response-Suppress: All\n",
        "List-Id: <asukasyhdistys.example.fi>\n",
        "\n",
        "Liikennemerkki puuttuu risteyksestä.\n",
    ));
    assert_eq!(message.noise, None);
}

#[test]
fn a_resident_may_write_about_a_failed_delivery() {
    for subject in [
        "Delivery failure: the new bins never came",
        "Toimitus epäonnistui",
        "Returned mail from the library",
    ] {
        let message = parse(&format!(
            "From: asukas@example.fi\nTo: palaute@hel.fi\nSubject: {subject}\n\nUudet roska-astiat jäivät tulematta.\n"
        ));
        assert_eq!(message.noise, None, "{subject}");
    }
}

#[test]
fn out_of_office_in_finnish_swedish_and_english() {
    for (subject, extra) in [
        ("Automaattinen vastaus: Katuvalo rikki", ""),
        ("Poissa 1.7.-31.7.", ""),
        ("Lomalla", ""),
        ("Poissaoloviesti", ""),
        ("Autosvar: Gatlampa", ""),
        ("Frånvaro", ""),
        ("Automatiskt svar: Ärende", ""),
        ("Out of Office: Case HEL-2026-000001", ""),
        ("Re: Asia", "X-Autoreply: yes\n"),
        ("Re: Asia", "X-Autorespond: yes\n"),
        ("Re: Asia", "Precedence: auto_reply\n"),
        ("Uutiskirje", "Precedence: bulk\n"),
        ("Re: Asia", "Auto-Submitted: auto-replied (vacation)\n"),
    ] {
        let message = parse(&format!(
            "From: virkailija@example.fi\nTo: palaute@hel.fi\nSubject: {subject}\n{extra}\nOlen poissa.\n"
        ));
        assert!(
            matches!(message.noise, Some(Noise::AutoReply(_))),
            "{subject} {extra}: {:?}",
            message.noise
        );
    }
}

#[test]
fn read_receipt() {
    let message = parse(concat!(
        "From: a@example.fi\n",
        "Subject: Luettu: Katuvalo\n",
        "Content-Type: multipart/report; report-type=disposition-notification; boundary=\"m\"\n",
        "\n",
        "--m\n",
        "Content-Type: text/plain\n",
        "\n",
        "Viesti luettiin.\n",
        "--m\n",
        "Content-Type: message/disposition-notification\n",
        "\n",
        "Final-Recipient: rfc822; a@example.fi\n",
        "Disposition: manual-action/MDN-sent-manually; displayed\n",
        "--m--\n",
    ));
    assert_eq!(message.noise, Some(Noise::ReadReceipt));
}

#[test]
fn dsn_bounce_with_returned_headers() {
    let message = parse(concat!(
        "From: Mail Delivery System <MAILER-DAEMON@mx.example.fi>\n",
        "To: palaute@hel.fi\n",
        "Subject: Undelivered Mail Returned to Sender\n",
        "Content-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\n",
        "\n",
        "--d\n",
        "Content-Type: text/plain\n",
        "\n",
        "I'm sorry to have to inform you that your message could not be delivered.\n",
        "--d\n",
        "Content-Type: message/delivery-status\n",
        "\n",
        "Reporting-MTA: dns; mx.example.fi\n",
        "\n",
        "Final-Recipient: rfc822; Maija@Example.fi\n",
        "Original-Recipient: rfc822;maija@example.fi\n",
        "Action: failed\n",
        "Status: 5.1.1\n",
        "\n",
        "Final-Recipient: rfc822; kalle@example.fi\n",
        "Action: delayed\n",
        "Status: 4.4.1\n",
        "--d\n",
        "Content-Type: text/rfc822-headers\n",
        "\n",
        "From: palaute@hel.fi\n",
        "Message-ID: <reply-HEL-2026-000001.1@palaute.hel.fi>\n",
        "--d--\n",
    ));
    assert_eq!(
        message.noise,
        Some(Noise::Bounce(palaute_mail::noise::Bounce {
            failed_recipients: vec!["maija@example.fi".to_owned()],
            original_message_id: Some("reply-HEL-2026-000001.1@palaute.hel.fi".to_owned()),
            permanent: true,
        }))
    );
}

#[test]
fn unreadable_input_is_an_error_not_a_panic() {
    for raw in [&b""[..], b"\n\n\n", b"   ", b"\xff\xfe\x00"] {
        assert!(InboundMessage::parse(raw).is_err(), "{raw:?}");
    }
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}
