//! The store's connections: opened before the gateway accepts, or — when the database cannot
//! be reached at start — by a background task that keeps trying while the gateway serves
//! what needs no store and answers 503 for the rest.

use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use agentgw_core::{BackendError, Outage};
use sqlx::AnyPool;

use crate::checkpoint::Checkpointer;
use crate::reader::Reader;

/// A connected store: its pools, and on a SQLite file the inline reader and the checkpointer.
pub(crate) struct Open {
    /// Reads. On a SQLite file, several connections beside the writer.
    pub read: AnyPool,
    /// Writes. On a SQLite file one connection, whose queue sqlx serves in order: SQLite lets
    /// one writer in at a time, and writers on several connections waited for its lock in its
    /// busy handler, sleeping up to 100 ms a turn in no order. On PostgreSQL, which locks
    /// rows, and in memory, the same pool as `read`.
    pub write: AnyPool,
    /// Inline point reads, on a SQLite file (see `reader`).
    pub reader: Option<Reader>,
    /// WAL checkpoints off the request path, on a SQLite file (see `checkpoint`).
    pub checkpointer: Option<Checkpointer>,
}

/// The connections every statement takes: a handle that every tenant, id map and journal of
/// one store share, connected now or later.
#[derive(Clone)]
pub(crate) struct Pools(Arc<Link>);

struct Link {
    open: OnceLock<Open>,
    /// While not open: why the last attempt failed (for `/readyz` and the logs).
    waiting: Mutex<String>,
    /// The task that keeps trying, while there is one.
    retrying: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

impl Pools {
    /// Pools already connected.
    pub(crate) fn ready(open: Open) -> Pools {
        let link = Link {
            open: OnceLock::from(open),
            waiting: Mutex::new(String::new()),
            retrying: Mutex::new(None),
        };
        Pools(Arc::new(link))
    }

    /// Pools not connected yet; `why` the first attempt failed.
    pub(crate) fn waiting(why: String) -> Pools {
        Pools(Arc::new(Link {
            open: OnceLock::new(),
            waiting: Mutex::new(why),
            retrying: Mutex::new(None),
        }))
    }

    /// The connected store, or the 503 of a store not reached yet.
    pub(crate) fn open(&self) -> Result<&Open, BackendError> {
        self.0.open.get().ok_or_else(|| {
            // Counted per request; the retrying task logs, once per attempt.
            agentgw_core::telemetry::STORE_ERRORS
                .counter([Outage::NotConnected.as_str().into()])
                .increment(1);
            BackendError::unavailable(Outage::NotConnected, self.why_waiting())
        })
    }

    /// The reading pool.
    pub(crate) fn read(&self) -> Result<&AnyPool, BackendError> {
        Ok(&self.open()?.read)
    }

    /// The writing pool.
    pub(crate) fn write(&self) -> Result<&AnyPool, BackendError> {
        Ok(&self.open()?.write)
    }

    /// The inline SQLite reader, when connected to a SQLite file.
    pub(crate) fn reader(&self) -> Option<&Reader> {
        self.0.open.get()?.reader.as_ref()
    }

    /// Why the store is not connected yet (empty once it is).
    pub(crate) fn why_waiting(&self) -> String {
        self.0.waiting.lock().map(|w| w.clone()).unwrap_or_default()
    }

    /// Keep calling `attempt` with capped back-off until it connects, then serve with it.
    /// Each failure is logged once, with the wait before the next attempt.
    pub(crate) fn retry<F, Fut>(&self, target: String, attempt: F)
    where
        F: Fn() -> Fut + Send + 'static,
        Fut: std::future::Future<Output = Result<Open, crate::StoreError>> + Send,
    {
        let link = self.0.clone();
        let task = tokio::spawn(async move {
            let mut wait = FIRST_WAIT;
            let mut attempts = 1u32;
            loop {
                tracing::error!(
                    store = %target,
                    reason = %link.waiting.lock().map(|w| w.clone()).unwrap_or_default(),
                    retry_in_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX),
                    attempts,
                    "store: cannot reach the database; store routes answer 503 until it answers"
                );
                tokio::time::sleep(wait).await;
                attempts += 1;
                match attempt().await {
                    Ok(open) => {
                        let _ = link.open.set(open);
                        if let Ok(mut w) = link.waiting.lock() {
                            w.clear();
                        }
                        tracing::info!(store = %target, attempts, "store connected; serving");
                        return;
                    }
                    Err(e) => {
                        if let Ok(mut w) = link.waiting.lock() {
                            *w = e.to_string();
                        }
                        wait = (wait * 2).min(MAX_WAIT);
                    }
                }
            }
        });
        if let Ok(mut retrying) = self.0.retrying.lock() {
            *retrying = Some(task);
        }
    }

    /// Stop trying to connect (the gateway is shutting down).
    pub(crate) fn stop_retrying(&self) {
        if let Some(task) = self.0.retrying.lock().ok().and_then(|mut r| r.take()) {
            task.abort();
        }
    }
}

/// The first wait after a failed attempt; each failure doubles it.
const FIRST_WAIT: Duration = Duration::from_millis(500);
/// The longest wait between two attempts.
const MAX_WAIT: Duration = Duration::from_secs(30);
