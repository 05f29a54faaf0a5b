//! agentgw-outbound: calling a real helpdesk. Pooled clients per upstream (hyper-util's, or
//! reqwest's behind a system proxy: `transport`) with the timeout always set, at most
//! `max_concurrency` requests in flight, retries of idempotent calls only (GET, PUT, DELETE —
//! never POST), `429 Retry-After` honoured up to a cap, and every failure turned into a
//! `BackendError` that says where it came from. Credentials go in headers and are never
//! logged.

mod signin;
mod transport;

use std::sync::Arc;
use std::time::Duration;

/// Header types of the sessions a [`SignIn`] makes.
pub use reqwest::header as reqwest_header;
pub use signin::{Backoff, OAuth, Session, SignIn, refused_error};

use agentgw_core::{BackendError, Outage, UpstreamConfig};
use hyper::body::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use transport::{Answer, Failure, Transport};

pub use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::sync::Semaphore;

/// The longest `Retry-After` honoured; a longer one fails the call instead of stalling it.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// First back-off between retries (doubled each time).
const BACKOFF: Duration = Duration::from_millis(100);

/// The W3C Trace Context header every call carries.
const TRACEPARENT: HeaderName = HeaderName::from_static("traceparent");

/// A built URL as the `Uri` the transport sends to.
fn uri(url: &reqwest::Url) -> Result<hyper::Uri, BackendError> {
    hyper::Uri::try_from(url.as_str())
        .map_err(|e| BackendError::Internal(format!("upstream URL `{url}`: {e}")))
}

/// A request body (a dialect's `wire` type) as the JSON a call sends.
pub fn body<T: serde::Serialize>(wire: &T) -> Result<Value, BackendError> {
    serde_json::to_value(wire)
        .map_err(|e| BackendError::Internal(format!("cannot encode a request body: {e}")))
}

/// An answer the dialect client interprets: any status below 500 except 429.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Bytes,
}

impl Reply {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The body as JSON of type `T`; anything else is the upstream's fault (502).
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, BackendError> {
        serde_json::from_slice(&self.body).map_err(|e| BackendError::Upstream {
            status: Some(self.status.as_u16()),
            message: format!("malformed response: {e}"),
        })
    }

    /// The body as any JSON (`Null` when empty or not JSON).
    pub fn value(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// The outcomes a call is counted by, in `CallMetrics::counts` order.
const OUTCOMES: [&str; 5] = ["ok", "4xx", "5xx", "timeout", "connect_error"];

/// One upstream's call metrics, each made on first use.
#[derive(Default)]
struct CallMetrics {
    counts: [std::sync::OnceLock<metrics::Counter>; OUTCOMES.len()],
    duration: std::sync::OnceLock<metrics::Histogram>,
}

/// `/readyz`'s check of one upstream: whether anything answers HTTP at its URL within its
/// timeout (any status: the server is up). Its client is built once, not per probe.
pub struct Probe {
    client: reqwest::Client,
    url: String,
}

impl Probe {
    /// A probe of `url`, giving up after `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<Probe, BackendError> {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .build()
            .map_err(|e| BackendError::Internal(format!("probe client: {e}")))?;
        Ok(Probe {
            client,
            url: url.to_owned(),
        })
    }

    /// `Err` says why the upstream is not reachable, without the URL's credentials.
    pub async fn check(&self) -> Result<(), String> {
        match self.client.get(&self.url).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.is_timeout() => Err("no answer within its timeout".into()),
            Err(e) if e.is_connect() => Err("connection failed".into()),
            Err(_) => Err("unreachable".into()),
        }
    }
}

/// The HTTP client of one upstream: pooled per thread, bounded, retrying what is safe to retry.
#[derive(Clone)]
pub struct Client {
    transport: Arc<Transport>,
    /// The dialect's credentials and `Accept`, sent with every call.
    headers: Arc<HeaderMap>,
    /// The upstream's base URL, parsed once: parsing it again for every call was a tenth of
    /// a translated GET.
    base: reqwest::Url,
    name: String,
    /// This upstream's metric handles, made on first use (no registry lookup per call).
    metrics: Arc<CallMetrics>,
    /// Credentials that expire (OAuth, a login): asked for before each call.
    sign_in: Option<Arc<dyn SignIn>>,
    /// Query pairs every call carries (Comm100's `siteId` with an API key).
    always: Arc<Vec<(String, String)>>,
    /// The media type of request bodies (JSON unless the dialect has its own).
    media_type: &'static str,
    retries: u32,
    permits: Arc<Semaphore>,
}

impl Client {
    /// A client for `cfg` sending `headers` (the dialect's credentials) with every request.
    pub fn new(
        cfg: &UpstreamConfig,
        headers: Vec<(&'static str, String)>,
    ) -> Result<Client, BackendError> {
        let mut map = HeaderMap::new();
        for (name, value) in headers {
            let mut value = HeaderValue::from_str(&value).map_err(|_| {
                BackendError::Internal(format!(
                    "upstream `{}`: credential is not a valid header value",
                    cfg.name
                ))
            })?;
            value.set_sensitive(true);
            map.insert(HeaderName::from_static(name), value);
        }
        map.insert(reqwest::header::ACCEPT, HeaderValue::from_static("*/*"));
        let base = reqwest::Url::parse(&cfg.base_url).map_err(|e| {
            BackendError::Internal(format!("upstream `{}`: base_url: {e}", cfg.name))
        })?;
        let transport = Transport::new(&cfg.name, &uri(&base)?, cfg.timeout, cfg.max_concurrency)?;
        if transport.proxied() {
            tracing::info!(upstream = %cfg.name, "calls go through the system's proxy");
        }
        Ok(Client {
            transport: Arc::new(transport),
            headers: Arc::new(map),
            base,
            name: cfg.name.clone(),
            metrics: Arc::new(CallMetrics::default()),
            sign_in: None,
            always: Arc::new(Vec::new()),
            media_type: "application/json",
            retries: cfg.retries,
            permits: Arc::new(Semaphore::new(cfg.max_concurrency)),
        })
    }

    /// `agentgw_upstream_requests_total{upstream, outcome}` (ok, 4xx, 5xx, timeout,
    /// connect_error) and `agentgw_upstream_request_duration_seconds{upstream}`, per attempt.
    fn record(&self, outcome: &Result<Answer, Failure>, took: Duration) {
        let label = match outcome {
            Ok(answer) if answer.status.is_client_error() => "4xx",
            Ok(answer) if answer.status.is_server_error() => "5xx",
            Ok(_) => "ok",
            Err(Failure::Timeout) => "timeout",
            Err(_) => "connect_error",
        };
        let i = OUTCOMES.iter().position(|o| *o == label).unwrap_or(0);
        self.metrics.counts[i]
            .get_or_init(|| {
                metrics::counter!("agentgw_upstream_requests_total", "upstream" => self.name.clone(), "outcome" => label)
            })
            .increment(1);
        self.metrics
            .duration
            .get_or_init(|| {
                metrics::histogram!("agentgw_upstream_request_duration_seconds", "upstream" => self.name.clone())
            })
            .record(took.as_secs_f64());
    }

    /// `base` with `path` appended to its path, and `query`.
    fn url(&self, path: &str, query: &[(String, String)]) -> reqwest::Url {
        let mut url = self.base.clone();
        let joined = format!("{}{path}", self.base.path().trim_end_matches('/'));
        url.set_path(&joined);
        if !query.is_empty() || !self.always.is_empty() {
            url.query_pairs_mut()
                .extend_pairs(query)
                .extend_pairs(self.always.iter());
        }
        url
    }

    /// The upstream's configured name (for messages).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Every call signs in through `sign_in` (its headers added per call; a 401 renews the
    /// session once and the call is sent again).
    pub fn with_sign_in(mut self, sign_in: Arc<dyn SignIn>) -> Client {
        self.sign_in = Some(sign_in);
        self
    }

    /// Request bodies are sent as `media_type` (SCIM's `application/scim+json`).
    pub fn with_media_type(mut self, media_type: &'static str) -> Client {
        self.media_type = media_type;
        self
    }

    /// Every call carries these query pairs too.
    pub fn with_query(mut self, pairs: Vec<(String, String)>) -> Client {
        self.always = Arc::new(pairs);
        self
    }

    /// How the sign-in stands, for credentials that expire.
    pub fn sign_in_state(&self) -> Option<agentgw_core::SignInState> {
        self.sign_in.as_ref().map(|s| s.state())
    }

    /// Like `call`, but a non-2xx answer becomes the error `on_error` reads from it.
    pub async fn expect(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
        on_error: fn(&Reply) -> BackendError,
    ) -> Result<Reply, BackendError> {
        let reply = self.call(method, path, query, body).await?;
        if reply.ok() {
            Ok(reply)
        } else {
            Err(on_error(&reply))
        }
    }

    /// Call `method base+path?query` with an optional JSON body.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Reply, BackendError> {
        let idempotent = matches!(
            method,
            Method::GET | Method::PUT | Method::DELETE | Method::HEAD
        );
        let attempts = if idempotent { self.retries + 1 } else { 1 };
        let uri = uri(&self.url(path, query))?;
        let body = match body {
            Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| {
                BackendError::Internal(format!("cannot encode a request body: {e}"))
            })?),
            None => Bytes::new(),
        };
        let mut backoff = BACKOFF;
        let mut attempt = 0;
        // A refused session is renewed once per call; the call is then sent again (a 401 did
        // nothing upstream, so even a POST may be).
        let mut renewed = false;
        loop {
            attempt += 1;
            let last = attempt >= attempts;
            let session = match &self.sign_in {
                Some(sign_in) => Some(sign_in.session().await?),
                None => None,
            };
            let outcome = {
                let _permit = self
                    .permits
                    .acquire()
                    .await
                    .map_err(|_| BackendError::Internal("upstream closed".into()))?;
                let mut headers = HeaderMap::clone(&self.headers);
                if let Some(session) = &session {
                    for (name, value) in &session.headers {
                        headers.insert(name.clone(), value.clone());
                    }
                }
                if !body.is_empty() {
                    headers.insert(
                        reqwest::header::CONTENT_TYPE,
                        HeaderValue::from_static(self.media_type),
                    );
                }
                // The serving request's trace, a span of this call's own (W3C Trace Context).
                let span = agentgw_core::trace::exported_span(|| {
                    tracing::info_span!(
                        "upstream call",
                        otel.name = %format!("{method} {}", self.name),
                        otel.kind = "client",
                        upstream = %self.name,
                    )
                });
                let header = span.in_scope(agentgw_core::TraceContext::outgoing_header);
                if let Ok(header) = HeaderValue::from_str(&header) {
                    headers.insert(TRACEPARENT, header);
                }
                let started = std::time::Instant::now();
                let send = self
                    .transport
                    .send(method.clone(), uri.clone(), headers, body.clone());
                let outcome = tracing::Instrument::instrument(send, span).await?;
                self.record(&outcome, started.elapsed());
                outcome
            };
            if let (Ok(answer), Some(session), Some(sign_in)) = (&outcome, &session, &self.sign_in)
                && answer.status == StatusCode::UNAUTHORIZED
                && !renewed
            {
                renewed = true;
                attempt -= 1;
                sign_in.refused(session).await?;
                continue;
            }
            let wait = match outcome {
                Err(Failure::Timeout) => {
                    if last {
                        return Err(BackendError::Timeout);
                    }
                    backoff
                }
                Err(Failure::Unreachable(reason)) => {
                    if last {
                        tracing::warn!(upstream = %self.name, error = %reason, "upstream unreachable");
                        return Err(BackendError::Upstream {
                            status: None,
                            message: format!("upstream `{}` could not be reached", self.name),
                        });
                    }
                    backoff
                }
                // An answer whose body was cut short: not sent again (as before).
                Err(Failure::Body { status, reason }) => {
                    return Err(BackendError::Upstream {
                        status: Some(status.as_u16()),
                        message: format!("upstream body could not be read: {reason}"),
                    });
                }
                Ok(answer) if answer.status == StatusCode::TOO_MANY_REQUESTS => {
                    let after = answer
                        .retry_after
                        .as_ref()
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    match after {
                        Some(after) if !last && after <= MAX_RETRY_AFTER => after,
                        None if !last => backoff,
                        _ => {
                            tracing::warn!(upstream = %self.name, "upstream rate limiting; answered 503");
                            return Err(BackendError::unavailable(
                                Outage::RateLimited,
                                format!("upstream `{}` is rate limiting", self.name),
                            ));
                        }
                    }
                }
                Ok(answer) if answer.status.is_server_error() => {
                    if last {
                        let status = answer.status.as_u16();
                        return Err(BackendError::Upstream {
                            status: Some(status),
                            message: format!("upstream `{}` answered {status}", self.name),
                        });
                    }
                    backoff
                }
                Ok(answer) => {
                    return Ok(Reply {
                        status: answer.status,
                        body: answer.body,
                    });
                }
            };
            metrics::counter!("agentgw_upstream_retries_total", "upstream" => self.name.clone())
                .increment(1);
            tokio::time::sleep(wait).await;
            backoff = backoff.saturating_mul(2);
        }
    }
}

/// The usual reading of a 4xx: 404 → not found, 401/403 → the gateway's credentials are wrong
/// (an upstream failure, not the client's), others → the client's invalid input, with the
/// upstream's message.
pub fn client_error(reply: &Reply, message: String) -> BackendError {
    match reply.status.as_u16() {
        404 => BackendError::NotFound,
        401 | 403 => BackendError::Upstream {
            status: Some(reply.status.as_u16()),
            message: "the upstream refused the gateway's credentials".into(),
        },
        409 => BackendError::Conflict { field: "email" },
        _ => BackendError::Invalid {
            field: "base".into(),
            message,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_core::{Credential, CredentialShape, Dialect, NoSettings, Secret, Settings};
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};

    fn no_remote(
        _: &UpstreamConfig,
        _: &agentgw_core::RemoteEnv,
    ) -> Result<std::sync::Arc<dyn agentgw_core::Remote>, BackendError> {
        Err(BackendError::Unsupported("remotes in this test"))
    }
    static TEST: Dialect = Dialect {
        name: "test",
        root: "/",
        credential: CredentialShape::Token,
        upstream_credentials: &[CredentialShape::Token],
        route_settings: Settings::decode::<NoSettings>,
        upstream_settings: Settings::decode::<NoSettings>,
        remote: no_remote,
    };

    fn client(base: &str, retries: u32, timeout_ms: u64) -> Client {
        let cfg = UpstreamConfig {
            name: "up".into(),
            dialect: &TEST,
            base_url: base.into(),
            credential: Credential::Token(Secret::new("t")),
            settings: Settings::default(),
            timeout: Duration::from_millis(timeout_ms),
            retries,
            max_concurrency: 2,
            defaults: Default::default(),
            ready_check: false,
        };
        Client::new(&cfg, vec![("authorization", "Bearer t".into())]).expect("client")
    }

    async fn answering(status: u16, calls: u64, verb: &str) -> MockServer {
        let server = MockServer::start().await;
        Mock::given(method(verb))
            .and(path("/x"))
            .respond_with(ResponseTemplate::new(status))
            .expect(calls)
            .mount(&server)
            .await;
        server
    }

    #[tokio::test]
    async fn idempotent_calls_are_retried_and_posts_never() {
        let server = answering(500, 3, "GET").await;
        let got = client(&server.uri(), 2, 2000)
            .call(Method::GET, "/x", &[], None)
            .await;
        assert!(matches!(
            got,
            Err(BackendError::Upstream {
                status: Some(500),
                ..
            })
        ));
        server.verify().await;

        let server = answering(503, 1, "POST").await;
        let got = client(&server.uri(), 2, 2000)
            .call(Method::POST, "/x", &[], None)
            .await;
        assert!(matches!(
            got,
            Err(BackendError::Upstream {
                status: Some(503),
                ..
            })
        ));
        server.verify().await;

        // A 4xx is an answer, not a failure to retry.
        let server = answering(404, 1, "GET").await;
        let got = client(&server.uri(), 2, 2000)
            .call(Method::GET, "/x", &[], None)
            .await;
        assert_eq!(got.map(|r| r.status.as_u16()).ok(), Some(404));
        server.verify().await;
    }

    #[tokio::test]
    async fn retry_after_is_waited_out_up_to_its_cap() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&server)
            .await;
        let got = client(&server.uri(), 2, 2000)
            .call(Method::GET, "/x", &[], None)
            .await;
        assert_eq!(got.map(|r| r.status.as_u16()).ok(), Some(200));

        // Past the cap (10 s) the call fails at once instead of stalling its client.
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "60"))
            .expect(1)
            .mount(&server)
            .await;
        let got = client(&server.uri(), 2, 2000)
            .call(Method::GET, "/x", &[], None)
            .await;
        assert!(matches!(
            got,
            Err(BackendError::Unavailable {
                outage: Outage::RateLimited,
                ..
            })
        ));
        server.verify().await;
    }

    #[tokio::test]
    async fn a_call_carries_its_credentials_trace_and_body() {
        use wiremock::matchers::{body_json, header, header_exists, query_param};
        let server = MockServer::start().await;
        Mock::given(method("POST"))
            .and(path("/base/x"))
            .and(query_param("q", "a b"))
            .and(header("authorization", "Bearer t"))
            .and(header("content-type", "application/json"))
            .and(header_exists("traceparent"))
            .and(body_json(serde_json::json!({"name": "Ann"})))
            .respond_with(ResponseTemplate::new(201).set_body_string("{\"id\":7}"))
            .expect(1)
            .mount(&server)
            .await;
        let got = client(&format!("{}/base/", server.uri()), 0, 2000)
            .call(
                Method::POST,
                "/x",
                &[("q".into(), "a b".into())],
                Some(&serde_json::json!({"name": "Ann"})),
            )
            .await
            .expect("answer");
        assert_eq!(got.status.as_u16(), 201);
        assert_eq!(&got.body[..], b"{\"id\":7}");
        server.verify().await;
    }

    /// An answer whose body stops short of its length is the upstream's failure, not an answer.
    #[tokio::test]
    async fn a_body_cut_short_is_an_upstream_failure() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move {
            if let Ok((mut socket, _)) = listener.accept().await {
                let mut head = [0u8; 4096];
                let _ = socket.read(&mut head).await;
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{\"id\":")
                    .await;
            }
        });
        let got = client(&format!("http://{addr}"), 2, 2000)
            .call(Method::GET, "/x", &[], None)
            .await;
        assert!(
            matches!(
                &got,
                Err(BackendError::Upstream {
                    status: Some(200),
                    message,
                }) if message.starts_with("upstream body could not be read")
            ),
            "{got:?}"
        );
    }

    #[tokio::test]
    async fn a_slow_upstream_is_a_timeout() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_delay(Duration::from_millis(400)))
            .mount(&server)
            .await;
        let got = client(&server.uri(), 0, 100)
            .call(Method::GET, "/x", &[], None)
            .await;
        assert!(matches!(got, Err(BackendError::Timeout)));
    }

    #[test]
    fn client_errors_read_as_the_gateway_means_them() {
        let reply = |status: u16| Reply {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            body: Bytes::new(),
        };
        assert!(matches!(
            client_error(&reply(404), "m".into()),
            BackendError::NotFound
        ));
        assert!(matches!(
            client_error(&reply(401), "m".into()),
            BackendError::Upstream { .. }
        ));
        assert!(matches!(
            client_error(&reply(409), "m".into()),
            BackendError::Conflict { field: "email" }
        ));
        assert!(matches!(
            client_error(&reply(422), "bad".into()),
            BackendError::Invalid { message, .. } if message == "bad"
        ));
    }
}
