//! Calling a real supporthub: the `Remote` for supporthub upstreams. It pages (100 a page),
//! filters names and email itself, updates with PATCH (only what changed), changes passwords
//! through `new_password`, and has permissions and notification settings.

use std::sync::Arc;

use agentgw_core::{
    BackendError, Batches, Credential, FilterSupport, Remote, RemoteAgent, RemotePage,
    RemoteProfile, UpstreamConfig,
};
use agentgw_model::{Field, FlagKind, Flags, ListQuery, NewAgent, Password, Profile, SortOrder};
use agentgw_outbound::{Client, Endpoints, Method, Reply, body, client_error};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, future, stream};
use serde_json::Value;

use crate::{mapping, wire};

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
/// Laravel's throttle counts per user or address, every endpoint together.
const ENDPOINTS: Endpoints = Endpoints {
    templates: &[
        "/api/agents",
        "/api/agents/{}",
        "/api/agents/{}/permissions",
        "/api/agents/{}/notifications",
    ],
    counted_apart: false,
};

/// The outbound client for a supporthub upstream (the adapter's constructor).
pub fn remote(
    cfg: &UpstreamConfig,
    env: &agentgw_core::RemoteEnv,
) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
    Ok(std::sync::Arc::new(SupporthubRemote::new(cfg, env)?))
}

/// A supporthub upstream.
pub struct SupporthubRemote {
    client: Client,
    concurrency: usize,
}

impl SupporthubRemote {
    /// A client for `cfg` (Bearer token).
    pub fn new(cfg: &UpstreamConfig, env: &agentgw_core::RemoteEnv) -> Result<Self, BackendError> {
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
            env,
            ENDPOINTS,
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

/// What supporthub is, as the gateway and `agentgw migrate` ask.
const PROFILE: RemoteProfile = RemoteProfile {
    holds: HOLDS,
    created_with: HOLDS,
    requires: REQUIRES,
    requires_password: true,
    order: SortOrder::CREATED,
    pages: true,
    filters: FilterSupport {
        names: true,
        email: true,
        ..FilterSupport::NONE
    },
    can_disable: true,
};

#[async_trait]
impl Remote for SupporthubRemote {
    fn profile(&self) -> &'static RemoteProfile {
        &PROFILE
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
            .map(mapping::from_upstream)
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
                .map_ok(|page| page.data.into_iter().map(mapping::from_upstream).collect()),
        )
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        let data: wire::Data<wire::Agent> = self
            .expect(Method::GET, &format!("/api/agents/{id}"), &[], None)
            .await?
            .json()?;
        Ok(mapping::from_upstream(data.data))
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let data: wire::Data<wire::Agent> = self
            .expect(
                Method::POST,
                "/api/agents",
                &[],
                Some(&body(&mapping::to_upstream_create(new))?),
            )
            .await?
            .json()?;
        let created = mapping::from_upstream(data.data);
        // A create cannot carry a time zone; a PATCH right after can.
        if new.profile.time_zone.is_some() {
            let zone = wire::UpdateAgent {
                timezone: Some(
                    new.profile
                        .time_zone
                        .as_ref()
                        .map(|z| z.as_str().to_owned()),
                ),
                ..wire::UpdateAgent::default()
            };
            let patched: wire::Data<wire::Agent> = self
                .expect(
                    Method::PATCH,
                    &format!("/api/agents/{}", created.id),
                    &[],
                    Some(&body(&zone)?),
                )
                .await?
                .json()?;
            return Ok(mapping::from_upstream(patched.data));
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
        let Some(change) = mapping::to_upstream_update(current, desired, password) else {
            return self.get(id).await;
        };
        let data: wire::Data<wire::Agent> = self
            .expect(
                Method::PATCH,
                &format!("/api/agents/{id}"),
                &[],
                Some(&body(&change)?),
            )
            .await?
            .json()?;
        Ok(mapping::from_upstream(data.data))
    }

    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        self.expect(Method::DELETE, &format!("/api/agents/{id}"), &[], None)
            .await
            .map(drop)
    }

    async fn change_password(&self, id: &str, password: &Password) -> Result<(), BackendError> {
        let change = wire::UpdateAgent {
            new_password: Some(password.expose().to_owned()),
            new_password_confirmation: Some(password.expose().to_owned()),
            ..wire::UpdateAgent::default()
        };
        self.expect(
            Method::PATCH,
            &format!("/api/agents/{id}"),
            &[],
            Some(&body(&change)?),
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
        let data: wire::Data<Flags> = self
            .expect(
                Method::PATCH,
                &flags_path(id, kind),
                &[],
                Some(&body(&changes)?),
            )
            .await?
            .json()?;
        Ok(data.data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_model::Filter;

    #[test]
    fn name_and_email_filters_go_upstream_as_spatie_filters() {
        let q = ListQuery {
            filter: Filter {
                first_name: Some("ada".into()),
                email: Some("@example".into()),
                text: Some("kept here".into()),
                ..Filter::default()
            },
            ..ListQuery::default()
        };
        assert_eq!(
            filters(&q),
            [
                ("filter[first_name]".to_owned(), "ada".to_owned()),
                ("filter[email]".to_owned(), "@example".to_owned()),
            ]
        );
    }
}
