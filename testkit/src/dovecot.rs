//! A private Dovecot IMAP server for one test: its own configuration, sockets, state,
//! log and maildir in a temporary folder, listening on `127.0.0.1` and a free port,
//! without TLS, with one user who logs in with a plaintext password. It never reads the
//! system's Dovecot configuration. Started in the foreground (`dovecot -F -c …`) as a
//! child process; [`Dovecot::restart`] and [`Dovecot::stop`] end it with SIGTERM (as a
//! server restart does, closing every client connection), and so does dropping it.
//!
//! ```no_run
//! # async fn example() {
//! use palaute_testkit::dovecot::Dovecot;
//!
//! let Some(dovecot) = Dovecot::start().await else {
//!     return; // not installed here, and not in CI: the test skips
//! };
//! dovecot.append("INBOX", b"Message-ID: <1@example.org>\r\n\r\nHello\r\n").await;
//! // point the code under test at dovecot.url() with USERNAME and PASSWORD
//! assert_eq!(dovecot.message_count("INBOX").await, 1);
//! # }
//! ```
//!
//! Needs the `dovecot-imapd` package (Debian; Dovecot 2.3). Where `dovecot` is not
//! installed [`Dovecot::start`] prints why and returns `None`, except under CI, where it
//! fails the test.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddr, TcpListener as StdTcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};

/// The test user's name.
pub const USERNAME: &str = "palaute";
/// The test user's password.
pub const PASSWORD: &str = "testisalasana";

/// How long starting may take before the test fails.
const START_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a graceful stop may take before the server is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// How the server is set up.
#[derive(Debug, Clone, Default)]
pub struct DovecotOptions {
    /// Replaces the capabilities the server announces after login (Dovecot's
    /// `imap_capability`), e.g. `"IMAP4rev1 LITERAL+"` for a server without IDLE, MOVE
    /// and UIDPLUS, to exercise a client's fallbacks. `None`: Dovecot's full set.
    pub capabilities: Option<String>,
    /// Also listen for IMAP in TLS ([`Dovecot::imaps_url`]), with a self-signed
    /// certificate for 127.0.0.1 made by `openssl` (which no client trusts).
    pub tls: bool,
}

/// A running Dovecot; see the [module documentation](self).
pub struct Dovecot {
    binary: PathBuf,
    directory: TempDir,
    port: u16,
    tls_port: Option<u16>,
    child: Option<Child>,
}

impl Dovecot {
    /// Starts a server with Dovecot's full capabilities. `None` (after printing why) where
    /// Dovecot is not installed; under CI that fails the test instead.
    pub async fn start() -> Option<Self> {
        Self::start_with(DovecotOptions::default()).await
    }

    pub async fn start_with(options: DovecotOptions) -> Option<Self> {
        let Some(binary) = find_binary() else {
            assert!(
                !crate::in_ci(),
                "dovecot is not installed, and CI needs it: apt-get install -y dovecot-imapd"
            );
            eprintln!(
                "skipping: dovecot is not installed (apt-get install -y dovecot-imapd runs this test)"
            );
            return None;
        };
        // Under root the mail runs as nobody, who must reach its home: /tmp, whatever
        // TMPDIR says (short, too, for the sockets' paths).
        let parent = if id("-u") == "0" {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let directory = tempfile::Builder::new()
            .prefix("palaute-dovecot-")
            .tempdir_in(parent)
            .expect("creating the dovecot folder");
        let port = free_port();
        let tls_port = options.tls.then(free_port);
        write_configuration(directory.path(), port, tls_port, &options);
        let mut dovecot = Self {
            binary,
            directory,
            port,
            tls_port,
            child: None,
        };
        dovecot.launch().await;
        Some(dovecot)
    }

    /// `imap://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("imap://127.0.0.1:{}", self.port)
    }

    /// `imaps://127.0.0.1:PORT`, where started with [`DovecotOptions::tls`].
    pub fn imaps_url(&self) -> Option<String> {
        self.tls_port
            .map(|port| format!("imaps://127.0.0.1:{port}"))
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Whether the server is running (not stopped).
    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Stops the server as a restart of the service does: SIGTERM to the master (killed
    /// if it takes longer than a few seconds), then to the mail processes it leaves
    /// behind, so that every client is disconnected (`* BYE Server shutting down.`). The
    /// mail stays.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let family = descendants(child.id());
        signal("TERM", &[child.id()]);
        let deadline = Instant::now() + STOP_TIMEOUT;
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    tokio::time::sleep(Duration::from_millis(25)).await;
                }
                _ => {
                    kill(&mut child);
                    break;
                }
            }
        }
        // Dovecot 2.3's master leaves its logged-in mail processes running when it stops.
        end_survivors(&family);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while family.iter().any(Process::is_alive) && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        self.wait_until_port_closed().await;
    }

    /// Stops and starts the server again on the same port, with the same mail.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.launch().await;
    }

    /// Starts a stopped server again on the same port, with the same mail (after
    /// [`stop`](Self::stop), to keep it down for a while); does nothing if it runs.
    pub async fn start_again(&mut self) {
        if self.child.is_none() {
            self.launch().await;
        }
    }

    /// Appends one raw message (CRLF or LF line endings) to `mailbox` over IMAP.
    pub async fn append(&self, mailbox: &str, raw: &[u8]) {
        let mut client = self.client().await;
        client
            .command_with_literal(&format!("APPEND {}", quoted(mailbox)), raw)
            .await;
        client.logout().await;
    }

    /// Creates `mailbox` (which must not exist yet).
    pub async fn create_mailbox(&self, mailbox: &str) {
        let mut client = self.client().await;
        client.command(&format!("CREATE {}", quoted(mailbox))).await;
        client.logout().await;
    }

    /// The number of messages in `mailbox`, by `STATUS`; 0 for a mailbox that does not
    /// exist.
    pub async fn message_count(&self, mailbox: &str) -> usize {
        let mut client = self.client().await;
        let count = match client
            .try_command(&format!("STATUS {} (MESSAGES)", quoted(mailbox)))
            .await
        {
            Ok(lines) => lines
                .iter()
                .find_map(|line| messages_in_status(line))
                .expect("a STATUS answer with MESSAGES"),
            Err(_no_such_mailbox) => 0,
        };
        client.logout().await;
        count
    }

    /// The UIDs in `mailbox` matching an IMAP search, e.g. `"KEYWORD $Flag"` or `"ALL"`.
    pub async fn uid_search(&self, mailbox: &str, criteria: &str) -> Vec<u32> {
        let mut client = self.client().await;
        client
            .command(&format!("EXAMINE {}", quoted(mailbox)))
            .await;
        let lines = client.command(&format!("UID SEARCH {criteria}")).await;
        client.logout().await;
        let mut uids: Vec<u32> = lines
            .iter()
            .filter_map(|line| line.strip_prefix("* SEARCH"))
            .flat_map(|numbers| numbers.split_whitespace().map(|uid| uid.parse::<u32>()))
            .map(|uid| uid.expect("a UID in the SEARCH answer"))
            .collect();
        uids.sort_unstable();
        uids
    }

    /// The raw messages in `mailbox`, read from the maildir (Dovecot stores them with LF
    /// line endings), in no particular order. Works while the server is stopped too.
    pub fn messages(&self, mailbox: &str) -> Vec<Vec<u8>> {
        let maildir = self.maildir();
        let folder = if mailbox.eq_ignore_ascii_case("INBOX") {
            maildir
        } else {
            maildir.join(format!(".{}", mailbox.replace('/', ".")))
        };
        let mut messages = Vec::new();
        for part in ["new", "cur"] {
            let Ok(entries) = std::fs::read_dir(folder.join(part)) else {
                continue;
            };
            for entry in entries {
                let path = entry.expect("reading the maildir").path();
                messages.push(std::fs::read(&path).expect("reading a maildir message"));
            }
        }
        messages
    }

    /// The server's log so far, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.directory.path().join("dovecot.log")).unwrap_or_default()
    }

    /// Opens a logged-in connection of the test user.
    async fn client(&self) -> Client {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let stream = TcpStream::connect(address)
            .await
            .unwrap_or_else(|error| panic!("connecting to dovecot at {address}: {error}"));
        let (reader, writer) = stream.into_split();
        let mut client = Client {
            reader: BufReader::new(reader),
            writer,
            next_tag: 1,
        };
        let greeting = client.read_line().await;
        assert!(greeting.starts_with("* OK"), "dovecot greeted {greeting:?}");
        client
            .command(&format!("LOGIN {} {}", quoted(USERNAME), quoted(PASSWORD)))
            .await;
        client
    }

    fn maildir(&self) -> PathBuf {
        self.directory
            .path()
            .join("home")
            .join(USERNAME)
            .join("Maildir")
    }

    fn configuration(&self) -> PathBuf {
        self.directory.path().join("dovecot.conf")
    }

    /// Starts `dovecot -F` and waits until it greets on its port.
    async fn launch(&mut self) {
        let child = Command::new(&self.binary)
            .arg("-F")
            .arg("-c")
            .arg(self.configuration())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|error| panic!("starting {}: {error}", self.binary.display()));
        self.child = Some(child);
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                panic!(
                    "dovecot exited at start ({status}); its log:\n{}",
                    self.log()
                );
            }
            if greets(self.port).await {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "dovecot did not answer on port {} within {START_TIMEOUT:?}; its log:\n{}",
                self.port,
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Waits until the port refuses connections, so that a restart can bind it.
    async fn wait_until_port_closed(&self) {
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            let address = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
            if TcpStream::connect(address).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let family = descendants(child.id());
        signal("TERM", &[child.id()]);
        let deadline = Instant::now() + STOP_TIMEOUT;
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        kill(&mut child);
        end_survivors(&family);
    }
}

/// A process this server started, known by its id and name (so that a recycled id is
/// never signalled).
#[derive(Debug, Clone, PartialEq, Eq)]
struct Process {
    id: u32,
    name: String,
}

impl Process {
    /// Running (not gone, not a zombie) under the same name.
    fn is_alive(&self) -> bool {
        read_stat(self.id).is_some_and(|stat| stat.name == self.name && stat.state != 'Z')
    }
}

/// What /proc/PID/stat says of a process.
struct Stat {
    name: String,
    state: char,
    parent: u32,
}

fn read_stat(id: u32) -> Option<Stat> {
    let stat = std::fs::read_to_string(format!("/proc/{id}/stat")).ok()?;
    // "PID (NAME) STATE PPID …", where NAME may itself hold spaces and parentheses.
    let (_, rest) = stat.split_once(" (")?;
    let (name, rest) = rest.rsplit_once(") ")?;
    let mut fields = rest.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let parent = fields.next()?.parse().ok()?;
    Some(Stat {
        name: name.to_owned(),
        state,
        parent,
    })
}

/// Every process descended from `root` now (Linux /proc; none elsewhere).
fn descendants(root: u32) -> Vec<Process> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let processes: Vec<(u32, Stat)> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter_map(|id| Some((id, read_stat(id)?)))
        .collect();
    let mut family = Vec::new();
    let mut parents = vec![root];
    while let Some(parent) = parents.pop() {
        for (id, stat) in &processes {
            if stat.parent == parent {
                parents.push(*id);
                family.push(Process {
                    id: *id,
                    name: stat.name.clone(),
                });
            }
        }
    }
    family
}

/// SIGTERM to those of `family` still running.
fn end_survivors(family: &[Process]) {
    let survivors: Vec<u32> = family
        .iter()
        .filter(|process| process.is_alive())
        .map(|process| process.id)
        .collect();
    if !survivors.is_empty() {
        signal("TERM", &survivors);
    }
}

/// Sends a signal with kill(1): std offers only SIGKILL, which would not let Dovecot
/// close its client connections as a restart does.
fn signal(name: &str, ids: &[u32]) {
    let sent = Command::new("kill")
        .arg(format!("-{name}"))
        .args(ids.iter().map(u32::to_string))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !sent.is_ok_and(|status| status.success()) {
        eprintln!("could not send SIG{name} to dovecot processes {ids:?}");
    }
}

fn kill(child: &mut Child) {
    child.kill().ok();
    child.wait().ok();
}

/// Whether something on `port` answers with an IMAP greeting.
async fn greets(port: u16) -> bool {
    let address = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let Ok(Ok(stream)) =
        tokio::time::timeout(Duration::from_secs(1), TcpStream::connect(address)).await
    else {
        return false;
    };
    let mut reader = BufReader::new(stream);
    let mut greeting = String::new();
    matches!(
        tokio::time::timeout(Duration::from_secs(2), reader.read_line(&mut greeting)).await,
        Ok(Ok(_))
    ) && greeting.starts_with("* OK")
}

fn find_binary() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/usr/local/sbin", "/sbin"].map(PathBuf::from))
        .map(|folder| folder.join("dovecot"))
        .find(|candidate| candidate.is_file())
}

fn free_port() -> u16 {
    StdTcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|listener| listener.local_addr())
        .expect("finding a free port for dovecot")
        .port()
}

/// Who runs what. Dovecot refuses to run its login processes or to deliver mail as
/// root; as root (CI) those run as `nobody`, otherwise everything runs as the user.
struct Identities {
    internal_user: String,
    login_user: String,
    mail_uid: u32,
    mail_gid: u32,
}

fn identities() -> Identities {
    let uid = id("-u").parse::<u32>().expect("a numeric uid from id -u");
    if uid != 0 {
        let user = id("-un");
        return Identities {
            internal_user: user.clone(),
            login_user: user,
            mail_uid: uid,
            mail_gid: id("-g").parse().expect("a numeric gid from id -g"),
        };
    }
    let (mail_uid, mail_gid) = user_ids("nobody").unwrap_or((65534, 65534));
    Identities {
        internal_user: "root".to_owned(),
        login_user: "nobody".to_owned(),
        mail_uid,
        mail_gid,
    }
}

fn id(flag: &str) -> String {
    let output = Command::new("id").arg(flag).output().expect("running id");
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

/// The uid and gid of a user in /etc/passwd.
fn user_ids(name: &str) -> Option<(u32, u32)> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        match fields.as_slice() {
            [user, _, uid, gid, ..] if *user == name => {
                Some((uid.parse().ok()?, gid.parse().ok()?))
            }
            _ => None,
        }
    })
}

fn write_configuration(
    directory: &Path,
    port: u16,
    tls_port: Option<u16>,
    options: &DovecotOptions,
) {
    use std::os::unix::fs::PermissionsExt;

    let who = identities();
    let home = directory.join("home");
    std::fs::create_dir_all(home.join(USERNAME)).expect("creating the mail home");
    // The mail user (nobody, under root) must reach its home inside the temporary folder.
    std::fs::set_permissions(directory, std::fs::Permissions::from_mode(0o755))
        .expect("opening the dovecot folder");
    for folder in [home.clone(), home.join(USERNAME)] {
        std::os::unix::fs::chown(&folder, Some(who.mail_uid), Some(who.mail_gid))
            .expect("handing the mail home to its user");
    }
    let passwd = directory.join("passwd");
    std::fs::write(&passwd, format!("{USERNAME}:{{PLAIN}}{PASSWORD}::::::\n"))
        .expect("writing the passwd file");

    let root = directory.display();
    let mut configuration = format!(
        "# A private test instance: nothing here comes from /etc/dovecot.
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = palaute-test-{port}
log_path = {root}/dovecot.log
ssl = {ssl}
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = {internal}
default_internal_group = {internal_group}
default_login_user = {login}
mail_location = maildir:~/Maildir
mail_fsync = never
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service anvil {{
  chroot =
}}
",
        internal = who.internal_user,
        internal_group = if who.internal_user == "root" {
            "root".to_owned()
        } else {
            id("-gn")
        },
        login = who.login_user,
        passwd = passwd.display(),
        uid = who.mail_uid,
        gid = who.mail_gid,
        home = home.display(),
        ssl = if tls_port.is_some() { "yes" } else { "no" },
        tls_port = tls_port.unwrap_or(0),
    );
    if tls_port.is_some() {
        let (certificate, key) = self_signed_certificate(directory);
        writeln!(
            configuration,
            "ssl_cert = <{}\nssl_key = <{}",
            certificate.display(),
            key.display()
        )
        .expect("writing to a string");
    }
    if let Some(capabilities) = &options.capabilities {
        writeln!(configuration, "imap_capability = {capabilities}").expect("writing to a string");
    }
    std::fs::create_dir_all(directory.join("state")).expect("creating the state folder");
    std::fs::write(directory.join("dovecot.conf"), configuration)
        .expect("writing the dovecot configuration");
}

/// A key and a self-signed certificate for 127.0.0.1, by the `openssl` command.
fn self_signed_certificate(directory: &Path) -> (PathBuf, PathBuf) {
    let certificate = directory.join("certificate.pem");
    let key = directory.join("key.pem");
    let output = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=palaute-test"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&certificate)
        .output()
        .expect("running openssl (installed with dovecot) for a test certificate");
    assert!(
        output.status.success(),
        "openssl could not make a test certificate: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    (certificate, key)
}

/// An IMAP string in quotes.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// `* STATUS "Processed" (MESSAGES 20)` → 20.
fn messages_in_status(line: &str) -> Option<usize> {
    if !line.starts_with("* STATUS") {
        return None;
    }
    let (_, after) = line.split_once("MESSAGES ")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// Just enough of an IMAP client for setting up and checking tests.
struct Client {
    reader: BufReader<OwnedReadHalf>,
    writer: OwnedWriteHalf,
    next_tag: u32,
}

impl Client {
    async fn read_line(&mut self) -> String {
        let mut line = String::new();
        let read = tokio::time::timeout(Duration::from_secs(10), self.reader.read_line(&mut line))
            .await
            .expect("dovecot answering within 10 s")
            .expect("reading from dovecot");
        assert!(read > 0, "dovecot closed the connection");
        line.trim_end_matches(['\r', '\n']).to_owned()
    }

    fn tag(&mut self) -> String {
        let tag = format!("t{}", self.next_tag);
        self.next_tag += 1;
        tag
    }

    /// Sends a command and returns its untagged lines, panicking unless it ends in OK.
    async fn command(&mut self, command: &str) -> Vec<String> {
        self.try_command(command)
            .await
            .unwrap_or_else(|answer| panic!("dovecot refused {command:?}: {answer}"))
    }

    async fn try_command(&mut self, command: &str) -> Result<Vec<String>, String> {
        let tag = self.tag();
        self.send(format!("{tag} {command}\r\n").as_bytes()).await;
        self.read_until_tagged(&tag).await
    }

    /// A command ending in one literal (sent after the server's `+`).
    async fn command_with_literal(&mut self, command: &str, literal: &[u8]) -> Vec<String> {
        let tag = self.tag();
        self.send(format!("{tag} {command} {{{}}}\r\n", literal.len()).as_bytes())
            .await;
        let go_ahead = self.read_line().await;
        assert!(
            go_ahead.starts_with('+'),
            "dovecot refused {command:?}: {go_ahead}"
        );
        self.send(literal).await;
        self.send(b"\r\n").await;
        self.read_until_tagged(&tag)
            .await
            .unwrap_or_else(|answer| panic!("dovecot refused {command:?}: {answer}"))
    }

    async fn send(&mut self, bytes: &[u8]) {
        self.writer
            .write_all(bytes)
            .await
            .expect("writing to dovecot");
    }

    async fn read_until_tagged(&mut self, tag: &str) -> Result<Vec<String>, String> {
        let mut untagged = Vec::new();
        loop {
            let line = self.read_line().await;
            if let Some(status) = line.strip_prefix(tag).map(str::trim_start) {
                return if status.starts_with("OK") {
                    Ok(untagged)
                } else {
                    Err(line)
                };
            }
            untagged.push(line);
        }
    }

    async fn logout(mut self) {
        self.try_command("LOGOUT").await.ok();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_answers_give_their_message_count() {
        assert_eq!(
            messages_in_status("* STATUS \"Processed\" (MESSAGES 20)"),
            Some(20)
        );
        assert_eq!(messages_in_status("* STATUS INBOX (MESSAGES 0)"), Some(0));
        assert_eq!(messages_in_status("* OK still here"), None);
    }

    #[test]
    fn names_are_quoted() {
        assert_eq!(quoted("INBOX"), "\"INBOX\"");
        assert_eq!(quoted("a\"b\\c"), "\"a\\\"b\\\\c\"");
    }
}
