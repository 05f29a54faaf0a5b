//! What a face's handlers know about the route they serve.

use std::sync::Arc;

use actix_web::HttpRequest;
use agentgw_core::{Backend, CredentialSet, Dialect, RoutePolicy};

/// One configured route: its identity, its credentials, its limits and the backend behind it.
pub struct RouteCtx {
    pub name: String,
    pub dialect: Dialect,
    pub credentials: CredentialSet,
    pub backend: Arc<dyn Backend>,
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive.
    pub request_timeout: std::time::Duration,
    /// ndoto: the account ids this route serves.
    pub account_ids: Vec<i64>,
    /// livechat: how register treats unknown usernames.
    pub policy: RoutePolicy,
}

impl RouteCtx {
    /// A header's value as text; `None` when absent or not valid UTF-8.
    pub fn header<'r>(req: &'r HttpRequest, name: &str) -> Option<&'r str> {
        req.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The token of an `Authorization: Bearer <token>` header (empty when absent).
    pub fn bearer(req: &HttpRequest) -> &str {
        Self::header(req, "authorization")
            .and_then(|h| h.strip_prefix("Bearer "))
            .map_or("", str::trim)
    }
}

/// The actix scope a face mounts its resources in: the route's prefix (the root is an empty
/// scope), with the route's context as app data for every handler below it.
pub fn route_scope(prefix: &str, ctx: Arc<RouteCtx>) -> actix_web::Scope {
    let path = if prefix == "/" { "" } else { prefix };
    actix_web::web::scope(path).app_data(actix_web::web::Data::from(ctx))
}
