//! The command-line contract, run against the real binary.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use support::palaute_command as palaute;

#[test]
fn config_check_accepts_the_shipped_organisation_and_names_every_problem() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let good = folder.path().join("good.toml");
    std::fs::write(&good, include_str!("../core/org/helsinki.toml")).expect("write");
    let output = palaute()
        .args(["config", "check"])
        .arg(&good)
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("10 categories"));

    let bad = folder.path().join("bad.toml");
    std::fs::write(
        &bad,
        r#"triage_unit = "nobody"
[[divisions]]
code = "d"
name = { fi = "D", sv = "D", en = "D" }
[[units]]
code = "u"
division = "d"
name = { fi = "U", sv = "U", en = "" }
mailbox = "nowhere"
"#,
    )
    .expect("write");
    let output = palaute()
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
    let errors = String::from_utf8_lossy(&output.stderr);
    for place in [
        "triage_unit",
        "units[0] (code \"u\").mailbox",
        "units[0] (code \"u\").name.en",
    ] {
        assert!(errors.contains(place), "{place} missing from:\n{errors}");
    }
    assert!(errors.contains("3 problem(s) found"), "{errors}");

    let output = palaute()
        .args(["config", "check", "/no/such/file.toml"])
        .output()
        .expect("run");
    assert_eq!(output.status.code(), Some(1));
}

#[test]
fn migrate_and_reindex_work_on_a_new_data_folder() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let output = palaute()
        .args(["migrate", "--data-dir"])
        .arg(folder.path())
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    assert!(folder.path().join("palaute.db").exists());
    let output = palaute()
        .args(["reindex", "--data-dir"])
        .arg(folder.path())
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("0 cases"));
}

#[test]
fn unknown_settings_and_bad_urls_are_reported() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let settings = folder.path().join("palaute.toml");
    std::fs::write(&settings, "no_such_setting = 1\n").expect("write");
    let output = palaute()
        .args(["migrate", "--config"])
        .arg(&settings)
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("no_such_setting"),
        "{output:?}"
    );

    let output = palaute()
        .args(["migrate", "--data-dir"])
        .arg(folder.path())
        .args(["--database-url", "mysql://nowhere/db"])
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("error:"),
        "{output:?}"
    );
}

#[test]
fn config_show_masks_every_secret() {
    let output = palaute()
        .args(["config", "show"])
        .env(
            "PALAUTE_DATABASE_URL",
            "postgres://palaute:db-secret@db.internal/palaute",
        )
        .env(
            "PALAUTE_SMTP_URL",
            "smtp://mailer:smtp-secret@relay.internal:25",
        )
        .env(
            "PALAUTE_ADMIN_TOKEN",
            "admin-secret-admin-secret-admin-secret",
        )
        .output()
        .expect("run");
    assert!(output.status.success(), "{output:?}");
    let shown = String::from_utf8_lossy(&output.stdout);
    for secret in ["db-secret", "smtp-secret", "admin-secret"] {
        assert!(!shown.contains(secret), "{secret} shown:\n{shown}");
    }
    assert!(
        shown.contains("postgres://palaute:***@db.internal/palaute"),
        "{shown}"
    );
    assert!(
        shown.contains("smtp://mailer:***@relay.internal:25"),
        "{shown}"
    );
}

#[test]
fn a_short_admin_token_is_refused() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let output = palaute()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(folder.path())
        .env("PALAUTE_ADMIN_TOKEN", "letmein")
        .output()
        .expect("run");
    assert!(!output.status.success(), "{output:?}");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(errors.contains("at least 32"), "{errors}");
}
