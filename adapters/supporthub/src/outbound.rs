//! Calling a real supporthub: the `Remote` for supporthub upstreams. It pages (100 a page),
//! filters names and email itself, updates with PATCH (only what changed), changes passwords
//! through `new_password`, and has permissions and notification settings.

use std::sync::Arc;

use agentgw_core::{
    BackendError, Batches, Capabilities, Credential, FilterSupport, Remote, RemoteAgent,
    RemotePage, UpstreamConfig, Verbs,
};
use agentgw_model::parse_time;
use agentgw_model::{
    Field, FlagKind, Flags, ListQuery, NewAgent, Password, Profile, Role, SortOrder, TimeZone,
};
use agentgw_outbound::{Client, Method, Reply, client_error};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, future, stream};
use serde_json::{Map, Value, json};

use crate::wire;

const HOLDS: &[Field] = &[
    Field::Email,
    Field::FirstName,
    Field::LastName,
    Field::TimeZone,
    Field::LastLogin,
    Field::Avatar,
];
const REQUIRES: &[Field] = &[Field::FirstName, Field::LastName];
const PAGE: u64 = 100;

/// The outbound client for a supporthub upstream (the adapter's constructor).
pub fn remote(cfg: &UpstreamConfig) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
    Ok(std::sync::Arc::new(SupporthubRemote::new(cfg)?))
}

/// A supporthub upstream.
pub struct SupporthubRemote {
    client: Client,
    concurrency: usize,
}

impl SupporthubRemote {
    /// A client for `cfg` (Bearer token).
    pub fn new(cfg: &UpstreamConfig) -> Result<Self, BackendError> {
        let token = match &cfg.credential {
            Credential::Token(t) => t.expose().to_owned(),
            _ => {
                return Err(BackendError::Internal(
                    "supporthub upstreams take { token }".into(),
                ));
            }
        };
        let client = Client::new(
            cfg,
            vec![
                ("authorization", format!("Bearer {token}")),
                ("accept", "application/json".into()),
            ],
        )?;
        Ok(SupporthubRemote {
            client,
            concurrency: cfg.max_concurrency,
        })
    }

    fn error(reply: &Reply) -> BackendError {
        let body = reply.value();
        let message = body["message"]
            .as_str()
            .unwrap_or("the upstream refused the request")
            .to_owned();
        if reply.status.as_u16() == 422 {
            let errors = body["errors"].as_object().cloned().unwrap_or_default();
            if errors
                .get("email")
                .and_then(|m| m.to_string().contains("taken").then_some(()))
                .is_some()
            {
                return BackendError::Conflict { field: "email" };
            }
            let field = errors
                .keys()
                .next()
                .cloned()
                .unwrap_or_else(|| "base".into());
            return BackendError::Invalid { field, message };
        }
        client_error(reply, message)
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
        filters: &[(String, String)],
        page: u64,
        per_page: u64,
    ) -> Result<wire::Page, BackendError> {
        let mut query = filters.to_vec();
        query.push(("page".into(), page.to_string()));
        query.push(("per_page".into(), per_page.to_string()));
        self.expect(Method::GET, "/api/agents", &query, None)
            .await?
            .json()
    }
}

/// A supporthub agent as the canonical model sees it.
pub fn from_wire(w: wire::Agent) -> RemoteAgent {
    let mut profile = Profile {
        display_name: agentgw_model::join_name(&w.first_name, &w.last_name),
        first_name: w.first_name,
        last_name: w.last_name,
        email: w.email,
        role: if w.role == 1 {
            Role::Administrator
        } else {
            Role::Agent
        },
        avatar_url: w.avatar,
        time_zone: w.timezone.as_deref().and_then(|z| TimeZone::parse(z).ok()),
        last_login_at: w.last_login_at.as_deref().and_then(parse_time),
        ..Profile::default()
    };
    profile.state.banned = w.status == 3;
    profile.state.confirmed = w.status == 1;
    RemoteAgent {
        id: w.id.to_string(),
        profile,
        created_at: parse_time(&w.created_at),
        updated_at: parse_time(&w.updated_at),
    }
}

fn filters(q: &ListQuery) -> Vec<(String, String)> {
    let f = &q.filter;
    [
        ("filter[first_name]", &f.first_name),
        ("filter[last_name]", &f.last_name),
        ("filter[email]", &f.email),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.as_ref().map(|v| (k.to_owned(), v.clone())))
    .collect()
}

fn flags_path(id: &str, kind: FlagKind) -> String {
    match kind {
        FlagKind::Permissions => format!("/api/agents/{id}/permissions"),
        FlagKind::Notifications => format!("/api/agents/{id}/notifications"),
    }
}

#[async_trait]
impl Remote for SupporthubRemote {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            pages: true,
            filters: FilterSupport {
                names: true,
                email: true,
                ..FilterSupport::default()
            },
            verbs: Verbs {
                change_password: true,
                unlock: false,
                flags: true,
            },
        }
    }

    fn holds(&self) -> &'static [Field] {
        HOLDS
    }

    fn requires(&self) -> &'static [Field] {
        REQUIRES
    }

    fn requires_password(&self) -> bool {
        true
    }

    fn native_order(&self) -> SortOrder {
        SortOrder::CREATED
    }

    async fn list(&self, query: &ListQuery) -> Result<RemotePage, BackendError> {
        let filters = filters(query);
        let Some(window) = query.window else {
            let items: Vec<RemoteAgent> = self.scan(query.clone()).try_concat().await?;
            let total = items.len() as u64;
            return Ok(RemotePage { items, total });
        };
        // A window: the pages of 100 that cover it, then the slice.
        let (start, end) = (window.offset, window.offset.saturating_add(window.limit));
        let (first_page, last_page) = (start / PAGE + 1, end.saturating_sub(1) / PAGE + 1);
        let pages: Vec<wire::Page> =
            futures_util::stream::iter(first_page..=last_page.max(first_page))
                .map(|p| self.page(&filters, p, PAGE))
                .buffered(self.concurrency)
                .try_collect()
                .await?;
        let total = pages.first().map_or(0, |p| p.meta.total);
        let skip = usize::try_from(start - (first_page - 1) * PAGE).unwrap_or(usize::MAX);
        let take = usize::try_from(window.limit).unwrap_or(usize::MAX);
        let items = pages
            .into_iter()
            .flat_map(|p| p.data)
            .skip(skip)
            .take(take)
            .map(from_wire)
            .collect();
        Ok(RemotePage { items, total })
    }

    fn scan(&self, query: ListQuery) -> Batches<'_, RemoteAgent> {
        // Page 1 says how many pages there are; the rest are fetched `concurrency` at a time
        // and handed on a page at a time, in order.
        let filters = Arc::new(filters(&query));
        let fetch = move |p: u64| {
            let filters = Arc::clone(&filters);
            async move { self.page(&filters, p, PAGE).await }
        };
        Box::pin(
            stream::once(fetch(1))
                .map_ok(move |first| {
                    let rest = stream::iter(2..=first.meta.last_page)
                        .map(fetch.clone())
                        .buffered(self.concurrency);
                    stream::once(future::ready(Ok(first))).chain(rest)
                })
                .try_flatten()
                .map_ok(|page| page.data.into_iter().map(from_wire).collect()),
        )
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        let data: wire::Data<wire::Agent> = self
            .expect(Method::GET, &format!("/api/agents/{id}"), &[], None)
            .await?
            .json()?;
        Ok(from_wire(data.data))
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let p = &new.profile;
        let password = new
            .password
            .as_ref()
            .map(|p| p.expose().to_owned())
            .unwrap_or_default();
        let body = json!({"first_name": p.first_name, "last_name": p.last_name, "email": p.email, "password": password, "password_confirmation": password});
        let data: wire::Data<wire::Agent> = self
            .expect(Method::POST, "/api/agents", &[], Some(&body))
            .await?
            .json()?;
        let created = from_wire(data.data);
        // A create cannot carry a time zone; a PATCH right after can.
        if let Some(tz) = &p.time_zone {
            let patched: wire::Data<wire::Agent> = self
                .expect(
                    Method::PATCH,
                    &format!("/api/agents/{}", created.id),
                    &[],
                    Some(&json!({"timezone": tz.as_str()})),
                )
                .await?
                .json()?;
            return Ok(from_wire(patched.data));
        }
        Ok(created)
    }

    async fn update(
        &self,
        id: &str,
        current: &Profile,
        desired: &Profile,
        password: Option<&Password>,
    ) -> Result<RemoteAgent, BackendError> {
        // The minimal change: only the fields supporthub holds that differ.
        let mut body = Map::new();
        let text = [
            ("first_name", &current.first_name, &desired.first_name),
            ("last_name", &current.last_name, &desired.last_name),
            ("email", &current.email, &desired.email),
        ];
        for (name, before, after) in text {
            if before != after {
                body.insert(name.into(), Value::String(after.clone()));
            }
        }
        if current.time_zone != desired.time_zone {
            body.insert(
                "timezone".into(),
                desired
                    .time_zone
                    .as_ref()
                    .map_or(Value::Null, |z| Value::String(z.as_str().to_owned())),
            );
        }
        if let Some(p) = password {
            body.insert("new_password".into(), Value::String(p.expose().to_owned()));
            body.insert(
                "new_password_confirmation".into(),
                Value::String(p.expose().to_owned()),
            );
        }
        if body.is_empty() {
            return self.get(id).await;
        }
        let data: wire::Data<wire::Agent> = self
            .expect(
                Method::PATCH,
                &format!("/api/agents/{id}"),
                &[],
                Some(&Value::Object(body)),
            )
            .await?
            .json()?;
        Ok(from_wire(data.data))
    }

    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        self.expect(Method::DELETE, &format!("/api/agents/{id}"), &[], None)
            .await
            .map(drop)
    }

    async fn change_password(&self, id: &str, password: &Password) -> Result<(), BackendError> {
        let body = json!({"new_password": password.expose(), "new_password_confirmation": password.expose()});
        self.expect(
            Method::PATCH,
            &format!("/api/agents/{id}"),
            &[],
            Some(&body),
        )
        .await
        .map(drop)
    }

    async fn flags(&self, id: &str, kind: FlagKind) -> Result<Flags, BackendError> {
        let data: wire::Data<Flags> = self
            .expect(Method::GET, &flags_path(id, kind), &[], None)
            .await?
            .json()?;
        Ok(data.data)
    }

    async fn set_flags(
        &self,
        id: &str,
        kind: FlagKind,
        changes: Flags,
    ) -> Result<Flags, BackendError> {
        let body =
            serde_json::to_value(changes).map_err(|e| BackendError::Internal(e.to_string()))?;
        let data: wire::Data<Flags> = self
            .expect(Method::PATCH, &flags_path(id, kind), &[], Some(&body))
            .await?
            .json()?;
        Ok(data.data)
    }
}
