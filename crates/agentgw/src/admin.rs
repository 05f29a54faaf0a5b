//! The admin listener, on its own address (`[admin] listen`), never on the public port:
//! Prometheus metrics at `/metrics` and the status page at `/` (see `status`), both behind
//! `[admin] token` when one is set. The `metrics` facade is called where things happen (the
//! request log, the outbound client, the store); this module installs the recorder and
//! renders it.

use std::sync::Arc;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use agentgw_core::telemetry;
use anyhow::Context;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Install the process's metrics recorder; metrics are kept from here on.
pub fn install() -> anyhow::Result<PrometheusHandle> {
    let mut builder = PrometheusBuilder::new()
        .set_buckets(telemetry::LATENCY)
        .context("metrics buckets")?;
    for metric in telemetry::ALL {
        if let telemetry::Kind::Histogram(buckets) = metric.kind
            && buckets != telemetry::LATENCY
        {
            builder = builder
                .set_buckets_for_metric(Matcher::Full(metric.name.into()), buckets)
                .context("metrics buckets")?;
        }
    }
    let handle = builder.install_recorder().context("metrics recorder")?;
    for metric in telemetry::ALL {
        metric.describe();
    }
    telemetry::BUILD_INFO
        .gauge([env!("CARGO_PKG_VERSION").into()])
        .set(1.0);
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
    use agentgw_core::telemetry;

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
            telemetry::ALL.iter().map(|m| m.name.to_owned()).collect();
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
    fn metrics_are_recorded_only_through_their_declarations() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut named = Vec::new();
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
                            if call.starts_with("\"agentgw_") {
                                named.push(format!("{}: {macro_name}", path.display()));
                            }
                        }
                    }
                }
            }
        }
        assert!(
            named.is_empty(),
            "a metric named in a string instead of agentgw_core::telemetry: {named:?}"
        );
    }

    #[test]
    fn the_readme_table_is_the_declared_list() {
        let readme = read("README.md");
        let mut rows = std::collections::BTreeMap::new();
        for line in readme.lines().filter(|l| l.starts_with("| `agentgw_")) {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            let name = cells[1].trim_matches('`').to_owned();
            // The label names are the backticked words outside parentheses.
            let mut labels = Vec::new();
            let mut depth = 0;
            for (i, part) in cells[2].split('`').enumerate() {
                if i % 2 == 1 && depth == 0 {
                    labels.push(part.to_owned());
                } else if i % 2 == 0 {
                    depth += part.matches('(').count();
                    depth -= part.matches(')').count().min(depth);
                }
            }
            rows.insert(name, labels);
        }
        for m in telemetry::ALL {
            let labels = rows
                .remove(m.name)
                .unwrap_or_else(|| panic!("{} has no row in README's metrics table", m.name));
            assert_eq!(labels, m.labels, "{}'s labels in README", m.name);
        }
        assert!(rows.is_empty(), "README lists undeclared metrics: {rows:?}");
    }
}
