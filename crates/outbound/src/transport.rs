//! One HTTP exchange with an upstream: the request sent, the whole answer read, within the
//! call's timeout. Through hyper-util's pooled client (HTTP/1.1 kept alive; rustls with the
//! platform's roots) — or through reqwest where the system's proxy settings (`HTTPS_PROXY`,
//! `HTTP_PROXY`, `ALL_PROXY`, `NO_PROXY`) send the upstream through a proxy, as every call did
//! before.
//!
//! Why not reqwest for every call: measured with one pass-through behind actix-web, a GET
//! through reqwest 0.13 costs 108.7k instructions and 46–55 µs of CPU, through hyper-util's
//! own client 65.3k and 34–44 µs (bench/RESULTS.md, fifth tranche). reqwest parses each call's
//! URL twice whatever its settings and runs every call through its redirect and retry layers,
//! none of which these calls use. Its proxy support is kept where it is needed rather than
//! rebuilt here.

use std::time::Duration;

use agentgw_core::BackendError;
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::header::HeaderMap;
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use thread_local::ThreadLocal;

type Https = hyper_rustls::HttpsConnector<HttpConnector>;
type Hyper = hyper_util::client::legacy::Client<Https, Full<Bytes>>;

/// What one attempt brought back: the status, the headers (a rate limit's hints), the whole
/// body.
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

/// Why an attempt brought nothing back.
pub(crate) enum Failure {
    /// No whole answer within the call's timeout.
    Timeout,
    /// No answer: the connection failed or broke before the answer's head (the reason, for
    /// the log; never shown to a client).
    Unreachable(String),
    /// The answer's head came (not a 5xx or 429) but its body could not be read.
    Body { status: StatusCode, reason: String },
}

/// The engine an upstream's calls go through, one per calling thread (see `Transport`).
enum Engine {
    /// Boxed: hyper-util's client is 336 bytes against reqwest's handle of 8.
    Hyper(Box<Hyper>),
    Reqwest(reqwest::Client),
}

/// The pooled clients of one upstream, one per thread that calls it.
///
/// Each actix worker is a single-threaded runtime, and a pooled connection's task lives on
/// the runtime that opened it: with one client shared by all workers, a request on worker B
/// over a connection opened by worker A crosses threads twice (send, then the answer's
/// wake-up). perf showed the translated GET spending its time in those wake-ups; with a
/// client per thread a worker only uses connections it drives itself.
pub(crate) struct Transport {
    name: String,
    timeout: Duration,
    idle_per_host: usize,
    route: Route,
    per_thread: ThreadLocal<Engine>,
}

/// How this upstream is reached.
enum Route {
    /// Directly, with the TLS settings every thread's client shares (one verifier, so the
    /// platform's roots are loaded once, not once per worker thread).
    Direct(Box<rustls::ClientConfig>),
    /// Through the proxy the system's settings name (reqwest's own proxy support).
    Proxied,
}

impl Transport {
    /// The transport of upstream `name` at `base`; builds this thread's engine once so that a
    /// bad setting fails at start-up, not on the first call.
    pub fn new(
        name: &str,
        base: &Uri,
        timeout: Duration,
        idle_per_host: usize,
    ) -> Result<Transport, BackendError> {
        let proxied = hyper_util::client::proxy::matcher::Matcher::from_system()
            .intercept(base)
            .is_some();
        let route = if proxied {
            Route::Proxied
        } else {
            let tls = tls()
                .map_err(|e| BackendError::Internal(format!("upstream `{name}`: TLS: {e}")))?;
            Route::Direct(Box::new(tls))
        };
        let transport = Transport {
            name: name.to_owned(),
            timeout,
            idle_per_host,
            route,
            per_thread: ThreadLocal::new(),
        };
        transport.engine()?;
        Ok(transport)
    }

    /// Whether calls go through reqwest and a proxy (the start-up log says so).
    pub fn proxied(&self) -> bool {
        matches!(self.route, Route::Proxied)
    }

    /// This thread's engine, built on first use.
    fn engine(&self) -> Result<&Engine, BackendError> {
        self.per_thread.get_or_try(|| match &self.route {
            Route::Direct(tls) => Ok(Engine::Hyper(Box::new(self.hyper(tls.as_ref().clone())))),
            Route::Proxied => self
                .reqwest()
                .map(Engine::Reqwest)
                .map_err(|e| BackendError::Internal(format!("upstream `{}`: {e}", self.name))),
        })
    }

    fn hyper(&self, tls: rustls::ClientConfig) -> Hyper {
        let mut http = HttpConnector::new();
        http.enforce_http(false);
        http.set_nodelay(true);
        http.set_connect_timeout(Some(self.timeout));
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            // HTTP/1.1 only: what the tests exercise, and what every API server speaks. A
            // worker's calls are already spread over kept-alive connections of its own.
            .enable_http1()
            .wrap_connector(http);
        hyper_util::client::legacy::Client::builder(TokioExecutor::new())
            .pool_max_idle_per_host(self.idle_per_host)
            .pool_timer(TokioTimer::new())
            .timer(TokioTimer::new())
            .build(https)
    }

    fn reqwest(&self) -> Result<reqwest::Client, String> {
        reqwest::Client::builder()
            .timeout(self.timeout)
            .connect_timeout(self.timeout)
            .pool_max_idle_per_host(self.idle_per_host)
            // An API answers, it does not redirect: a 3xx is the upstream's answer (an error
            // for the face), never followed with the credentials. Retries are the caller's.
            .redirect(reqwest::redirect::Policy::none())
            .retry(reqwest::retry::never())
            .referer(false)
            .build()
            .map_err(|e| e.to_string())
    }

    /// Send `method uri` with `headers` and `body`; the whole answer, or why there is none,
    /// within the timeout.
    pub async fn send(
        &self,
        method: Method,
        uri: Uri,
        headers: HeaderMap,
        body: Bytes,
    ) -> Result<Result<Answer, Failure>, BackendError> {
        let engine = self.engine()?;
        let exchange = async {
            match engine {
                Engine::Hyper(client) => hyper_send(client, method, uri, headers, body).await,
                Engine::Reqwest(client) => reqwest_send(client, method, uri, headers, body).await,
            }
        };
        Ok(tokio::time::timeout(self.timeout, exchange)
            .await
            .unwrap_or(Err(Failure::Timeout)))
    }
}

/// The platform's roots and verifier, as reqwest's default TLS gave these calls.
fn tls() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = std::sync::Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous() // not dangerous: the platform's own verifier, set as rustls asks
        .with_custom_certificate_verifier(std::sync::Arc::new(verifier))
        .with_no_client_auth())
}

async fn hyper_send(
    client: &Hyper,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, Failure> {
    let mut request = Request::new(Full::new(body));
    *request.method_mut() = method;
    *request.uri_mut() = uri;
    *request.headers_mut() = headers;
    let response = client
        .request(request)
        .await
        .map_err(|e| Failure::Unreachable(chain(&e)))?;
    let (head, body) = response.into_parts();
    let body = body.collect().await;
    answer(
        head.status,
        head.headers,
        body.map(|b| b.to_bytes()).map_err(|e| chain(&e)),
    )
}

async fn reqwest_send(
    client: &reqwest::Client,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Answer, Failure> {
    let mut request = client.request(method, uri.to_string()).headers(headers);
    if !body.is_empty() {
        request = request.body(body);
    }
    let response = request.send().await.map_err(|e| {
        if e.is_timeout() {
            Failure::Timeout
        } else {
            Failure::Unreachable(chain(&e))
        }
    })?;
    let status = response.status();
    let headers = response.headers().clone();
    match response.bytes().await {
        Err(e) if e.is_timeout() => Err(Failure::Timeout),
        body => answer(status, headers, body.map_err(|e| chain(&e))),
    }
}

/// The answer of a head and its body. A body that could not be read fails the answer, except
/// behind a 5xx or a 429, which are retried on their status alone (their body says nothing
/// the call uses).
fn answer(
    status: StatusCode,
    headers: HeaderMap,
    body: Result<Bytes, String>,
) -> Result<Answer, Failure> {
    match body {
        Ok(body) => Ok(Answer {
            status,
            headers,
            body,
        }),
        Err(_) if status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS => {
            Ok(Answer {
                status,
                headers,
                body: Bytes::new(),
            })
        }
        Err(reason) => Err(Failure::Body { status, reason }),
    }
}

/// An error and its sources on one line (hyper's own message is often only "client error").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
