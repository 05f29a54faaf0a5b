//! Recent traffic without Prometheus: every few seconds the process's own metrics are read
//! (the text `/metrics` serves) and kept in a short ring, so rates, error shares and latency
//! quantiles over the last 1 and 5 minutes are differences between two snapshots. Nothing is
//! added to the request path.
//!
//! The exposition parsed here is the process's own exporter's, whose shape is fixed
//! (`name{label="value",…} number`, one sample per line); a general parser (the
//! `prometheus-parse` crate: regex, lazy_static, itertools) would add dependencies for lines
//! this one reads completely.

use std::collections::{BTreeMap, VecDeque};
use std::time::{Duration, Instant};

use agentgw_core::telemetry;

/// How often a snapshot is taken.
pub const EVERY: Duration = Duration::from_secs(5);
/// Snapshots kept: a little over five minutes.
const KEEP: usize = 62;

/// One sample line: metric name, labels, value.
struct Line<'a> {
    name: &'a str,
    labels: Vec<(&'a str, String)>,
    value: f64,
}

impl Line<'_> {
    fn label(&self, name: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.as_str())
    }

    /// A histogram bucket's owner (the value of its label `owner`) and upper bound.
    fn bucket(&self, owner: &str) -> Option<(&str, f64)> {
        let le = self.label("le")?.parse::<f64>().unwrap_or(f64::INFINITY);
        Some((self.label(owner)?, le))
    }
}

/// A sample line, or `None` for comments and what does not read.
fn parse(line: &str) -> Option<Line<'_>> {
    if line.starts_with('#') || line.trim().is_empty() {
        return None;
    }
    let (series, value) = line.rsplit_once(' ')?;
    let value = value.parse::<f64>().ok()?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, labels(rest.strip_suffix('}')?)?),
        None => (series, Vec::new()),
    };
    Some(Line {
        name,
        labels,
        value,
    })
}

/// `k="v",k2="v2"` with the exposition's escapes (`\\`, `\"`, `\n`).
fn labels(text: &str) -> Option<Vec<(&str, String)>> {
    let mut out = Vec::new();
    let mut rest = text;
    while !rest.is_empty() {
        let (key, after) = rest.split_once("=\"")?;
        let mut value = String::new();
        let mut chars = after.char_indices();
        let end = loop {
            let (i, c) = chars.next()?;
            match c {
                '\\' => match chars.next()?.1 {
                    'n' => value.push('\n'),
                    other => value.push(other),
                },
                '"' => break i,
                c => value.push(c),
            }
        };
        out.push((key.trim_start_matches(','), value));
        rest = after[end + 1..].trim_start_matches(',');
    }
    Some(out)
}

/// Cumulative histogram buckets: upper bound → count.
#[derive(Debug, Clone, Default)]
pub struct Buckets(BTreeMap<u64, f64>);

impl Buckets {
    fn add(&mut self, le: f64, count: f64) {
        *self.0.entry(le.to_bits()).or_default() += count;
    }

    fn sorted(&self) -> Vec<(f64, f64)> {
        let mut v: Vec<(f64, f64)> = self
            .0
            .iter()
            .map(|(k, c)| (f64::from_bits(*k), *c))
            .collect();
        v.sort_by(|a, b| a.0.total_cmp(&b.0));
        v
    }

    /// `self - earlier`, bucket by bucket.
    fn since(&self, earlier: &Buckets) -> Buckets {
        Buckets(
            self.0
                .iter()
                .map(|(k, c)| (*k, c - earlier.0.get(k).copied().unwrap_or(0.0)))
                .collect(),
        )
    }

    /// The `q` quantile in seconds, interpolated inside its bucket as Prometheus's
    /// `histogram_quantile` does; `None` without observations.
    pub fn quantile(&self, q: f64) -> Option<f64> {
        let buckets = self.sorted();
        let total = buckets.last()?.1;
        if total <= 0.0 {
            return None;
        }
        let rank = q * total;
        let (mut lower, mut below) = (0.0, 0.0);
        for (le, count) in &buckets {
            if *count >= rank {
                if le.is_infinite() {
                    return Some(lower);
                }
                let inside = count - below;
                let fraction = if inside > 0.0 {
                    (rank - below) / inside
                } else {
                    1.0
                };
                return Some(lower + (le - lower) * fraction);
            }
            (lower, below) = (*le, *count);
        }
        Some(lower)
    }
}

/// A route's counters.
#[derive(Debug, Clone, Default)]
pub struct RouteCounts {
    pub requests: f64,
    pub client_errors: f64,
    pub server_errors: f64,
    pub latency: Buckets,
}

/// An upstream's counters.
#[derive(Debug, Clone, Default)]
pub struct UpstreamCounts {
    pub calls: f64,
    /// Calls that failed: 5xx, timeouts, refused connections.
    pub failed: f64,
    pub retries: f64,
    pub latency: Buckets,
    /// 429s it answered.
    pub limited: f64,
    /// Calls held back by its rate limit, and their waits' sum in seconds.
    pub throttled: f64,
    pub throttle_wait: f64,
    /// Calls not sent because they could not wait (answered 429 to the client).
    pub throttle_refused: f64,
}

/// The per-upstream sums a snapshot keeps: the metric, its series, and where it adds up.
type UpstreamSum = (
    &'static telemetry::Metric,
    &'static str,
    fn(&mut UpstreamCounts) -> &mut f64,
);

/// The rate-limit and retry counters of an upstream, one row each.
static UPSTREAM_SUMS: [UpstreamSum; 5] = [
    (&telemetry::UPSTREAM_RETRIES, "", |u| &mut u.retries),
    (&telemetry::UPSTREAM_RATE_LIMITED, "", |u| &mut u.limited),
    (&telemetry::UPSTREAM_THROTTLED, "", |u| &mut u.throttled),
    (&telemetry::UPSTREAM_THROTTLE_WAIT, "_sum", |u| {
        &mut u.throttle_wait
    }),
    (&telemetry::UPSTREAM_THROTTLE_REFUSED, "", |u| {
        &mut u.throttle_refused
    }),
];

/// The process's counters at one moment.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub routes: BTreeMap<String, RouteCounts>,
    pub upstreams: BTreeMap<String, UpstreamCounts>,
    /// Passwords waiting for a hashing thread (a gauge).
    pub hash_queue: f64,
    /// Store writes started and not yet answered (a gauge).
    pub writes_in_flight: f64,
    pub hash_refused: f64,
}

impl Snapshot {
    /// The counters in an exposition text.
    pub fn read(text: &str) -> Snapshot {
        let mut s = Snapshot::default();
        for line in text.lines().filter_map(parse) {
            let Some((metric, part)) = telemetry::series(line.name) else {
                continue;
            };
            let is = |m: &telemetry::Metric, p: &str| metric.name == m.name && part == p;
            if is(&telemetry::REQUESTS, "") {
                let Some(route) = line.label("route") else {
                    continue;
                };
                let r = s.routes.entry(route.to_owned()).or_default();
                r.requests += line.value;
                match line.label("status") {
                    Some("4xx") => r.client_errors += line.value,
                    Some("5xx") => r.server_errors += line.value,
                    _ => {}
                }
            } else if is(&telemetry::REQUEST_DURATION, "_bucket") {
                let Some((route, le)) = line.bucket("route") else {
                    continue;
                };
                s.routes
                    .entry(route.to_owned())
                    .or_default()
                    .latency
                    .add(le, line.value);
            } else if is(&telemetry::UPSTREAM_REQUESTS, "") {
                let Some(name) = line.label("upstream") else {
                    continue;
                };
                let u = s.upstreams.entry(name.to_owned()).or_default();
                u.calls += line.value;
                if matches!(
                    line.label("outcome"),
                    Some("5xx" | "timeout" | "connect_error")
                ) {
                    u.failed += line.value;
                }
            } else if is(&telemetry::UPSTREAM_DURATION, "_bucket") {
                let Some((name, le)) = line.bucket("upstream") else {
                    continue;
                };
                s.upstreams
                    .entry(name.to_owned())
                    .or_default()
                    .latency
                    .add(le, line.value);
            } else if let Some(counter) = UPSTREAM_SUMS
                .iter()
                .find(|(m, p, _)| is(m, p))
                .map(|(_, _, counter)| counter)
            {
                let Some(name) = line.label("upstream") else {
                    continue;
                };
                *counter(s.upstreams.entry(name.to_owned()).or_default()) += line.value;
            } else if is(&telemetry::PASSWORD_HASH_QUEUE, "") {
                s.hash_queue = line.value;
            } else if is(&telemetry::STORE_WRITES_IN_FLIGHT, "") {
                s.writes_in_flight = line.value;
            } else if is(&telemetry::PASSWORD_HASH_REFUSED, "") {
                s.hash_refused += line.value;
            }
        }
        s
    }
}

/// What happened between two snapshots.
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub seconds: f64,
    pub routes: BTreeMap<String, RouteCounts>,
    pub upstreams: BTreeMap<String, UpstreamCounts>,
    pub hash_refused: f64,
}

/// The ring of recent snapshots.
#[derive(Default)]
pub struct History {
    ring: VecDeque<(Instant, Snapshot)>,
}

impl History {
    /// Keep `snapshot`, taken at `at`.
    pub fn push(&mut self, at: Instant, snapshot: Snapshot) {
        self.ring.push_back((at, snapshot));
        while self.ring.len() > KEEP {
            self.ring.pop_front();
        }
    }

    /// The newest snapshot.
    pub fn latest(&self) -> Option<&Snapshot> {
        self.ring.back().map(|(_, s)| s)
    }

    /// What happened over about `span` up to the newest snapshot (over what the ring holds
    /// when the process is younger).
    pub fn window(&self, span: Duration) -> Window {
        let Some((end_at, end)) = self.ring.back() else {
            return Window::default();
        };
        // The oldest snapshot within the span (the newest one at least).
        let Some((start_at, start)) = self
            .ring
            .iter()
            .find(|(at, _)| end_at.duration_since(*at) <= span)
        else {
            return Window::default();
        };
        let start_at = *start_at;
        let routes = end
            .routes
            .iter()
            .map(|(name, now)| {
                let was = start.routes.get(name).cloned().unwrap_or_default();
                let counts = RouteCounts {
                    requests: now.requests - was.requests,
                    client_errors: now.client_errors - was.client_errors,
                    server_errors: now.server_errors - was.server_errors,
                    latency: now.latency.since(&was.latency),
                };
                (name.clone(), counts)
            })
            .collect();
        let upstreams = end
            .upstreams
            .iter()
            .map(|(name, now)| {
                let was = start.upstreams.get(name).cloned().unwrap_or_default();
                let counts = UpstreamCounts {
                    calls: now.calls - was.calls,
                    failed: now.failed - was.failed,
                    retries: now.retries - was.retries,
                    latency: now.latency.since(&was.latency),
                    limited: now.limited - was.limited,
                    throttled: now.throttled - was.throttled,
                    throttle_wait: now.throttle_wait - was.throttle_wait,
                    throttle_refused: now.throttle_refused - was.throttle_refused,
                };
                (name.clone(), counts)
            })
            .collect();
        Window {
            seconds: end_at.duration_since(start_at).as_secs_f64(),
            routes,
            upstreams,
            hash_refused: end.hash_refused - start.hash_refused,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = r#"# TYPE agentgw_requests_total counter
agentgw_requests_total{route="ndoto",dialect="ndoto",method="GET",status="2xx"} 90
agentgw_requests_total{route="ndoto",dialect="ndoto",method="GET",status="5xx"} 10
agentgw_request_duration_seconds_bucket{route="ndoto",dialect="ndoto",method="GET",le="0.001"} 50
agentgw_request_duration_seconds_bucket{route="ndoto",dialect="ndoto",method="GET",le="0.01"} 100
agentgw_request_duration_seconds_bucket{route="ndoto",dialect="ndoto",method="GET",le="+Inf"} 100
agentgw_upstream_requests_total{upstream="legacy",outcome="connect_error"} 3
agentgw_upstream_requests_total{upstream="we \"quote\"",outcome="ok"} 1
agentgw_password_hash_queue_depth 2
agentgw_store_writes_in_flight 3
"#;

    #[test]
    fn the_exporters_lines_are_read_whole() {
        let s = Snapshot::read(TEXT);
        let ndoto = &s.routes["ndoto"];
        assert_eq!((ndoto.requests, ndoto.server_errors), (100.0, 10.0));
        assert_eq!(s.upstreams["legacy"].failed, 3.0);
        assert_eq!(s.upstreams["we \"quote\""].calls, 1.0);
        assert_eq!(s.hash_queue, 2.0);
        assert_eq!(s.writes_in_flight, 3.0);
        // Half the observations are under 1 ms; the median is at 1 ms, p99 inside (1, 10] ms.
        assert_eq!(ndoto.latency.quantile(0.5), Some(0.001));
        let p99 = ndoto.latency.quantile(0.99).unwrap_or_default();
        assert!(p99 > 0.001 && p99 <= 0.01, "{p99}");
    }

    #[test]
    fn a_window_is_the_difference_of_two_snapshots() {
        let mut h = History::default();
        let t0 = Instant::now();
        h.push(t0, Snapshot::read(TEXT));
        let later = TEXT.replace("} 90", "} 150");
        h.push(t0 + Duration::from_secs(60), Snapshot::read(&later));
        let w = h.window(Duration::from_secs(60));
        assert_eq!(w.seconds, 60.0);
        assert_eq!(w.routes["ndoto"].requests, 60.0);
        assert_eq!(w.routes["ndoto"].server_errors, 0.0);
        assert!(
            History::default()
                .window(Duration::from_secs(60))
                .routes
                .is_empty()
        );
    }
}
