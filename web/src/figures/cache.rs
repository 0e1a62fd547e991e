//! The public figures, computed at most once per `FRESH_FOR` in this process. A year
//! of cases takes a second or two to summarise, and the public page asks for no token:
//! without this, every anonymous request would cost that much. Requests that arrive
//! while the figures are being computed wait for that one computation rather than
//! starting their own. A unit's figures (staff only) are not kept.

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use palaute_store::StatsRange;
use tokio::sync::Mutex;

use super::model::Figures;

/// As long as the page's `Cache-Control: max-age` lets a browser keep it.
pub const FRESH_FOR: Duration = Duration::from_secs(300);

/// Figures and the range they cover.
#[derive(Clone)]
pub struct Computed {
    pub figures: Arc<Figures>,
    pub range: StatsRange,
}

#[derive(Clone, Default)]
pub struct PublicFigures {
    slot: Arc<Mutex<Option<(Instant, Computed)>>>,
}

impl PublicFigures {
    /// The kept figures while fresh, or new ones from `compute` (kept if it succeeds).
    pub async fn get_or_compute<E, F>(&self, compute: impl FnOnce() -> F) -> Result<Computed, E>
    where
        F: Future<Output = Result<Computed, E>>,
    {
        // A tokio mutex: held across the computation on purpose (single flight).
        let mut slot = self.slot.lock().await;
        if let Some((at, computed)) = slot.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Ok(computed.clone());
        }
        let computed = compute().await?;
        *slot = Some((Instant::now(), computed.clone()));
        Ok(computed)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Utc;
    use palaute_store::{ServiceFigures, StatsRow};

    use super::*;

    fn computed() -> Computed {
        Computed {
            figures: Arc::new(Figures::from_store(ServiceFigures {
                weeks: Vec::new(),
                cases_by_week_and_channel: Vec::new(),
                total: StatsRow::default(),
            })),
            range: StatsRange::recent_weeks(Utc::now(), 1),
        }
    }

    #[tokio::test]
    async fn figures_are_computed_once_while_fresh_and_failures_are_not_kept() {
        let cache = PublicFigures::default();
        let failed: Result<Computed, &str> = cache.get_or_compute(|| async { Err("down") }).await;
        assert!(failed.is_err());
        let mut runs = 0;
        for _ in 0..3 {
            let result: Result<Computed, &str> = cache
                .get_or_compute(|| {
                    runs += 1;
                    async { Ok(computed()) }
                })
                .await;
            assert!(result.is_ok());
        }
        assert_eq!(runs, 1, "computed once, then kept");
    }
}
