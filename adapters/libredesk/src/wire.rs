//! The Libredesk JSON, field for field.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `{"status": "success", "data": ...}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Envelope<T> {
    pub status: String,
    pub data: T,
}

impl<T> Envelope<T> {
    /// A success envelope.
    pub fn success(data: T) -> Self {
        Envelope {
            status: "success".into(),
            data,
        }
    }
}

/// A team as an agent carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Team {
    pub id: i64,
    pub name: String,
    pub emoji: Option<String>,
}

/// The full agent (`GET /agents/{id}`, create, update).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agent {
    pub id: i64,
    pub created_at: String,
    pub updated_at: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub availability_status: String,
    pub phone_number_country_code: Option<String>,
    pub phone_number: Option<String>,
    pub avatar_url: Option<String>,
    pub enabled: bool,
    pub last_active_at: Option<String>,
    pub last_login_at: Option<String>,
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
    pub custom_attributes: Map<String, Value>,
    pub teams: Vec<Team>,
    /// Always null: agentgw never hands out credentials through this field.
    pub api_key: Option<String>,
    pub api_key_last_used_at: Option<String>,
}

/// The compact agent of `GET /agents`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CompactAgent {
    pub id: i64,
    #[serde(rename = "type")]
    pub kind: String,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub enabled: bool,
    pub avatar_url: Option<String>,
    pub availability_status: String,
    pub created_at: String,
    pub updated_at: String,
}

/// The create / update body, as a client sends it and as agentgw sends it upstream.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct AgentRequest {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub send_welcome_email: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub teams: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
    /// The seed's single role name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub availability_status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_country_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avatar_url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub custom_attributes: Option<Map<String, Value>>,
}
