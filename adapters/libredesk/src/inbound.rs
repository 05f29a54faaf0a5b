//! Serving libredesk: routes, the two auth schemes, and the handlers.
//!
//! | method | path (below the route prefix) | answer |
//! |---|---|---|
//! | GET | `/api/v1/agents` | compact agents, newest update first |
//! | POST | `/api/v1/agents` | the full agent |
//! | GET | `/api/v1/agents/{id}` | the full agent |
//! | PUT | `/api/v1/agents/{id}` | the full agent (Libredesk-visible fields replaced) |
//! | DELETE | `/api/v1/agents/{id}` | `true` |
//!
//! Every success is 200 `{"status":"success","data":...}`.

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_core::NoSettings;
use agentgw_core::{Backend, BackendError};
use agentgw_inbound::{RouteCtx, decode, json_object, resource};
use agentgw_model::{Agent, AgentId, ListQuery, SortOrder, Team};

use crate::error::LibredeskError;
use crate::{auth, mapping, wire};

/// Mount the libredesk face for one route below its prefix.
pub fn configure(cfg: &mut web::ServiceConfig, prefix: &str, ctx: Arc<RouteCtx>) {
    cfg.service(
        agentgw_inbound::route_scope::<NoSettings>(prefix, ctx)
            .service(resource("/api/v1/agents", refuse).get(list).post(create))
            .service(
                resource("/api/v1/agents/{id}", refuse)
                    .get(show)
                    .put(replace)
                    .delete(destroy),
            )
            .default_service(web::to(not_found)),
    );
}

/// A method the path lacks (the builder adds `Allow`).
fn refuse(_: &HttpRequest, _: &str) -> LibredeskError {
    LibredeskError::Failure(agentgw_inbound::Failure::MethodNotAllowed)
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&LibredeskError::NotFound("Not found".into()))
}

fn authorize(req: &HttpRequest, ctx: &RouteCtx) -> Result<(), LibredeskError> {
    let header = RouteCtx::header(req, header::AUTHORIZATION).unwrap_or_default();
    match auth::key_secret(header) {
        Some((key, secret)) if ctx.credentials.accepts_key_secret(&key, &secret) => Ok(()),
        _ => Err(LibredeskError::Unauthorized(
            "Invalid API key or secret".into(),
        )),
    }
}

fn agent_id(raw: &str) -> Result<AgentId, LibredeskError> {
    raw.parse::<i64>()
        .map(AgentId::Int)
        .map_err(|_| LibredeskError::Input("Invalid user `id`".into()))
}

/// The registry's teams for these names; a backend without a registry shows the names alone.
async fn teams(
    backend: &dyn Backend,
    names: &[String],
    create: bool,
) -> Result<Vec<Team>, LibredeskError> {
    match backend.teams() {
        Ok(registry) => Ok(registry.named(names, create).await?),
        Err(BackendError::Unsupported(_)) => Ok(names
            .iter()
            .map(|n| Team {
                id: 0,
                guid: Default::default(),
                name: n.clone(),
                emoji: String::new(),
                ..Team::default()
            })
            .collect()),
        Err(e) => Err(e.into()),
    }
}

async fn full(backend: &dyn Backend, agent: &Agent) -> Result<HttpResponse, LibredeskError> {
    let teams = teams(backend, &agent.profile.teams, false).await?;
    Ok(HttpResponse::Ok().json(wire::Envelope::success(mapping::to_full(agent, &teams))))
}

async fn list(req: HttpRequest, ctx: web::Data<RouteCtx>) -> Result<HttpResponse, LibredeskError> {
    authorize(&req, &ctx)?;
    let page = ctx
        .backend
        .list(&ListQuery {
            sort: SortOrder::NEWEST_UPDATE,
            ..Default::default()
        })
        .await?;
    let data: Vec<wire::CompactAgent> = page.items.iter().map(mapping::to_compact).collect();
    Ok(HttpResponse::Ok().json(wire::Envelope::success(data)))
}

async fn validated_body(
    req: &HttpRequest,
    payload: web::Payload,
    ctx: &RouteCtx,
    kind: mapping::Request,
) -> Result<mapping::Validated, LibredeskError> {
    let request: wire::AgentRequest = decode(json_object(req, payload, ctx).await?)?;
    mapping::validate(request, kind).map_err(LibredeskError::Input)
}

async fn create(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    payload: web::Payload,
) -> Result<HttpResponse, LibredeskError> {
    authorize(&req, &ctx)?;
    let v = validated_body(&req, payload, &ctx, mapping::Request::Create).await?;
    // Teams are created on first use, by name, in this tenant.
    let names = teams(ctx.backend.as_ref(), &v.teams, true)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let agent = ctx.backend.create(mapping::new_agent(v, names)).await?;
    full(ctx.backend.as_ref(), &agent).await
}

async fn show(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, LibredeskError> {
    authorize(&req, &ctx)?;
    let agent = ctx.backend.get(&agent_id(&path)?).await?;
    full(ctx.backend.as_ref(), &agent).await
}

async fn replace(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, LibredeskError> {
    authorize(&req, &ctx)?;
    let id = agent_id(&path)?;
    let v = validated_body(&req, payload, &ctx, mapping::Request::Replace).await?;
    ctx.backend.get(&id).await?;
    let names = teams(ctx.backend.as_ref(), &v.teams, true)
        .await?
        .into_iter()
        .map(|t| t.name)
        .collect();
    let agent = ctx.backend.update(&id, mapping::replace(v, names)).await?;
    full(ctx.backend.as_ref(), &agent).await
}

async fn destroy(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, LibredeskError> {
    authorize(&req, &ctx)?;
    ctx.backend.delete(&agent_id(&path)?).await?;
    Ok(HttpResponse::Ok().json(wire::Envelope::success(true)))
}
