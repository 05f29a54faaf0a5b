//! The registry of built faces and outbound clients: the one place that knows every adapter.

use std::sync::Arc;

use actix_web::web::ServiceConfig;
use agentgw_core::{BackendError, Dialect, Remote, UpstreamConfig};
use agentgw_inbound::RouteCtx;

/// Mounts a face for one route below its prefix.
pub type Mount = fn(&mut ServiceConfig, &str, Arc<RouteCtx>);

/// The face serving `dialect`, or `None` while that face is not built yet.
pub fn face(dialect: Dialect) -> Option<Mount> {
    match dialect {
        Dialect::Ndoto => Some(agentgw_ndoto::configure),
        Dialect::Livechat => Some(agentgw_livechat::configure),
        Dialect::Supporthub => Some(agentgw_supporthub::configure),
        Dialect::Libredesk => Some(agentgw_libredesk::configure),
        Dialect::Comm100 => Some(agentgw_comm100::configure),
    }
}

/// The outbound client for an upstream of `cfg.dialect`, or `None` while that client is not
/// built yet.
pub fn remote(cfg: &UpstreamConfig) -> Option<Result<Arc<dyn Remote>, BackendError>> {
    fn boxed<R: Remote>(r: Result<R, BackendError>) -> Result<Arc<dyn Remote>, BackendError> {
        r.map(|r| Arc::new(r) as Arc<dyn Remote>)
    }
    match cfg.dialect {
        Dialect::Supporthub => Some(boxed(agentgw_supporthub::outbound::SupporthubRemote::new(
            cfg,
        ))),
        Dialect::Libredesk => Some(boxed(agentgw_libredesk::outbound::LibredeskRemote::new(
            cfg,
        ))),
        Dialect::Comm100 => Some(boxed(agentgw_comm100::outbound::Comm100Remote::new(cfg))),
        Dialect::Ndoto => Some(boxed(agentgw_ndoto::outbound::NdotoRemote::new(cfg))),
        Dialect::Livechat => Some(boxed(agentgw_livechat::outbound::LivechatRemote::new(cfg))),
    }
}
