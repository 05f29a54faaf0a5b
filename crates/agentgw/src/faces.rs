//! The registry of built faces: the one place that knows every adapter crate.

use std::sync::Arc;

use actix_web::web::ServiceConfig;
use agentgw_core::Dialect;
use agentgw_http::RouteCtx;

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
