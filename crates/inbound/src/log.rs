//! One log line per request (route, dialect, method, path, status, latency, request id, trace
//! id) and the `X-Request-Id` echo; the request's W3C trace is current while it is served, so
//! upstream calls carry it. Headers and bodies are never logged: they carry credentials and passwords.

use std::sync::Arc;
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;

/// Which route serves which path prefix, for naming a request in the log.
#[derive(Debug, Default)]
pub struct RouteTable(Vec<(String, String, &'static str)>);

impl RouteTable {
    /// A table from (prefix, route name, dialect) entries.
    pub fn new(mut entries: Vec<(String, String, &'static str)>) -> Self {
        // Longest prefix first, so nested prefixes name the innermost route.
        entries.sort_by_key(|(p, _, _)| std::cmp::Reverse(p.len()));
        RouteTable(entries)
    }

    fn lookup(&self, path: &str) -> Option<(&str, &'static str)> {
        self.0
            .iter()
            .find(|(p, _, _)| p == "/" || path == p || path.starts_with(&format!("{p}/")))
            .map(|(_, name, d)| (name.as_str(), *d))
    }
}

const REQUEST_ID: &str = "x-request-id";

/// Methods a metric names; any other is `other`, so a client cannot grow the label set.
const METHODS: [&str; 7] = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];

/// `agentgw_requests_total` and `agentgw_request_duration_seconds` for one request, labelled
/// by route, dialect, method and (for the count) status class. Route names come from the
/// configuration, so the label set is bounded.
fn record(
    route: &str,
    dialect: &'static str,
    method: &str,
    status: u16,
    took: std::time::Duration,
) {
    let method = METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("other");
    let route = if route == "-" {
        "none".to_owned()
    } else {
        route.to_owned()
    };
    let dialect = if dialect == "-" { "none" } else { dialect };
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    metrics::counter!("agentgw_requests_total", "route" => route.clone(), "dialect" => dialect, "method" => method, "status" => class)
        .increment(1);
    metrics::histogram!("agentgw_request_duration_seconds", "route" => route, "dialect" => dialect, "method" => method)
        .record(took.as_secs_f64());
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
    let (route, dialect) = table
        .lookup(&path)
        .map(|(n, d)| (n.to_owned(), d))
        .unwrap_or(("-".into(), "-"));
    let mut trace = agentgw_core::TraceContext::continue_or_start(
        req.headers()
            .get("traceparent")
            .and_then(|v| v.to_str().ok()),
    );
    let span = trace.request_span(&method, &route);
    let trace_id = trace.trace_id.clone();
    let mut res = tracing::Instrument::instrument(trace.scope(next.call(req)), span).await?;
    let status = res.status().as_u16();
    record(&route, dialect, &method, status, started.elapsed());
    if let Ok(v) = HeaderValue::from_str(&id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID), v);
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
        assert_eq!(t.lookup("/alpha/api/v1/agents"), Some(("al", "alpha")));
        assert_eq!(t.lookup("/alphax"), Some(("root", "beta")));
        assert_eq!(RouteTable::new(vec![]).lookup("/x"), None);
    }
}
