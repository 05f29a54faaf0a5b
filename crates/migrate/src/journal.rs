//! The migration journal as `migrate` needs it: which source agent became which target agent,
//! per migration, with a fingerprint of what the source held when it was last copied. Defined
//! here, by its user; the store keeps it (`agentgw_store::Journal`).

use std::collections::HashMap;

use agentgw_core::BackendError;
use async_trait::async_trait;

/// One journaled agent, keyed by its source gateway id.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct JournalEntry {
    /// The target's gateway id.
    pub target: String,
    /// The source's own id (what its helpdesk shows); `None` on rows from before delta runs.
    pub source_native: Option<String>,
    /// The target's own id; `None` on rows from before delta runs.
    pub target_native: Option<String>,
    /// The source fields as last copied (opaque to the store); `None` when never taken.
    pub fingerprint: Option<String>,
}

/// The journal of one migration (`<from> -> <to>`).
#[async_trait]
pub trait MigrationJournal: Send + Sync {
    /// Every source id already copied, with what the journal knows of it.
    async fn entries(&self) -> Result<HashMap<String, JournalEntry>, BackendError>;

    /// Record that `source` is now `entry.target` (created, updated or matched).
    async fn record(
        &self,
        source: &str,
        entry: &JournalEntry,
        action: &str,
    ) -> Result<(), BackendError>;

    /// A run begins (`watch_every`: seconds between the runs of a --watch); its number.
    async fn run_started(&self, watch_every: Option<u64>) -> Result<i64, BackendError>;

    /// Run `number` ended; `summary` is JSON (agents per action, or an error).
    async fn run_finished(
        &self,
        number: i64,
        summary: &serde_json::Value,
    ) -> Result<(), BackendError>;

    /// Forget `source`: it is gone at the source and no longer on the target.
    async fn forget(&self, source: &str) -> Result<(), BackendError>;
}
