//! A helpdesk reached over HTTP, in its own ids: what each dialect's outbound client implements.
//! `agentgw-upstream` turns any `Remote` into a `Backend` (id mapping, shadow fields,
//! read-modify-write, in-gateway filtering and paging), so that logic exists once.

use agentgw_model::{Field, FlagKind, Flags, ListQuery, NewAgent, Password, Profile, SortOrder};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{BackendError, Batches};

/// Which list filters a remote applies itself (the gateway applies the rest).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct FilterSupport {
    pub text: bool,
    pub names: bool,
    pub email: bool,
    pub username: bool,
    pub role: bool,
    pub availability: bool,
    pub state: bool,
    /// A condition (a SCIM filter) as a whole.
    pub condition: bool,
}

impl FilterSupport {
    /// Filters nothing itself.
    pub const NONE: FilterSupport = FilterSupport {
        text: false,
        names: false,
        email: false,
        username: false,
        role: false,
        availability: false,
        state: false,
        condition: false,
    };
}

/// What a remote is, written once per adapter as a constant: every question the gateway and
/// `agentgw migrate` ask of a remote's shape is answered here, and only here.
#[derive(Debug, Clone, Copy)]
pub struct RemoteProfile {
    /// The canonical fields it stores; the gateway keeps the others as shadow fields.
    pub holds: &'static [Field],
    /// The canonical fields a create stores: `holds`, and those that cannot change afterwards.
    pub created_with: &'static [Field],
    /// The fields a create must carry (filled from the upstream's defaults when missing).
    pub requires: &'static [Field],
    /// Whether a create needs a password.
    pub requires_password: bool,
    /// The order its list answers in.
    pub order: SortOrder,
    /// Honours `ListQuery::window` itself (otherwise the gateway slices).
    pub pages: bool,
    /// The list filters it applies itself (the gateway applies the rest).
    pub filters: FilterSupport,
    /// Whether it has a disabled state. Without one, a deactivated agent is parked: taken
    /// off the helpdesk and kept by the gateway, so that deactivation still means no access.
    pub can_disable: bool,
}

/// An agent as a remote helpdesk holds it: its native id and what it says of the agent.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteAgent {
    /// The upstream's own id (integer, GUID or 17-character id, as text).
    pub id: String,
    pub profile: Profile,
    pub created_at: Option<DateTime<Utc>>,
    pub updated_at: Option<DateTime<Utc>>,
}

/// One answer of a remote list: the agents and how many match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct RemotePage {
    pub items: Vec<RemoteAgent>,
    pub total: u64,
}

/// A helpdesk of some dialect. `list` applies the filters `profile().filters` claims and
/// returns agents in `profile().order`; with `profile().pages` it honours the window,
/// otherwise it returns every matching agent.
#[async_trait]
pub trait Remote: Send + Sync + 'static {
    /// What the helpdesk is and does natively.
    fn profile(&self) -> &'static RemoteProfile;

    /// How signing in stands, for a remote whose credentials expire (OAuth, a login).
    fn sign_in(&self) -> Option<crate::SignInState> {
        None
    }

    /// Agents matching the filters it supports (see the trait docs).
    async fn list(&self, query: &ListQuery) -> Result<RemotePage, BackendError>;

    /// Every agent matching the filters of `query` it supports, in batches as they arrive
    /// (a paging helpdesk yields a page at a time). By default, one batch: the whole list.
    fn scan(&self, query: ListQuery) -> Batches<'_, RemoteAgent> {
        Box::pin(futures_util::stream::once(async move {
            self.list(&query).await.map(|page| page.items)
        }))
    }

    /// One agent by native id.
    async fn get(&self, id: &str) -> Result<RemoteAgent, BackendError>;

    /// Create an agent.
    async fn create(&self, new: &NewAgent) -> Result<RemoteAgent, BackendError>;

    /// Make the agent `desired` (its current state is `current`): a PATCH upstream sends the
    /// difference, a PUT upstream the whole object.
    async fn update(
        &self,
        id: &str,
        current: &Profile,
        desired: &Profile,
        password: Option<&Password>,
    ) -> Result<RemoteAgent, BackendError>;

    /// Delete an agent.
    async fn delete(&self, id: &str) -> Result<(), BackendError>;

    /// Replace the password, where the helpdesk can.
    async fn change_password(&self, id: &str, password: &Password) -> Result<(), BackendError> {
        let _ = (id, password);
        Err(BackendError::Unsupported("changing a password"))
    }

    /// Unlock, where the helpdesk can.
    async fn unlock(&self, id: &str) -> Result<(), BackendError> {
        let _ = id;
        Err(BackendError::Unsupported("unlocking an agent"))
    }

    /// Permissions or notification settings, where the helpdesk has them.
    async fn flags(&self, id: &str, kind: FlagKind) -> Result<Flags, BackendError> {
        let _ = (id, kind);
        Err(BackendError::Unsupported(
            "permissions and notification settings",
        ))
    }

    /// Merge permission or notification changes, where the helpdesk has them.
    async fn set_flags(
        &self,
        id: &str,
        kind: FlagKind,
        changes: Flags,
    ) -> Result<Flags, BackendError> {
        let _ = (id, kind, changes);
        Err(BackendError::Unsupported(
            "permissions and notification settings",
        ))
    }
}
