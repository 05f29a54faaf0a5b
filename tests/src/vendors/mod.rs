//! Fakes of the real vendors behind agentgw's outbound clients: small, stateful HTTP servers
//! that answer as Chatwoot, Rocket.Chat, Libredesk and Comm100 do (their documented paths, headers,
//! bodies and refusals), written from the vendors' contracts and independent of agentgw's own
//! faces. Each keeps its agents in memory, checks the credentials its vendor uses, and lets a
//! test read what it ended up holding and every request it was sent.
//!
//! A fake is a [`Vendor`] — one function from a [`Request`] and its state to a [`Reply`] —
//! served by [`Fake`] on 127.0.0.1:0 from a thread and runtime of its own, so a test can start
//! a gateway against [`Fake::base`] and assert on [`Fake::with`] / [`Fake::requests`].

pub mod chatwoot;
pub mod comm100;
pub mod libredesk;
pub mod limit;
pub mod rocketchat;

use std::sync::{Arc, Mutex, MutexGuard, mpsc};

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, dev::ServerHandle, web};
use serde_json::Value;

/// One request as a fake saw it: method, path, decoded query and JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub method: String,
    /// The path as sent (not percent-decoded), without the query.
    pub path: String,
    /// The query's pairs, decoded, in order.
    pub query: Vec<(String, String)>,
    /// Request headers, names lowercased (kept out of the log: they carry credentials).
    pub headers: Vec<(String, String)>,
    /// The body: `None` when empty, `Some(Err(text))` when it is not JSON.
    pub body: Option<Result<Value, String>>,
}

impl Request {
    /// The value of header `name` (lowercase), if sent once or more (the first).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The value of query parameter `name` (the first).
    pub fn param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The path's segments after `prefix`, or `None` when the path is not below it.
    pub fn below<'a>(&'a self, prefix: &str) -> Option<Vec<&'a str>> {
        let rest = self.path.strip_prefix(prefix)?;
        if !(rest.is_empty() || rest.starts_with('/')) {
            return None;
        }
        Some(rest.split('/').filter(|s| !s.is_empty()).collect())
    }

    /// A request built in a test (no network): `method path?query` with a JSON body.
    pub fn new(method: &str, target: &str, headers: &[(&str, &str)], body: Option<Value>) -> Self {
        let (path, query) = target.split_once('?').unwrap_or((target, ""));
        Request {
            method: method.to_owned(),
            path: path.to_owned(),
            query: web::Query::<Vec<(String, String)>>::from_query(query)
                .map(web::Query::into_inner)
                .unwrap_or_default(),
            headers: headers
                .iter()
                .map(|(n, v)| (n.to_ascii_lowercase(), (*v).to_owned()))
                .collect(),
            body: body.map(Ok),
        }
    }
}

/// What a fake answers: a status, a JSON body, a plain-text one or none, and headers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reply {
    pub status: u16,
    pub body: Option<Value>,
    /// A `text/plain` body (when `body` is `None`).
    pub text: Option<String>,
    pub headers: Vec<(String, String)>,
}

impl Reply {
    /// `status` with a JSON body.
    pub fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            ..Reply::default()
        }
    }

    /// `status` with an empty body.
    pub fn empty(status: u16) -> Reply {
        Reply {
            status,
            ..Reply::default()
        }
    }

    /// `status` with a `text/plain` body.
    pub fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            text: Some(text.to_owned()),
            ..Reply::default()
        }
    }

    /// The same answer with these headers too.
    pub fn with_headers(mut self, headers: Vec<(String, String)>) -> Reply {
        self.headers.extend(headers);
        self
    }
}

/// A vendor's behaviour: its answer to one request, given (and changing) its state.
pub trait Vendor: Send + 'static {
    fn respond(&mut self, request: &Request) -> Reply;
}

/// One logged request: what the vendor was sent, without its headers.
#[derive(Debug, Clone, PartialEq)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// The status the fake answered.
    pub status: u16,
}

struct Shared<V> {
    vendor: Mutex<V>,
    log: Mutex<Vec<Logged>>,
    /// How long each answer takes, beyond the work (a remote vendor's round trip).
    latency: Mutex<std::time::Duration>,
    /// The vendor's rate limiter, when the test gives it one.
    limiter: Mutex<Option<limit::Limiter>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A test that panicked while holding the lock leaves usable state behind.
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A running fake vendor on 127.0.0.1:0; stopped when dropped.
pub struct Fake<V: Vendor> {
    shared: Arc<Shared<V>>,
    base: String,
    handle: ServerHandle,
}

impl<V: Vendor> Fake<V> {
    /// Serve `vendor` on a free loopback port, from a thread with its own runtime.
    pub fn start(vendor: V) -> Fake<V> {
        let shared = Arc::new(Shared {
            vendor: Mutex::new(vendor),
            log: Mutex::new(Vec::new()),
            latency: Mutex::new(std::time::Duration::ZERO),
            limiter: Mutex::new(None),
        });
        let (tx, rx) = mpsc::channel();
        let state = Arc::clone(&shared);
        std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let data = web::Data::from(state);
                let server = HttpServer::new(move || {
                    App::new()
                        .app_data(data.clone())
                        .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
                        .default_service(web::to(serve::<V>))
                })
                .workers(1)
                .disable_signals()
                .bind(("127.0.0.1", 0));
                let server = match server {
                    Ok(s) => s,
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                        return;
                    }
                };
                let addr = server.addrs().first().copied();
                let running = server.run();
                let _ = tx.send(
                    addr.map(|a| (a, running.handle()))
                        .ok_or_else(|| "no address".into()),
                );
                let _ = running.await;
            });
        });
        match rx.recv_timeout(std::time::Duration::from_secs(30)) {
            Ok(Ok((addr, handle))) => Fake {
                shared,
                base: format!("http://{addr}"),
                handle,
            },
            Ok(Err(e)) => panic!("fake vendor did not start: {e}"),
            Err(e) => panic!("fake vendor did not start: {e}"),
        }
    }

    /// `http://127.0.0.1:PORT`, the base URL an upstream names.
    pub fn base(&self) -> &str {
        &self.base
    }

    /// Run `f` on the vendor's state (to read it, or to seed it as an administrator would).
    pub fn with<T>(&self, f: impl FnOnce(&mut V) -> T) -> T {
        f(&mut lock(&self.shared.vendor))
    }

    /// Answer every request `latency` late, as a vendor across a network does: a test that
    /// needs a run to last does not depend on how fast this machine is.
    pub fn set_latency(&self, latency: std::time::Duration) {
        *lock(&self.shared.latency) = latency;
    }

    /// Put the vendor's rate limiter in front of it (see [`limit`]).
    pub fn limit(&self, limiter: limit::Limiter) {
        *lock(&self.shared.limiter) = Some(limiter);
    }

    /// Calls its limiter let through and refused (zeros without one).
    pub fn limited(&self) -> (u64, u64) {
        lock(&self.shared.limiter)
            .as_ref()
            .map_or((0, 0), |l| (l.allowed, l.refused))
    }

    /// How long its limiter let calls through, from the first to the last (zero without one).
    pub fn limited_span(&self) -> std::time::Duration {
        lock(&self.shared.limiter)
            .as_ref()
            .and_then(|l| Some(l.last?.duration_since(l.first?)))
            .unwrap_or_default()
    }

    /// Every call its limiter saw, in seconds from the first, and whether it let it through.
    pub fn limited_calls(&self) -> Vec<(f64, bool)> {
        lock(&self.shared.limiter)
            .as_ref()
            .map_or_else(Vec::new, |l| {
                let start = l.seen.first().map(|(t, _)| *t);
                l.seen
                    .iter()
                    .map(|(t, ok)| {
                        (
                            start.map_or(0.0, |s| t.duration_since(s).as_secs_f64()),
                            *ok,
                        )
                    })
                    .collect()
            })
    }

    /// Every request answered so far, in order.
    pub fn requests(&self) -> Vec<Logged> {
        lock(&self.shared.log).clone()
    }
}

impl<V: Vendor> Drop for Fake<V> {
    fn drop(&mut self) {
        // The command is sent at once; its completion need not be awaited.
        drop(self.handle.stop(false));
    }
}

async fn serve<V: Vendor>(
    req: HttpRequest,
    body: web::Bytes,
    shared: web::Data<Shared<V>>,
) -> HttpResponse {
    let request = Request {
        method: req.method().as_str().to_owned(),
        path: req.path().to_owned(),
        query: web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .unwrap_or_default(),
        headers: req
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_owned(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: (!body.is_empty()).then(|| {
            serde_json::from_slice(&body).map_err(|_| String::from_utf8_lossy(&body).into_owned())
        }),
    };
    let verdict = lock(&shared.limiter)
        .as_mut()
        .map(|l| l.check(&request, std::time::Instant::now()));
    let reply = match verdict {
        Some(limit::Verdict::Refused(reply)) => reply,
        Some(limit::Verdict::Allowed(headers)) => {
            lock(&shared.vendor).respond(&request).with_headers(headers)
        }
        None => lock(&shared.vendor).respond(&request),
    };
    let latency = *lock(&shared.latency);
    if !latency.is_zero() {
        actix_web::rt::time::sleep(latency).await;
    }
    lock(&shared.log).push(Logged {
        method: request.method.clone(),
        path: request.path.clone(),
        query: request.query.clone(),
        body: match &request.body {
            Some(Ok(v)) => Some(v.clone()),
            Some(Err(text)) => Some(Value::String(text.clone())),
            None => None,
        },
        status: reply.status,
    });
    let status = actix_web::http::StatusCode::from_u16(reply.status)
        .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR);
    let mut answer = HttpResponse::build(status);
    for (name, value) in &reply.headers {
        answer.insert_header((name.as_str(), value.as_str()));
    }
    match (reply.body, reply.text) {
        (Some(body), _) => answer
            .content_type("application/json; charset=utf-8")
            .body(body.to_string()),
        (None, Some(text)) => answer.content_type("text/plain").body(text),
        (None, None) => answer.finish(),
    }
}

/// The JSON object of a request body, or why it is not one (for a vendor's 400).
pub fn object(request: &Request) -> Result<&serde_json::Map<String, Value>, &'static str> {
    match &request.body {
        Some(Ok(Value::Object(map))) => Ok(map),
        Some(Ok(_)) => Err("the body is not a JSON object"),
        Some(Err(_)) => Err("the body is not JSON"),
        None => Err("the body is empty"),
    }
}

/// Whether `email` looks like an address (`local@domain.tld`, no spaces): what the vendors'
/// own format checks let through.
pub fn looks_like_email(email: &str) -> bool {
    match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    }
}
