//! How fast one client may go: a token bucket per key (client address, staff token),
//! kept in memory by each process. Every door (GraphQL, Open311) takes its limits from
//! here, and finds the client's address the same way ([`client_address`]).
//!
//! The bucket is the generic cell rate algorithm: a key stores only the time at which
//! its bucket would be full again, so a check is one map lookup and no timer runs.
//! Keys whose bucket is full again are forgotten when the map grows, so a flood of
//! distinct addresses costs bounded memory.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::settings::RateLimitSettings;

/// Keys kept before full buckets are swept out.
const SWEEP_ABOVE: usize = 10_000;

/// `rate` requests per `period` after a burst of `burst`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    /// Time one request costs.
    interval: Duration,
    /// How far ahead of now a key may run before it is refused: the burst.
    tolerance: Duration,
}

impl Quota {
    /// `None` when `rate` is 0, which means no limit.
    pub fn new(rate: u32, period: Duration, burst: u32) -> Option<Self> {
        if rate == 0 {
            return None;
        }
        let interval = period / rate;
        Some(Self {
            interval,
            tolerance: interval.saturating_mul(burst.max(1)),
        })
    }
}

/// Refused: try again after `retry_after`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub retry_after: Duration,
}

impl Limited {
    /// Whole seconds for `Retry-After`, never 0.
    pub fn retry_after_seconds(&self) -> u64 {
        self.retry_after.as_secs() + u64::from(self.retry_after.subsec_nanos() > 0)
    }
}

/// Token buckets per key under one quota.
#[derive(Debug)]
pub struct KeyedLimiter<K> {
    quota: Quota,
    /// When each key's bucket is full again.
    full_at: Mutex<HashMap<K, Instant>>,
}

impl<K: Eq + Hash + Clone> KeyedLimiter<K> {
    pub fn new(quota: Quota) -> Self {
        Self {
            quota,
            full_at: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` could take a request now, without taking it.
    pub fn peek(&self, key: &K, now: Instant) -> Result<(), Limited> {
        self.take(key, now, false)
    }

    /// Takes one request from `key`'s bucket, or says how long to wait.
    pub fn check(&self, key: &K, now: Instant) -> Result<(), Limited> {
        self.take(key, now, true)
    }

    fn take(&self, key: &K, now: Instant, commit: bool) -> Result<(), Limited> {
        let mut full_at = match self.full_at.lock() {
            Ok(guard) => guard,
            // A panic elsewhere while holding the lock leaves plain data behind.
            Err(poisoned) => poisoned.into_inner(),
        };
        if commit && full_at.len() > SWEEP_ABOVE {
            full_at.retain(|_, at| *at > now);
        }
        let start = full_at
            .get(key)
            .copied()
            .filter(|at| *at > now)
            .unwrap_or(now);
        let next = start + self.quota.interval;
        let ahead = next.saturating_duration_since(now);
        if ahead > self.quota.tolerance {
            return Err(Limited {
                retry_after: ahead - self.quota.tolerance,
            });
        }
        if commit {
            full_at.insert(key.clone(), next);
        }
        Ok(())
    }
}

/// The part of a client address that identifies a client: an IPv6 client usually
/// holds a whole /64, so limiting single addresses there would limit nothing.
pub fn client_key(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                segments[4..].fill(0);
                IpAddr::V6(segments.into())
            }
        },
    }
}

/// The bucket of anonymous submissions per client address that `[rate_limits]` sets:
/// `submissions_per_minute` after `submission_burst`; `None` when limits are off or
/// the rate is 0. One is shared by every door that takes submissions (GraphQL,
/// Open311), so a client has one budget whichever door it uses.
pub fn submission_limiter(limits: &RateLimitSettings) -> Option<Arc<KeyedLimiter<IpAddr>>> {
    if !limits.enabled {
        return None;
    }
    Quota::new(
        limits.submissions_per_minute,
        Duration::from_secs(60),
        limits.submission_burst,
    )
    .map(|quota| Arc::new(KeyedLimiter::new(quota)))
}

/// The address of the TCP peer, put into every request's extensions by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddress(pub SocketAddr);

/// The client's address: the peer's, or behind `hops` trusted reverse proxies the
/// `X-Forwarded-For` entry that the outermost of them added (entries further left are
/// the client's own word). `forwarded` holds the values of every `X-Forwarded-For`
/// header line, in order.
pub fn client_address<'a>(
    forwarded: impl IntoIterator<Item = &'a str>,
    peer: Option<IpAddr>,
    hops: usize,
) -> IpAddr {
    let peer = peer.unwrap_or(IpAddr::from([0, 0, 0, 0]));
    if hops == 0 {
        return peer;
    }
    let entries: Vec<&str> = forwarded
        .into_iter()
        .flat_map(|value| value.split(','))
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .collect();
    // Fewer entries than proxies: the request did not come through them all, so no
    // entry can be trusted.
    entries
        .len()
        .checked_sub(hops)
        .and_then(|index| entries.get(index))
        .and_then(|entry| entry.parse().ok())
        .unwrap_or(peer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let limiter =
            KeyedLimiter::new(Quota::new(10, Duration::from_secs(60), 20).expect("quota"));
        let start = Instant::now();
        let passed = (0..100)
            .filter(|_| limiter.check(&"a", start).is_ok())
            .count();
        assert_eq!(passed, 20, "the burst");
        let refused = limiter.check(&"a", start).expect_err("over the burst");
        assert_eq!(refused.retry_after, Duration::from_secs(6));
        assert_eq!(refused.retry_after_seconds(), 6);
        assert!(
            limiter.peek(&"a", start).is_err(),
            "peeking sees the empty bucket"
        );
        assert!(limiter.peek(&"b", start).is_ok());
        assert!(limiter.peek(&"b", start).is_ok(), "peeking takes nothing");
        // One request's worth of time later, one more passes, and only one.
        let later = start + Duration::from_secs(6);
        assert!(limiter.check(&"a", later).is_ok());
        assert!(limiter.check(&"a", later).is_err());
        // Other keys have their own bucket.
        assert!(limiter.check(&"b", start).is_ok());
    }

    #[test]
    fn zero_rate_means_no_limit() {
        assert!(Quota::new(0, Duration::from_secs(1), 5).is_none());
    }

    #[test]
    fn full_buckets_are_forgotten_when_many_keys_arrive() {
        let limiter = KeyedLimiter::new(Quota::new(1, Duration::from_secs(1), 1).expect("quota"));
        let start = Instant::now();
        for key in 0..=SWEEP_ABOVE {
            assert!(limiter.check(&key, start).is_ok());
        }
        let later = start + Duration::from_secs(5);
        assert!(limiter.check(&0, later).is_ok());
        let kept = limiter.full_at.lock().map(|map| map.len()).unwrap_or(0);
        assert_eq!(kept, 1, "only the key just used remains");
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let one: IpAddr = "2001:db8:1:2:aaaa::1".parse().expect("ip");
        let other: IpAddr = "2001:db8:1:2:bbbb::9".parse().expect("ip");
        assert_eq!(client_key(one), client_key(other));
        let mapped: IpAddr = "::ffff:192.0.2.7".parse().expect("ip");
        assert_eq!(
            client_key(mapped),
            "192.0.2.7".parse::<IpAddr>().expect("ip")
        );
    }

    #[test]
    fn the_client_is_the_entry_the_trusted_proxies_added() {
        let peer: IpAddr = "10.0.0.2".parse().expect("ip");
        let ip = |text: &str| text.parse::<IpAddr>().expect("ip");
        // No trusted proxy: the header is the client's own word and is ignored.
        assert_eq!(client_address(["203.0.113.9"], Some(peer), 0), peer);
        // One proxy appends the address it saw; whatever the client wrote stays left.
        let one = ["198.51.100.1, 203.0.113.7"];
        assert_eq!(client_address(one, Some(peer), 1), ip("203.0.113.7"));
        // Two proxies, the header split over two lines.
        let two = ["198.51.100.1, 203.0.113.7", "10.0.0.1"];
        assert_eq!(client_address(two, Some(peer), 2), ip("203.0.113.7"));
        // Fewer entries than proxies, or garbage: the peer.
        assert_eq!(client_address(one, Some(peer), 5), peer);
        assert_eq!(client_address(["not an address"], Some(peer), 1), peer);
        assert_eq!(client_address([], Some(peer), 1), peer);
    }
}
