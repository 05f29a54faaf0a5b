//! The Comm100 v4 agent JSON, field for field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// An agent as Comm100 renders it. Fields with no canonical home are kept per agent
/// (extensions) and flattened back in `extra`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
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

/// A create or PUT body. Everything is optional here so a missing required field is a 400
/// naming it; the extension fields land in `extra`.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AgentInput {
    pub email: Option<String>,
    pub password: Option<String>,
    pub display_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub is_admin: Option<bool>,
    pub is_active: Option<bool>,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub bio: Option<String>,
    pub time_zone: Option<String>,
    pub datetime_format: Option<String>,
    pub is_locked: Option<bool>,
    pub locked_time: Option<String>,
    pub avatar: Option<String>,
    pub language: Option<String>,
    pub department_ids: Option<Vec<String>>,
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// `:changePassword` body.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ChangePassword {
    pub password: Option<String>,
}
