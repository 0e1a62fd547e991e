//! Handing a rendered email to an SMTP relay, or to the outbox folder when none is
//! configured.
//!
//! Delivery is retried by the job runner, so both ways are safe to repeat: the outbox
//! overwrites the file named after the stable message id, and an SMTP retry re-sends
//! the same `Message-ID`, which receiving systems use to drop duplicates.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::Utc;
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

use super::MailError;
use super::message::{self, OutgoingEmail};

/// Where emails go.
#[derive(Debug, Clone)]
pub enum Mailer {
    /// Each email becomes `<dir>/<message id>.eml`: the default on a machine with no
    /// mail relay, and handy to read in development.
    Outbox { dir: PathBuf },
    /// Each email is sent to an SMTP relay, over a pool of reused connections.
    Smtp {
        transport: AsyncSmtpTransport<Tokio1Executor>,
        /// The bound on one whole delivery: lettre's own timeout covers connecting
        /// only, and a relay that accepts and then stays silent would hold the job.
        timeout: Duration,
    },
}

/// Where an email ended up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Delivered {
    File(PathBuf),
    /// The relay's final reply, e.g. `250 2.0.0 Ok: queued as 4F2A`.
    Smtp {
        response: String,
    },
}

impl Mailer {
    /// The mailer the settings ask for: SMTP when `smtp_url` is set (and not blank),
    /// otherwise the outbox folder.
    ///
    /// Accepted URLs are lettre's: `smtp://host:port` (plain, for local relays and
    /// tests), `smtp://host:port?tls=required` (STARTTLS) and `smtps://host:port`
    /// (implicit TLS), with optional `user:password@` credentials. Must be called inside
    /// a Tokio runtime, because the SMTP connection pool runs a cleanup task.
    ///
    /// `smtp_timeout` bounds connecting and, separately, each whole delivery; keep it
    /// shorter than the job lease, so a hung relay fails an attempt instead of holding
    /// the job (lettre's own default is a minute, for connecting only).
    pub fn from_settings(
        smtp_url: Option<&str>,
        outbox_dir: &Path,
        smtp_timeout: Duration,
    ) -> Result<Self, MailError> {
        let Some(url) = smtp_url.map(str::trim).filter(|url| !url.is_empty()) else {
            return Ok(Mailer::Outbox {
                dir: outbox_dir.to_owned(),
            });
        };
        let builder = AsyncSmtpTransport::<Tokio1Executor>::from_url(url).map_err(|error| {
            MailError::InvalidSmtpUrl {
                url: without_password(url),
                reason: error.to_string(),
            }
        })?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(MailError::NoRuntime);
        }
        Ok(Mailer::Smtp {
            transport: builder.timeout(Some(smtp_timeout)).build(),
            timeout: smtp_timeout,
        })
    }

    /// Renders and delivers one email. Safe to call again for the same email after any
    /// failure; check [`MailError::is_permanent`] before retrying.
    pub async fn deliver(&self, email: &OutgoingEmail) -> Result<Delivered, MailError> {
        let message = message::build(email, Utc::now())?;
        match self {
            Mailer::Outbox { dir } => {
                let path = dir.join(outbox_file_name(&email.message_id));
                let bytes = message.formatted();
                let target = path.clone();
                tokio::task::spawn_blocking(move || write_atomically(&target, &bytes))
                    .await
                    .map_err(io::Error::other)
                    .and_then(|written| written)
                    .map_err(|source| MailError::Outbox {
                        path: path.clone(),
                        source,
                    })?;
                tracing::debug!(message_id = %email.message_id, path = %path.display(), "email written to outbox");
                Ok(Delivered::File(path))
            }
            Mailer::Smtp { transport, timeout } => {
                let reply = tokio::time::timeout(
                    *timeout,
                    transport.send_raw(message.envelope(), &message.formatted()),
                )
                .await
                .map_err(|_| MailError::TimedOut(*timeout))?
                .map_err(MailError::from_smtp)?;
                let response = std::iter::once(reply.code().to_string())
                    .chain(reply.message().map(str::to_owned))
                    .collect::<Vec<_>>()
                    .join(" ");
                tracing::debug!(message_id = %email.message_id, %response, "email sent over smtp");
                Ok(Delivered::Smtp { response })
            }
        }
    }
}

/// `<message id>.eml`, with anything but letters, digits and `@ . - _ +` replaced by
/// `_` so that an id can never name a path outside the outbox.
pub(crate) fn outbox_file_name(message_id: &str) -> String {
    let safe: String = message_id
        .chars()
        .take(200)
        .map(|c| {
            if c.is_ascii_alphanumeric() || "@.-_+".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    // A leading dot would hide the file and mark it as one of our temporary files.
    let safe = safe.trim_start_matches('.');
    if safe.is_empty() {
        "_.eml".to_owned()
    } else {
        format!("{safe}.eml")
    }
}

/// Writes `bytes` to `path` so that readers see either the old file or the whole new
/// one, and a crash leaves at most a stray temporary file, never a half email.
fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = path
        .parent()
        .ok_or_else(|| io::Error::other("outbox path has no folder"))?;
    private_folder(dir)?;
    let file_name = path
        .file_name()
        .ok_or_else(|| io::Error::other("outbox path has no file name"))?
        .to_string_lossy();
    // Unique per attempt, so two workers retrying the same email never share one.
    let temp = dir.join(format!(".{file_name}.{:016x}.tmp", rand::random::<u64>()));

    let written = (|| {
        let mut file = private_file(&temp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        fs::rename(&temp, path)?;
        sync_folder(dir)
    })();
    if written.is_err() {
        // Best effort: the temporary file is garbage either way.
        let _ = fs::remove_file(&temp);
    }
    written
}

/// Emails hold residents' contact details: only palaute's own user may read them.
fn private_file(path: &Path) -> io::Result<File> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn private_folder(dir: &Path) -> io::Result<()> {
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes the rename itself durable.
#[cfg(unix)]
fn sync_folder(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_folder(_dir: &Path) -> io::Result<()> {
    Ok(())
}

/// `url` with the password in its user information replaced by `***`.
fn without_password(url: &str) -> String {
    let (scheme, rest) = match url.find("://") {
        Some(at) => url.split_at(at + 3),
        None => ("", url),
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let Some((user_info, host)) = authority.rsplit_once('@') else {
        return url.to_owned();
    };
    match user_info.split_once(':') {
        Some((user, _password)) => format!("{scheme}{user}:***@{host}{tail}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use palaute_testkit::smtp::{SmtpSink, SmtpSinkOptions};

    use super::*;
    use crate::mail::message::tests::{decode_rfc2047, decoded_body, header, sample_email};

    const TIMEOUT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn outbox_writes_one_file_however_often_an_email_is_delivered() {
        let root = tempfile::tempdir().expect("temp dir");
        let outbox = root.path().join("outbox");
        let mailer = Mailer::from_settings(None, &outbox, TIMEOUT).expect("outbox mailer");
        let email = sample_email();

        let first = mailer.deliver(&email).await.expect("first delivery");
        let second = mailer.deliver(&email).await.expect("retried delivery");

        let expected = outbox.join("case-1.handler@palaute.hel.fi.eml");
        assert_eq!(first, Delivered::File(expected.clone()));
        assert_eq!(second, Delivered::File(expected.clone()));
        let files: Vec<_> = fs::read_dir(&outbox)
            .expect("outbox exists")
            .map(|entry| entry.expect("entry").file_name())
            .collect();
        assert_eq!(
            files,
            [std::ffi::OsString::from(
                "case-1.handler@palaute.hel.fi.eml"
            )]
        );

        let written = fs::read(&expected).expect("eml readable");
        assert_eq!(
            header(&written, "Message-ID").as_deref(),
            Some("<case-1.handler@palaute.hel.fi>")
        );
        assert_eq!(
            header(&written, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
    }

    #[test]
    fn outbox_file_names_stay_inside_the_outbox() {
        assert_eq!(
            outbox_file_name("case-1.ack@palaute.hel.fi"),
            "case-1.ack@palaute.hel.fi.eml"
        );
        assert_eq!(
            outbox_file_name("../../etc/passwd@x"),
            "_.._etc_passwd@x.eml"
        );
        assert_eq!(outbox_file_name("..@x"), "@x.eml");
        assert_eq!(outbox_file_name(""), "_.eml");
        assert!(outbox_file_name(&"a".repeat(1000)).len() <= 204);
    }

    #[test]
    fn blank_smtp_url_means_the_outbox() {
        let mailer =
            Mailer::from_settings(Some("  "), Path::new("/tmp/x"), TIMEOUT).expect("mailer");
        assert!(matches!(mailer, Mailer::Outbox { .. }));
    }

    #[tokio::test]
    async fn smtp_urls_in_all_supported_forms_are_accepted() {
        for url in [
            "smtp://127.0.0.1:2525",
            "smtp://relay.hel.fi:587?tls=required",
            "smtps://user:pa%24s@relay.hel.fi",
        ] {
            let mailer = Mailer::from_settings(Some(url), Path::new("unused"), TIMEOUT).expect(url);
            assert!(matches!(mailer, Mailer::Smtp { .. }), "{url}");
        }
    }

    #[tokio::test]
    async fn a_bad_smtp_url_is_named_without_its_password() {
        let error = Mailer::from_settings(
            Some("smtpx://user:hunter2@relay.hel.fi:25"),
            Path::new("unused"),
            TIMEOUT,
        )
        .expect_err("unknown scheme");
        let message = error.to_string();
        assert!(matches!(error, MailError::InvalidSmtpUrl { .. }));
        assert!(
            message.contains("smtpx://user:***@relay.hel.fi:25"),
            "{message}"
        );
        assert!(!message.contains("hunter2"), "{message}");
    }

    #[test]
    fn smtp_transport_needs_a_runtime() {
        let error =
            Mailer::from_settings(Some("smtp://127.0.0.1:25"), Path::new("unused"), TIMEOUT)
                .expect_err("no runtime here");
        assert!(matches!(error, MailError::NoRuntime));
    }

    #[test]
    fn passwords_are_removed_from_urls() {
        assert_eq!(
            without_password("smtps://me:secret@relay.hel.fi:465/helo?x=1"),
            "smtps://me:***@relay.hel.fi:465/helo?x=1"
        );
        assert_eq!(without_password("smtp://me@relay:25"), "smtp://me@relay:25");
        assert_eq!(without_password("smtp://relay:25"), "smtp://relay:25");
        assert_eq!(without_password("me:p@ss@relay"), "me:***@relay");
    }

    #[tokio::test]
    async fn smtp_delivery_reaches_the_server_with_envelope_and_headers() {
        let sink = SmtpSink::start().await.expect("smtp sink");
        let mailer =
            Mailer::from_settings(Some(&sink.url()), Path::new("unused"), TIMEOUT).expect("mailer");

        let delivered = mailer.deliver(&sample_email()).await.expect("sent");

        let Delivered::Smtp { response } = delivered else {
            panic!("expected smtp delivery, got {delivered:?}");
        };
        assert!(response.starts_with("250"), "{response}");
        let mails = sink
            .wait_for(1, Duration::from_secs(5))
            .await
            .expect("mail arrives");
        assert_eq!(mails.len(), 1);
        let mail = &mails[0];
        assert_eq!(mail.mail_from, "noreply@palaute.hel.fi");
        assert_eq!(mail.rcpt_to, ["kasittelija@hel.fi"]);
        assert_eq!(
            header(&mail.data, "Message-ID").as_deref(),
            Some("<case-1.handler@palaute.hel.fi>")
        );
        assert_eq!(
            header(&mail.data, "Auto-Submitted").as_deref(),
            Some("auto-generated")
        );
        assert_eq!(
            header(&mail.data, "X-Auto-Response-Suppress").as_deref(),
            Some("All")
        );
        assert_eq!(
            header(&mail.data, "Content-Language").as_deref(),
            Some("fi")
        );
        assert_eq!(
            decode_rfc2047(&header(&mail.data, "Subject").expect("subject")),
            "[HEL-2026-000001] Uusi palaute: Kävelytien lämpö"
        );
        // lettre ends DATA with CRLF.CRLF after the message's own final CRLF.
        assert_eq!(
            decoded_body(&mail.data).trim_end(),
            "Kävelytien lämmitys ei toimi.\r\nKorjatkaa pian, kiitos!"
        );
    }

    #[tokio::test]
    async fn smtp_rejection_is_permanent_and_deferral_is_transient() {
        let sink = SmtpSink::start_with(SmtpSinkOptions {
            fail_marked_recipients: true,
        })
        .await
        .expect("smtp sink");
        let mailer =
            Mailer::from_settings(Some(&sink.url()), Path::new("unused"), TIMEOUT).expect("mailer");

        let rejected = OutgoingEmail {
            to: "reject.me@example.org".to_owned(),
            ..sample_email()
        };
        let error = mailer.deliver(&rejected).await.expect_err("550");
        assert!(matches!(error, MailError::Rejected(_)), "{error:?}");
        assert!(error.is_permanent());
        assert_eq!(error.smtp_code(), Some(550));

        let deferred = OutgoingEmail {
            to: "tempfail@example.org".to_owned(),
            ..sample_email()
        };
        let error = mailer.deliver(&deferred).await.expect_err("451");
        assert!(matches!(error, MailError::Unavailable(_)), "{error:?}");
        assert!(!error.is_permanent());
        assert_eq!(error.smtp_code(), Some(451));

        // The pooled connection survives the failures and still delivers.
        mailer
            .deliver(&sample_email())
            .await
            .expect("sent after failures");
        let mails = sink
            .wait_for(1, Duration::from_secs(5))
            .await
            .expect("mail arrives");
        assert_eq!(mails.len(), 1);
    }

    #[tokio::test]
    async fn a_refused_connection_is_transient() {
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
            listener.local_addr().expect("address").port()
        };
        let url = format!("smtp://127.0.0.1:{port}");
        let mailer =
            Mailer::from_settings(Some(&url), Path::new("unused"), TIMEOUT).expect("mailer");

        let error = mailer
            .deliver(&sample_email())
            .await
            .expect_err("nobody listens");
        assert!(matches!(error, MailError::Unavailable(_)), "{error:?}");
        assert!(!error.is_permanent());
        assert_eq!(error.smtp_code(), None);
    }

    #[tokio::test]
    async fn a_silent_relay_times_out_as_transient() {
        // Accepts connections and never says a word.
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("smtp://{}", listener.local_addr().expect("address"));
        let _held = tokio::spawn(async move {
            let mut connections = Vec::new();
            while let Ok((socket, _)) = listener.accept().await {
                connections.push(socket);
            }
        });
        let mailer =
            Mailer::from_settings(Some(&url), Path::new("unused"), Duration::from_millis(300))
                .expect("mailer");

        let started = std::time::Instant::now();
        let error = mailer
            .deliver(&sample_email())
            .await
            .expect_err("no greeting");
        assert!(matches!(error, MailError::TimedOut(_)), "{error:?}");
        assert!(!error.is_permanent());
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{:?}",
            started.elapsed()
        );
    }
}
