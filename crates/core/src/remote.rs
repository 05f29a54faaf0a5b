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

/// Which verbs beyond CRUD a remote has (the others answer "not supported").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Verbs {
    pub change_password: bool,
    pub unlock: bool,
    pub flags: bool,
}

/// What a remote does itself; `agentgw-upstream` emulates the rest once, for every pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// Honours `ListQuery::window` itself (otherwise the caller slices).
    pub pages: bool,
    /// Filters pushed down to the backend.
    pub filters: FilterSupport,
    pub verbs: Verbs,
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

/// A helpdesk of some dialect. `list` applies the filters `capabilities().filters` claims and
/// returns agents in `native_order()`; with `capabilities().pages` it honours the window,
/// otherwise it returns every matching agent.
#[async_trait]
pub trait Remote: Send + Sync + 'static {
    /// What the helpdesk does natively.
    fn capabilities(&self) -> Capabilities;

    /// The canonical fields it stores; the gateway keeps the others as shadow fields.
    fn holds(&self) -> &'static [Field];

    /// The canonical fields a create stores: `holds`, and those that cannot change afterwards.
    fn created_with(&self) -> &'static [Field] {
        self.holds()
    }

    /// The fields a create must carry (filled from the upstream's defaults when missing).
    fn requires(&self) -> &'static [Field];

    /// Whether a create needs a password.
    fn requires_password(&self) -> bool;

    /// The order its list answers in.
    fn native_order(&self) -> SortOrder;

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
