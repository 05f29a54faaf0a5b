//! SCIM Groups ⇄ the tenant's teams (libredesk teams, comm100 departments): a Group's id is
//! the team's GUID, its `displayName` the team's name, its members the agents in the team.
//! A member added here is that agent's team on every face.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use agentgw_inbound::{RouteCtx, decode, json_object, resource};
use agentgw_model::{Agent, AgentId, Filter, ListQuery, ProfilePatch, SortOrder, Team};
use scim_v2::filter::{AttrExp, CompValue, CompareOp, Filter as ScimFilter};
use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::inbound::{Search, authorize, base, list_response, project, scim};
use crate::wire::{self, Group, Member, Meta};
use crate::{mapping, patch};

/// Mount the Group resources (inside the SCIM face's scope).
pub fn configure(cfg: &mut web::ServiceConfig) {
    let refuse = ScimError::method_not_allowed;
    cfg.service(resource("/v2/Groups", refuse).get(list).post(create))
        .service(resource("/v2/Groups/.search", refuse).post(search_body))
        .service(
            resource("/v2/Groups/{id}", refuse)
                .get(show)
                .put(replace)
                .patch(modify)
                .delete(destroy),
        );
}

fn group_id(raw: &str) -> Result<uuid::Uuid, ScimError> {
    raw.parse().map_err(|_| ScimError::not_found("Group", raw))
}

async fn team(ctx: &RouteCtx, raw: &str) -> Result<Team, ScimError> {
    let guid = group_id(raw)?;
    ctx.backend
        .teams()?
        .by_guid(&[guid])
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ScimError::not_found("Group", raw))
}

/// The agents in `team`.
async fn members(ctx: &RouteCtx, team: &str) -> Result<Vec<Agent>, ScimError> {
    let query = ListQuery {
        filter: Filter {
            team: Some(team.to_owned()),
            ..Filter::default()
        },
        sort: SortOrder::CREATED,
        window: None,
    };
    Ok(ctx.backend.list(&query).await?.items)
}

/// The team as a Group. A member's `display` is returned on request only (`attributes=
/// members.display`, as the schema says): a client comparing the members it sent with those
/// answered finds them equal.
fn render(team: &Team, members: Option<&[Agent]>, base: &str, display: bool) -> Value {
    let group = Group {
        schemas: vec![wire::GROUP.to_owned()],
        id: Some(team.guid.to_string()),
        external_id: team.external_id.clone(),
        display_name: Some(team.name.clone()),
        members: members.map(|agents| {
            agents
                .iter()
                .map(|a| Member {
                    value: a.ids.guid.to_string(),
                    reference: Some(format!("{base}/Users/{}", a.ids.guid)),
                    display: display.then(|| a.profile.shown_name()),
                    kind: Some("User".into()),
                })
                .collect()
        }),
        meta: Some(Meta {
            resource_type: Some("Group".into()),
            created: team.created_at.map(mapping::scim_time),
            last_modified: team.updated_at.or(team.created_at).map(mapping::scim_time),
            location: Some(format!("{base}/Groups/{}", team.guid)),
            version: None,
        }),
    };
    serde_json::to_value(group).unwrap_or(Value::Null)
}

/// Whether the members' display names are asked for.
fn wants_display(search: &Search) -> bool {
    search
        .attributes
        .iter()
        .any(|a| a.eq_ignore_ascii_case("members.display"))
}

/// Whether the members are asked for (they cost a query per group).
fn wants_members(search: &Search) -> bool {
    let named = |list: &[String]| {
        list.iter().any(|a| {
            a.eq_ignore_ascii_case("members") || a.to_ascii_lowercase().starts_with("members.")
        })
    };
    if !search.attributes.is_empty() {
        return named(&search.attributes);
    }
    !named(&search.excluded)
}

/// Whether `team` passes a Group filter (on `displayName` or `id`).
fn selects(filter: &ScimFilter, team: &Team) -> Result<bool, ScimError> {
    Ok(match filter {
        ScimFilter::Attr(AttrExp::Comparison(path, op, CompValue::Str(want))) => {
            let have = match path.name.to_ascii_lowercase().as_str() {
                "displayname" => team.name.to_lowercase(),
                "id" => team.guid.to_string(),
                _ => {
                    return Err(ScimError::bad(
                        ScimType::InvalidFilter,
                        format!("filtering Groups on `{path}` is not supported"),
                    ));
                }
            };
            let want = want.to_lowercase();
            match op {
                CompareOp::Eq => have == want,
                CompareOp::Ne => have != want,
                CompareOp::Co => have.contains(&want),
                CompareOp::Sw => have.starts_with(&want),
                CompareOp::Ew => have.ends_with(&want),
                CompareOp::Gt => have > want,
                CompareOp::Ge => have >= want,
                CompareOp::Lt => have < want,
                CompareOp::Le => have <= want,
            }
        }
        ScimFilter::Attr(AttrExp::Present(path)) => {
            matches!(
                path.name.to_ascii_lowercase().as_str(),
                "displayname" | "id"
            )
        }
        ScimFilter::Not(inner) => !selects(inner, team)?,
        ScimFilter::And(items) => {
            let mut all = true;
            for f in items.iter() {
                all &= selects(f, team)?;
            }
            all
        }
        ScimFilter::Or(items) => {
            let mut any = false;
            for f in items.iter() {
                any |= selects(f, team)?;
            }
            any
        }
        _ => {
            return Err(ScimError::bad(
                ScimType::InvalidFilter,
                "Groups are filtered by displayName or id",
            ));
        }
    })
}

async fn search(
    ctx: &RouteCtx,
    req: &HttpRequest,
    search: Search,
) -> Result<HttpResponse, ScimError> {
    let filter: Option<ScimFilter> = search
        .filter
        .as_deref()
        .map(|f| {
            f.parse().map_err(|e| {
                ScimError::bad(
                    ScimType::InvalidFilter,
                    format!("the filter does not parse: {e}"),
                )
            })
        })
        .transpose()?;
    let mut matching = Vec::new();
    for team in ctx.backend.teams()?.all().await? {
        if filter.as_ref().map_or(Ok(true), |f| selects(f, &team))? {
            matching.push(team);
        }
    }
    let (start, count) = (search.start(), search.count());
    let total = matching.len() as u64;
    let base = base(req);
    let mut resources = Vec::new();
    let skip = usize::try_from(start - 1).unwrap_or(usize::MAX);
    let take = usize::try_from(count).unwrap_or(usize::MAX);
    for team in matching.iter().skip(skip).take(take) {
        let agents = if wants_members(&search) {
            Some(members(ctx, &team.name).await?)
        } else {
            None
        };
        let json = render(team, agents.as_deref(), &base, wants_display(&search));
        resources.push(project(
            json,
            &search.attributes,
            &search.excluded,
            wire::GROUP,
        ));
    }
    Ok(scim(
        StatusCode::OK,
        &list_response(total, start, resources),
    ))
}

async fn list(req: HttpRequest, ctx: web::Data<RouteCtx>) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    search(&ctx, &req, Search::from_query(&req)?).await
}

async fn search_body(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let search_request = Search::from_request(&req, payload, &ctx).await?;
    search(&ctx, &req, search_request).await
}

fn read_group(body: Map<String, Value>) -> Result<Group, ScimError> {
    let group: Group = decode(mapping::canonical_object(body))?;
    let name = group
        .display_name
        .as_deref()
        .map(str::trim)
        .unwrap_or_default();
    if name.is_empty() {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            "displayName is required",
        ));
    }
    if let Err(p) = agentgw_model::limits::check_text(name, agentgw_model::limits::NAME) {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            format!("displayName {p}"),
        ));
    }
    if let Some(e) = &group.external_id
        && let Err(p) = agentgw_model::limits::check_text(e, agentgw_model::limits::NAME)
    {
        return Err(ScimError::bad(
            ScimType::InvalidValue,
            format!("externalId {p}"),
        ));
    }
    Ok(group)
}

/// The agents a Group's `members` name (each must be a User of this tenant).
async fn resolve(ctx: &RouteCtx, members: &[Member]) -> Result<Vec<Agent>, ScimError> {
    let mut out: Vec<Agent> = Vec::new();
    for m in members {
        let Ok(guid) = m.value.parse::<uuid::Uuid>() else {
            return Err(ScimError::bad(
                ScimType::InvalidValue,
                "members: a member's value is a User id",
            ));
        };
        if out.iter().any(|a| a.ids.guid == guid) {
            continue;
        }
        match ctx.backend.get(&AgentId::Guid(guid)).await {
            Ok(agent) => out.push(agent),
            Err(agentgw_core::BackendError::NotFound) => {
                return Err(ScimError::bad(
                    ScimType::InvalidValue,
                    "members: no User has this id",
                ));
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Make `team` the membership of exactly `wanted` (by GUID): agents leave or join it.
async fn set_members(
    ctx: &RouteCtx,
    team: &str,
    current: &[Agent],
    wanted: &[Agent],
) -> Result<(), ScimError> {
    let key = |t: &str| t.trim().to_lowercase();
    for agent in current
        .iter()
        .filter(|a| !wanted.iter().any(|w| w.ids.guid == a.ids.guid))
    {
        let teams: Vec<String> = agent
            .profile
            .teams
            .iter()
            .filter(|t| key(t) != key(team))
            .cloned()
            .collect();
        update_teams(ctx, agent, teams).await?;
    }
    for agent in wanted
        .iter()
        .filter(|w| !current.iter().any(|a| a.ids.guid == w.ids.guid))
    {
        let mut teams = agent.profile.teams.clone();
        if !teams.iter().any(|t| key(t) == key(team)) {
            teams.push(team.to_owned());
        }
        update_teams(ctx, agent, teams).await?;
    }
    Ok(())
}

async fn update_teams(ctx: &RouteCtx, agent: &Agent, teams: Vec<String>) -> Result<(), ScimError> {
    let patch = ProfilePatch {
        teams: Some(teams),
        ..ProfilePatch::default()
    };
    match ctx
        .backend
        .update(&AgentId::Guid(agent.ids.guid), patch)
        .await
    {
        // Deleted meanwhile: it is in no team.
        Ok(_) | Err(agentgw_core::BackendError::NotFound) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

async fn create(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let body = json_object(&req, payload, &ctx).await?;
    let group = read_group(body)?;
    let name = group
        .display_name
        .clone()
        .unwrap_or_default()
        .trim()
        .to_owned();
    if !ctx
        .backend
        .teams()?
        .named(std::slice::from_ref(&name), false)
        .await?
        .is_empty()
    {
        return Err(ScimError {
            status: StatusCode::CONFLICT,
            scim_type: Some(ScimType::Uniqueness),
            detail: "displayName is already taken by another Group".into(),
            retry_after: None,
        });
    }
    let wanted = resolve(&ctx, group.members.as_deref().unwrap_or_default()).await?;
    let team = ctx
        .backend
        .teams()?
        .named(std::slice::from_ref(&name), true)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| {
            ScimError::from(agentgw_core::BackendError::Internal(
                "a team that was not made".into(),
            ))
        })?;
    let external = group
        .external_id
        .as_deref()
        .map(str::trim)
        .filter(|e| !e.is_empty());
    let team = match external {
        Some(e) => {
            ctx.backend
                .teams()?
                .change(team.guid, &team.name, Some(e))
                .await?
        }
        None => team,
    };
    set_members(&ctx, &team.name, &[], &wanted).await?;
    let base = base(&req);
    let agents = members(&ctx, &team.name).await?;
    Ok(HttpResponse::Created()
        .content_type(crate::inbound::SCIM_JSON)
        .insert_header((header::LOCATION, format!("{base}/Groups/{}", team.guid)))
        .json(render(&team, Some(&agents), &base, false)))
}

async fn show(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let search = Search::from_query(&req)?;
    let team = team(&ctx, &path).await?;
    let agents = if wants_members(&search) {
        Some(members(&ctx, &team.name).await?)
    } else {
        None
    };
    let json = render(
        &team,
        agents.as_deref(),
        &base(&req),
        wants_display(&search),
    );
    Ok(scim(
        StatusCode::OK,
        &project(json, &search.attributes, &search.excluded, wire::GROUP),
    ))
}

/// Make the Group `team` what `group` says: its name, and (when given) its members.
async fn apply(
    ctx: &RouteCtx,
    req: &HttpRequest,
    team: Team,
    group: Group,
) -> Result<HttpResponse, ScimError> {
    let current = members(ctx, &team.name).await?;
    let name = group
        .display_name
        .clone()
        .unwrap_or_default()
        .trim()
        .to_owned();
    let team = {
        // Renamed, or (the same name) marked changed now: `meta.lastModified` follows.
        let external = group
            .external_id
            .as_deref()
            .map(str::trim)
            .filter(|e| !e.is_empty());
        let renamed = ctx
            .backend
            .teams()?
            .change(team.guid, &name, external)
            .await
            .map_err(|e| match e {
                agentgw_core::BackendError::Conflict { .. } => ScimError {
                    status: StatusCode::CONFLICT,
                    scim_type: Some(ScimType::Uniqueness),
                    detail: "displayName is already taken by another Group".into(),
                    retry_after: None,
                },
                other => other.into(),
            })?;
        // Every member follows a new name.
        let key = |t: &str| t.trim().to_lowercase();
        for agent in current.iter().filter(|_| renamed.name != team.name) {
            let teams = agent
                .profile
                .teams
                .iter()
                .map(|t| {
                    if key(t) == key(&team.name) {
                        renamed.name.clone()
                    } else {
                        t.clone()
                    }
                })
                .collect();
            update_teams(ctx, agent, teams).await?;
        }
        renamed
    };
    let current = members(ctx, &team.name).await?;
    if let Some(wanted) = &group.members {
        let wanted = resolve(ctx, wanted).await?;
        set_members(ctx, &team.name, &current, &wanted).await?;
    }
    let agents = members(ctx, &team.name).await?;
    Ok(scim(
        StatusCode::OK,
        &render(&team, Some(&agents), &base(req), false),
    ))
}

async fn replace(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let team = team(&ctx, &path).await?;
    let body = json_object(&req, payload, &ctx).await?;
    let mut group = read_group(body)?;
    // A PUT replaces the members too: none listed is none.
    group.members.get_or_insert_with(Vec::new);
    apply(&ctx, &req, team, group).await
}

async fn modify(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let team = team(&ctx, &path).await?;
    let body = json_object(&req, payload, &ctx).await?;
    let request: wire::PatchRequest = decode(mapping::canonical_patch(body))?;
    let current = members(&ctx, &team.name).await?;
    let Value::Object(mut resource) = render(&team, Some(&current), &base(&req), false) else {
        return Err(
            agentgw_core::BackendError::Internal("a group that is not an object".into()).into(),
        );
    };
    patch::apply(&mut resource, &request.operations, &["members"])?;
    let mut group = read_group(resource)?;
    group.members.get_or_insert_with(Vec::new);
    apply(&ctx, &req, team, group).await
}

async fn destroy(
    req: HttpRequest,
    ctx: web::Data<RouteCtx>,
    path: web::Path<String>,
) -> Result<HttpResponse, ScimError> {
    authorize(&req, &ctx)?;
    let team = team(&ctx, &path).await?;
    let current = members(&ctx, &team.name).await?;
    set_members(&ctx, &team.name, &current, &[]).await?;
    ctx.backend
        .teams()?
        .delete(team.guid)
        .await
        .map_err(|e| ScimError::for_resource(e, "Group", &path))?;
    Ok(HttpResponse::NoContent().finish())
}
