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
    assert!(String::from_utf8_lossy(&output.stdout).contains("11 categories"));

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

/// Runs `palaute ARGS --data-dir FOLDER` and returns its exit status, stdout and stderr.
fn run_in(folder: &std::path::Path, args: &[&str]) -> (bool, String, String) {
    let output = palaute()
        .args(args)
        .arg("--data-dir")
        .arg(folder)
        .output()
        .expect("run");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn staff_accounts_are_added_listed_and_disabled() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let (ok, out, err) = run_in(
        folder.path(),
        &[
            "user",
            "add",
            "--email",
            "Maija@Hel.fi",
            "--role",
            "handler",
            "--unit",
            "rakennusvirasto",
        ],
    );
    assert!(ok, "{out}{err}");
    assert!(out.contains("maija@hel.fi (handler)"), "{out}");

    let (ok, out, err) = run_in(folder.path(), &["user", "list"]);
    assert!(ok, "{out}{err}");
    let row = out
        .lines()
        .find(|line| line.starts_with("maija@hel.fi"))
        .unwrap_or_else(|| panic!("no row for the handler in:\n{out}"));
    assert!(row.contains("handler") && row.contains("rakennusvirasto") && row.ends_with("no"));

    // Refusals name what is wrong and add nothing.
    for (args, expected) in [
        (
            vec![
                "--email",
                "x@hel.fi",
                "--role",
                "handler",
                "--unit",
                "no-such-unit",
            ],
            "unknown unit \"no-such-unit\"",
        ),
        (
            vec!["--email", "x@hel.fi", "--role", "handler"],
            "needs at least one unit",
        ),
        (
            vec!["--email", "maija@hel.fi", "--role", "admin"],
            "already exists",
        ),
        (
            vec!["--email", "not-an-address", "--role", "admin"],
            "--email",
        ),
    ] {
        let (ok, out, err) = run_in(folder.path(), &[&["user", "add"], &args[..]].concat());
        assert!(!ok, "{args:?} succeeded: {out}");
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let (_, out, _) = run_in(folder.path(), &["user", "list"]);
    assert_eq!(out.lines().count(), 2, "a header and one account:\n{out}");

    let (ok, _, err) = run_in(
        folder.path(),
        &["user", "disable", "--email", "nobody@hel.fi"],
    );
    assert!(!ok);
    assert!(err.contains("no staff account for nobody@hel.fi"), "{err}");
    let (ok, out, err) = run_in(
        folder.path(),
        &["user", "disable", "--email", "maija@hel.fi"],
    );
    assert!(ok, "{out}{err}");
    let (_, out, _) = run_in(folder.path(), &["user", "list"]);
    assert!(out.contains("since "), "{out}");
}

#[test]
fn an_api_token_is_printed_once_listed_without_it_and_revoked() {
    let folder = tempfile::tempdir().expect("temporary folder");
    let (ok, out, err) = run_in(
        folder.path(),
        &["user", "add", "--email", "admin@hel.fi", "--role", "admin"],
    );
    assert!(ok, "{out}{err}");

    let (ok, out, err) = run_in(
        folder.path(),
        &[
            "token",
            "create",
            "--email",
            "admin@hel.fi",
            "--expires-in",
            "30",
            "--label",
            "integraatio X",
        ],
    );
    assert!(ok, "{out}{err}");
    let token = out.lines().last().expect("a last line");
    assert!(token.starts_with("plt_"), "{out}");
    assert_eq!(
        token.len(),
        "plt_".len() + 43,
        "32 bytes, base64url: {token}"
    );
    assert!(out.contains("token 1 for admin@hel.fi"), "{out}");

    let (ok, out, err) = run_in(folder.path(), &["token", "list"]);
    assert!(ok, "{out}{err}");
    assert!(
        !out.contains(token),
        "the token is never shown again:\n{out}"
    );
    let row = out
        .lines()
        .find(|line| line.starts_with('1'))
        .unwrap_or_else(|| panic!("no row for token 1 in:\n{out}"));
    assert!(row.contains("admin@hel.fi") && row.ends_with("no"), "{row}");
    assert!(
        row.contains("integraatio X"),
        "the label tells tokens apart: {row}"
    );

    let (ok, out, err) = run_in(folder.path(), &["token", "revoke", "1"]);
    assert!(ok, "{out}{err}");
    let (_, out, _) = run_in(folder.path(), &["token", "list"]);
    assert!(!out.lines().any(|line| line.ends_with("no")), "{out}");
    let (ok, _, err) = run_in(folder.path(), &["token", "revoke", "99"]);
    assert!(!ok);
    assert!(err.contains("no API token 99"), "{err}");

    let (ok, _, err) = run_in(
        folder.path(),
        &["token", "create", "--email", "nobody@hel.fi"],
    );
    assert!(!ok);
    assert!(err.contains("no staff account for nobody@hel.fi"), "{err}");
}
