//! Building backends from configuration: the embedded store's tenants, and each upstream once
//! behind its outbound client. Shared by `serve` (per generation) and `migrate` (per
//! `--from`/`--to`).

use std::collections::BTreeMap;
use std::sync::Arc;

use agentgw_core::{Backend, Config, MigrationTarget, RemoteEnv, RouteConfig, SignInState};
use agentgw_store::Store;
use agentgw_upstream::UpstreamBackend;
use anyhow::bail;

/// The upstreams of one configuration, each built once: the routes over one upstream share
/// its connections, its concurrency limit and its sign-in (one OAuth token, one login).
pub struct Upstreams {
    built: BTreeMap<String, Arc<UpstreamBackend>>,
    /// The probes of the upstreams with `ready_check` (see `readiness`).
    ready: Vec<(String, agentgw_outbound::Probe)>,
}

impl Upstreams {
    /// Every `[upstreams.NAME]` of `config`, their renewable tokens kept in `store`.
    pub fn build(config: &Config, store: &Store) -> anyhow::Result<Upstreams> {
        let env = remote_env(store);
        let mut built = BTreeMap::new();
        let mut ready = Vec::new();
        for (name, upstream) in &config.upstreams {
            built.insert(name.clone(), one(upstream, store, &env)?);
            if upstream.ready_check {
                let probe = agentgw_outbound::Probe::new(&upstream.base_url, upstream.timeout)?;
                ready.push((name.clone(), probe.for_upstream(name)));
            }
        }
        Ok(Upstreams { built, ready })
    }

    /// The upstream named `name`.
    pub fn get(&self, name: &str) -> anyhow::Result<Arc<UpstreamBackend>> {
        match self.built.get(name) {
            Some(u) => Ok(u.clone()),
            None => bail!("no [upstreams.{name}] in the configuration"),
        }
    }

    /// Each upstream with `ready_check`, and its probe.
    pub fn ready_checks(&self) -> impl Iterator<Item = (&str, &agentgw_outbound::Probe)> {
        self.ready
            .iter()
            .map(|(name, probe)| (name.as_str(), probe))
    }

    /// How each upstream with expiring credentials is signed in.
    pub fn sign_ins(&self) -> Vec<(String, SignInState)> {
        self.built
            .iter()
            .filter_map(|(name, u)| u.sign_in().map(|s| (name.clone(), s)))
            .collect()
    }
}

/// What outbound clients keep in the store: renewable tokens, and budgets shared with the
/// other gateways on it (PostgreSQL).
fn remote_env(store: &Store) -> RemoteEnv {
    RemoteEnv {
        tokens: Arc::new(store.clone()),
        rates: store.rate_keeper(),
    }
}

/// The backend of one upstream.
fn one(
    upstream: &agentgw_core::UpstreamConfig,
    store: &Store,
    env: &RemoteEnv,
) -> anyhow::Result<Arc<UpstreamBackend>> {
    let client = (upstream.dialect.remote)(upstream, env)
        .map_err(|e| anyhow::anyhow!("upstream `{}`: {e}", upstream.name))?;
    Ok(Arc::new(UpstreamBackend::new(
        &upstream.name,
        upstream.dialect.name,
        client,
        Arc::new(store.id_map(&upstream.name)),
        upstream.defaults.clone(),
    )))
}

/// The backend behind a route.
pub fn for_route(
    upstreams: &Upstreams,
    store: &Store,
    route: &RouteConfig,
) -> anyhow::Result<Arc<dyn Backend>> {
    match &route.upstream {
        None => Ok(Arc::new(store.tenant(&route.tenant))),
        Some(name) => Ok(upstreams.get(name)?),
    }
}

/// `embedded:<tenant>` or an upstream name (the `migrate` command's NAME).
pub fn by_name(
    config: &Config,
    store: &Store,
    name: &str,
) -> anyhow::Result<Arc<dyn MigrationTarget>> {
    match name.strip_prefix("embedded:") {
        Some("") => bail!("`embedded:` needs a tenant name, e.g. embedded:default"),
        Some(tenant) => Ok(Arc::new(store.tenant(tenant))),
        None => match config.upstreams.get(name) {
            Some(upstream) => Ok(one(upstream, store, &remote_env(store))?),
            None => bail!("no [upstreams.{name}] in the configuration"),
        },
    }
}
