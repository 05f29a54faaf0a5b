//! What the admin status page shows of the store: its kind, how many agents each tenant has
//! (and each upstream's id map), its pools, and the migration journal. Nothing secret: no URL
//! password, no agent data.

use agentgw_core::BackendError;
use serde::Serialize;
use sqlx::Row;

use crate::record::db_error;
use crate::{Database, Store};

/// The store as the status page shows it.
#[derive(Debug, Clone, Serialize)]
pub struct StoreStatus {
    /// `sqlite` or `postgresql`.
    pub kind: &'static str,
    /// Whether the database answers now; why not when it does not.
    pub problem: Option<String>,
    /// Live agents per tenant of the embedded store.
    pub tenants: Vec<Count>,
    /// Mapped agents per upstream (its id map).
    pub id_maps: Vec<Count>,
    /// Connections of the read pool: open, and idle among them.
    pub read_pool: Pool,
    /// Connections of the write pool (SQLite: the one writer) .
    pub write_pool: Pool,
}

/// A named count.
#[derive(Debug, Clone, Serialize)]
pub struct Count {
    pub name: String,
    pub count: i64,
}

/// A pool's connections.
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Pool {
    pub open: u32,
    pub idle: u32,
}

/// One `--from → --to` pair of the migration journal.
#[derive(Debug, Clone, Serialize)]
pub struct JournalPair {
    /// `<from> -> <to>`.
    pub run: String,
    /// Agents journaled.
    pub agents: i64,
    /// When the journal was last written (RFC 3339).
    pub last_write: Option<String>,
    /// Journaled agents by the last action taken on them.
    pub actions: Vec<Count>,
}

impl Store {
    /// The store as the status page shows it; counts are left empty while it is down.
    pub async fn status(&self) -> StoreStatus {
        let kind = match self.database {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgresql",
        };
        let pool = |p: &sqlx::AnyPool| Pool {
            open: p.size(),
            idle: u32::try_from(p.num_idle()).unwrap_or(u32::MAX),
        };
        let (read_pool, write_pool) = match self.pools.open() {
            Ok(open) => (pool(&open.read), pool(&open.write)),
            Err(_) => (Pool::default(), Pool::default()),
        };
        let (tenants, id_maps, problem) = match self.counts().await {
            Ok(counts) => {
                let (maps, tenants): (Vec<Count>, Vec<Count>) = counts
                    .into_iter()
                    .partition(|c| c.name.starts_with("upstream:"));
                let maps = maps
                    .into_iter()
                    .map(|c| Count {
                        name: c.name.trim_start_matches("upstream:").to_owned(),
                        count: c.count,
                    })
                    .collect();
                (tenants, maps, None)
            }
            Err(e) => (Vec::new(), Vec::new(), Some(e.to_string())),
        };
        StoreStatus {
            kind,
            problem,
            tenants,
            id_maps,
            read_pool,
            write_pool,
        }
    }

    /// Live rows per tenant (upstream id maps included, as `upstream:<name>`).
    async fn counts(&self) -> Result<Vec<Count>, BackendError> {
        let rows = sqlx::query(
            "SELECT tenant, COUNT(*) AS n FROM agents WHERE deleted = 0 GROUP BY tenant ORDER BY tenant",
        )
        .fetch_all(self.pools.read()?)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                Ok(Count {
                    name: r.try_get("tenant").map_err(db_error)?,
                    count: r.try_get("n").map_err(db_error)?,
                })
            })
            .collect()
    }

    /// Every pair of the migration journal, with its counts.
    pub async fn journal_pairs(&self) -> Result<Vec<JournalPair>, BackendError> {
        let rows = sqlx::query(
            "SELECT run, action, COUNT(*) AS n, MAX(at) AS last FROM migration_journal \
             GROUP BY run, action ORDER BY run, action",
        )
        .fetch_all(self.pools.read()?)
        .await
        .map_err(db_error)?;
        let mut pairs: Vec<JournalPair> = Vec::new();
        for r in &rows {
            let run: String = r.try_get("run").map_err(db_error)?;
            let action: String = r.try_get("action").map_err(db_error)?;
            let n: i64 = r.try_get("n").map_err(db_error)?;
            let last: Option<String> = r.try_get("last").map_err(db_error)?;
            if pairs.last().is_none_or(|p| p.run != run) {
                pairs.push(JournalPair {
                    run,
                    agents: 0,
                    last_write: None,
                    actions: Vec::new(),
                });
            }
            if let Some(pair) = pairs.last_mut() {
                pair.agents += n;
                pair.last_write = pair.last_write.take().max(last);
                pair.actions.push(Count {
                    name: action,
                    count: n,
                });
            }
        }
        Ok(pairs)
    }
}
