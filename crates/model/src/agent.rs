//! The agent record and its closed vocabularies (role, availability, account state, ids).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{Extensions, Flags, Password, TimeZone};

/// Canonical role: livechat "manager", supporthub 1, libredesk "Admin" and comm100 `isAdmin` all mean `Administrator`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Administrator,
    #[default]
    Agent,
}

/// Canonical availability; a dialect without `away` or `busy` maps to its nearest value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    #[default]
    Online,
    Busy,
    Away,
    Offline,
}

impl Role {
    /// The stable lowercase name, as stored and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Agent => "agent",
        }
    }
}

impl Availability {
    /// The stable lowercase name, as stored and logged.
    pub fn as_str(self) -> &'static str {
        match self {
            Availability::Online => "online",
            Availability::Busy => "busy",
            Availability::Away => "away",
            Availability::Offline => "offline",
        }
    }
}

/// Whether the account may be used, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountState {
    /// Active (comm100 `isActive`) or enabled (libredesk `enabled`).
    pub active: bool,
    /// The agent accepted the invitation / confirmed the email address.
    pub confirmed: bool,
    /// When the account was locked; `None` means not locked.
    pub locked_at: Option<DateTime<Utc>>,
    /// Banned (supporthub status 3).
    pub banned: bool,
}

impl Default for AccountState {
    fn default() -> Self {
        AccountState {
            active: true,
            confirmed: false,
            locked_at: None,
            banned: false,
        }
    }
}

impl AccountState {
    /// Whether the account is locked.
    pub fn is_locked(&self) -> bool {
        self.locked_at.is_some()
    }
}

/// Every field of an agent that a client may write (ids and timestamps excluded).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Profile {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    /// The name shown to customers; see [`crate::join_name`] for how it follows first/last.
    pub display_name: String,
    pub username: Option<String>,
    pub role: Role,
    pub availability: Availability,
    pub state: AccountState,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    pub title: Option<String>,
    pub bio: Option<String>,
    pub avatar_url: Option<String>,
    pub time_zone: Option<TimeZone>,
    /// BCP 47 language tag ("en", "zh-CN").
    pub language: Option<String>,
    /// Date-time display pattern ("YYYY-MM-DD HH:mm:ss").
    pub datetime_format: Option<String>,
    /// Team / department names, in the order given.
    pub teams: Vec<String>,
    pub permissions: Flags,
    pub notifications: Flags,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_active_at: Option<DateTime<Utc>>,
    /// An identity provider's own id for the agent (SCIM `externalId`), kept exactly.
    pub external_id: Option<String>,
    pub extensions: Extensions,
}

impl Profile {
    /// The name shown for the agent: its display name, or its first and last name joined when
    /// it has none.
    pub fn shown_name(&self) -> String {
        if self.display_name.is_empty() {
            crate::join_name(&self.first_name, &self.last_name)
        } else {
            self.display_name.clone()
        }
    }
}

/// All the ids an agent has, one per id kind the dialects use; assigned once, never reused.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AgentIds {
    /// Integer id (ndoto, supporthub, libredesk).
    pub int: i64,
    /// GUID (comm100), lowercase when rendered.
    pub guid: Uuid,
    /// 17-character Rocket.Chat-style id (livechat).
    pub short: String,
}

/// One id of an agent, in whichever kind the caller has.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum AgentId {
    Int(i64),
    Guid(Uuid),
    Short(String),
}

impl std::fmt::Display for AgentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AgentId::Int(i) => write!(f, "{i}"),
            AgentId::Guid(g) => write!(f, "{g}"),
            AgentId::Short(s) => f.write_str(s),
        }
    }
}

/// A stored agent: its ids, its profile and the timestamps the backend keeps.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Agent {
    pub ids: AgentIds,
    pub profile: Profile,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A team (libredesk team, comm100 department, SCIM group) of a tenant: named, with ids of
/// both kinds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Team {
    pub id: i64,
    pub guid: Uuid,
    pub name: String,
    pub emoji: String,
    /// When the team was made (unknown for a team a backend does not keep).
    #[serde(default)]
    pub created_at: Option<DateTime<Utc>>,
    /// Its last rename or change of members.
    #[serde(default)]
    pub updated_at: Option<DateTime<Utc>>,
    /// An identity provider's own id for it (a SCIM Group's `externalId`).
    #[serde(default)]
    pub external_id: Option<String>,
}

/// What a create carries: the profile and, where the dialect has one, the initial password.
#[derive(Debug, Clone, Default)]
pub struct NewAgent {
    pub profile: Profile,
    pub password: Option<Password>,
}
