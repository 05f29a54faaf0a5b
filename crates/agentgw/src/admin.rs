//! The admin listener, on its own address (`[admin] listen`), never on the public port:
//! Prometheus metrics at `/metrics` and the status page at `/` (see `status`), both behind
//! `[admin] token` when one is set. The `metrics` facade is called where things happen (the
//! request log, the outbound client, the store); this module installs the recorder and
//! renders it.

use std::sync::Arc;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from a cached read (~100 µs) to an upstream timeout (10 s).
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// Rate-limit wait buckets, in seconds: from a pacing gap to a vendor's five-minute window.
const WAIT_BUCKETS: [f64; 12] = [
    0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
];

/// Every metric agentgw keeps, with its help text.
pub(crate) const DESCRIPTIONS: [(&str, &str); 17] = [
    (
        "agentgw_build_info",
        "Always 1; the labels say which build is running.",
    ),
    (
        "agentgw_requests_total",
        "Requests answered, by route, dialect, method and status class.",
    ),
    (
        "agentgw_request_duration_seconds",
        "Time to answer a request, by route, dialect and method.",
    ),
    (
        "agentgw_upstream_requests_total",
        "Calls to an upstream (each attempt), by upstream and outcome: ok, 4xx, 5xx, timeout, connect_error.",
    ),
    (
        "agentgw_upstream_retries_total",
        "Calls to an upstream tried again, by upstream.",
    ),
    (
        "agentgw_upstream_rate_limited_total",
        "429s an upstream answered (the call waited as it asked and was sent again), by upstream.",
    ),
    (
        "agentgw_upstream_throttled_total",
        "Calls to an upstream held back by its rate limit before they were sent, by upstream.",
    ),
    (
        "agentgw_upstream_throttle_wait_seconds",
        "How long each held-back call waited for an upstream's rate limit, by upstream.",
    ),
    (
        "agentgw_upstream_throttle_refused_total",
        "Calls not sent because the upstream's rate limit left none within max_wait (the client got the face's 429), by upstream.",
    ),
    (
        "agentgw_upstream_token_renewals_total",
        "OAuth access tokens renewed for an upstream, by upstream and outcome: ok, refused.",
    ),
    (
        "agentgw_upstream_up",
        "1 when the upstream answered its last background check (every 15 s; any HTTP answer), 0 when it did not.",
    ),
    (
        "agentgw_upstream_request_duration_seconds",
        "Time of one call to an upstream, by upstream.",
    ),
    (
        "agentgw_store_query_duration_seconds",
        "Time of one store operation (list, get, create, update, delete; idmap_* for the id map of upstream agents).",
    ),
    (
        "agentgw_store_errors_total",
        "Store errors by cause: disk_full, read_only, io_error, locked, unreachable, too_many_connections, restarting, overloaded, contention, pool_exhausted, not_connected (each answered 503), other (500).",
    ),
    (
        "agentgw_store_writes_in_flight",
        "Store writes started and not yet answered; on a SQLite file one runs and the rest wait for the writer.",
    ),
    (
        "agentgw_password_hash_queue_depth",
        "Passwords waiting for a hashing thread.",
    ),
    (
        "agentgw_password_hash_refused_total",
        "Passwords refused (503) because the hashing queue was full.",
    ),
];

/// Install the process's metrics recorder; metrics are kept from here on.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let handle = PrometheusBuilder::new()
        .set_buckets(&BUCKETS)
        .context("metrics buckets")?
        .set_buckets_for_metric(
            metrics_exporter_prometheus::Matcher::Full(
                "agentgw_upstream_throttle_wait_seconds".into(),
            ),
            &WAIT_BUCKETS,
        )
        .context("metrics buckets")?
        .install_recorder()
        .context("metrics recorder")?;
    for (name, help) in DESCRIPTIONS {
        match name {
            n if n.ends_with("_total") => metrics::describe_counter!(n, help),
            n if n.ends_with("_seconds") => metrics::describe_histogram!(n, help),
            n => metrics::describe_gauge!(n, help),
        }
    }
    metrics::gauge!("agentgw_build_info", "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    Ok(handle)
}

/// A 401 for a request without the admin token, or `None` to serve it.
fn refused(req: &HttpRequest, status: &crate::status::Status) -> Option<HttpResponse> {
    let authorization = req
        .headers()
        .get("authorization")
        .and_then(|h| h.to_str().ok());
    (!status.admits(authorization)).then(|| {
        HttpResponse::Unauthorized()
            .insert_header(("WWW-Authenticate", "Bearer realm=\"agentgw admin\""))
            .body("the admin listener needs its bearer token ([admin] token)")
    })
}

async fn metrics_text(
    req: HttpRequest,
    handle: web::Data<PrometheusHandle>,
    status: web::Data<crate::status::Status>,
) -> HttpResponse {
    if let Some(refusal) = refused(&req, &status) {
        return refusal;
    }
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(handle.render())
}

async fn status_page(
    req: HttpRequest,
    status: web::Data<crate::status::Status>,
    query: web::Query<crate::status::Query>,
) -> HttpResponse {
    if let Some(refusal) = refused(&req, &status) {
        return refusal;
    }
    crate::status::page(req, status, query).await
}

/// The admin server on `listen`: `/metrics` from `handle`, the status page from `status`;
/// it stops when the main server does (no signal handling of its own).
pub fn server(
    listen: &str,
    handle: PrometheusHandle,
    status: Arc<crate::status::Status>,
) -> anyhow::Result<actix_web::dev::Server> {
    status.watch();
    let server = HttpServer::new(move || {
        App::new()
            .app_data(web::Data::new(handle.clone()))
            .app_data(web::Data::from(status.clone()))
            .route("/metrics", web::get().to(metrics_text))
            .route("/", web::get().to(status_page))
    })
    .workers(1)
    .disable_signals()
    .bind(listen)
    .with_context(|| format!("cannot listen on {listen} (admin)"))?;
    for addr in server.addrs() {
        // Printed before the public address line, which tests and scripts wait for.
        println!("agentgw admin listening on http://{addr}");
    }
    Ok(server.run())
}

#[cfg(test)]
mod tests {
    use super::DESCRIPTIONS;

    /// Every `agentgw_…` name in `text`, without a histogram's series suffixes.
    fn names(text: &str) -> std::collections::BTreeSet<String> {
        let mut out = std::collections::BTreeSet::new();
        let mut rest = text;
        while let Some(i) = rest.find("agentgw_") {
            let tail = &rest[i..];
            let end = tail
                .find(|c: char| !(c.is_ascii_lowercase() || c == '_'))
                .unwrap_or(tail.len());
            let name = &tail[..end];
            let base = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| name.strip_suffix(s))
                .unwrap_or(name);
            out.insert(base.to_owned());
            rest = &tail[end..];
        }
        out
    }

    fn read(path: &str) -> String {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    #[test]
    fn the_dashboard_and_the_alerts_name_only_metrics_the_gateway_exports() {
        let exported: std::collections::BTreeSet<String> =
            DESCRIPTIONS.iter().map(|(n, _)| (*n).to_owned()).collect();
        for file in ["docs/grafana/agentgw.json", "docs/prometheus/alerts.yml"] {
            let named = names(&read(file));
            assert!(named.len() >= 5, "{file} names only {named:?}");
            let unknown: Vec<&String> = named.difference(&exported).collect();
            assert!(
                unknown.is_empty(),
                "{file} names metrics the gateway does not export: {unknown:?}"
            );
        }
    }

    #[test]
    fn every_metric_recorded_in_the_code_is_described() {
        let described: Vec<&str> = DESCRIPTIONS.iter().map(|(n, _)| *n).collect();
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut recorded = std::collections::BTreeSet::new();
        let mut dirs = vec![root.join("crates"), root.join("adapters")];
        while let Some(dir) = dirs.pop() {
            for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
                let path = entry.path();
                if path.is_dir() {
                    dirs.push(path);
                } else if path.extension().is_some_and(|e| e == "rs") {
                    let text = std::fs::read_to_string(&path).unwrap_or_default();
                    for macro_name in ["counter!(", "gauge!(", "histogram!("] {
                        for (i, _) in text.match_indices(macro_name) {
                            let call = text[i + macro_name.len()..].trim_start();
                            if let Some(name) =
                                call.strip_prefix('"').and_then(|c| c.split('"').next())
                                && name.starts_with("agentgw_")
                            {
                                recorded.insert(name.to_owned());
                            }
                        }
                    }
                }
            }
        }
        assert!(recorded.len() >= 10, "{recorded:?}");
        for name in &recorded {
            assert!(
                described.contains(&name.as_str()),
                "{name} is recorded but not described"
            );
        }
    }
}
