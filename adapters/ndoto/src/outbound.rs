//! Calling a real ndoto (Chatwoot): the `Remote` for ndoto upstreams. Real Chatwoot has no
//! GET by id, so a read lists and picks; updates PATCH only name, role and availability (the
//! email of an existing agent cannot change there: a new one is kept as a shadow field).

use agentgw_core::{
    BackendError, Credential, FilterSupport, Remote, RemoteAgent, RemotePage, RemoteProfile,
    UpstreamConfig,
};
use agentgw_model::{Field, ListQuery, NewAgent, Password, Profile, SortOrder};
use std::sync::Arc;

use agentgw_outbound::{Client, Endpoints, Method, Reply, body, client_error};
use async_trait::async_trait;
use serde_json::Value;

use crate::mapping;
use crate::settings::UpstreamSettings;
use crate::wire;

const HOLDS: &[Field] = &[
    Field::DisplayName,
    Field::Role,
    Field::Availability,
    Field::Avatar,
    Field::Confirmed,
];
/// Chatwoot takes the email on create; only its updates leave it out.
const CREATED_WITH: &[Field] = &[
    Field::Email,
    Field::DisplayName,
    Field::Role,
    Field::Availability,
    Field::Avatar,
    Field::Confirmed,
];
const REQUIRES: &[Field] = &[Field::DisplayName];
/// How Chatwoot counts calls: Rack::Attack, 3000 a minute per client address, every
/// endpoint together.
const ENDPOINTS: Endpoints = Endpoints {
    templates: &[
        "/api/v1/accounts/{}/agents",
        "/api/v1/accounts/{}/agents/{}",
    ],
    counted_apart: false,
};

/// The account an upstream manages (its `account_id`).
fn account(cfg: &UpstreamConfig) -> i64 {
    cfg.settings
        .get::<UpstreamSettings>()
        .cloned()
        .unwrap_or_default()
        .account_id
}

/// The outbound client for an ndoto upstream (the adapter's constructor).
pub fn remote(
    cfg: &UpstreamConfig,
    env: &agentgw_core::RemoteEnv,
) -> Result<Arc<dyn Remote>, BackendError> {
    Ok(Arc::new(NdotoRemote::new(cfg, env)?))
}

/// An ndoto upstream (one account of it).
pub struct NdotoRemote {
    client: Client,
    agents: String,
}

impl NdotoRemote {
    /// A client for `cfg` (`api_access_token`, account `account_id`).
    pub fn new(cfg: &UpstreamConfig, env: &agentgw_core::RemoteEnv) -> Result<Self, BackendError> {
        let token = match &cfg.credential {
            Credential::Token(t) => t.expose().to_owned(),
            _ => {
                return Err(BackendError::Internal(
                    "ndoto upstreams take { token }".into(),
                ));
            }
        };
        Ok(NdotoRemote {
            client: Client::new(cfg, env, ENDPOINTS, vec![("api_access_token", token)])?,
            agents: format!("/api/v1/accounts/{}/agents", account(cfg)),
        })
    }

    fn error(reply: &Reply) -> BackendError {
        let body = reply.value();
        let message = body["message"]
            .as_str()
            .or(body["error"].as_str())
            .unwrap_or("the upstream refused the request")
            .to_owned();
        if reply.status.as_u16() == 422 {
            if message.contains("taken") {
                return BackendError::Conflict { field: "email" };
            }
            let field = body["attributes"][0].as_str().unwrap_or("base").to_owned();
            return BackendError::Invalid { field, message };
        }
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

/// What ndoto is, as the gateway and `agentgw migrate` ask.
const PROFILE: RemoteProfile = RemoteProfile {
    holds: HOLDS,
    created_with: CREATED_WITH,
    requires: REQUIRES,
    requires_password: false,
    order: SortOrder::NAME,
    pages: false,
    filters: FilterSupport::NONE,
    // Chatwoot has no disabled state: a deactivated agent is parked.
    can_disable: false,
};

#[async_trait]
impl Remote for NdotoRemote {
    fn profile(&self) -> &'static RemoteProfile {
        &PROFILE
    }

    async fn list(&self, _query: &ListQuery) -> Result<RemotePage, BackendError> {
        let agents: Vec<wire::Agent> =
            self.expect(Method::GET, &self.agents, None).await?.json()?;
        let items: Vec<RemoteAgent> = agents.into_iter().map(mapping::from_upstream).collect();
        Ok(RemotePage {
            total: items.len() as u64,
            items,
        })
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        // Chatwoot has no GET /agents/{id}: read the list.
        let agents: Vec<wire::Agent> =
            self.expect(Method::GET, &self.agents, None).await?.json()?;
        agents
            .into_iter()
            .find(|a| a.id.to_string() == id)
            .map(mapping::from_upstream)
            .ok_or(BackendError::NotFound)
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let create = body(&mapping::to_upstream_create(&new.profile))?;
        Ok(mapping::from_upstream(
            self.expect(Method::POST, &self.agents, Some(&create))
                .await?
                .json()?,
        ))
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
        let Some(change) = mapping::to_upstream_update(current, desired) else {
            return self.get(id).await;
        };
        Ok(mapping::from_upstream(
            self.expect(
                Method::PATCH,
                &format!("{}/{id}", self.agents),
                Some(&body(&change)?),
            )
            .await?
            .json()?,
        ))
    }

    async fn delete(&self, id: &str) -> Result<(), BackendError> {
        self.expect(Method::DELETE, &format!("{}/{id}", self.agents), None)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_core::Secret;
    use agentgw_tests::golden::upstream;

    #[test]
    fn the_account_comes_from_the_upstreams_settings() {
        let token = Credential::Token(Secret::new("t"));
        let seven = upstream(
            &crate::ADAPTER.dialect,
            "http://h",
            token.clone(),
            serde_json::json!({"account_id": 7}),
        );
        assert_eq!(
            NdotoRemote::new(&seven, &agentgw_tests::golden::env())
                .map(|r| r.agents)
                .ok()
                .as_deref(),
            Some("/api/v1/accounts/7/agents")
        );
        let default = upstream(
            &crate::ADAPTER.dialect,
            "http://h",
            token,
            serde_json::json!({}),
        );
        assert_eq!(
            NdotoRemote::new(&default, &agentgw_tests::golden::env())
                .map(|r| r.agents)
                .ok()
                .as_deref(),
            Some("/api/v1/accounts/1/agents")
        );
        let wrong = upstream(
            &crate::ADAPTER.dialect,
            "http://h",
            Credential::KeySecret {
                key: "k".into(),
                secret: Secret::new("s"),
            },
            serde_json::json!({}),
        );
        assert!(NdotoRemote::new(&wrong, &agentgw_tests::golden::env()).is_err());
    }
}
