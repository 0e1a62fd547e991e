//! The routing models a worker routes with: the live one and the candidates in shadow,
//! loaded from the store and kept until their roles change. Before each case the
//! worker asks the store which models run (one small query), so a promotion made by
//! any process takes effect on the next case.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

use anyhow::Context;
use palaute_routing::router::Router;
use palaute_store::{ModelRole, Store};
use tracing::{error, info};

/// A stored model, ready to predict.
#[derive(Clone)]
pub struct LoadedRouter {
    pub id: i64,
    pub router: Arc<Router>,
}

/// The models that run right now.
#[derive(Clone, Default)]
pub struct RunningModels {
    pub live: Option<LoadedRouter>,
    pub candidates: Vec<LoadedRouter>,
    roles: Vec<(i64, ModelRole)>,
}

pub struct ModelCache {
    store: Store,
    state: Mutex<CacheState>,
    /// Held while loading, so that concurrent cases wait for one load of a new model
    /// instead of each reading megabytes of weights.
    loading: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct CacheState {
    running: Arc<RunningModels>,
    /// Models that could not be loaded (another format, damaged): not tried again, so
    /// a bad model costs one error in the log, not one per case.
    unloadable: BTreeSet<i64>,
}

impl ModelCache {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            state: Mutex::new(CacheState::default()),
            loading: tokio::sync::Mutex::new(()),
        }
    }

    /// The models that run now, loading those not loaded yet.
    pub async fn running(&self) -> anyhow::Result<Arc<RunningModels>> {
        let roles = self
            .store
            .running_routing_models()
            .await
            .context("listing the running routing models")?;
        if let Some(running) = self.current_if(&roles) {
            return Ok(running);
        }
        let _loading = self.loading.lock().await;
        // Another case may have loaded them while this one waited.
        if let Some(running) = self.current_if(&roles) {
            return Ok(running);
        }
        let (known, unloadable) = {
            let state = self.lock();
            let known: BTreeMap<i64, Arc<Router>> = state
                .running
                .live
                .iter()
                .chain(&state.running.candidates)
                .map(|loaded| (loaded.id, Arc::clone(&loaded.router)))
                .collect();
            (known, state.unloadable.clone())
        };

        let mut running = RunningModels {
            roles: roles.clone(),
            ..RunningModels::default()
        };
        let mut failed = Vec::new();
        for (id, role) in roles {
            if unloadable.contains(&id) {
                continue;
            }
            let router = match known.get(&id) {
                Some(router) => Arc::clone(router),
                None => match self.load(id).await {
                    Ok((router, bytes, seconds)) => {
                        info!(model = id, role = %role, bytes, seconds, "routing model loaded");
                        router
                    }
                    Err(error) => {
                        error!(
                            model = id,
                            error = format!("{error:#}"),
                            "routing model cannot be loaded; it is skipped"
                        );
                        failed.push(id);
                        continue;
                    }
                },
            };
            let loaded = LoadedRouter { id, router };
            match role {
                ModelRole::Live => running.live = Some(loaded),
                ModelRole::Candidate => running.candidates.push(loaded),
                ModelRole::Retired => {}
            }
        }
        let running = Arc::new(running);
        let mut state = self.lock();
        state.unloadable.extend(failed);
        state.running = Arc::clone(&running);
        Ok(running)
    }

    /// The loaded models, if they are the ones with `roles`.
    fn current_if(&self, roles: &[(i64, ModelRole)]) -> Option<Arc<RunningModels>> {
        let state = self.lock();
        (state.running.roles == roles).then(|| Arc::clone(&state.running))
    }

    /// The model, its stored size and how long reading it took.
    async fn load(&self, id: i64) -> anyhow::Result<(Arc<Router>, usize, f64)> {
        let started = std::time::Instant::now();
        let payload = self
            .store
            .routing_model_payload(id)
            .await
            .context("reading the model")?
            .context("the model is gone")?;
        let bytes = payload.len();
        // Parsing megabytes of weights is CPU work: keep it off the async threads.
        let router = tokio::task::spawn_blocking(move || Router::from_bytes(&payload))
            .await
            .context("the loading task failed")??;
        Ok((Arc::new(router), bytes, started.elapsed().as_secs_f64()))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, CacheState> {
        // A panic while holding the lock leaves only a cache behind: keep using it.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
