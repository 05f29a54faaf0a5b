//! One log line per request (route, dialect, method, path, status, latency, request id, trace
//! id) and the `X-Request-Id` echo; the request's W3C trace is current while it is served, so
//! upstream calls carry it. Headers and bodies are never logged: they carry credentials and passwords.

use std::sync::{Arc, OnceLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use metrics::{Counter, Histogram};

/// Which route serves which path prefix, for naming a request in the log and the metrics.
#[derive(Debug, Default)]
pub struct RouteTable {
    routes: Vec<Route>,
    /// A request no route serves.
    unrouted: RouteMetrics,
}

#[derive(Debug)]
struct Route {
    prefix: String,
    name: String,
    dialect: &'static str,
    metrics: RouteMetrics,
}

/// Methods a metric names; any other is `other`, so a client cannot grow the label set.
const METHODS: [&str; 8] = [
    "GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "other",
];
/// Status classes a count names, by `status / 100 - 1`.
const CLASSES: [&str; 5] = ["1xx", "2xx", "3xx", "4xx", "5xx"];

/// One route's metric handles, each made on first use: a request then records with neither
/// label strings built nor a registry lookup (that cost about 10 % of a GET by id).
#[derive(Debug, Default)]
struct RouteMetrics {
    /// `agentgw_requests_total`, by method and status class.
    counts: [[OnceLock<Counter>; CLASSES.len()]; METHODS.len()],
    /// `agentgw_request_duration_seconds`, by method.
    durations: [OnceLock<Histogram>; METHODS.len()],
}

impl RouteTable {
    /// A table from (prefix, route name, dialect) entries.
    pub fn new(entries: Vec<(String, String, &'static str)>) -> Self {
        let mut routes: Vec<Route> = entries
            .into_iter()
            .map(|(prefix, name, dialect)| Route {
                prefix,
                name,
                dialect,
                metrics: RouteMetrics::default(),
            })
            .collect();
        // Longest prefix first, so nested prefixes name the innermost route.
        routes.sort_by_key(|r| std::cmp::Reverse(r.prefix.len()));
        RouteTable {
            routes,
            unrouted: RouteMetrics::default(),
        }
    }

    fn lookup(&self, path: &str) -> Option<&Route> {
        self.routes.iter().find(|r| {
            r.prefix == "/"
                || path
                    .strip_prefix(r.prefix.as_str())
                    .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
        })
    }
}

/// Header names as constants: a `&str` name is parsed again on every lookup.
const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// `agentgw_requests_total` and `agentgw_request_duration_seconds` for one request, labelled
/// by route, dialect, method and (for the count) status class. Route names come from the
/// configuration, so the label set is bounded.
fn record(route: Option<&Route>, table: &RouteTable, method: &str, status: u16, took: f64) {
    let (name, dialect, metrics) = match route {
        Some(r) => (r.name.as_str(), r.dialect, &r.metrics),
        None => ("none", "none", &table.unrouted),
    };
    let m = METHODS
        .iter()
        .position(|known| *known == method)
        .unwrap_or(METHODS.len() - 1);
    let class = usize::from(status / 100).clamp(1, CLASSES.len()) - 1;
    let (method, status) = (METHODS[m], CLASSES[class]);
    metrics.counts[m][class]
        .get_or_init(|| {
            agentgw_core::telemetry::REQUESTS.counter([
                name.to_owned().into(),
                dialect.into(),
                method.into(),
                status.into(),
            ])
        })
        .increment(1);
    metrics.durations[m]
        .get_or_init(|| {
            agentgw_core::telemetry::REQUEST_DURATION.histogram([
                name.to_owned().into(),
                dialect.into(),
                method.into(),
            ])
        })
        .record(took);
}

/// A caller's request id is kept when it is short and plain; otherwise a fresh one is made.
fn request_id(req: &ServiceRequest) -> String {
    req.headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| {
            !v.is_empty()
                && v.len() <= 128
                && v.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string())
}

/// Middleware (for `actix_web::middleware::from_fn`): log the request and echo its id.
pub async fn request_log(
    table: Arc<RouteTable>,
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let id = request_id(&req);
    let method = req.method().to_string();
    let path = req.path().to_owned();
    let found = table.lookup(&path);
    let (route, dialect) = found.map_or(("-", "-"), |r| (r.name.as_str(), r.dialect));
    let mut trace = agentgw_core::TraceContext::continue_or_start(
        req.headers().get(TRACEPARENT).and_then(|v| v.to_str().ok()),
    );
    let span = trace.request_span(&method, route);
    let trace_id = trace.trace_id.clone();
    let mut res = tracing::Instrument::instrument(trace.scope(next.call(req)), span).await?;
    let status = res.status().as_u16();
    record(
        found,
        &table,
        &method,
        status,
        started.elapsed().as_secs_f64(),
    );
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    tracing::info!(
        target: "agentgw::request",
        route = %route,
        dialect,
        method = %method,
        path = %path,
        status,
        latency_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        request_id = %id,
        trace_id = %trace_id,
        "request"
    );
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_names_the_route() {
        let t = RouteTable::new(vec![
            ("/".into(), "root".into(), "beta"),
            ("/alpha".into(), "al".into(), "alpha"),
        ]);
        let named = |path| t.lookup(path).map(|r| (r.name.as_str(), r.dialect));
        assert_eq!(named("/alpha/api/v1/agents"), Some(("al", "alpha")));
        assert_eq!(named("/alpha"), Some(("al", "alpha")));
        assert_eq!(named("/alphax"), Some(("root", "beta")));
        assert!(RouteTable::new(vec![]).lookup("/x").is_none());
    }
}
