//! Every message of the sisimai set of emails (real bounces, ARF complaints and RFC 3834
//! auto-replies from many mail systems, in LF, CRLF and CR-only line endings, and mbox
//! files) parses or fails with a `ParseError`, never panicking, and every one that
//! parses is noise; the three messages sisimai keeps as "not a bounce" show what is not.
//!
//! The set lives outside the repository (`../../shared/data/email/sisimai`, BSD 2-Clause,
//! see its SOURCE.txt). Where it is absent the test says so and passes, except under CI.
//! `cargo test -p palaute-mail --test sisimai -- --nocapture` prints the counts.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test fails loudly when what it measures is not as expected"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use palaute_mail::message::InboundMessage;
use palaute_mail::noise::Noise;

fn corpus() -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/email/sisimai");
    if path.is_dir() {
        return Some(path);
    }
    assert!(
        !palaute_testkit::in_ci(),
        "the sisimai corpus is missing at {} and CI requires it",
        path.display()
    );
    println!(
        "skipped: the sisimai corpus is not at {} (the test runs where it is)",
        path.display()
    );
    None
}

/// One message and where it came from.
struct Sample {
    name: String,
    raw: Vec<u8>,
}

/// The messages of an mbox file: split before each "From " line that starts the file
/// or follows an empty line.
fn split_mbox(name: &str, bytes: &[u8]) -> Vec<Sample> {
    let mut starts = Vec::new();
    let mut line_start = 0;
    let mut previous_blank = true;
    while line_start < bytes.len() {
        let end = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |at| line_start + at + 1);
        let line = &bytes[line_start..end];
        if previous_blank && line.starts_with(b"From ") {
            starts.push(line_start);
        }
        previous_blank = line.iter().all(|b| b.is_ascii_whitespace());
        line_start = end;
    }
    if starts.is_empty() {
        // Not an mbox at all (the empty and one-byte files): the whole file is one input.
        return vec![Sample {
            name: name.to_owned(),
            raw: bytes.to_vec(),
        }];
    }
    starts
        .iter()
        .enumerate()
        .map(|(index, &start)| {
            let end = starts.get(index + 1).copied().unwrap_or(bytes.len());
            Sample {
                name: format!("{name}#{}", index + 1),
                raw: bytes[start..end].to_vec(),
            }
        })
        .collect()
}

fn samples(root: &Path) -> Vec<Sample> {
    let mut samples = Vec::new();
    let maildir = root.join("maildir");
    let mut folders: Vec<PathBuf> = std::fs::read_dir(&maildir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .collect();
    folders.sort();
    for folder in folders {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "eml"))
            .collect();
        files.sort();
        for file in files {
            let name = file.strip_prefix(root).unwrap().display().to_string();
            samples.push(Sample {
                name,
                raw: std::fs::read(&file).unwrap(),
            });
        }
    }
    let mut mailboxes: Vec<PathBuf> = std::fs::read_dir(root.join("mailbox"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    mailboxes.sort();
    for mailbox in mailboxes {
        let name = mailbox.strip_prefix(root).unwrap().display().to_string();
        samples.extend(split_mbox(&name, &std::fs::read(&mailbox).unwrap()));
    }
    samples
}

/// sisimai's own "not a bounce" messages: ordinary mail.
fn is_ordinary_mail(name: &str) -> bool {
    name.contains("is-not-bounce")
}

#[test]
fn every_message_parses_and_is_noise() {
    let Some(root) = corpus() else {
        return;
    };
    let samples = samples(&root);
    assert!(samples.len() > 800, "only {} messages found", samples.len());

    let mut kinds: BTreeMap<&'static str, usize> = BTreeMap::new();
    let mut unreadable = Vec::new();
    let mut not_noise = Vec::new();
    let mut ordinary_as_noise = Vec::new();
    let (mut bounces, mut with_recipients, mut with_original_id, mut permanent) = (0, 0, 0, 0);
    let mut complaints_with_address = 0;

    for sample in &samples {
        let message = match InboundMessage::parse(&sample.raw) {
            Ok(message) => message,
            Err(error) => {
                unreadable.push(format!(
                    "{} ({} bytes): {error}",
                    sample.name,
                    sample.raw.len()
                ));
                continue;
            }
        };
        if is_ordinary_mail(&sample.name) {
            if let Some(noise) = &message.noise {
                ordinary_as_noise.push(format!("{}: {noise:?}", sample.name));
            }
            continue;
        }
        match &message.noise {
            None => not_noise.push(format!("{}: {:?}", sample.name, message.subject)),
            Some(noise) => {
                *kinds.entry(noise.kind()).or_default() += 1;
                if let Noise::Complaint {
                    complained_about: Some(_),
                } = noise
                {
                    complaints_with_address += 1;
                }
                if let Noise::Bounce(bounce) = noise {
                    bounces += 1;
                    with_recipients += usize::from(!bounce.failed_recipients.is_empty());
                    with_original_id += usize::from(bounce.original_message_id.is_some());
                    permanent += usize::from(bounce.permanent);
                }
            }
        }
    }

    println!("{} messages from {}", samples.len(), root.display());
    println!("noise by kind: {kinds:?}");
    println!(
        "bounces: {bounces}, with failed recipients: {with_recipients}, with the original Message-ID: {with_original_id}, permanent: {permanent}"
    );
    println!("complaints naming the address that complained: {complaints_with_address}");
    println!("unreadable (ParseError): {}", unreadable.len());
    for line in &unreadable {
        println!("  {line}");
    }
    for line in &not_noise {
        println!("NOT NOISE {line}");
    }
    for line in &ordinary_as_noise {
        println!("ORDINARY MAIL AS NOISE {line}");
    }
    // Only the empty and near-empty files may be unreadable.
    assert!(
        unreadable.iter().all(|line| line.contains("mailbox/size-")),
        "unreadable messages: {unreadable:#?}"
    );
    assert!(
        not_noise.is_empty(),
        "{} messages not seen as noise",
        not_noise.len()
    );
    assert!(
        ordinary_as_noise.is_empty(),
        "ordinary mail taken for noise"
    );
}

#[test]
fn a_dsn_bounce_names_recipient_status_and_original_message() {
    let Some(root) = corpus() else {
        return;
    };
    // Postfix: multipart/report with message/delivery-status and the returned message.
    let raw = std::fs::read(root.join("maildir/bsd/lhost-postfix-01.eml")).unwrap();
    let message = InboundMessage::parse(&raw).unwrap();
    let Some(Noise::Bounce(bounce)) = message.noise else {
        panic!("not a bounce: {:?}", message.noise);
    };
    assert!(!bounce.failed_recipients.is_empty(), "{bounce:?}");
    assert!(
        bounce
            .failed_recipients
            .iter()
            .all(|address| address.contains('@') && address == &address.to_lowercase()),
        "{bounce:?}"
    );
    println!("{bounce:?}");
}

#[test]
fn line_endings_do_not_change_the_result() {
    let Some(root) = corpus() else {
        return;
    };
    // The same messages are in bsd/ (LF), dos/ (CRLF) and mac/ (CR only).
    let mut compared = 0;
    let mut differing = Vec::new();
    for entry in std::fs::read_dir(root.join("maildir/mac")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        let lf = root.join("maildir/bsd").join(name);
        let crlf = root.join("maildir/dos").join(name);
        if !lf.exists() || !crlf.exists() {
            continue;
        }
        let parsed: Vec<InboundMessage> = [&path, &lf, &crlf]
            .iter()
            .map(|file| InboundMessage::parse(&std::fs::read(file).unwrap()).unwrap())
            .collect();
        compared += 1;
        // The CR-only and CRLF copies are byte for byte the same otherwise; the LF copies
        // sometimes differ in their text (an encoded subject in one, raw UTF-8 in the other).
        let same_reading = |a: &InboundMessage, b: &InboundMessage| {
            a.message_id == b.message_id
                && a.from_address == b.from_address
                && a.noise.as_ref().map(Noise::kind) == b.noise.as_ref().map(Noise::kind)
        };
        let same = |a: &InboundMessage, b: &InboundMessage| {
            same_reading(a, b) && a.subject == b.subject && a.noise == b.noise
        };
        if !same(&parsed[0], &parsed[2]) || !same_reading(&parsed[1], &parsed[2]) {
            differing.push(name.to_string_lossy().into_owned());
        }
    }
    println!("{compared} messages compared in LF, CRLF and CR-only");
    assert!(compared > 0);
    assert!(differing.is_empty(), "differ by line ending: {differing:?}");
}
