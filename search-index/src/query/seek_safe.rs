//! A query wrapper whose scorer answers `seek_danger` by plain `seek`.
//!
//! Tantivy 0.27's `PhraseScorer::seek_danger` debug-asserts `target >= doc()`, although the
//! `seek_danger` contract lets a caller go on after a miss that left the scorer ahead of its
//! next target. An excluded phrase (`-"on rikki"`, even through tantivy's own query parser)
//! trips it, so builds with debug assertions panic (quickwit-oss/tantivy#2811); release
//! builds skip the assertion and answer correctly. Behind this wrapper the phrase scorer
//! only ever sees `advance` and forward `seek` from a valid state, at the price of the
//! `seek_danger` shortcut, which a city's case count never misses.

use tantivy::query::{EnableScoring, Explanation, Query, Scorer, Weight};
use tantivy::{DocId, DocSet, Score, SegmentReader, Term};

#[derive(Debug)]
pub(crate) struct SeekSafe(pub(crate) Box<dyn Query>);

impl Clone for SeekSafe {
    fn clone(&self) -> Self {
        Self(self.0.box_clone())
    }
}

impl Query for SeekSafe {
    fn weight(&self, enable_scoring: EnableScoring<'_>) -> tantivy::Result<Box<dyn Weight>> {
        Ok(Box::new(SeekSafeWeight(self.0.weight(enable_scoring)?)))
    }

    fn query_terms<'a>(&'a self, visitor: &mut dyn FnMut(&'a Term, bool)) {
        self.0.query_terms(visitor);
    }
}

struct SeekSafeWeight(Box<dyn Weight>);

impl Weight for SeekSafeWeight {
    fn scorer(&self, reader: &SegmentReader, boost: Score) -> tantivy::Result<Box<dyn Scorer>> {
        Ok(Box::new(SeekSafeScorer(self.0.scorer(reader, boost)?)))
    }

    fn explain(&self, reader: &SegmentReader, doc: DocId) -> tantivy::Result<Explanation> {
        self.0.explain(reader, doc)
    }
}

/// Forwards everything but `seek_danger`, which keeps the trait's default: `seek` when
/// behind the target, never a call that could leave the inner scorer in an invalid state.
struct SeekSafeScorer(Box<dyn Scorer>);

impl DocSet for SeekSafeScorer {
    fn advance(&mut self) -> DocId {
        self.0.advance()
    }

    fn seek(&mut self, target: DocId) -> DocId {
        // Never backwards: the phrase scorer asserts that too.
        let doc = self.0.doc();
        if doc >= target {
            return doc;
        }
        self.0.seek(target)
    }

    fn doc(&self) -> DocId {
        self.0.doc()
    }

    fn size_hint(&self) -> u32 {
        self.0.size_hint()
    }

    fn cost(&self) -> u64 {
        self.0.cost()
    }
}

impl Scorer for SeekSafeScorer {
    fn score(&mut self) -> Score {
        self.0.score()
    }
}
