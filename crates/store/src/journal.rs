//! The migration journal: which source agent became which target agent, per run key.

use std::collections::HashMap;

use agentgw_core::BackendError;
use chrono::Utc;
use sqlx::{AnyPool, Row};

use crate::record::{db_error, ts};

/// The journal of one migration (`<from> -> <to>`).
#[derive(Clone)]
pub struct Journal {
    pool: AnyPool,
    run: String,
}

impl Journal {
    pub(crate) fn new(pool: AnyPool, run: &str) -> Self {
        Journal {
            pool,
            run: run.to_owned(),
        }
    }

    /// Every source id already copied, with its target id.
    pub async fn entries(&self) -> Result<HashMap<String, String>, BackendError> {
        let rows = sqlx::query("SELECT source_id, target_id FROM migration_journal WHERE run = $1")
            .bind(self.run.clone())
            .fetch_all(&self.pool)
            .await
            .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok((
                    r.try_get("source_id").map_err(db_error)?,
                    r.try_get("target_id").map_err(db_error)?,
                ))
            })
            .collect()
    }

    /// Record that `source` is now `target` (created, updated or matched).
    pub async fn record(
        &self,
        source: &str,
        target: &str,
        action: &str,
    ) -> Result<(), BackendError> {
        sqlx::query(
            "INSERT INTO migration_journal (run, source_id, target_id, action, at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (run, source_id) DO UPDATE SET target_id = excluded.target_id, action = excluded.action, at = excluded.at",
        )
        .bind(self.run.clone())
        .bind(source.to_owned())
        .bind(target.to_owned())
        .bind(action.to_owned())
        .bind(ts(Utc::now()))
        .execute(&self.pool)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}
