//! The staff queue over HTTP: tags, filters, orders and counts within scope; bulk
//! changes that apply to every case or to none; and a page whose query count does
//! not grow with its size. On SQLite and PostgreSQL.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

mod support;

use palaute_core::StaffRole;
use palaute_testkit::{TestDatabase, on_every_backend};
use serde_json::{Value, json};
use support::{TestApp, account, error_code, spawn_app, street_lamp};

const LIST: &str = "query($f: CaseFilterInput, $o: CaseOrderBy, $n: Int, $a: String) { cases(filter: $f, orderBy: $o, first: $n, after: $a) { totalCount pageInfo { hasNextPage endCursor } edges { node { reference status version tags assignee { email } contact { email } unit { code } } } } }";

fn listed_references(response: &Value) -> Vec<String> {
    response["data"]["cases"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no cases: {response}"))
        .iter()
        .map(|edge| edge["node"]["reference"].as_str().unwrap_or("").to_owned())
        .collect()
}

async fn list(app: &TestApp, token: &str, variables: Value) -> Value {
    app.graphql(LIST, variables, Some(token)).await
}

/// Submits `count` street lamp cases (routed to rakennusvirasto), oldest first.
async fn lamps(app: &TestApp, count: usize) -> Vec<String> {
    let mut references = Vec::new();
    for _ in 0..count {
        let (reference, _) = app.submit(street_lamp()).await;
        references.push(reference);
    }
    for reference in &references {
        app.wait_for_status(reference, &["ROUTED"]).await;
    }
    references
}

async fn bulk(app: &TestApp, token: &str, input: Value) -> Value {
    app.graphql(
        "mutation($input: BulkUpdateCasesInput!) { bulkUpdateCases(input: $input) { reference status version tags assignee { email } } }",
        json!({ "input": input }),
        Some(token),
    )
    .await
}

async fn items(app: &TestApp, references: &[String]) -> Vec<Value> {
    let mut items = Vec::new();
    for reference in references {
        items.push(json!({ "reference": reference, "version": app.case_version(reference).await }));
    }
    items
}

async fn bulk_changes_apply_to_all_or_none(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let me = "ville@hel.fi";
    let handler = account(&store, me, StaffRole::Handler, &["rakennusvirasto"], None).await;
    let references = lamps(&app, 10).await;

    // One reference that does not exist among ten: nothing changes, the culprit is named.
    let mut listed = items(&app, &references[..9]).await;
    listed.insert(4, json!({ "reference": "HEL-2026-999999", "version": 2 }));
    let response = bulk(
        &app,
        &handler,
        json!({ "cases": listed, "assigneeEmail": me }),
    )
    .await;
    assert_eq!(error_code(&response), "NOT_FOUND", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["index"], 4);
    assert_eq!(
        response["errors"][0]["extensions"]["reference"],
        "HEL-2026-999999"
    );
    // One stale version: the same.
    let mut listed = items(&app, &references).await;
    listed[7]["version"] = json!(1);
    let response = bulk(
        &app,
        &handler,
        json!({ "cases": listed, "assigneeEmail": me }),
    )
    .await;
    assert_eq!(error_code(&response), "CONFLICT", "{response}");
    assert_eq!(response["errors"][0]["extensions"]["index"], 7);
    let untouched = list(&app, &handler, json!({ "f": { "assignee": me } })).await;
    assert_eq!(untouched["data"]["cases"]["totalCount"], 0, "{untouched}");
    for reference in &references {
        assert_eq!(app.case_version(reference).await, 2, "nothing was changed");
    }

    // All valid: every case changes in one step.
    let response = bulk(
        &app,
        &handler,
        json!({ "cases": items(&app, &references).await, "assigneeEmail": me }),
    )
    .await;
    let changed = response["data"]["bulkUpdateCases"]
        .as_array()
        .unwrap_or_else(|| panic!("{response}"));
    assert_eq!(changed.len(), 10);
    assert!(changed.iter().all(|case| case["assignee"]["email"] == me));
    let response = bulk(
        &app,
        &handler,
        json!({ "cases": items(&app, &references[..3]).await, "addTags": ["Talvi", "toistuva"] }),
    )
    .await;
    assert_eq!(
        response["data"]["bulkUpdateCases"][0]["tags"],
        json!(["talvi", "toistuva"]),
        "{response}"
    );

    // Two changes at once, a bad tag and a handler's reassignment are refused.
    for (input, code) in [
        (
            json!({ "status": "RESOLVED", "unassign": true }),
            "BAD_USER_INPUT",
        ),
        (json!({ "addTags": ["two words"] }), "BAD_USER_INPUT"),
        (json!({ "reassign": { "unitCode": "hkl" } }), "FORBIDDEN"),
        (json!({}), "BAD_USER_INPUT"),
    ] {
        let mut input = input;
        input["cases"] = json!(items(&app, &references[..1]).await);
        let response = bulk(&app, &handler, input.clone()).await;
        assert_eq!(error_code(&response), code, "{input}: {response}");
    }
    app.stop().await;
}

async fn the_queue_filters_orders_and_counts_within_scope(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let me = "aino@hel.fi";
    let handler = account(&store, me, StaffRole::Handler, &["rakennusvirasto"], None).await;
    let references = lamps(&app, 5).await;
    let (elsewhere, _) = app
        .submit(json!({ "channel": "WEB", "description": "Katulamppu ei pala Hämeentiellä" }))
        .await;
    app.wait_for_status(&elsewhere, &["ROUTED"]).await;
    let version = app.case_version(&elsewhere).await;
    let moved = app
        .staff(
            "mutation($r: String!, $v: Int!) { reassignCase(input: {reference: $r, version: $v, unitCode: \"hkl\"}) { reference } }",
            json!({ "r": elsewhere, "v": version }),
        )
        .await;
    assert!(moved["data"]["reassignCase"].is_object(), "{moved}");

    // Take two, tag one, and change the oldest last.
    let response = bulk(
        &app,
        &handler,
        json!({ "cases": items(&app, &references[1..3]).await, "assigneeEmail": me }),
    )
    .await;
    assert!(response["data"].is_object(), "{response}");
    let version = app.case_version(&references[3]).await;
    let tagged = app
        .graphql(
            "mutation($r: String!, $v: Int!) { setCaseTags(input: {reference: $r, version: $v, add: [\"Katuvalo\"]}) { tags } }",
            json!({ "r": references[3], "v": version }),
            Some(&handler),
        )
        .await;
    assert_eq!(
        tagged["data"]["setCaseTags"]["tags"],
        json!(["katuvalo"]),
        "{tagged}"
    );
    let version = app.case_version(&references[0]).await;
    let noted = app
        .graphql(
            "mutation($r: String!, $v: Int!) { addInternalNote(input: {reference: $r, version: $v, body: \"tarkistettu\"}) { version } }",
            json!({ "r": references[0], "v": version }),
            Some(&handler),
        )
        .await;
    assert!(noted["data"].is_object(), "{noted}");

    let newest = list(&app, &handler, json!({})).await;
    let mut expected: Vec<String> = references.iter().rev().cloned().collect();
    assert_eq!(
        listed_references(&newest),
        expected,
        "newest first, only my unit"
    );
    expected.reverse();
    let oldest = list(&app, &handler, json!({ "o": "OLDEST" })).await;
    assert_eq!(listed_references(&oldest), expected);
    let changed = list(&app, &handler, json!({ "o": "LAST_CHANGE", "n": 2 })).await;
    assert_eq!(
        listed_references(&changed),
        [references[0].clone(), references[3].clone()]
    );
    // The cursor carries on exactly where the page ended.
    let cursor = changed["data"]["cases"]["pageInfo"]["endCursor"].clone();
    let next = list(
        &app,
        &handler,
        json!({ "o": "LAST_CHANGE", "n": 2, "a": cursor }),
    )
    .await;
    assert_eq!(
        next["data"]["cases"]["edges"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(!listed_references(&next).contains(&references[0]), "{next}");
    // Deadlines: soonest due first, and cursors that carry on through equal due times.
    let due = list(&app, &handler, json!({ "o": "DUE_DATE", "n": 3 })).await;
    assert_eq!(listed_references(&due), references[..3].to_vec(), "{due}");
    let cursor = due["data"]["cases"]["pageInfo"]["endCursor"].clone();
    let rest = list(&app, &handler, json!({ "o": "DUE_DATE", "a": cursor })).await;
    assert_eq!(listed_references(&rest), references[3..].to_vec(), "{rest}");
    let overdue = list(
        &app,
        &handler,
        json!({ "f": { "dueBefore": "2000-01-01T00:00:00Z" } }),
    )
    .await;
    assert_eq!(overdue["data"]["cases"]["totalCount"], 0, "{overdue}");
    let due_soon = list(
        &app,
        &handler,
        json!({ "f": { "dueBefore": "2100-01-01T00:00:00Z" } }),
    )
    .await;
    assert_eq!(due_soon["data"]["cases"]["totalCount"], 5, "{due_soon}");
    let bad_cursor = list(&app, &handler, json!({ "o": "LAST_CHANGE", "a": "12" })).await;
    assert_eq!(error_code(&bad_cursor), "BAD_USER_INPUT", "{bad_cursor}");

    let mine = list(&app, &handler, json!({ "f": { "assignee": me } })).await;
    assert_eq!(mine["data"]["cases"]["totalCount"], 2, "{mine}");
    let nobody = list(&app, &handler, json!({ "f": { "unassigned": true } })).await;
    assert_eq!(nobody["data"]["cases"]["totalCount"], 3, "{nobody}");
    let by_tag = list(&app, &handler, json!({ "f": { "tag": ["KATUVALO"] } })).await;
    assert_eq!(listed_references(&by_tag), [references[3].clone()]);
    let both = list(
        &app,
        &handler,
        json!({ "f": { "assignee": me, "unassigned": true } }),
    )
    .await;
    assert_eq!(error_code(&both), "BAD_USER_INPUT", "{both}");

    let counts = |group: &'static str| {
        let app = &app;
        let handler = handler.clone();
        async move {
            app.graphql(
                "query($g: CaseCountGroup!) { caseCounts(groupBy: $g) { key count } }",
                json!({ "g": group }),
                Some(&handler),
            )
            .await["data"]["caseCounts"]
                .clone()
        }
    };
    assert_eq!(
        counts("STATUS").await,
        json!([{ "key": "routed", "count": 3 }, { "key": "in_progress", "count": 2 }])
    );
    assert_eq!(
        counts("UNIT").await,
        json!([{ "key": "rakennusvirasto", "count": 5 }]),
        "another unit's case is not counted"
    );
    assert_eq!(
        counts("ASSIGNEE").await,
        json!([{ "key": null, "count": 3 }, { "key": me, "count": 2 }])
    );
    let everything = app
        .staff("{ caseCounts(groupBy: UNIT) { key count } }", json!({}))
        .await;
    assert_eq!(
        everything["data"]["caseCounts"],
        json!([{ "key": "rakennusvirasto", "count": 5 }, { "key": "hkl", "count": 1 }])
    );
    app.stop().await;
}

/// A page's cost in SQL statements does not grow with the number of cases on it:
/// contact, assignee and tags are loaded for the whole page at once.
async fn a_page_costs_the_same_queries_whatever_its_size(database: TestDatabase) {
    let app = spawn_app(database).await;
    let store = app.store().await;
    let handler = account(
        &store,
        "eero@hel.fi",
        StaffRole::Handler,
        &["rakennusvirasto"],
        None,
    )
    .await;
    let references = lamps(&app, 12).await;
    let response = bulk(
        &app,
        &handler,
        json!({ "cases": items(&app, &references).await, "assigneeEmail": "eero@hel.fi" }),
    )
    .await;
    assert!(response["data"].is_object(), "{response}");
    // The counter is the whole server's, background work included: the least of a
    // few runs is the request's own cost.
    let mut costs = Vec::new();
    for size in [2, 12] {
        let mut least = u64::MAX;
        for _ in 0..8 {
            let before = app.statements_run();
            let page = list(&app, &handler, json!({ "n": size })).await;
            least = least.min(app.statements_run() - before);
            assert_eq!(listed_references(&page).len(), size as usize, "{page}");
            assert!(
                page["data"]["cases"]["edges"][0]["node"]["contact"]["email"].is_string(),
                "{page}"
            );
        }
        costs.push(least);
    }
    // A query per case (contact, assignee, tags) would add 30 statements for the ten
    // more cases. Two are allowed: under load the DataLoader may split a page's loads
    // into two batches, or a background poll may land inside every timed request.
    assert!(
        costs[1] <= costs[0] + 2,
        "statements for 2 and 12 cases: {costs:?}"
    );
    app.stop().await;
}

on_every_backend!(
    bulk_changes_apply_to_all_or_none,
    the_queue_filters_orders_and_counts_within_scope,
    a_page_costs_the_same_queries_whatever_its_size,
);
