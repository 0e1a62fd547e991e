//! Test support shared by the crates' tests and the whole-system tests: fresh
//! databases on SQLite and PostgreSQL, a real SMTP server to receive mail, and a
//! private Dovecot IMAP server to read mail from.

#![allow(
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "test support fails the test that uses it, loudly, when the environment is not as needed"
)]

pub mod database;
pub mod dovecot;
pub mod fuzz;
pub mod smtp;

pub use database::TestDatabase;

/// True when running under CI, where every backend and service must be present.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true" || value == "1")
}

/// Declares each listed async test function (taking a [`TestDatabase`]) twice: once on
/// a fresh SQLite file and once on a fresh PostgreSQL database. The PostgreSQL variant
/// skips with a message where `PALAUTE_TEST_DATABASE_URL` is unset, and fails under
/// `CI=true`.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),+ $(,)?) => {
        mod on_sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name($crate::TestDatabase::sqlite()).await;
                }
            )+
        }
        mod on_postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(database) = $crate::TestDatabase::postgres().await else {
                        return;
                    };
                    super::$name(database).await;
                }
            )+
        }
    };
}
