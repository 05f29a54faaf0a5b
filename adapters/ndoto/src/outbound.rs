//! Calling a real ndoto (Chatwoot): the `Remote` for ndoto upstreams. Real Chatwoot has no
//! GET by id, so a read lists and picks; updates PATCH only name, role and availability (the
//! email of an existing agent cannot change there: a new one is kept as a shadow field).

use agentgw_core::{
    BackendError, Capabilities, Credential, Remote, RemoteAgent, RemotePage, UpstreamConfig,
};
use agentgw_model::{
    Availability, Field, ListQuery, NewAgent, Password, Profile, Role, SortOrder, join_name,
    split_name,
};
use std::sync::Arc;

use agentgw_outbound::{Client, Method, Reply, client_error};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::mapping::{DIALECT, availability_name, availability_of, role_name, role_of};
use crate::settings::UpstreamSettings;
use crate::wire;

const HOLDS: &[Field] = &[
    Field::DisplayName,
    Field::Role,
    Field::Availability,
    Field::Avatar,
    Field::Confirmed,
];
const REQUIRES: &[Field] = &[Field::DisplayName];

/// The account an upstream manages (its `account_id`).
fn account(cfg: &UpstreamConfig) -> i64 {
    cfg.settings
        .get::<UpstreamSettings>()
        .cloned()
        .unwrap_or_default()
        .account_id
}

/// The outbound client for an ndoto upstream (the adapter's constructor).
pub fn remote(cfg: &UpstreamConfig) -> Result<Arc<dyn Remote>, BackendError> {
    Ok(Arc::new(NdotoRemote::new(cfg)?))
}

/// An ndoto upstream (one account of it).
pub struct NdotoRemote {
    client: Client,
    agents: String,
}

impl NdotoRemote {
    /// A client for `cfg` (`api_access_token`, account `account_id`).
    pub fn new(cfg: &UpstreamConfig) -> Result<Self, BackendError> {
        let token = match &cfg.credential {
            Credential::Token(t) => t.expose().to_owned(),
            _ => {
                return Err(BackendError::Internal(
                    "ndoto upstreams take { token }".into(),
                ));
            }
        };
        Ok(NdotoRemote {
            client: Client::new(cfg, vec![("api_access_token", token)])?,
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

/// An ndoto agent as the canonical model sees it.
pub fn from_wire(w: wire::Agent) -> RemoteAgent {
    let (first_name, last_name) = split_name(&w.name);
    let status = w.availability_status.as_deref().unwrap_or(&w.availability);
    let mut profile = Profile {
        display_name: w.name,
        first_name,
        last_name,
        email: w.email,
        role: role_of(&w.role).unwrap_or(Role::Agent),
        availability: availability_of(status).unwrap_or(Availability::Online),
        avatar_url: w.avatar_url.filter(|a| !a.is_empty()),
        ..Profile::default()
    };
    profile.state.confirmed = w.confirmed;
    if let Some(auto) = w.auto_offline {
        profile.extensions.merge(
            DIALECT,
            Map::from_iter([("auto_offline".to_owned(), Value::Bool(auto))]),
        );
    }
    RemoteAgent {
        id: w.id.to_string(),
        profile,
        created_at: None,
        updated_at: None,
    }
}

fn name_of(p: &Profile) -> String {
    if p.display_name.trim().is_empty() {
        join_name(&p.first_name, &p.last_name)
    } else {
        p.display_name.clone()
    }
}

#[async_trait]
impl Remote for NdotoRemote {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            pages: false,
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

    async fn list(&self, _query: &ListQuery) -> Result<RemotePage, BackendError> {
        let agents: Vec<wire::Agent> =
            self.expect(Method::GET, &self.agents, None).await?.json()?;
        let items: Vec<RemoteAgent> = agents.into_iter().map(from_wire).collect();
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
            .map(from_wire)
            .ok_or(BackendError::NotFound)
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let p = &new.profile;
        let body = json!({"name": name_of(p), "email": p.email, "role": role_name(p.role), "availability": availability_name(p.availability)});
        Ok(from_wire(
            self.expect(Method::POST, &self.agents, Some(&body))
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
        let mut body = Map::new();
        if name_of(current) != name_of(desired) {
            body.insert("name".into(), Value::String(name_of(desired)));
        }
        if current.role != desired.role {
            body.insert("role".into(), json!(role_name(desired.role)));
        }
        if current.availability != desired.availability {
            body.insert(
                "availability".into(),
                json!(availability_name(desired.availability)),
            );
        }
        if body.is_empty() {
            return self.get(id).await;
        }
        Ok(from_wire(
            self.expect(
                Method::PATCH,
                &format!("{}/{id}", self.agents),
                Some(&Value::Object(body)),
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
