//! What `UpstreamBackend` asks of the id map it is given: defined here, by its user, and
//! implemented by the store (`agentgw_store::IdMap`), so that this crate needs no database.

use agentgw_core::{BackendError, TeamRegistry};
use agentgw_model::{AgentId, AgentIds, Profile};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

/// An upstream agent's gateway ids and the fields the gateway keeps for it.
#[derive(Debug, Clone, PartialEq)]
pub struct Mapped {
    pub ids: AgentIds,
    /// `None` until the gateway writes through it: an agent first seen upstream has no
    /// shadow fields, and shows what the upstream says.
    pub shadow: Option<Profile>,
    /// When the gateway first saw it (for upstreams that do not say when it was created).
    pub first_seen: DateTime<Utc>,
    /// Since when the agent is parked: deactivated, so removed from an upstream that has no
    /// disabled state, and kept whole here (`shadow` is then its entire profile) until it is
    /// reactivated or deleted.
    pub parked: Option<DateTime<Utc>>,
}

/// Where an upstream agent is, as its mapping says: one typed answer, decided once when the
/// mapping is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NativeId {
    /// At the upstream, under its own id.
    Live(String),
    /// Parked: deactivated, removed from an upstream that cannot disable, kept whole here.
    Parked(ParkedId),
}

/// A parked agent's key in the id map (no upstream agent has it; the id map makes it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParkedId(String);

impl ParkedId {
    /// The key an id map keeps a parked agent under.
    pub fn new(key: String) -> ParkedId {
        ParkedId(key)
    }

    /// That key.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl NativeId {
    /// The id as the id map keeps it (a parked agent's is its key).
    pub fn as_str(&self) -> &str {
        match self {
            NativeId::Live(native) => native,
            NativeId::Parked(parked) => parked.as_str(),
        }
    }
}

/// One upstream's id map: gateway ids ⇄ native ids, shadow fields, parked agents, and the
/// teams of its agents.
#[async_trait]
pub trait IdMapping: Send + Sync {
    /// The mapping of each native id, creating the missing ones (in the order given).
    async fn ensure(&self, natives: &[String]) -> Result<Vec<Mapped>, BackendError>;

    /// The mapping of one native id, created if missing.
    async fn ensure_one(&self, native: &str) -> Result<Mapped, BackendError>;

    /// The mappings that already exist for `natives`, keyed by native id (reads only).
    async fn lookup(
        &self,
        natives: &[String],
    ) -> Result<std::collections::HashMap<String, Mapped>, BackendError>;

    /// Where the agent behind a gateway id is, and its mapping.
    async fn resolve(&self, id: &AgentId) -> Result<Option<(NativeId, Mapped)>, BackendError>;

    /// The id the id map keeps for a gateway id (a parked agent's key for a parked one).
    async fn native(&self, id: &AgentId) -> Result<Option<String>, BackendError>;

    /// Keep `shadow` as the fields the gateway holds for this upstream agent.
    async fn save_shadow(&self, native: &str, shadow: &Profile) -> Result<(), BackendError>;

    /// Keep `profile` as the whole of a parked agent (parked since `since`).
    async fn save_parked(
        &self,
        parked: &ParkedId,
        profile: &Profile,
        since: DateTime<Utc>,
    ) -> Result<(), BackendError>;

    /// The teams of the upstream's agents (kept by the gateway, as a tenant's are).
    fn teams(&self) -> &dyn TeamRegistry;

    /// Park the agent whose native id was `native`: its gateway ids stay, `profile` is kept.
    async fn park(&self, native: &str, profile: &Profile) -> Result<Mapped, BackendError>;

    /// A new agent created parked: gateway ids assigned, nothing upstream yet.
    async fn create_parked(&self, profile: &Profile) -> Result<Mapped, BackendError>;

    /// A parked agent is back upstream as `native`, the gateway keeping `shadow` for it.
    async fn unpark(
        &self,
        parked: &ParkedId,
        native: &str,
        shadow: &Profile,
    ) -> Result<Mapped, BackendError>;

    /// Every parked agent of the upstream.
    async fn parked(&self) -> Result<Vec<Mapped>, BackendError>;

    /// The agent is gone: its gateway ids are retired, never handed out again.
    async fn retire(&self, native: &str) -> Result<(), BackendError>;
}
