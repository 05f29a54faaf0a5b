//! Calling a real Rocket.Chat livechat API: the `Remote` for livechat upstreams. It pages with
//! offset/count (at most 100), filters by text itself, knows roles only as agent/manager
//! membership, and can only register users that already exist (a create names a username).

use std::collections::HashSet;
use std::sync::Arc;

use agentgw_core::{
    BackendError, Batches, Credential, FilterSupport, Remote, RemoteAgent, RemotePage,
    RemoteProfile, UpstreamConfig,
};
use agentgw_model::{Field, ListQuery, NewAgent, Password, Profile, Role, SortOrder};
use agentgw_outbound::{Client, Endpoints, Method, Reply, body, client_error};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt, future, stream};
use serde_json::{Value, json};

use crate::{mapping, wire};

const HOLDS: &[Field] = &[Field::Role];
const REQUIRES: &[Field] = &[Field::Username];
const USERS: &str = "/api/v1/livechat/users";
/// How Rocket.Chat counts calls: each route (its pattern, `:type` included) and method has a
/// budget of its own, 10 calls a minute by default.
const ENDPOINTS: Endpoints = Endpoints {
    templates: &[
        "/api/v1/livechat/users/{}",
        "/api/v1/livechat/users/{}/{}",
        "/api/v1/login",
    ],
    counted_apart: true,
};
const COUNT: u64 = 100;

/// The outbound client for a livechat upstream (the adapter's constructor).
pub fn remote(
    cfg: &UpstreamConfig,
    env: &agentgw_core::RemoteEnv,
) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
    // A login's tokens are this process's own: Rocket.Chat lets a user hold many at once, so
    // gateways need not share them (nothing is kept in the store).
    Ok(std::sync::Arc::new(LivechatRemote::new(cfg, env)?))
}

/// A livechat upstream.
pub struct LivechatRemote {
    client: Client,
    concurrency: usize,
}

impl LivechatRemote {
    /// A client for `cfg`: `X-User-Id` + `X-Auth-Token` of a personal access token, or of a
    /// login (`POST /api/v1/login`) made when first needed and again when refused.
    pub fn new(cfg: &UpstreamConfig, env: &agentgw_core::RemoteEnv) -> Result<Self, BackendError> {
        let client = match &cfg.credential {
            Credential::UserToken { user_id, token } => Client::new(
                cfg,
                env,
                ENDPOINTS,
                vec![
                    ("x-user-id", user_id.clone()),
                    ("x-auth-token", token.expose().to_owned()),
                ],
            )?,
            Credential::Login { user, password } => {
                let login = Login {
                    upstream: cfg.name.clone(),
                    user: user.clone(),
                    password: password.clone(),
                    client: Client::new(cfg, env, ENDPOINTS, Vec::new())?,
                    now: std::sync::Mutex::new(LoginState::default()),
                    logging_in: tokio::sync::Mutex::new(()),
                };
                Client::new(cfg, env, ENDPOINTS, Vec::new())?.with_sign_in(Arc::new(login))
            }
            _ => {
                return Err(BackendError::Internal(
                    "livechat upstreams take { user_id, token } or { login }".into(),
                ));
            }
        };
        Ok(LivechatRemote {
            client,
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

/// Rocket.Chat's login: `POST /api/v1/login` `{user, password}` answers `data.authToken` and
/// `data.userId`, used until a call is refused (401), then one new login for every caller.
struct Login {
    upstream: String,
    user: String,
    password: agentgw_core::Secret,
    /// Calls the login endpoint (no credentials of its own).
    client: Client,
    now: std::sync::Mutex<LoginState>,
    logging_in: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct LoginState {
    session: Option<agentgw_outbound::Session>,
    serial: u64,
    state: agentgw_core::SignInState,
    backoff: agentgw_outbound::Backoff,
}

impl Login {
    fn current(&self) -> std::sync::MutexGuard<'_, LoginState> {
        self.now
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The session held, unless it is the one `refused`.
    fn held(&self, refused: Option<u64>) -> Option<agentgw_outbound::Session> {
        let now = self.current();
        now.session.clone().filter(|s| refused != Some(s.serial))
    }

    /// Log in, once for every caller waiting, unless a refused login still waits.
    async fn login(&self, refused: Option<u64>) -> Result<agentgw_outbound::Session, BackendError> {
        let _one = self.logging_in.lock().await;
        if let Some(session) = self.held(refused) {
            return Ok(session);
        }
        {
            let now = self.current();
            if let (Some(_), Some((_, why))) = (now.backoff.waiting(), &now.state.failed)
                && now.state.failing
            {
                return Err(agentgw_outbound::refused_error(&self.upstream, why));
            }
        }
        let body = json!({"user": self.user, "password": self.password.expose()});
        let answer = self
            .client
            .call(Method::POST, "/api/v1/login", &[], Some(&body))
            .await;
        let made = match answer {
            Ok(reply) if reply.ok() => {
                let v = reply.value();
                let (user, token) = (
                    v["data"]["userId"].as_str(),
                    v["data"]["authToken"].as_str(),
                );
                match (user, token) {
                    (Some(u), Some(t)) => {
                        session(u, t).ok_or_else(|| "a token not fit for a header".to_owned())
                    }
                    _ => Err("a login answer without data.userId and data.authToken".to_owned()),
                }
            }
            Ok(reply) => Err(format!("login refused ({})", reply.status.as_u16())),
            Err(e) => Err(e.to_string()),
        };
        let mut now = self.current();
        match made {
            Ok(mut session) => {
                now.serial += 1;
                session.serial = now.serial;
                now.session = Some(session.clone());
                now.state.renewed_at = Some(chrono::Utc::now());
                now.state.failing = false;
                now.backoff.reset();
                Ok(session)
            }
            Err(why) => {
                if now.state.failing {
                    tracing::warn!(upstream = %self.upstream, reason = %why, "upstream login still refused");
                } else {
                    tracing::error!(upstream = %self.upstream, reason = %why, "upstream login refused: calls answer 502 until it works again (check the user and password, then reload)");
                }
                now.session = None;
                now.state.failing = true;
                now.state.failed = Some((chrono::Utc::now(), why.clone()));
                now.backoff.failed();
                Err(agentgw_outbound::refused_error(&self.upstream, &why))
            }
        }
    }
}

/// The headers of a login's `userId` and `authToken`.
fn session(user: &str, token: &str) -> Option<agentgw_outbound::Session> {
    use agentgw_outbound::reqwest_header::{HeaderName, HeaderValue};
    let mut token = HeaderValue::from_str(token).ok()?;
    token.set_sensitive(true);
    Some(agentgw_outbound::Session {
        headers: vec![
            (
                HeaderName::from_static("x-user-id"),
                HeaderValue::from_str(user).ok()?,
            ),
            (HeaderName::from_static("x-auth-token"), token),
        ],
        serial: 0,
    })
}

#[async_trait]
impl agentgw_outbound::SignIn for Login {
    async fn session(&self) -> Result<agentgw_outbound::Session, BackendError> {
        match self.held(None) {
            Some(session) => Ok(session),
            None => self.login(None).await,
        }
    }

    async fn refused(&self, session: &agentgw_outbound::Session) -> Result<(), BackendError> {
        self.login(Some(session.serial)).await.map(drop)
    }

    fn state(&self) -> agentgw_core::SignInState {
        let mut state = self.current().state.clone();
        state.kind = "login";
        state
    }
}

/// What livechat is, as the gateway and `agentgw migrate` ask.
const PROFILE: RemoteProfile = RemoteProfile {
    holds: HOLDS,
    created_with: HOLDS,
    requires: REQUIRES,
    requires_password: false,
    order: SortOrder::NAME,
    pages: true,
    filters: FilterSupport {
        text: true,
        ..FilterSupport::NONE
    },
    // The livechat role is all it keeps of an agent: a deactivated agent is parked.
    can_disable: false,
};

#[async_trait]
impl Remote for LivechatRemote {
    fn sign_in(&self) -> Option<agentgw_core::SignInState> {
        self.client.sign_in_state()
    }

    fn profile(&self) -> &'static RemoteProfile {
        &PROFILE
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
