//! Serving comm100: routes (with `global`/`Global` and colon verbs), bearer auth, handlers.
//!
//! | method | path (below the route prefix) | answer |
//! |---|---|---|
//! | GET | `/v4/global/agents` | 200, bare array (`keywords`, `departmentId`, `roleId`, `include`) |
//! | POST | `/v4/global/agents` | 201, the agent |
//! | GET | `/v4/global/agents/{id}` | 200, the agent |
//! | PUT | `/v4/global/agents/{id}` | 200, the agent (full replace) |
//! | DELETE | `/v4/global/agents/{id}` | 204 |
//! | POST | `/v4/global/agents/{id}:changePassword` | 200, empty body |
//! | POST | `/v4/global/agents/{id}:unlock` | 200, empty body |
//!
//! The verb is a colon suffix of the last path segment, so every member route is one actix
//! resource whose segment is split here: a verb never reaches the plain GET/PUT/DELETE, and an
//! unknown verb is a 404.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_core::NoSettings;
use agentgw_core::{Backend, BackendError};
use agentgw_inbound::{Failure, RouteCtx, decode, json_object, resource};
use agentgw_model::{Agent, AgentId, Filter, ListQuery, Password, SortOrder, Team};
use serde_json::Value;

use crate::error::Comm100Error;
use crate::mapping::{self, Write};
use crate::wire;

/// `include` values Comm100 accepts on the list.
const INCLUDES: [&str; 6] = [
    "department",
    "role",
    "systemAvatar",
    "shift",
    "permission",
    "siteAgentActivity",
];

/// Mount the comm100 face for one route below its prefix.
pub fn configure(cfg: &mut web::ServiceConfig, prefix: &str, ctx: Arc<RouteCtx>) {
    cfg.service(
        agentgw_inbound::route_scope::<NoSettings>(prefix, ctx)
            .service(
                resource("/v4/{global}/agents", |_, _| {
                    Comm100Error::from(Failure::MethodNotAllowed)
                })
                .get(list)
                .post(create),
            )
            .service(
                // What a member path allows depends on its verb: the refusal says (its own
                // `Allow`), and an unknown verb is no path at all.
                resource("/v4/{global}/agents/{segment}", member_refuse)
                    .get(show)
                    .put(replace)
                    .delete(destroy)
                    .post(verb),
            )
            .default_service(web::to(not_found)),
    );
}

/// The colon verbs of a member path (all POST).
const VERBS: [&str; 2] = ["changePassword", "unlock"];
/// The methods of a plain member path.
const MEMBER_METHODS: &str = "GET, HEAD, PUT, DELETE";

/// The methods a member segment has: a plain id its CRUD, a known verb POST; an unknown
/// verb is no path at all (`None`).
fn allowed_on(verb: Option<&str>) -> Option<&'static str> {
    match verb {
        None => Some(MEMBER_METHODS),
        Some(v) if VERBS.contains(&v) => Some("POST"),
        Some(_) => None,
    }
}

/// A method a member path lacks: 405 with those it has, or 404 for an unknown verb.
fn wrong_method(verb: Option<&str>) -> Comm100Error {
    allowed_on(verb).map_or_else(Comm100Error::not_found, Comm100Error::method_not_allowed)
}

/// A method no member route has (PATCH, …).
fn member_refuse(req: &HttpRequest, _: &str) -> Comm100Error {
    let segment = req.match_info().get("segment").unwrap_or_default();
    wrong_method(segment.split_once(':').map(|(_, v)| v))
}

async fn not_found() -> HttpResponse {
    actix_web::ResponseError::error_response(&Comm100Error::not_found())
}

/// Bearer auth, then the `global` segment (any case: the docs spell it both ways).
fn authorize(req: &HttpRequest, ctx: &RouteCtx, global: &str) -> Result<(), Comm100Error> {
    let token = RouteCtx::bearer(req);
    if !ctx.credentials.accepts_token(token.trim()) {
        return Err(Comm100Error::unauthorized());
    }
    if global.eq_ignore_ascii_case("global") {
        Ok(())
    } else {
        Err(Comm100Error::not_found())
    }
}

/// Split `{id}` or `{id}:{verb}`; the id must be a GUID (any case), else it is not found.
fn split(segment: &str) -> Result<(AgentId, Option<&str>), Comm100Error> {
    let (id, verb) = match segment.split_once(':') {
        Some((id, verb)) => (id, Some(verb)),
        None => (segment, None),
    };
    let guid = id
        .parse::<uuid::Uuid>()
        .map_err(|_| Comm100Error::not_found())?;
    Ok((AgentId::Guid(guid), verb))
}

/// A plain member path (GET, PUT, DELETE): on a verb path these are the wrong method.
fn member(segment: &str) -> Result<AgentId, Comm100Error> {
    match split(segment)? {
        (id, None) => Ok(id),
        (_, verb) => Err(wrong_method(verb)),
    }
}

async fn departments(backend: &dyn Backend, names: &[String]) -> Result<Vec<Team>, Comm100Error> {
    match backend.teams() {
        Ok(registry) => Ok(registry.named(names, false).await?),
        Err(BackendError::Unsupported(_)) => Ok(Vec::new()),
        Err(e) => Err(e.into()),
    }
}

/// The department names of these GUIDs; an unknown GUID is a 400 naming it.
async fn department_names(
    backend: &dyn Backend,
    ids: &[uuid::Uuid],
) -> Result<Vec<String>, Comm100Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let found = backend.teams()?.by_guid(ids).await?;
    match ids.iter().find(|id| !found.iter().any(|t| t.guid == **id)) {
        Some(missing) => Err(Comm100Error::bad_request(format!(
            "The department '{missing}' was not found."
        ))),
        None => Ok(found.into_iter().map(|t| t.name).collect()),
    }
}

async fn render(
    backend: &dyn Backend,
    agent: &Agent,
    with_departments: bool,
) -> Result<Value, Comm100Error> {
    let depts = departments(backend, &agent.profile.teams).await?;
    let mut value = serde_json::to_value(mapping::to_wire(agent, &depts))
        .map_err(|e| Comm100Error::from(BackendError::Internal(e.to_string())))?;
    if with_departments {
        value["departments"] = depts
            .iter()
            .map(|t| serde_json::json!({"id": t.guid.to_string(), "name": t.name}))
            .collect();
    }
    Ok(value)
}

async fn list(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, Comm100Error> {
    authorize(&req, &ctx, &path)?;
    let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
        .map_err(|e| Comm100Error::bad_request(e.to_string()))?
        .into_inner();
    let param = |name: &str| {
        pairs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let includes: Vec<String> = param("include")
        .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
        .unwrap_or_default();
    if let Some(bad) = includes.iter().find(|i| !INCLUDES.contains(&i.as_str())) {
        return Err(Comm100Error::bad_request(format!(
            "The include '{bad}' is not allowed. Allowed values are {}.",
            INCLUDES.join(", ")
        )));
    }
    let department = param("departmentId")
        .map(|d| {
            d.parse::<uuid::Uuid>().map_err(|_| {
                Comm100Error::bad_request(format!("The departmentId '{d}' is invalid."))
            })
        })
        .transpose()?;
    let role = param("roleId");
    let query = ListQuery {
        filter: Filter {
            text: param("keywords"),
            ..Filter::default()
        },
        sort: SortOrder::CREATED,
        window: None,
    };
    let page = ctx.backend.list(&query).await?;
    let department_name = match department {
        Some(guid) => Some(
            ctx.backend
                .teams()?
                .by_guid(&[guid])
                .await?
                .into_iter()
                .next()
                .map(|t| t.name.to_lowercase()),
        ),
        None => None,
    };
    let mut out = Vec::with_capacity(page.items.len());
    for agent in &page.items {
        // Department and role filters run here: neither has a column in the store.
        if let Some(wanted) = &department_name {
            let in_it = wanted
                .as_ref()
                .is_some_and(|w| agent.profile.teams.iter().any(|t| t.to_lowercase() == *w));
            if !in_it {
                continue;
            }
        }
        if let Some(role) = &role {
            let roles = agent
                .profile
                .extensions
                .get(mapping::DIALECT, "roleIds")
                .and_then(Value::as_array);
            if !roles.is_some_and(|r| {
                r.iter()
                    .any(|x| x.as_str().is_some_and(|s| s.eq_ignore_ascii_case(role)))
            }) {
                continue;
            }
        }
        out.push(
            render(
                ctx.backend.as_ref(),
                agent,
                includes.iter().any(|i| i == "department"),
            )
            .await?,
        );
    }
    Ok(HttpResponse::Ok().json(out))
}

async fn body<T: serde::de::DeserializeOwned>(
    req: &HttpRequest,
    payload: web::Payload,
    ctx: &RouteCtx,
) -> Result<T, Comm100Error> {
    Ok(decode(json_object(req, payload, ctx).await?)?)
}

async fn create(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, Comm100Error> {
    authorize(&req, &ctx, &path)?;
    let v = mapping::validate(body(&req, payload, &ctx).await?, Write::Create)?;
    let teams = department_names(ctx.backend.as_ref(), &v.department_ids).await?;
    let agent = ctx.backend.create(mapping::new_agent(v, teams)).await?;
    Ok(HttpResponse::Created().json(render(ctx.backend.as_ref(), &agent, false).await?))
}

async fn show(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Comm100Error> {
    let (global, segment) = path.into_inner();
    authorize(&req, &ctx, &global)?;
    let agent = ctx.backend.get(&member(&segment)?).await?;
    Ok(HttpResponse::Ok().json(render(ctx.backend.as_ref(), &agent, false).await?))
}

async fn replace(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, Comm100Error> {
    let (global, segment) = path.into_inner();
    authorize(&req, &ctx, &global)?;
    let id = member(&segment)?;
    ctx.backend.get(&id).await?;
    let v = mapping::validate(body(&req, payload, &ctx).await?, Write::Replace)?;
    let teams = department_names(ctx.backend.as_ref(), &v.department_ids).await?;
    let agent = ctx.backend.update(&id, mapping::replace(v, teams)).await?;
    Ok(HttpResponse::Ok().json(render(ctx.backend.as_ref(), &agent, false).await?))
}

async fn destroy(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Comm100Error> {
    let (global, segment) = path.into_inner();
    authorize(&req, &ctx, &global)?;
    ctx.backend.delete(&member(&segment)?).await?;
    Ok(HttpResponse::NoContent().finish())
}

async fn verb(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<(String, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, Comm100Error> {
    let (global, segment) = path.into_inner();
    authorize(&req, &ctx, &global)?;
    let (id, verb) = split(&segment)?;
    match verb {
        Some("changePassword") => {
            let request: wire::ChangePassword = body(&req, payload, &ctx).await?;
            let password = request
                .password
                .filter(|p| !p.is_empty())
                .ok_or_else(|| Comm100Error::bad_request("The field 'password' is required."))?;
            ctx.backend
                .change_password(&id, Password::new(password))
                .await?;
        }
        Some("unlock") => ctx.backend.unlock(&id).await?,
        // POST on a plain member path (405), or a verb Comm100 does not have (404).
        other => return Err(wrong_method(other)),
    }
    Ok(HttpResponse::Ok().finish())
}
