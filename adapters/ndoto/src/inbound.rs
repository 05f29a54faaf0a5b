//! Serving ndoto: routes, credentials, account check, and the handlers.
//!
//! | method | path (below the route prefix) | answer |
//! |---|---|---|
//! | GET | `/api/v1/accounts/{account_id}/agents` | 200, bare array ordered by name |
//! | POST | `/api/v1/accounts/{account_id}/agents` | 200, the agent |
//! | GET | `/api/v1/accounts/{account_id}/agents/{id}` | 200, the agent (Chatwoot SDKs call it) |
//! | PATCH, PUT | `/api/v1/accounts/{account_id}/agents/{id}` | 200, the agent |
//! | DELETE | `/api/v1/accounts/{account_id}/agents/{id}` | 200, empty body |

use std::sync::Arc;

use actix_web::http::header::HeaderName;
use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_inbound::{RouteCtx, SortedArray, decode, json_object, resource};
use agentgw_model::{AgentId, Filter, SortOrder};
use futures_util::TryStreamExt;

use crate::error::NdotoError;
use crate::settings::RouteSettings;
use crate::{mapping, wire};

const COLLECTION: &str = "/api/v1/accounts/{account_id}/agents";
const MEMBER: &str = "/api/v1/accounts/{account_id}/agents/{id}";
/// Chatwoot's credential header (a constant: a `&str` name is parsed on every request).
const ACCESS_TOKEN: HeaderName = HeaderName::from_static("api_access_token");

/// Mount the ndoto face for one route below its prefix.
pub fn configure(cfg: &mut web::ServiceConfig, prefix: &str, ctx: Arc<RouteCtx>) {
    cfg.service(
        agentgw_inbound::route_scope::<RouteSettings>(prefix, ctx)
            .service(resource(COLLECTION, refuse).get(list).post(create))
            .service(
                resource(MEMBER, refuse)
                    .get(show)
                    .patch(update)
                    .put(update)
                    .delete(destroy),
            )
            .default_service(web::to(not_found)),
    );
}

/// A method the path lacks (the builder adds `Allow`).
fn refuse(_: &HttpRequest, _: &str) -> NdotoError {
    NdotoError::Failure(agentgw_inbound::Failure::MethodNotAllowed)
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&NdotoError::NotFound)
}

/// Check the `api_access_token`, then that the path's account is one this route serves.
fn authorize(req: &HttpRequest, ctx: &RouteCtx, account: &str) -> Result<i64, NdotoError> {
    let token = RouteCtx::header(req, ACCESS_TOKEN).unwrap_or_default();
    if !ctx.credentials.accepts_token(token) {
        return Err(NdotoError::Unauthorized);
    }
    // Chatwoot looks the account up by number: a non-number is not found, another is not yours.
    let account: i64 = account.parse().map_err(|_| NdotoError::NotFound)?;
    let served = req.app_data::<web::Data<RouteSettings>>();
    if served.is_some_and(|s| s.account_ids.contains(&account)) {
        Ok(account)
    } else {
        Err(NdotoError::AccountNotAccessible)
    }
}

fn agent_id(raw: &str) -> Result<AgentId, NdotoError> {
    raw.parse::<i64>()
        .map(AgentId::Int)
        .map_err(|_| NdotoError::NotFound)
}

async fn list(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, NdotoError> {
    let account = authorize(&req, &ctx, &path)?;
    // Chatwoot answers every agent at once: rendered as they arrive, so that a large
    // upstream's list is never held as canonical agents (agentgw_inbound::array).
    let mut array = SortedArray::new(SortOrder::NAME);
    let mut batches = ctx.backend.scan(Filter::default());
    while let Some(batch) = batches.try_next().await? {
        for agent in &batch {
            array
                .push(agent, &mapping::to_wire(agent, account))
                .map_err(buffer_failed)?;
        }
    }
    array.respond().map_err(buffer_failed)
}

fn buffer_failed(e: std::io::Error) -> NdotoError {
    tracing::error!(error = %e, "cannot buffer the agent list");
    NdotoError::Failure(agentgw_inbound::Failure::Internal)
}

async fn create(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, NdotoError> {
    let account = authorize(&req, &ctx, &path)?;
    let request: wire::CreateAgent = decode(json_object(&req, payload, &ctx).await?)?;
    let new = mapping::new_agent(request).map_err(NdotoError::Validation)?;
    let agent = ctx.backend.create(new).await?;
    Ok(HttpResponse::Ok().json(mapping::to_wire(&agent, account)))
}

async fn show(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, NdotoError> {
    let (account, id) = path.into_inner();
    let account = authorize(&req, &ctx, &account)?;
    let agent = ctx.backend.get(&agent_id(&id)?).await?;
    Ok(HttpResponse::Ok().json(mapping::to_wire(&agent, account)))
}

async fn update(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, NdotoError> {
    let (account, id) = path.into_inner();
    let account = authorize(&req, &ctx, &account)?;
    let id = agent_id(&id)?;
    let request: wire::UpdateAgent = decode(json_object(&req, payload, &ctx).await?)?;
    let patch = mapping::patch(request).map_err(NdotoError::Validation)?;
    let agent = ctx.backend.update(&id, patch).await?;
    Ok(HttpResponse::Ok().json(mapping::to_wire(&agent, account)))
}

async fn destroy(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, NdotoError> {
    let (account, id) = path.into_inner();
    authorize(&req, &ctx, &account)?;
    ctx.backend.delete(&agent_id(&id)?).await?;
    Ok(HttpResponse::Ok().finish())
}
