//! Mutated organisation files: every one is either loaded or refused with problems
//! named by place, on a thread with the stack a tokio worker has; none panics or
//! overflows the stack.
//!
//! `PALAUTE_FUZZ_CASES` (default 10,000) and `PALAUTE_FUZZ_SEED` as for the other
//! fuzz tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "a test or benchmark fails loudly when what it measures is not as expected"
)]

use palaute_core::Organisation;
use palaute_testkit::fuzz::{self, Rng, mutate};

const HELSINKI: &str = include_str!("../org/helsinki.toml");

#[test]
fn mutated_organisation_files_load_or_are_refused_cleanly() {
    let cases = fuzz::cases_from_env(10_000);
    let seed = fuzz::seed_from_env();
    println!("fuzzing {cases} organisation files with PALAUTE_FUZZ_SEED={seed}");
    let seeds = [
        HELSINKI,
        "triage_unit = \"t\"\n[[divisions]]\ncode = \"d\"\nname = { fi = \"D\", sv = \"D\", en = \"D\" }\n",
        "a = [[[[[[[[1]]]]]]]]\nb = { c = { d = { e = 1 } } }\n",
    ];
    let worker = std::thread::Builder::new()
        // The stack a tokio worker thread gets: what `serve` has when it loads a file.
        .stack_size(2 * 1024 * 1024)
        .spawn(move || {
            let mut rng = Rng::new(seed);
            let (mut loaded, mut refused) = (0usize, 0usize);
            for _ in 0..cases {
                let source = mutate(&mut rng, &seeds);
                match Organisation::from_toml(&source) {
                    Ok(_) => loaded += 1,
                    Err(error) => {
                        assert!(!error.problems.is_empty(), "a refusal names its problems");
                        refused += 1;
                    }
                }
            }
            (loaded, refused)
        })
        .expect("starting the fuzz thread");
    let (loaded, refused) = worker
        .join()
        .expect("no panic while loading organisation files");
    println!("{loaded} loaded, {refused} refused");
    assert_eq!(loaded + refused, cases);
}
