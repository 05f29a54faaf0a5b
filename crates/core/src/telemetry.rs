//! Every metric agentgw keeps, declared once: its name, kind, help and labels. The crates
//! record through these declarations (never a name in a string), the admin listener
//! describes them from [`ALL`], the status page reads them back by the same names, and a test
//! holds the dashboards and alerts in `docs/` to this list.
//!
//! A new metric is one constant here, its line in [`ALL`], and the line that records it.

use metrics::{Counter, Gauge, Histogram, Label, SharedString};

/// What a metric is, and a histogram's buckets (seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Kind {
    Counter,
    Gauge,
    Histogram(&'static [f64]),
}

/// One metric's declaration.
#[derive(Debug)]
pub struct Metric {
    /// The exported name.
    pub name: &'static str,
    /// Counter, gauge or histogram.
    pub kind: Kind,
    /// The `# HELP` text.
    pub help: &'static str,
    /// Label names, in the order their values are given when recording.
    pub labels: &'static [&'static str],
}

/// Latency buckets, in seconds: from a cached read (~100 µs) to an upstream timeout (10 s).
pub const LATENCY: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// Rate-limit wait buckets, in seconds: from a pacing gap to a vendor's five-minute window.
pub const WAITS: &[f64] = &[
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Which build is running.
pub static BUILD_INFO: Metric = Metric {
    name: "agentgw_build_info",
    kind: Kind::Gauge,
    help: "Always 1; the labels say which build is running.",
    labels: &["version"],
};

/// Requests answered.
pub static REQUESTS: Metric = Metric {
    name: "agentgw_requests_total",
    kind: Kind::Counter,
    help: "Requests answered, by route, dialect, method and status class.",
    labels: &["route", "dialect", "method", "status"],
};

/// Time to answer a request.
pub static REQUEST_DURATION: Metric = Metric {
    name: "agentgw_request_duration_seconds",
    kind: Kind::Histogram(LATENCY),
    help: "Time to answer a request, by route, dialect and method.",
    labels: &["route", "dialect", "method"],
};

/// Calls to an upstream.
pub static UPSTREAM_REQUESTS: Metric = Metric {
    name: "agentgw_upstream_requests_total",
    kind: Kind::Counter,
    help: "Calls to an upstream (each attempt), by upstream and outcome: ok, 4xx, 5xx, timeout, connect_error.",
    labels: &["upstream", "outcome"],
};

/// Calls to an upstream tried again.
pub static UPSTREAM_RETRIES: Metric = Metric {
    name: "agentgw_upstream_retries_total",
    kind: Kind::Counter,
    help: "Calls to an upstream tried again, by upstream.",
    labels: &["upstream"],
};

/// 429s an upstream answered.
pub static UPSTREAM_RATE_LIMITED: Metric = Metric {
    name: "agentgw_upstream_rate_limited_total",
    kind: Kind::Counter,
    help: "429s an upstream answered (the call waited as it asked and was sent again), by upstream.",
    labels: &["upstream"],
};

/// Calls held back by a rate limit.
pub static UPSTREAM_THROTTLED: Metric = Metric {
    name: "agentgw_upstream_throttled_total",
    kind: Kind::Counter,
    help: "Calls to an upstream held back by its rate limit before they were sent, by upstream.",
    labels: &["upstream"],
};

/// How long held-back calls waited.
pub static UPSTREAM_THROTTLE_WAIT: Metric = Metric {
    name: "agentgw_upstream_throttle_wait_seconds",
    kind: Kind::Histogram(WAITS),
    help: "How long each held-back call waited for an upstream's rate limit, by upstream.",
    labels: &["upstream"],
};

/// Calls a rate limit left no room for.
pub static UPSTREAM_THROTTLE_REFUSED: Metric = Metric {
    name: "agentgw_upstream_throttle_refused_total",
    kind: Kind::Counter,
    help: "Calls not sent because the upstream's rate limit left none within max_wait (the client got the face's 429), by upstream.",
    labels: &["upstream"],
};

/// OAuth token renewals.
pub static UPSTREAM_TOKEN_RENEWALS: Metric = Metric {
    name: "agentgw_upstream_token_renewals_total",
    kind: Kind::Counter,
    help: "OAuth access tokens renewed for an upstream, by upstream and outcome: ok, refused.",
    labels: &["upstream", "outcome"],
};

/// Whether an upstream answered its last check.
pub static UPSTREAM_UP: Metric = Metric {
    name: "agentgw_upstream_up",
    kind: Kind::Gauge,
    help: "1 when the upstream answered its last background check (every 15 s; any HTTP answer), 0 when it did not.",
    labels: &["upstream"],
};

/// Time of one upstream call.
pub static UPSTREAM_DURATION: Metric = Metric {
    name: "agentgw_upstream_request_duration_seconds",
    kind: Kind::Histogram(LATENCY),
    help: "Time of one call to an upstream, by upstream.",
    labels: &["upstream"],
};

/// Time of one store operation.
pub static STORE_QUERY_DURATION: Metric = Metric {
    name: "agentgw_store_query_duration_seconds",
    kind: Kind::Histogram(LATENCY),
    help: "Time of one store operation (list, get, create, update, delete; idmap_* for the id map of upstream agents).",
    labels: &["op"],
};

/// Store errors by cause.
pub static STORE_ERRORS: Metric = Metric {
    name: "agentgw_store_errors_total",
    kind: Kind::Counter,
    help: "Store errors by cause: disk_full, read_only, io_error, locked, unreachable, too_many_connections, restarting, overloaded, contention, pool_exhausted, not_connected (each answered 503), other (500).",
    labels: &["cause"],
};

/// Store writes in flight.
pub static STORE_WRITES_IN_FLIGHT: Metric = Metric {
    name: "agentgw_store_writes_in_flight",
    kind: Kind::Gauge,
    help: "Store writes started and not yet answered; on a SQLite file one runs and the rest wait for the writer.",
    labels: &[],
};

/// Passwords waiting to be hashed.
pub static PASSWORD_HASH_QUEUE: Metric = Metric {
    name: "agentgw_password_hash_queue_depth",
    kind: Kind::Gauge,
    help: "Passwords waiting for a hashing thread.",
    labels: &[],
};

/// Passwords refused for a full hashing queue.
pub static PASSWORD_HASH_REFUSED: Metric = Metric {
    name: "agentgw_password_hash_refused_total",
    kind: Kind::Counter,
    help: "Passwords refused (503) because the hashing queue was full.",
    labels: &[],
};

/// Every metric agentgw keeps.
pub static ALL: &[&Metric] = &[
    &BUILD_INFO,
    &REQUESTS,
    &REQUEST_DURATION,
    &UPSTREAM_REQUESTS,
    &UPSTREAM_RETRIES,
    &UPSTREAM_RATE_LIMITED,
    &UPSTREAM_THROTTLED,
    &UPSTREAM_THROTTLE_WAIT,
    &UPSTREAM_THROTTLE_REFUSED,
    &UPSTREAM_TOKEN_RENEWALS,
    &UPSTREAM_UP,
    &UPSTREAM_DURATION,
    &STORE_QUERY_DURATION,
    &STORE_ERRORS,
    &STORE_WRITES_IN_FLIGHT,
    &PASSWORD_HASH_QUEUE,
    &PASSWORD_HASH_REFUSED,
];

impl Metric {
    /// This counter, with its labels' values in [`Metric::labels`]' order.
    pub fn counter<const N: usize>(&'static self, values: [SharedString; N]) -> Counter {
        debug_assert_eq!(self.kind, Kind::Counter, "{}", self.name);
        metrics::counter!(self.name, self.with(values))
    }

    /// This gauge, with its labels' values in [`Metric::labels`]' order.
    pub fn gauge<const N: usize>(&'static self, values: [SharedString; N]) -> Gauge {
        debug_assert_eq!(self.kind, Kind::Gauge, "{}", self.name);
        metrics::gauge!(self.name, self.with(values))
    }

    /// This histogram, with its labels' values in [`Metric::labels`]' order.
    pub fn histogram<const N: usize>(&'static self, values: [SharedString; N]) -> Histogram {
        debug_assert!(
            matches!(self.kind, Kind::Histogram(_)),
            "{} is no histogram",
            self.name
        );
        metrics::histogram!(self.name, self.with(values))
    }

    /// Declare this metric's help to the installed recorder.
    pub fn describe(&'static self) {
        match self.kind {
            Kind::Counter => metrics::describe_counter!(self.name, self.help),
            Kind::Gauge => metrics::describe_gauge!(self.name, self.help),
            Kind::Histogram(_) => metrics::describe_histogram!(self.name, self.help),
        }
    }

    /// The labels, named as declared: a value short or over is a bug the debug build says.
    fn with<const N: usize>(&self, values: [SharedString; N]) -> Vec<Label> {
        debug_assert_eq!(N, self.labels.len(), "{}'s labels", self.name);
        self.labels
            .iter()
            .zip(values)
            .map(|(key, value)| Label::new(*key, value))
            .collect()
    }
}

/// The metric a series of the exposition text belongs to (`…_bucket`, `…_sum` and `…_count`
/// belong to their histogram), and the series' suffix.
pub fn series(name: &str) -> Option<(&'static Metric, &str)> {
    ALL.iter().find_map(|m| {
        let rest = name.strip_prefix(m.name)?;
        let exact = rest.is_empty();
        let part =
            matches!(m.kind, Kind::Histogram(_)) && matches!(rest, "_bucket" | "_sum" | "_count");
        (exact || part).then_some((*m, rest))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_distinct_and_say_their_kind() {
        let mut seen = std::collections::BTreeSet::new();
        for m in ALL {
            assert!(seen.insert(m.name), "{} declared twice", m.name);
            assert!(m.name.starts_with("agentgw_"), "{}", m.name);
            // Prometheus' naming conventions: a counter ends in _total, a duration in _seconds.
            match m.kind {
                Kind::Counter => assert!(m.name.ends_with("_total"), "{}", m.name),
                Kind::Histogram(buckets) => {
                    assert!(m.name.ends_with("_seconds"), "{}", m.name);
                    assert!(buckets.windows(2).all(|w| w[0] < w[1]), "{}", m.name);
                }
                Kind::Gauge => assert!(!m.name.ends_with("_total"), "{}", m.name),
            }
        }
    }

    #[test]
    fn a_histogram_series_is_its_metric() {
        let (m, part) = series("agentgw_request_duration_seconds_bucket").expect("known");
        assert_eq!((m.name, part), (REQUEST_DURATION.name, "_bucket"));
        let (m, part) = series("agentgw_requests_total").expect("known");
        assert_eq!((m.name, part), (REQUESTS.name, ""));
        assert!(series("agentgw_requests_total_bucket").is_none());
        assert!(series("agentgw_nothing").is_none());
    }
}
