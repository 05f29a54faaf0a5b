//! The comm100 face's OpenAPI 3.1 document: its paths, written here, over the schemas of
//! [`crate::wire`], derived from the same serde structs the face reads and writes. Comm100
//! publishes no machine-readable contract; its HTML reference (seed 004) is the source.

use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{OpenApi, ToSchema};

use crate::wire;

/// Any error: `{"code": <status × 1000>, "message"}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Error {
    code: u32,
    message: String,
}

/// Every agent (`Global` is accepted for `global` in every path).
#[utoipa::path(get, path = "/v4/global/agents",
    responses((status = 200, description = "every agent", body = Vec<wire::Agent>),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn list() {}

/// Create an agent.
#[utoipa::path(post, path = "/v4/global/agents",
    request_body = wire::AgentInput,
    responses((status = 201, description = "the agent", body = wire::Agent),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn create() {}

/// One agent.
#[utoipa::path(get, path = "/v4/global/agents/{id}",
    params(("id" = String, Path, description = "the agent's GUID")),
    responses((status = 200, description = "the agent", body = wire::Agent),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn show() {}

/// Replace an agent.
#[utoipa::path(put, path = "/v4/global/agents/{id}",
    params(("id" = String, Path, description = "the agent's GUID")),
    request_body = wire::AgentInput,
    responses((status = 200, description = "the agent", body = wire::Agent),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn replace() {}

/// Delete an agent.
#[utoipa::path(delete, path = "/v4/global/agents/{id}",
    params(("id" = String, Path, description = "the agent's GUID")),
    responses((status = 204, description = "deleted"),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn destroy() {}

/// Set an agent's password.
#[utoipa::path(post, path = "/v4/global/agents/{id}:changePassword",
    params(("id" = String, Path, description = "the agent's GUID")),
    request_body = wire::ChangePassword,
    responses((status = 200, description = "changed; no body"),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn change_password() {}

/// Unlock a locked agent.
#[utoipa::path(post, path = "/v4/global/agents/{id}:unlock",
    params(("id" = String, Path, description = "the agent's GUID")),
    responses((status = 200, description = "unlocked; no body"),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn unlock() {}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, replace, destroy, change_password, unlock),
    components(schemas(Error))
)]
struct Doc;

/// The comm100 face's document.
pub fn document() -> utoipa::openapi::OpenApi {
    agentgw_inbound::openapi::complete(
        Doc::openapi(),
        crate::mapping::DIALECT,
        "Comm100's API v4 global agents, served by agentgw. Errors: `{\"code\", \"message\"}`.",
        [(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )],
    )
}
