//! Building a backend from configuration: the embedded store's tenant, or an upstream behind
//! its outbound client. Shared by `serve` (per route) and `migrate` (per `--from`/`--to`).

use std::sync::Arc;

use agentgw_core::{Backend, Config, MigrationTarget, RouteConfig};
use agentgw_store::Store;
use agentgw_upstream::UpstreamBackend;
use anyhow::bail;

/// The backend of an upstream named in the configuration.
pub fn upstream(
    config: &Config,
    store: &Store,
    name: &str,
) -> anyhow::Result<Arc<dyn MigrationTarget>> {
    let Some(upstream) = config.upstreams.get(name) else {
        bail!("no [upstreams.{name}] in the configuration")
    };
    let client = (upstream.dialect.remote)(upstream)
        .map_err(|e| anyhow::anyhow!("upstream `{name}`: {e}"))?;
    Ok(Arc::new(UpstreamBackend::new(
        &upstream.name,
        upstream.dialect.name,
        client,
        store.id_map(&upstream.name),
        upstream.defaults.clone(),
    )))
}

/// The backend behind a route.
pub fn for_route(
    config: &Config,
    store: &Store,
    route: &RouteConfig,
) -> anyhow::Result<Arc<dyn Backend>> {
    match &route.upstream {
        None => Ok(Arc::new(store.tenant(&route.tenant))),
        Some(name) => Ok(upstream(config, store, name)?),
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
        None => upstream(config, store, name),
    }
}
