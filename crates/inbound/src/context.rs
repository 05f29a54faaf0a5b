//! What a face's handlers know about the route they serve, and what an adapter is.

use std::sync::Arc;

use actix_web::HttpRequest;
use actix_web::http::header::{self, AsHeaderName};
use actix_web::web::ServiceConfig;
use agentgw_core::{Backend, CredentialSet, Dialect, Settings};

/// One configured route: its identity, its credentials, its limits and the backend behind it.
pub struct RouteCtx {
    pub name: String,
    /// The dialect's name.
    pub dialect: &'static str,
    pub credentials: CredentialSet,
    pub backend: Arc<dyn Backend>,
    pub max_body_bytes: usize,
    /// How long a request body may take to arrive.
    pub request_timeout: std::time::Duration,
    /// The route's own options, typed by its adapter (`settings.get::<T>()`).
    pub settings: Settings,
}

/// Mounts a face for one route below its prefix.
pub type Mount = fn(&mut ServiceConfig, &str, Arc<RouteCtx>);

/// Everything the gateway knows of one dialect, from the one adapter that speaks it: its
/// description (name, root, credentials, options, outbound client) and its face.
pub struct Adapter {
    pub dialect: Dialect,
    /// Serves the dialect for one route.
    pub configure: Mount,
    /// How a client drives the face (for the shared conformance tests).
    pub kit: &'static crate::kit::Kit,
    /// The face's OpenAPI 3.1 document (paths below the route prefix).
    pub openapi: fn() -> utoipa::openapi::OpenApi,
}

impl RouteCtx {
    /// A header's value as text; `None` when absent or not valid UTF-8. Pass a
    /// `HeaderName` constant: a `&str` name is parsed again on every request.
    pub fn header(req: &HttpRequest, name: impl AsHeaderName) -> Option<&str> {
        req.headers().get(name).and_then(|v| v.to_str().ok())
    }

    /// The token of an `Authorization: Bearer <token>` header (empty when absent).
    pub fn bearer(req: &HttpRequest) -> &str {
        Self::header(req, header::AUTHORIZATION)
            .and_then(|h| h.strip_prefix("Bearer "))
            .map_or("", str::trim)
    }
}

/// The actix scope a face mounts its resources in: the route's prefix (the root is an empty
/// scope), with the route's context and its typed options `S` as app data for every handler
/// below it (`web::Data<RouteCtx>`, `web::Data<S>`). Options of another type than the
/// adapter decoded cannot occur; should they, the defaults serve.
pub fn route_scope<S: Default + Clone + Send + Sync + 'static>(
    prefix: &str,
    ctx: Arc<RouteCtx>,
) -> actix_web::Scope {
    let path = if prefix == "/" { "" } else { prefix };
    let settings = ctx.settings.get::<S>().cloned().unwrap_or_default();
    actix_web::web::scope(path)
        .app_data(actix_web::web::Data::from(ctx))
        .app_data(actix_web::web::Data::new(settings))
}
