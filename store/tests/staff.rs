//! Staff accounts and API tokens, run on SQLite and (where configured) PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use chrono::Duration;
use palaute_core::{EmailAddress, Organisation, StaffRole};
use palaute_store::StoreError;
use palaute_testkit::{TestDatabase, on_every_backend};
use support::open;

fn address(text: &str) -> EmailAddress {
    EmailAddress::parse(text).expect("a valid address")
}

fn units(codes: &[&str]) -> Vec<String> {
    codes.iter().map(|code| (*code).to_owned()).collect()
}

fn refusal(result: Result<i64, StoreError>) -> String {
    match result {
        Err(StoreError::Refused(message)) => message,
        other => panic!("expected a refusal, got {other:?}"),
    }
}

async fn accounts_are_added_listed_and_disabled(database: TestDatabase) {
    let store = open(&database).await;
    let now = palaute_store::now();
    let handler = store
        .add_staff_user(
            &address("Maija.Meikalainen@Hel.fi"),
            StaffRole::Handler,
            &units(&["rakennusvirasto", "hkl", "hkl"]),
            now,
        )
        .await
        .expect("add a handler");
    store
        .add_staff_user(&address("admin@hel.fi"), StaffRole::Admin, &[], now)
        .await
        .expect("add an admin");

    let listed = store.staff_users().await.expect("list");
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].email, "admin@hel.fi");
    assert_eq!(listed[0].role, StaffRole::Admin);
    assert!(listed[0].units.is_empty());
    assert_eq!(listed[1].id, handler);
    assert_eq!(listed[1].email, "maija.meikalainen@hel.fi", "lower-cased");
    assert_eq!(listed[1].role, StaffRole::Handler);
    assert_eq!(listed[1].units, units(&["hkl", "rakennusvirasto"]));
    assert_eq!(listed[1].created_at, now);
    assert_eq!(listed[1].disabled_at, None);

    let later = now + Duration::minutes(5);
    assert!(
        store
            .disable_staff_user(&address("MAIJA.meikalainen@hel.fi"), later)
            .await
            .expect("disable")
    );
    assert!(
        store
            .disable_staff_user(
                &address("maija.meikalainen@hel.fi"),
                later + Duration::minutes(1)
            )
            .await
            .expect("disable twice")
    );
    assert!(
        !store
            .disable_staff_user(&address("nobody@hel.fi"), later)
            .await
            .expect("disable nobody")
    );
    let listed = store.staff_users().await.expect("list");
    assert_eq!(listed[1].disabled_at, Some(later), "the first time is kept");
    assert_eq!(listed[0].disabled_at, None);
}

async fn bad_accounts_are_refused(database: TestDatabase) {
    let store = open(&database).await;
    let now = palaute_store::now();
    store
        .add_staff_user(&address("triage@hel.fi"), StaffRole::Triage, &[], now)
        .await
        .expect("add");

    let message = refusal(
        store
            .add_staff_user(&address("Triage@HEL.fi"), StaffRole::Admin, &[], now)
            .await,
    );
    assert!(message.contains("already exists"), "{message}");

    let message = refusal(
        store
            .add_staff_user(
                &address("h@hel.fi"),
                StaffRole::Handler,
                &units(&["rakennusvirasto", "no-such-unit"]),
                now,
            )
            .await,
    );
    assert!(
        message.contains("unknown unit \"no-such-unit\""),
        "{message}"
    );

    let message = refusal(
        store
            .add_staff_user(&address("h@hel.fi"), StaffRole::Handler, &[], now)
            .await,
    );
    assert!(message.contains("needs at least one unit"), "{message}");

    // A unit that left the configuration stays in the table, inactive.
    let mut organisation = Organisation::helsinki();
    organisation.units.retain(|unit| unit.code != "tukkutori");
    store
        .sync_organisation(&organisation)
        .await
        .expect("sync a smaller organisation");
    let message = refusal(
        store
            .add_staff_user(
                &address("h@hel.fi"),
                StaffRole::Handler,
                &units(&["tukkutori"]),
                now,
            )
            .await,
    );
    assert!(
        message.contains("no longer in the organisation"),
        "{message}"
    );

    // Nothing of the refused accounts was written.
    let listed = store.staff_users().await.expect("list");
    assert_eq!(listed.len(), 1, "{listed:?}");
}

async fn a_token_works_until_revoked_expired_or_its_account_disabled(database: TestDatabase) {
    let store = open(&database).await;
    let now = palaute_store::now();
    let email = address("handler@hel.fi");
    store
        .add_staff_user(
            &email,
            StaffRole::Handler,
            &units(&["rakennusvirasto", "hkl"]),
            now,
        )
        .await
        .expect("add");
    let refused = store
        .create_api_token(&address("nobody@hel.fi"), "hash-0", None, None, now)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "{refused:?}"
    );

    let forever = store
        .create_api_token(&email, "hash-forever", None, None, now)
        .await
        .expect("token");
    let expires_at = now + Duration::days(30);
    let expiring = store
        .create_api_token(&email, "hash-expiring", None, Some(expires_at), now)
        .await
        .expect("token");
    let revoked = store
        .create_api_token(&email, "hash-revoked", None, None, now)
        .await
        .expect("token");

    let member = store
        .staff_by_token_hash("hash-forever", now)
        .await
        .expect("lookup")
        .expect("a live token");
    assert_eq!(member.email, "handler@hel.fi");
    assert_eq!(member.role, StaffRole::Handler);
    assert_eq!(
        member.units,
        ["hkl".to_owned(), "rakennusvirasto".to_owned()].into()
    );
    assert!(member.user_id.is_some());
    assert!(
        store
            .staff_by_token_hash("no-such-hash", now)
            .await
            .expect("lookup")
            .is_none()
    );

    assert!(store.revoke_api_token(revoked, now).await.expect("revoke"));
    assert!(!store.revoke_api_token(9999, now).await.expect("revoke"));
    assert!(
        store
            .staff_by_token_hash("hash-revoked", now)
            .await
            .expect("lookup")
            .is_none(),
        "a revoked token stops working"
    );

    assert!(
        store
            .staff_by_token_hash("hash-expiring", expires_at - Duration::seconds(1))
            .await
            .expect("lookup")
            .is_some()
    );
    assert!(
        store
            .staff_by_token_hash("hash-expiring", expires_at)
            .await
            .expect("lookup")
            .is_none(),
        "an expired token stops working"
    );

    let tokens = store.api_tokens().await.expect("list tokens");
    assert_eq!(
        tokens.iter().map(|token| token.id).collect::<Vec<_>>(),
        vec![forever, expiring, revoked]
    );
    assert_eq!(tokens[1].expires_at, Some(expires_at));
    assert_eq!(tokens[2].revoked_at, Some(now));
    assert!(tokens.iter().all(|token| token.email == "handler@hel.fi"));

    assert!(
        store
            .disable_staff_user(&email, now)
            .await
            .expect("disable")
    );
    assert!(
        store
            .staff_by_token_hash("hash-forever", now)
            .await
            .expect("lookup")
            .is_none(),
        "a disabled account's tokens stop working"
    );
    let refused = store
        .create_api_token(&email, "hash-new", None, None, now)
        .await;
    assert!(
        matches!(refused, Err(StoreError::Refused(_))),
        "{refused:?}"
    );
}

async fn an_admin_token_has_no_units(database: TestDatabase) {
    let store = open(&database).await;
    let now = palaute_store::now();
    let email = address("admin@hel.fi");
    store
        .add_staff_user(&email, StaffRole::Admin, &[], now)
        .await
        .expect("add");
    store
        .create_api_token(&email, "hash-admin", None, None, now)
        .await
        .expect("token");
    let member = store
        .staff_by_token_hash("hash-admin", now)
        .await
        .expect("lookup")
        .expect("live");
    assert_eq!(member.role, StaffRole::Admin);
    assert!(member.units.is_empty());
}

on_every_backend!(
    accounts_are_added_listed_and_disabled,
    bad_accounts_are_refused,
    a_token_works_until_revoked_expired_or_its_account_disabled,
    an_admin_token_has_no_units,
);
