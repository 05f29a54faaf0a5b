//! What a face calls: the embedded store's tenants and every upstream implement `Backend`;
//! `MigrationTarget` adds the questions only `agentgw migrate` asks.

use agentgw_model::{
    Agent, AgentId, Filter, FlagKind, Flags, ListQuery, NewAgent, Page, Password, ProfilePatch,
    Team,
};
use async_trait::async_trait;
use futures_util::stream::BoxStream;

use crate::BackendError;

/// A stream of batches of `T`, ending at the first error.
pub type Batches<'a, T> = BoxStream<'a, Result<Vec<T>, BackendError>>;

/// A place agents live: the embedded store (one tenant of it) or an upstream helpdesk.
#[async_trait]
pub trait Backend: Send + Sync + 'static {
    /// Agents matching `query`, in its order and window, with the total that match.
    async fn list(&self, query: &ListQuery) -> Result<Page, BackendError>;

    /// Every agent matching `filter`, in batches as they arrive and in no set order: for an
    /// answer too long to hold as canonical agents (the ndoto list of a large upstream).
    /// By default, one batch: the whole list.
    fn scan(&self, filter: Filter) -> Batches<'_, Agent> {
        Box::pin(futures_util::stream::once(async move {
            let query = ListQuery {
                filter,
                ..ListQuery::default()
            };
            self.list(&query).await.map(|page| page.items)
        }))
    }

    /// One agent by any of its ids.
    async fn get(&self, id: &AgentId) -> Result<Agent, BackendError>;

    /// Create an agent; a duplicate email (case-insensitive) is `BackendError::Conflict`.
    async fn create(&self, new: NewAgent) -> Result<Agent, BackendError>;

    /// Apply a partial update and return the agent as it now is.
    async fn update(&self, id: &AgentId, patch: ProfilePatch) -> Result<Agent, BackendError>;

    /// Delete an agent; its ids are never handed out again.
    async fn delete(&self, id: &AgentId) -> Result<(), BackendError>;

    /// Replace the agent's password.
    async fn change_password(&self, id: &AgentId, password: Password) -> Result<(), BackendError> {
        self.update(
            id,
            ProfilePatch {
                password: Some(password),
                ..Default::default()
            },
        )
        .await
        .map(drop)
    }

    /// Clear the lock (and its time).
    async fn unlock(&self, id: &AgentId) -> Result<(), BackendError> {
        self.update(
            id,
            ProfilePatch {
                locked_at: Some(None),
                ..Default::default()
            },
        )
        .await
        .map(drop)
    }

    /// The agent's permissions or notification settings.
    async fn flags(&self, id: &AgentId, kind: FlagKind) -> Result<Flags, BackendError> {
        let agent = self.get(id).await?;
        Ok(match kind {
            FlagKind::Permissions => agent.profile.permissions,
            FlagKind::Notifications => agent.profile.notifications,
        })
    }

    /// Merge `changes` into the agent's permissions or notification settings; returns the result.
    async fn set_flags(
        &self,
        id: &AgentId,
        kind: FlagKind,
        changes: Flags,
    ) -> Result<Flags, BackendError> {
        let patch = match kind {
            FlagKind::Permissions => ProfilePatch {
                permissions: Some(changes),
                ..Default::default()
            },
            FlagKind::Notifications => ProfilePatch {
                notifications: Some(changes),
                ..Default::default()
            },
        };
        let agent = self.update(id, patch).await?;
        Ok(match kind {
            FlagKind::Permissions => agent.profile.permissions,
            FlagKind::Notifications => agent.profile.notifications,
        })
    }

    /// The tenant's team registry, where this backend keeps teams.
    fn teams(&self) -> Result<&dyn TeamRegistry, BackendError> {
        Err(BackendError::Unsupported("teams"))
    }
}

/// A tenant's teams (libredesk teams, comm100 departments, SCIM groups), kept by the gateway
/// so that their ids stay stable whatever serves the agents; an agent's `teams` are names in it.
#[async_trait]
pub trait TeamRegistry: Send + Sync {
    /// The teams named `names` (case-insensitively), in that order; with `create`, a name no
    /// team has becomes a new team (ids and emoji assigned once), else it is skipped.
    async fn named(&self, names: &[String], create: bool) -> Result<Vec<Team>, BackendError>;

    /// The teams with these GUIDs (unknown GUIDs are skipped).
    async fn by_guid(&self, guids: &[uuid::Uuid]) -> Result<Vec<Team>, BackendError>;

    /// Every team, oldest first.
    async fn all(&self) -> Result<Vec<Team>, BackendError>;

    /// Give the team `guid` a name and an external id (agents' memberships are the caller's
    /// to follow); a name another team has is `Conflict { field: "name" }`.
    async fn change(
        &self,
        guid: uuid::Uuid,
        name: &str,
        external_id: Option<&str>,
    ) -> Result<Team, BackendError>;

    /// Delete the team `guid` (agents' memberships are the caller's to remove first).
    async fn delete(&self, guid: uuid::Uuid) -> Result<(), BackendError>;
}

/// One agent as `agentgw migrate` lists it: its helpdesk's own id beside its profile.
#[derive(Debug, Clone, PartialEq)]
pub struct Listed {
    /// The id the helpdesk itself shows (an integer, a GUID or a 17-character id, as text).
    pub native: String,
    /// The gateway's integer id; `None` for an upstream agent a read-only listing saw first.
    pub gateway: Option<i64>,
    pub profile: agentgw_model::Profile,
}

/// What `agentgw migrate` asks of either side: questions no face asks.
#[async_trait]
pub trait MigrationTarget: Backend {
    /// What this backend is, when it is a remote helpdesk; `None` (the embedded store) holds
    /// every field and needs no password. Migration reports the fields it does not hold as lost.
    fn profile(&self) -> Option<&'static crate::RemoteProfile> {
        None
    }

    /// The create `create` would send, without writing: `new` with this backend's defaults
    /// applied; the error is the one `create` would return.
    fn prepare_create(&self, new: NewAgent) -> Result<NewAgent, BackendError> {
        Ok(new)
    }

    /// The id the helpdesk itself shows for the agent whose gateway id is `gateway`.
    async fn native_id(&self, gateway: i64) -> Result<Option<String>, BackendError> {
        Ok(Some(gateway.to_string()))
    }

    /// Every agent, oldest first, with its own id. Without `assign_ids` (a dry run) nothing
    /// is written: an agent the gateway has never seen gets no gateway id.
    async fn inventory(&self, assign_ids: bool) -> Result<Vec<Listed>, BackendError> {
        let _ = assign_ids;
        let query = ListQuery {
            sort: agentgw_model::SortOrder::CREATED,
            ..Default::default()
        };
        let page = self.list(&query).await?;
        Ok(page
            .items
            .into_iter()
            .map(|a| Listed {
                native: a.ids.int.to_string(),
                gateway: Some(a.ids.int),
                profile: a.profile,
            })
            .collect())
    }
}
