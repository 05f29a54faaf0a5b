//! The ndoto (Chatwoot) JSON, field for field.

use serde::{Deserialize, Serialize};

/// An agent as ndoto renders it: the seed's fields plus the Chatwoot fields its clients expect.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub id: i64,
    /// Chatwoot clients validate it; the seed's example omits it.
    #[serde(default)]
    pub account_id: Option<i64>,
    pub name: String,
    pub email: String,
    pub role: String,
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

/// `POST /agents` body. Fields are optional here so that a missing one is a 422 naming it.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct CreateAgent {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    pub availability: Option<String>,
    /// Chatwoot's own name for `availability`; either is accepted.
    pub availability_status: Option<String>,
    pub auto_offline: Option<bool>,
}

/// `PATCH`/`PUT /agents/{id}` body. `null` is kept apart from absent so it can be refused.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct UpdateAgent {
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    pub role: Option<Option<String>>,
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    pub availability: Option<Option<String>>,
    #[serde(default, deserialize_with = "agentgw_inbound::present")]
    pub availability_status: Option<Option<String>>,
    pub auto_offline: Option<bool>,
}
