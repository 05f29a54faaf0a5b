//! The retry layer: what one attempt's outcome means for the call. A 5xx, a timeout or no
//! connection is tried again — for idempotent methods only (GET, HEAD, PUT, DELETE: a POST
//! that timed out may have been done) — up to `retries` times, on a doubling back-off. A 429
//! is not this layer's: the vendor did nothing, so the budget holds the call and any method
//! is sent again (see `budget`).

use std::time::Duration;

use agentgw_core::BackendError;
use hyper::{Method, StatusCode};

use crate::transport::{Answer, Failure};

/// First back-off between retries (doubled each time).
const BACKOFF: Duration = Duration::from_millis(100);

/// What the call does after an attempt.
pub(crate) enum Next {
    /// The answer is the call's (any status below 500 but 429).
    Answer(Answer),
    /// The call failed: no more attempts.
    Fail(BackendError),
    /// Send it again after this wait.
    Again(Duration),
}

/// One call's retries.
pub(crate) struct Retries<'a> {
    upstream: &'a str,
    left: u32,
    backoff: Duration,
}

impl<'a> Retries<'a> {
    /// `retries` more attempts for an idempotent `method`, none for others.
    pub fn new(upstream: &'a str, method: &Method, retries: u32) -> Retries<'a> {
        let idempotent = matches!(
            *method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        Retries {
            upstream,
            left: if idempotent { retries } else { 0 },
            backoff: BACKOFF,
        }
    }

    /// What an attempt's `outcome` (not a 429, not a 401 renewed) means.
    pub fn after(&mut self, outcome: Result<Answer, Failure>) -> Next {
        let failure = match outcome {
            Ok(answer) if !answer.status.is_server_error() => return Next::Answer(answer),
            Ok(answer) => {
                let status = answer.status.as_u16();
                BackendError::Upstream {
                    status: Some(status),
                    message: format!("upstream `{}` answered {status}", self.upstream),
                }
            }
            Err(Failure::Timeout) => BackendError::Timeout,
            Err(Failure::Unreachable(reason)) => {
                if self.left == 0 {
                    tracing::warn!(upstream = %self.upstream, error = %reason, "upstream unreachable");
                }
                BackendError::Upstream {
                    status: None,
                    message: format!("upstream `{}` could not be reached", self.upstream),
                }
            }
            // An answer whose body was cut short: not sent again.
            Err(Failure::Body { status, reason }) => {
                return Next::Fail(BackendError::Upstream {
                    status: Some(status.as_u16()),
                    message: format!("upstream body could not be read: {reason}"),
                });
            }
        };
        if self.left == 0 {
            return Next::Fail(failure);
        }
        self.left -= 1;
        let wait = self.backoff;
        self.backoff = self.backoff.saturating_mul(2);
        Next::Again(wait)
    }
}

/// Whether an answer is the vendor's refusal for too many calls.
pub(crate) fn too_many(answer: &Answer) -> bool {
    answer.status == StatusCode::TOO_MANY_REQUESTS
}
