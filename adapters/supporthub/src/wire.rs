//! The supporthub JSON, field for field.

use serde::{Deserialize, Serialize};

/// An agent as supporthub renders it (`role`: 1 admin, 2 agent; `status`: 1 active,
/// 2 unconfirmed, 3 banned; times ISO 8601 with `Z`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Agent {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub role: u8,
    pub email: String,
    pub avatar: Option<String>,
    pub status: u8,
    pub created_at: String,
    pub updated_at: String,
    pub last_login_at: Option<String>,
    /// IANA zone; not in the seed's object, but settable by update, so it is shown.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notes_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assigned_categories_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved_tickets_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolved_tickets_count: Option<u64>,
}

/// `{"data": ...}`, Laravel's resource wrapper.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Data<T> {
    pub data: T,
}

/// Laravel's `links` of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Links {
    pub first: String,
    pub last: String,
    pub prev: Option<String>,
    pub next: Option<String>,
}

/// One entry of `meta.links`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PageLink {
    pub url: Option<String>,
    pub label: String,
    pub active: bool,
}

/// Laravel's `meta` of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Meta {
    pub current_page: u64,
    pub from: Option<u64>,
    pub last_page: u64,
    pub links: Vec<PageLink>,
    pub path: String,
    pub per_page: u64,
    pub to: Option<u64>,
    pub total: u64,
}

/// A page of agents: `{data, links, meta}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Page {
    pub data: Vec<Agent>,
    pub links: Links,
    pub meta: Meta,
}

/// The create body agentgw sends a real supporthub (its face validates the JSON object itself).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CreateAgent {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub password: String,
    pub password_confirmation: String,
}

/// A partial update (PATCH) agentgw sends a real supporthub: only what changes. (Sent only:
/// the face reads its PATCH as a JSON object, to tell absent from null.)
#[derive(Debug, Clone, Default, PartialEq, Serialize, utoipa::ToSchema)]
pub struct UpdateAgent {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// `Some(None)` clears the zone (`"timezone": null`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_password: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_password_confirmation: Option<String>,
}
