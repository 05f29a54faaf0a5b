//! Assemble and run the HTTP server: store, routes, health endpoints, middleware, reload on
//! SIGHUP, shutdown.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use actix_web::middleware::from_fn;
use actix_web::{App, HttpResponse, HttpServer, web};
use agentgw_core::Config;
use agentgw_inbound::{Mount, NormalizePath, RouteCtx, RouteTable, request_log};
use agentgw_store::Store;
use anyhow::Context;
use serde_json::json;
use tokio::signal::unix::{SignalKind, signal};

struct Mounted {
    prefix: String,
    mount: Mount,
    ctx: Arc<RouteCtx>,
    /// The face's OpenAPI document as this route serves it.
    openapi: web::Bytes,
}

/// Serve `config` (read from `path`) until SIGINT/SIGTERM; in-flight requests finish before
/// the process exits. SIGHUP reads `path` again and swaps routes, credentials and upstreams
/// (see [`reload`]).
pub async fn serve(path: &Path, mut config: Config) -> anyhow::Result<()> {
    // First: a SIGHUP that arrives before its handler kills the process (the default
    // action), and a script may send one as soon as it reads the "listening" line below.
    let mut hangup = signal(SignalKind::hangup()).context("SIGHUP")?;
    let mut terminate = signal(SignalKind::terminate()).context("SIGTERM")?;
    let mut interrupt = signal(SignalKind::interrupt()).context("SIGINT")?;
    // Before anything is measured: without [admin], no recorder, and every metric is a no-op.
    let metrics = config
        .admin
        .as_ref()
        .map(|_| crate::admin::install())
        .transpose()?;
    // Opened, migrated and warmed before the first connection is accepted; a database that
    // cannot be reached now is waited for in the background unless the operator said not to.
    let store = if config.store.wait_at_start {
        Store::connect_or_wait(&config.store.url).await
    } else {
        Store::connect(&config.store.url).await
    }
    .context("store")?;
    // One socket for the process: every configuration generation accepts on it, so a reload
    // never closes the port.
    let listener = std::net::TcpListener::bind(&config.server.listen)
        .with_context(|| format!("cannot listen on {}", config.server.listen))?;
    let (current, upstreams) = generation(&config, &store, &listener)?;
    let status = metrics.as_ref().map(|handle| {
        crate::status::Status::new(&config, upstreams, store.clone(), handle.clone())
    });
    let admin = match (&config.admin, metrics, &status) {
        (Some(admin), Some(handle), Some(status)) => {
            Some(crate::admin::server(&admin.listen, handle, status.clone())?)
        }
        _ => None,
    };
    let addr = listener.local_addr().context("listening address")?;
    tracing::info!(%addr, routes = config.routes.len(), "agentgw listening");
    // Tests and scripts read the bound address (port 0 picks one) from this stdout line.
    println!("agentgw listening on http://{addr}");
    let _ = std::io::stdout().flush();
    let admin_handle = admin.as_ref().map(actix_web::dev::Server::handle);
    if let Some(admin) = admin {
        actix_web::rt::spawn(admin);
    }

    let mut handle = current.handle();
    let mut running = actix_web::rt::spawn(current);
    // Generations a reload replaced, still finishing their requests.
    let mut draining = Vec::new();
    loop {
        tokio::select! {
            _ = hangup.recv() => match reload(path, &config, &store, &listener) {
                Ok((next, server, upstreams)) => {
                    if let Some(status) = &status {
                        status.reloaded(&next, upstreams);
                    }
                    let old = std::mem::replace(&mut handle, server.handle());
                    running = actix_web::rt::spawn(server);
                    draining.retain(|d: &tokio::task::JoinHandle<()>| !d.is_finished());
                    draining.push(actix_web::rt::spawn(drain(old)));
                    config = next;
                    tracing::info!(routes = config.routes.len(), "configuration reloaded");
                }
                Err(e) => {
                    tracing::error!(
                        "configuration reload refused; the running configuration stays: {e:#}"
                    );
                    if let Some(status) = &status {
                        status.refused(&e);
                    }
                }
            },
            _ = terminate.recv() => break,
            _ = interrupt.recv() => break,
            ended = &mut running => {
                ended.context("server task")?.context("server")?;
                break;
            }
        }
    }
    handle.stop(true).await;
    // A shutdown right after a reload still lets the replaced generation finish.
    for old in draining {
        let _ = old.await;
    }
    if let Some(admin) = admin_handle {
        admin.stop(true).await;
    }
    tracing::info!("shut down; closing the store");
    store.close().await;
    Ok(())
}

/// How long a replaced generation keeps its workers after it stopped accepting, so that a
/// connection its accept thread already handed over reaches a worker that still serves it.
const HANDOVER: std::time::Duration = std::time::Duration::from_millis(200);

/// Retire a replaced generation without dropping a connection: first it stops accepting (the
/// kernel's queue goes to its successor on the same socket), then, once what it accepted has
/// reached its workers, it stops gracefully and finishes every request it has. Stopping at
/// once dropped connections accepted in that instant (seen as resets under load).
async fn drain(old: actix_web::dev::ServerHandle) {
    old.pause().await;
    tokio::time::sleep(HANDOVER).await;
    old.stop(true).await;
}

/// The configuration at `path` again, and a server generation for it: routes, credentials
/// and upstreams may change; the listening addresses and the store may not (they are the
/// process's: a restart applies them). An invalid file changes nothing.
fn reload(
    path: &Path,
    running: &Config,
    store: &Store,
    listener: &std::net::TcpListener,
) -> anyhow::Result<(
    Config,
    actix_web::dev::Server,
    Arc<crate::backends::Upstreams>,
)> {
    let next = crate::cli::load(path)?;
    let fixed = [
        (
            "server.listen",
            running.server.listen.clone(),
            next.server.listen.clone(),
        ),
        (
            "admin.listen",
            running
                .admin
                .as_ref()
                .map(|a| a.listen.clone())
                .unwrap_or_default(),
            next.admin
                .as_ref()
                .map(|a| a.listen.clone())
                .unwrap_or_default(),
        ),
        (
            "store.url",
            running.store.url.clone(),
            next.store.url.clone(),
        ),
    ];
    for (key, was, now) in fixed {
        if was != now {
            anyhow::bail!("{key} changed: restart the gateway to apply it");
        }
    }
    if next.routes.is_empty() {
        anyhow::bail!("no [[routes]]: the gateway would serve nothing");
    }
    let (server, upstreams) = generation(&next, store, listener)?;
    Ok((next, server, upstreams))
}

/// One generation of the public server: `config`'s routes on (a copy of) `listener`, and the
/// upstreams it built (the status page reads their sign-in).
fn generation(
    config: &Config,
    store: &Store,
    listener: &std::net::TcpListener,
) -> anyhow::Result<(actix_web::dev::Server, Arc<crate::backends::Upstreams>)> {
    let upstreams = Arc::new(crate::backends::Upstreams::build(config, store)?);
    let built = upstreams.clone();
    let mut mounted = Vec::new();
    for route in &config.routes {
        if route.credentials.uses_dev_defaults() {
            tracing::warn!(route = %route.name, "DEV CREDENTIALS IN USE: route `{}` accepts the documented development credentials; set real ones before exposing this gateway", route.name);
        }
        let adapter = crate::adapters::adapter(route.dialect.name)
            .with_context(|| format!("no adapter for {}", route.dialect))?;
        let prefix = route.prefix.trim_end_matches('/');
        let openapi = agentgw_inbound::openapi::served(&(adapter.openapi)(), prefix);
        let backend = crate::backends::for_route(&upstreams, store, route)?;
        let ctx = RouteCtx {
            name: route.name.clone(),
            dialect: route.dialect.name,
            credentials: route.credentials.clone(),
            backend,
            max_body_bytes: config.server.max_body_bytes,
            request_timeout: std::time::Duration::from_millis(config.server.request_timeout_ms),
            settings: route.settings.clone(),
        };
        mounted.push(Mounted {
            prefix: route.prefix.clone(),
            mount: adapter.configure,
            ctx: Arc::new(ctx),
            openapi: web::Bytes::from(openapi.to_string()),
        });
    }
    let table = Arc::new(RouteTable::new(
        config
            .routes
            .iter()
            .map(|r| (r.prefix.clone(), r.name.clone(), r.dialect.name))
            .collect(),
    ));
    let mounted = Arc::new(mounted);
    let ready_store = store.clone();

    let server = HttpServer::new(move || {
        let table = table.clone();
        let mut app = App::new()
            .app_data(web::Data::new(ready_store.clone()))
            .app_data(web::Data::from(upstreams.clone()))
            .route("/healthz", web::get().to(healthz))
            .route("/readyz", web::get().to(readyz));
        for m in mounted.iter() {
            let (mount, prefix, ctx) = (m.mount, m.prefix.clone(), m.ctx.clone());
            // Before the face's scope, which would answer this path with its own 404. The
            // contract is public: it holds no credential.
            let doc = m.openapi.clone();
            app = app.route(
                &format!("{}/openapi.json", prefix.trim_end_matches('/')),
                web::get().to(move || {
                    let doc = doc.clone();
                    async move {
                        HttpResponse::Ok()
                            .content_type("application/json")
                            .body(doc)
                    }
                }),
            );
            app = app.configure(move |cfg| mount(cfg, &prefix, ctx));
        }
        app.default_service(web::to(no_route))
            .wrap(from_fn(move |req, next| {
                request_log(table.clone(), req, next)
            }))
            // Outermost: collapse `//` and drop a trailing `/` before routing (real clients send both).
            .wrap(NormalizePath)
    })
    .shutdown_timeout(30)
    // Signals are the process's (serve): a generation is stopped by its successor or by them.
    .disable_signals()
    .listen(listener.try_clone().context("listening socket")?)
    .context("listening socket")?;
    Ok((server.run(), built))
}

/// Liveness: the process answers. A constant body: probes call it often (issue 26).
async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(r#"{"status":"ok"}"#)
}

/// Ready while the store answers and every upstream with `ready_check` answers HTTP (see
/// `readiness`); a 503 names what is down.
async fn readyz(
    store: web::Data<Store>,
    built: web::Data<crate::backends::Upstreams>,
) -> HttpResponse {
    let readiness = crate::readiness::Readiness::decide(&store, &built).await;
    for (name, why) in &readiness.upstreams {
        tracing::warn!(upstream = %name, reason = %why, "readiness check failed: upstream");
    }
    if readiness.ready() {
        HttpResponse::Ok().json(readiness.body())
    } else {
        HttpResponse::ServiceUnavailable().json(readiness.body())
    }
}

async fn no_route() -> HttpResponse {
    HttpResponse::NotFound().json(json!({ "error": "no route serves this path" }))
}
