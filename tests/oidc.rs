//! City sign-in over HTTP: the test is its own identity provider (a JWKS served on
//! 127.0.0.1, keys generated for each run) and signs its own tokens; palaute must take
//! a genuine one as the staff member it names, with the role and units its claims
//! map to, and refuse every other.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use palaute_core::settings::OidcSettings;
use palaute_core::{EmailAddress, StaffRole};
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{TestApp, error_code, spawn_app_with, street_lamp};

const ISSUER: &str = "https://tunnistus.hel.fi/realms/staff";
const AUDIENCE: &str = "palaute";
const ME: &str = "{ me { email role units { code } } }";

/// A P-256 signing key made for this run, and its public half as a JWK.
struct TestKey {
    kid: String,
    encoding: EncodingKey,
    jwk: Value,
}

impl TestKey {
    fn generate(kid: &str) -> Self {
        // PKCS#8 for a P-256 private key: the fixed ASN.1 around 32 random bytes (the
        // public key is optional and derived when needed).
        const PREFIX: [u8; 35] = [
            0x30, 0x41, 0x02, 0x01, 0x00, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d,
            0x02, 0x01, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x04, 0x27,
            0x30, 0x25, 0x02, 0x01, 0x01, 0x04, 0x20,
        ];
        let mut der = PREFIX.to_vec();
        der.extend_from_slice(&rand::random::<[u8; 32]>());
        let encoding = EncodingKey::from_ec_der(&der);
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::ES256).expect("a JWK");
        jwk.common.key_id = Some(kid.to_owned());
        Self {
            kid: kid.to_owned(),
            encoding,
            jwk: serde_json::to_value(jwk).expect("JWK as JSON"),
        }
    }

    fn sign(&self, claims: &Value) -> String {
        self.sign_as(&self.kid, claims)
    }

    /// Signed with this key but naming `kid`, as a forger would.
    fn sign_as(&self, kid: &str, claims: &Value) -> String {
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(kid.to_owned());
        jsonwebtoken::encode(&header, claims, &self.encoding).expect("signing a token")
    }
}

/// The test's identity provider: serves a JWKS it can change, and counts fetches.
struct Provider {
    jwks_url: String,
    keys: Arc<Mutex<Vec<Value>>>,
    fetches: Arc<AtomicUsize>,
    server: tokio::task::JoinHandle<()>,
}

impl Provider {
    async fn start(keys: &[&TestKey]) -> Self {
        let published = Arc::new(Mutex::new(
            keys.iter().map(|key| key.jwk.clone()).collect::<Vec<_>>(),
        ));
        let fetches = Arc::new(AtomicUsize::new(0));
        let router = axum::Router::new().route(
            "/certs",
            axum::routing::get({
                let published = Arc::clone(&published);
                let fetches = Arc::clone(&fetches);
                move || async move {
                    fetches.fetch_add(1, Ordering::SeqCst);
                    let keys = published.lock().unwrap().clone();
                    axum::Json(json!({ "keys": keys }))
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port for the provider");
        let address = listener.local_addr().expect("its address");
        let server = tokio::spawn(async move {
            axum::serve(listener, router).await.expect("serving keys");
        });
        Self {
            jwks_url: format!("http://{address}/certs"),
            keys: published,
            fetches,
            server,
        }
    }

    fn publish(&self, keys: &[&TestKey]) {
        *self.keys.lock().unwrap() = keys.iter().map(|key| key.jwk.clone()).collect();
    }

    fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}

impl Drop for Provider {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// The `[oidc]` section a city would write: roles from `roles`, units from `units`
/// or from group names.
fn oidc_settings(jwks_url: &str, min_refresh_seconds: u64) -> OidcSettings {
    let mut settings = OidcSettings::new(ISSUER, AUDIENCE, jwks_url);
    for (value, role) in [
        ("palaute-admin", "admin"),
        ("palaute-triage", "triage"),
        ("palaute-kasittelija", "handler"),
    ] {
        settings.roles.insert(value.to_owned(), role.to_owned());
    }
    settings.units_claim = Some("units".to_owned());
    settings.units.insert(
        "rakvir-kasittelijat".to_owned(),
        "rakennusvirasto".to_owned(),
    );
    settings.jwks_min_refresh_seconds = min_refresh_seconds;
    settings
}

async fn spawn_with_provider(
    database: TestDatabase,
    provider: &Provider,
    min_refresh_seconds: u64,
) -> TestApp {
    let oidc = oidc_settings(&provider.jwks_url, min_refresh_seconds);
    spawn_app_with(database, move |settings| settings.oidc = Some(oidc)).await
}

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Claims of a current token for palaute.
fn claims(email: &str, roles: Value) -> Value {
    json!({
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": format!("sub-{email}"),
        "iat": now(),
        "exp": now() + 300,
        "email": email,
        "email_verified": true,
        "roles": roles,
    })
}

fn with(mut claims: Value, key: &str, value: Value) -> Value {
    claims[key] = value;
    claims
}

fn without(mut claims: Value, key: &str) -> Value {
    claims.as_object_mut().expect("claims").remove(key);
    claims
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.graphql(ME, json!({}), Some(token)).await
}

async fn city_sign_in_gives_the_claimed_role_and_units(database: TestDatabase) {
    let key = TestKey::generate("k1");
    let provider = Provider::start(&[&key]).await;
    let app = spawn_with_provider(database, &provider, 0).await;

    // One case for the handler's unit, one elsewhere (another unit by its keywords,
    // or the triage unit): no mutation needed, so the test follows only routing.
    let (ours, _) = app.submit(street_lamp()).await;
    let (theirs, _) = app
        .submit(json!({ "channel": "WEB", "description": "Vuokratontin kiinteistö: tontin rajat ovat epäselvät" }))
        .await;
    app.wait_for_status(&ours, &["ROUTED"]).await;
    let elsewhere = app
        .wait_for_status(&theirs, &["ROUTED", "NEEDS_TRIAGE"])
        .await;
    assert_ne!(elsewhere["unit"]["code"], "rakennusvirasto", "{elsewhere}");

    // A handler whose unit comes from a group name, and one (unknown) unit code that
    // is dropped.
    let handler = key.sign(&with(
        claims(
            "Kasittelija@Hel.fi",
            json!(["palaute-kasittelija", "rakvir-kasittelijat"]),
        ),
        "units",
        json!(["no-such-unit"]),
    ));
    let answer = me(&app, &handler).await;
    assert_eq!(
        answer["data"]["me"],
        json!({ "email": "kasittelija@hel.fi", "role": "HANDLER", "units": [{ "code": "rakennusvirasto" }] }),
        "{answer}"
    );
    let listed = app
        .graphql(
            "{ cases(first: 10) { totalCount edges { node { reference } } } }",
            json!({}),
            Some(&handler),
        )
        .await;
    assert_eq!(listed["data"]["cases"]["totalCount"], 1, "{listed}");
    assert_eq!(
        listed["data"]["cases"]["edges"][0]["node"]["reference"],
        ours.as_str()
    );
    let other = app
        .graphql(
            "query($r: String!) { case(reference: $r) { reference } }",
            json!({ "r": theirs }),
            Some(&handler),
        )
        .await;
    assert_eq!(error_code(&other), "NOT_FOUND", "{other}");

    // The sign-in made a real account, so the timeline names a person.
    let store = app.store().await;
    let accounts = store.staff_users().await.expect("accounts");
    let account = accounts
        .iter()
        .find(|account| account.email == "kasittelija@hel.fi")
        .expect("an account for the signed-in handler");
    assert_eq!(account.role, StaffRole::Handler);
    assert_eq!(account.units, ["rakennusvirasto"]);

    // The provider is the authority: a new token with other claims changes the account.
    let promoted = key.sign(&with(
        claims("kasittelija@hel.fi", json!("palaute-triage")),
        "units",
        json!("hkl"),
    ));
    let answer = me(&app, &promoted).await;
    assert_eq!(answer["data"]["me"]["role"], "TRIAGE", "{answer}");
    assert_eq!(answer["data"]["me"]["units"], json!([{ "code": "hkl" }]));
    let listed = app
        .graphql("{ cases { totalCount } }", json!({}), Some(&promoted))
        .await;
    assert_eq!(listed["data"]["cases"]["totalCount"], 2, "{listed}");
    let accounts = store.staff_users().await.expect("accounts");
    assert_eq!(accounts.len(), 1, "one person, one account: {accounts:?}");
    assert_eq!(accounts[0].role, StaffRole::Triage);

    // The widest of several roles wins.
    let admin = key.sign(&claims(
        "paakayttaja@hel.fi",
        json!(["palaute-kasittelija", "palaute-admin"]),
    ));
    assert_eq!(me(&app, &admin).await["data"]["me"]["role"], "ADMIN");
    app.stop().await;
}

async fn forged_foreign_and_stale_tokens_are_refused(database: TestDatabase) {
    let key = TestKey::generate("k1");
    let forger = TestKey::generate("forger");
    let provider = Provider::start(&[&key]).await;
    let app = spawn_with_provider(database, &provider, 0).await;
    let good = claims("maija@hel.fi", json!(["palaute-triage"]));
    assert_eq!(
        me(&app, &key.sign(&good)).await["data"]["me"]["email"],
        "maija@hel.fi",
        "the genuine token works"
    );

    let unsigned = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT","kid":"k1"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let mut hmac_header = Header::new(Algorithm::HS256);
    hmac_header.kid = Some("k1".to_owned());
    let shared_secret = jsonwebtoken::encode(
        &hmac_header,
        &good,
        &EncodingKey::from_secret(key.jwk["x"].as_str().expect("x").as_bytes()).expect("a secret"),
    )
    .expect("an HS256 token");
    let refused = [
        ("wrong signature", forger.sign_as("k1", &good)),
        (
            "wrong issuer",
            key.sign(&with(good.clone(), "iss", json!("https://evil.example"))),
        ),
        (
            "wrong audience",
            key.sign(&with(good.clone(), "aud", json!("another-app"))),
        ),
        (
            "expired",
            key.sign(&with(good.clone(), "exp", json!(now() - 600))),
        ),
        (
            "not valid yet",
            key.sign(&with(good.clone(), "nbf", json!(now() + 600))),
        ),
        ("no exp", key.sign(&without(good.clone(), "exp"))),
        ("alg none", unsigned),
        ("HS256", shared_secret),
        ("unknown kid", forger.sign(&good)),
        ("no role claim", key.sign(&without(good.clone(), "roles"))),
        (
            "a role claim mapping to no role",
            key.sign(&with(good.clone(), "roles", json!(["everyone"]))),
        ),
        (
            "a handler without a known unit",
            key.sign(&with(
                good.clone(),
                "roles",
                json!(["palaute-kasittelija", "no-such-unit"]),
            )),
        ),
        (
            "an unverified email",
            key.sign(&with(good.clone(), "email_verified", json!(false))),
        ),
        ("no email", key.sign(&without(good.clone(), "email"))),
    ];
    for (what, token) in refused {
        let answer = me(&app, &token).await;
        assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{what}: {answer}");
        assert!(answer["data"].is_null() || answer["data"]["me"].is_null());
    }

    // The other credentials still work beside city sign-in.
    assert_eq!(
        app.staff(ME, json!({})).await["data"]["me"]["role"],
        "ADMIN"
    );
    app.stop().await;
}

async fn rotated_keys_are_fetched_again(database: TestDatabase) {
    let old = TestKey::generate("2026-old");
    let new = TestKey::generate("2026-new");
    let provider = Provider::start(&[&old]).await;
    let app = spawn_with_provider(database, &provider, 0).await;
    let claims = claims("maija@hel.fi", json!(["palaute-admin"]));
    assert_eq!(
        me(&app, &old.sign(&claims)).await["data"]["me"]["role"],
        "ADMIN"
    );
    assert_eq!(provider.fetches(), 1);

    provider.publish(&[&new]);
    let answer = me(&app, &new.sign(&claims)).await;
    assert_eq!(
        answer["data"]["me"]["role"], "ADMIN",
        "a new kid makes palaute fetch the keys again: {answer}"
    );
    assert_eq!(provider.fetches(), 2);
    let answer = me(&app, &old.sign(&claims)).await;
    assert_eq!(
        error_code(&answer),
        "UNAUTHENTICATED",
        "the retired key no longer signs anyone in: {answer}"
    );
    app.stop().await;
}

async fn made_up_key_ids_do_not_hammer_the_provider(database: TestDatabase) {
    let key = TestKey::generate("k1");
    let provider = Provider::start(&[&key]).await;
    let app = spawn_with_provider(database, &provider, 3_600).await;
    let claims = claims("maija@hel.fi", json!(["palaute-admin"]));
    assert_eq!(
        me(&app, &key.sign(&claims)).await["data"]["me"]["role"],
        "ADMIN"
    );
    for attempt in 0..20 {
        let answer = me(&app, &key.sign_as(&format!("made-up-{attempt}"), &claims)).await;
        assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
    }
    assert_eq!(
        provider.fetches(),
        1,
        "unknown kids within the minimum interval fetch nothing"
    );
    app.stop().await;
}

async fn a_disabled_account_stays_disabled(database: TestDatabase) {
    let key = TestKey::generate("k1");
    let provider = Provider::start(&[&key]).await;
    let app = spawn_with_provider(database, &provider, 0).await;
    let store = app.store().await;

    // Disabled before the first sign-in: a local account.
    let local = EmailAddress::parse("lahtija@hel.fi").expect("address");
    store
        .add_staff_user(&local, StaffRole::Triage, &[], palaute_store::now())
        .await
        .expect("an account");
    assert!(
        store
            .disable_staff_user(&local, palaute_store::now())
            .await
            .expect("disable")
    );
    let answer = me(
        &app,
        &key.sign(&claims("Lahtija@hel.fi", json!(["palaute-admin"]))),
    )
    .await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");

    // Disabled after signing in: the same token stops working on the next request.
    let token = key.sign(&claims("maija@hel.fi", json!(["palaute-triage"])));
    assert_eq!(me(&app, &token).await["data"]["me"]["role"], "TRIAGE");
    let maija = EmailAddress::parse("maija@hel.fi").expect("address");
    assert!(
        store
            .disable_staff_user(&maija, palaute_store::now())
            .await
            .expect("disable")
    );
    let answer = me(&app, &token).await;
    assert_eq!(error_code(&answer), "UNAUTHENTICATED", "{answer}");
    let accounts = store.staff_users().await.expect("accounts");
    assert!(
        accounts.iter().all(|account| account.disabled_at.is_some()),
        "a sign-in never enables an account: {accounts:?}"
    );
    app.stop().await;
}

async fn an_unreachable_provider_means_try_again(database: TestDatabase) {
    let key = TestKey::generate("k1");
    // A port that was free a moment ago: nothing answers there.
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a port");
    let address = closed.local_addr().expect("address");
    drop(closed);
    let oidc = oidc_settings(&format!("http://{address}/certs"), 0);
    let app = spawn_app_with(database, move |settings| settings.oidc = Some(oidc)).await;
    let answer = me(
        &app,
        &key.sign(&claims("maija@hel.fi", json!(["palaute-admin"]))),
    )
    .await;
    assert_eq!(error_code(&answer), "INTERNAL", "{answer}");
    app.stop().await;
}

on_every_backend!(
    city_sign_in_gives_the_claimed_role_and_units,
    forged_foreign_and_stale_tokens_are_refused,
    rotated_keys_are_fetched_again,
    made_up_key_ids_do_not_hammer_the_provider,
    a_disabled_account_stays_disabled,
    an_unreachable_provider_means_try_again,
);
