//! Calling a real Comm100 (API v4): the `Remote` for comm100 upstreams. Its PUT needs every
//! required field, so updates send the whole agent; passwords change through `:changePassword`.

use agentgw_core::{
    BackendError, Capabilities, Credential, Remote, RemoteAgent, RemotePage, UpstreamConfig, Verbs,
};
use agentgw_model::parse_time;
use agentgw_model::{Field, ListQuery, NewAgent, Password, Profile, Role, SortOrder};
use agentgw_outbound::{Client, Method, Reply, client_error};
use async_trait::async_trait;
use chrono::Utc;
use serde_json::{Map, Value, json};

use crate::mapping::{DIALECT, EXTENSIONS, NEVER_LOCKED, decode_bio};
use crate::{wire, zone};

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

/// The outbound client for a comm100 upstream (the adapter's constructor).
pub fn remote(cfg: &UpstreamConfig) -> Result<std::sync::Arc<dyn Remote>, BackendError> {
    Ok(std::sync::Arc::new(Comm100Remote::new(cfg)?))
}

/// A Comm100 upstream.
pub struct Comm100Remote {
    client: Client,
}

impl Comm100Remote {
    /// A client for `cfg` (Bearer token).
    pub fn new(cfg: &UpstreamConfig) -> Result<Self, BackendError> {
        let token = match &cfg.credential {
            Credential::Token(t) => t.expose().to_owned(),
            _ => {
                return Err(BackendError::Internal(
                    "comm100 upstreams take { token }".into(),
                ));
            }
        };
        Ok(Comm100Remote {
            client: Client::new(cfg, vec![("authorization", format!("Bearer {token}"))])?,
        })
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

fn non_empty(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.is_empty())
}

/// A Comm100 agent as the canonical model sees it.
pub fn from_wire(w: wire::Agent) -> RemoteAgent {
    let mut profile = Profile {
        email: w.email,
        first_name: w.first_name,
        last_name: w.last_name,
        display_name: w.display_name,
        role: if w.is_admin {
            Role::Administrator
        } else {
            Role::Agent
        },
        phone: non_empty(&w.phone),
        title: non_empty(&w.title),
        bio: decode_bio(&w.bio).ok().and_then(|b| non_empty(&b)),
        avatar_url: non_empty(&w.avatar),
        time_zone: zone::to_iana(&w.time_zone),
        language: non_empty(&w.language),
        datetime_format: non_empty(&w.datetime_format),
        last_login_at: w.last_login_time.as_deref().and_then(parse_time),
        ..Profile::default()
    };
    profile.state.active = w.is_active;
    profile.state.confirmed = true;
    profile.state.locked_at = if w.is_locked {
        parse_time(&w.locked_time).or_else(|| Some(Utc::now()))
    } else {
        None
    };
    // Only values of the documented type are kept: an odd one from the upstream stays there,
    // not stored by the gateway and handed to every other face.
    let kept: Map<String, Value> = EXTENSIONS
        .iter()
        .filter_map(|(name, kind, _)| {
            w.extra
                .get(*name)
                .filter(|v| kind.accepts(v))
                .map(|v| ((*name).to_owned(), v.clone()))
        })
        .collect();
    profile.extensions.merge(DIALECT, kept);
    RemoteAgent {
        id: w.id,
        profile,
        created_at: parse_time(&w.created_time),
        updated_at: None,
    }
}

/// The create / PUT body for a canonical profile.
pub fn to_body(p: &Profile, password: Option<&Password>) -> Value {
    let mut body = json!({
        "email": p.email,
        "displayName": p.shown_name(),
        "firstName": p.first_name,
        "lastName": p.last_name,
        "isAdmin": p.role == Role::Administrator,
        "isActive": p.state.active,
        "phone": p.phone.clone().unwrap_or_default(),
        "title": p.title.clone().unwrap_or_default(),
        "bio": p.bio.clone().unwrap_or_default(),
        "timeZone": p.time_zone.as_ref().map_or("UTC", zone::to_windows),
        "datetimeFormat": p.datetime_format.clone().unwrap_or_else(|| "YYYY-MM-DD HH:mm:ss".into()),
        "isLocked": p.state.locked_at.is_some(),
        "lockedTime": p.state.locked_at.map_or_else(|| NEVER_LOCKED.to_owned(), crate::mapping::time),
        "language": p.language.clone().unwrap_or_else(|| "en".into()),
        "avatar": p.avatar_url.clone().unwrap_or_default(),
    });
    if let (Some(obj), Some(ext)) = (body.as_object_mut(), p.extensions.of(DIALECT)) {
        for (name, _, _) in EXTENSIONS {
            if let Some(v) = ext.get(name) {
                obj.insert(name.to_owned(), v.clone());
            }
        }
    }
    if let (Some(obj), Some(pw)) = (body.as_object_mut(), password) {
        obj.insert("password".into(), Value::String(pw.expose().to_owned()));
    }
    body
}

#[async_trait]
impl Remote for Comm100Remote {
    fn capabilities(&self) -> Capabilities {
        Capabilities {
            pages: false,
            verbs: Verbs {
                change_password: true,
                unlock: true,
                flags: false,
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
        true
    }

    fn native_order(&self) -> SortOrder {
        SortOrder::CREATED
    }

    async fn list(&self, _query: &ListQuery) -> Result<RemotePage, BackendError> {
        let agents: Vec<wire::Agent> = self.expect(Method::GET, AGENTS, None).await?.json()?;
        let items: Vec<RemoteAgent> = agents.into_iter().map(from_wire).collect();
        Ok(RemotePage {
            total: items.len() as u64,
            items,
        })
    }

    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError> {
        Ok(from_wire(
            self.expect(Method::GET, &format!("{AGENTS}/{id}"), None)
                .await?
                .json()?,
        ))
    }

    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError> {
        let body = to_body(&new.profile, new.password.as_ref());
        Ok(from_wire(
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
        let updated = from_wire(
            self.expect(
                Method::PUT,
                &format!("{AGENTS}/{id}"),
                Some(&to_body(desired, None)),
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
        let body = json!({"password": password.expose()});
        self.expect(
            Method::POST,
            &format!("{AGENTS}/{id}:changePassword"),
            Some(&body),
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
