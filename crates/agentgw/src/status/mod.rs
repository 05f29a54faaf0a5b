//! The operator's view on the admin listener: `GET /` is a server-rendered status page (no
//! JavaScript needed), `GET /?format=json` its JSON twin with the same facts. Routes and
//! upstreams with their recent traffic (from `history`), upstream checks (`checks`), the
//! store, the migration journal, the configuration generation and readiness. Nothing secret
//! is shown: no credential, token, password hash or agent data, and URLs lose their passwords.

mod checks;
pub mod history;
mod view;

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use agentgw_core::Config;
use agentgw_store::Store;
use chrono::{DateTime, Utc};
use metrics_exporter_prometheus::PrometheusHandle;

use crate::backends::Upstreams;
pub use view::{Query, page};

/// What a reload did.
#[derive(Debug, Clone)]
pub struct Reload {
    pub at: DateTime<Utc>,
    /// The problems that refused it; empty when it was accepted.
    pub problems: Vec<String>,
}

/// The configuration being served, and how it came to be.
struct Current {
    config: Arc<Config>,
    upstreams: Arc<Upstreams>,
    generation: u64,
    since: DateTime<Utc>,
    last_reload: Option<Reload>,
}

/// Everything the status page reads, shared by the server (which reports generations and
/// reloads) and the admin listener.
pub struct Status {
    started: DateTime<Utc>,
    started_at: Instant,
    store: Store,
    metrics: PrometheusHandle,
    current: Mutex<Current>,
    history: Mutex<history::History>,
    checks: Mutex<BTreeMap<String, checks::Check>>,
}

impl Status {
    /// The status of a gateway serving `config` (its first generation) over `store`.
    pub fn new(
        config: &Config,
        upstreams: Arc<Upstreams>,
        store: Store,
        metrics: PrometheusHandle,
    ) -> Arc<Status> {
        let now = Utc::now();
        Arc::new(Status {
            started: now,
            started_at: Instant::now(),
            store,
            metrics,
            current: Mutex::new(Current {
                config: Arc::new(config.clone()),
                upstreams,
                generation: 1,
                since: now,
                last_reload: None,
            }),
            history: Mutex::new(history::History::default()),
            checks: Mutex::new(BTreeMap::new()),
        })
    }

    /// A reload was accepted: `config` is served from now on.
    pub fn reloaded(&self, config: &Config, upstreams: Arc<Upstreams>) {
        let now = Utc::now();
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current.config = Arc::new(config.clone());
        current.upstreams = upstreams;
        current.generation += 1;
        current.since = now;
        current.last_reload = Some(Reload {
            at: now,
            problems: Vec::new(),
        });
    }

    /// A reload was refused: the running configuration stays.
    pub fn refused(&self, error: &anyhow::Error) {
        let problems = format!("{error:#}")
            .lines()
            .map(|l| l.trim().trim_start_matches("- ").to_owned())
            .filter(|l| !l.is_empty())
            .collect();
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current.last_reload = Some(Reload {
            at: Utc::now(),
            problems,
        });
    }

    fn config(&self) -> (Arc<Config>, Arc<Upstreams>) {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        (current.config.clone(), current.upstreams.clone())
    }

    /// The configuration served, its upstreams and its generation, read together.
    fn current(&self) -> (Arc<Config>, Arc<Upstreams>, view::Generation) {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        let generation = view::Generation {
            number: current.generation,
            since: view::time(current.since),
            last_reload: current.last_reload.as_ref().map(|r| view::ReloadView {
                at: view::time(r.at),
                accepted: r.problems.is_empty(),
                problems: r.problems.clone(),
            }),
        };
        (
            current.config.clone(),
            current.upstreams.clone(),
            generation,
        )
    }

    /// Take a snapshot of the metrics and check the upstreams, now and then forever (the
    /// task ends with the runtime it was spawned on).
    pub fn watch(self: &Arc<Self>) {
        let status = self.clone();
        actix_web::rt::spawn(async move {
            let mut tick = tokio::time::interval(history::EVERY);
            let mut round: u64 = 0;
            loop {
                tick.tick().await;
                let snapshot = history::Snapshot::read(&status.metrics.render());
                status
                    .history
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(Instant::now(), snapshot);
                if round.is_multiple_of(checks::EVERY_ROUNDS) {
                    let (config, _) = status.config();
                    let results = checks::run(&config).await;
                    *status.checks.lock().unwrap_or_else(PoisonError::into_inner) = results;
                }
                round += 1;
            }
        });
    }

    /// Whether `Authorization` carries the admin token (always, without one).
    pub fn admits(&self, authorization: Option<&str>) -> bool {
        let (config, _) = self.config();
        match config.admin.as_ref().and_then(|a| a.token.as_ref()) {
            None => true,
            // The scheme is case-insensitive (RFC 7235 §2.1); the token is compared in
            // constant time.
            Some(token) => authorization
                .and_then(|h| h.trim().split_once(' '))
                .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                .is_some_and(|(_, given)| token.matches(given.trim())),
        }
    }
}
