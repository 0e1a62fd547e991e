//! Where the live feed stands in the change log, and which ids it skipped.
//!
//! Event ids are handed out at insert but become visible at commit, and on PostgreSQL
//! concurrent transactions commit in any order: the feed may read id 7 while id 6 is
//! still uncommitted. A skipped id is therefore asked for again, alongside the new
//! ones, until it turns up or `wait` has passed (its transaction rolled back, or the
//! sequence skipped it). A transaction that commits its event later than `wait`
//! after a later id was read is missed; writes of case changes are short.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// Skipped ids remembered at most; a huge gap (a bulk import rolled back) keeps only
/// the newest ones.
const MAX_PENDING: usize = 4_096;

#[derive(Debug)]
pub(crate) struct Cursor {
    /// Every id up to here was read or is in `pending`.
    after: i64,
    /// Skipped ids, with when they were first found missing.
    pending: BTreeMap<i64, Instant>,
    wait: Duration,
}

impl Cursor {
    pub(crate) fn new(after: i64, wait: Duration) -> Self {
        Self {
            after,
            pending: BTreeMap::new(),
            wait,
        }
    }

    pub(crate) fn after(&self) -> i64 {
        self.after
    }

    /// The skipped ids still worth asking for; forgets those older than `wait`.
    pub(crate) fn pending(&mut self, now: Instant) -> Vec<i64> {
        let wait = self.wait;
        self.pending
            .retain(|_, missed_at| now.saturating_duration_since(*missed_at) < wait);
        self.pending.keys().copied().collect()
    }

    /// Records ids just read (in increasing order among the new ones); says for each
    /// whether it is news (false for an id already passed on, which cannot happen with
    /// the feed's query but is cheap to guard).
    pub(crate) fn advance(&mut self, id: i64, now: Instant) -> bool {
        if self.pending.remove(&id).is_some() {
            return true;
        }
        if id <= self.after {
            return false;
        }
        let first_skipped = self.after.saturating_add(1);
        let skipped = id.saturating_sub(first_skipped);
        // Only the newest MAX_PENDING of a wide gap are remembered.
        let from = first_skipped.max(id.saturating_sub(MAX_PENDING as i64));
        if skipped > 0 {
            for missing in from..id {
                self.pending.insert(missing, now);
            }
        }
        while self.pending.len() > MAX_PENDING {
            self.pending.pop_first();
        }
        self.after = id;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skipped_id_is_asked_for_until_it_arrives() {
        let now = Instant::now();
        let mut cursor = Cursor::new(5, Duration::from_secs(10));
        assert!(cursor.advance(7, now));
        assert_eq!(cursor.after(), 7);
        assert_eq!(cursor.pending(now), vec![6]);
        assert!(cursor.advance(6, now));
        assert!(cursor.pending(now).is_empty());
        assert!(
            !cursor.advance(6, now),
            "an id passed on once is not news again"
        );
    }

    #[test]
    fn a_skipped_id_is_given_up_after_the_wait() {
        let now = Instant::now();
        let mut cursor = Cursor::new(0, Duration::from_secs(10));
        cursor.advance(3, now);
        assert_eq!(cursor.pending(now), vec![1, 2]);
        assert!(cursor.pending(now + Duration::from_secs(11)).is_empty());
    }

    #[test]
    fn a_wide_gap_keeps_only_the_newest_ids() {
        let now = Instant::now();
        let mut cursor = Cursor::new(0, Duration::from_secs(10));
        cursor.advance(1_000_000, now);
        let pending = cursor.pending(now);
        assert_eq!(pending.len(), MAX_PENDING);
        assert_eq!(pending.last(), Some(&999_999));
    }
}
