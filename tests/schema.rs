//! `schema.graphql` at the repository root is the schema the API serves. This test
//! fails when it is stale; `UPDATE_SCHEMA=1 cargo test --test schema` rewrites it.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

#[test]
fn checked_in_schema_matches_the_served_schema() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("schema.graphql");
    let served = palaute_api::schema_sdl();
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(&path, &served).expect("writing schema.graphql");
        return;
    }
    let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        checked_in == served,
        "schema.graphql is stale: run `UPDATE_SCHEMA=1 cargo test --test schema` and commit it"
    );
}
