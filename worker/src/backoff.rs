//! When a failed job runs again.

use std::time::Duration;

use rand::Rng;

/// Capped exponential backoff with jitter: attempt 1 waits about `base`, each further
/// attempt doubles it up to `cap`; the wait is drawn from the upper half of that range
/// so that jobs failing together do not retry together.
pub(crate) fn retry_delay(attempts: i32, base: Duration, cap: Duration) -> Duration {
    let exponent = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(0)
        .min(30);
    let uncapped = base.saturating_mul(1u32 << exponent);
    let ceiling = uncapped.min(cap);
    let jitter = rand::rng().random_range(0.5..=1.0);
    ceiling.mul_f64(jitter)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_until_the_cap_and_jitters_within_half() {
        let base = Duration::from_secs(1);
        let cap = Duration::from_secs(60);
        for (attempts, ceiling) in [(1, 1), (2, 2), (3, 4), (7, 60), (40, 60)] {
            let delay = retry_delay(attempts, base, cap);
            let ceiling = Duration::from_secs(ceiling);
            assert!(delay <= ceiling, "attempt {attempts}: {delay:?}");
            assert!(delay >= ceiling / 2, "attempt {attempts}: {delay:?}");
        }
    }
}
