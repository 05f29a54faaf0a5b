//! The facts of the status page, once, as a serialisable view: the JSON twin is this view,
//! the HTML page renders it (askama, checked at compile time).

use std::collections::BTreeMap;
use std::sync::PoisonError;
use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_store::status::{JournalPair, StoreStatus};
use askama::Template;
use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::Status;
use super::history::UpstreamCounts;
use super::history::{Buckets, Window};

/// A route's 5xx share above which it reads as failing.
const FAILING_5XX: f64 = 0.01;
/// An upstream's failed-call share above which it reads as degraded.
const DEGRADED: f64 = 0.05;

/// The whole page.
#[derive(Debug, Serialize)]
pub struct View {
    pub version: &'static str,
    pub started: String,
    pub uptime: String,
    pub uptime_seconds: u64,
    pub generation: Generation,
    pub readiness: Readiness,
    pub routes: Vec<RouteRow>,
    pub upstreams: Vec<UpstreamRow>,
    pub store: StoreView,
    pub migrations: Migrations,
    /// How the page was asked for (sorting, filter, refresh).
    pub shown: Shown,
}

/// The configuration generation being served.
#[derive(Debug, Serialize)]
pub struct Generation {
    pub number: u64,
    pub since: String,
    pub last_reload: Option<ReloadView>,
}

/// The last reload.
#[derive(Debug, Serialize)]
pub struct ReloadView {
    pub at: String,
    pub accepted: bool,
    pub problems: Vec<String>,
}

/// The `/readyz` verdict and why.
#[derive(Debug, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub reasons: Vec<String>,
}

/// One route.
#[derive(Debug, Serialize)]
pub struct RouteRow {
    pub name: String,
    pub dialect: String,
    pub prefix: String,
    /// `embedded:<tenant>` or `upstream <name>`.
    pub backend: String,
    pub last_1m: Traffic,
    pub last_5m: Traffic,
    pub failing: bool,
    /// Why it reads as failing.
    pub why: Option<String>,
}

/// Requests over a window.
#[derive(Debug, Default, Serialize)]
pub struct Traffic {
    pub requests: u64,
    pub per_second: f64,
    pub share_4xx: f64,
    pub share_5xx: f64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// One upstream.
#[derive(Debug, Serialize)]
pub struct UpstreamRow {
    pub name: String,
    pub dialect: String,
    /// Without any password it may hold.
    pub base_url: String,
    /// `up`, `degraded`, `down`, or `unknown` before its first check.
    pub state: &'static str,
    pub last_check: Option<String>,
    pub last_check_ms: Option<f64>,
    pub last_error: Option<String>,
    pub calls_5m: u64,
    pub error_share_5m: f64,
    pub retries_5m: u64,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    /// Agents the gateway has mapped for it.
    pub id_map: Option<i64>,
    /// For upstreams that sign in (OAuth, Rocket.Chat logins).
    pub token: Option<TokenView>,
    /// How its rate limit stands.
    pub rate_limit: RateLimitView,
    pub failing: bool,
}

/// How an upstream's rate limit stands: its budget, what it cost, what the vendor refused.
#[derive(Debug, Serialize)]
pub struct RateLimitView {
    /// As configured (`300 per 5m`, `10 per 1m per endpoint`), learned (`learned 4.20/s`),
    /// or `off`.
    pub budget: String,
    /// Whether the budget is shared with the gateways on the same PostgreSQL.
    pub shared: bool,
    /// The pace learned from refusals without a hint, in calls a second, while one is kept.
    pub learned_per_second: Option<f64>,
    pub calls_1m: u64,
    /// Calls held back by the budget in 5 minutes, and how long they waited in all.
    pub delayed_5m: u64,
    pub waited_5m_seconds: f64,
    /// Calls answered 429 to the client in 5 minutes: the wait was past `max_wait`.
    pub refused_5m: u64,
    /// 429s the upstream answered in 5 minutes.
    pub upstream_429s_5m: u64,
    /// Calls waiting for the budget now.
    pub waiting: usize,
    /// When the next call may go, if not now.
    pub next_call_at: Option<String>,
}

/// How an upstream's sign-in stands (never the token).
#[derive(Debug, Serialize)]
pub struct TokenView {
    pub kind: &'static str,
    pub expires_in_seconds: Option<i64>,
    pub last_renewal: Option<String>,
    pub last_failure: Option<String>,
    pub failing: bool,
}

/// The store.
#[derive(Debug, Serialize)]
pub struct StoreView {
    #[serde(flatten)]
    pub status: StoreStatus,
    /// Passwords waiting for a hashing thread.
    pub hash_queue: u64,
    /// Writes started and not yet answered (SQLite: one runs, the rest queue for the writer).
    pub writes_in_flight: u64,
    /// Passwords refused (503) in the last 5 minutes because that queue was full.
    pub hash_refused_5m: u64,
}

/// The migration journal.
#[derive(Debug, Serialize)]
pub struct Migrations {
    pub pairs: Vec<JournalPair>,
    pub problem: Option<String>,
}

/// How the page was asked for.
#[derive(Debug, Serialize)]
pub struct Shown {
    pub sort: &'static str,
    pub only_failing: bool,
    pub refresh: Option<u32>,
}

/// The page's query string.
#[derive(Debug, Default, serde::Deserialize)]
pub struct Query {
    format: Option<String>,
    sort: Option<String>,
    failing: Option<String>,
    refresh: Option<String>,
}

/// The route columns a page sorts by.
const SORTS: [&str; 4] = ["name", "rate", "errors", "p99"];

pub(super) fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn human(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        3600..86400 => format!("{} h {} min", s / 3600, (s % 3600) / 60),
        _ => format!("{} d {} h", s / 86400, (s % 86400) / 3600),
    }
}

fn ms(buckets: &Buckets, q: f64) -> Option<f64> {
    buckets.quantile(q).map(|s| (s * 1e5).round() / 100.0)
}

fn share(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        (part / whole * 1e4).round() / 1e4
    } else {
        0.0
    }
}

fn traffic(window: &Window, route: &str) -> Traffic {
    let Some(c) = window.routes.get(route) else {
        return Traffic::default();
    };
    Traffic {
        requests: c.requests.max(0.0) as u64,
        per_second: if window.seconds > 0.0 {
            (c.requests / window.seconds * 100.0).round() / 100.0
        } else {
            0.0
        },
        share_4xx: share(c.client_errors, c.requests),
        share_5xx: share(c.server_errors, c.requests),
        p50_ms: ms(&c.latency, 0.5),
        p99_ms: ms(&c.latency, 0.99),
    }
}

/// A URL without the password of its user part.
fn without_password(url: &str) -> String {
    agentgw_store::redact_url(url)
}

impl Status {
    /// Every fact of the page, now.
    pub async fn view(&self, shown: Shown) -> View {
        // The generation is read with the configuration it describes: read apart, a reload
        // in between showed generation 2 beside generation 1's routes.
        let (config, upstreams, generation) = self.current();
        let (last_1m, last_5m, latest) = {
            let h = self.history.lock().unwrap_or_else(PoisonError::into_inner);
            (
                h.window(Duration::from_secs(60)),
                h.window(Duration::from_secs(300)),
                h.latest().cloned().unwrap_or_default(),
            )
        };
        let checks = self
            .checks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let store = self.store.status().await;
        let id_maps: BTreeMap<&str, i64> = store
            .id_maps
            .iter()
            .map(|c| (c.name.as_str(), c.count))
            .collect();
        let sign_ins: BTreeMap<String, agentgw_core::SignInState> =
            upstreams.sign_ins().into_iter().collect();
        let now = Utc::now();

        let mut upstream_rows: Vec<UpstreamRow> = config
            .upstreams
            .values()
            .map(|u| {
                let check = checks.get(&u.name);
                let recent = last_5m.upstreams.get(&u.name).cloned().unwrap_or_default();
                let minute = last_1m.upstreams.get(&u.name).cloned().unwrap_or_default();
                let token = sign_ins.get(&u.name).map(|s| TokenView {
                    kind: s.kind,
                    expires_in_seconds: s.expires_at.map(|t| (t - now).num_seconds()),
                    last_renewal: s.renewed_at.map(time),
                    last_failure: s
                        .failed
                        .as_ref()
                        .map(|(at, why)| format!("{} ({why})", time(*at))),
                    failing: s.failing,
                });
                let error_share = share(recent.failed, recent.calls);
                let (state, last_error) = if let Some(t) = token.as_ref().filter(|t| t.failing) {
                    (
                        "down",
                        Some(format!(
                            "sign-in refused: {}",
                            t.last_failure.clone().unwrap_or_default()
                        )),
                    )
                } else if let Some(e) = check.and_then(|c| c.error.clone()) {
                    ("down", Some(e))
                } else if minute.calls > 0.0 && minute.failed >= minute.calls {
                    ("down", Some("every call of the last minute failed".into()))
                } else if error_share > DEGRADED {
                    (
                        "degraded",
                        Some(format!(
                            "{:.1} % of calls failed in 5 minutes",
                            error_share * 100.0
                        )),
                    )
                } else if check.is_none() && recent.calls == 0.0 {
                    ("unknown", None)
                } else {
                    ("up", None)
                };
                UpstreamRow {
                    name: u.name.clone(),
                    dialect: u.dialect.name.to_owned(),
                    base_url: without_password(&u.base_url),
                    state,
                    last_check: check.map(|c| time(c.at)),
                    last_check_ms: check.map(|c| (c.took.as_secs_f64() * 1e5).round() / 100.0),
                    last_error,
                    calls_5m: recent.calls.max(0.0) as u64,
                    error_share_5m: error_share,
                    retries_5m: recent.retries.max(0.0) as u64,
                    p50_ms: ms(&recent.latency, 0.5),
                    p99_ms: ms(&recent.latency, 0.99),
                    id_map: Some(id_maps.get(u.name.as_str()).copied().unwrap_or(0)),
                    token,
                    rate_limit: rate_limit(&u.name, &recent, &minute),
                    failing: state == "down" || state == "degraded",
                }
            })
            .collect();

        let upstream_state: BTreeMap<String, &'static str> = upstream_rows
            .iter()
            .map(|u| (u.name.clone(), u.state))
            .collect();
        let mut routes: Vec<RouteRow> = config
            .routes
            .iter()
            .map(|r| {
                let (l1, l5) = (traffic(&last_1m, &r.name), traffic(&last_5m, &r.name));
                let backend = match &r.upstream {
                    Some(name) => format!("upstream {name}"),
                    None => format!("embedded:{}", r.tenant),
                };
                let upstream_bad = r
                    .upstream
                    .as_ref()
                    .and_then(|n| upstream_state.get(n))
                    .filter(|s| matches!(**s, "down" | "degraded"));
                let why = if let Some(state) = upstream_bad {
                    Some(format!("its upstream is {state}"))
                } else if l5.share_5xx > FAILING_5XX {
                    Some(format!(
                        "{:.1} % answered 5xx in 5 minutes",
                        l5.share_5xx * 100.0
                    ))
                } else {
                    None
                };
                RouteRow {
                    name: r.name.clone(),
                    dialect: r.dialect.name.to_owned(),
                    prefix: r.prefix.clone(),
                    backend,
                    last_1m: l1,
                    last_5m: l5,
                    failing: why.is_some(),
                    why,
                }
            })
            .collect();

        match shown.sort {
            "rate" => routes.sort_by(|a, b| b.last_1m.per_second.total_cmp(&a.last_1m.per_second)),
            "errors" => routes.sort_by(|a, b| {
                (b.last_5m.share_5xx + b.last_5m.share_4xx)
                    .total_cmp(&(a.last_5m.share_5xx + a.last_5m.share_4xx))
            }),
            "p99" => routes.sort_by(|a, b| {
                b.last_5m
                    .p99_ms
                    .unwrap_or(0.0)
                    .total_cmp(&a.last_5m.p99_ms.unwrap_or(0.0))
            }),
            _ => routes.sort_by(|a, b| a.name.cmp(&b.name)),
        }
        if shown.only_failing {
            routes.retain(|r| r.failing);
            upstream_rows.retain(|u| u.failing);
        }

        let readiness = crate::readiness::Readiness::decide(&self.store, &upstreams).await;

        let (pairs, problem) = match self.store.journal_pairs().await {
            Ok(pairs) => (pairs, None),
            Err(e) => (Vec::new(), Some(e.to_string())),
        };
        let uptime = self.started_at.elapsed();
        View {
            version: env!("CARGO_PKG_VERSION"),
            started: time(self.started),
            uptime: human(uptime),
            uptime_seconds: uptime.as_secs(),
            generation,
            readiness: Readiness {
                ready: readiness.ready(),
                reasons: readiness.reasons(),
            },
            routes,
            upstreams: upstream_rows,
            store: StoreView {
                status: store,
                hash_queue: latest.hash_queue.max(0.0) as u64,
                writes_in_flight: latest.writes_in_flight.max(0.0) as u64,
                hash_refused_5m: last_5m.hash_refused.max(0.0) as u64,
            },
            migrations: Migrations { pairs, problem },
            shown,
        }
    }
}

/// How `name`'s rate limit stands: its budget as kept in this process, and what the last
/// minute (`minute`) and five minutes (`recent`) of metrics say.
fn rate_limit(name: &str, recent: &UpstreamCounts, minute: &UpstreamCounts) -> RateLimitView {
    let budget = agentgw_outbound::budget(name);
    let count = |v: f64| v.max(0.0) as u64;
    RateLimitView {
        budget: budget
            .as_ref()
            .map_or_else(|| "not built yet".into(), |b| b.describe()),
        shared: budget.as_ref().is_some_and(|b| b.shared),
        learned_per_second: budget.as_ref().and_then(|b| b.learned_rate),
        calls_1m: count(minute.calls),
        delayed_5m: count(recent.throttled),
        waited_5m_seconds: (recent.throttle_wait.max(0.0) * 10.0).round() / 10.0,
        refused_5m: count(recent.throttle_refused),
        upstream_429s_5m: count(recent.limited),
        waiting: budget.as_ref().map_or(0, |b| b.waiting),
        next_call_at: budget
            .and_then(|b| b.next_call_at)
            .map(|at| time(DateTime::<Utc>::from(at))),
    }
}

/// `300 per 5m; 41 calls in 1 min; 12 held back 3.2 s; 2 refused (429) by the upstream;
/// next call 12:00:03`: only what is not nothing.
fn rate_limit_cell(r: &RateLimitView) -> String {
    let mut parts = vec![r.budget.clone(), format!("{} calls in 1 min", r.calls_1m)];
    if r.delayed_5m > 0 {
        parts.push(format!(
            "{} held back {:.1} s",
            r.delayed_5m, r.waited_5m_seconds
        ));
    }
    if r.refused_5m > 0 {
        parts.push(format!("{} answered 429 (past max_wait)", r.refused_5m));
    }
    if r.upstream_429s_5m > 0 {
        parts.push(format!(
            "{} refused (429) by the upstream",
            r.upstream_429s_5m
        ));
    }
    if r.waiting > 0 {
        parts.push(format!("{} waiting now", r.waiting));
    }
    if let Some(at) = &r.next_call_at {
        parts.push(format!("next call {at}"));
    }
    parts.join("; ")
}

/// The HTML page: the view, and its cells as text (the template only prints).
#[derive(Template)]
#[template(path = "status.html")]
struct Page<'a> {
    v: &'a View,
    routes: Vec<RouteCells>,
    upstreams: Vec<UpstreamCells>,
    migrations: Vec<MigrationCells>,
    sorts: Vec<SortLink>,
    toggle: String,
    refresh: Option<u32>,
}

/// A route's row as printed.
struct RouteCells {
    name: String,
    dialect: String,
    prefix: String,
    backend: String,
    rate_1m: String,
    share_4xx: String,
    share_5xx: String,
    p50_1m: String,
    p99_1m: String,
    p50_5m: String,
    p99_5m: String,
    state: &'static str,
    why: String,
}

/// An upstream's row as printed.
struct UpstreamCells {
    name: String,
    dialect: String,
    base_url: String,
    state: &'static str,
    last_check: String,
    last_error: String,
    latency: String,
    error_share: String,
    retries: u64,
    id_map: String,
    token: String,
    rate_limit: String,
}

/// A migration pair's row as printed.
struct MigrationCells {
    run: String,
    agents: i64,
    last_write: String,
    actions: String,
    last_run: String,
    watching: String,
}

/// A run's result as read: `create 3, update 1, …` or its error.
fn result_text(result: Option<&serde_json::Value>) -> String {
    match result {
        None => "running".into(),
        Some(v) => match v.get("error").and_then(serde_json::Value::as_str) {
            Some(e) => format!("not run: {e}"),
            None => v
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(_, n)| n.as_i64().unwrap_or(0) > 0)
                        .map(|(k, n)| format!("{} {n}", k.replace('_', " ")))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "nothing to do".into()),
        },
    }
}

/// A column the routes can be sorted by.
struct SortLink {
    label: &'static str,
    href: String,
    current: bool,
}

fn pct(share: f64) -> String {
    format!("{:.1} %", share * 100.0)
}

fn millis(value: Option<f64>) -> String {
    value.map_or_else(|| "–".to_owned(), |v| format!("{v:.2} ms"))
}

/// The page's own URL with `sort` and the failing filter as given (refresh kept).
fn link(shown: &Shown, sort: &str, failing: bool) -> String {
    let mut q = vec![format!("sort={sort}")];
    if failing {
        q.push("failing=1".into());
    }
    if let Some(r) = shown.refresh {
        q.push(format!("refresh={r}"));
    }
    format!("/?{}", q.join("&"))
}

impl<'a> Page<'a> {
    fn of(v: &'a View) -> Page<'a> {
        let routes = v
            .routes
            .iter()
            .map(|r| RouteCells {
                name: r.name.clone(),
                dialect: r.dialect.clone(),
                prefix: r.prefix.clone(),
                backend: r.backend.clone(),
                rate_1m: format!("{:.2}/s", r.last_1m.per_second),
                share_4xx: pct(r.last_5m.share_4xx),
                share_5xx: pct(r.last_5m.share_5xx),
                p50_1m: millis(r.last_1m.p50_ms),
                p99_1m: millis(r.last_1m.p99_ms),
                p50_5m: millis(r.last_5m.p50_ms),
                p99_5m: millis(r.last_5m.p99_ms),
                state: if r.failing { "failing" } else { "ok" },
                why: r.why.clone().unwrap_or_default(),
            })
            .collect();
        let upstreams = v
            .upstreams
            .iter()
            .map(|u| UpstreamCells {
                name: u.name.clone(),
                dialect: u.dialect.clone(),
                base_url: u.base_url.clone(),
                state: u.state,
                last_check: match (&u.last_check, u.last_check_ms) {
                    (Some(at), Some(ms)) => format!("{at} ({ms:.1} ms)"),
                    _ => "not yet".into(),
                },
                last_error: u.last_error.clone().unwrap_or_else(|| "–".into()),
                latency: format!("{} / {}", millis(u.p50_ms), millis(u.p99_ms)),
                error_share: pct(u.error_share_5m),
                retries: u.retries_5m,
                id_map: u.id_map.map_or_else(|| "–".into(), |n| n.to_string()),
                rate_limit: rate_limit_cell(&u.rate_limit),
                token: match &u.token {
                    None => "–".into(),
                    Some(t) => {
                        let mut parts = vec![t.kind.to_owned()];
                        if let Some(s) = t.expires_in_seconds {
                            parts.push(format!(
                                "expires in {}",
                                human(Duration::from_secs(s.max(0).unsigned_abs()))
                            ));
                        }
                        if let Some(r) = &t.last_renewal {
                            parts.push(format!("renewed {r}"));
                        }
                        if let Some(f) = &t.last_failure {
                            parts.push(format!("last failure {f}"));
                        }
                        parts.join("; ")
                    }
                },
            })
            .collect();
        let migrations = v
            .migrations
            .pairs
            .iter()
            .map(|m| MigrationCells {
                run: m.run.clone(),
                agents: m.agents,
                last_write: m.last_write.clone().unwrap_or_else(|| "–".into()),
                actions: m
                    .actions
                    .iter()
                    .map(|a| format!("{} {}", a.name, a.count))
                    .collect::<Vec<_>>()
                    .join(", "),
                last_run: m.last_run.as_ref().map_or_else(
                    || "–".into(),
                    |r| {
                        let when = r.finished_at.as_deref().unwrap_or(&r.started_at);
                        format!(
                            "run {} at {when}: {}",
                            r.number,
                            result_text(r.result.as_ref())
                        )
                    },
                ),
                watching: m.watching.as_ref().map_or_else(
                    || "–".into(),
                    |w| {
                        format!(
                            "--watch every {} s, {} runs so far",
                            w.interval_seconds, w.runs
                        )
                    },
                ),
            })
            .collect();
        let sorts = [
            ("name", "Name"),
            ("rate", "Requests/s"),
            ("errors", "Errors"),
            ("p99", "p99"),
        ]
        .into_iter()
        .map(|(key, label)| SortLink {
            label,
            href: link(&v.shown, key, v.shown.only_failing),
            current: v.shown.sort == key,
        })
        .collect();
        Page {
            v,
            routes,
            upstreams,
            migrations,
            sorts,
            toggle: link(&v.shown, v.shown.sort, !v.shown.only_failing),
            refresh: v.shown.refresh,
        }
    }
}

/// `GET /`: the page, or its JSON twin with `?format=json`.
pub async fn page(
    req: HttpRequest,
    status: web::Data<Status>,
    query: web::Query<Query>,
) -> HttpResponse {
    let query = query.into_inner();
    let sort = SORTS
        .iter()
        .copied()
        .find(|s| query.sort.as_deref() == Some(*s))
        .unwrap_or("name");
    let refresh = query
        .refresh
        .as_deref()
        .and_then(|r| r.parse::<u32>().ok())
        .map(|r| r.clamp(2, 3600));
    let only_failing = matches!(query.failing.as_deref(), Some("1" | "true" | "on" | "yes"));
    let view = status
        .view(Shown {
            sort,
            only_failing,
            refresh,
        })
        .await;
    let wants_json = query.format.as_deref() == Some("json")
        || req
            .headers()
            .get("accept")
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.starts_with("application/json"));
    if wants_json {
        return HttpResponse::Ok().json(&view);
    }
    match Page::of(&view).render() {
        Ok(html) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header(("Cache-Control", "no-store"))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "the status page did not render");
            HttpResponse::InternalServerError().body("the status page did not render; see the log")
        }
    }
}
