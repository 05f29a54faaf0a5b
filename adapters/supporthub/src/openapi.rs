//! The supporthub face's OpenAPI 3.1 document: its paths, written here, over the schemas of
//! [`crate::wire`], derived from the same serde structs the face reads and writes.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{OpenApi, ToSchema};

use crate::wire;

/// Any error: Laravel's `{"message"}`, with `errors` (field → messages) on validation (422).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Error {
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    errors: Option<BTreeMap<String, Vec<String>>>,
}

/// `{"success": true}`.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Deleted {
    success: bool,
}

/// An agent's permissions (defaults: `view_all_tickets` true, the others false).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Permissions {
    manage_articles: bool,
    manage_customers: bool,
    view_all_tickets: bool,
}

/// An agent's notification settings (all true by default).
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct Notifications {
    new_ticket: bool,
    new_comment: bool,
    ticket_reassigned: bool,
}

/// A PATCH of permissions or notifications: any of their names, each a boolean.
#[derive(Serialize, ToSchema)]
#[allow(dead_code)]
struct FlagsPatch(BTreeMap<String, bool>);

/// Either settings object, in Laravel's `{data}`.
#[derive(Serialize, ToSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum Flags {
    Permissions(wire::Data<Permissions>),
    Notifications(wire::Data<Notifications>),
}

/// A page of agents, oldest first.
#[utoipa::path(get, path = "/api/agents",
    params(("page" = Option<u64>, Query, description = "from 1"),
           ("per_page" = Option<u64>, Query, description = "15 by default, at most 100"),
           ("filter[first_name]" = Option<String>, Query, description = "partial, any case"),
           ("filter[last_name]" = Option<String>, Query, description = "partial, any case"),
           ("filter[email]" = Option<String>, Query, description = "partial, any case"),
           ("filter[status]" = Option<u8>, Query, description = "1 active, 2 unconfirmed, 3 banned"),
           ("include" = Option<String>, Query, description = "comma-separated counts: notes, assignedCategories, unresolvedTickets, resolvedTickets")),
    responses((status = 200, description = "one page", body = wire::Page),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn list() {}

/// Create an agent.
#[utoipa::path(post, path = "/api/agents",
    request_body = wire::CreateAgent,
    responses((status = 201, description = "the agent", body = wire::Data<wire::Agent>),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn create() {}

/// One agent.
#[utoipa::path(get, path = "/api/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id"),
           ("include" = Option<String>, Query, description = "as for the list")),
    responses((status = 200, description = "the agent", body = wire::Data<wire::Agent>),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn show() {}

/// Change what is given.
#[utoipa::path(patch, path = "/api/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id")),
    request_body = wire::UpdateAgent,
    responses((status = 200, description = "the agent", body = wire::Data<wire::Agent>),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn update() {}

/// The same as PATCH.
#[utoipa::path(put, path = "/api/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id")),
    request_body = wire::UpdateAgent,
    responses((status = 200, description = "the agent", body = wire::Data<wire::Agent>),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn replace() {}

/// The same as PATCH (the seed's example uses POST).
#[utoipa::path(post, path = "/api/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id")),
    request_body = wire::UpdateAgent,
    responses((status = 200, description = "the agent", body = wire::Data<wire::Agent>),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn update_by_post() {}

/// Delete an agent.
#[utoipa::path(delete, path = "/api/agents/{id}",
    params(("id" = i64, Path, description = "the agent's id")),
    responses((status = 200, description = "deleted", body = Deleted),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn destroy() {}

/// An agent's permissions or notification settings.
#[utoipa::path(get, path = "/api/agents/{id}/{settings}",
    params(("id" = i64, Path, description = "the agent's id"),
           ("settings" = String, Path, description = "`permissions` or `notifications`")),
    responses((status = 200, description = "the settings", body = Flags),
              (status = "default", description = "an error", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn settings_show() {}

/// Change some of an agent's permissions or notification settings.
#[utoipa::path(patch, path = "/api/agents/{id}/{settings}",
    params(("id" = i64, Path, description = "the agent's id"),
           ("settings" = String, Path, description = "`permissions` or `notifications`")),
    request_body = FlagsPatch,
    responses((status = 200, description = "the settings", body = Flags),
              (status = "default", description = "an error (422: validation)", body = Error)),
    security(("bearer" = [])))]
#[allow(dead_code)]
fn settings_update() {}

#[derive(OpenApi)]
#[openapi(
    paths(
        list,
        create,
        show,
        update,
        replace,
        update_by_post,
        destroy,
        settings_show,
        settings_update
    ),
    components(schemas(Error))
)]
struct Doc;

/// The supporthub face's document.
pub fn document() -> utoipa::openapi::OpenApi {
    agentgw_inbound::openapi::complete(
        Doc::openapi(),
        crate::mapping::DIALECT,
        "A Laravel helpdesk's agent API (`/api/agents`), served by agentgw. Errors: `{\"message\"}`, with `errors` on validation (422).",
        [(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        )],
    )
}
