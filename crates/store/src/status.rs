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
    /// Open and running a statement now.
    pub in_use: u32,
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
    /// The last run recorded (dry runs are not).
    pub last_run: Option<RunView>,
    /// A `--watch` whose last run is recent enough for it to be going on.
    pub watching: Option<Watching>,
}

/// One run of a migration.
#[derive(Debug, Clone, Serialize)]
pub struct RunView {
    pub number: i64,
    pub started_at: String,
    /// `None` while it runs.
    pub finished_at: Option<String>,
    /// Agents per action (`create`, `update`, `delete`, `skip`, `cannot`, `failed`), or
    /// `{"error": …}` for a run that could not read a side.
    pub result: Option<serde_json::Value>,
    /// Agents that could not be migrated or failed.
    pub failures: i64,
}

/// A `--watch` in progress.
#[derive(Debug, Clone, Serialize)]
pub struct Watching {
    /// Its runs so far (the last run's number).
    pub runs: i64,
    pub interval_seconds: i64,
}

impl Store {
    /// The store as the status page shows it; counts are left empty while it is down.
    pub async fn status(&self) -> StoreStatus {
        let kind = match self.database {
            Database::Sqlite => "sqlite",
            Database::Postgres => "postgresql",
        };
        let pool = |p: &sqlx::AnyPool| {
            let (open, idle) = (p.size(), u32::try_from(p.num_idle()).unwrap_or(u32::MAX));
            Pool {
                open,
                idle,
                in_use: open.saturating_sub(idle),
            }
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
                    last_run: None,
                    watching: None,
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
        for (run, last, every) in self.last_runs().await? {
            let index = match pairs.iter().position(|p| p.run == run) {
                Some(i) => i,
                None => {
                    pairs.push(JournalPair {
                        run,
                        agents: 0,
                        last_write: None,
                        actions: Vec::new(),
                        last_run: None,
                        watching: None,
                    });
                    pairs.len() - 1
                }
            };
            let pair = &mut pairs[index];
            // A watch is going on while its last run runs, or ended less than an interval
            // (and a minute of slack) ago.
            let recent = |at: &str| {
                chrono::DateTime::parse_from_rfc3339(at).is_ok_and(|t| {
                    let idle = chrono::Utc::now().signed_duration_since(t).num_seconds();
                    every.is_some_and(|e| idle <= e + 60)
                })
            };
            let going = every.is_some()
                && match &last.finished_at {
                    None => recent(&last.started_at),
                    Some(at) => recent(at),
                };
            pair.watching = going.then(|| Watching {
                runs: last.number,
                interval_seconds: every.unwrap_or(0),
            });
            pair.last_run = Some(last);
        }
        pairs.sort_by(|a, b| a.run.cmp(&b.run));
        Ok(pairs)
    }

    /// The last run of every migration, with its watch interval.
    async fn last_runs(&self) -> Result<Vec<(String, RunView, Option<i64>)>, BackendError> {
        let rows = sqlx::query(
            "SELECT r.run, r.number, r.started_at, r.finished_at, r.summary, r.watch_every \
             FROM migration_runs r \
             JOIN (SELECT run, MAX(number) AS last FROM migration_runs GROUP BY run) m \
               ON m.run = r.run AND m.last = r.number \
             ORDER BY r.run",
        )
        .fetch_all(self.pools.read()?)
        .await
        .map_err(db_error)?;
        rows.iter()
            .map(|r| {
                let summary: Option<String> = r.try_get("summary").map_err(db_error)?;
                let result: Option<serde_json::Value> =
                    summary.and_then(|s| serde_json::from_str(&s).ok());
                let failures = ["cannot", "failed"]
                    .iter()
                    .filter_map(|k| {
                        result
                            .as_ref()
                            .and_then(|v| v.get(*k))
                            .and_then(serde_json::Value::as_i64)
                    })
                    .sum();
                Ok((
                    r.try_get("run").map_err(db_error)?,
                    RunView {
                        number: r.try_get("number").map_err(db_error)?,
                        started_at: r.try_get("started_at").map_err(db_error)?,
                        finished_at: r.try_get("finished_at").map_err(db_error)?,
                        result,
                        failures,
                    },
                    r.try_get("watch_every").map_err(db_error)?,
                ))
            })
            .collect()
    }
}
