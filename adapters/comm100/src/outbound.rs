//! Calling a real Comm100 (API v4): the `Remote` for comm100 upstreams. Its PUT needs every
//! required field, so updates send the whole agent; passwords change through `:changePassword`.

use agentgw_core::{
    BackendError, Credential, FilterSupport, Remote, RemoteAgent, RemotePage, RemoteProfile,
    UpstreamConfig,
};
use agentgw_model::{Field, ListQuery, NewAgent, Password, Profile, SortOrder};
use agentgw_outbound::{Client, Endpoints, Method, Reply, body, client_error};
use async_trait::async_trait;
use serde_json::Value;

use crate::{mapping, wire};

const HOLDS: &[Field] = &[
    Field::Email,
    Field::FirstName,
    Field::LastName,
    Field::DisplayName,
    Field::Role,
    Field::Active,
    Field::Locked,
    Field::Phone,
    Field::Title,
    Field::Bio,
    Field::Avatar,
    Field::TimeZone,
    Field::Language,
    Field::DatetimeFormat,
    Field::LastLogin,
];
const REQUIRES: &[Field] = &[
    Field::FirstName,
    Field::LastName,
    Field::DisplayName,
    Field::TimeZone,
    Field::DatetimeFormat,
];
const AGENTS: &str = "/v4/global/agents";
/// How Comm100 counts calls: 300 per 5 minutes per client address, every endpoint together.
const ENDPOINTS: Endpoints = Endpoints {
    templates: &[
        "/v4/global/agents",
        "/v4/global/agents/{}",
        "/v4/global/agents/{}:changePassword",
        "/v4/global/agents/{}:unlock",
    ],
    counted_apart: false,
};

/// The outbound client for a comm100 upstream (the adapter's constructor).
pub fn remote(
    cfg: &UpstreamConfig,
    env: &agentgw_core::RemoteEnv,
) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
    Ok(std::sync::Arc::new(Comm100Remote::new(cfg, env)?))
}

/// A Comm100 upstream.
pub struct Comm100Remote {
    client: Client,
}

impl Comm100Remote {
    /// A client for `cfg`, signing in as Comm100 issues credentials ("Authentication" in
    /// its API v4 guide): a bearer token as given; an API key as HTTP Basic `email:key` with
    /// `siteId` on every call; or OAuth 2.0 access tokens renewed by the refresh-token grant.
    pub fn new(cfg: &UpstreamConfig, env: &agentgw_core::RemoteEnv) -> Result<Self, BackendError> {
        use base64::Engine;
        let client = match &cfg.credential {
            Credential::Token(t) => Client::new(
                cfg,
                env,
                ENDPOINTS,
                vec![("authorization", format!("Bearer {}", t.expose()))],
            )?,
            Credential::ApiKey {
                email,
                key,
                site_id,
            } => {
                let basic = base64::engine::general_purpose::STANDARD
                    .encode(format!("{email}:{}", key.expose()));
                Client::new(
                    cfg,
                    env,
                    ENDPOINTS,
                    vec![("authorization", format!("Basic {basic}"))],
                )?
                .with_query(vec![("siteId".into(), site_id.to_string())])
            }
            Credential::OAuth(grant) => {
                let oauth = agentgw_outbound::OAuth::new(
                    &cfg.name,
                    grant.clone(),
                    env.tokens.clone(),
                    cfg.timeout,
                )?;
                Client::new(cfg, env, ENDPOINTS, Vec::new())?
                    .with_sign_in(std::sync::Arc::new(oauth))
            }
            _ => {
                return Err(BackendError::Internal(
                    "comm100 upstreams take { token }, { api_key } or { oauth }".into(),
                ));
            }
        };
        Ok(Comm100Remote { client })
    }

    fn error(reply: &Reply) -> BackendError {
        let message = reply.value()["message"]
            .as_str()
            .unwrap_or("the upstream refused the request")
            .to_owned();
        client_error(reply, message)
    }

    async fn expect(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Reply, BackendError> {
        self.client
            .expect(method, path, &[], body, Self::error)
            .await
    }
}

/// What comm100 is, as the gateway and `agentgw migrate` ask.
const PROFILE: RemoteProfile = RemoteProfile {
    holds: HOLDS,
    created_with: HOLDS,
    requires: REQUIRES,
    requires_password: true,
    order: SortOrder::CREATED,
    pages: false,
    filters: FilterSupport::NONE,
    can_disable: true,
};

#[async_trait]
impl Remote for Comm100Remote {
    fn sign_in(&self) -> Option<agentgw_core::SignInState> {
        self.client.sign_in_state()
    }

    fn profile(&self) -> &'static RemoteProfile {
        &PROFILE
    }

    async fn list(&self, _query: &ListQuery) -> Result<RemotePage, BackendError> {
        let agents: Vec<wire::Agent> = self.expect(Method::GET, AGENTS, None).await?.json()?;
        let items: Vec<RemoteAgent> = agents.into_iter().map(mapping::from_upstream).collect();
        Ok(RemotePage {
            total: items.len() as u64,
            items,
        })
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        Ok(mapping::from_upstream(
            self.expect(Method::GET, &format!("{AGENTS}/{id}"), None)
                .await?
                .json()?,
        ))
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let body = body(&mapping::to_upstream(&new.profile, new.password.as_ref()))?;
        Ok(mapping::from_upstream(
            self.expect(Method::POST, AGENTS, Some(&body))
                .await?
                .json()?,
        ))
    }

    async fn update(
        &self,
        id: &str,
        _current: &Profile,
        desired: &Profile,
        password: Option<&Password>,
    ) -> Result<RemoteAgent, BackendError> {
        let updated = mapping::from_upstream(
            self.expect(
                Method::PUT,
                &format!("{AGENTS}/{id}"),
                Some(&body(&mapping::to_upstream(desired, None))?),
            )
            .await?
            .json()?,
        );
        if let Some(p) = password {
            self.change_password(id, p).await?;
        }
        Ok(updated)
    }

    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        self.expect(Method::DELETE, &format!("{AGENTS}/{id}"), None)
            .await
            .map(drop)
    }

    async fn change_password(&self, id: &str, password: &Password) -> Result<(), BackendError> {
        let change = wire::ChangePassword {
            password: Some(password.expose().to_owned()),
        };
        self.expect(
            Method::POST,
            &format!("{AGENTS}/{id}:changePassword"),
            Some(&body(&change)?),
        )
        .await
        .map(drop)
    }

    async fn unlock(&self, id: &str) -> Result<(), BackendError> {
        self.expect(Method::POST, &format!("{AGENTS}/{id}:unlock"), None)
            .await
            .map(drop)
    }
}
