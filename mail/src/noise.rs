//! Mail that must never become a case: auto-replies, bounces and delivery reports,
//! read receipts, complaint reports.

use mail_parser::{HeaderValue, Message, MessagePart, MimeHeaders, PartType};

use crate::message::{clean_address, clean_id, content_type_of};

/// Why a message is noise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Noise {
    /// An automatic answer (RFC 3834 `Auto-Submitted`, `X-Autoreply`, `Precedence`,
    /// an out-of-office subject in Finnish, Swedish or English, a mailing list manager's
    /// notice, the null reverse-path `Return-Path: <>`). The string says which sign.
    AutoReply(String),
    /// A non-delivery report (RFC 3464 or a vendor format).
    Bounce(Bounce),
    /// A delivery report that is not a failure (delayed, relayed, delivered).
    DeliveryReport,
    /// A read receipt (RFC 8098).
    ReadReceipt,
    /// An abuse or complaint report (ARF, RFC 5965).
    Complaint {
        /// The address that complained, lowercased: the report's `Original-Rcpt-To`, else
        /// the `To` of the reported message (Amazon SES: the complained recipient).
        complained_about: Option<String>,
    },
}

/// What a bounce says went wrong.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Bounce {
    /// The recipients that failed, lowercased.
    pub failed_recipients: Vec<String>,
    /// The `Message-ID` (without brackets) of our email that bounced, when the report carries it.
    pub original_message_id: Option<String>,
    /// A permanent failure (5.x.x) rather than a temporary one (4.x.x).
    pub permanent: bool,
}

impl Noise {
    /// A short name for counting and listing: `auto_reply`, `bounce`, ...
    pub fn kind(&self) -> &'static str {
        match self {
            Noise::AutoReply(_) => "auto_reply",
            Noise::Bounce(_) => "bounce",
            Noise::DeliveryReport => "delivery_report",
            Noise::ReadReceipt => "read_receipt",
            Noise::Complaint { .. } => "complaint",
        }
    }
}

/// Why `message` must not become a case, if it must not: a report first (RFC 3464 delivery
/// status, RFC 8098 read receipt, RFC 5965 complaint), then the signs of a vendor bounce,
/// then the signs of an automatic reply.
///
/// Not noise on its own: `X-Auto-Response-Suppress` (Outlook sets it on ordinary mail)
/// and `List-Id` (a resident may write through a mailing list; bulk list mail carries
/// `Precedence: bulk` or `list` as well).
pub fn classify(message: &Message<'_>) -> Option<Noise> {
    let report_type = message
        .root_part()
        .content_type()
        .filter(|ct| {
            ct.ctype().eq_ignore_ascii_case("multipart")
                && ct
                    .subtype()
                    .is_some_and(|s| s.eq_ignore_ascii_case("report"))
        })
        .map(|ct| {
            ct.attribute("report-type")
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase()
        });
    let parts = &message.parts;
    let has_part = |wanted: &str| parts.iter().any(|part| content_type_of(part) == wanted);

    match report_type.as_deref() {
        Some("disposition-notification") => return Some(Noise::ReadReceipt),
        Some("feedback-report") => return Some(complaint(message)),
        _ => {}
    }
    let subject = message.subject().unwrap_or("").trim().to_lowercase();
    // Hotmail's and others' complaint forwards: the reported message attached, no ARF part.
    if subject.starts_with("complaint about message from") {
        return Some(complaint(message));
    }
    if report_type.is_none() && has_part("message/feedback-report") {
        return Some(complaint(message));
    }
    if report_type.is_none() && has_part("message/disposition-notification") {
        return Some(Noise::ReadReceipt);
    }
    let is_dsn = report_type.as_deref() == Some("delivery-status")
        || has_part("message/delivery-status")
        || has_part("message/global-delivery-status");
    if is_dsn {
        let status = delivery_status(message);
        if !status.failed.is_empty() || status.recipients == 0 {
            return Some(Noise::Bounce(bounce(message, status)));
        }
        return Some(Noise::DeliveryReport);
    }
    if let Some(noise) = amazon_ses_notification(message) {
        return Some(noise);
    }
    if let Some(noise) = vendor_bounce(message) {
        return Some(noise);
    }
    if let Some(sign) = auto_reply(message) {
        return Some(Noise::AutoReply(sign));
    }
    if has_null_return_path(message) {
        // Only reports and automatic answers are sent with the null reverse-path
        // (RFC 5321 4.5.5, RFC 3834 3.3): a person's mail never is.
        if says_undelivered(&notification_text(message)) {
            return Some(Noise::Bounce(bounce(message, DeliveryStatus::default())));
        }
        return Some(Noise::AutoReply("return-path: <>".to_owned()));
    }
    None
}

/// `Return-Path: <>`: the message was sent with the null reverse-path.
fn has_null_return_path(message: &Message<'_>) -> bool {
    message
        .header_raw(mail_parser::HeaderName::ReturnPath)
        .is_some_and(|raw| raw.trim() == "<>")
}

/// Phrases of non-delivery in a report's text (lowercased).
const UNDELIVERED_PHRASES: &[&str] = &[
    "could not be delivered",
    "couldn't be delivered",
    "was not delivered",
    "undeliverable",
    "undelivered",
    "delivery failed",
    "delivery has failed",
    "delivery to the following recipient",
    "failed permanently",
    "permanent error",
    "permanent fatal error",
    "user unknown",
    "unknown user",
    "no such user",
    "mailbox full",
    "mailbox is full",
    "mailbox unavailable",
    "does not exist",
    "invalid user",
    "invalid recipient",
    "rejected",
    "returned to sender",
];

fn says_undelivered(text: &str) -> bool {
    let text = text.to_lowercase();
    UNDELIVERED_PHRASES
        .iter()
        .any(|phrase| text.contains(phrase))
}

/// Amazon SES forwards its bounce, complaint and delivery notifications through SNS as
/// a JSON document in a text/plain mail.
fn amazon_ses_notification(message: &Message<'_>) -> Option<Noise> {
    let text = notification_text(message);
    let outer = text.trim_start();
    if !outer.starts_with('{') {
        return None;
    }
    // Raw delivery sends the notification itself; otherwise SNS wraps it, escaped, in
    // the "Message" of its own envelope.
    let wrapped =
        json_string_after(outer, "\"Message\"").filter(|inner| inner.trim_start().starts_with('{'));
    let json = wrapped.as_deref().unwrap_or(outer);
    let kind = json_string_after(json, "\"notificationType\"")?;
    match kind.to_ascii_lowercase().as_str() {
        "bounce" => {
            let mut failed_recipients = Vec::new();
            let mut rest = json;
            while let Some(at) = rest.find("\"emailAddress\"") {
                let after = rest.get(at..).unwrap_or("");
                if let Some(address) =
                    json_string_after(after, "\"emailAddress\"").and_then(|a| address_in(&a))
                    && !failed_recipients.contains(&address)
                    && failed_recipients.len() < MAX_RECIPIENTS
                {
                    failed_recipients.push(address);
                }
                rest = after.get("\"emailAddress\"".len()..).unwrap_or("");
            }
            let permanent = json_string_after(json, "\"bounceType\"")
                .is_none_or(|kind| !kind.eq_ignore_ascii_case("transient"));
            let original_message_id = json
                .find("\"commonHeaders\"")
                .and_then(|at| json.get(at..))
                .and_then(|common| json_string_after(common, "\"messageId\""))
                .and_then(|id| clean_id(&id));
            Some(Noise::Bounce(Bounce {
                failed_recipients,
                original_message_id,
                permanent,
            }))
        }
        "complaint" => {
            let complained_about = json
                .find("\"complainedRecipients\"")
                .and_then(|at| json.get(at..))
                .and_then(|rest| json_string_after(rest, "\"emailAddress\""))
                .and_then(|address| address_in(&address));
            Some(Noise::Complaint { complained_about })
        }
        "delivery" => Some(Noise::DeliveryReport),
        _ => None,
    }
}

/// The string value that follows `"key"` and a colon in JSON text (simple escapes read).
fn json_string_after(json: &str, key: &str) -> Option<String> {
    let at = json.find(key)?;
    let after = json.get(at + key.len()..)?.trim_start().strip_prefix(':')?;
    let body = after.trim_start().strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(value),
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    None
}

/// An ARF report: the address that complained (the report's `Original-Rcpt-To`, else the
/// recipient of the reported message).
fn complaint(message: &Message<'_>) -> Noise {
    let mut complained_about = None;
    for part in &message.parts {
        if content_type_of(part) == "message/feedback-report" {
            let fields = report_fields(&part_text(part));
            complained_about = fields
                .iter()
                .flatten()
                .find(|(name, _)| name == "original-rcpt-to")
                .and_then(|(_, value)| address_in(value));
            if complained_about.is_some() {
                break;
            }
        }
    }
    if complained_about.is_none() {
        complained_about = attached_messages(message).find_map(|nested| {
            nested
                .to()
                .and_then(|to| to.first())
                .and_then(|a| a.address())
                .and_then(clean_address)
        });
    }
    Noise::Complaint { complained_about }
}

/// Recipients read from one report at most: a real report names a handful, and a
/// hostile one must not cost quadratic time.
const MAX_RECIPIENTS: usize = 200;

/// What the message/delivery-status parts say, recipient by recipient.
#[derive(Default)]
struct DeliveryStatus {
    /// Recipient groups read.
    recipients: usize,
    failed: Vec<String>,
    /// Some failed recipient has a 5.x.x status (or no status but `Action: failed`).
    permanent: bool,
    /// Some failed recipient has a 4.x.x status.
    temporary: bool,
}

fn delivery_status(message: &Message<'_>) -> DeliveryStatus {
    let mut status = DeliveryStatus::default();
    for part in &message.parts {
        let content_type = content_type_of(part);
        if content_type != "message/delivery-status"
            && content_type != "message/global-delivery-status"
        {
            continue;
        }
        let groups = report_fields(&part_text(part));
        // The first group is per message; the rest are per recipient. Some writers put
        // everything in one group, so any group with a recipient counts.
        for group in &groups {
            let field = |name: &str| {
                group
                    .iter()
                    .find(|(field, _)| field == name)
                    .map(|(_, value)| value.as_str())
            };
            let recipient = field("final-recipient")
                .or_else(|| field("original-recipient"))
                .and_then(address_in);
            let Some(recipient) = recipient else {
                continue;
            };
            status.recipients += 1;
            let action = field("action").unwrap_or("").trim().to_ascii_lowercase();
            let code = field("status").unwrap_or("").trim().to_owned();
            let class = code.chars().next();
            if status.failed.len() >= MAX_RECIPIENTS {
                break;
            }
            let failed = action.starts_with("failed")
                || (action.is_empty() && matches!(class, Some('5' | '4')));
            if failed {
                match class {
                    Some('4') => status.temporary = true,
                    _ => status.permanent = true,
                }
                if !status.failed.contains(&recipient) {
                    status.failed.push(recipient);
                }
            }
        }
    }
    status
}

fn bounce(message: &Message<'_>, status: DeliveryStatus) -> Bounce {
    let mut failed_recipients = status.failed;
    if failed_recipients.is_empty() {
        failed_recipients = failed_recipients_from_text(message);
    }
    let permanent = if status.permanent || status.temporary {
        status.permanent
    } else {
        !looks_temporary(message)
    };
    Bounce {
        failed_recipients,
        original_message_id: original_message_id(message),
        permanent,
    }
}

/// A non-delivery report without a delivery-status part: the vendor formats.
fn vendor_bounce(message: &Message<'_>) -> Option<Noise> {
    let failed_header: Vec<String> = header_texts(message, "x-failed-recipients")
        .iter()
        .flat_map(|value| {
            value
                .split([',', ' ', ';'])
                .filter_map(address_in)
                .collect::<Vec<_>>()
        })
        .collect();
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|addr| addr.address())
        .unwrap_or("")
        .to_ascii_lowercase();
    let from_name = message
        .from()
        .and_then(|from| from.first())
        .and_then(|addr| addr.name())
        .unwrap_or("")
        .to_lowercase();
    let local = from.split('@').next().unwrap_or("");
    let from_daemon = matches!(
        local,
        "mailer-daemon"
            | "postmaster"
            | "post_master"
            | "mail-daemon"
            | "maildaemon"
            | "mailerdaemon"
    ) || from_name.contains("mailer-daemon")
        || from_name.contains("mail delivery")
        || from_name.contains("postmaster");
    let subject = message.subject().unwrap_or("").trim().to_lowercase();
    let subject_says = bounce_subject(&subject);
    // A subject alone is a weak sign (a resident may write "Delivery failure" about a
    // parcel): it counts with a report's body, the null reverse-path, an automatic
    // header or the returned message attached.
    let subject_backed = subject_says.is_some()
        && (says_undelivered(&notification_text(message))
            || has_null_return_path(message)
            || !header_texts(message, "auto-submitted").is_empty()
            || message.parts.iter().any(|part| {
                matches!(
                    content_type_of(part).as_str(),
                    "message/rfc822" | "text/rfc822-headers" | "message/rfc822-headers"
                )
            }));
    let sign = !failed_header.is_empty() || from_daemon || subject_backed;
    if !sign {
        return None;
    }
    if subject_says == Some(SubjectSays::Delayed) {
        return Some(Noise::DeliveryReport);
    }
    let mut failed_recipients = failed_header;
    if failed_recipients.is_empty() {
        failed_recipients = failed_recipients_from_text(message);
    }
    Some(Noise::Bounce(Bounce {
        failed_recipients,
        original_message_id: original_message_id(message),
        permanent: !looks_temporary(message),
    }))
}

#[derive(PartialEq, Eq, Clone, Copy)]
enum SubjectSays {
    Failed,
    Delayed,
}

/// Subjects that non-delivery reports start with (lowercased).
const BOUNCE_SUBJECTS: &[&str] = &[
    "undelivered mail",
    "undeliverable",
    "undelivered message",
    "delivery status notification",
    "delivery notification",
    "delivery status",
    "delivery report",
    "delivery failure",
    "delivery failed",
    "delivery has failed",
    "failed delivery",
    "failure delivery",
    "failure notice",
    "mail delivery failed",
    "mail delivery failure",
    "mail delivery status",
    "mail delivery system",
    "mail delivery subsystem",
    "mail could not be delivered",
    "mail failed",
    "mail failure",
    "mail system error",
    "message delivery has failed",
    "message you sent blocked",
    "**message you sent blocked",
    "returned mail",
    "returned to sender",
    "permanent delivery failure",
    "delivery final failure",
    "notice: mail delivery status",
    "postmaster notify",
    "[postmaster]",
    "sorry, your message could not be delivered",
    "there was an error sending your mail",
    "could not send message",
    "warning: could not send message",
    "non remis",
    "non recapitabile",
    "unzustellbar",
    "nicht zustellbar",
    "onbestelbaar",
    "olevererbart",
    "kan inte levereras",
    "ej levererat",
    "toimitus epäonnistui",
    "viestiä ei voitu toimittaa",
    "ei voitu toimittaa",
    "toimittamaton",
    "no se puede entregar",
    "não é possível entregar",
    "недоставлен",
    "не доставлен",
    "ваше сообщение не доставлено",
    "メールエラー",
    "returned mail:",
];

fn bounce_subject(subject: &str) -> Option<SubjectSays> {
    let subject = subject.trim_start_matches(['*', ' ']);
    let delayed = [
        "delay",
        "warning",
        "still being retried",
        "not yet been delivered",
    ];
    let failed_prefix = BOUNCE_SUBJECTS
        .iter()
        .any(|start| subject.starts_with(start));
    let failed_anywhere = subject.contains("delivery status notification")
        || subject.contains("mail delivery failed")
        || subject.contains("undeliverable")
        || subject.contains("returned mail")
        || subject.contains("returning message to sender")
        || subject.contains("delivery failure");
    let is_delay_report = (subject.starts_with("warning") || subject.contains("delivery"))
        && delayed.iter().any(|word| subject.contains(word))
        || subject.starts_with("delayed mail");
    if is_delay_report && !subject.contains("fail") {
        return Some(SubjectSays::Delayed);
    }
    (failed_prefix || failed_anywhere).then_some(SubjectSays::Failed)
}

/// A temporary failure by what the report says ("4.x.x", "will retry", "deferred").
fn looks_temporary(message: &Message<'_>) -> bool {
    let subject = message.subject().unwrap_or("").to_lowercase();
    if subject.contains("delay") || subject.contains("deferred") || subject.contains("warning") {
        return true;
    }
    let text = notification_text(message).to_lowercase();
    let permanent_words = [
        " 5.",
        "550",
        "551",
        "552",
        "553",
        "554",
        "permanent",
        "user unknown",
    ];
    let temporary_words = [
        "will retry",
        "will be retried",
        "still trying",
        "deferred",
        "temporarily",
    ];
    temporary_words.iter().any(|w| text.contains(w))
        && !permanent_words.iter().any(|w| text.contains(w))
}

/// The human-readable notification: the text bodies of the report itself.
fn notification_text(message: &Message<'_>) -> String {
    let mut text = String::new();
    for id in &message.text_body {
        if let Some(part) = message.part(*id) {
            match &part.body {
                PartType::Text(body) => text.push_str(body),
                PartType::Html(body) => text.push_str(&crate::html_text::html_to_text(body)),
                _ => {}
            }
            text.push('\n');
        }
    }
    text
}

/// Lines that start the copy of the returned message in vendor bounces (lowercased).
const RETURNED_MESSAGE_MARKERS: &[&str] = &[
    "------ this is a copy of the message",
    "--- below this line is a copy of the message",
    "----- original message -----",
    "-----original message-----",
    "original message follows",
    "------- returned message",
    "----- transcript of session follows",
    "message text follows",
    "--- original message header",
    "----- the header of the original message",
    "original message headers",
    "------ original message",
    "content-type: message/rfc822",
    "received: ",
    "return-path: ",
];

/// Addresses a vendor bounce names as failed: in the notification text before the copy
/// of the returned message, leaving out the report's own sender and recipients and the
/// mail system's own mailboxes.
fn failed_recipients_from_text(message: &Message<'_>) -> Vec<String> {
    let text = notification_text(message);
    let mut own: std::collections::HashSet<String> = std::collections::HashSet::new();
    for address in [
        message.from(),
        message.to(),
        message.sender(),
        message.reply_to(),
    ]
    .into_iter()
    .flatten()
    {
        own.extend(
            address
                .iter()
                .filter_map(|a| a.address())
                .filter_map(clean_address),
        );
    }
    if let Some(path) = message.return_address().and_then(clean_address) {
        own.insert(path);
    }

    let mut found: Vec<String> = Vec::new();
    // A "Final-Recipient:" written into the text (some MTAs do).
    for group in report_fields(&text) {
        for (name, value) in group {
            if (name == "final-recipient" || name == "original-recipient")
                && let Some(address) = address_in(&value)
                && !found.contains(&address)
                && found.len() < MAX_RECIPIENTS
            {
                found.push(address);
            }
        }
    }
    if !found.is_empty() {
        return found;
    }
    for line in text.lines() {
        let lower = line.trim().to_lowercase();
        let copy_starts = RETURNED_MESSAGE_MARKERS
            .iter()
            .chain(
                [
                    "received:",
                    "return-path:",
                    "message-id:",
                    "dkim-signature:",
                ]
                .iter(),
            )
            .any(|marker| lower.starts_with(marker));
        if copy_starts {
            break;
        }
        for candidate in addresses_in_line(line) {
            let local = candidate.split('@').next().unwrap_or("");
            let system = matches!(
                local,
                "mailer-daemon"
                    | "postmaster"
                    | "mail-daemon"
                    | "root"
                    | "abuse"
                    | "noreply"
                    | "no-reply"
            );
            if !system && !own.contains(&candidate) && !found.contains(&candidate) {
                found.push(candidate);
            }
        }
        if found.len() >= 20 {
            break;
        }
    }
    if found.is_empty() {
        found = returned_message_recipients(message, &own);
    }
    found
}

/// The recipients of the returned message (its `To` and `Cc`), for reports that name no
/// address of their own (a transcript with only a host in it): where the message was
/// going is where it failed.
fn returned_message_recipients(
    message: &Message<'_>,
    own: &std::collections::HashSet<String>,
) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut push = |address: String| {
        if !own.contains(&address) && !found.contains(&address) && found.len() < MAX_RECIPIENTS {
            found.push(address);
        }
    };
    for nested in attached_messages(message) {
        for address in [nested.to(), nested.cc()].into_iter().flatten() {
            address
                .iter()
                .filter_map(|a| a.address())
                .filter_map(clean_address)
                .for_each(&mut push);
        }
    }
    for part in message.parts.iter().skip(1) {
        for header in &part.headers {
            if matches!(
                header.name,
                mail_parser::HeaderName::To | mail_parser::HeaderName::Cc
            ) && let Some(address) = header.value.as_address()
            {
                address
                    .iter()
                    .filter_map(|a| a.address())
                    .filter_map(clean_address)
                    .for_each(&mut push);
            }
        }
    }
    // Pasted into the text after a marker ("----- Unsent message follows -----").
    let text = notification_text(message);
    let mut in_copy = false;
    for line in text.lines() {
        let lower = line.trim().to_lowercase();
        if RETURNED_MESSAGE_MARKERS
            .iter()
            .any(|m| lower.starts_with(m))
            || lower.contains("message follows")
        {
            in_copy = true;
            continue;
        }
        if in_copy && (lower.starts_with("to:") || lower.starts_with("cc:")) {
            addresses_in_line(line).into_iter().for_each(&mut push);
        }
        if in_copy && lower.is_empty() {
            // The end of the copy's header section.
            in_copy = false;
        }
    }
    found
}

/// Every `local@domain` in a line, lowercased, brackets and punctuation stripped.
fn addresses_in_line(line: &str) -> Vec<String> {
    line.split(|c: char| {
        c.is_whitespace()
            || matches!(
                c,
                '<' | '>' | '(' | ')' | '"' | '\'' | ',' | ';' | '[' | ']'
            )
    })
    .filter_map(|word| {
        let word = word
            .trim_start_matches(|c: char| !c.is_alphanumeric())
            .trim_end_matches(|c: char| !c.is_alphanumeric());
        let word = word.strip_prefix("mailto:").unwrap_or(word);
        let word = word.strip_prefix("rfc822;").unwrap_or(word);
        let (local, domain) = word.split_once('@')?;
        let valid = !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-')
            && local.chars().all(|c| !c.is_control() && !c.is_whitespace());
        valid.then(|| word.to_lowercase())
    })
    .collect()
}

/// The one address in a report field's value ("rfc822; user@example.com", "<u@x>").
fn address_in(value: &str) -> Option<String> {
    let value = value.rsplit(';').next().unwrap_or(value).trim();
    addresses_in_line(value)
        .into_iter()
        .next()
        .or_else(|| clean_address(value).filter(|a| a.contains('@')))
}

/// The Message-ID of the message that bounced: from an attached message/rfc822 (or
/// message/global), a text/rfc822-headers part, or the copy of the message in the text.
fn original_message_id(message: &Message<'_>) -> Option<String> {
    if let Some(id) =
        attached_messages(message).find_map(|nested| nested.message_id().and_then(clean_id))
    {
        return Some(id);
    }
    // A returned message pasted after a boundary without part headers of its own: its
    // header fields read as the part's.
    let pasted = message.parts.iter().skip(1).find_map(|part| {
        part.headers
            .iter()
            .find(|header| header.name == mail_parser::HeaderName::MessageId)
            .and_then(|header| header.value.as_text())
            .and_then(clean_id)
    });
    if pasted.is_some() {
        return pasted;
    }
    for part in &message.parts {
        let content_type = content_type_of(part);
        let is_headers = content_type == "text/rfc822-headers"
            || content_type == "message/rfc822-headers"
            || content_type == "message/global-headers"
            || content_type == "message/rfc822"
            || content_type == "message/global";
        if is_headers && let Some(id) = message_id_in_text(&part_text(part)) {
            return Some(id);
        }
    }
    // Vendor formats: the returned message is quoted after the notification.
    let mut text = String::new();
    for part in &message.parts {
        if let PartType::Text(body) = &part.body {
            text.push_str(body);
            text.push('\n');
        }
    }
    message_id_in_text(&text)
}

fn attached_messages<'a>(message: &'a Message<'a>) -> impl Iterator<Item = &'a Message<'a>> {
    message.parts.iter().filter_map(|part| match &part.body {
        PartType::Message(nested) => Some(nested),
        _ => None,
    })
}

/// The value of the first `Message-ID:` line (folded values followed) in a text.
fn message_id_in_text(text: &str) -> Option<String> {
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let trimmed = line.trim_start();
        let Some((name, value)) = trimmed.split_once(':') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("message-id") {
            continue;
        }
        let mut value = value.trim().to_owned();
        if value.is_empty() {
            value = lines.next().unwrap_or("").trim().to_owned();
        }
        let id = match (value.find('<'), value.find('>')) {
            (Some(start), Some(end)) if start < end => value.get(start + 1..end).map(str::to_owned),
            _ => value.split_whitespace().next().map(str::to_owned),
        };
        if let Some(id) = id
            .as_deref()
            .and_then(clean_id)
            .filter(|id| id.contains('@'))
        {
            return Some(id);
        }
    }
    None
}

/// A part's content as text, whatever mail-parser made of it.
fn part_text(part: &MessagePart<'_>) -> String {
    match &part.body {
        PartType::Text(text) | PartType::Html(text) => text.to_string(),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        PartType::Message(nested) => {
            String::from_utf8_lossy(nested.raw_message.as_ref()).into_owned()
        }
        PartType::Multipart(_) => String::new(),
    }
}

/// Header-style field groups separated by blank lines (the body of message/delivery-status
/// and message/feedback-report): names lowercased, folded lines joined.
fn report_fields(text: &str) -> Vec<Vec<(String, String)>> {
    let mut groups: Vec<Vec<(String, String)>> = Vec::new();
    let mut group: Vec<(String, String)> = Vec::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        if line.trim().is_empty() {
            if !group.is_empty() {
                groups.push(std::mem::take(&mut group));
            }
            continue;
        }
        if line.starts_with([' ', '\t']) {
            if let Some((_, value)) = group.last_mut() {
                value.push(' ');
                value.push_str(line.trim());
            }
            continue;
        }
        if let Some((name, value)) = line.split_once(':') {
            let name = name.trim();
            if !name.is_empty() && !name.contains(' ') {
                group.push((name.to_ascii_lowercase(), value.trim().to_owned()));
            }
        }
    }
    if !group.is_empty() {
        groups.push(group);
    }
    groups
}

/// The values of a header (any name, case-insensitive), as text.
fn header_texts(message: &Message<'_>, name: &str) -> Vec<String> {
    message
        .headers()
        .iter()
        .filter(|header| header.name.as_str().eq_ignore_ascii_case(name))
        .filter_map(|header| match &header.value {
            HeaderValue::Text(text) => Some(text.split_whitespace().collect::<Vec<_>>().join(" ")),
            HeaderValue::TextList(list) => Some(list.join(", ")),
            HeaderValue::Address(address) => Some(
                address
                    .iter()
                    .filter_map(|a| a.address())
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            _ => None,
        })
        .collect()
}

/// Subjects of automatic replies, matched at the start (lowercased).
const AUTO_REPLY_SUBJECTS: &[&str] = &[
    // Finnish
    "automaattinen vastaus",
    "automaattivastaus",
    "poissaoloviesti",
    "poissaolo:",
    "lomaviesti",
    "lomavastaaja",
    // Swedish
    "autosvar",
    "automatiskt svar",
    "frånvaromeddelande",
    "frånvaro:",
    // English
    "out of office",
    "out of the office",
    "automatic reply",
    "auto-reply",
    "auto reply",
    "autoreply",
    "auto response",
    "auto-response",
    "autoresponse",
    "automatic response",
    "autorespons",
    "on vacation",
    "vacation reply",
    // German, French, Dutch, Norwegian and Danish, Spanish, Italian
    "abwesenheitsnotiz",
    "automatische antwort",
    "réponse automatique",
    "reponse automatique",
    "absence du bureau",
    "automatisch antwoord",
    "afwezig",
    "automatisk svar",
    "fravær",
    "respuesta automática",
    "fuera de la oficina",
    "risposta automatica",
    "fuori sede",
];

/// Words that say "away" but also start ordinary subjects ("Poissa paikaltaan oleva
/// liikennemerkki"): they count only alone, before a colon or a date, or with a word that
/// says office or holiday.
const AWAY_WORDS: &[&str] = &[
    "poissa",
    "lomalla",
    "frånvaro",
    "frånvarande",
    "semester",
    "away",
    "absent",
    "abwesend",
    "absence",
];

const AWAY_CONTEXT: &[&str] = &[
    "toimistolta",
    "töistä",
    "saakka",
    "asti",
    "lomalla",
    "från kontoret",
    "till och med",
    "t.o.m",
    "tom ",
    "until",
    "till ",
    "from the office",
    "from office",
    "on leave",
    "on holiday",
];

fn auto_reply_subject(subject: &str) -> bool {
    let subject = subject.trim().to_lowercase();
    if AUTO_REPLY_SUBJECTS
        .iter()
        .any(|start| subject.starts_with(start))
    {
        return true;
    }
    AWAY_WORDS.iter().any(|word| {
        let Some(rest) = subject.strip_prefix(word) else {
            return false;
        };
        let rest = rest.trim_start();
        rest.is_empty()
            || rest.starts_with([':', '-', '–', '(', '!', '.'])
            || rest.starts_with(|c: char| c.is_ascii_digit())
            || AWAY_CONTEXT.iter().any(|context| rest.contains(context))
    })
}

/// The sign of an automatic reply, if there is one.
fn auto_reply(message: &Message<'_>) -> Option<String> {
    for value in header_texts(message, "auto-submitted") {
        let value = value.trim().to_ascii_lowercase();
        let keyword = value.split([';', ' ', '(']).next().unwrap_or("");
        if !keyword.is_empty() && keyword != "no" {
            return Some(format!("auto-submitted: {keyword}"));
        }
    }
    for name in [
        "x-autoreply",
        "x-autorespond",
        "x-autoresponder",
        "x-autogenerated",
        "x-auto-reply",
    ] {
        if let Some(value) = header_texts(message, name).into_iter().next() {
            let value = value.trim().to_ascii_lowercase();
            if value != "no" && value != "false" {
                return Some(name.to_owned());
            }
        }
    }
    for value in header_texts(message, "precedence") {
        let value = value.trim().to_ascii_lowercase();
        if matches!(value.as_str(), "auto_reply" | "bulk" | "junk" | "list") {
            return Some(format!("precedence: {value}"));
        }
    }
    // Exchange marks its out-of-office replies with this class.
    for value in header_texts(message, "x-ms-exchange-inbox-rules-loop")
        .into_iter()
        .chain(header_texts(
            message,
            "x-ms-exchange-generated-message-source",
        ))
    {
        if !value.trim().is_empty() {
            return Some("x-ms-exchange auto-generated".to_owned());
        }
    }
    let from = message
        .from()
        .and_then(|from| from.first())
        .and_then(|addr| addr.address())
        .unwrap_or("")
        .to_ascii_lowercase();
    let local = from.split('@').next().unwrap_or("");
    let list_manager = local.ends_with("-admin")
        || local.ends_with("-owner")
        || local.ends_with("-bounces")
        || local.ends_with("-request")
        || local.starts_with("owner-");
    if list_manager && !header_texts(message, "x-mlserver").is_empty() {
        return Some(format!("mailing list manager: {from}"));
    }
    let subject = message.subject().unwrap_or("");
    if auto_reply_subject(subject) {
        return Some(format!(
            "subject: {}",
            subject.split_whitespace().collect::<Vec<_>>().join(" ")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn out_of_office_subjects() {
        for subject in [
            "Automaattinen vastaus: Katuvalo rikki",
            "Poissa",
            "Poissa 1.7.-31.7.",
            "Poissa toimistolta",
            "Lomalla 3.7. saakka",
            "Poissaoloviesti",
            "Autosvar: Gatlampa",
            "Frånvaro: semester",
            "Automatiskt svar: Gatlampa",
            "Out of Office: x",
            "Automatic reply: x",
            "Auto-Reply: x",
            "AutoReply",
            "Away",
            "Away until 5 May",
        ] {
            assert!(auto_reply_subject(subject), "{subject}");
        }
        for subject in [
            "Poissa paikaltaan oleva liikennemerkki",
            "Lomalla huomasin rikkinäisen penkin",
            "Awayday parking",
            "Katuvalo rikki",
            "Re: Away team parking at the stadium",
        ] {
            assert!(!auto_reply_subject(subject), "{subject}");
        }
    }

    #[test]
    fn report_fields_read_groups_and_folds() {
        let text = "Reporting-MTA: dns; mx.example.com\n\nFinal-Recipient: rfc822;\n  user@example.com\nAction: failed\nStatus: 5.1.1\n";
        let groups = report_fields(text);
        assert_eq!(groups.len(), 2);
        assert_eq!(
            groups[1][0],
            (
                "final-recipient".to_owned(),
                "rfc822; user@example.com".to_owned()
            )
        );
        assert_eq!(
            address_in("rfc822; <User@Example.com>").as_deref(),
            Some("user@example.com")
        );
    }

    #[test]
    fn message_ids_in_returned_copies() {
        assert_eq!(
            message_id_in_text("Subject: x\nMessage-Id: <abc@example.com>\n").as_deref(),
            Some("abc@example.com")
        );
        assert_eq!(
            message_id_in_text("Message-ID:\n  <folded@example.com>\n").as_deref(),
            Some("folded@example.com")
        );
        assert_eq!(message_id_in_text("no id here"), None);
    }
}
