//! Reaching the server: the `imap://` / `imaps://` address, TCP, TLS (rustls with the
//! ring provider and the Mozilla roots), the greeting, LOGIN and CAPABILITY.

use std::fmt;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_rustls::rustls::{ClientConfig, RootCertStore};
use url::{Host, Url};

/// How long reaching the server may take: TCP, TLS, greeting, LOGIN and CAPABILITY.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// An authenticated session over either transport.
pub(crate) type ImapSession = async_imap::Session<Transport>;

/// Where the mailbox lives, parsed once from the settings' `url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) host: Host<String>,
    pub(crate) port: u16,
    pub(crate) tls: bool,
}

impl Endpoint {
    /// `imaps://host[:port]` (TLS, port 993 by default) or `imap://host[:port]`
    /// (plain, 143). Credentials come from the settings, never from the address.
    pub(crate) fn parse(address: &str) -> anyhow::Result<Self> {
        let url = Url::parse(address)
            .with_context(|| format!("the imap url {address:?} is not a url"))?;
        let (tls, default_port) = match url.scheme() {
            "imaps" => (true, 993),
            "imap" => (false, 143),
            other => bail!("the imap url must start with imaps:// or imap://, not {other}://"),
        };
        if !url.username().is_empty() || url.password().is_some() {
            bail!("the imap url must not carry credentials: set username and password instead");
        }
        // imap:// is not a special scheme to the URL standard, so its host comes back
        // opaque: an IPv4 address is read here.
        let host = match url.host() {
            None => bail!("the imap url {address:?} names no host"),
            Some(Host::Domain("")) => bail!("the imap url {address:?} names no host"),
            Some(Host::Domain(name)) => match name.parse::<IpAddr>() {
                Ok(IpAddr::V4(ip)) => Host::Ipv4(ip),
                Ok(IpAddr::V6(ip)) => Host::Ipv6(ip),
                Err(_) => Host::Domain(name.to_owned()),
            },
            Some(Host::Ipv4(ip)) => Host::Ipv4(ip),
            Some(Host::Ipv6(ip)) => Host::Ipv6(ip),
        };
        Ok(Self {
            host,
            port: url.port().unwrap_or(default_port),
            tls,
        })
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "imaps" } else { "imap" };
        write!(formatter, "{scheme}://{}:{}", self.host, self.port)
    }
}

/// What the server offers that changes how the poller works.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Features {
    /// RFC 2177: wait for new mail without polling.
    pub(crate) idle: bool,
    /// RFC 6851: `UID MOVE`.
    pub(crate) move_command: bool,
    /// RFC 4315: `UID EXPUNGE` of exactly the messages moved.
    pub(crate) uidplus: bool,
}

/// The TLS settings shared by every connection of one poller.
pub(crate) fn tls_connector() -> anyhow::Result<TlsConnector> {
    let mut roots = RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("rustls offers no safe protocol version")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(TlsConnector::from(Arc::new(config)))
}

/// Connects, reads the greeting, logs in and asks for the capabilities, all within
/// [`CONNECT_TIMEOUT`].
pub(crate) async fn open(
    endpoint: &Endpoint,
    tls: &TlsConnector,
    username: &str,
    password: &str,
) -> anyhow::Result<(ImapSession, Features)> {
    tokio::time::timeout(
        CONNECT_TIMEOUT,
        open_unbounded(endpoint, tls, username, password),
    )
    .await
    .map_err(|_| anyhow!("no answer from {endpoint} in {CONNECT_TIMEOUT:?}"))?
}

async fn open_unbounded(
    endpoint: &Endpoint,
    tls: &TlsConnector,
    username: &str,
    password: &str,
) -> anyhow::Result<(ImapSession, Features)> {
    let tcp = match &endpoint.host {
        Host::Domain(domain) => TcpStream::connect((domain.as_str(), endpoint.port)).await,
        Host::Ipv4(ip) => TcpStream::connect((*ip, endpoint.port)).await,
        Host::Ipv6(ip) => TcpStream::connect((*ip, endpoint.port)).await,
    }
    .with_context(|| format!("connecting to {endpoint}"))?;
    tcp.set_nodelay(true).ok();
    let transport = if endpoint.tls {
        let server_name = match &endpoint.host {
            Host::Domain(domain) => ServerName::try_from(domain.clone())
                .with_context(|| format!("{domain:?} is not a valid TLS server name"))?,
            Host::Ipv4(ip) => ServerName::IpAddress((*ip).into()),
            Host::Ipv6(ip) => ServerName::IpAddress((*ip).into()),
        };
        let stream = tls
            .connect(server_name, tcp)
            .await
            .with_context(|| format!("TLS handshake with {endpoint}"))?;
        Transport::Tls(Box::new(stream))
    } else {
        Transport::Plain(tcp)
    };

    let mut client = async_imap::Client::new(transport);
    let greeting = client
        .read_response()
        .await
        .context("reading the server greeting")?
        .ok_or_else(|| anyhow!("{endpoint} closed the connection before its greeting"))?;
    if let async_imap::imap_proto::Response::Data {
        status: async_imap::imap_proto::Status::Bye,
        information,
        ..
    } = greeting.parsed()
    {
        bail!(
            "{endpoint} refused the connection: {}",
            information.as_deref().unwrap_or("BYE")
        );
    }
    let mut session = client
        .login(username, password)
        .await
        .map_err(|(error, _client)| error)
        .with_context(|| format!("logging in to {endpoint} as {username:?}"))?;
    let capabilities = session
        .capabilities()
        .await
        .context("asking for the capabilities")?;
    let features = Features {
        idle: capabilities.has_str("IDLE"),
        move_command: capabilities.has_str("MOVE"),
        uidplus: capabilities.has_str("UIDPLUS"),
    };
    Ok((session, features))
}

/// A TCP stream, plain or in TLS.
pub(crate) enum Transport {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl fmt::Debug for Transport {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Plain(_) => formatter.write_str("Transport::Plain"),
            Self::Tls(_) => formatter.write_str("Transport::Tls"),
        }
    }
}

impl AsyncRead for Transport {
    fn poll_read(
        self: Pin<&mut Self>,
        context: &mut TaskContext<'_>,
        buffer: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_read(context, buffer),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_read(context, buffer),
        }
    }
}

impl AsyncWrite for Transport {
    fn poll_write(
        self: Pin<&mut Self>,
        context: &mut TaskContext<'_>,
        buffer: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_write(context, buffer),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_write(context, buffer),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, context: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_flush(context),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_flush(context),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, context: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(stream) => Pin::new(stream).poll_shutdown(context),
            Self::Tls(stream) => Pin::new(stream.as_mut()).poll_shutdown(context),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_their_default_ports() {
        let tls = Endpoint::parse("imaps://mail.hel.fi").unwrap();
        assert_eq!(tls.host, Host::Domain("mail.hel.fi".to_owned()));
        assert_eq!((tls.port, tls.tls), (993, true));

        let plain = Endpoint::parse("imap://127.0.0.1:10143").unwrap();
        assert_eq!(plain.host, Host::<String>::Ipv4([127, 0, 0, 1].into()));
        assert_eq!((plain.port, plain.tls), (10143, false));
        assert_eq!(plain.to_string(), "imap://127.0.0.1:10143");

        let ipv6 = Endpoint::parse("imap://[::1]").unwrap();
        assert_eq!(
            ipv6.host,
            Host::<String>::Ipv6(std::net::Ipv6Addr::LOCALHOST)
        );
        assert_eq!(ipv6.port, 143);
    }

    #[test]
    fn other_schemes_and_credentials_in_the_address_are_refused() {
        assert!(Endpoint::parse("pop3://mail.hel.fi").is_err());
        assert!(Endpoint::parse("mail.hel.fi:993").is_err());
        assert!(Endpoint::parse("imaps://user:secret@mail.hel.fi").is_err());
        assert!(Endpoint::parse("").is_err());
        assert!(Endpoint::parse("imap://").is_err());
        assert!(Endpoint::parse("imap:///INBOX").is_err());
    }

    #[test]
    fn the_tls_settings_build() {
        assert!(tls_connector().is_ok());
    }
}
