//! Shared by the storage tests: a migrated store with Helsinki's organisation.

use palaute_core::Organisation;
use palaute_store::Store;
use palaute_testkit::TestDatabase;

pub async fn open(database: &TestDatabase) -> Store {
    let store = Store::connect(&database.url, 5).await.expect("connect");
    store.migrate().await.expect("migrate");
    store
        .sync_organisation(&Organisation::helsinki())
        .await
        .expect("sync organisation");
    store
}
