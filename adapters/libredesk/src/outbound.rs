//! Calling a real Libredesk: the `Remote` for libredesk upstreams. Its list is compact (no
//! roles, teams or phone), so a list reads each agent in full, `max_concurrency` at a time;
//! its PUT needs the whole object, so updates send it.

use agentgw_core::{
    BackendError, Credential, FilterSupport, Remote, RemoteAgent, RemotePage, RemoteProfile,
    UpstreamConfig,
};
use agentgw_model::{Field, ListQuery, NewAgent, Password, Profile, SortOrder};
use agentgw_outbound::{Client, Endpoints, Method, Reply, body, client_error};
use async_trait::async_trait;
use futures_util::{StreamExt, TryStreamExt};
use serde_json::Value;

use crate::mapping;
use crate::wire;

const HOLDS: &[Field] = &[
    Field::Email,
    Field::FirstName,
    Field::LastName,
    Field::Role,
    Field::Active,
    Field::Availability,
    Field::Phone,
    Field::PhoneCountryCode,
    Field::Avatar,
    Field::Teams,
    Field::LastLogin,
    Field::LastActive,
];
const REQUIRES: &[Field] = &[Field::FirstName];
const AGENTS: &str = "/api/v1/agents";
/// Libredesk does not limit its agents API; a budget configured anyway counts these.
const ENDPOINTS: Endpoints = Endpoints {
    templates: &["/api/v1/agents", "/api/v1/agents/{}"],
    counted_apart: false,
};

/// The outbound client for a libredesk upstream (the adapter's constructor).
pub fn remote(
    cfg: &UpstreamConfig,
    env: &agentgw_core::RemoteEnv,
) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
    Ok(std::sync::Arc::new(LibredeskRemote::new(cfg, env)?))
}

/// A Libredesk upstream.
pub struct LibredeskRemote {
    client: Client,
    concurrency: usize,
}

impl LibredeskRemote {
    /// A client for `cfg` (`token key:secret`).
    pub fn new(cfg: &UpstreamConfig, env: &agentgw_core::RemoteEnv) -> Result<Self, BackendError> {
        let header = match &cfg.credential {
            Credential::KeySecret { key, secret } => format!("token {key}:{}", secret.expose()),
            _ => {
                return Err(BackendError::Internal(
                    "libredesk upstreams take { key, secret }".into(),
                ));
            }
        };
        Ok(LibredeskRemote {
            client: Client::new(cfg, env, ENDPOINTS, vec![("authorization", header)])?,
            concurrency: cfg.max_concurrency,
        })
    }

    fn error(reply: &Reply) -> BackendError {
        let message = reply.value()["message"]
            .as_str()
            .unwrap_or("the upstream refused the request")
            .to_owned();
        client_error(reply, message)
    }

    async fn data<T: serde::de::DeserializeOwned>(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<T, BackendError> {
        Ok(self
            .client
            .expect(method, path, &[], body, Self::error)
            .await?
            .json::<wire::Envelope<T>>()?
            .data)
    }
}

/// What libredesk is, as the gateway and `agentgw migrate` ask.
const PROFILE: RemoteProfile = RemoteProfile {
    holds: HOLDS,
    created_with: HOLDS,
    requires: REQUIRES,
    requires_password: false,
    order: SortOrder::NEWEST_UPDATE,
    pages: false,
    filters: FilterSupport::NONE,
    can_disable: true,
};

#[async_trait]
impl Remote for LibredeskRemote {
    fn profile(&self) -> &'static RemoteProfile {
        &PROFILE
    }

    async fn list(&self, _query: &ListQuery) -> Result<RemotePage, BackendError> {
        let compact: Vec<wire::CompactAgent> = self.data(Method::GET, AGENTS, None).await?;
        let items: Vec<RemoteAgent> = futures_util::stream::iter(compact)
            .map(|c| async move { self.get(&c.id.to_string()).await })
            .buffered(self.concurrency)
            .try_collect()
            .await?;
        Ok(RemotePage {
            total: items.len() as u64,
            items,
        })
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        Ok(mapping::from_upstream(
            self.data(Method::GET, &format!("{AGENTS}/{id}"), None)
                .await?,
        ))
    }

    /// Libredesk's create ignores the password (it generates one), `enabled` and
    /// `availability_status`, so a PUT right after sets what it ignored; a refused PUT takes
    /// the create back, so no agent is left half made.
    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        if let Some(password) = &new.password {
            refuse_weak(password)?;
        }
        let created = mapping::from_upstream(
            self.data(
                Method::POST,
                AGENTS,
                Some(&body(&mapping::to_upstream(&new.profile, None))?),
            )
            .await?,
        );
        let ignored = new.password.is_some()
            || created.profile.state.active != new.profile.state.active
            || mapping::availability(&created.profile) != mapping::availability(&new.profile);
        if !ignored {
            return Ok(created);
        }
        match self
            .update(
                &created.id,
                &created.profile,
                &new.profile,
                new.password.as_ref(),
            )
            .await
        {
            Ok(agent) => Ok(agent),
            Err(e) => {
                if let Err(undo) = self.delete(&created.id).await {
                    tracing::error!(id = %created.id, error = %undo, "a libredesk agent created without its password could not be deleted");
                }
                Err(e)
            }
        }
    }

    async fn update(
        &self,
        id: &str,
        _current: &Profile,
        desired: &Profile,
        password: Option<&Password>,
    ) -> Result<RemoteAgent, BackendError> {
        if let Some(password) = password {
            refuse_weak(password)?;
        }
        Ok(mapping::from_upstream(
            self.data(
                Method::PUT,
                &format!("{AGENTS}/{id}"),
                Some(&body(&mapping::to_upstream(desired, password))?),
            )
            .await?,
        ))
    }

    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        self.data::<Value>(Method::DELETE, &format!("{AGENTS}/{id}"), None)
            .await
            .map(drop)
    }

    async fn change_password(&self, id: &str, password: &Password) -> Result<(), BackendError> {
        let current = self.get(id).await?;
        self.update(id, &current.profile, &current.profile, Some(password))
            .await
            .map(drop)
    }
}

/// A password Libredesk would refuse, refused before any call (its 400 would not say which
/// field, and a create must not be left without its password).
fn refuse_weak(password: &Password) -> Result<(), BackendError> {
    if mapping::is_strong_password(password.expose()) {
        Ok(())
    } else {
        Err(BackendError::Invalid {
            field: "password".into(),
            message: mapping::WEAK_PASSWORD.into(),
        })
    }
}
