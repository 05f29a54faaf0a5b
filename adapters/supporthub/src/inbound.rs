//! Serving supporthub: routes, bearer auth, and the handlers.
//!
//! | method | path (below the route prefix) | answer |
//! |---|---|---|
//! | GET | `/api/agents` | 200 Laravel page (`page`, `per_page` ≤ 100, `filter[...]`, `include`) |
//! | POST | `/api/agents` | 201 `{data}` |
//! | GET | `/api/agents/{id}` | 200 `{data}` (`include` too) |
//! | PATCH, PUT, POST | `/api/agents/{id}` | 200 `{data}` (partial) |
//! | DELETE | `/api/agents/{id}` | 200 `{"success": true}` |
//! | GET, PATCH | `/api/agents/{id}/permissions`, `/api/agents/{id}/notifications` | 200 `{data}` |

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_core::NoSettings;
use agentgw_inbound::{RouteCtx, json_object, resource};
use agentgw_model::{AgentId, FlagKind, ListQuery, SortOrder, Window};
use serde_json::json;

use crate::error::SupporthubError;
use crate::mapping::{self, Includes};
use crate::paginate::PageInfo;
use crate::wire;

const DEFAULT_PER_PAGE: u64 = 15;
const MAX_PER_PAGE: u64 = 100;

/// Mount the supporthub face for one route below its prefix.
pub fn configure(cfg: &mut web::ServiceConfig, prefix: &str, ctx: Arc<RouteCtx>) {
    cfg.service(
        agentgw_inbound::route_scope::<NoSettings>(prefix, ctx)
            .service(resource("/api/agents", refuse).get(list).post(create))
            .service(
                resource("/api/agents/{id}", refuse)
                    .get(show)
                    .patch(update)
                    .put(update)
                    // The seed's own update example uses POST.
                    .post(update)
                    .delete(destroy),
            )
            .service(
                resource("/api/agents/{id}/{flags}", flags_refuse)
                    .get(flags_show)
                    .patch(flags_update),
            )
            .default_service(web::to(no_route)),
    );
}

async fn no_route(req: HttpRequest) -> HttpResponse {
    let path = req.path().trim_start_matches('/').to_owned();
    actix_web::ResponseError::error_response(&SupporthubError::NoRoute(path))
}

/// Check `Authorization: Bearer <token>`.
fn authorize(req: &HttpRequest, ctx: &RouteCtx) -> Result<(), SupporthubError> {
    let token = RouteCtx::bearer(req);
    if ctx.credentials.accepts_token(token.trim()) {
        Ok(())
    } else {
        Err(SupporthubError::Unauthenticated)
    }
}

/// Laravel's route-model binding: a non-number is simply not found.
fn agent_id(raw: &str) -> Result<AgentId, SupporthubError> {
    raw.parse::<i64>()
        .map(AgentId::Int)
        .map_err(|_| SupporthubError::NotFound(raw.to_owned()))
}

fn query_pairs(req: &HttpRequest) -> Result<Vec<(String, String)>, SupporthubError> {
    web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map(web::Query::into_inner)
        .map_err(|e| SupporthubError::BadRequest(e.to_string()))
}

fn includes(pairs: &[(String, String)]) -> Result<Includes, SupporthubError> {
    match pairs.iter().find(|(k, _)| k == "include") {
        Some((_, v)) => Includes::parse(v).map_err(SupporthubError::BadRequest),
        None => Ok(Includes::default()),
    }
}

/// A positive integer parameter, or the default (Laravel casts junk to its default).
fn positive(pairs: &[(String, String)], name: &str, default: u64) -> u64 {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .and_then(|(_, v)| v.trim().parse::<u64>().ok())
        .filter(|n| *n >= 1)
        .unwrap_or(default)
}

async fn list(req: HttpRequest, ctx: web::Data<RouteCtx>) -> Result<HttpResponse, SupporthubError> {
    authorize(&req, &ctx)?;
    let pairs = query_pairs(&req)?;
    let includes = includes(&pairs)?;
    let filter = mapping::filter(&pairs).map_err(SupporthubError::BadRequest)?;
    let per_page = positive(&pairs, "per_page", DEFAULT_PER_PAGE).min(MAX_PER_PAGE);
    let current_page = positive(&pairs, "page", 1);
    let (items, total) = match filter {
        Some(filter) => {
            let offset = (current_page - 1).saturating_mul(per_page);
            let query = ListQuery {
                filter,
                sort: SortOrder::CREATED,
                window: Some(Window {
                    offset,
                    limit: per_page,
                }),
            };
            let page = ctx.backend.list(&query).await?;
            (page.items, page.total)
        }
        None => (Vec::new(), 0),
    };
    let info = req.connection_info();
    let path = format!("{}://{}{}", info.scheme(), info.host(), req.path());
    let page = PageInfo {
        path: &path,
        query: &pairs,
        current_page,
        per_page,
        total,
        count: items.len() as u64,
    };
    let body = wire::Page {
        data: items
            .iter()
            .map(|a| mapping::to_wire(a, includes))
            .collect(),
        links: page.links(),
        meta: page.meta(),
    };
    Ok(HttpResponse::Ok().json(body))
}

async fn create(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    payload: web::Payload,
) -> Result<HttpResponse, SupporthubError> {
    authorize(&req, &ctx)?;
    let body = json_object(&req, payload, &ctx).await?;
    let new = mapping::new_agent(&body).map_err(SupporthubError::Validation)?;
    let agent = ctx.backend.create(new).await?;
    Ok(HttpResponse::Created().json(wire::Data {
        data: mapping::to_wire(&agent, Includes::default()),
    }))
}

async fn show(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, SupporthubError> {
    authorize(&req, &ctx)?;
    let includes = includes(&query_pairs(&req)?)?;
    let agent = ctx
        .backend
        .get(&agent_id(&path)?)
        .await
        .map_err(|e| SupporthubError::for_agent(e, &path))?;
    Ok(HttpResponse::Ok().json(wire::Data {
        data: mapping::to_wire(&agent, includes),
    }))
}

async fn update(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, SupporthubError> {
    authorize(&req, &ctx)?;
    let id = agent_id(&path)?;
    let body = json_object(&req, payload, &ctx).await?;
    // Laravel binds the model before it validates: an unknown id is a 404 whatever the body.
    ctx.backend
        .get(&id)
        .await
        .map_err(|e| SupporthubError::for_agent(e, &path))?;
    let patch = mapping::patch(&body).map_err(SupporthubError::Validation)?;
    let agent = ctx
        .backend
        .update(&id, patch)
        .await
        .map_err(|e| SupporthubError::for_agent(e, &path))?;
    Ok(HttpResponse::Ok().json(wire::Data {
        data: mapping::to_wire(&agent, Includes::default()),
    }))
}

async fn destroy(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, SupporthubError> {
    authorize(&req, &ctx)?;
    ctx.backend
        .delete(&agent_id(&path)?)
        .await
        .map_err(|e| SupporthubError::for_agent(e, &path))?;
    Ok(HttpResponse::Ok().json(json!({"success": true})))
}

/// A wrong method on `{id}/permissions` or `{id}/notifications` is a 405; on any other
/// segment the path itself is unknown.
fn flags_refuse(req: &HttpRequest, allow: &str) -> SupporthubError {
    let segment = req.match_info().get("flags").unwrap_or_default();
    match flag_kind(req, segment) {
        Ok(_) => SupporthubError::method_not_allowed(req, allow),
        Err(e) => e,
    }
}

/// A method a path lacks (the builder adds `Allow`).
fn refuse(req: &HttpRequest, allow: &str) -> SupporthubError {
    SupporthubError::method_not_allowed(req, allow)
}

fn flag_kind(req: &HttpRequest, segment: &str) -> Result<FlagKind, SupporthubError> {
    match segment {
        "permissions" => Ok(FlagKind::Permissions),
        "notifications" => Ok(FlagKind::Notifications),
        _ => Err(SupporthubError::NoRoute(
            req.path().trim_start_matches('/').to_owned(),
        )),
    }
}

async fn flags_show(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, SupporthubError> {
    let (raw_id, segment) = path.into_inner();
    let kind = flag_kind(&req, &segment)?;
    authorize(&req, &ctx)?;
    let flags = ctx
        .backend
        .flags(&agent_id(&raw_id)?, kind)
        .await
        .map_err(|e| SupporthubError::for_agent(e, &raw_id))?;
    Ok(HttpResponse::Ok().json(wire::Data {
        data: mapping::flags_view(&flags, kind),
    }))
}

async fn flags_update(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, SupporthubError> {
    let (raw_id, segment) = path.into_inner();
    let kind = flag_kind(&req, &segment)?;
    authorize(&req, &ctx)?;
    let id = agent_id(&raw_id)?;
    let body = json_object(&req, payload, &ctx).await?;
    ctx.backend
        .get(&id)
        .await
        .map_err(|e| SupporthubError::for_agent(e, &raw_id))?;
    let changes = mapping::flags_patch(&body, kind).map_err(SupporthubError::Validation)?;
    let flags = ctx
        .backend
        .set_flags(&id, kind, changes)
        .await
        .map_err(|e| SupporthubError::for_agent(e, &raw_id))?;
    Ok(HttpResponse::Ok().json(wire::Data {
        data: mapping::flags_view(&flags, kind),
    }))
}
