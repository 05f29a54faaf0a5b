//! Calling a real Rocket.Chat livechat API: the `Remote` for livechat upstreams. It pages with
//! offset/count (at most 100), filters by text itself, knows roles only as agent/manager
//! membership, and can only register users that already exist (a create names a username).

use std::collections::HashSet;
use std::sync::Arc;

use agentgw_core::{
    BackendError, Batches, Capabilities, Credential, FilterSupport, Remote, RemoteAgent,
    RemotePage, UpstreamConfig,
};
use agentgw_model::{Field, ListQuery, NewAgent, Password, Profile, Role, SortOrder};
use agentgw_outbound::{Client, Method, Reply, body, client_error};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, future, stream};
use serde_json::{Value, json};

use crate::{mapping, wire};

const HOLDS: &[Field] = &[Field::Role];
const REQUIRES: &[Field] = &[Field::Username];
const USERS: &str = "/api/v1/livechat/users";
const COUNT: u64 = 100;

/// The outbound client for a livechat upstream (the adapter's constructor).
pub fn remote(cfg: &UpstreamConfig) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
    Ok(std::sync::Arc::new(LivechatRemote::new(cfg)?))
}

/// A livechat upstream.
pub struct LivechatRemote {
    client: Client,
    concurrency: usize,
}

impl LivechatRemote {
    /// A client for `cfg` (`X-User-Id` + `X-Auth-Token`).
    pub fn new(cfg: &UpstreamConfig) -> Result<Self, BackendError> {
        let (user, token) = match &cfg.credential {
            Credential::UserToken { user_id, token } => {
                (user_id.clone(), token.expose().to_owned())
            }
            _ => {
                return Err(BackendError::Internal(
                    "livechat upstreams take { user_id, token }".into(),
                ));
            }
        };
        Ok(LivechatRemote {
            client: Client::new(cfg, vec![("x-user-id", user), ("x-auth-token", token)])?,
            concurrency: cfg.max_concurrency,
        })
    }

    fn error(reply: &Reply) -> BackendError {
        let body = reply.value();
        let message = body["error"]
            .as_str()
            .unwrap_or("the upstream refused the request")
            .to_owned();
        match (reply.status.as_u16(), message.as_str()) {
            (400, "User not found") => BackendError::NotFound,
            (400, _) if body == json!({"success": false}) => BackendError::NotFound,
            _ => client_error(reply, message),
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
        kind: &str,
        text: Option<&str>,
        offset: u64,
        count: u64,
    ) -> Result<wire::UserList, BackendError> {
        let mut query = vec![
            ("offset".to_owned(), offset.to_string()),
            ("count".to_owned(), count.to_string()),
        ];
        if let Some(t) = text {
            query.push(("text".into(), t.to_owned()));
        }
        self.expect(Method::GET, &format!("{USERS}/{kind}"), &query, None)
            .await?
            .json()
    }

    /// Register the agent of `profile` as a manager (Rocket.Chat's administrators).
    async fn make_manager(&self, profile: &Profile) -> Result<(), BackendError> {
        let register = body(&mapping::to_upstream_register(profile))?;
        self.expect(
            Method::POST,
            &format!("{USERS}/manager"),
            &[],
            Some(&register),
        )
        .await
        .map(drop)
    }

    /// Every user of one type (managers, to know who is an administrator).
    async fn all(
        &self,
        kind: &str,
        text: Option<&str>,
    ) -> Result<(Vec<wire::User>, u64), BackendError> {
        let first = self.page(kind, text, 0, COUNT).await?;
        let total = first.total.unwrap_or(first.users.len() as u64);
        let offsets: Vec<u64> = (1..total.div_ceil(COUNT)).map(|i| i * COUNT).collect();
        let rest: Vec<wire::UserList> = futures_util::stream::iter(offsets)
            .map(|o| self.page(kind, text, o, COUNT))
            .buffered(self.concurrency)
            .try_collect()
            .await?;
        Ok((
            std::iter::once(first)
                .chain(rest)
                .flat_map(|p| p.users)
                .collect(),
            total,
        ))
    }

    async fn managers(&self) -> Result<HashSet<String>, BackendError> {
        Ok(self
            .all("manager", None)
            .await?
            .0
            .into_iter()
            .map(|u| u.id)
            .collect())
    }
}

#[async_trait]
impl Remote for LivechatRemote {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            pages: true,
            filters: FilterSupport {
                text: true,
                ..FilterSupport::default()
            },
            ..Capabilities::default()
        }
    }

    fn holds(&self) -> &'static [Field] {
        HOLDS
    }

    fn requires(&self) -> &'static [Field] {
        REQUIRES
    }

    fn requires_password(&self) -> bool {
        false
    }

    fn native_order(&self) -> SortOrder {
        SortOrder::NAME
    }

    async fn list(&self, query: &ListQuery) -> Result<RemotePage, BackendError> {
        let managers = self.managers().await?;
        let text = query.filter.text.as_deref();
        let (users, total) = match query.window {
            None => {
                let items: Vec<RemoteAgent> = self.scan(query.clone()).try_concat().await?;
                let total = items.len() as u64;
                return Ok(RemotePage { items, total });
            }
            Some(w) => {
                let page = self
                    .page("agent", text, w.offset, w.limit.min(COUNT))
                    .await?;
                (page.users, page.total.unwrap_or(0))
            }
        };
        let items = users.into_iter().map(|u| {
            let manager = managers.contains(&u.id);
            mapping::from_upstream(u, manager)
        });
        Ok(RemotePage {
            items: items.collect(),
            total,
        })
    }

    fn scan(&self, query: ListQuery) -> Batches<'_, RemoteAgent> {
        // Managers first (who is an administrator), then the agents' pages, `concurrency`
        // at a time, handed on a page at a time, in order.
        let text = query.filter.text;
        let fetch = move |offset: u64| {
            let text = text.clone();
            async move { self.page("agent", text.as_deref(), offset, COUNT).await }
        };
        let first = fetch.clone();
        Box::pin(
            stream::once(async move {
                let managers = Arc::new(self.managers().await?);
                Ok::<_, BackendError>((managers, first(0).await?))
            })
            .map_ok(move |(managers, first)| {
                let total = first.total.unwrap_or(first.users.len() as u64);
                let rest = stream::iter((1..total.div_ceil(COUNT)).map(|i| i * COUNT))
                    .map(fetch.clone())
                    .buffered(self.concurrency);
                stream::once(future::ready(Ok(first)))
                    .chain(rest)
                    .map_ok(move |page| {
                        let users = page.users.into_iter();
                        users
                            .map(|u| {
                                let manager = managers.contains(&u.id);
                                mapping::from_upstream(u, manager)
                            })
                            .collect()
                    })
            })
            .try_flatten(),
        )
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        let found: wire::Found = self
            .expect(Method::GET, &format!("{USERS}/agent/{id}"), &[], None)
            .await?
            .json()?;
        let user = found.user.ok_or(BackendError::NotFound)?;
        let as_manager: wire::Found = self
            .expect(Method::GET, &format!("{USERS}/manager/{id}"), &[], None)
            .await?
            .json()?;
        Ok(mapping::from_upstream(user, as_manager.user.is_some()))
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let register = body(&mapping::to_upstream_register(&new.profile))?;
        let registered: wire::Registered = self
            .expect(
                Method::POST,
                &format!("{USERS}/agent"),
                &[],
                Some(&register),
            )
            .await?
            .json()?;
        if new.profile.role == Role::Administrator {
            self.make_manager(&new.profile).await?;
        }
        self.get(&registered.user.id).await
    }

    async fn update(
        &self,
        id: &str,
        current: &Profile,
        desired: &Profile,
        password: Option<&Password>,
    ) -> Result<RemoteAgent, BackendError> {
        if password.is_some() {
            return Err(BackendError::Unsupported("changing a password"));
        }
        if current.role != desired.role {
            match desired.role {
                Role::Administrator => self.make_manager(&self.get(id).await?.profile).await?,
                Role::Agent => {
                    self.expect(Method::DELETE, &format!("{USERS}/manager/{id}"), &[], None)
                        .await?;
                }
            }
        }
        self.get(id).await
    }

    /// Rocket.Chat removes one role at a time and keeps the user: the manager role goes first
    /// (a no-op for a plain agent), else a deleted administrator would stay a manager there.
    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        match self
            .expect(Method::DELETE, &format!("{USERS}/manager/{id}"), &[], None)
            .await
        {
            // An unknown user: the agent removal below answers for it.
            Ok(_)
            | Err(
                BackendError::NotFound
                | BackendError::Upstream {
                    status: Some(400..=499),
                    ..
                },
            ) => {}
            Err(e) => return Err(e),
        }
        self.expect(Method::DELETE, &format!("{USERS}/agent/{id}"), &[], None)
            .await
            .map(drop)
    }
}
