//! The IMAP poller: drains one mailbox into the email door, each message exactly once.
//!
//! A round selects the mailbox, searches it by UID and, for each message, fetches it
//! with `BODY.PEEK[]` (so nothing is marked read before it is taken), hands the raw bytes
//! to `ingest`, and only after `ingest` answers `Ok` (the message is durably taken) moves
//! it to the processed mailbox, or, where none is set, flags it
//! [`$PalauteIngested`](INGESTED_KEYWORD) and `\Seen` so that the next search
//! (`UNKEYWORD $PalauteIngested`) passes it by. A message whose ingest fails stays where
//! it is and is tried again in a later round, after a capped exponential backoff: never
//! lost. Because a taken message leaves the searched set, a round never depends on UIDs
//! remembered from an earlier one, so a new UIDVALIDITY only drops the poller's note of
//! messages taken but not yet moved (those are then given to `ingest` again, which
//! dedupes by Message-ID).
//!
//! Between rounds the poller waits in IDLE where the server offers it (re-issued well
//! before the 29 minutes of RFC 2177, and at most `poll_seconds`), and otherwise sleeps
//! `poll_seconds`. Any connection or server error drops the connection and reconnects
//! with a capped exponential backoff; only the shutdown signal (or its sender going
//! away) ends [`run_poller`], and promptly: it is watched while connecting, waiting,
//! idling and between messages (an `ingest` call in progress is let finish).
//!
//! What `ingest` answers decides the message's fate: `Ok` for every message it has dealt
//! with for good, including those it sets aside or refuses for good (noise, too large),
//! and `Err` only for what may succeed later (the database away), since an `Err` keeps
//! the message in the mailbox to be tried again. One poller per mailbox: two would each
//! fetch a message before either moves it (harmless, as `ingest` dedupes by Message-ID,
//! but wasteful).

mod backoff;
mod connection;
mod mailbox_name;

use std::collections::{BTreeSet, HashSet};
use std::convert::Infallible;
use std::future::Future;
use std::time::Duration;

use anyhow::{anyhow, bail};
use async_imap::types::UnsolicitedResponse;
use futures::{Stream, StreamExt, TryStreamExt};
use palaute_core::settings::ImapSettings;
use tokio::sync::watch;
use tokio_rustls::TlsConnector;
use tracing::{debug, info, warn};

use backoff::Backoff;
use connection::{Endpoint, Features, ImapSession};

/// The keyword that marks a message taken, where no processed mailbox is set.
pub const INGESTED_KEYWORD: &str = "$PalauteIngested";

/// The longest one IMAP command may take before the connection is given up.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(120);
/// The longest fetching one message may take (a large message on a slow link).
const FETCH_TIMEOUT: Duration = Duration::from_secs(600);
/// IDLE is ended and issued again at least this often (RFC 2177 asks for < 29 minutes).
const LONGEST_IDLE: Duration = Duration::from_secs(28 * 60);
/// Reconnecting after a failure waits from this ...
const RECONNECT_FIRST: Duration = Duration::from_secs(1);
/// ... doubling up to this.
const RECONNECT_CAP: Duration = Duration::from_secs(60);
/// A message whose ingest failed is tried again after this ...
const INGEST_RETRY_FIRST: Duration = Duration::from_secs(1);
/// ... doubling up to this (or `poll_seconds`, whichever is shorter).
const INGEST_RETRY_CAP: Duration = Duration::from_secs(300);

/// What one round over the mailbox did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Drained {
    /// Messages `ingest` took and that were then moved (or flagged).
    pub ingested: usize,
    /// Messages whose `ingest` failed: they stay in the mailbox for a later round.
    pub failed: usize,
}

/// Connects once, takes every message waiting in the mailbox (including those arriving
/// during the round), and logs out. Ingest failures are logged and counted in
/// [`Drained::failed`], their messages left in place; a connection or server error is
/// the error returned (messages taken before it stay taken).
pub async fn drain_once<F, Fut>(settings: &ImapSettings, ingest: F) -> anyhow::Result<Drained>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let target = Target::new(settings)?;
    let stop = Stop::never();
    let (mut session, features) = target.connect().await?;
    let mut state = MailboxState::default();
    let outcome = async {
        prepare(&mut session, &target, &stop).await?;
        drain_round(&mut session, features, &target, &mut state, &ingest, &stop).await
    }
    .await;
    log_out(session).await;
    let drained = outcome.map_err(Halt::into_error)?;
    if drained.failed > 0 {
        warn!(
            mailbox = %target.mailbox,
            ingested = drained.ingested,
            failed = drained.failed,
            "some messages could not be ingested; they stay in the mailbox"
        );
    }
    Ok(drained)
}

/// Drains the mailbox of `settings` into `ingest` until `shutdown` turns `true` (or its
/// sender is dropped), then returns `Ok`. Transient failures (the server away or
/// restarting, a dropped connection, a refused login, a failing `ingest`) are logged and
/// retried with backoff, never returned; the only errors returned are settings that can
/// never work (an address that is not `imap://` or `imaps://`, an empty mailbox name, a
/// processed mailbox that is the mailbox itself).
pub async fn run_poller<F, Fut>(
    settings: ImapSettings,
    ingest: F,
    shutdown: watch::Receiver<bool>,
) -> anyhow::Result<()>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let target = Target::new(&settings)?;
    let stop = Stop::new(shutdown);
    let mut poller = Poller {
        target: &target,
        ingest: &ingest,
        stop: &stop,
        state: MailboxState::default(),
        reconnect: Backoff::new(RECONNECT_FIRST, RECONNECT_CAP),
        retry_ingest: Backoff::new(INGEST_RETRY_FIRST, INGEST_RETRY_CAP),
    };
    info!(
        server = %target.endpoint,
        mailbox = %target.mailbox,
        processed_mailbox = target.disposal.mailbox_name().unwrap_or("(flag only)"),
        "imap poller starting"
    );
    loop {
        let error = match poller.serve().await {
            Halt::Shutdown => break,
            Halt::Failed(error) => error,
        };
        let delay = poller.reconnect.next_delay();
        warn!(
            server = %target.endpoint,
            mailbox = %target.mailbox,
            error = %format!("{error:#}"),
            retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "imap connection failed; reconnecting"
        );
        if stop.sleep(delay).await.is_err() {
            break;
        }
    }
    info!(server = %target.endpoint, mailbox = %target.mailbox, "imap poller stopped");
    Ok(())
}

/// Why serving a connection ended.
#[derive(Debug)]
enum Halt {
    /// Shutdown was asked for.
    Shutdown,
    /// The connection or the server failed; reconnect.
    Failed(anyhow::Error),
}

impl Halt {
    fn into_error(self) -> anyhow::Error {
        match self {
            Self::Shutdown => anyhow!("stopped by shutdown"),
            Self::Failed(error) => error,
        }
    }
}

impl From<anyhow::Error> for Halt {
    fn from(error: anyhow::Error) -> Self {
        Self::Failed(error)
    }
}

/// The shutdown signal, or none (for [`drain_once`]).
#[derive(Debug, Clone)]
struct Stop {
    receiver: Option<watch::Receiver<bool>>,
}

impl Stop {
    fn new(receiver: watch::Receiver<bool>) -> Self {
        Self {
            receiver: Some(receiver),
        }
    }

    fn never() -> Self {
        Self { receiver: None }
    }

    fn requested(&self) -> bool {
        self.receiver
            .as_ref()
            .is_some_and(|receiver| *receiver.borrow() || receiver.has_changed().is_err())
    }

    /// Resolves once shutdown is asked for (or can no longer be, the sender being gone).
    async fn requested_now(&self) {
        let Some(mut receiver) = self.receiver.clone() else {
            return std::future::pending().await;
        };
        loop {
            if *receiver.borrow_and_update() {
                return;
            }
            if receiver.changed().await.is_err() {
                return;
            }
        }
    }

    /// Sleeps `delay`; `Err` when shutdown came first.
    async fn sleep(&self, delay: Duration) -> Result<(), Halt> {
        tokio::select! {
            biased;
            () = self.requested_now() => Err(Halt::Shutdown),
            () = tokio::time::sleep(delay) => Ok(()),
        }
    }
}

/// Runs one step against the server within `limit`, giving up at once on shutdown (the
/// connection is then dropped, so a half-done command does no harm).
async fn step<T, E>(
    stop: &Stop,
    limit: Duration,
    what: &str,
    work: impl Future<Output = Result<T, E>>,
) -> Result<T, Halt>
where
    E: Into<anyhow::Error>,
{
    tokio::select! {
        biased;
        () = stop.requested_now() => Err(Halt::Shutdown),
        outcome = tokio::time::timeout(limit, work) => match outcome {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(Halt::Failed(error.into().context(what.to_owned()))),
            Err(_) => Err(Halt::Failed(anyhow!("{what}: no answer in {limit:?}"))),
        },
    }
}

/// Reads a response stream to its end (the command's tagged answer), failing on the
/// first error in it.
async fn read_to_end<T>(
    stream: impl Stream<Item = async_imap::error::Result<T>>,
) -> async_imap::error::Result<()> {
    let mut stream = std::pin::pin!(stream);
    while let Some(item) = stream.next().await {
        item?;
    }
    Ok(())
}

/// What becomes of a message once taken.
#[derive(Debug, Clone)]
enum Disposal {
    /// Moved to this mailbox (the name as set, and as sent on the wire).
    Move { name: String, wire_name: String },
    /// Flagged [`INGESTED_KEYWORD`] and `\Seen`, left in place.
    Flag,
}

impl Disposal {
    fn mailbox_name(&self) -> Option<&str> {
        match self {
            Self::Move { name, .. } => Some(name),
            Self::Flag => None,
        }
    }
}

/// The settings, checked and in the forms the poller uses.
struct Target {
    endpoint: Endpoint,
    tls: TlsConnector,
    username: String,
    password: String,
    mailbox: String,
    mailbox_wire_name: String,
    disposal: Disposal,
    longest_wait: Duration,
}

impl Target {
    fn new(settings: &ImapSettings) -> anyhow::Result<Self> {
        let endpoint = Endpoint::parse(&settings.url)?;
        let mailbox = settings.mailbox.trim();
        if mailbox.is_empty() {
            bail!("the imap mailbox to read is not set");
        }
        let mut names = std::iter::once(mailbox).chain(settings.processed_mailbox.as_deref());
        if names.any(|name| name.chars().any(char::is_control)) {
            bail!("an imap mailbox name must not contain control characters");
        }
        let disposal = match settings.processed_mailbox.as_deref().map(str::trim) {
            None => Disposal::Flag,
            Some("") => bail!(
                "the imap processed_mailbox is empty: name a mailbox, or leave it unset to flag taken messages {INGESTED_KEYWORD}"
            ),
            Some(processed) if same_mailbox(processed, mailbox) => {
                bail!("the imap processed_mailbox must differ from the mailbox read ({mailbox})")
            }
            Some(processed) => Disposal::Move {
                name: processed.to_owned(),
                wire_name: mailbox_name::encode(processed),
            },
        };
        let longest_wait = Duration::from_secs(settings.poll_seconds.max(1)).min(LONGEST_IDLE);
        Ok(Self {
            endpoint,
            tls: connection::tls_connector()?,
            username: settings.username.clone(),
            password: settings.password.clone(),
            mailbox: mailbox.to_owned(),
            mailbox_wire_name: mailbox_name::encode(mailbox),
            disposal,
            longest_wait,
        })
    }

    async fn connect(&self) -> anyhow::Result<(ImapSession, Features)> {
        connection::open(&self.endpoint, &self.tls, &self.username, &self.password).await
    }

    /// The messages still to take.
    fn search_query(&self) -> String {
        match self.disposal {
            Disposal::Move { .. } => "UNDELETED".to_owned(),
            Disposal::Flag => format!("UNDELETED UNKEYWORD {INGESTED_KEYWORD}"),
        }
    }
}

/// INBOX is case-insensitive (RFC 3501 section 5.1); other names are compared as given.
fn same_mailbox(one: &str, other: &str) -> bool {
    one == other || (one.eq_ignore_ascii_case("INBOX") && other.eq_ignore_ascii_case("INBOX"))
}

/// What the poller remembers about the mailbox across rounds and connections.
#[derive(Debug, Default)]
struct MailboxState {
    /// The mailbox's UIDVALIDITY when last selected.
    uid_validity: Option<u32>,
    /// Messages `ingest` took whose move (or flag) did not happen, the connection having
    /// failed: they are moved without being ingested again, while UIDVALIDITY holds.
    taken_not_moved: BTreeSet<u32>,
}

/// The processed mailbox exists (created when missing). Looked for with LIST, which
/// answers OK either way: a NO would carry the name back in UTF-8, which the response
/// parser cannot read.
async fn prepare(session: &mut ImapSession, target: &Target, stop: &Stop) -> Result<(), Halt> {
    let Disposal::Move { name, wire_name } = &target.disposal else {
        return Ok(());
    };
    let pattern = quoted(wire_name);
    let found = step(
        stop,
        COMMAND_TIMEOUT,
        "looking for the processed mailbox",
        async {
            let names: Vec<async_imap::types::Name> = session
                .list(Some(""), Some(&pattern))
                .await?
                .try_collect()
                .await?;
            Ok::<_, async_imap::error::Error>(names.iter().any(|listed| listed.name() == wire_name))
        },
    )
    .await?;
    if found {
        return Ok(());
    }
    step(
        stop,
        COMMAND_TIMEOUT,
        "creating the processed mailbox",
        session.create(wire_name),
    )
    .await?;
    info!(mailbox = %name, "created the processed mailbox");
    Ok(())
}

/// An IMAP quoted string (the names are ASCII once encoded; CR and LF cannot occur in
/// settings that reach here, and would be refused by the server).
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One round: takes every message in the mailbox, searching again after each batch so
/// that mail arriving meanwhile is taken too. A message whose ingest fails is not tried
/// again in the same round.
async fn drain_round<F, Fut>(
    session: &mut ImapSession,
    features: Features,
    target: &Target,
    state: &mut MailboxState,
    ingest: &F,
    stop: &Stop,
) -> Result<Drained, Halt>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let selected = step(
        stop,
        COMMAND_TIMEOUT,
        "selecting the mailbox",
        session.select(&target.mailbox_wire_name),
    )
    .await?;
    note_uid_validity(state, selected.uid_validity, &target.mailbox);
    if matches!(target.disposal, Disposal::Flag) && !keeps_keyword(&selected.permanent_flags) {
        warn!(
            mailbox = %target.mailbox,
            "the server keeps {INGESTED_KEYWORD} for this session only: taken messages will be ingested again after a reconnect (set processed_mailbox)"
        );
    }

    let query = target.search_query();
    let mut drained = Drained::default();
    let mut looked_at: HashSet<u32> = HashSet::new();
    loop {
        let found = step(
            stop,
            COMMAND_TIMEOUT,
            "searching the mailbox",
            session.uid_search(&query),
        )
        .await?;
        state.taken_not_moved.retain(|uid| found.contains(uid));
        let mut batch: Vec<u32> = found
            .into_iter()
            .filter(|uid| !looked_at.contains(uid))
            .collect();
        if batch.is_empty() {
            return Ok(drained);
        }
        batch.sort_unstable();
        debug!(mailbox = %target.mailbox, messages = batch.len(), "imap messages waiting");
        for uid in batch {
            if stop.requested() {
                return Err(Halt::Shutdown);
            }
            looked_at.insert(uid);
            if state.taken_not_moved.contains(&uid) {
                settle(session, features, target, uid).await?;
                state.taken_not_moved.remove(&uid);
                info!(mailbox = %target.mailbox, uid, "moved a message taken before the connection failed");
                continue;
            }
            let Some(raw) = fetch(session, uid, stop).await? else {
                warn!(mailbox = %target.mailbox, uid, "the server returned no content for a message; skipped this round");
                continue;
            };
            let bytes = raw.len();
            if let Err(error) = ingest(raw).await {
                drained.failed += 1;
                warn!(
                    mailbox = %target.mailbox,
                    uid,
                    error = %format!("{error:#}"),
                    "ingesting a message failed; it stays in the mailbox for a later round"
                );
                continue;
            }
            state.taken_not_moved.insert(uid);
            settle(session, features, target, uid).await?;
            state.taken_not_moved.remove(&uid);
            drained.ingested += 1;
            debug!(mailbox = %target.mailbox, uid, bytes, "imap message ingested");
        }
    }
}

/// Whether PERMANENTFLAGS lets the keyword outlive the session (an empty list, that is
/// none given, means every flag is permanent).
fn keeps_keyword(permanent_flags: &[async_imap::types::Flag<'_>]) -> bool {
    permanent_flags.is_empty()
        || permanent_flags.iter().any(|flag| match flag {
            async_imap::types::Flag::MayCreate => true,
            async_imap::types::Flag::Custom(keyword) => keyword == INGESTED_KEYWORD,
            _ => false,
        })
}

fn note_uid_validity(state: &mut MailboxState, now: Option<u32>, mailbox: &str) {
    if state.uid_validity != now {
        if let (Some(before), Some(now)) = (state.uid_validity, now) {
            warn!(
                mailbox,
                before, now, "the mailbox's UIDVALIDITY changed; its UIDs are read afresh"
            );
        }
        state.taken_not_moved.clear();
    }
    if now.is_none() {
        // Without UIDVALIDITY no UID can be trusted beyond this session.
        state.taken_not_moved.clear();
    }
    state.uid_validity = now;
}

/// The raw message of `uid`, unread (`BODY.PEEK[]`); `None` when it is gone.
async fn fetch(session: &mut ImapSession, uid: u32, stop: &Stop) -> Result<Option<Vec<u8>>, Halt> {
    step(stop, FETCH_TIMEOUT, "fetching a message", async {
        let mut responses = session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await?;
        let mut body = None;
        while let Some(fetched) = responses.try_next().await? {
            if fetched.uid == Some(uid) && body.is_none() {
                body = fetched.body().map(<[u8]>::to_vec);
            }
        }
        Ok::<_, async_imap::error::Error>(body)
    })
    .await
}

/// Moves (or flags) a taken message. Not cut short by shutdown: the message is taken,
/// and leaving it in place would have it ingested again.
async fn settle(
    session: &mut ImapSession,
    features: Features,
    target: &Target,
    uid: u32,
) -> Result<(), Halt> {
    let stop = Stop::never();
    let uid_set = uid.to_string();
    match &target.disposal {
        Disposal::Flag => {
            let flags = format!("+FLAGS.SILENT ({INGESTED_KEYWORD} \\Seen)");
            step(&stop, COMMAND_TIMEOUT, "flagging a taken message", async {
                read_to_end(session.uid_store(&uid_set, &flags).await?).await
            })
            .await
        }
        Disposal::Move { wire_name, .. } if features.move_command => {
            step(
                &stop,
                COMMAND_TIMEOUT,
                "moving a taken message",
                session.uid_mv(&uid_set, wire_name),
            )
            .await
        }
        Disposal::Move { wire_name, .. } => {
            step(
                &stop,
                COMMAND_TIMEOUT,
                "copying a taken message",
                session.uid_copy(&uid_set, wire_name),
            )
            .await?;
            step(&stop, COMMAND_TIMEOUT, "deleting a copied message", async {
                read_to_end(
                    session
                        .uid_store(&uid_set, "+FLAGS.SILENT (\\Deleted)")
                        .await?,
                )
                .await
            })
            .await?;
            if features.uidplus {
                step(
                    &stop,
                    COMMAND_TIMEOUT,
                    "expunging a copied message",
                    async { read_to_end(session.uid_expunge(&uid_set).await?).await },
                )
                .await
            } else {
                step(&stop, COMMAND_TIMEOUT, "expunging", async {
                    read_to_end(session.expunge().await?).await
                })
                .await
            }
        }
    }
}

/// Waits up to `longest` for new mail: in IDLE where offered, else asleep. Gives the
/// session back, ready for the next round.
async fn wait_for_mail(
    session: ImapSession,
    features: Features,
    longest: Duration,
    stop: &Stop,
) -> Result<ImapSession, Halt> {
    if !features.idle {
        stop.sleep(longest).await?;
        return Ok(session);
    }
    let unsolicited = session.unsolicited_responses.clone();
    // What the server said during the round is already handled by the round's last search.
    while unsolicited.try_recv().is_ok() {}
    let mut idle = session.idle();
    step(stop, COMMAND_TIMEOUT, "starting IDLE", idle.init()).await?;
    // Mail that came between the last search and IDLE is announced as IDLE starts.
    let mut news = false;
    while let Ok(response) = unsolicited.try_recv() {
        news |= matches!(
            response,
            UnsolicitedResponse::Exists(_) | UnsolicitedResponse::Recent(_)
        );
    }
    if !news {
        let (waiting, _interrupt) = idle.wait_with_timeout(longest);
        let woken = tokio::select! {
            biased;
            () = stop.requested_now() => return Err(Halt::Shutdown),
            // A hard deadline: the server's keepalives reset `wait_with_timeout`'s own.
            () = tokio::time::sleep(longest) => Ok(()),
            outcome = waiting => outcome.map(|_| ()),
        };
        woken.map_err(|error| Halt::Failed(anyhow::Error::from(error).context("in IDLE")))?;
    }
    step(&Stop::never(), COMMAND_TIMEOUT, "ending IDLE", idle.done()).await
}

/// Says goodbye, briefly; the connection is dropped either way.
async fn log_out(mut session: ImapSession) {
    if let Ok(Err(error)) = tokio::time::timeout(Duration::from_secs(5), session.logout()).await {
        debug!(error = %error, "imap logout failed");
    }
}

/// The state of [`run_poller`] across connections.
struct Poller<'a, F> {
    target: &'a Target,
    ingest: &'a F,
    stop: &'a Stop,
    state: MailboxState,
    reconnect: Backoff,
    retry_ingest: Backoff,
}

impl<F, Fut> Poller<'_, F>
where
    F: Fn(Vec<u8>) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    /// Connects and drains, round after round, until the connection fails or shutdown.
    async fn serve(&mut self) -> Halt {
        match self.serve_connection().await {
            Ok(never) => match never {},
            Err(halt) => halt,
        }
    }

    async fn serve_connection(&mut self) -> Result<Infallible, Halt> {
        if self.stop.requested() {
            return Err(Halt::Shutdown);
        }
        let target = self.target;
        let (mut session, features) = step(
            self.stop,
            // connect() has a shorter timeout of its own
            COMMAND_TIMEOUT,
            "connecting",
            target.connect(),
        )
        .await?;
        info!(
            server = %target.endpoint,
            idle = features.idle,
            move_command = features.move_command,
            uidplus = features.uidplus,
            "imap connected"
        );
        prepare(&mut session, target, self.stop).await?;
        loop {
            let drained = drain_round(
                &mut session,
                features,
                target,
                &mut self.state,
                self.ingest,
                self.stop,
            )
            .await?;
            self.reconnect.reset();
            if drained != Drained::default() {
                info!(
                    mailbox = %target.mailbox,
                    ingested = drained.ingested,
                    failed = drained.failed,
                    "imap round done"
                );
            }
            let wait = if drained.failed > 0 {
                let delay = self.retry_ingest.next_delay().min(target.longest_wait);
                warn!(
                    mailbox = %target.mailbox,
                    failed = drained.failed,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "some messages could not be ingested; trying them again"
                );
                delay
            } else {
                self.retry_ingest.reset();
                target.longest_wait
            };
            if self.stop.requested() {
                log_out(session).await;
                return Err(Halt::Shutdown);
            }
            session = wait_for_mail(session, features, wait, self.stop).await?;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str, processed: Option<&str>) -> ImapSettings {
        ImapSettings {
            url: url.to_owned(),
            username: "palaute".to_owned(),
            password: "secret".to_owned(),
            mailbox: "INBOX".to_owned(),
            processed_mailbox: processed.map(str::to_owned),
            poll_seconds: 60,
        }
    }

    #[test]
    fn settings_that_can_never_work_are_refused() {
        assert!(Target::new(&settings("imaps://mail.hel.fi", Some("Processed"))).is_ok());
        assert!(Target::new(&settings("imap://127.0.0.1:1143", None)).is_ok());
        assert!(Target::new(&settings("https://mail.hel.fi", None)).is_err());
        assert!(Target::new(&settings("imaps://mail.hel.fi", Some(" "))).is_err());
        assert!(Target::new(&settings("imaps://mail.hel.fi", Some("inbox"))).is_err());
        assert!(Target::new(&settings("imaps://mail.hel.fi", Some("A\r\nB"))).is_err());
        let mut empty_mailbox = settings("imaps://mail.hel.fi", None);
        empty_mailbox.mailbox = String::new();
        assert!(Target::new(&empty_mailbox).is_err());
    }

    #[test]
    fn the_search_skips_flagged_messages_only_when_flagging() {
        let moving = Target::new(&settings("imap://localhost", Some("Processed"))).unwrap();
        assert_eq!(moving.search_query(), "UNDELETED");
        let flagging = Target::new(&settings("imap://localhost", None)).unwrap();
        assert_eq!(
            flagging.search_query(),
            "UNDELETED UNKEYWORD $PalauteIngested"
        );
    }

    #[test]
    fn the_wait_is_poll_seconds_but_never_past_the_idle_limit() {
        let mut long = settings("imap://localhost", None);
        long.poll_seconds = 3600;
        assert_eq!(Target::new(&long).unwrap().longest_wait, LONGEST_IDLE);
        long.poll_seconds = 0;
        assert_eq!(
            Target::new(&long).unwrap().longest_wait,
            Duration::from_secs(1)
        );
    }

    #[test]
    fn the_keyword_is_permanent_where_the_server_says_so() {
        use async_imap::types::Flag;
        assert!(keeps_keyword(&[]));
        assert!(keeps_keyword(&[Flag::Seen, Flag::MayCreate]));
        assert!(keeps_keyword(&[Flag::Custom(INGESTED_KEYWORD.into())]));
        assert!(!keeps_keyword(&[Flag::Seen, Flag::Deleted]));
    }

    #[test]
    fn a_new_uid_validity_forgets_uids_taken_but_not_moved() {
        let mut state = MailboxState::default();
        note_uid_validity(&mut state, Some(7), "INBOX");
        state.taken_not_moved.insert(3);
        note_uid_validity(&mut state, Some(7), "INBOX");
        assert!(state.taken_not_moved.contains(&3));
        note_uid_validity(&mut state, Some(8), "INBOX");
        assert!(state.taken_not_moved.is_empty());
    }
}
