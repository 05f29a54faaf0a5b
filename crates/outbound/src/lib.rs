//! agentgw-outbound: calling a real helpdesk. One call is a stack of layers, each in a file
//! of its own, in the order a call meets them:
//!
//! 1. **sign-in** (`signin.rs`, `oauth.rs`): the session's headers; a 401 renews it once and
//!    the call is sent again;
//! 2. **budget** (`budget.rs`, `hints.rs`): the call waits until the upstream's rate limit
//!    lets it go (configured, shared through the store, or learned from the vendor's
//!    answers), or is refused at once when it cannot wait that long; a 429 holds the budget
//!    and the call — any method, the vendor did nothing — is sent again after the wait;
//! 3. **concurrency** (`concurrency.rs`): at most `max_concurrency` calls in flight;
//! 4. **metrics** (`metrics.rs`) around the **transport** (`transport.rs`): one exchange
//!    through a pooled client per worker thread, within the call's timeout;
//! 5. **retry** (`retry.rs`): what an attempt's outcome means — 5xx, timeouts and lost
//!    connections are tried again for idempotent calls only (GET, PUT, DELETE — never POST).
//!
//! Every failure becomes a `BackendError` that says where it came from. Credentials go in
//! headers and are never logged.

mod budget;
mod concurrency;
mod hints;
mod metrics;
mod oauth;
mod retry;
mod signin;
mod transport;

use std::sync::Arc;
use std::time::Duration;

pub use budget::{BudgetState, Endpoints, budget, budgets};
pub use oauth::OAuth;
/// Header types of the sessions a [`SignIn`] makes.
pub use reqwest::header as reqwest_header;
pub use signin::{Backoff, Session, SignIn, refused_error};

use crate::metrics::CallMetrics;
use agentgw_core::{BackendError, RemoteEnv, UpstreamConfig};
use budget::Budget;
use concurrency::Concurrency;
use hyper::body::Bytes;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use retry::{Next, Retries};
use signin::SignInLayer;
use transport::{Answer, Failure, Transport};

pub use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// The longest any call waits for a rate limit: `migrate` waits as long as a vendor asks
/// (up to a day), where a proxied call waits its upstream's `max_wait`.
pub const PATIENT: Duration = hints::LONGEST;

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

/// `/readyz`'s check of one upstream: whether anything answers HTTP at its URL within its
/// timeout (any status: the server is up). Its client is built once, not per probe. A probe
/// is a call like any other to a vendor that counts calls: it is not sent when the upstream
/// answered a call within the last `FRESH` (it is up), nor when its rate limit has no call to
/// spare now (a vendor refusing calls as too many is up too), and is counted when it is.
pub struct Probe {
    client: reqwest::Client,
    url: String,
    upstream: Option<String>,
}

/// An answer this recent says the upstream is up without a probe.
const FRESH: Duration = Duration::from_secs(15);

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
            upstream: None,
        })
    }

    /// Probes of upstream `name`, within its rate limit.
    pub fn for_upstream(mut self, name: &str) -> Probe {
        self.upstream = Some(name.to_owned());
        self
    }

    /// `Err` says why the upstream is not reachable, without the URL's credentials.
    pub async fn check(&self) -> Result<(), String> {
        if let Some(name) = &self.upstream
            && !budget::probe_allowed(name, FRESH).await
        {
            return Ok(());
        }
        match self.client.get(&self.url).send().await {
            Ok(_) => Ok(()),
            Err(e) if e.is_timeout() => Err("no answer within its timeout".into()),
            Err(e) if e.is_connect() => Err("connection failed".into()),
            Err(_) => Err("unreachable".into()),
        }
    }
}

/// The HTTP client of one upstream: its call stack (see the crate's documentation).
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
    sign_in: SignInLayer,
    budget: Arc<Budget>,
    concurrency: Concurrency,
    /// Query pairs every call carries (Comm100's `siteId` with an API key).
    always: Arc<Vec<(String, String)>>,
    /// The media type of request bodies (JSON unless the dialect has its own).
    media_type: &'static str,
    retries: u32,
    /// The longest a call waits for the rate limit before it is refused.
    max_wait: Duration,
}

impl Client {
    /// A client for `cfg` sending `headers` (the dialect's credentials) with every request;
    /// `endpoints` says how the vendor counts calls, `env` where shared budgets are kept.
    pub fn new(
        cfg: &UpstreamConfig,
        env: &RemoteEnv,
        endpoints: Endpoints,
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
            metrics: Arc::new(CallMetrics::new(&cfg.name)),
            sign_in: SignInLayer::default(),
            budget: Budget::of(cfg, env.rates.clone(), endpoints),
            concurrency: Concurrency::new(cfg.max_concurrency),
            always: Arc::new(Vec::new()),
            media_type: "application/json",
            retries: cfg.retries,
            max_wait: cfg.max_wait,
        })
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
        self.sign_in = SignInLayer::new(sign_in);
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
        self.sign_in.state()
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

    /// Call `method base+path?query` with an optional JSON body, through every layer.
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Reply, BackendError> {
        let uri = uri(&self.url(path, query))?;
        let body = match body {
            Some(b) => Bytes::from(serde_json::to_vec(b).map_err(|e| {
                BackendError::Internal(format!("cannot encode a request body: {e}"))
            })?),
            None => Bytes::new(),
        };
        let key = self.budget.key(&method, path);
        let mut retries = Retries::new(&self.name, &method, self.retries);
        let mut patience = self.max_wait;
        let mut renewed = false;
        loop {
            let session = self.sign_in.session().await?;
            let (waited, sent) = self.budget.admit(&key, patience).await?;
            patience = patience.saturating_sub(waited);
            let outcome = {
                let _permit = self.concurrency.acquire().await?;
                self.attempt(&method, &uri, &body, session.as_ref()).await?
            };
            if let Ok(answer) = &outcome {
                if self
                    .sign_in
                    .renewed(answer.status, session.as_ref(), &mut renewed)
                    .await?
                {
                    continue;
                }
                if retry::too_many(answer) {
                    self.budget.refused(&key, answer, sent).await?;
                    self.metrics.retried();
                    continue;
                }
                self.budget.answered(&key, answer);
            }
            match retries.after(outcome) {
                Next::Answer(answer) => {
                    return Ok(Reply {
                        status: answer.status,
                        body: answer.body,
                    });
                }
                Next::Fail(e) => return Err(e),
                Next::Again(wait) => {
                    self.metrics.retried();
                    tokio::time::sleep(wait).await;
                }
            }
        }
    }

    /// One exchange: the call's headers (credentials, session, media type, trace), sent
    /// through the transport in a span of its own, timed and counted.
    async fn attempt(
        &self,
        method: &Method,
        uri: &hyper::Uri,
        body: &Bytes,
        session: Option<&Session>,
    ) -> Result<Result<Answer, Failure>, BackendError> {
        let mut headers = HeaderMap::clone(&self.headers);
        SignInLayer::apply(session, &mut headers);
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
        self.metrics.record(&outcome, started.elapsed());
        Ok(outcome)
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
    use agentgw_core::{
        Credential, CredentialShape, Dialect, NoSettings, RateLimit, Scope, Secret, Settings,
    };
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

    /// A client of its own upstream (budgets are kept per upstream name, per process).
    fn limited(
        base: &str,
        retries: u32,
        timeout_ms: u64,
        limit: RateLimit,
        max_wait: Duration,
    ) -> Client {
        static SERIAL: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = SERIAL.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let cfg = UpstreamConfig {
            name: format!("up{n}"),
            dialect: &TEST,
            base_url: base.into(),
            credential: Credential::Token(Secret::new("t")),
            settings: Settings::default(),
            timeout: Duration::from_millis(timeout_ms),
            retries,
            max_concurrency: 2,
            defaults: Default::default(),
            ready_check: false,
            rate_limit: limit,
            max_wait,
        };
        let env = RemoteEnv {
            tokens: std::sync::Arc::new(agentgw_core::MemoryTokens::default()),
            rates: None,
        };
        Client::new(
            &cfg,
            &env,
            Endpoints::default(),
            vec![("authorization", "Bearer t".into())],
        )
        .expect("client")
    }

    fn client(base: &str, retries: u32, timeout_ms: u64) -> Client {
        limited(
            base,
            retries,
            timeout_ms,
            RateLimit::Learned,
            Duration::from_secs(5),
        )
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
    async fn a_429_is_waited_out_and_any_method_sent_again() {
        for verb in ["GET", "POST"] {
            let server = MockServer::start().await;
            Mock::given(method(verb))
                .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "1"))
                .up_to_n_times(1)
                .mount(&server)
                .await;
            Mock::given(method(verb))
                .respond_with(ResponseTemplate::new(201).set_body_string("{}"))
                .expect(1)
                .mount(&server)
                .await;
            let started = std::time::Instant::now();
            let got = client(&server.uri(), 0, 2000)
                .call(
                    Method::from_bytes(verb.as_bytes()).expect("verb"),
                    "/x",
                    &[],
                    None,
                )
                .await;
            assert_eq!(got.map(|r| r.status.as_u16()).ok(), Some(201), "{verb}");
            assert!(
                started.elapsed() >= Duration::from_secs(1),
                "{verb}: waited"
            );
            server.verify().await;
        }
    }

    #[tokio::test]
    async fn a_wait_past_max_wait_is_refused_at_once_with_its_retry_after() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "60"))
            .expect(1)
            .mount(&server)
            .await;
        let c = limited(
            &server.uri(),
            2,
            2000,
            RateLimit::Learned,
            Duration::from_secs(2),
        );
        let got = c.call(Method::GET, "/x", &[], None).await;
        match got {
            Err(BackendError::RateLimited { retry_after }) => {
                assert!(retry_after > Duration::from_secs(55), "{retry_after:?}")
            }
            other => panic!("{other:?}"),
        }
        // The hold is the upstream's: the next call is refused without being sent.
        let got = c.call(Method::POST, "/x", &[], None).await;
        assert!(
            matches!(got, Err(BackendError::RateLimited { .. })),
            "{got:?}"
        );
        server.verify().await;
        let state = budget(&c.name).expect("kept");
        assert_eq!((state.limited, state.refused), (1, 2));
        assert!(state.next_call_at.is_some());
    }

    #[tokio::test]
    async fn a_configured_budget_paces_calls_instead_of_sending_them_to_be_refused() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .expect(12)
            .mount(&server)
            .await;
        let limit = RateLimit::Budget {
            requests: 10,
            per: Duration::from_secs(1),
            scope: Scope::Upstream,
        };
        let c = limited(&server.uri(), 0, 2000, limit, Duration::from_secs(5));
        let started = std::time::Instant::now();
        let calls = (0..12).map(|_| c.call(Method::GET, "/x", &[], None));
        for got in futures_util::future::join_all(calls).await {
            assert_eq!(got.map(|r| r.status.as_u16()).ok(), Some(200));
        }
        // Twelve calls at ten a second, no burst: eleven gaps of a tenth of a second.
        assert!(
            started.elapsed() >= Duration::from_millis(1100),
            "{:?}",
            started.elapsed()
        );
        server.verify().await;
        let state = budget(&c.name).expect("kept");
        assert_eq!(state.delayed, 11);

        // A caller that cannot wait its turn is refused, and books nothing.
        let slow = RateLimit::Budget {
            requests: 1,
            per: Duration::from_secs(10),
            scope: Scope::Upstream,
        };
        let server = answering(200, 1, "GET").await;
        let c = limited(&server.uri(), 0, 2000, slow, Duration::from_secs(1));
        assert!(c.call(Method::GET, "/x", &[], None).await.is_ok());
        match c.call(Method::GET, "/x", &[], None).await {
            Err(BackendError::RateLimited { retry_after }) => {
                assert!(retry_after > Duration::from_secs(9), "{retry_after:?}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[tokio::test]
    async fn an_exhausted_window_waits_for_its_reset() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(
                ResponseTemplate::new(200)
                    .insert_header("x-ratelimit-remaining", "0")
                    .insert_header("x-ratelimit-reset", "1")
                    .set_body_string("{}"),
            )
            .expect(2)
            .mount(&server)
            .await;
        let c = client(&server.uri(), 0, 2000);
        assert!(c.call(Method::GET, "/x", &[], None).await.is_ok());
        let started = std::time::Instant::now();
        assert!(c.call(Method::GET, "/x", &[], None).await.is_ok());
        assert!(
            started.elapsed() >= Duration::from_millis(900),
            "{:?}",
            started.elapsed()
        );
        server.verify().await;
    }

    #[tokio::test]
    async fn a_bare_429_backs_off_and_lowers_the_pace() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(429))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .respond_with(ResponseTemplate::new(200).set_body_string("{}"))
            .mount(&server)
            .await;
        let c = client(&server.uri(), 0, 2000);
        assert!(c.call(Method::GET, "/x", &[], None).await.is_ok());
        let state = budget(&c.name).expect("kept");
        assert_eq!(state.limited, 1);
        assert!(state.learned_rate.is_some_and(|r| r < 1.0), "{state:?}");
        assert!(
            state.describe().starts_with("learned"),
            "{}",
            state.describe()
        );
        server.verify().await;
    }

    #[tokio::test]
    async fn a_probe_is_spared_while_the_upstream_is_heard_from_or_holds_calls() {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/"))
            .respond_with(ResponseTemplate::new(401))
            .expect(1)
            .mount(&server)
            .await;
        Mock::given(method("GET"))
            .and(path("/x"))
            .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "60"))
            .mount(&server)
            .await;
        let c = client(&server.uri(), 0, 2000);
        let probe =
            || Probe::new(&server.uri(), Duration::from_secs(2)).map(|p| p.for_upstream(&c.name));
        // Nothing heard yet: the probe is sent.
        assert_eq!(probe().expect("probe").check().await, Ok(()));
        // A 429 holding calls for a minute: the vendor is up, and no probe is sent.
        assert!(c.call(Method::GET, "/x", &[], None).await.is_err());
        assert_eq!(probe().expect("probe").check().await, Ok(()));
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
