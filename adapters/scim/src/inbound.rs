//! Serving SCIM 2.0: routes, bearer auth, discovery and the User handlers (Groups are in
//! `groups`). The SCIM base URL is the route's prefix followed by `/v2`.
//!
//! | method | path (below the route prefix) | answer |
//! |---|---|---|
//! | GET | `/v2/ServiceProviderConfig`, `/v2/ResourceTypes[/{id}]`, `/v2/Schemas[/{id}]` | discovery |
//! | GET | `/v2/Users` (`filter`, `startIndex`, `count`, `attributes`, `excludedAttributes`) | 200 ListResponse |
//! | POST | `/v2/Users` | 201 User, `Location` |
//! | POST | `/v2/Users/.search` | 200 ListResponse |
//! | POST | `/v2/.search` | 501 (each resource type has its own `.search`) |
//! | GET, PUT, PATCH | `/v2/Users/{id}` | 200 User |
//! | DELETE | `/v2/Users/{id}` | 204 |
//! | … | `/v2/Groups…` | the same for Groups (see `groups`) |

use std::sync::Arc;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_inbound::{RouteCtx, decode, json_object, resource};
use agentgw_model::{Agent, AgentId, Filter, ListQuery, SortOrder, Team, Window};
use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::settings::RouteSettings;
use crate::wire::{self, User};
use crate::{filter, groups, mapping, patch, schema};

/// The media type of every answer (requests may be `application/scim+json` or JSON).
pub const SCIM_JSON: &str = "application/scim+json";
/// Resources a list answers when the client does not say.
const DEFAULT_COUNT: u64 = 100;
/// The multi-valued attributes of a User (PATCH appends to them).
pub const USER_MULTI: &[&str] = &["emails", "phoneNumbers", "photos", "roles", "groups"];

/// Mount the SCIM face for one route below its prefix.
pub fn configure(cfg: &mut web::ServiceConfig, prefix: &str, ctx: Arc<RouteCtx>) {
    let refuse = ScimError::method_not_allowed;
    cfg.service(
        agentgw_inbound::route_scope::<RouteSettings>(prefix, ctx)
            .service(resource("/v2/ServiceProviderConfig", refuse).get(service_provider_config))
            .service(resource("/v2/ResourceTypes", refuse).get(resource_types))
            .service(resource("/v2/ResourceTypes/{id}", refuse).get(resource_type))
            .service(resource("/v2/Schemas", refuse).get(schemas))
            .service(resource("/v2/Schemas/{id}", refuse).get(one_schema))
            .service(
                resource("/v2/Users", refuse)
                    .get(list_users)
                    .post(create_user),
            )
            .service(resource("/v2/Users/.search", refuse).post(search_users))
            .service(resource("/v2/.search", refuse).post(search_everything))
            .service(
                resource("/v2/Users/{id}", refuse)
                    .get(get_user)
                    .put(replace_user)
                    .patch(patch_user)
                    .delete(delete_user),
            )
            .configure(groups::configure)
            .default_service(web::to(no_route)),
    );
}

async fn no_route(req: HttpRequest, ctx: web::Data<RouteCtx>) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    Err(ScimError::status(
        actix_web::http::StatusCode::NOT_FOUND,
        "No SCIM endpoint at this path",
    ))
}

/// Check `Authorization: Bearer <token>` (constant time, every token of the route walked).
pub fn authorize(req: &HttpRequest, ctx: &RouteCtx) -> Result<(), ScimError> {
    if ctx.credentials.accepts_token(RouteCtx::bearer(req)) {
        Ok(())
    } else {
        Err(ScimError::unauthorized())
    }
}

/// The SCIM base URL the client reached: scheme, host and the path up to `/v2`.
pub fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    let path = req.path();
    let upto = path.rfind("/v2/").map_or(path.len(), |i| i + 3);
    format!("{}://{}{}", info.scheme(), info.host(), &path[..upto])
}

/// A JSON answer as SCIM has it.
pub fn scim(status: actix_web::http::StatusCode, body: &impl serde::Serialize) -> HttpResponse {
    HttpResponse::build(status)
        .content_type(SCIM_JSON)
        .json(body)
}

fn ok(body: &impl serde::Serialize) -> HttpResponse {
    scim(actix_web::http::StatusCode::OK, body)
}

/// A list of `resources` as SCIM answers it.
pub fn list_response(total: u64, start: u64, resources: Vec<Value>) -> Value {
    let count = resources.len() as u64;
    serde_json::to_value(wire::ListResponse {
        schemas: vec![wire::LIST.to_owned()],
        total_results: total,
        start_index: start,
        items_per_page: count,
        resources,
    })
    .unwrap_or(Value::Null)
}

async fn service_provider_config(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    Ok(ok(&schema::service_provider_config(&base(&req))))
}

async fn resource_types(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let all = schema::resource_types(&base(&req));
    let total = all.len() as u64;
    Ok(ok(&list_response(total, 1, all)))
}

async fn resource_type(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    schema::resource_types(&base(&req))
        .into_iter()
        .find(|t| t["id"].as_str() == Some(path.as_str()))
        .map(|t| ok(&t))
        .ok_or_else(|| ScimError::not_found("ResourceType", &path))
}

async fn schemas(req: HttpRequest, ctx: web::Data<RouteCtx>) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let all = schema::schemas(&base(&req));
    let total = all.len() as u64;
    Ok(ok(&list_response(total, 1, all)))
}

async fn one_schema(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    schema::schemas(&base(&req))
        .into_iter()
        .find(|s| s["id"].as_str() == Some(path.as_str()))
        .map(|s| ok(&s))
        .ok_or_else(|| ScimError::not_found("Schema", &path))
}

/// A list request's parameters, from a query string or a `.search` body.
#[derive(Debug, Default)]
pub struct Search {
    pub filter: Option<String>,
    pub start_index: Option<i64>,
    pub count: Option<i64>,
    pub attributes: Vec<String>,
    pub excluded: Vec<String>,
}

impl Search {
    /// From the query string.
    pub fn from_query(req: &HttpRequest) -> Result<Search, ScimError> {
        let pairs = web::Query::<Vec<(String, String)>>::from_query(req.query_string())
            .map(web::Query::into_inner)
            .map_err(|_| {
                ScimError::bad(ScimType::InvalidSyntax, "the query string does not parse")
            })?;
        let mut s = Search::default();
        let number = |v: &str, what: &str| {
            v.trim().parse::<i64>().map_err(|_| {
                ScimError::bad(ScimType::InvalidValue, format!("{what} is an integer"))
            })
        };
        for (k, v) in pairs {
            match k.to_ascii_lowercase().as_str() {
                "filter" => s.filter = Some(v),
                "startindex" => s.start_index = Some(number(&v, "startIndex")?),
                "count" => s.count = Some(number(&v, "count")?),
                "attributes" => s.attributes = split_list(&v),
                "excludedattributes" => s.excluded = split_list(&v),
                _ => {}
            }
        }
        Ok(s)
    }

    /// From a `.search` request's body (keys in any case).
    pub async fn from_request(
        req: &HttpRequest,
        payload: web::Payload,
        ctx: &RouteCtx,
    ) -> Result<Search, ScimError> {
        let body = json_object(req, payload, ctx).await?;
        Ok(Search::from_body(decode(mapping::canonical_search(body))?))
    }

    /// From a `.search` body.
    pub fn from_body(body: wire::SearchRequest) -> Search {
        Search {
            filter: body.filter,
            start_index: body.start_index,
            count: body.count,
            attributes: body.attributes.unwrap_or_default(),
            excluded: body.excluded_attributes.unwrap_or_default(),
        }
    }

    /// The 1-based index of the first result (below 1 is 1, RFC 7644 §3.4.2.4).
    pub fn start(&self) -> u64 {
        self.start_index.unwrap_or(1).max(1).unsigned_abs()
    }

    /// How many resources to answer: at most `maxResults`, and 0 for totals only.
    pub fn count(&self) -> u64 {
        self.count
            .map_or(DEFAULT_COUNT, |c| c.max(0).unsigned_abs())
            .min(schema::MAX_RESULTS)
    }
}

fn split_list(v: &str) -> Vec<String> {
    v.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `resource` with only the `attributes` asked for (and `id`, `schemas`), or without the
/// `excluded` ones (RFC 7644 §3.4.2.5); names case-insensitively, `name.givenName` and
/// URN-qualified names too.
pub fn project(resource: Value, attributes: &[String], excluded: &[String], core: &str) -> Value {
    let Value::Object(mut map) = resource else {
        return resource;
    };
    let split = |a: &String| -> (Option<String>, String, Option<String>) {
        let lower = a.to_ascii_lowercase();
        let core = core.to_ascii_lowercase();
        let enterprise = wire::ENTERPRISE.to_ascii_lowercase();
        let (schema, rest) = if let Some(rest) = lower.strip_prefix(&format!("{core}:")) {
            (None, rest.to_owned())
        } else if let Some(rest) = lower.strip_prefix(&format!("{enterprise}:")) {
            (Some(wire::ENTERPRISE.to_owned()), rest.to_owned())
        } else if lower == enterprise {
            return (Some(wire::ENTERPRISE.to_owned()), String::new(), None);
        } else {
            (None, lower)
        };
        match rest.split_once('.') {
            Some((a, sub)) => (schema, a.to_owned(), Some(sub.to_owned())),
            None => (schema, rest, None),
        }
    };
    let find = |map: &Map<String, Value>, name: &str| -> Option<String> {
        map.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
    };
    if !attributes.is_empty() {
        let mut kept = Map::new();
        for keep in ["schemas", "id"] {
            if let Some(v) = map.get(keep) {
                kept.insert(keep.to_owned(), v.clone());
            }
        }
        for a in attributes {
            let (schema, name, sub) = split(a);
            let source = match &schema {
                Some(s) => match map.get(s) {
                    Some(Value::Object(inner)) => inner.clone(),
                    _ => continue,
                },
                None => map.clone(),
            };
            let target = match &schema {
                Some(s) => match kept
                    .entry(s.clone())
                    .or_insert_with(|| Value::Object(Map::new()))
                {
                    Value::Object(inner) => inner,
                    _ => continue,
                },
                None => &mut kept,
            };
            if name.is_empty() {
                if let Some(s) = &schema
                    && let Some(v) = map.get(s)
                {
                    target.extend(v.as_object().cloned().unwrap_or_default());
                }
                continue;
            }
            let Some(key) = find(&source, &name) else {
                continue;
            };
            match (sub, source.get(&key)) {
                (None, Some(v)) => {
                    target.insert(key, v.clone());
                }
                (Some(sub), Some(Value::Object(inner))) => {
                    if let Some(sk) = find(inner, &sub)
                        && let Some(v) = inner.get(&sk)
                    {
                        let slot = target
                            .entry(key)
                            .or_insert_with(|| Value::Object(Map::new()));
                        if let Value::Object(slot) = slot {
                            slot.insert(sk, v.clone());
                        }
                    }
                }
                (Some(sub), Some(Value::Array(items))) => {
                    let picked: Vec<Value> = items
                        .iter()
                        .filter_map(|i| {
                            let inner = i.as_object()?;
                            let sk = find(inner, &sub)?;
                            let mut one = Map::new();
                            one.insert(sk.clone(), inner.get(&sk)?.clone());
                            Some(Value::Object(one))
                        })
                        .collect();
                    target.insert(key, Value::Array(picked));
                }
                _ => {}
            }
        }
        return Value::Object(kept);
    }
    for a in excluded {
        let (schema, name, sub) = split(a);
        if name.eq_ignore_ascii_case("id") || name.eq_ignore_ascii_case("schemas") {
            continue;
        }
        let target = match &schema {
            Some(s) if name.is_empty() => {
                map.remove(s);
                continue;
            }
            Some(s) => match map.get_mut(s) {
                Some(Value::Object(inner)) => inner,
                _ => continue,
            },
            None => &mut map,
        };
        let Some(key) = find(target, &name) else {
            continue;
        };
        match sub {
            None => {
                target.remove(&key);
            }
            Some(sub) => match target.get_mut(&key) {
                Some(Value::Object(inner)) => {
                    if let Some(sk) = find(inner, &sub) {
                        inner.remove(&sk);
                    }
                }
                Some(Value::Array(items)) => {
                    for item in items.iter_mut().filter_map(Value::as_object_mut) {
                        if let Some(sk) = find(item, &sub) {
                            item.remove(&sk);
                        }
                    }
                }
                _ => {}
            },
        }
    }
    Value::Object(map)
}

/// A User id: the agent's GUID (anything else is no user's).
pub fn user_id(raw: &str) -> Result<AgentId, ScimError> {
    raw.parse::<uuid::Uuid>()
        .map(AgentId::Guid)
        .map_err(|_| ScimError::not_found("User", raw))
}

/// The agent's teams as the tenant registers them (none when the backend keeps no teams).
pub async fn teams_of(ctx: &RouteCtx, agent: &Agent) -> Vec<Team> {
    if agent.profile.teams.is_empty() {
        return Vec::new();
    }
    match ctx.backend.teams() {
        Ok(registry) => registry
            .named(&agent.profile.teams, false)
            .await
            .unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}

/// The agent as a User's JSON.
async fn user(ctx: &RouteCtx, agent: &Agent, base: &str) -> Value {
    mapping::render(agent, &teams_of(ctx, agent).await, base)
}

/// A body as a User: attribute names in RFC 7643's case, then decoded.
fn read_user(body: Map<String, Value>) -> Result<User, ScimError> {
    Ok(decode::<User>(mapping::canonical_object(body))?)
}

/// Users matching `search`, as SCIM lists them.
async fn search(
    ctx: &RouteCtx,
    req: &HttpRequest,
    search: Search,
) -> Result<HttpResponse, ScimError> {
    let condition = search.filter.as_deref().map(filter::parse).transpose()?;
    let (start, count) = (search.start(), search.count());
    let query = ListQuery {
        filter: Filter {
            condition,
            ..Filter::default()
        },
        sort: SortOrder::CREATED,
        window: Some(Window {
            offset: start - 1,
            limit: count,
        }),
    };
    let page = ctx.backend.list(&query).await?;
    let base = base(req);
    let mut resources = Vec::with_capacity(page.items.len());
    for agent in &page.items {
        let json = user(ctx, agent, &base).await;
        resources.push(project(
            json,
            &search.attributes,
            &search.excluded,
            wire::USER,
        ));
    }
    Ok(ok(&list_response(page.total, start, resources)))
}

async fn list_users(req: HttpRequest, ctx: web::Data<RouteCtx>) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    search(&ctx, &req, Search::from_query(&req)?).await
}

async fn search_users(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let search_request = Search::from_request(&req, payload, &ctx).await?;
    search(&ctx, &req, search_request).await
}

/// A search across every resource type (RFC 7644 §3.4.3) is not offered: Users and Groups
/// each have their own `.search`. 501, as the RFC has it for what a server does not support.
async fn search_everything(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    Err(ScimError::status(
        actix_web::http::StatusCode::NOT_IMPLEMENTED,
        "search from the root is not supported: use /Users/.search or /Groups/.search",
    ))
}

async fn create_user(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    settings: web::Data<RouteSettings>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let body = json_object(&req, payload, &ctx).await?;
    let new = mapping::new_agent(&read_user(body)?, settings.email_domain.as_deref())?;
    let agent = ctx.backend.create(new).await?;
    let base = base(&req);
    let user = user(&ctx, &agent, &base).await;
    Ok(HttpResponse::Created()
        .content_type(SCIM_JSON)
        .insert_header((header::LOCATION, mapping::user_location(&base, &agent)))
        .json(user))
}

async fn get_user(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let search = Search::from_query(&req)?;
    let agent = ctx
        .backend
        .get(&user_id(&path)?)
        .await
        .map_err(|e| ScimError::for_resource(e, "User", &path))?;
    let json = user(&ctx, &agent, &base(&req)).await;
    Ok(ok(&project(
        json,
        &search.attributes,
        &search.excluded,
        wire::USER,
    )))
}

async fn replace_user(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    settings: web::Data<RouteSettings>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let id = user_id(&path)?;
    let body = json_object(&req, payload, &ctx).await?;
    ctx.backend
        .get(&id)
        .await
        .map_err(|e| ScimError::for_resource(e, "User", &path))?;
    let patch = mapping::replace(&read_user(body)?, settings.email_domain.as_deref())?;
    let agent = ctx
        .backend
        .update(&id, patch)
        .await
        .map_err(|e| ScimError::for_resource(e, "User", &path))?;
    Ok(ok(&user(&ctx, &agent, &base(&req)).await))
}

async fn patch_user(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    settings: web::Data<RouteSettings>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let id = user_id(&path)?;
    let body = json_object(&req, payload, &ctx).await?;
    let request: wire::PatchRequest = decode(mapping::canonical_patch(body))?;
    let current = ctx
        .backend
        .get(&id)
        .await
        .map_err(|e| ScimError::for_resource(e, "User", &path))?;
    let base = base(&req);
    let Value::Object(mut resource) = user(&ctx, &current, &base).await else {
        return Err(ScimError::from(agentgw_core::BackendError::Internal(
            "a user that is not an object".into(),
        )));
    };
    let before = resource.clone();
    // Groups are read-only on a User; what PATCH leaves of them is not read back.
    patch::apply(&mut resource, &request.operations, USER_MULTI)?;
    // A display name that followed the names (it was derived, not chosen) follows them still
    // when a PATCH changes only a name: derived again from the patched names.
    let p = &current.profile;
    if p.display_name == agentgw_model::join_name(&p.first_name, &p.last_name) {
        let part = |r: &Map<String, Value>, k: &str| {
            r.get("name")
                .and_then(|n| n.get(k))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .trim()
                .to_owned()
        };
        let derived = agentgw_model::join_name(
            &part(&resource, "givenName"),
            &part(&resource, "familyName"),
        );
        let formatted =
            |r: &Map<String, Value>| r.get("name").and_then(|n| n.get("formatted")).cloned();
        if !derived.is_empty() {
            if resource.get("displayName").is_some()
                && resource.get("displayName") == before.get("displayName")
            {
                resource.insert("displayName".into(), Value::String(derived.clone()));
            }
            if formatted(&resource).is_some()
                && formatted(&resource) == formatted(&before)
                && let Some(Value::Object(name)) = resource.get_mut("name")
            {
                name.insert("formatted".into(), Value::String(derived));
            }
        }
    }
    let patch = mapping::replace(&read_user(resource)?, settings.email_domain.as_deref())?;
    let agent = ctx
        .backend
        .update(&id, patch)
        .await
        .map_err(|e| ScimError::for_resource(e, "User", &path))?;
    Ok(ok(&user(&ctx, &agent, &base).await))
}

async fn delete_user(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    ctx.backend
        .delete(&user_id(&path)?)
        .await
        .map_err(|e| ScimError::for_resource(e, "User", &path))?;
    Ok(HttpResponse::NoContent().finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn attributes_keep_what_is_asked_and_excluded_attributes_drop_it() {
        let user = json!({
            "schemas": [wire::USER], "id": "1", "userName": "a", "name": {"givenName": "A", "familyName": "B"},
            "emails": [{"value": "a@x", "type": "work"}], "meta": {"resourceType": "User"},
            wire::ENTERPRISE: {"department": "D", "employeeNumber": "7"}
        });
        let only = project(
            user.clone(),
            &[
                "UserName".into(),
                "name.givenName".into(),
                format!("{}:department", wire::ENTERPRISE),
            ],
            &[],
            wire::USER,
        );
        assert_eq!(
            only,
            json!({"schemas": [wire::USER], "id": "1", "userName": "a", "name": {"givenName": "A"},
                   wire::ENTERPRISE: {"department": "D"}})
        );
        let without = project(
            user,
            &[],
            &["emails".into(), "meta".into(), "id".into()],
            wire::USER,
        );
        assert!(without.get("emails").is_none() && without.get("meta").is_none());
        assert_eq!(without["id"], "1", "id is always returned");
    }
}
