//! A fresh, empty database per test, dropped afterwards.

use sea_orm::{ConnectionTrait, Database};

/// The variable naming a PostgreSQL server for tests, e.g.
/// `postgres://postgres@127.0.0.1:5432/postgres`. Each test creates its own database
/// on that server and drops it afterwards.
pub const POSTGRES_URL_VARIABLE: &str = "PALAUTE_TEST_DATABASE_URL";

pub struct TestDatabase {
    pub url: String,
    pub backend: &'static str,
    cleanup: Cleanup,
}

enum Cleanup {
    Sqlite(#[allow(dead_code)] tempfile::TempDir),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A new SQLite file in a temporary folder.
    pub fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("creating a temporary folder");
        let url = format!("sqlite://{}?mode=rwc", dir.path().join("test.db").display());
        Self {
            url,
            backend: "sqlite",
            cleanup: Cleanup::Sqlite(dir),
        }
    }

    /// A new PostgreSQL database, or `None` (with a message) where no server is
    /// configured. Under `CI=true` a missing server fails the test.
    pub async fn postgres() -> Option<Self> {
        let Ok(admin_url) = std::env::var(POSTGRES_URL_VARIABLE) else {
            assert!(
                !crate::in_ci(),
                "{POSTGRES_URL_VARIABLE} must name a PostgreSQL server under CI=true"
            );
            eprintln!("skipping the PostgreSQL variant: {POSTGRES_URL_VARIABLE} is not set");
            return None;
        };
        let name = format!("palaute_test_{}", uuid::Uuid::new_v4().simple());
        let admin = Database::connect(admin_url.as_str())
            .await
            .unwrap_or_else(|error| panic!("connecting to {POSTGRES_URL_VARIABLE}: {error}"));
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await
            .unwrap_or_else(|error| panic!("creating database {name}: {error}"));
        let _ = admin.close().await;
        Some(Self {
            url: replace_database(&admin_url, &name),
            backend: "postgres",
            cleanup: Cleanup::Postgres { admin_url, name },
        })
    }
}

/// Swaps the database name in a PostgreSQL URL, keeping any query string.
fn replace_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let scheme_end = base.find("://").map_or(0, |index| index + 3);
    let host_part = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{host_part}/{name}?{query}"),
        None => format!("{host_part}/{name}"),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        let Cleanup::Postgres { admin_url, name } = &self.cleanup else {
            return;
        };
        let (admin_url, name) = (admin_url.clone(), name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on; a thread with
        // its own small runtime drops the database.
        let dropper = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("building a runtime to drop a test database");
            runtime.block_on(async move {
                if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                    let statement = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                    if let Err(error) = admin.execute_unprepared(&statement).await {
                        eprintln!("could not drop test database {name}: {error}");
                    }
                    let _ = admin.close().await;
                }
            });
        });
        let _ = dropper.join();
    }
}

#[cfg(test)]
mod tests {
    use super::replace_database;

    #[test]
    fn swaps_the_database_name() {
        assert_eq!(
            replace_database("postgres://postgres@127.0.0.1:5432/postgres", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            replace_database("postgres://u@h/db?sslmode=disable", "x"),
            "postgres://u@h/x?sslmode=disable"
        );
        assert_eq!(replace_database("postgres://u@h", "x"), "postgres://u@h/x");
    }
}
