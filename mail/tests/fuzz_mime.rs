//! Fuzzed email: mutated real bounces (from the sisimai set where it is present) and
//! hand-written residents' mail through `InboundMessage::parse` and `new_text`. None may
//! panic, and every case must finish (the slowest is printed).
//!
//! CI runs `PALAUTE_FUZZ_CASES` (default 2,000) cases, about two seconds on two cores in a
//! debug build; a long run raises it:
//! `PALAUTE_FUZZ_CASES=200000 cargo test -p palaute-mail --release --test fuzz_mime -- --nocapture`.
//! `PALAUTE_FUZZ_SEED` replays a run.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it measures is not as expected"
)]

use std::path::Path;
use std::time::{Duration, Instant};

use palaute_mail::message::InboundMessage;
use palaute_mail::reply_text::new_text;
use palaute_testkit::fuzz::{self, Rng, mutate};

/// Hand-written messages: every structure the parser has a path for.
const SEEDS: &[&str] = &[
    "From: =?UTF-8?Q?Maija_Meik=C3=A4l=C3=A4inen?= <maija@example.fi>\r\nTo: palaute@hel.fi\r\nSubject: =?UTF-8?Q?Katuvalo_rikki_H=C3=A4meentiell=C3=A4?=\r\nMessage-ID: <a@b>\r\nIn-Reply-To: <c@d>\r\nReferences: <e@f> <c@d>\r\nDate: Mon, 1 Dec 2026 09:15:00 +0200\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nH=C3=A4meentie 12=\r\n kohdalla.\r\n\r\nma 1.12.2026 klo 10.00 Palaute <palaute@hel.fi> kirjoitti:\r\n> vanha\r\n",
    "From: a@example.fi\nSubject: =?ISO-8859-1?Q?t=E4ynn=E4?=\nContent-Type: text/plain; charset=ISO-8859-1\n\nt\u{e4}ynn\u{e4}\n",
    "From: a@example.fi\nContent-Type: multipart/mixed; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nKuva liitteena.\n--b\nContent-Type: image/jpeg; name=\"k.jpg\"\nContent-Disposition: attachment; filename=\"k.jpg\"\nContent-Transfer-Encoding: base64\n\n/9j/4AAQSkZJRgABAQ==\n--b--\n",
    "From: a@example.fi\nContent-Type: multipart/alternative; boundary=x\n\n--x\nContent-Type: text/plain\n\nplain\n--x\nContent-Type: text/html\n\n<div>html &amp; <b>bold</b><blockquote>old</blockquote></div>\n--x--\n",
    "From: a@example.fi\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>x{}</style><script>y</script></head><body><p>Hei<br><br>rivi</p><ul><li>a<li>b</ul><pre>  x </pre><!-- c --><img alt=\"k\"></body></html>\n",
    "From: vanha@example.fi\rSubject: CR\rContent-Type: text/plain\r\rrivi 1\rrivi 2\r",
    "From: MAILER-DAEMON@mx.example.fi\nSubject: Undelivered Mail Returned to Sender\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"d\"\n\n--d\nContent-Type: text/plain\n\ncould not be delivered\n--d\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx\n\nFinal-Recipient: rfc822; x@example.fi\nAction: failed\nStatus: 5.1.1\n--d\nContent-Type: message/rfc822\n\nFrom: palaute@hel.fi\nMessage-ID: <orig@hel.fi>\nSubject: x\n\nbody\n--d--\n",
    "From: a@example.fi\nSubject: Luettu\nContent-Type: multipart/report; report-type=disposition-notification; boundary=m\n\n--m\nContent-Type: message/disposition-notification\n\nFinal-Recipient: rfc822; a@b.fi\n--m--\n",
    "From: feedback@arf.example.com\nContent-Type: multipart/report; report-type=feedback-report; boundary=f\n\n--f\nContent-Type: message/feedback-report\n\nFeedback-Type: abuse\nOriginal-Rcpt-To: <x@y.fi>\n--f\nContent-Type: text/rfc822-headers\n\nMessage-ID: <m@hel.fi>\n--f--\n",
    "From: no-reply@sns.amazonaws.com\nSubject: AWS Notification Message\n\n{\"Message\" : \"{\\\"notificationType\\\":\\\"Bounce\\\",\\\"bounce\\\":{\\\"bounceType\\\":\\\"Permanent\\\",\\\"bouncedRecipients\\\":[{\\\"emailAddress\\\":\\\"a@b.fi\\\"}]}}\"}\n",
    "From: virkailija@example.fi\nSubject: Automaattinen vastaus: Asia\nAuto-Submitted: auto-replied\nPrecedence: bulk\nReturn-Path: <>\n\nOlen lomalla.\n\n-- \nallekirjoitus\n",
    "From: a@example.fi\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\nRnJvbTogYkBleGFtcGxlLmZpClN1YmplY3Q6IHNpc2EKCnRla3N0aQo=\n",
    "Uusi teksti.\n\nLähettäjä: Palaute <palaute@hel.fi>\nLähetetty: maanantai\nVastaanottaja: x\nAihe: y\n\nVanha.\n-----Ursprungligt meddelande-----\nSkickat från min iPhone\n",
];

/// Pieces that mean something to a MIME parser, an HTML converter or a reply cutter.
const MIME_TOKENS: &[&str] = &[
    "\r\n",
    "\n\n",
    "\r",
    "--b\n",
    "--b--\n",
    "--d\n",
    "Content-Type: multipart/mixed; boundary=\"b\"\n",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=d\n",
    "Content-Type: message/rfc822\n\n",
    "Content-Type: message/delivery-status\n\n",
    "Content-Type: text/html\n\n",
    "Content-Transfer-Encoding: base64\n",
    "Content-Transfer-Encoding: quoted-printable\n",
    "Content-Type: text/plain; charset=iso-2022-jp\n",
    "Content-Type: text/plain; charset=utf-7\n",
    "=?UTF-8?Q?",
    "=?utf-8?B?",
    "?=",
    "=C3=",
    "=\n",
    "Final-Recipient: rfc822; ",
    "Action: failed\n",
    "Status: 4.",
    "Message-ID: <",
    "<div>",
    "<blockquote>",
    "</blockquote>",
    "<br>",
    "<script>",
    "<!--",
    "&#x",
    "&amp",
    "> ",
    "wrote:\n",
    "kirjoitti:\n",
    "From: x\nSent: y\n",
    "-- \n",
    "@",
    "<>",
    "\"",
    "\u{0}",
    "\u{FEFF}",
    "ä",
];

/// One case: a seed mutated by the shared fuzzer, then with MIME pieces spliced in.
fn case(rng: &mut Rng, seeds: &[&str]) -> Vec<u8> {
    let mut text = mutate(rng, seeds);
    for _ in 0..rng.below(4) {
        let token = rng.pick(MIME_TOKENS).copied().unwrap_or("\n");
        let times = [1, 1, 1, 5, 50, 500][rng.below(6)];
        let mut at = rng.below(text.len() + 1);
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        text.insert_str(at, &token.repeat(times));
    }
    let mut bytes = text.into_bytes();
    // Bytes that are not UTF-8 at all (8-bit bodies in legacy charsets).
    if rng.chance(20) && !bytes.is_empty() {
        for _ in 0..=rng.below(8) {
            let at = rng.below(bytes.len());
            bytes[at] = (rng.next_u64() & 0xff) as u8;
        }
    }
    bytes
}

/// A few real messages from the sisimai set, when it is present.
fn real_seeds() -> Vec<String> {
    let folder =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/email/sisimai/maildir/bsd");
    let Ok(entries) = std::fs::read_dir(&folder) else {
        println!("the sisimai set is absent: hand-written seeds only");
        return Vec::new();
    };
    let mut files: Vec<_> = entries.map(|entry| entry.unwrap().path()).collect();
    files.sort();
    files
        .iter()
        .step_by(25)
        .map(|file| String::from_utf8_lossy(&std::fs::read(file).unwrap()).into_owned())
        .collect()
}

#[test]
fn parse_and_new_text_never_panic() {
    let cases = fuzz::cases_from_env(2_000);
    let seed = fuzz::seed_from_env();
    println!("fuzz_mime: {cases} cases, PALAUTE_FUZZ_SEED={seed}");
    let real = real_seeds();
    let mut seeds: Vec<&str> = SEEDS.to_vec();
    seeds.extend(real.iter().map(String::as_str));
    let mut rng = Rng::new(seed);

    let started = Instant::now();
    let (mut parsed, mut refused, mut lost_track) = (0, 0, 0);
    let mut slowest = (Duration::ZERO, 0);
    for index in 0..cases {
        let raw = case(&mut rng, &seeds);
        let one = Instant::now();
        match InboundMessage::parse(&raw) {
            Ok(message) => {
                parsed += 1;
                let _ = new_text(&message.text);
            }
            Err(error) => {
                refused += 1;
                if error.0.contains("MIME structure") {
                    lost_track += 1;
                }
            }
        }
        let _ = new_text(&String::from_utf8_lossy(&raw));
        let took = one.elapsed();
        if took > slowest.0 {
            slowest = (took, raw.len());
            // PALAUTE_FUZZ_DUMP=file keeps the slowest case for a closer look.
            if let Ok(path) = std::env::var("PALAUTE_FUZZ_DUMP") {
                std::fs::write(path, &raw).unwrap();
            }
        }
        if index == 0 {
            // The unmutated seeds that are messages (not the reply body) parse, too.
            for seed in seeds.iter().filter(|seed| seed.starts_with("From")) {
                InboundMessage::parse(seed.as_bytes()).unwrap();
            }
        }
    }
    println!(
        "fuzz_mime: {parsed} parsed, {refused} refused as unreadable ({lost_track} where mail-parser lost track of the MIME structure), in {:.2?}; slowest case {:.2?} ({} bytes)",
        started.elapsed(),
        slowest.0,
        slowest.1
    );
}
