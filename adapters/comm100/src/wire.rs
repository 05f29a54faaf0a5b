//! The Comm100 v4 agent JSON, field for field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An agent as Comm100 renders it. Fields with no canonical home are kept per agent
/// (extensions) and flattened back in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Agent {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub is_admin: bool,
    pub is_active: bool,
    pub phone: String,
    pub title: String,
    pub bio: String,
    pub time_zone: String,
    pub datetime_format: String,
    pub created_time: String,
    pub is_locked: bool,
    pub locked_time: String,
    pub avatar: String,
    pub language: String,
    pub department_ids: Vec<String>,
    pub last_login_time: Option<String>,
    /// shiftIds, skillIds, superAgentId, … (see `mapping::EXTENSIONS`).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A create or PUT body, as a client sends it and as agentgw sends it upstream. Everything is
/// optional here so a missing required field is a 400 naming it; the extension fields land
/// in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AgentInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_admin: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_active: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_zone: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datetime_format: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub is_locked: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locked_time: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub department_ids: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `:changePassword` body, as a client sends it and as agentgw sends it upstream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ChangePassword {
    pub password: Option<String>,
}
