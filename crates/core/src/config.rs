//! The configuration contract: load (file + `AGENTGW__SECTION__KEY` env), deserialize strictly,
//! then validate cross-references. Later issues add keys; existing keys keep their meaning.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;

use crate::credentials::RawCredential;
use crate::{Credential, CredentialSet, Dialect};

/// Why a configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration: {0}")]
    Load(#[from] config::ConfigError),
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

/// `[store]`: the embedded store's database.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreConfig {
    /// `sqlite://path`, `sqlite::memory:` or `postgres://…`.
    #[serde(default = "default_store_url")]
    pub url: String,
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    server: Option<ServerConfig>,
    store: Option<StoreConfig>,
    #[serde(default)]
    routes: Vec<RawRoute>,
    #[serde(default)]
    upstreams: BTreeMap<String, RawUpstream>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUpstream {
    dialect: Dialect,
    base_url: String,
    credentials: RawCredential,
    account_id: Option<i64>,
    #[serde(default = "default_timeout_ms")]
    timeout_ms: u64,
    #[serde(default = "default_retries")]
    retries: u32,
    #[serde(default = "default_max_concurrency")]
    max_concurrency: usize,
    #[serde(default)]
    defaults: UpstreamDefaults,
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
    pub dialect: Dialect,
    /// Where the dialect's own paths start, without a trailing `/`.
    pub base_url: String,
    /// Outbound credential, in the dialect's shape.
    pub credential: Credential,
    /// ndoto: the account to manage.
    pub account_id: i64,
    pub timeout: std::time::Duration,
    /// Retries of idempotent calls (GET, PUT, DELETE); POST is never retried.
    pub retries: u32,
    /// Requests in flight to this upstream at once.
    pub max_concurrency: usize,
    pub defaults: UpstreamDefaults,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRoute {
    name: String,
    dialect: Dialect,
    prefix: String,
    #[serde(default = "default_backend")]
    backend: String,
    #[serde(default = "default_tenant")]
    tenant: String,
    #[serde(default)]
    credentials: Vec<RawCredential>,
    /// ndoto only: the account ids this route serves (default `[1]`).
    account_ids: Option<Vec<i64>>,
    /// livechat only: `[routes.policy]`.
    policy: Option<RoutePolicy>,
}

/// What livechat's register does with a username no agent has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownUsername {
    /// Refuse, as Rocket.Chat does (`error-invalid-user`).
    #[default]
    Reject,
    /// Create the agent (the fields its backend requires come from defaults).
    Create,
}

/// `[routes.policy]`: how a livechat route treats what Rocket.Chat would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutePolicy {
    #[serde(default)]
    pub unknown_username: UnknownUsername,
    /// The domain of the email synthesised as `<username>@<domain>` for an agent created from
    /// a bare username (default `livechat.invalid`, a reserved domain nobody receives mail at).
    #[serde(default = "default_email_domain")]
    pub email_domain: String,
}

fn default_email_domain() -> String {
    "livechat.invalid".into()
}

impl Default for RoutePolicy {
    fn default() -> Self {
        RoutePolicy {
            unknown_username: UnknownUsername::Reject,
            email_domain: default_email_domain(),
        }
    }
}

/// One served dialect: where, for whom, and what answers it.
#[derive(Debug, Clone)]
pub struct RouteConfig {
    pub name: String,
    pub dialect: Dialect,
    /// Normalised: starts with `/`, no trailing `/` (the root is `/`).
    pub prefix: String,
    /// The embedded tenant whose agents this route serves.
    pub tenant: String,
    pub credentials: CredentialSet,
    /// ndoto: the account ids mapped to the tenant.
    pub account_ids: Vec<i64>,
    /// livechat: how register treats unknown usernames.
    pub policy: RoutePolicy,
    /// The `[upstreams.NAME]` behind this route; `None` is the embedded store.
    pub upstream: Option<String>,
}

/// A loaded and validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub server: ServerConfig,
    pub store: StoreConfig,
    pub routes: Vec<RouteConfig>,
    pub upstreams: BTreeMap<String, UpstreamConfig>,
}

/// The first path segment(s) every request of a dialect starts with, below the route prefix.
fn dialect_root(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Ndoto => "/api/v1/accounts",
        Dialect::Livechat => "/api/v1/livechat",
        Dialect::Supporthub => "/api/agents",
        Dialect::Libredesk => "/api/v1/agents",
        Dialect::Comm100 => "/v4",
    }
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

impl Config {
    /// Read `path`, apply `AGENTGW__SECTION__KEY` environment overrides, and validate.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let raw: RawConfig = config::Config::builder()
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
            .build()?
            .try_deserialize()?;
        Self::validate(raw)
    }

    /// Parse TOML text (no environment), for tests and tools.
    pub fn from_toml(text: &str) -> Result<Config, ConfigError> {
        let raw: RawConfig = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()?
            .try_deserialize()?;
        Self::validate(raw)
    }

    fn validate(raw: RawConfig) -> Result<Config, ConfigError> {
        let mut problems = Vec::new();
        let server = raw.server.unwrap_or_else(|| ServerConfig {
            listen: default_listen(),
            max_body_bytes: default_max_body(),
            request_timeout_ms: default_request_timeout_ms(),
        });
        let store = raw.store.unwrap_or_else(|| StoreConfig {
            url: default_store_url(),
        });
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
            problems.push(
                "server.request_timeout_ms must be above 0 (a body could take forever)".into(),
            );
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

        let mut upstreams = BTreeMap::new();
        for (name, u) in raw.upstreams {
            let at = format!("upstream `{name}`");
            if name == "embedded" {
                problems.push(format!(
                    "{at}: `embedded` names the embedded store; choose another name"
                ));
            }
            if name.len() > MAX_NAME_BYTES {
                problems.push(format!(
                    "{at}: the name must be at most {MAX_NAME_BYTES} bytes"
                ));
            }
            if !(u.base_url.starts_with("http://") || u.base_url.starts_with("https://")) {
                problems.push(format!(
                    "{at}: base_url must start with http:// or https://"
                ));
            }
            if u.timeout_ms == 0 {
                problems.push(format!(
                    "{at}: timeout_ms must be above 0 (a call without a timeout could hang forever)"
                ));
            }
            if u.max_concurrency == 0 {
                problems.push(format!("{at}: max_concurrency must be at least 1"));
            }
            if let Some(tz) = &u.defaults.time_zone
                && agentgw_model::TimeZone::parse(tz).is_err()
            {
                problems.push(format!(
                    "{at}: defaults.time_zone `{tz}` is not an IANA time zone"
                ));
            }
            if let Some(domain) = &u.defaults.email_domain
                && !agentgw_model::is_valid_email(&format!("user@{domain}"))
            {
                problems.push(format!(
                    "{at}: defaults.email_domain `{domain}` is not a domain"
                ));
            }
            match (u.dialect, u.account_id) {
                (Dialect::Ndoto, _) | (_, None) => {}
                (d, Some(_)) => problems.push(format!(
                    "{at}: account_id is an ndoto setting, not a {d} one"
                )),
            }
            let credential = match u.credentials.for_dialect(u.dialect) {
                Ok(c) => Some(c),
                Err(e) => {
                    problems.push(format!("{at}: credentials: {e}"));
                    None
                }
            };
            if let Some(credential) = credential {
                upstreams.insert(
                    name.clone(),
                    UpstreamConfig {
                        name,
                        dialect: u.dialect,
                        base_url: u.base_url.trim_end_matches('/').to_owned(),
                        credential,
                        account_id: u.account_id.unwrap_or(1),
                        timeout: std::time::Duration::from_millis(u.timeout_ms),
                        retries: u.retries,
                        max_concurrency: u.max_concurrency,
                        defaults: u.defaults,
                    },
                );
            }
        }

        let mut names = BTreeSet::new();
        let mut routes = Vec::new();
        for r in raw.routes {
            let at = format!("route `{}`", r.name);
            if r.name.is_empty() {
                problems.push("a route has an empty name".into());
            }
            if !names.insert(r.name.clone()) {
                problems.push(format!("{at}: the name is used twice"));
            }
            let upstream = match r.backend.as_str() {
                "embedded" => None,
                name if upstreams.contains_key(name)
                    || problems
                        .iter()
                        .any(|p| p.contains(&format!("upstream `{name}`"))) =>
                {
                    Some(name.to_owned())
                }
                name => {
                    problems.push(format!("{at}: backend `{name}` is neither \"embedded\" nor an [upstreams.{name}] table"));
                    None
                }
            };
            if r.tenant.starts_with("upstream:") {
                problems.push(format!(
                    "{at}: tenant names starting with `upstream:` are reserved for upstream id maps"
                ));
            }
            if r.tenant.is_empty() || r.tenant.len() > MAX_NAME_BYTES {
                problems.push(format!(
                    "{at}: tenant must be 1 to {MAX_NAME_BYTES} bytes long"
                ));
            }
            if r.credentials.is_empty() {
                problems.push(format!(
                    "{at}: no credentials: every route must check its callers"
                ));
            }
            let mut creds = Vec::new();
            for (i, c) in r.credentials.into_iter().enumerate() {
                match c.for_dialect(r.dialect) {
                    Ok(c) => creds.push(c),
                    Err(e) => problems.push(format!("{at}: credentials[{i}]: {e}")),
                }
            }
            let account_ids = match (r.dialect, r.account_ids) {
                (Dialect::Ndoto, None) => vec![1],
                (Dialect::Ndoto, Some(ids)) if ids.is_empty() => {
                    problems.push(format!("{at}: account_ids must name at least one account"));
                    ids
                }
                (Dialect::Ndoto, Some(ids)) => ids,
                (_, None) => Vec::new(),
                (d, Some(_)) => {
                    problems.push(format!(
                        "{at}: account_ids is an ndoto setting, not a {d} one"
                    ));
                    Vec::new()
                }
            };
            let policy = match (r.dialect, r.policy) {
                (_, None) => RoutePolicy::default(),
                (Dialect::Livechat, Some(p)) => {
                    if !agentgw_model::is_valid_email(&format!("user@{}", p.email_domain)) {
                        problems.push(format!(
                            "{at}: policy.email_domain `{}` is not a domain",
                            p.email_domain
                        ));
                    }
                    p
                }
                (d, Some(_)) => {
                    problems.push(format!(
                        "{at}: [routes.policy] is a livechat setting, not a {d} one"
                    ));
                    RoutePolicy::default()
                }
            };
            routes.push(RouteConfig {
                name: r.name,
                dialect: r.dialect,
                prefix: normalise_prefix(&r.prefix),
                tenant: r.tenant,
                credentials: CredentialSet::new(creds),
                account_ids,
                policy,
                upstream,
            });
        }
        // Two routes collide when one's served path space contains the other's.
        for (i, a) in routes.iter().enumerate() {
            for b in &routes[i + 1..] {
                let (ra, rb) = (
                    join_paths(&a.prefix, dialect_root(a.dialect)),
                    join_paths(&b.prefix, dialect_root(b.dialect)),
                );
                if covers(&ra, &rb) || covers(&rb, &ra) {
                    problems.push(format!(
                        "routes `{}` and `{}` collide: both would serve paths under {}",
                        a.name,
                        b.name,
                        if ra.len() < rb.len() { &rb } else { &ra }
                    ));
                }
            }
        }
        if problems.is_empty() {
            Ok(Config {
                server,
                store,
                routes,
                upstreams,
            })
        } else {
            Err(ConfigError::Invalid(problems))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"
        [server]
        listen = "127.0.0.1:0"
        [store]
        url = "sqlite::memory:"
        [[routes]]
        name = "ndoto"
        dialect = "ndoto"
        prefix = "/ndoto/"
        credentials = [{ token = "t" }]
    "#;

    #[test]
    fn defaults_and_normalisation() {
        let c = Config::from_toml(OK).expect("valid");
        assert_eq!(c.server.max_body_bytes, 1024 * 1024);
        assert_eq!(c.routes[0].prefix, "/ndoto");
        assert_eq!(c.routes[0].tenant, "default");
        assert_eq!(c.routes[0].account_ids, vec![1]);
    }

    fn problems(text: &str) -> String {
        match Config::from_toml(text) {
            Ok(_) => panic!("expected an invalid configuration"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn unknown_keys_are_refused() {
        let e = problems(&OK.replace("prefix = ", "prefx = \"/x\"\nprefix = "));
        assert!(e.contains("prefx"), "{e}");
    }

    #[test]
    fn wrong_credential_shape_and_missing_credentials() {
        let e = problems(&OK.replace("{ token = \"t\" }", "{ key = \"k\", secret = \"s\" }"));
        assert!(e.contains("credentials[0]"), "{e}");
        let e = problems(&OK.replace("credentials = [{ token = \"t\" }]", ""));
        assert!(e.contains("no credentials"), "{e}");
    }

    #[test]
    fn colliding_routes_are_refused_but_disjoint_ones_share_a_prefix() {
        let twice = format!(
            "{OK}\n[[routes]]\nname = \"again\"\ndialect = \"ndoto\"\nprefix = \"/ndoto\"\ncredentials = [{{ token = \"t\" }}]\n"
        );
        assert!(problems(&twice).contains("collide"));
        let root = OK.replace("\"/ndoto/\"", "\"/\"")
            + "\n[[routes]]\nname = \"lc\"\ndialect = \"livechat\"\nprefix = \"/\"\ncredentials = [{ user_id = \"u\", token = \"t\" }]\n";
        assert!(Config::from_toml(&root).is_ok());
    }

    #[test]
    fn livechat_policy_defaults_to_reject_and_belongs_to_livechat() {
        let lc = OK
            .replace("dialect = \"ndoto\"", "dialect = \"livechat\"")
            .replace("{ token = \"t\" }", "{ user_id = \"u\", token = \"t\" }");
        let c = Config::from_toml(&lc).expect("valid");
        assert_eq!(c.routes[0].policy.unknown_username, UnknownUsername::Reject);
        let create = format!(
            "{lc}\n[routes.policy]\nunknown_username = \"create\"\nemail_domain = \"example.com\"\n"
        );
        let c = Config::from_toml(&create).expect("valid");
        assert_eq!(c.routes[0].policy.unknown_username, UnknownUsername::Create);
        assert_eq!(c.routes[0].policy.email_domain, "example.com");
        assert!(
            problems(&format!(
                "{lc}\n[routes.policy]\nunknown_username = \"maybe\"\n"
            ))
            .contains("maybe")
        );
        assert!(
            problems(&format!(
                "{OK}\n[routes.policy]\nunknown_username = \"create\"\n"
            ))
            .contains("livechat setting")
        );
    }

    #[test]
    fn tenant_and_upstream_names_are_bounded() {
        let long = "t".repeat(101);
        let e = problems(&OK.replace(
            "prefix = \"/ndoto/\"",
            &format!("prefix = \"/ndoto/\"\ntenant = \"{long}\""),
        ));
        assert!(e.contains("tenant must be 1 to 100 bytes"), "{e}");
        let e = problems(&format!(
            "{OK}\n[upstreams.{long}]\ndialect = \"comm100\"\nbase_url = \"https://x.example\"\ncredentials = {{ token = \"x\" }}\n"
        ));
        assert!(e.contains("at most 100 bytes"), "{e}");
    }

    #[test]
    fn routes_reference_upstreams() {
        let e = problems(&OK.replace(
            "prefix = \"/ndoto/\"",
            "prefix = \"/ndoto/\"\nbackend = \"legacy\"",
        ));
        assert!(e.contains("[upstreams.legacy]"), "{e}");
        let with = OK.replace(
            "prefix = \"/ndoto/\"",
            "prefix = \"/ndoto/\"\nbackend = \"legacy\"",
        ) + "\n[upstreams.legacy]\ndialect = \"comm100\"\nbase_url = \"https://api11.comm100.io/\"\ncredentials = { token = \"x\" }\n[upstreams.legacy.defaults]\ntime_zone = \"UTC\"\npassword = \"generate\"\n";
        let c = Config::from_toml(&with).expect("valid");
        assert_eq!(c.routes[0].upstream.as_deref(), Some("legacy"));
        let u = &c.upstreams["legacy"];
        assert_eq!(
            (
                u.base_url.as_str(),
                u.retries,
                u.max_concurrency,
                u.defaults.password
            ),
            ("https://api11.comm100.io", 2, 8, PasswordPolicy::Generate)
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
            .replace("{ token = \"x\" }", "{ key = \"k\", secret = \"s\" }");
        let e = problems(&bad);
        assert!(
            e.contains("defaults.time_zone") && e.contains("credentials"),
            "{e}"
        );
    }
}
