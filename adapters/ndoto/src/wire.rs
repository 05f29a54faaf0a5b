//! The ndoto (Chatwoot) JSON, field for field.

use serde::{Deserialize, Serialize};

/// An agent as ndoto renders it: the seed's fields plus the Chatwoot fields its clients expect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agent {
    pub id: i64,
    /// Chatwoot clients validate it; the seed's example omits it.
    #[serde(default)]
    pub account_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub role: String,
    /// The seed's field; real Chatwoot renders only `availability_status`.
    #[serde(default)]
    pub availability: String,
    #[serde(default)]
    pub availability_status: Option<String>,
    pub confirmed: bool,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub available_name: Option<String>,
    #[serde(default)]
    pub thumbnail: Option<String>,
    #[serde(default)]
    pub auto_offline: Option<bool>,
}

/// `POST /agents` body, as a client sends it and as agentgw sends it upstream. Fields are
/// optional here so that a missing one is a 422 naming it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateAgent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<String>,
    /// Chatwoot's own name for `availability`; either is accepted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_offline: Option<bool>,
}

/// `PATCH`/`PUT /agents/{id}` body, as a client sends it and as agentgw sends it upstream.
/// `null` is kept apart from absent so it can be refused.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UpdateAgent {
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Option<String>>,
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability: Option<Option<String>>,
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_status: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto_offline: Option<bool>,
}
