//! The Rocket.Chat livechat JSON, field for field.

use serde::{Deserialize, Serialize};

/// One address of a user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Email {
    pub address: String,
    #[serde(default)]
    pub verified: bool,
}

/// A livechat agent or manager as `GET users/:type` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct User {
    #[serde(rename = "_id")]
    pub id: String,
    pub username: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// online | away | busy | offline
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// available | not-available
    #[serde(
        default,
        rename = "statusLivechat",
        skip_serializing_if = "Option::is_none"
    )]
    pub status_livechat: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<Email>>,
}

/// `GET users/:type` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<User>,
    #[serde(default)]
    pub count: Option<u64>,
    #[serde(default)]
    pub offset: Option<u64>,
    #[serde(default)]
    pub total: Option<u64>,
    pub success: bool,
}

/// `POST users/:type` response: just the id and username.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct UserRef {
    #[serde(rename = "_id")]
    pub id: String,
    pub username: String,
}

/// `POST users/:type` response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Registered {
    pub user: UserRef,
    pub success: bool,
}

/// `GET users/:type/:_id` response; `user` is null for an agent without that role.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Found {
    pub user: Option<User>,
    pub success: bool,
}

/// `POST users/:type` body: exactly `{"username": "..."}` (what agentgw sends upstream; its
/// face reads the object itself, to answer in Rocket.Chat's validation words).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Register {
    pub username: String,
}
