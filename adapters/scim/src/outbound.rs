//! Calling a SCIM 2.0 service provider: the `Remote` for `dialect = "scim"` upstreams. It
//! pages with `startIndex`/`count`, takes a canonical condition as a SCIM filter, replaces
//! Users with PUT, and signs in with a bearer token.

use std::sync::Arc;

use agentgw_core::{
    BackendError, Batches, Credential, FilterSupport, Remote, RemoteAgent, RemotePage,
    RemoteProfile, UpstreamConfig,
};
use agentgw_model::{
    Attr, Condition, Field, ListQuery, NewAgent, Op, Operand, Password, Profile, SortOrder,
    parse_time,
};
use agentgw_outbound::{Client, Endpoints, Method, Reply, client_error};
use async_trait::async_trait;
use futures_util::stream;
use serde_json::Value;

use crate::mapping::{self, MANAGED};
use crate::wire::{self, User};

/// Users asked for per page.
const PAGE: u64 = 100;
/// SCIM servers count as their operators choose; a budget configured per endpoint counts these.
const ENDPOINTS: Endpoints = Endpoints {
    templates: &["/Users", "/Users/{}", "/Groups", "/Groups/{}"],
    counted_apart: false,
};

/// The outbound client for a SCIM upstream (the adapter's constructor).
pub fn remote(
    cfg: &UpstreamConfig,
    env: &agentgw_core::RemoteEnv,
) -> Result<Arc<dyn Remote>, BackendError> {
    Ok(Arc::new(ScimRemote::new(cfg, env)?))
}

/// A SCIM service provider.
pub struct ScimRemote {
    client: Client,
}

impl ScimRemote {
    /// A client for `cfg` (`Authorization: Bearer`; `base_url` is the SCIM base URL).
    pub fn new(cfg: &UpstreamConfig, env: &agentgw_core::RemoteEnv) -> Result<Self, BackendError> {
        let token = match &cfg.credential {
            Credential::Token(t) => t.expose().to_owned(),
            _ => {
                return Err(BackendError::Internal(
                    "scim upstreams take { token }".into(),
                ));
            }
        };
        let client = Client::new(
            cfg,
            env,
            ENDPOINTS,
            vec![("authorization", format!("Bearer {token}"))],
        )?
        .with_media_type(crate::inbound::SCIM_JSON);
        Ok(ScimRemote { client })
    }

    fn error(reply: &Reply) -> BackendError {
        let body = reply.value();
        let detail = body["detail"]
            .as_str()
            .unwrap_or("the service provider refused the request")
            .to_owned();
        match (reply.status.as_u16(), body["scimType"].as_str()) {
            (409, _) | (400, Some("uniqueness")) => BackendError::Conflict { field: "username" },
            _ => client_error(reply, detail),
        }
    }

    async fn expect(
        &self,
        method: Method,
        path: &str,
        query: &[(String, String)],
        body: Option<&Value>,
    ) -> Result<Reply, BackendError> {
        self.client
            .expect(method, path, query, body, Self::error)
            .await
    }

    async fn page(
        &self,
        filter: Option<&str>,
        start: u64,
        count: u64,
    ) -> Result<wire::ListResponse<Value>, BackendError> {
        let mut query = vec![
            ("startIndex".to_owned(), start.to_string()),
            ("count".to_owned(), count.to_string()),
        ];
        if let Some(f) = filter {
            query.push(("filter".to_owned(), f.to_owned()));
        }
        self.expect(Method::GET, "/Users", &query, None)
            .await?
            .json()
    }
}

/// What a SCIM service provider says of a User, canonically (leniently: what it holds is what
/// it holds).
pub fn from_upstream(value: Value) -> Result<RemoteAgent, BackendError> {
    let user: User = serde_json::from_value(mapping::canonical_keys(value)).map_err(|e| {
        BackendError::Upstream {
            status: None,
            message: format!("a User the service provider answered does not read: {e}"),
        }
    })?;
    let id = user.id.clone().ok_or_else(|| BackendError::Upstream {
        status: None,
        message: "a User without an id".into(),
    })?;
    let meta = user.meta.clone().unwrap_or_default();
    let mut lenient = user.clone();
    if lenient.user_name.as_deref().is_none_or(str::is_empty) {
        lenient.user_name = Some(id.clone());
    }
    let mut profile = match mapping::profile(&lenient, None) {
        Ok((p, _)) => p,
        // No email (or another value it cannot keep): the rest of what it holds still shows.
        Err(_) => Profile {
            username: lenient.user_name.clone(),
            display_name: lenient.display_name.clone().unwrap_or_default(),
            ..Profile::default()
        },
    };
    // The User as the provider holds it: what the model has no field for (nickName, the
    // enterprise extension, a value's type, …) reaches a SCIM face unchanged.
    profile
        .extensions
        .merge(mapping::DIALECT, mapping::as_sent(&user));
    Ok(RemoteAgent {
        id,
        profile,
        created_at: meta.created.as_deref().and_then(parse_time),
        updated_at: meta.last_modified.as_deref().and_then(parse_time),
    })
}

/// A profile as the User a service provider is sent (no id, no meta, no groups).
pub fn to_upstream(profile: &Profile, password: Option<&Password>) -> Result<Value, BackendError> {
    let agent = agentgw_model::Agent {
        ids: agentgw_model::AgentIds {
            int: 0,
            guid: uuid::Uuid::nil(),
            short: String::new(),
        },
        profile: profile.clone(),
        created_at: chrono::Utc::now(),
        updated_at: chrono::Utc::now(),
    };
    // As a SCIM face renders it: the User last sent (by a SCIM client, or as the provider
    // answered it) with the agent's canonical values over it.
    let mut value = mapping::render(&agent, &[], "");
    if let Value::Object(user) = &mut value {
        for server in ["id", "meta", "groups"] {
            user.remove(server);
        }
    }
    if let Some(p) = password {
        value["password"] = Value::String(p.expose().to_owned());
    }
    Ok(value)
}

/// A condition as SCIM filter text; `None` when it names something SCIM cannot filter on.
pub fn filter_text(c: &Condition) -> Option<String> {
    Some(match c {
        Condition::All(items) if items.is_empty() => "id pr".into(),
        Condition::Any(items) if items.is_empty() => "not (id pr)".into(),
        Condition::All(items) => format!(
            "({})",
            items
                .iter()
                .map(filter_text)
                .collect::<Option<Vec<_>>>()?
                .join(" and ")
        ),
        Condition::Any(items) => format!(
            "({})",
            items
                .iter()
                .map(filter_text)
                .collect::<Option<Vec<_>>>()?
                .join(" or ")
        ),
        Condition::Not(inner) => format!("not ({})", filter_text(inner)?),
        Condition::Present(a) => format!("{} pr", attribute(*a)?),
        Condition::Compare(a, op, value) => {
            let op = match op {
                Op::Eq => "eq",
                Op::Ne => "ne",
                Op::Co => "co",
                Op::Sw => "sw",
                Op::Ew => "ew",
                Op::Gt => "gt",
                Op::Ge => "ge",
                Op::Lt => "lt",
                Op::Le => "le",
            };
            let value = match value {
                Operand::Text(t) => serde_json::to_string(t).ok()?,
                Operand::Bool(b) => b.to_string(),
                Operand::Time(t) => serde_json::to_string(&mapping::scim_time(*t)).ok()?,
            };
            format!("{} {op} {value}", attribute(*a)?)
        }
    })
}

fn attribute(a: Attr) -> Option<&'static str> {
    Some(match a {
        Attr::Username => "userName",
        Attr::Email => "emails.value",
        Attr::DisplayName => "displayName",
        Attr::FirstName => "name.givenName",
        Attr::LastName => "name.familyName",
        Attr::ExternalId => "externalId",
        Attr::Active => "active",
        Attr::Updated => "meta.lastModified",
        Attr::Created => "meta.created",
        // The gateway's own GUID is not the service provider's id.
        Attr::FullName | Attr::Guid => return None,
    })
}

/// What scim is, as the gateway and `agentgw migrate` ask.
const PROFILE: RemoteProfile = RemoteProfile {
    holds: MANAGED,
    created_with: MANAGED,
    requires: &[Field::Username],
    requires_password: false,
    order: SortOrder::CREATED,
    pages: true,
    filters: FilterSupport {
        condition: true,
        ..FilterSupport::NONE
    },
    can_disable: true,
};

#[async_trait]
impl Remote for ScimRemote {
    fn profile(&self) -> &'static RemoteProfile {
        &PROFILE
    }

    async fn list(&self, query: &ListQuery) -> Result<RemotePage, BackendError> {
        // A condition naming what SCIM cannot filter on is the gateway's to apply: all pages.
        let filter = query.filter.condition.as_ref().map(filter_text);
        if matches!(filter, Some(None)) {
            let mut items = Vec::new();
            let mut start = 1;
            loop {
                let page = self.page(None, start, PAGE).await?;
                let n = page.resources.len() as u64;
                for r in page.resources {
                    items.push(from_upstream(r)?);
                }
                if n == 0 || start + n > page.total_results {
                    break;
                }
                start += n;
            }
            let total = items.len() as u64;
            return Ok(RemotePage { items, total });
        }
        let filter = filter.flatten();
        let (start, count) = match query.window {
            Some(w) => (w.offset + 1, w.limit.min(crate::schema::MAX_RESULTS)),
            None => (1, PAGE),
        };
        let page = self.page(filter.as_deref(), start, count).await?;
        let total = page.total_results;
        let items = page
            .resources
            .into_iter()
            .map(from_upstream)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RemotePage { items, total })
    }

    fn scan(&self, query: ListQuery) -> Batches<'_, RemoteAgent> {
        let filter = query.filter.condition.as_ref().and_then(filter_text);
        Box::pin(stream::try_unfold(Some(1u64), move |next| {
            let filter = filter.clone();
            async move {
                let Some(start) = next else { return Ok(None) };
                let page = self.page(filter.as_deref(), start, PAGE).await?;
                let n = page.resources.len() as u64;
                let items = page
                    .resources
                    .into_iter()
                    .map(from_upstream)
                    .collect::<Result<Vec<_>, _>>()?;
                let more = n > 0 && start + n <= page.total_results;
                Ok(Some((items, more.then_some(start + n))))
            }
        }))
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        from_upstream(
            self.expect(Method::GET, &format!("/Users/{id}"), &[], None)
                .await?
                .json()?,
        )
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let user = to_upstream(&new.profile, new.password.as_ref())?;
        from_upstream(
            self.expect(Method::POST, "/Users", &[], Some(&user))
                .await?
                .json()?,
        )
    }

    async fn update(
        &self,
        id: &str,
        _current: &Profile,
        desired: &Profile,
        password: Option<&Password>,
    ) -> Result<RemoteAgent, BackendError> {
        let mut user = to_upstream(desired, password)?;
        user["id"] = Value::String(id.to_owned());
        from_upstream(
            self.expect(Method::PUT, &format!("/Users/{id}"), &[], Some(&user))
                .await?
                .json()?,
        )
    }

    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        self.expect(Method::DELETE, &format!("/Users/{id}"), &[], None)
            .await
            .map(drop)
    }

    async fn change_password(&self, id: &str, password: &Password) -> Result<(), BackendError> {
        let op = serde_json::json!({
            "schemas": [wire::PATCH_OP],
            "Operations": [{"op": "replace", "path": "password", "value": password.expose()}]
        });
        self.expect(Method::PATCH, &format!("/Users/{id}"), &[], Some(&op))
            .await
            .map(drop)
    }
}
