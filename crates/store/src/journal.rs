//! The migration journal: which source agent became which target agent, per run key, with a
//! fingerprint of what the source held when it was last copied.

use std::collections::HashMap;

use agentgw_core::BackendError;
pub use agentgw_migrate::{JournalEntry, MigrationJournal};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;

use crate::Pools;
use crate::record::{db_error, ts};

/// The journal of one migration (`<from> -> <to>`).
#[derive(Clone)]
pub struct Journal {
    pools: Pools,
    run: String,
}

impl Journal {
    pub(crate) fn new(pools: Pools, run: &str) -> Self {
        Journal {
            pools,
            run: run.to_owned(),
        }
    }
}

/// The journal `agentgw_migrate` asks for, kept in this store.
#[async_trait]
impl MigrationJournal for Journal {
    /// Every source id already copied, with what the journal knows of it.
    async fn entries(&self) -> Result<HashMap<String, JournalEntry>, BackendError> {
        let rows = sqlx::query(
            "SELECT source_id, target_id, source_native, target_native, fingerprint \
             FROM migration_journal WHERE run = $1",
        )
        .bind(self.run.clone())
        .fetch_all(self.pools.read()?)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let text = |c: &str| r.try_get::<Option<String>, _>(c).map_err(db_error);
                Ok((
                    r.try_get("source_id").map_err(db_error)?,
                    JournalEntry {
                        target: r.try_get("target_id").map_err(db_error)?,
                        source_native: text("source_native")?,
                        target_native: text("target_native")?,
                        fingerprint: text("fingerprint")?,
                    },
                ))
            })
            .collect()
    }

    /// Record that `source` is now `entry.target` (created, updated or matched).
    async fn record(
        &self,
        source: &str,
        entry: &JournalEntry,
        action: &str,
    ) -> Result<(), BackendError> {
        sqlx::query(
            "INSERT INTO migration_journal (run, source_id, target_id, action, at, source_native, target_native, fingerprint) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (run, source_id) DO UPDATE SET target_id = excluded.target_id, action = excluded.action, \
             at = excluded.at, source_native = excluded.source_native, target_native = excluded.target_native, \
             fingerprint = excluded.fingerprint",
        )
        .bind(self.run.clone())
        .bind(source.to_owned())
        .bind(entry.target.clone())
        .bind(action.to_owned())
        .bind(ts(Utc::now()))
        .bind(entry.source_native.clone())
        .bind(entry.target_native.clone())
        .bind(entry.fingerprint.clone())
        .execute(self.pools.write()?)
        .await
        .map_err(db_error)?;
        Ok(())
    }

    /// A run of this migration begins (`watch_every`: seconds between the runs of a --watch);
    /// its number, one more than the last.
    async fn run_started(&self, watch_every: Option<u64>) -> Result<i64, BackendError> {
        let rows = sqlx::query(
            "INSERT INTO migration_runs (run, number, started_at, watch_every) \
             SELECT $1, COALESCE(MAX(number), 0) + 1, $2, $3 FROM migration_runs WHERE run = $1 \
             RETURNING number",
        )
        .bind(self.run.clone())
        .bind(ts(Utc::now()))
        .bind(watch_every.and_then(|s| i64::try_from(s).ok()))
        .fetch_all(self.pools.write()?)
        .await
        .map_err(db_error)?;
        rows.first()
            .ok_or_else(|| BackendError::Internal("a run was not recorded".into()))?
            .try_get("number")
            .map_err(db_error)
    }

    /// Run `number` ended; `summary` is JSON (agents per action, or an error).
    async fn run_finished(
        &self,
        number: i64,
        summary: &serde_json::Value,
    ) -> Result<(), BackendError> {
        sqlx::query("UPDATE migration_runs SET finished_at = $1, summary = $2 WHERE run = $3 AND number = $4")
            .bind(ts(Utc::now()))
            .bind(summary.to_string())
            .bind(self.run.clone())
            .bind(number)
            .execute(self.pools.write()?)
            .await
            .map_err(db_error)?;
        Ok(())
    }

    /// Forget `source`: it is gone at the source and no longer on the target.
    async fn forget(&self, source: &str) -> Result<(), BackendError> {
        sqlx::query("DELETE FROM migration_journal WHERE run = $1 AND source_id = $2")
            .bind(self.run.clone())
            .bind(source.to_owned())
            .execute(self.pools.write()?)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}
