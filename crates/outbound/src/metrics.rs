//! The metrics layer: what every call to an upstream costs and how it ended, and what its
//! rate limit did. Handles are made once per upstream (no registry lookup per call); every
//! label value is an upstream's configured name or a fixed outcome.

use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{Counter, Histogram};
use agentgw_core::telemetry;

use crate::transport::{Answer, Failure};

/// The outcomes a call is counted by, in `CallMetrics::counts` order.
const OUTCOMES: [&str; 5] = ["ok", "4xx", "5xx", "timeout", "connect_error"];

/// One upstream's call metrics, each made on first use.
pub(crate) struct CallMetrics {
    upstream: String,
    counts: [OnceLock<Counter>; OUTCOMES.len()],
    duration: OnceLock<Histogram>,
    retries: OnceLock<Counter>,
}

impl CallMetrics {
    pub fn new(upstream: &str) -> CallMetrics {
        CallMetrics {
            upstream: upstream.to_owned(),
            counts: Default::default(),
            duration: OnceLock::new(),
            retries: OnceLock::new(),
        }
    }

    /// `agentgw_upstream_requests_total{upstream, outcome}` (ok, 4xx, 5xx, timeout,
    /// connect_error) and `agentgw_upstream_request_duration_seconds{upstream}`, per attempt.
    pub fn record(&self, outcome: &Result<Answer, Failure>, took: Duration) {
        let label = match outcome {
            Ok(answer) if answer.status.is_client_error() => "4xx",
            Ok(answer) if answer.status.is_server_error() => "5xx",
            Ok(_) => "ok",
            Err(Failure::Timeout) => "timeout",
            Err(_) => "connect_error",
        };
        let i = OUTCOMES.iter().position(|o| *o == label).unwrap_or(0);
        self.counts[i]
            .get_or_init(|| {
                telemetry::UPSTREAM_REQUESTS.counter([self.upstream.clone().into(), label.into()])
            })
            .increment(1);
        self.duration
            .get_or_init(|| telemetry::UPSTREAM_DURATION.histogram([self.upstream.clone().into()]))
            .record(took.as_secs_f64());
    }

    /// `agentgw_upstream_retries_total{upstream}`: a call sent again.
    pub fn retried(&self) {
        self.retries
            .get_or_init(|| telemetry::UPSTREAM_RETRIES.counter([self.upstream.clone().into()]))
            .increment(1);
    }
}

/// One upstream's rate-limit metrics.
pub(crate) struct RateMetrics {
    upstream: String,
    limited: OnceLock<Counter>,
    delayed: OnceLock<Counter>,
    wait: OnceLock<Histogram>,
    refused: OnceLock<Counter>,
}

impl RateMetrics {
    pub fn new(upstream: &str) -> RateMetrics {
        RateMetrics {
            upstream: upstream.to_owned(),
            limited: OnceLock::new(),
            delayed: OnceLock::new(),
            wait: OnceLock::new(),
            refused: OnceLock::new(),
        }
    }

    /// `agentgw_upstream_rate_limited_total{upstream}`: a 429 received.
    pub fn limited(&self) {
        self.limited
            .get_or_init(|| {
                telemetry::UPSTREAM_RATE_LIMITED.counter([self.upstream.clone().into()])
            })
            .increment(1);
    }

    /// `agentgw_upstream_throttled_total{upstream}` and
    /// `agentgw_upstream_throttle_wait_seconds{upstream}`: a call held back by the budget.
    pub fn delayed(&self, wait: Duration) {
        self.delayed
            .get_or_init(|| telemetry::UPSTREAM_THROTTLED.counter([self.upstream.clone().into()]))
            .increment(1);
        self.wait
            .get_or_init(|| {
                telemetry::UPSTREAM_THROTTLE_WAIT.histogram([self.upstream.clone().into()])
            })
            .record(wait.as_secs_f64());
    }

    /// `agentgw_upstream_throttle_refused_total{upstream}`: a call not sent because it
    /// could not wait that long (the client got the face's 429).
    pub fn refused(&self) {
        self.refused
            .get_or_init(|| {
                telemetry::UPSTREAM_THROTTLE_REFUSED.counter([self.upstream.clone().into()])
            })
            .increment(1);
    }
}
