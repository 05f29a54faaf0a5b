//! Serving livechat: routes, credentials, and the handlers.
//!
//! | method | path (below the route prefix) | answer |
//! |---|---|---|
//! | GET | `/api/v1/livechat/users/{type}` | `{users, count, offset, total, success}` |
//! | POST | `/api/v1/livechat/users/{type}` | `{user: {_id, username}, success}` |
//! | GET | `/api/v1/livechat/users/{type}/{_id}` | `{user, success}` (`user: null` without the role) |
//! | DELETE | `/api/v1/livechat/users/{type}/{_id}` | `{success: true}` |

use std::sync::Arc;

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_core::BackendError;
use agentgw_inbound::{RouteCtx, json_object, resource};
use agentgw_model::{
    Agent, AgentId, Filter, ListQuery, ProfilePatch, Role, Window, parse_username,
};
use serde_json::{Map, Value, json};

use crate::error::LivechatError;
use crate::mapping::{self, UserType};
use crate::settings::{RouteSettings, UnknownUsername};
use crate::wire;

const COLLECTION: &str = "/api/v1/livechat/users/{type}";
const MEMBER: &str = "/api/v1/livechat/users/{type}/{id}";
/// Rocket.Chat's credential headers (constants: a `&str` name is parsed on every request).
const USER_ID: HeaderName = HeaderName::from_static("x-user-id");
const AUTH_TOKEN: HeaderName = HeaderName::from_static("x-auth-token");

/// Mount the livechat face for one route below its prefix.
pub fn configure(cfg: &mut web::ServiceConfig, prefix: &str, ctx: Arc<RouteCtx>) {
    cfg.service(
        agentgw_inbound::route_scope::<RouteSettings>(prefix, ctx)
            .service(resource(COLLECTION, refuse).get(list).post(register))
            .service(resource(MEMBER, refuse).get(show).delete(remove))
            .default_service(web::to(no_endpoint)),
    );
}

/// A method the path lacks (the builder adds `Allow`).
fn refuse(_: &HttpRequest, _: &str) -> LivechatError {
    LivechatError::Failure(agentgw_inbound::Failure::MethodNotAllowed)
}

async fn no_endpoint() -> HttpResponse {
    actix_web::ResponseError::error_response(&LivechatError::NoEndpoint)
}

/// Check `X-User-Id` + `X-Auth-Token` (both must match one entry), then the `:type`.
fn authorize(
    req: &HttpRequest,
    ctx: &RouteCtx,
    user_type: &str,
) -> Result<UserType, LivechatError> {
    let user_id = RouteCtx::header(req, USER_ID).unwrap_or_default();
    let token = RouteCtx::header(req, AUTH_TOKEN).unwrap_or_default();
    if !ctx.credentials.accepts_user_token(user_id, token) {
        return Err(LivechatError::Unauthorized);
    }
    UserType::parse(user_type).ok_or(LivechatError::InvalidType)
}

async fn list(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, LivechatError> {
    let user_type = authorize(&req, &ctx, &path)?;
    let params = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| LivechatError::invalid_params(format!("{e} [invalid-params]")))?
        .into_inner();
    let query = mapping::list_query(user_type, &params)?;
    let offset = query.window.map_or(0, |w| w.offset);
    let page = ctx.backend.list(&query).await?;
    let users: Vec<wire::User> = page.items.iter().map(mapping::to_user).collect();
    let body = wire::UserList {
        count: Some(users.len() as u64),
        users,
        offset: Some(offset),
        total: Some(page.total),
        success: true,
    };
    Ok(HttpResponse::Ok().json(body))
}

/// The body must be exactly `{"username": "<string>"}`, in Rocket.Chat's validation words.
fn register_body(object: Map<String, Value>) -> Result<String, LivechatError> {
    if let Some(extra) = object.keys().find(|k| *k != "username") {
        return Err(LivechatError::invalid_params(format!(
            "must NOT have additional properties '{extra}' [invalid-params]"
        )));
    }
    match object.get("username") {
        None => Err(LivechatError::invalid_params(
            "must have required property 'username' [invalid-params]",
        )),
        Some(Value::String(u)) if !u.trim().is_empty() => Ok(u.trim().to_owned()),
        Some(Value::String(_)) => Err(LivechatError::invalid_params(
            "must NOT have fewer than 1 characters [invalid-params]",
        )),
        Some(_) => Err(LivechatError::invalid_params(
            "must be string [invalid-params]",
        )),
    }
}

/// The agent with this username, if any.
async fn by_username(ctx: &RouteCtx, username: &str) -> Result<Option<Agent>, LivechatError> {
    let query = ListQuery {
        filter: Filter {
            username: Some(username.to_owned()),
            ..Default::default()
        },
        window: Some(Window {
            offset: 0,
            limit: 1,
        }),
        ..Default::default()
    };
    Ok(ctx.backend.list(&query).await?.items.into_iter().next())
}

/// Create the agent a register names, when the route's policy allows it. Two registers of one
/// new username at once both succeed with the same agent: the one whose create loses the race
/// (the store's unique username decides) answers with the winner's.
async fn create_registered(
    ctx: &RouteCtx,
    email_domain: &str,
    username: &str,
    user_type: UserType,
) -> Result<Agent, LivechatError> {
    let new = mapping::new_agent(username, user_type, email_domain);
    match ctx.backend.create(new).await {
        Ok(agent) => Ok(agent),
        Err(conflict @ BackendError::Conflict { .. }) => match by_username(ctx, username).await? {
            Some(agent) => Ok(agent),
            None => Err(conflict.into()),
        },
        Err(e) => Err(e.into()),
    }
}

async fn register(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
    settings: web::Data<RouteSettings>,
    payload: web::Payload,
) -> Result<HttpResponse, LivechatError> {
    let user_type = authorize(&req, &ctx, &path)?;
    let policy = &settings.policy;
    let given = register_body(json_object(&req, payload, &ctx).await?)?;
    // Full-width and other compatibility forms name the same user; invisible characters and
    // mixed scripts name nobody.
    let username = parse_username(&given).map_err(|_| LivechatError::invalid_user())?;
    let agent = match by_username(&ctx, &username).await? {
        // Registering someone already registered succeeds again.
        Some(agent) => agent,
        None if policy.unknown_username == UnknownUsername::Create
            && mapping::is_valid_username(&username) =>
        {
            create_registered(&ctx, &policy.email_domain, &username, user_type).await?
        }
        None => return Err(LivechatError::invalid_user()),
    };
    // A manager register promotes.
    let agent = if user_type == UserType::Manager && agent.profile.role != Role::Administrator {
        let promote = ProfilePatch {
            role: Some(Role::Administrator),
            ..Default::default()
        };
        ctx.backend
            .update(&AgentId::Short(agent.ids.short.clone()), promote)
            .await?
    } else {
        agent
    };
    Ok(HttpResponse::Ok().json(wire::Registered {
        user: mapping::to_ref(&agent),
        success: true,
    }))
}

async fn show(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, LivechatError> {
    let (user_type, id) = path.into_inner();
    let user_type = authorize(&req, &ctx, &user_type)?;
    let agent = ctx.backend.get(&AgentId::Short(id)).await?;
    let user = user_type.held_by(&agent).then(|| mapping::to_user(&agent));
    Ok(HttpResponse::Ok().json(wire::Found {
        user,
        success: true,
    }))
}

async fn remove(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, LivechatError> {
    let (user_type, id) = path.into_inner();
    let user_type = authorize(&req, &ctx, &user_type)?;
    let id = AgentId::Short(id);
    let outcome = match user_type {
        // Removing the agent role removes the agent: every canonical agent is a livechat agent.
        UserType::Agent => ctx.backend.delete(&id).await,
        // Removing the manager role demotes; doing so twice is not an error, as in Rocket.Chat.
        UserType::Manager => match ctx.backend.get(&id).await {
            Ok(agent) if agent.profile.role == Role::Administrator => ctx
                .backend
                .update(
                    &id,
                    ProfilePatch {
                        role: Some(Role::Agent),
                        ..Default::default()
                    },
                )
                .await
                .map(drop),
            Ok(_) => Ok(()),
            Err(e) => Err(e),
        },
    };
    match outcome {
        Ok(()) => Ok(HttpResponse::Ok().json(json!({"success": true}))),
        Err(agentgw_core::BackendError::NotFound) => Err(LivechatError::RemoveFailed),
        Err(e) => Err(e.into()),
    }
}
