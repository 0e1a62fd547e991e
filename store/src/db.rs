//! Connecting to SQLite or PostgreSQL, migrating, and starting write transactions the
//! way each backend needs.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbBackend,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;

use crate::error::{DbContext, StoreError};
use crate::migration::Migrator;

/// The handle every repository method hangs off. Cheap to clone (a pool inside).
#[derive(Clone, Debug)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    /// SQL statements run through this handle, for tests and benchmarks that check
    /// how many queries a request costs.
    statements: Arc<AtomicU64>,
    /// The key that seals a new case's tracking token for its acknowledgement; without
    /// one, acknowledgements link to the tracking page without the token.
    pub(crate) acknowledgement_seal: Option<Arc<str>>,
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…`. Every pooled SQLite connection gets
    /// WAL, a busy timeout and foreign keys, so concurrent writers wait instead of failing
    /// and references are enforced.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, StoreError> {
        create_private_sqlite_file(url).map_err(|source| StoreError::File {
            operation: "creating the SQLite database file",
            source,
        })?;
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(max_connections.max(1))
            .min_connections(1)
            .connect_timeout(Duration::from_secs(10))
            // Below the worker's lease: a job waiting for a connection fails its
            // attempt rather than outliving the lease.
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false)
            .map_sqlx_sqlite_opts(|sqlite| {
                sqlite
                    .journal_mode(SqliteJournalMode::Wal)
                    // FULL syncs the WAL on every commit: with NORMAL a power loss
                    // could take back a case whose reference was already given out
                    // (and the counter would give that reference out again).
                    .synchronous(SqliteSynchronous::Full)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    .create_if_missing(true)
            });
        let mut db = Database::connect(options)
            .await
            .context("connecting to the database")?;
        let statements = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&statements);
        db.set_metric_callback(move |_| {
            counter.fetch_add(1, Ordering::Relaxed);
        });
        Ok(Self {
            db,
            statements,
            acknowledgement_seal: None,
        })
    }

    /// Seals each new case's tracking token with a key derived from `secret` (the
    /// administrator token, the same in every process), so the acknowledgement email
    /// can carry the tracking link with its token; see [`Store::acknowledgement_token`].
    #[must_use]
    pub fn with_acknowledgement_seal(mut self, secret: &str) -> Self {
        self.acknowledgement_seal =
            Some(palaute_core::token::acknowledgement_seal_key(secret).into());
        self
    }

    /// How many SQL statements this handle (and its clones) has run so far.
    pub fn statements_run(&self) -> u64 {
        self.statements.load(Ordering::Relaxed)
    }

    /// Applies every pending migration. Safe to run on every start and from several
    /// processes: sea-orm records applied migrations.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        Migrator::up(&self.db, None)
            .await
            .context("running migrations")
    }

    pub fn backend(&self) -> DbBackend {
        self.db.get_database_backend()
    }

    /// True for SQLite: the database is a local file, so every process using it runs
    /// on this machine.
    pub fn is_sqlite(&self) -> bool {
        self.backend() == DbBackend::Sqlite
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.db.ping().await.context("pinging the database")
    }

    pub async fn close(self) -> Result<(), StoreError> {
        self.db.close().await.context("closing the database")
    }

    /// Starts a transaction that will write. On SQLite it is `BEGIN IMMEDIATE`: the write
    /// lock is taken up front, so two writers queue on the busy timeout instead of one
    /// failing when it upgrades a read snapshot that went stale.
    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StoreError> {
        let options = TransactionOptions {
            sqlite_transaction_mode: (self.backend() == DbBackend::Sqlite)
                .then_some(SqliteTransactionMode::Immediate),
            ..Default::default()
        };
        self.db
            .begin_with_options(options)
            .await
            .context("starting a transaction")
    }
}

/// SQLite would create its file with the process's umask, often readable by every
/// user, and it holds residents' contact details. Creating it first, readable by this
/// user only, also covers the `-wal` and `-shm` files: SQLite gives them the database
/// file's permissions.
fn create_private_sqlite_file(url: &str) -> std::io::Result<()> {
    let Some(rest) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    else {
        return Ok(());
    };
    let path = rest.split('?').next().unwrap_or_default();
    if path.is_empty() || path == ":memory:" || url.contains("mode=memory") {
        return Ok(());
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(error) => Err(error),
    }
}
