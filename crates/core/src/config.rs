//! The configuration contract: load (file + `AGENTGW__SECTION__KEY` env), deserialize strictly,
//! then validate cross-references. Later issues add keys; existing keys keep their meaning.
//!
//! A route or an upstream names its dialect; the keys it has beyond the common ones belong
//! to that dialect, and its adapter decodes them into its own typed settings
//! ([`Dialect::route_settings`]), refusing any key it does not know.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;
use serde_json::{Map, Value};

use crate::credentials::{RawCredential, resolve_secrets};
use crate::{Credential, CredentialSet, Dialect, RateLimit, Scope, Settings};

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read or is not TOML (its text once: no error source is kept,
    /// so a chain printer does not repeat it).
    #[error("cannot read configuration: {0}")]
    Load(String),
    #[error("invalid configuration:\n  - {}", .0.join("\n  - "))]
    Invalid(Vec<String>),
}

/// `[server]`: where to listen and how much to accept.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerConfig {
    #[serde(default = "default_listen")]
    pub listen: String,
    #[serde(default = "default_max_body")]
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive; past it the face's 408, connection closed.
    #[serde(default = "default_request_timeout_ms")]
    pub request_timeout_ms: u64,
}

/// `[admin]`: the operators' listener (Prometheus `/metrics`, the status page), apart from the
/// public port.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdminConfig {
    /// Where `/metrics` and the status page are served, e.g. `127.0.0.1:9464`.
    pub listen: String,
    /// A bearer token every admin path then asks for (`token_file` / `token_env` too).
    #[serde(default)]
    pub token: Option<crate::Secret>,
}

impl AdminConfig {
    /// Whether the listener is reachable from other machines (not loopback).
    pub fn beyond_loopback(&self) -> bool {
        self.listen
            .parse::<std::net::SocketAddr>()
            .is_ok_and(|a| !a.ip().is_loopback())
    }
}

/// `[tracing]`: span export. Absent (or no `otlp_endpoint`): nothing is exported.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TracingConfig {
    /// OTLP/HTTP traces endpoint, e.g. `http://127.0.0.1:4318/v1/traces`.
    pub otlp_endpoint: Option<String>,
    /// The `service.name` spans carry.
    #[serde(default = "default_service_name")]
    pub service_name: String,
}

fn default_service_name() -> String {
    "agentgw".into()
}

/// `[store]`: the embedded store's database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://path`, `sqlite::memory:` or `postgres://…`.
    #[serde(default = "default_store_url")]
    pub url: String,
    /// Start while the database cannot be reached, serving what needs no store and
    /// answering 503 for the rest until it connects; `false` exits at once instead.
    #[serde(default = "default_wait_at_start")]
    pub wait_at_start: bool,
}

fn default_wait_at_start() -> bool {
    true
}

fn default_listen() -> String {
    "127.0.0.1:8080".into()
}
fn default_max_body() -> usize {
    1024 * 1024
}
fn default_request_timeout_ms() -> u64 {
    30_000
}
fn default_store_url() -> String {
    "sqlite://data/agentgw.db".into()
}
fn default_backend() -> String {
    "embedded".into()
}
fn default_tenant() -> String {
    "default".into()
}

/// The file's sections, each decoded on its own so that every problem in every section is
/// listed, not only serde's first.
struct RawConfig {
    server: Option<ServerConfig>,
    admin: Option<AdminConfig>,
    tracing: Option<TracingConfig>,
    store: Option<StoreConfig>,
    routes: Vec<RawRoute>,
    upstreams: BTreeMap<String, RawUpstream>,
}

/// The sections a file may have.
const SECTIONS: [&str; 6] = ["server", "admin", "tracing", "store", "routes", "upstreams"];

/// `value` decoded as `T`, or the problem at `place`.
fn decode<T: serde::de::DeserializeOwned>(
    place: &str,
    value: Value,
    problems: &mut Vec<String>,
) -> Option<T> {
    serde_path_to_error::deserialize(value)
        .map_err(|e| {
            let at = e.path().to_string();
            let at = if at == "." {
                String::new()
            } else {
                format!(" {at}")
            };
            problems.push(format!("{place}{at}: {}", e.into_inner()));
        })
        .ok()
}

impl RawConfig {
    /// Split a parsed file into its sections; what cannot be decoded is a problem.
    fn from_value(value: Value, problems: &mut Vec<String>) -> RawConfig {
        let mut top = match value {
            Value::Object(map) => map,
            _ => {
                problems.push("the configuration is not a table".into());
                Map::new()
            }
        };
        for key in top.keys().filter(|k| !SECTIONS.contains(&k.as_str())) {
            problems.push(format!(
                "unknown section `{key}` (known: {})",
                SECTIONS.join(", ")
            ));
        }
        let server = top
            .remove("server")
            .and_then(|v| decode("[server]", v, problems));
        let admin = top.remove("admin").and_then(|mut v| {
            crate::credentials::resolve_secrets(&mut v, "[admin]", problems);
            decode("[admin]", v, problems)
        });
        let tracing = top
            .remove("tracing")
            .and_then(|v| decode("[tracing]", v, problems));
        let store = top
            .remove("store")
            .and_then(|v| decode("[store]", v, problems));
        let routes = match top.remove("routes") {
            None => Vec::new(),
            Some(Value::Array(items)) => items
                .into_iter()
                .enumerate()
                .filter_map(|(i, mut v)| {
                    let place = match v["name"].as_str() {
                        Some(name) => format!("routes[{i}] (`{name}`)"),
                        None => format!("routes[{i}]"),
                    };
                    if let Some(Value::Array(credentials)) = v.get_mut("credentials") {
                        for (j, c) in credentials.iter_mut().enumerate() {
                            resolve_secrets(c, &format!("{place} credentials[{j}]"), problems);
                        }
                    }
                    decode(&place, v, problems)
                })
                .collect(),
            Some(_) => {
                problems.push("routes must be [[routes]] tables".into());
                Vec::new()
            }
        };
        let upstreams = match top.remove("upstreams") {
            None => BTreeMap::new(),
            Some(Value::Object(map)) => map
                .into_iter()
                .filter_map(|(name, mut v)| {
                    let place = format!("[upstreams.{name}]");
                    if let Some(c) = v.get_mut("credentials") {
                        resolve_secrets(c, &format!("{place} credentials"), problems);
                    }
                    decode(&place, v, problems).map(|u| (name, u))
                })
                .collect(),
            Some(_) => {
                problems.push("upstreams must be [upstreams.NAME] tables".into());
                BTreeMap::new()
            }
        };
        RawConfig {
            server,
            admin,
            tracing,
            store,
            routes,
            upstreams,
        }
    }
}

/// An upstream as written: the common keys, and the rest for its dialect. (No
/// `deny_unknown_fields`: unknown keys land in `settings`, which the adapter refuses.)
#[derive(Debug, Deserialize)]
struct RawUpstream {
    dialect: String,
    base_url: String,
    credentials: RawCredential,
    #[serde(default = "default_timeout_ms")]
    timeout_ms: u64,
    #[serde(default = "default_retries")]
    retries: u32,
    #[serde(default = "default_max_concurrency")]
    max_concurrency: usize,
    #[serde(default)]
    defaults: UpstreamDefaults,
    #[serde(default)]
    ready_check: bool,
    /// `{ requests, per, scope }` or `"off"`, decoded by [`rate_limit`].
    #[serde(default)]
    rate_limit: Option<Value>,
    /// How long a proxied call may wait for the upstream's budget, e.g. `"5s"`.
    #[serde(default)]
    max_wait: Option<String>,
    #[serde(flatten)]
    settings: Map<String, Value>,
}

/// `rate_limit` as written: `"off"`, or `{ requests = N, per = "DURATION", scope = ... }`.
fn rate_limit(value: Option<Value>) -> Result<RateLimit, Vec<String>> {
    const SHAPE: &str =
        r#"rate_limit must be "off" or a table like { requests = 300, per = "5m" }"#;
    let table = match value {
        None => return Ok(RateLimit::Learned),
        Some(Value::String(s)) if s == "off" => return Ok(RateLimit::Off),
        Some(Value::Object(table)) => table,
        Some(_) => return Err(vec![SHAPE.to_owned()]),
    };
    let mut problems = Vec::new();
    for key in table.keys() {
        if !["requests", "per", "scope"].contains(&key.as_str()) {
            problems.push(format!(
                "rate_limit: unknown key `{key}` (known: requests, per, scope)"
            ));
        }
    }
    let requests = match table.get("requests") {
        None => {
            problems.push("rate_limit.requests is missing (calls allowed in each `per`)".into());
            None
        }
        Some(v) => match v.as_u64().and_then(|n| u32::try_from(n).ok()) {
            Some(0) | None => {
                problems.push(format!(
                    "rate_limit.requests must be a whole number from 1 to {} (got {v})",
                    u32::MAX
                ));
                None
            }
            Some(n) => Some(n),
        },
    };
    let per = match table.get("per") {
        None => {
            problems.push(r#"rate_limit.per is missing (a duration like "5m" or "60s")"#.into());
            None
        }
        Some(v) => match duration(v) {
            Ok(d) => Some(d),
            Err(p) => {
                problems.push(format!("rate_limit.per {p}"));
                None
            }
        },
    };
    let scope = match table.get("scope").map(|v| v.as_str()) {
        None | Some(Some("upstream")) => Some(Scope::Upstream),
        Some(Some("endpoint")) => Some(Scope::Endpoint),
        Some(_) => {
            problems.push(r#"rate_limit.scope must be "upstream" or "endpoint""#.into());
            None
        }
    };
    match (requests, per, scope) {
        (Some(requests), Some(per), Some(scope)) if problems.is_empty() => Ok(RateLimit::Budget {
            requests,
            per,
            scope,
        }),
        _ => Err(problems),
    }
}

/// A positive duration written as humantime text (`"5m"`, `"60s"`, `"1h 30m"`).
fn duration(value: &Value) -> Result<std::time::Duration, String> {
    let text = value
        .as_str()
        .ok_or_else(|| format!(r#"must be a duration like "5m" or "60s" (got {value})"#))?;
    match humantime::parse_duration(text) {
        Ok(d) if d.is_zero() => Err(format!("must be above zero (got `{text}`)")),
        Ok(d) => Ok(d),
        Err(e) => Err(format!(
            r#"`{text}` is not a duration like "5m" or "60s": {e}"#
        )),
    }
}

fn default_timeout_ms() -> u64 {
    10_000
}
fn default_retries() -> u32 {
    2
}
fn default_max_concurrency() -> usize {
    8
}

/// What a create through an upstream gets when the calling face cannot supply it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamDefaults {
    /// Canonical IANA zone, converted to the upstream's vocabulary.
    pub time_zone: Option<String>,
    pub datetime_format: Option<String>,
    pub language: Option<String>,
    /// Emails are synthesised as `<username>@<email_domain>`; absent, such a create is refused.
    pub email_domain: Option<String>,
    /// For upstreams that require a last name (comm100, supporthub) when the face has none
    /// (a livechat register, a one-word ndoto name).
    pub last_name: Option<String>,
    #[serde(default)]
    pub password: PasswordPolicy,
}

/// What a create does when the upstream needs a password the face did not send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PasswordPolicy {
    /// Refuse the create with the face's validation error.
    #[default]
    Reject,
    /// A random strong password, never logged or returned.
    Generate,
}

/// `[upstreams.NAME]`: a real helpdesk of some dialect that routes can put behind their face.
#[derive(Debug, Clone)]
pub struct UpstreamConfig {
    pub name: String,
    pub dialect: &'static Dialect,
    /// Where the dialect's own paths start, without a trailing `/`.
    pub base_url: String,
    /// Outbound credential, in the dialect's shape.
    pub credential: Credential,
    /// The dialect's own options, as its adapter decoded them.
    pub settings: Settings,
    pub timeout: std::time::Duration,
    /// Retries of idempotent calls (GET, PUT, DELETE) after a 5xx or a timeout; POST is
    /// never retried. (A 429 is not a failure: any call is sent again once its wait is over.)
    pub retries: u32,
    /// Requests in flight to this upstream at once.
    pub max_concurrency: usize,
    pub defaults: UpstreamDefaults,
    /// Whether `/readyz` also asks this upstream (any HTTP answer within the timeout is up).
    pub ready_check: bool,
    /// How fast it may be called: a budget, learned from the vendor, or not paced.
    pub rate_limit: RateLimit,
    /// The longest a proxied call waits for the budget before the face answers 429; by
    /// default the server's request timeout. (`migrate` waits as long as the vendor asks.)
    pub max_wait: std::time::Duration,
}

/// A route as written: the common keys, and the rest for its dialect. (No
/// `deny_unknown_fields`: unknown keys land in `settings`, which the adapter refuses.)
#[derive(Debug, Deserialize)]
struct RawRoute {
    name: String,
    dialect: String,
    prefix: String,
    #[serde(default = "default_backend")]
    backend: String,
    #[serde(default = "default_tenant")]
    tenant: String,
    #[serde(default)]
    credentials: Vec<RawCredential>,
    #[serde(flatten)]
    settings: Map<String, Value>,
}

/// One served dialect: where, for whom, and what answers it.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub name: String,
    pub dialect: &'static Dialect,
    /// Normalised: starts with `/`, no trailing `/` (the root is `/`).
    pub prefix: String,
    /// The embedded tenant whose agents this route serves.
    pub tenant: String,
    pub credentials: CredentialSet,
    /// The dialect's own options, as its adapter decoded them.
    pub settings: Settings,
    /// The `[upstreams.NAME]` behind this route; `None` is the embedded store.
    pub upstream: Option<String>,
}

/// A loaded and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    /// No `[admin]`: no metrics are kept or served.
    pub admin: Option<AdminConfig>,
    /// No `[tracing]`: no spans are exported.
    pub tracing: Option<TracingConfig>,
    pub store: StoreConfig,
    pub routes: Vec<RouteConfig>,
    pub upstreams: BTreeMap<String, UpstreamConfig>,
}

/// The longest tenant or upstream name, in bytes. A tenant name leads every index of the
/// agents table, and PostgreSQL's B-tree entries must stay under ~2,700 bytes beside a
/// 511-character display name.
const MAX_NAME_BYTES: usize = 100;

fn normalise_prefix(prefix: &str) -> String {
    let segments: Vec<&str> = prefix.split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}", segments.join("/"))
}

fn join_paths(a: &str, b: &str) -> String {
    normalise_prefix(&format!("{a}/{b}"))
}

/// Whether `outer` is `inner` or a whole-segment prefix of it.
fn covers(outer: &str, inner: &str) -> bool {
    outer == "/" || inner == outer || inner.starts_with(&format!("{outer}/"))
}

/// The dialects a configuration may name: the binary's registry of adapters.
pub type Dialects<'a> = &'a [&'static Dialect];

fn find(dialects: Dialects<'_>, name: &str) -> Result<&'static Dialect, String> {
    dialects
        .iter()
        .find(|d| d.name == name)
        .copied()
        .ok_or_else(|| {
            let known: Vec<&str> = dialects.iter().map(|d| d.name).collect();
            format!("unknown dialect `{name}` (known: {})", known.join(", "))
        })
}

/// `problems` each prefixed with where they were found.
fn at(place: &str, problems: Vec<String>) -> impl Iterator<Item = String> + '_ {
    problems.into_iter().map(move |p| format!("{place}: {p}"))
}

impl Config {
    /// Read `path`, apply `AGENTGW__SECTION__KEY` environment overrides, and validate against
    /// the `dialects` this build has.
    pub fn load(path: &Path, dialects: Dialects<'_>) -> Result<Config, ConfigError> {
        let raw: Value = config::Config::builder()
            .add_source(
                config::File::from(path)
                    .format(config::FileFormat::Toml)
                    .required(true),
            )
            .add_source(
                config::Environment::with_prefix("AGENTGW")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true),
            )
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| ConfigError::Load(e.to_string()))?;
        Self::validate(raw, dialects)
    }

    /// Parse TOML text (no environment), for tests and tools.
    pub fn from_toml(text: &str, dialects: Dialects<'_>) -> Result<Config, ConfigError> {
        let raw: Value = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| ConfigError::Load(e.to_string()))?;
        Self::validate(raw, dialects)
    }

    fn validate(raw: Value, dialects: Dialects<'_>) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let raw = RawConfig::from_value(raw, &mut problems);
        let server = raw.server.unwrap_or_else(|| ServerConfig {
            listen: default_listen(),
            max_body_bytes: default_max_body(),
            request_timeout_ms: default_request_timeout_ms(),
        });
        let store = raw.store.unwrap_or_else(|| StoreConfig {
            url: default_store_url(),
            wait_at_start: default_wait_at_start(),
        });
        problems.extend(check_server(&server, &store));
        if let Some(endpoint) = raw.tracing.as_ref().and_then(|t| t.otlp_endpoint.as_ref())
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            problems.push(format!(
                "tracing.otlp_endpoint `{endpoint}` must be an http:// or https:// URL"
            ));
        }
        if let Some(admin) = &raw.admin
            && admin.listen.parse::<std::net::SocketAddr>().is_err()
        {
            problems.push(format!(
                "admin.listen `{}` is not an address like 127.0.0.1:9464",
                admin.listen
            ));
        }
        let mut upstreams = BTreeMap::new();
        // Upstreams that failed their own checks still exist for the routes naming them.
        let mut named = BTreeSet::new();
        let request_timeout = std::time::Duration::from_millis(server.request_timeout_ms);
        for (name, u) in raw.upstreams {
            named.insert(name.clone());
            match upstream(&name, u, dialects, request_timeout) {
                Ok(u) => {
                    upstreams.insert(name, u);
                }
                Err(p) => problems.extend(p),
            }
        }
        let mut names = BTreeSet::new();
        let mut routes = Vec::new();
        for r in raw.routes {
            if !names.insert(r.name.clone()) {
                problems.push(format!("route `{}`: the name is used twice", r.name));
            }
            match route(r, &named, dialects) {
                Ok(r) => routes.push(r),
                Err(p) => problems.extend(p),
            }
        }
        problems.extend(conflicts(&routes));
        if problems.is_empty() {
            Ok(Config {
                server,
                admin: raw.admin,
                tracing: raw.tracing,
                store,
                routes,
                upstreams,
            })
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }
}

fn check_server(server: &ServerConfig, store: &StoreConfig) -> Vec<String> {
    let mut problems = Vec::new();
    if server.listen.parse::<std::net::SocketAddr>().is_err() {
        problems.push(format!(
            "server.listen `{}` is not an address like 127.0.0.1:8080",
            server.listen
        ));
    }
    if server.max_body_bytes == 0 {
        problems.push("server.max_body_bytes must be above 0".into());
    }
    if server.request_timeout_ms == 0 {
        problems
            .push("server.request_timeout_ms must be above 0 (a body could take forever)".into());
    }
    if !(store.url.starts_with("sqlite:")
        || store.url.starts_with("postgres://")
        || store.url.starts_with("postgresql://"))
    {
        problems.push(format!(
            "store.url must start with sqlite: or postgres:// (got a `{}` URL)",
            store.url.split(':').next().unwrap_or("")
        ));
    }
    problems
}

/// One `[upstreams.NAME]` checked: its dialect, keys, defaults, credentials and options.
fn upstream(
    name: &str,
    u: RawUpstream,
    dialects: Dialects<'_>,
    request_timeout: std::time::Duration,
) -> Result<UpstreamConfig, Vec<String>> {
    let place = format!("upstream `{name}`");
    let mut problems = Vec::new();
    if name == "embedded" {
        problems.push("`embedded` names the embedded store; choose another name".to_owned());
    }
    if name.len() > MAX_NAME_BYTES {
        problems.push(format!("the name must be at most {MAX_NAME_BYTES} bytes"));
    }
    if !(u.base_url.starts_with("http://") || u.base_url.starts_with("https://")) {
        problems.push("base_url must start with http:// or https://".into());
    }
    if u.timeout_ms == 0 {
        problems.push(
            "timeout_ms must be above 0 (a call without a timeout could hang forever)".into(),
        );
    }
    if u.max_concurrency == 0 {
        problems.push("max_concurrency must be at least 1".into());
    }
    if let Some(tz) = &u.defaults.time_zone
        && agentgw_model::TimeZone::parse(tz).is_err()
    {
        problems.push(format!(
            "defaults.time_zone `{tz}` is not an IANA time zone"
        ));
    }
    if let Some(domain) = &u.defaults.email_domain
        && !agentgw_model::is_valid_email(&format!("user@{domain}"))
    {
        problems.push(format!("defaults.email_domain `{domain}` is not a domain"));
    }
    let rate_limit = rate_limit(u.rate_limit)
        .map_err(|p| problems.extend(p))
        .unwrap_or_default();
    let max_wait = match &u.max_wait {
        None => request_timeout,
        Some(text) => duration(&Value::String(text.clone())).unwrap_or_else(|p| {
            problems.push(format!("max_wait {p}"));
            request_timeout
        }),
    };
    let dialect = find(dialects, &u.dialect).map_err(|p| {
        problems.push(p);
        at(&place, std::mem::take(&mut problems)).collect::<Vec<_>>()
    })?;
    let credential = u
        .credentials
        .with_shapes(dialect.upstream_credentials)
        .map_err(|p| problems.push(format!("credentials {p}")))
        .ok();
    let settings = (dialect.upstream_settings)(u.settings)
        .map_err(|p| problems.extend(p))
        .ok();
    match (credential, settings) {
        (Some(credential), Some(settings)) if problems.is_empty() => Ok(UpstreamConfig {
            name: name.to_owned(),
            dialect,
            base_url: u.base_url.trim_end_matches('/').to_owned(),
            credential,
            settings,
            timeout: std::time::Duration::from_millis(u.timeout_ms),
            retries: u.retries,
            max_concurrency: u.max_concurrency,
            defaults: u.defaults,
            ready_check: u.ready_check,
            rate_limit,
            max_wait,
        }),
        _ => Err(at(&place, problems).collect()),
    }
}

/// One `[[routes]]` entry checked: its dialect, backend, tenant, credentials and options.
fn route(
    r: RawRoute,
    upstreams: &BTreeSet<String>,
    dialects: Dialects<'_>,
) -> Result<RouteConfig, Vec<String>> {
    let place = format!("route `{}`", r.name);
    let mut problems = Vec::new();
    if r.name.is_empty() {
        problems.push("the name is empty".to_owned());
    }
    let upstream = match r.backend.as_str() {
        "embedded" => None,
        name if upstreams.contains(name) => Some(name.to_owned()),
        name => {
            problems.push(format!(
                "backend `{name}` is neither \"embedded\" nor an [upstreams.{name}] table"
            ));
            None
        }
    };
    if r.tenant.starts_with("upstream:") {
        problems.push(
            "tenant names starting with `upstream:` are reserved for upstream id maps".into(),
        );
    }
    if r.tenant.is_empty() || r.tenant.len() > MAX_NAME_BYTES {
        problems.push(format!("tenant must be 1 to {MAX_NAME_BYTES} bytes long"));
    }
    if r.credentials.is_empty() {
        problems.push("no credentials: every route must check its callers".into());
    }
    if !r.prefix.starts_with('/') {
        problems.push(format!(
            "prefix `{}` must start with `/` (e.g. `/{}`)",
            r.prefix,
            r.prefix.trim_matches('/')
        ));
    }
    let dialect = find(dialects, &r.dialect).map_err(|p| {
        problems.push(p);
        at(&place, std::mem::take(&mut problems)).collect::<Vec<_>>()
    })?;
    let mut credentials = Vec::new();
    for (i, c) in r.credentials.into_iter().enumerate() {
        match c.with_shape(dialect.credential) {
            Ok(c) => credentials.push(c),
            Err(p) => problems.push(format!("credentials[{i}] {p}")),
        }
    }
    let settings = (dialect.route_settings)(r.settings)
        .map_err(|p| problems.extend(p))
        .ok();
    match settings {
        Some(settings) if problems.is_empty() => Ok(RouteConfig {
            name: r.name,
            dialect,
            prefix: normalise_prefix(&r.prefix),
            tenant: r.tenant,
            credentials: CredentialSet::new(credentials),
            settings,
            upstream,
        }),
        _ => Err(at(&place, problems).collect()),
    }
}

/// Each pair of routes that cannot both be served, once: the same prefix; one prefix a
/// whole-segment prefix of the other (the outer face, its 404s and its `openapi.json`, would
/// answer inside the inner); or served paths that collide.
fn conflicts(routes: &[RouteConfig]) -> Vec<String> {
    let mut problems = Vec::new();
    for (i, a) in routes.iter().enumerate() {
        for b in &routes[i + 1..] {
            if a.prefix == b.prefix {
                problems.push(format!(
                    "routes `{}` and `{}` have the same prefix `{}`",
                    a.name, b.name, a.prefix
                ));
            } else if covers(&a.prefix, &b.prefix) || covers(&b.prefix, &a.prefix) {
                let (outer, inner) = if covers(&a.prefix, &b.prefix) {
                    (a, b)
                } else {
                    (b, a)
                };
                problems.push(format!(
                    "route `{}`'s prefix `{}` contains route `{}`'s `{}`: give each route a prefix of its own",
                    outer.name, outer.prefix, inner.name, inner.prefix
                ));
            } else if let (ra, rb) = (
                join_paths(&a.prefix, a.dialect.root),
                join_paths(&b.prefix, b.dialect.root),
            ) && (covers(&ra, &rb) || covers(&rb, &ra))
            {
                problems.push(format!(
                    "routes `{}` and `{}` collide: both would serve paths under {}",
                    a.name,
                    b.name,
                    if ra.len() < rb.len() { &rb } else { &ra }
                ));
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{BackendError, CredentialShape, DialectSettings, NoSettings, Remote};

    /// Two made-up dialects: the real ones live in their adapters, which this crate never sees.
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct AlphaSettings {
        #[serde(default = "one")]
        ids: Vec<i64>,
    }
    fn one() -> Vec<i64> {
        vec![1]
    }
    impl DialectSettings for AlphaSettings {
        fn check(&self) -> Vec<String> {
            if self.ids.is_empty() {
                vec!["ids must name at least one id".into()]
            } else {
                Vec::new()
            }
        }
    }
    fn no_remote(
        _: &UpstreamConfig,
        _: &crate::RemoteEnv,
    ) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
        Err(BackendError::Unsupported("remotes in this test"))
    }
    static ALPHA: Dialect = Dialect {
        name: "alpha",
        root: "/api/alpha",
        credential: CredentialShape::Token,
        upstream_credentials: &[CredentialShape::Token],
        route_settings: Settings::decode::<AlphaSettings>,
        upstream_settings: Settings::decode::<NoSettings>,
        remote: no_remote,
    };
    static BETA: Dialect = Dialect {
        name: "beta",
        root: "/",
        credential: CredentialShape::UserToken,
        upstream_credentials: &[CredentialShape::UserToken],
        route_settings: Settings::decode::<NoSettings>,
        upstream_settings: Settings::decode::<AlphaSettings>,
        remote: no_remote,
    };
    const DIALECTS: Dialects<'static> = &[&ALPHA, &BETA];

    const OK: &str = r#"
        [server]
        listen = "127.0.0.1:0"
        [store]
        url = "sqlite::memory:"
        [[routes]]
        name = "a"
        dialect = "alpha"
        prefix = "/a/"
        credentials = [{ token = "t" }]
    "#;

    fn parse(text: &str) -> Result<Config, ConfigError> {
        Config::from_toml(text, DIALECTS)
    }

    fn problems(text: &str) -> String {
        match parse(text) {
            Ok(_) => panic!("expected an invalid configuration"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn defaults_and_normalisation() {
        let c = parse(OK).expect("valid");
        assert_eq!(c.server.max_body_bytes, 1024 * 1024);
        assert_eq!(c.server.request_timeout_ms, 30_000);
        assert_eq!(c.routes[0].prefix, "/a");
        assert_eq!(c.routes[0].tenant, "default");
        assert_eq!(c.routes[0].dialect.name, "alpha");
        assert_eq!(
            c.routes[0].settings.get::<AlphaSettings>(),
            Some(&AlphaSettings { ids: vec![1] })
        );
    }

    #[test]
    fn a_routes_own_keys_go_to_its_dialect() {
        let c = parse(&OK.replace("prefix = ", "ids = [3, 4]\nprefix = ")).expect("valid");
        assert_eq!(
            c.routes[0].settings.get::<AlphaSettings>(),
            Some(&AlphaSettings { ids: vec![3, 4] })
        );
        let e = problems(&OK.replace("prefix = ", "ids = []\nprefix = "));
        assert!(
            e.contains("route `a`: ids must name at least one id"),
            "{e}"
        );
        // A key no dialect option and no common key: the adapter's decoder names it.
        let e = problems(&OK.replace("prefix = ", "prefx = \"/x\"\nprefix = "));
        assert!(e.contains("route `a`") && e.contains("prefx"), "{e}");
    }

    #[test]
    fn an_unknown_dialect_lists_the_known_ones() {
        let e = problems(&OK.replace("\"alpha\"", "\"alpah\""));
        assert!(
            e.contains("route `a`: unknown dialect `alpah` (known: alpha, beta)"),
            "{e}"
        );
    }

    #[test]
    fn wrong_credential_shape_and_missing_credentials() {
        let e = problems(&OK.replace("{ token = \"t\" }", "{ key = \"k\", secret = \"s\" }"));
        assert!(e.contains("credentials[0] must be { token }"), "{e}");
        let e = problems(&OK.replace("credentials = [{ token = \"t\" }]", ""));
        assert!(e.contains("no credentials"), "{e}");
    }

    #[test]
    fn routes_need_prefixes_of_their_own() {
        let route = |name: &str, dialect: &str, prefix: &str, cred: &str| {
            format!(
                "\n[[routes]]\nname = \"{name}\"\ndialect = \"{dialect}\"\nprefix = \"{prefix}\"\ncredentials = [{cred}]\n"
            )
        };
        let beta = |name: &str, prefix: &str| {
            route(name, "beta", prefix, "{ user_id = \"u\", token = \"t\" }")
        };
        let e = problems(&(OK.to_owned() + &route("again", "alpha", "/a", "{ token = \"t\" }")));
        assert!(
            e.contains("routes `a` and `again` have the same prefix `/a`"),
            "{e}"
        );
        assert_eq!(e.matches("again").count(), 1, "one problem, said once: {e}");
        let e = problems(&(OK.to_owned() + &beta("b", "/a")));
        assert!(
            e.contains("same prefix"),
            "disjoint roots still share the prefix's openapi.json: {e}"
        );
        let e = problems(&(OK.replace("\"/a/\"", "\"/\"") + &beta("b", "/b")));
        assert!(
            e.contains("route `a`'s prefix `/` contains route `b`'s `/b`"),
            "{e}"
        );
        let e = problems(&(OK.to_owned() + &beta("b", "/a/b")));
        assert!(e.contains("contains route `b`'s `/a/b`"), "{e}");
        assert!(
            parse(&(OK.to_owned() + &beta("b", "/ab"))).is_ok(),
            "whole segments only"
        );
        let e = problems(&OK.replace("\"/a/\"", "\"a\""));
        assert!(
            e.contains("prefix `a` must start with `/` (e.g. `/a`)"),
            "{e}"
        );
    }

    #[test]
    fn every_problem_is_listed_once_with_its_place() {
        let text = r#"
            [server]
            listen = 8080
            [wrong]
            x = 1
            [[routes]]
            name = "one"
            dialect = "alpha"
            credentials = [{ token = "t" }]
            [[routes]]
            name = "two"
            dialect = "comm101"
            prefix = "/two"
            credentials = [{ token = "t" }]
            [upstreams.up]
            dialect = "alpha"
            base_url = "https://x.example"
            credentials = { token = "t" }
            [upstreams.up.defaults]
            password = "maybe"
        "#;
        let e = problems(text);
        for expected in [
            "unknown section `wrong` (known: server, admin, tracing, store, routes, upstreams)",
            "[server] listen: invalid type: integer `8080`, expected a string",
            "routes[0] (`one`): missing field `prefix`",
            "unknown dialect `comm101` (known: alpha, beta)",
            "[upstreams.up] defaults.password: unknown variant `maybe`, expected `reject` or `generate`",
        ] {
            assert!(e.contains(expected), "{expected:?} in {e}");
            assert_eq!(e.matches(expected).count(), 1, "{expected:?} once in {e}");
        }
    }

    #[test]
    fn tenant_and_upstream_names_are_bounded() {
        let long = "t".repeat(101);
        let e = problems(&OK.replace(
            "prefix = \"/a/\"",
            &format!("prefix = \"/a/\"\ntenant = \"{long}\""),
        ));
        assert!(e.contains("tenant must be 1 to 100 bytes"), "{e}");
        let e = problems(&format!(
            "{OK}\n[upstreams.{long}]\ndialect = \"alpha\"\nbase_url = \"https://x.example\"\ncredentials = {{ token = \"x\" }}\n"
        ));
        assert!(e.contains("at most 100 bytes"), "{e}");
    }

    #[test]
    fn rate_limits_are_checked_whole() {
        let up = |extra: &str| {
            format!(
                "{OK}\n[upstreams.up]\ndialect = \"alpha\"\nbase_url = \"https://x.example\"\ncredentials = {{ token = \"x\" }}\n{extra}\n"
            )
        };
        let limit = |extra: &str| parse(&up(extra)).map(|c| c.upstreams["up"].rate_limit);
        assert_eq!(limit("").ok(), Some(RateLimit::Learned));
        assert_eq!(limit("rate_limit = \"off\"").ok(), Some(RateLimit::Off));
        assert_eq!(
            limit("rate_limit = { requests = 300, per = \"5m\" }").ok(),
            Some(RateLimit::Budget {
                requests: 300,
                per: std::time::Duration::from_secs(300),
                scope: Scope::Upstream
            })
        );
        assert_eq!(
            limit("rate_limit = { requests = 10, per = \"60s\", scope = \"endpoint\" }").ok(),
            Some(RateLimit::Budget {
                requests: 10,
                per: std::time::Duration::from_secs(60),
                scope: Scope::Endpoint
            })
        );
        for (extra, expected) in [
            (
                "rate_limit = { requests = 0, per = \"5m\" }",
                "rate_limit.requests must be a whole number from 1",
            ),
            (
                "rate_limit = { requests = -3, per = \"5m\" }",
                "rate_limit.requests must be a whole number from 1",
            ),
            (
                "rate_limit = { requests = 10, per = \"5 parsecs\" }",
                "rate_limit.per `5 parsecs` is not a duration",
            ),
            (
                "rate_limit = { requests = 10, per = \"0s\" }",
                "rate_limit.per must be above zero",
            ),
            (
                "rate_limit = { requests = 10, per = 60 }",
                "rate_limit.per must be a duration",
            ),
            (
                "rate_limit = { requests = 10 }",
                "rate_limit.per is missing",
            ),
            (
                "rate_limit = { per = \"1m\" }",
                "rate_limit.requests is missing",
            ),
            (
                "rate_limit = { requests = 10, per = \"1m\", burst = 3 }",
                "rate_limit: unknown key `burst`",
            ),
            (
                "rate_limit = { requests = 10, per = \"1m\", scope = \"user\" }",
                "rate_limit.scope must be",
            ),
            (
                "rate_limit = \"on\"",
                "rate_limit must be \"off\" or a table",
            ),
            ("max_wait = \"soon\"", "max_wait `soon` is not a duration"),
        ] {
            let e = problems(&up(extra));
            assert!(
                e.contains(&format!("upstream `up`: {expected}")),
                "{extra}: {e}"
            );
        }
        // max_wait: the request timeout unless chosen.
        let c = parse(&up("")).expect("valid");
        assert_eq!(
            c.upstreams["up"].max_wait,
            std::time::Duration::from_secs(30)
        );
        let c = parse(&up("max_wait = \"2s\"")).expect("valid");
        assert_eq!(
            c.upstreams["up"].max_wait,
            std::time::Duration::from_secs(2)
        );
    }

    #[test]
    fn routes_reference_upstreams() {
        let e = problems(&OK.replace("prefix = \"/a/\"", "prefix = \"/a/\"\nbackend = \"legacy\""));
        assert!(e.contains("[upstreams.legacy]"), "{e}");
        let with = OK.replace("prefix = \"/a/\"", "prefix = \"/a/\"\nbackend = \"legacy\"")
            + "\n[upstreams.legacy]\ndialect = \"beta\"\nbase_url = \"https://up.example/\"\ncredentials = { user_id = \"u\", token = \"x\" }\nids = [7]\n[upstreams.legacy.defaults]\ntime_zone = \"UTC\"\npassword = \"generate\"\n";
        let c = parse(&with).expect("valid");
        assert_eq!(c.routes[0].upstream.as_deref(), Some("legacy"));
        let u = &c.upstreams["legacy"];
        assert_eq!(
            (
                u.base_url.as_str(),
                u.retries,
                u.max_concurrency,
                u.defaults.password
            ),
            ("https://up.example", 2, 8, PasswordPolicy::Generate)
        );
        assert_eq!(
            u.settings.get::<AlphaSettings>(),
            Some(&AlphaSettings { ids: vec![7] })
        );
        assert!(
            !format!("{u:?}").contains("\"x\""),
            "credentials are redacted"
        );
        let bad = with
            .replace(
                "time_zone = \"UTC\"",
                "time_zone = \"Pacific Standard Time\"",
            )
            .replace(
                "{ user_id = \"u\", token = \"x\" }",
                "{ key = \"k\", secret = \"s\" }",
            );
        let e = problems(&bad);
        assert!(
            e.contains("defaults.time_zone")
                && e.contains("credentials must be { user_id, token }"),
            "{e}"
        );
        assert!(
            !e.contains("[upstreams.legacy] table"),
            "a failed upstream still exists for its routes: {e}"
        );
    }
}
