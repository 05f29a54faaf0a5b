//! The concurrency layer: at most `max_concurrency` calls to one upstream in flight, each
//! holding its permit until its answer's body is read. Taken after the budget, so that a
//! call waiting for its turn in the rate limit holds no connection slot.

use std::sync::Arc;

use agentgw_core::BackendError;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// One upstream's limit on calls in flight.
#[derive(Clone)]
pub(crate) struct Concurrency {
    permits: Arc<Semaphore>,
}

impl Concurrency {
    /// At most `max` calls at once.
    pub fn new(max: usize) -> Concurrency {
        Concurrency {
            permits: Arc::new(Semaphore::new(max)),
        }
    }

    /// Wait for a slot; the call goes while the permit lives.
    pub async fn acquire(&self) -> Result<OwnedSemaphorePermit, BackendError> {
        self.permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| BackendError::Internal("upstream closed".into()))
    }
}
