//! The libredesk face's OpenAPI 3.1 document: its paths, written here, over the schemas of
//! [`crate::wire`], derived from the same serde structs the face reads and writes.

use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{OpenApi, ToSchema};

use crate::wire;

/// An error envelope's status.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
enum Status {
    Error,
}

/// JSON `null`.
fn null() -> utoipa::openapi::Object {
    utoipa::openapi::Object::with_type(utoipa::openapi::Type::Null)
}

/// Any error: `{"status": "error", "message", "data": null, "error_type"}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Error {
    status: Status,
    message: String,
    #[schema(schema_with = null)]
    data: (),
    /// InputException, UnauthorizedException, NotFoundException, ConflictException,
    /// RateLimitException (429) or GeneralException.
    error_type: String,
}

/// Every agent, compact, newest update first.
#[utoipa::path(get, path = "/api/v1/agents",
    responses((status = 200, description = "compact agents", body = wire::Envelope<Vec<wire::CompactAgent>>),
              (status = "default", description = "an error", body = Error)),
    security(("basic" = [])))]
#[allow(dead_code)]
fn list() {}

/// Create an agent (its `new_password` is ignored, as Libredesk's).
#[utoipa::path(post, path = "/api/v1/agents",
    request_body = wire::AgentRequest,
    responses((status = 200, description = "the agent", body = wire::Envelope<wire::Agent>),
              (status = "default", description = "an error", body = Error)),
    security(("basic" = [])))]
#[allow(dead_code)]
fn create() {}

/// One agent.
#[utoipa::path(get, path = "/api/v1/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id")),
    responses((status = 200, description = "the agent", body = wire::Envelope<wire::Agent>),
              (status = "default", description = "an error", body = Error)),
    security(("basic" = [])))]
#[allow(dead_code)]
fn show() {}

/// Replace an agent (omitted `enabled` is false, omitted `teams` none).
#[utoipa::path(put, path = "/api/v1/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id")),
    request_body = wire::AgentRequest,
    responses((status = 200, description = "the agent", body = wire::Envelope<wire::Agent>),
              (status = "default", description = "an error", body = Error)),
    security(("basic" = [])))]
#[allow(dead_code)]
fn replace() {}

/// Delete an agent.
#[utoipa::path(delete, path = "/api/v1/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id")),
    responses((status = 200, description = "`data: true`", body = wire::Envelope<bool>),
              (status = "default", description = "an error", body = Error)),
    security(("basic" = [])))]
#[allow(dead_code)]
fn destroy() {}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, replace, destroy),
    components(schemas(Error))
)]
struct Doc;

/// The libredesk face's document.
pub fn document() -> utoipa::openapi::OpenApi {
    agentgw_inbound::openapi::complete(
        Doc::openapi(),
        crate::mapping::DIALECT,
        "Libredesk's agent API (`/api/v1/agents`), served by agentgw. Auth: Basic `key:secret` (or `Authorization: token key:secret`). Errors: `{\"status\": \"error\", \"message\", \"data\": null, \"error_type\"}`.",
        [(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        )],
    )
}
