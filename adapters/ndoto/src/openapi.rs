//! The ndoto face's OpenAPI 3.1 document: its paths, written here, over the schemas of
//! [`crate::wire`], derived from the same serde structs the face reads and writes.

use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{OpenApi, ToSchema};

use crate::wire;

/// Every failure but validation: `{"error": "..."}`.
#[derive(Serialize, ToSchema)]
#[schema(as = Failure)]
struct Failure {
    error: String,
}

/// A validation failure (422): Rails' full messages, joined, and the attributes they name.
#[derive(Serialize, ToSchema)]
struct Invalid {
    message: String,
    attributes: Vec<String>,
}

/// Any error this face answers.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Error {
    Failure(Failure),
    Invalid(Invalid),
}

/// List the account's agents, ordered by name (case-insensitive).
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/agents",
    params(("account_id" = i64, Path, description = "a Chatwoot account the route serves")),
    responses((status = 200, description = "every agent", body = Vec<wire::Agent>),
              (status = "default", description = "an error", body = Error)),
    security(("api_access_token" = [])))]
#[allow(dead_code)]
fn list() {}

/// Invite an agent (`confirmed` is false until they accept).
#[utoipa::path(post, path = "/api/v1/accounts/{account_id}/agents",
    params(("account_id" = i64, Path, description = "a Chatwoot account the route serves")),
    request_body = wire::CreateAgent,
    responses((status = 200, description = "the agent", body = wire::Agent),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("api_access_token" = [])))]
#[allow(dead_code)]
fn create() {}

/// One agent (Chatwoot has no such endpoint; its SDKs call it).
#[utoipa::path(get, path = "/api/v1/accounts/{account_id}/agents/{id}",
    params(("account_id" = i64, Path, description = "a Chatwoot account the route serves"),
           ("id" = i64, Path, description = "the agent's id")),
    responses((status = 200, description = "the agent", body = wire::Agent),
              (status = "default", description = "an error", body = Error)),
    security(("api_access_token" = [])))]
#[allow(dead_code)]
fn show() {}

/// Change an agent's name, role, availability or auto-offline.
#[utoipa::path(patch, path = "/api/v1/accounts/{account_id}/agents/{id}",
    params(("account_id" = i64, Path, description = "a Chatwoot account the route serves"),
           ("id" = i64, Path, description = "the agent's id")),
    request_body = wire::UpdateAgent,
    responses((status = 200, description = "the agent", body = wire::Agent),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("api_access_token" = [])))]
#[allow(dead_code)]
fn update() {}

/// The same as PATCH (Rails routes both to `update`).
#[utoipa::path(put, path = "/api/v1/accounts/{account_id}/agents/{id}",
    params(("account_id" = i64, Path, description = "a Chatwoot account the route serves"),
           ("id" = i64, Path, description = "the agent's id")),
    request_body = wire::UpdateAgent,
    responses((status = 200, description = "the agent", body = wire::Agent),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("api_access_token" = [])))]
#[allow(dead_code)]
fn replace() {}

/// Remove an agent from the account.
#[utoipa::path(delete, path = "/api/v1/accounts/{account_id}/agents/{id}",
    params(("account_id" = i64, Path, description = "a Chatwoot account the route serves"),
           ("id" = i64, Path, description = "the agent's id")),
    responses((status = 200, description = "removed; no body"),
              (status = "default", description = "an error", body = Error)),
    security(("api_access_token" = [])))]
#[allow(dead_code)]
fn destroy() {}

#[derive(OpenApi)]
#[openapi(
    paths(list, create, show, update, replace, destroy),
    components(schemas(Error))
)]
struct Doc;

/// The ndoto face's document.
pub fn document() -> utoipa::openapi::OpenApi {
    agentgw_inbound::openapi::complete(
        Doc::openapi(),
        crate::mapping::DIALECT,
        "Chatwoot's agent API (`/api/v1/accounts/{account_id}/agents`), served by agentgw. Errors: `{\"error\"}`, or `{\"message\", \"attributes\"}` for validation (422).",
        [(
            "api_access_token",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("api_access_token"))),
        )],
    )
}
