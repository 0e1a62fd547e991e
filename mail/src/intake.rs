//! What an inbound email becomes. One entry point for every way mail arrives (the
//! CLI, the webhook, the IMAP poller): parse it, set noise aside, find the case a reply
//! belongs to, decide from the sender what it is on that case, or make a new case
//! under the same intake rules as every other door. The message is kept with what
//! became of it, once: a second delivery of the same message does nothing.

use std::sync::Arc;

use anyhow::Context;
use palaute_core::attachment::safe_filename;
use palaute_core::email::bare_address;
use palaute_core::settings::AttachmentSettings;
use palaute_core::settings::ImapSettings;
use palaute_core::submission::{MAX_DESCRIPTION_CHARS, MAX_TITLE_CHARS};
use palaute_core::{
    CaseId, Channel, Field, Organisation, RawSubmission, Reference, Settings, StaffRole, Submission,
};
use palaute_store::{
    CaseRecord, InboundMail, MailAction, MailDisposition, MailRecorded, NewAttachment, NewCase,
    Store,
};
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::message::InboundMessage;
use crate::noise::Noise;
use crate::reply_text::only_new_text;
use crate::threading::{PlusAddress, reference_in_subject};

/// The `source` of a case made from an email.
pub const MAIL_SOURCE: &str = palaute_core::case::MAIL_SOURCE;

/// How a message reached palaute (kept with it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailSource {
    Cli,
    Webhook,
    Imap,
}

impl MailSource {
    pub fn code(self) -> &'static str {
        match self {
            MailSource::Cli => "cli",
            MailSource::Webhook => "webhook",
            MailSource::Imap => "imap",
        }
    }
}

/// What became of one inbound email.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub disposition: MailDisposition,
    /// Why (set aside: `auto_reply`, `bounce`, …; a note: why it was not more).
    pub reason: Option<String>,
    /// The case it made or joined.
    pub reference: Option<Reference>,
    /// It had been taken before; nothing was done again.
    pub duplicate: bool,
}

impl std::fmt::Display for Taken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.disposition {
            MailDisposition::NewCase => "new case",
            MailDisposition::ResidentMessage => "resident message on",
            MailDisposition::StaffReply => "staff reply on",
            MailDisposition::InternalNote => "internal note on",
            MailDisposition::SetAside => "set aside",
        };
        write!(f, "{what}")?;
        if let Some(reference) = &self.reference {
            write!(f, " {reference}")?;
        }
        if let Some(reason) = &self.reason {
            write!(f, " ({reason})")?;
        }
        if self.duplicate {
            write!(f, "; taken before, nothing done again")?;
        }
        Ok(())
    }
}

/// Refusals before a message is taken at all.
#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("the message is {size} bytes; at most {max} are accepted")]
    TooLarge { size: usize, max: usize },
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Turns raw messages into cases and case messages; cheap to clone.
#[derive(Clone)]
pub struct MailIntake {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    organisation: Arc<Organisation>,
    /// Our own sending and receiving addresses: mail from them is a loop.
    own_addresses: Vec<String>,
    /// Addresses whose mail may start a case: ours and the configured aliases.
    accepted: Vec<String>,
    inbound: Option<PlusAddress>,
    max_attempts: i32,
    max_message_bytes: usize,
    /// What files a new case keeps from the message's attachments.
    attachments: AttachmentSettings,
    /// How long after it was resolved a resident's email reopens a case.
    reopen_window: chrono::Duration,
    /// Woken after a change that queued jobs, so the worker acts at once.
    jobs: Option<Arc<Notify>>,
}

/// How many Message-IDs of `In-Reply-To` and of `References` are looked up.
const MAX_IDS_FOLLOWED: usize = 20;

/// How a message found its case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Threaded {
    /// Its threading headers name one of the case's emails.
    Answers,
    /// Only an address or the subject names the case.
    Names,
}

/// Who wrote a message on a case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Sender {
    Resident,
    /// The case's handlers: a staff account that works its unit, or its unit's mailbox.
    Staff(String),
    Other,
}

impl MailIntake {
    pub fn new(
        store: Store,
        organisation: Arc<Organisation>,
        settings: &Settings,
        jobs: Option<Arc<Notify>>,
    ) -> Self {
        let from = bare_address(&settings.mail_from);
        let inbound_address = settings
            .mail
            .inbound_address
            .as_deref()
            .and_then(bare_address)
            .or_else(|| from.clone());
        let own_addresses: Vec<String> = [from, inbound_address.clone()]
            .into_iter()
            .flatten()
            .collect();
        let mut accepted = own_addresses.clone();
        accepted.extend(
            settings
                .mail
                .accepted_addresses
                .iter()
                .filter_map(|address| bare_address(address)),
        );
        Self {
            inner: Arc::new(Inner {
                store,
                organisation,
                own_addresses,
                accepted,
                inbound: inbound_address.as_deref().and_then(PlusAddress::of),
                max_attempts: settings.worker.max_attempts,
                max_message_bytes: settings.mail.max_message_bytes,
                attachments: settings.attachments.clone(),
                reopen_window: chrono::Duration::days(i64::from(
                    settings.residents.reopen_window_days,
                )),
                jobs,
            }),
        }
    }

    pub fn max_message_bytes(&self) -> usize {
        self.inner.max_message_bytes
    }

    /// Takes one raw RFC 5322 message. `Ok` means it is durably kept with what became
    /// of it (a case, a message on one, or set aside), so the sender may forget it.
    pub async fn ingest(&self, raw: &[u8], source: MailSource) -> Result<Taken, IntakeError> {
        let max = self.inner.max_message_bytes;
        if raw.len() > max {
            return Err(IntakeError::TooLarge {
                size: raw.len(),
                max,
            });
        }
        // Parsing (charsets, HTML, attachments) and hashing are CPU work: off the
        // async threads.
        let owned = raw.to_vec();
        let (digest_key, parsed, raw) = tokio::task::spawn_blocking(move || {
            let digest_key = format!("sha256:{:x}", Sha256::digest(&owned));
            let parsed = InboundMessage::parse(&owned);
            (digest_key, parsed, owned)
        })
        .await
        .context("parsing the message")?;
        let message = match parsed {
            Ok(message) => message,
            Err(error) => {
                tracing::info!(%error, "inbound email set aside as unreadable");
                let mail = InboundMail {
                    message_key: digest_key,
                    source: source.code().to_owned(),
                    from_address: None,
                    subject: String::new(),
                    raw,
                };
                let action = MailAction::SetAside {
                    reason: "unreadable".to_owned(),
                };
                return Ok(self.record(&mail, &action).await?);
            }
        };
        let message_key = message
            .message_id
            .as_deref()
            .map(|id| format!("id:{}", id.chars().take(500).collect::<String>()))
            .unwrap_or(digest_key);
        if let Some(taken) = self
            .inner
            .store
            .inbound_mail_taken(&message_key)
            .await
            .context("looking up the message")?
        {
            return Ok(self.taken(taken).await?);
        }
        let mail = InboundMail {
            message_key: message_key.clone(),
            source: source.code().to_owned(),
            from_address: message.from_address.clone(),
            subject: message.subject.clone(),
            raw,
        };
        let action = self.decide(&message, &message_key).await?;
        let taken = self.record(&mail, &action).await?;
        if taken.disposition != MailDisposition::SetAside
            && let Some(from) = &message.from_address
            && self
                .inner
                .store
                .lift_suppression(from)
                .await
                .context("lifting a bounce suppression")?
        {
            tracing::info!("an address that bounced wrote in: resident mail goes to it again");
        }
        tracing::info!(
            source = source.code(),
            outcome = %taken,
            "inbound email taken"
        );
        Ok(taken)
    }

    /// Like [`ingest`](Self::ingest), but a message over the size limit is kept as set
    /// aside (its first `max_message_bytes` bytes) instead of refused: a mailbox must
    /// not offer it again forever.
    pub async fn ingest_or_set_aside(
        &self,
        raw: &[u8],
        source: MailSource,
    ) -> anyhow::Result<Taken> {
        match self.ingest(raw, source).await {
            Ok(taken) => Ok(taken),
            Err(IntakeError::TooLarge { size, max }) => {
                tracing::warn!(size, max, "inbound email over the size limit set aside");
                let kept = raw.get(..max).unwrap_or(raw);
                let mail = InboundMail {
                    message_key: format!("sha256:{:x}", Sha256::digest(raw)),
                    source: source.code().to_owned(),
                    from_address: None,
                    subject: String::new(),
                    raw: kept.to_vec(),
                };
                self.record(&mail, &set_aside("too_large")).await
            }
            Err(IntakeError::Failed(error)) => Err(error),
        }
    }

    /// Drains the `[mail.imap]` mailbox into intake until `shutdown`; each message is
    /// moved (or flagged) only once it is kept.
    pub async fn poll_mailbox(
        self,
        settings: ImapSettings,
        shutdown: tokio::sync::watch::Receiver<bool>,
    ) -> anyhow::Result<()> {
        let ingest = move |raw: Vec<u8>| {
            let intake = self.clone();
            async move {
                intake
                    .ingest_or_set_aside(&raw, MailSource::Imap)
                    .await
                    .map(|_| ())
            }
        };
        crate::imap::run_poller(settings, ingest, shutdown).await
    }

    async fn decide(
        &self,
        message: &InboundMessage,
        message_key: &str,
    ) -> anyhow::Result<MailAction> {
        if let Some(noise) = &message.noise {
            return Ok(match noise {
                Noise::Bounce(bounce) => MailAction::Bounce {
                    failed_recipients: bounce.failed_recipients.clone(),
                    original_message_id: bounce.original_message_id.clone(),
                    permanent: bounce.permanent,
                },
                other => set_aside(other.kind()),
            });
        }
        let Some(from) = message.from_address.clone() else {
            return Ok(set_aside("no_sender"));
        };
        if self.inner.own_addresses.contains(&from) {
            // Our own mail come back: answering it could start a loop.
            return Ok(set_aside("loop"));
        }
        if let Some((case, threaded)) = self.case_answered(message).await? {
            return self.on_case(message, &from, &case, threaded).await;
        }
        if !self.addressed_to_us(message) {
            // Mail that reached the mailbox for someone else (a misdirected copy, a
            // list): kept for an administrator, not made a resident's case.
            return Ok(set_aside("not_addressed_to_us"));
        }
        self.new_case(message, &from, message_key).await
    }

    /// True when a recipient is one of our addresses (a plus-tag ignored), or the
    /// message names no recipient at all (an MTA pipe may strip them).
    fn addressed_to_us(&self, message: &InboundMessage) -> bool {
        message.recipients.is_empty()
            || message.recipients.iter().any(|recipient| {
                let untagged = PlusAddress::of(recipient).map(|plus| plus.untagged());
                self.inner
                    .accepted
                    .iter()
                    .any(|ours| Some(ours) == untagged.as_ref() || ours == recipient)
            })
    }

    /// The case a message belongs to, and whether it answers one of the case's emails
    /// (its threading headers name one): else the reference in the address it was sent
    /// to, or one in its subject, which anyone can write.
    async fn case_answered(
        &self,
        message: &InboundMessage,
    ) -> anyhow::Result<Option<(CaseRecord, Threaded)>> {
        let store = &self.inner.store;
        // A bounded list: a message naming thousands of ids must not become a query
        // the database refuses, again on every delivery.
        let mut answered: Vec<String> = message
            .in_reply_to
            .iter()
            .take(MAX_IDS_FOLLOWED)
            .cloned()
            .collect();
        answered.extend(
            message
                .references
                .iter()
                .rev()
                .take(MAX_IDS_FOLLOWED)
                .cloned(),
        );
        if let Some(id) = store
            .case_of_message(&answered)
            .await
            .context("finding the email a reply answers")?
            && let Some(case) = store
                .case_by_id(id)
                .await
                .context("loading the case answered")?
        {
            return Ok(Some((case, Threaded::Answers)));
        }
        let by_address = self.inner.inbound.as_ref().and_then(|inbound| {
            message
                .recipients
                .iter()
                .find_map(|recipient| inbound.reference_in(recipient))
        });
        for reference in by_address
            .into_iter()
            .chain(reference_in_subject(&message.subject))
        {
            if let Some(case) = store
                .case_by_reference(&reference)
                .await
                .context("loading the case named")?
            {
                return Ok(Some((case, Threaded::Names)));
            }
        }
        Ok(None)
    }

    async fn on_case(
        &self,
        message: &InboundMessage,
        from: &str,
        case: &CaseRecord,
        threaded: Threaded,
    ) -> anyhow::Result<MailAction> {
        let body = only_new_text(&message.text);
        if body.is_empty() {
            // Nothing new: posting the quoted history would repeat our own mail (and
            // its links) onto the case.
            return Ok(set_aside("empty_reply"));
        }
        let body = truncate(&body, MAX_DESCRIPTION_CHARS);
        // Only a message that answers one of the case's emails may speak as its
        // resident or its handlers: a reference in an address or a subject is public.
        let sender = match threaded {
            Threaded::Answers => self.sender_on(case, from).await?,
            Threaded::Names => Sender::Other,
        };
        Ok(match sender {
            Sender::Resident => MailAction::ResidentMessage {
                case_id: case.id,
                body,
                reopen_window: self.inner.reopen_window,
            },
            Sender::Staff(actor) => MailAction::StaffReply {
                case_id: case.id,
                actor,
                body,
            },
            Sender::Other => MailAction::InternalNote {
                case_id: case.id,
                sender: Some(from.to_owned()),
                body,
                why: match threaded {
                    Threaded::Answers => {
                        "from an address that is neither the resident's nor the case's handlers'"
                    }
                    Threaded::Names => "names the case without answering one of its emails",
                }
                .to_owned(),
            },
        })
    }

    async fn sender_on(&self, case: &CaseRecord, from: &str) -> anyhow::Result<Sender> {
        let store = &self.inner.store;
        let resident = store
            .case_contact(case.id)
            .await
            .context("loading the resident's address")?
            .and_then(|contact| contact.email);
        if resident.is_some_and(|address| address.eq_ignore_ascii_case(from)) {
            return Ok(Sender::Resident);
        }
        let unit = case
            .unit_code
            .as_deref()
            .and_then(|code| self.inner.organisation.unit(code));
        if let Some(unit) = unit {
            let unit_addresses = [Some(unit.mailbox.as_str()), unit.lead_email.as_deref()];
            if unit_addresses
                .into_iter()
                .flatten()
                .any(|address| bare_address(address).as_deref() == Some(from))
            {
                return Ok(Sender::Staff(format!("staff:{from}")));
            }
        }
        if let Some(user) = store
            .active_staff_user(from)
            .await
            .context("looking up the sender among staff")?
        {
            let works_the_case = match user.role {
                StaffRole::Admin | StaffRole::Triage => true,
                StaffRole::Handler => case
                    .unit_code
                    .as_ref()
                    .is_some_and(|unit| user.units.contains(unit)),
            };
            if works_the_case {
                return Ok(Sender::Staff(format!("staff:{}", user.email)));
            }
        }
        Ok(Sender::Other)
    }

    async fn new_case(
        &self,
        message: &InboundMessage,
        from: &str,
        message_key: &str,
    ) -> anyhow::Result<MailAction> {
        let mut description = message.text.trim().to_owned();
        if description.is_empty() {
            description = message.subject.trim().to_owned();
        }
        if description.is_empty() {
            return Ok(set_aside("empty"));
        }
        let title =
            Some(truncate(message.subject.trim(), MAX_TITLE_CHARS)).filter(|t| !t.is_empty());
        let mut raw = RawSubmission::new(
            Channel::Email,
            truncate(&description, MAX_DESCRIPTION_CHARS),
        );
        raw.title = title;
        raw.contact_email = Some(from.to_owned());
        raw.contact_name = message.from_name.clone();
        // One case per message, however often it is delivered.
        raw.idempotency_key = Some(palaute_core::token::mail_idempotency_key(message_key));
        let submission = match Submission::parse(raw.clone(), &self.inner.organisation) {
            Ok(submission) => submission,
            Err(errors)
                if errors.iter().all(|error| {
                    matches!(error.field, Field::ContactEmail | Field::ContactName)
                }) =>
            {
                // A sender address or name the rules refuse: keep the feedback, without them.
                raw.contact_email = None;
                raw.contact_name = None;
                match Submission::parse(raw, &self.inner.organisation) {
                    Ok(submission) => submission,
                    Err(errors) => {
                        return Ok(set_aside(&format!("invalid: {}", describe(&errors))));
                    }
                }
            }
            Err(errors) => return Ok(set_aside(&format!("invalid: {}", describe(&errors)))),
        };
        let mut new_case = NewCase::from(submission);
        new_case.attachments = self.files_to_keep(message);
        new_case.source = Some(MAIL_SOURCE.to_owned());
        let submitted = self
            .inner
            .store
            .submit_case(new_case, self.inner.max_attempts, palaute_store::now())
            .await
            .context("saving the case")?;
        Ok(MailAction::NewCase {
            case_id: submitted.case_id,
        })
    }

    /// The attachments a new case keeps, under the `[attachments]` limits, in the
    /// message's order. The others (a signature logo over the count, an office file)
    /// stay in the kept message, where an administrator can still read them.
    fn files_to_keep(&self, message: &InboundMessage) -> Vec<NewAttachment> {
        let limits = &self.inner.attachments;
        let mut kept = Vec::new();
        for attachment in &message.attachments {
            if kept.len() >= limits.max_files {
                break;
            }
            let filename = safe_filename(attachment.filename.as_deref());
            match limits.check(&filename, &attachment.bytes) {
                Ok(media) => kept.push(NewAttachment {
                    filename,
                    content_type: media.mime().to_owned(),
                    bytes: attachment.bytes.clone(),
                }),
                Err(refused) => {
                    tracing::info!(%refused, "email attachment not kept with the case")
                }
            }
        }
        kept
    }

    async fn record(&self, mail: &InboundMail, action: &MailAction) -> anyhow::Result<Taken> {
        let recorded = self
            .inner
            .store
            .record_inbound_mail(mail, action, self.inner.max_attempts, palaute_store::now())
            .await
            .context("keeping the inbound email")?;
        if !recorded.duplicate
            && let Some(jobs) = &self.inner.jobs
        {
            jobs.notify_one();
        }
        self.taken(recorded).await
    }

    async fn taken(&self, recorded: MailRecorded) -> anyhow::Result<Taken> {
        let reference = match recorded.case_id {
            Some(id) => self.reference_of(id).await?,
            None => None,
        };
        Ok(Taken {
            disposition: recorded.disposition,
            reason: recorded.reason,
            reference,
            duplicate: recorded.duplicate,
        })
    }

    async fn reference_of(&self, id: CaseId) -> anyhow::Result<Option<Reference>> {
        Ok(self
            .inner
            .store
            .case_by_id(id)
            .await
            .context("loading the case's reference")?
            .map(|case| case.reference))
    }
}

fn set_aside(reason: &str) -> MailAction {
    MailAction::SetAside {
        reason: reason.to_owned(),
    }
}

fn describe(errors: &palaute_core::FieldErrors) -> String {
    errors
        .iter()
        .map(|error| error.message.clone())
        .collect::<Vec<_>>()
        .join("; ")
}

/// At most `max` characters, cut at a character boundary.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}
