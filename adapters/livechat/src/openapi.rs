//! The livechat face's OpenAPI 3.1 document: its paths, written here, over the schemas of
//! [`crate::wire`], derived from the same serde structs the face reads and writes.

use serde::Serialize;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{OpenApi, ToSchema};

use crate::wire;

/// Any error this face answers: `success` false, with Rocket.Chat's `error` and, for
/// parameter problems, `errorType` (401 adds `status` and `message`).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Error {
    success: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
    #[serde(rename = "errorType", skip_serializing_if = "Option::is_none")]
    error_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    message: Option<String>,
}

/// `{"success": true}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Removed {
    success: bool,
}

/// Agents (every agent) or managers (administrators), a page at a time.
#[utoipa::path(get, path = "/api/v1/livechat/users/{type}",
    params(("type" = String, Path, description = "`agent` or `manager`"),
           ("offset" = Option<u64>, Query, description = "agents to skip (0)"),
           ("count" = Option<u64>, Query, description = "page size (50; at most 100; 0 is 50)"),
           ("text" = Option<String>, Query, description = "part of a username, name or email, any case"),
           ("sort" = Option<String>, Query, description = "JSON, one key of `name`, `username`, `emails.address`, `_updatedAt` with 1 or -1"),
           ("onlyAvailable" = Option<bool>, Query, description = "agents only: `statusLivechat` available"),
           ("excludeId" = Option<String>, Query, description = "agents only: leave this `_id` out"),
           ("showIdleAgents" = Option<bool>, Query, description = "agents only: `false` leaves offline agents out (default `true`)")),
    responses((status = 200, description = "one page", body = wire::UserList),
              (status = "default", description = "an error", body = Error)),
    security(("X-User-Id" = [], "X-Auth-Token" = [])))]
#[allow(dead_code)]
fn list() {}

/// Give the user with this username the role (`manager` promotes).
#[utoipa::path(post, path = "/api/v1/livechat/users/{type}",
    params(("type" = String, Path, description = "`agent` or `manager`")),
    request_body = wire::Register,
    responses((status = 200, description = "the user", body = wire::Registered),
              (status = "default", description = "an error", body = Error)),
    security(("X-User-Id" = [], "X-Auth-Token" = [])))]
#[allow(dead_code)]
fn register() {}

/// One user; `user` is null when they lack the role.
#[utoipa::path(get, path = "/api/v1/livechat/users/{type}/{_id}",
    params(("type" = String, Path, description = "`agent` or `manager`"),
           ("_id" = String, Path, description = "the user's 17-character id")),
    responses((status = 200, description = "the user, or null", body = wire::Found),
              (status = "default", description = "an error", body = Error)),
    security(("X-User-Id" = [], "X-Auth-Token" = [])))]
#[allow(dead_code)]
fn show() {}

/// Take the role away (`agent`: the agent is deleted; `manager`: demoted).
#[utoipa::path(delete, path = "/api/v1/livechat/users/{type}/{_id}",
    params(("type" = String, Path, description = "`agent` or `manager`"),
           ("_id" = String, Path, description = "the user's 17-character id")),
    responses((status = 200, description = "done", body = Removed),
              (status = "default", description = "an error", body = Error)),
    security(("X-User-Id" = [], "X-Auth-Token" = [])))]
#[allow(dead_code)]
fn remove() {}

#[derive(OpenApi)]
#[openapi(paths(list, register, show, remove), components(schemas(Error)))]
struct Doc;

/// The livechat face's document.
pub fn document() -> utoipa::openapi::OpenApi {
    agentgw_inbound::openapi::complete(
        Doc::openapi(),
        crate::mapping::DIALECT,
        "Rocket.Chat's `livechat/users/{type}` API, served by agentgw. Errors: `{\"success\": false, \"error\", \"errorType\"}`.",
        ["X-User-Id", "X-Auth-Token"].map(|header| {
            (
                header,
                SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new(header))),
            )
        }),
    )
}
