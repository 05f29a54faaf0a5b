//! The admin listener: Prometheus metrics at `/metrics`, on its own address (`[admin] listen`),
//! never on the public port. The `metrics` facade is called where things happen (the request
//! log, the outbound client, the store); this module installs the recorder and renders it.

use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};

/// Latency buckets, in seconds: from a cached read (~100 µs) to an upstream timeout (10 s).
const BUCKETS: [f64; 14] = [
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5, 10.0,
];

/// Every metric agentgw keeps, with its help text.
const DESCRIPTIONS: [(&str, &str); 11] = [
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
        "agentgw_upstream_token_renewals_total",
        "OAuth access tokens renewed for an upstream, by upstream and outcome: ok, refused.",
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

/// The admin server on `listen`, serving `/metrics` from `handle`; it stops when the main
/// server does (no signal handling of its own).
pub fn server(listen: &str, handle: PrometheusHandle) -> anyhow::Result<actix_web::dev::Server> {
    let server = HttpServer::new(move || {
        let handle = handle.clone();
        App::new().route(
            "/metrics",
            web::get().to(move || {
                let text = handle.render();
                async move {
                    HttpResponse::Ok()
                        .content_type("text/plain; version=0.0.4; charset=utf-8")
                        .body(text)
                }
            }),
        )
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
