//! Capped exponential backoff with jitter, for reconnecting and for retrying ingest.

use std::time::Duration;

use rand::Rng;

#[derive(Debug, Clone)]
pub(crate) struct Backoff {
    first: Duration,
    cap: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(first: Duration, cap: Duration) -> Self {
        Self {
            first,
            cap,
            next: first,
        }
    }

    /// The delay to wait now: the current step, less up to half of it at random so that
    /// many pollers do not retry in step; the following step doubles, up to the cap.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let step = self.next;
        self.next = step.saturating_mul(2).min(self.cap);
        step.mul_f64(rand::rng().random_range(0.5..=1.0))
    }

    /// After a success: the next failure waits the shortest delay again.
    pub(crate) fn reset(&mut self) {
        self.next = self.first;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_and_reset() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(5));
        let steps: Vec<Duration> = (0..5).map(|_| backoff.next_delay()).collect();
        let bounds = [1, 2, 4, 5, 5].map(Duration::from_secs);
        for (delay, bound) in steps.iter().zip(bounds) {
            assert!(
                *delay <= bound && *delay >= bound / 2,
                "{delay:?} for {bound:?}"
            );
        }
        backoff.reset();
        assert!(backoff.next_delay() <= Duration::from_secs(1));
    }
}
