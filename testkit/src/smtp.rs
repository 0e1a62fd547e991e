//! A small but real SMTP server for tests: it listens on 127.0.0.1, speaks enough of
//! RFC 5321 for lettre and other real clients, and records every message it accepts.
//!
//! ```no_run
//! # async fn example() -> anyhow::Result<()> {
//! use std::time::Duration;
//! use palaute_testkit::smtp::SmtpSink;
//!
//! let sink = SmtpSink::start().await?;
//! // point the code under test at sink.url(), e.g. "smtp://127.0.0.1:40123"
//! let mails = sink.wait_for(1, Duration::from_secs(5)).await?;
//! assert_eq!(mails[0].rcpt_to, ["kasittelija@hel.fi"]);
//! # Ok(())
//! # }
//! ```

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedMail {
    /// The reverse path of `MAIL FROM`, without angle brackets (empty for `<>`).
    pub mail_from: String,
    /// Every accepted `RCPT TO`, without angle brackets.
    pub rcpt_to: Vec<String>,
    /// The message as sent after `DATA`, dot-unstuffed, CRLF line endings, without the
    /// terminating `.` line.
    pub data: Vec<u8>,
}

impl ReceivedMail {
    /// The message as text, for `contains` checks.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.data).into_owned()
    }

    /// The raw value of the first header called `name` (any case), unfolded; encoded
    /// words are left as they are.
    pub fn header(&self, name: &str) -> Option<String> {
        let text = self.text();
        let head = text.split("\r\n\r\n").next().unwrap_or_default();
        let mut found: Option<String> = None;
        for line in head.split("\r\n") {
            let continues = line.starts_with([' ', '\t']);
            match (&mut found, continues) {
                (Some(value), true) => value.push_str(line),
                (Some(_), false) => break,
                (None, false) => {
                    if let Some((field, value)) = line.split_once(':')
                        && field.eq_ignore_ascii_case(name)
                    {
                        found = Some(value.trim_start().to_owned());
                    }
                }
                (None, true) => {}
            }
        }
        found
    }
}

/// How the sink answers.
#[derive(Debug, Clone, Copy, Default)]
pub struct SmtpSinkOptions {
    /// Refuse recipients whose address contains `reject` with
    /// `550 5.1.1` (permanent) and those containing `tempfail` with `451 4.3.0`
    /// (transient), to exercise a client's failure handling.
    pub fail_marked_recipients: bool,
}

/// A running SMTP server on `127.0.0.1` and a free port. Serves any number of
/// connections at once; stops, dropping open connections, when dropped.
pub struct SmtpSink {
    address: SocketAddr,
    mails: Arc<watch::Sender<Vec<ReceivedMail>>>,
    server: JoinHandle<()>,
}

impl SmtpSink {
    /// Starts a sink that accepts every message.
    pub async fn start() -> anyhow::Result<Self> {
        Self::start_with(SmtpSinkOptions::default()).await
    }

    pub async fn start_with(options: SmtpSinkOptions) -> anyhow::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .context("binding the smtp sink to 127.0.0.1")?;
        let address = listener
            .local_addr()
            .context("reading the smtp sink address")?;
        let mails = Arc::new(watch::Sender::new(Vec::new()));
        let server = tokio::spawn(accept_connections(listener, options, Arc::clone(&mails)));
        Ok(Self {
            address,
            mails,
            server,
        })
    }

    /// `smtp://127.0.0.1:PORT`, the form lettre's `from_url` takes.
    pub fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every message accepted so far, oldest first.
    pub fn received(&self) -> Vec<ReceivedMail> {
        self.mails.borrow().clone()
    }

    /// Waits until at least `count` messages have arrived and returns all of them, or
    /// fails after `timeout` saying how many did arrive.
    pub async fn wait_for(
        &self,
        count: usize,
        timeout: Duration,
    ) -> anyhow::Result<Vec<ReceivedMail>> {
        let mut updates = self.mails.subscribe();
        match tokio::time::timeout(timeout, updates.wait_for(|mails| mails.len() >= count)).await {
            Ok(Ok(mails)) => Ok(mails.clone()),
            Ok(Err(_closed)) => bail!("the smtp sink stopped"),
            Err(_elapsed) => bail!(
                "expected {count} emails within {timeout:?}, received {}",
                self.mails.borrow().len()
            ),
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every connection.
        self.server.abort();
    }
}

async fn accept_connections(
    listener: TcpListener,
    options: SmtpSinkOptions,
    mails: Arc<watch::Sender<Vec<ReceivedMail>>>,
) {
    let mut connections = JoinSet::new();
    loop {
        while connections.try_join_next().is_some() {}
        match listener.accept().await {
            Ok((stream, peer)) => {
                let mails = Arc::clone(&mails);
                connections.spawn(async move {
                    if let Err(error) = serve_connection(stream, options, &mails).await {
                        tracing::debug!(%peer, error = format!("{error:#}"), "smtp sink connection failed");
                    }
                });
            }
            Err(error) => {
                tracing::warn!(%error, "smtp sink could not accept a connection");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

/// Longest command or data line read, far above RFC 5321's 1000 octets.
const MAX_LINE: u64 = 64 * 1024;

async fn serve_connection(
    stream: TcpStream,
    options: SmtpSinkOptions,
    mails: &watch::Sender<Vec<ReceivedMail>>,
) -> anyhow::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut reader = BufReader::new(reader);
    let mut session = Session::new(options);
    writer
        .write_all(b"220 palaute-testkit ESMTP ready\r\n")
        .await?;

    let mut line = Vec::new();
    loop {
        if !read_line(&mut reader, &mut line).await? {
            return Ok(());
        }
        let command = String::from_utf8_lossy(&line);
        match session.handle(command.trim_end_matches(['\r', '\n'])) {
            Action::Reply(reply) => writer.write_all(reply.as_bytes()).await?,
            Action::Close(reply) => {
                writer.write_all(reply.as_bytes()).await?;
                return Ok(());
            }
            Action::ReadData => {
                writer
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                let Some(data) = read_data(&mut reader, &mut line).await? else {
                    return Ok(());
                };
                let mail = session.finish_transaction(data);
                let queued = record(mails, mail);
                writer
                    .write_all(format!("250 2.0.0 OK queued as {queued}\r\n").as_bytes())
                    .await?;
            }
        }
    }
}

/// Reads one line into `line`; false when the client has hung up.
async fn read_line<R>(reader: &mut R, line: &mut Vec<u8>) -> anyhow::Result<bool>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    line.clear();
    let read = reader.take(MAX_LINE).read_until(b'\n', line).await?;
    if read == 0 {
        return Ok(false);
    }
    if !line.ends_with(b"\n") && read as u64 == MAX_LINE {
        bail!("line longer than {MAX_LINE} bytes");
    }
    Ok(true)
}

/// Reads message data up to the `.` line, undoing dot-stuffing; `None` when the
/// client hung up first.
async fn read_data<R>(reader: &mut R, line: &mut Vec<u8>) -> anyhow::Result<Option<Vec<u8>>>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    let mut data = Vec::new();
    loop {
        if !read_line(reader, line).await? {
            return Ok(None);
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok(Some(data));
        }
        let unstuffed = line.strip_prefix(b".").unwrap_or(line);
        data.extend_from_slice(unstuffed);
    }
}

/// Records `mail` and wakes every `wait_for`; returns the new count.
fn record(mails: &watch::Sender<Vec<ReceivedMail>>, mail: ReceivedMail) -> usize {
    let mut count = 0;
    mails.send_modify(|mails| {
        mails.push(mail);
        count = mails.len();
    });
    count
}

/// What the connection does after a command.
#[derive(Debug, PartialEq, Eq)]
enum Action {
    Reply(String),
    ReadData,
    Close(String),
}

/// The SMTP conversation of one connection, without the IO.
struct Session {
    options: SmtpSinkOptions,
    greeted: bool,
    mail_from: Option<String>,
    rcpt_to: Vec<String>,
}

impl Session {
    fn new(options: SmtpSinkOptions) -> Self {
        Self {
            options,
            greeted: false,
            mail_from: None,
            rcpt_to: Vec::new(),
        }
    }

    fn handle(&mut self, command: &str) -> Action {
        let (verb, argument) = command.split_once(' ').unwrap_or((command, ""));
        let reply = |text: &str| Action::Reply(format!("{text}\r\n"));
        match verb.to_ascii_uppercase().as_str() {
            "EHLO" => {
                self.greeted = true;
                self.reset();
                // No STARTTLS: clients must talk plain text to us.
                Action::Reply(
                    "250-palaute-testkit greets you\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 SIZE 52428800\r\n"
                        .to_owned(),
                )
            }
            "HELO" => {
                self.greeted = true;
                self.reset();
                reply("250 palaute-testkit")
            }
            "MAIL" if !self.greeted => reply("503 5.5.1 say EHLO first"),
            "MAIL" if self.mail_from.is_some() => reply("503 5.5.1 nested MAIL command"),
            "MAIL" => match path_after(argument, "FROM:") {
                Some(path) => {
                    self.mail_from = Some(path);
                    reply("250 2.1.0 OK")
                }
                None => reply("501 5.5.4 syntax: MAIL FROM:<address>"),
            },
            "RCPT" if self.mail_from.is_none() => reply("503 5.5.1 need MAIL before RCPT"),
            "RCPT" => match path_after(argument, "TO:").filter(|path| !path.is_empty()) {
                Some(path) if self.options.fail_marked_recipients && path.contains("reject") => {
                    reply("550 5.1.1 mailbox unavailable")
                }
                Some(path) if self.options.fail_marked_recipients && path.contains("tempfail") => {
                    reply("451 4.3.0 temporary failure, try again later")
                }
                Some(path) => {
                    self.rcpt_to.push(path);
                    reply("250 2.1.5 OK")
                }
                None => reply("501 5.5.4 syntax: RCPT TO:<address>"),
            },
            "DATA" if self.rcpt_to.is_empty() => reply("503 5.5.1 need RCPT before DATA"),
            "DATA" => Action::ReadData,
            "RSET" => {
                self.reset();
                reply("250 2.0.0 OK")
            }
            "NOOP" => reply("250 2.0.0 OK"),
            "VRFY" => reply("252 2.0.0 cannot verify, but will accept"),
            "QUIT" => Action::Close("221 2.0.0 bye\r\n".to_owned()),
            _ => reply("502 5.5.2 command not implemented"),
        }
    }

    /// Ends the current transaction with its message data.
    fn finish_transaction(&mut self, data: Vec<u8>) -> ReceivedMail {
        let mail = ReceivedMail {
            mail_from: self.mail_from.take().unwrap_or_default(),
            rcpt_to: std::mem::take(&mut self.rcpt_to),
            data,
        };
        self.reset();
        mail
    }

    fn reset(&mut self) {
        self.mail_from = None;
        self.rcpt_to.clear();
    }
}

/// The address in `FROM:<address> PARAMS`, keyword matched case-insensitively.
fn path_after(argument: &str, keyword: &str) -> Option<String> {
    let head = argument.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = argument[keyword.len()..].trim_start();
    let path = match rest.strip_prefix('<') {
        Some(bracketed) => bracketed.split_once('>')?.0,
        None => rest.split_whitespace().next()?,
    };
    Some(path.to_owned())
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncWriteExt;

    use super::*;

    fn session() -> Session {
        Session::new(SmtpSinkOptions {
            fail_marked_recipients: true,
        })
    }

    fn code(action: Action) -> String {
        match action {
            Action::Reply(text) | Action::Close(text) => text[..3].to_owned(),
            Action::ReadData => "354".to_owned(),
        }
    }

    #[test]
    fn commands_follow_the_smtp_sequence() {
        let mut session = session();
        assert_eq!(code(session.handle("MAIL FROM:<a@b.fi>")), "503");
        assert!(matches!(session.handle("EHLO client"), Action::Reply(r) if r.starts_with("250-")));
        assert_eq!(code(session.handle("RCPT TO:<x@y.fi>")), "503");
        assert_eq!(
            code(session.handle("mail from:<a@b.fi> BODY=8BITMIME")),
            "250"
        );
        assert_eq!(code(session.handle("MAIL FROM:<a@b.fi>")), "503");
        assert_eq!(code(session.handle("DATA")), "503");
        assert_eq!(code(session.handle("RCPT TO:<reject@y.fi>")), "550");
        assert_eq!(code(session.handle("RCPT TO:<tempfail@y.fi>")), "451");
        assert_eq!(code(session.handle("RCPT TO:<x@y.fi>")), "250");
        assert_eq!(session.handle("DATA"), Action::ReadData);
        let mail = session.finish_transaction(b"Subject: hi\r\n\r\nbody\r\n".to_vec());
        assert_eq!(mail.mail_from, "a@b.fi");
        assert_eq!(mail.rcpt_to, ["x@y.fi"]);
        assert_eq!(code(session.handle("NOOP")), "250");
        assert_eq!(code(session.handle("HELP")), "502");
        assert!(matches!(session.handle("QUIT"), Action::Close(_)));
    }

    #[test]
    fn reset_forgets_the_transaction() {
        let mut session = session();
        session.handle("HELO client");
        session.handle("MAIL FROM:<>");
        session.handle("RCPT TO:<x@y.fi>");
        assert_eq!(code(session.handle("RSET")), "250");
        assert_eq!(code(session.handle("DATA")), "503");
        assert_eq!(code(session.handle("MAIL FROM:<>")), "250");
    }

    #[test]
    fn headers_are_found_unfolded() {
        let mail = ReceivedMail {
            mail_from: String::new(),
            rcpt_to: Vec::new(),
            data: b"Subject: =?utf-8?b?YQ==?=\r\n =?utf-8?b?Yg==?=\r\nTo: x@y.fi\r\n\r\nSubject: no\r\n"
                .to_vec(),
        };
        assert_eq!(
            mail.header("subject").as_deref(),
            Some("=?utf-8?b?YQ==?= =?utf-8?b?Yg==?=")
        );
        assert_eq!(mail.header("To").as_deref(), Some("x@y.fi"));
        assert_eq!(mail.header("From"), None);
    }

    /// Sends `script` line by line over TCP and returns the server's replies.
    async fn converse(sink: &SmtpSink, script: &[&str]) -> anyhow::Result<String> {
        let mut stream = TcpStream::connect(sink.address()).await?;
        for line in script {
            stream.write_all(line.as_bytes()).await?;
            stream.write_all(b"\r\n").await?;
        }
        let mut replies = String::new();
        stream.read_to_string(&mut replies).await?;
        Ok(replies)
    }

    #[tokio::test]
    async fn records_messages_sent_over_tcp_with_dot_unstuffing() -> anyhow::Result<()> {
        let sink = SmtpSink::start().await?;
        let replies = converse(
            &sink,
            &[
                "EHLO test",
                "MAIL FROM:<sender@hel.fi>",
                "RCPT TO:<one@hel.fi>",
                "RCPT TO:<two@hel.fi>",
                "DATA",
                "Subject: test",
                "",
                "..leading dot",
                ".",
                "QUIT",
            ],
        )
        .await?;
        assert!(replies.starts_with("220 "), "{replies}");
        assert!(replies.contains("354 "), "{replies}");
        assert!(replies.ends_with("221 2.0.0 bye\r\n"), "{replies}");

        let mails = sink.wait_for(1, Duration::from_secs(5)).await?;
        assert_eq!(
            mails,
            [ReceivedMail {
                mail_from: "sender@hel.fi".to_owned(),
                rcpt_to: vec!["one@hel.fi".to_owned(), "two@hel.fi".to_owned()],
                data: b"Subject: test\r\n\r\n.leading dot\r\n".to_vec(),
            }]
        );
        Ok(())
    }

    #[tokio::test]
    async fn serves_connections_concurrently() -> anyhow::Result<()> {
        let sink = SmtpSink::start().await?;
        // An idle connection that never finishes must not block the next client.
        let mut idle = TcpStream::connect(sink.address()).await?;
        idle.write_all(b"EHLO idle\r\n").await?;

        let script = [
            "HELO a",
            "MAIL FROM:<a@hel.fi>",
            "RCPT TO:<b@hel.fi>",
            "DATA",
            "x",
            ".",
            "QUIT",
        ];
        let (first, second) = tokio::join!(converse(&sink, &script), converse(&sink, &script));
        first?;
        second?;
        assert_eq!(sink.wait_for(2, Duration::from_secs(5)).await?.len(), 2);
        Ok(())
    }

    #[tokio::test]
    async fn wait_for_reports_how_many_arrived() -> anyhow::Result<()> {
        let sink = SmtpSink::start().await?;
        let error = sink
            .wait_for(1, Duration::from_millis(50))
            .await
            .expect_err("nothing sent");
        assert!(error.to_string().contains("received 0"), "{error}");
        Ok(())
    }

    #[tokio::test]
    async fn stops_listening_when_dropped() -> anyhow::Result<()> {
        let sink = SmtpSink::start().await?;
        let address = sink.address();
        drop(sink);
        // Give the runtime a moment to run the abort and close the listener.
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(TcpStream::connect(address).await.is_err());
        Ok(())
    }
}
