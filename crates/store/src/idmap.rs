//! Gateway ids and shadow fields for agents that live in an upstream helpdesk.
//!
//! Each upstream agent has a row in `agents` under the tenant `upstream:<name>` with its
//! native id: the row's integer id, GUID and 17-character id are the ids every face shows
//! (assigned once, never reused, shared by all gateways on the database), and its document
//! holds the fields the upstream cannot hold.

use std::collections::HashMap;

use agentgw_core::BackendError;
use agentgw_model::{AgentId, AgentIds, Profile};
pub use agentgw_upstream::{IdMapping, Mapped, NativeId, ParkedId};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};

use crate::Pools;
use crate::ids;
use crate::record::{IdValue, db_error, id_column, ts};

/// The id map and shadow fields of one upstream.
#[derive(Clone)]
pub struct IdMap {
    pools: Pools,
    tenant: String,
    teams: crate::teams::Registry,
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Doc {
    v: u32,
    #[serde(default)]
    profile: Option<Profile>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    parked: Option<DateTime<Utc>>,
}

/// A parked agent's native id: no upstream agent has it, so the gateway ids stay resolvable
/// (and unique) while the upstream has no agent for them.
const PARKED: &str = "parked:";

/// Where the agent of a `native_id` column is: a parked agent's column holds its stand-in.
fn native_id(column: String) -> NativeId {
    if column.starts_with(PARKED) {
        NativeId::Parked(ParkedId::new(column))
    } else {
        NativeId::Live(column)
    }
}

/// The `COLUMNS` of one mapping row as the database gave them, before decoding.
struct RawMapping {
    id: i64,
    guid: String,
    short_id: String,
    native_id: String,
    doc: String,
    created_at: String,
}

impl RawMapping {
    fn from_any(row: &AnyRow) -> Result<RawMapping, BackendError> {
        let s = |c: &str| row.try_get::<String, _>(c).map_err(db_error);
        Ok(RawMapping {
            id: row.try_get("id").map_err(db_error)?,
            guid: s("guid")?,
            short_id: s("short_id")?,
            native_id: s("native_id")?,
            doc: s("doc")?,
            created_at: s("created_at")?,
        })
    }

    /// By position in [`COLUMNS`], as `RawRow::from_sqlite`.
    fn from_sqlite(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawMapping> {
        Ok(RawMapping {
            id: row.get(0)?,
            guid: row.get(1)?,
            short_id: row.get(2)?,
            native_id: row.get(3)?,
            doc: row.get(4)?,
            created_at: row.get(5)?,
        })
    }

    fn decode(self) -> Result<(NativeId, Mapped), BackendError> {
        // Shadow fields that cannot be read must not hide the agent the upstream holds: it
        // shows what the upstream says, and the next write through the gateway replaces them.
        let doc: Doc = serde_json::from_str(&self.doc).unwrap_or_else(|e| {
            tracing::error!(id = self.id, error = %e, "an upstream agent's shadow fields cannot be read; ignored");
            Doc { v: 1, profile: None, parked: None }
        });
        let first_seen = crate::record::parse_ts(&self.created_at)?;
        Ok((
            native_id(self.native_id),
            Mapped {
                ids: AgentIds {
                    int: self.id,
                    guid: self
                        .guid
                        .parse()
                        .map_err(|e| BackendError::Internal(format!("bad stored guid: {e}")))?,
                    short: self.short_id,
                },
                shadow: doc.profile,
                first_seen,
                parked: doc.parked,
            },
        ))
    }
}

fn mapped(row: &AnyRow) -> Result<(NativeId, Mapped), BackendError> {
    RawMapping::from_any(row)?.decode()
}

const COLUMNS: &str = "id, guid, short_id, native_id, doc, created_at";

/// A mapping row's document.
fn document(profile: &Profile, parked: Option<DateTime<Utc>>) -> Result<String, BackendError> {
    serde_json::to_string(&Doc {
        v: 1,
        profile: Some(profile.clone()),
        parked,
    })
    .map_err(|e| BackendError::Internal(e.to_string()))
}

/// The live mapping whose `column` (an id column) is `$2`.
pub(crate) fn resolve_sql(column: &str) -> String {
    format!(
        "SELECT {COLUMNS} FROM agents WHERE tenant = $1 AND deleted = 0 AND native_id IS NOT NULL AND {column} = $2"
    )
}

/// How many native ids one lookup carries.
const CHUNK: usize = 200;

/// The live mappings of `n` native ids (`$2` …), one index probe each.
///
/// Not `native_id IN (…)`: SQLite does not see that `IN` implies the `native_id IS NOT NULL`
/// of the partial index `agents_by_native_id`, and walked every mapping of the upstream for
/// each chunk instead: a list of 100,000 upstream agents cost 247 µs of CPU per agent, growing
/// with their number (bench scenario 7). Joined from a list of values, each is a point lookup
/// (`lookups_probe_the_native_id_index`); `CROSS JOIN` keeps the values the outer loop in
/// SQLite, which without statistics otherwise walks the index for 200 of them.
fn lookup_sql(n: usize) -> String {
    let wanted: Vec<String> = (0..n).map(|i| format!("(${})", i + 2)).collect();
    format!(
        "WITH wanted(native) AS (VALUES {}) SELECT {COLUMNS} FROM wanted CROSS JOIN agents \
         WHERE tenant = $1 AND deleted = 0 AND native_id IS NOT NULL AND native_id = wanted.native",
        wanted.join(", ")
    )
}

impl IdMap {
    pub(crate) fn new(pools: Pools, upstream: &str) -> Self {
        let tenant = format!("upstream:{upstream}");
        IdMap {
            teams: crate::teams::Registry::new(pools.clone(), &tenant),
            pools,
            tenant,
        }
    }

    async fn insert(&self, natives: &[&String]) -> Result<(), BackendError> {
        let now = ts(Utc::now());
        let rows: Vec<String> = (0..natives.len())
            .map(|i| {
                let b = i * 3;
                format!(
                    "($1, ${}, ${}, ${}, 'agent', 'online', 0, 0, '{{\"v\":1}}', $2, $2)",
                    b + 3,
                    b + 4,
                    b + 5
                )
            })
            .collect();
        // A concurrent gateway may map the same native id first: the unique index keeps one.
        let sql = format!(
            "INSERT INTO agents (tenant, guid, short_id, native_id, role, availability, confirmed, banned, doc, created_at, updated_at) \
             VALUES {} ON CONFLICT DO NOTHING",
            rows.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql))
            .bind(self.tenant.clone())
            .bind(now);
        for native in natives {
            q = q
                .bind(ids::guid().to_string())
                .bind(ids::short_id())
                .bind((*native).clone());
        }
        q.execute(self.pools.write()?).await.map_err(db_error)?;
        Ok(())
    }

    /// The mapping through the inline SQLite reader; `None` when there is none or it failed.
    pub(crate) fn resolve_inline(
        &self,
        sql: &str,
        value: &IdValue,
    ) -> Option<Result<Option<(NativeId, Mapped)>, BackendError>> {
        let found =
            self.pools
                .reader()?
                .row(sql, &[&self.tenant, value], RawMapping::from_sqlite)?;
        Some(found.map(RawMapping::decode).transpose())
    }

    async fn save(
        &self,
        native: &str,
        shadow: &Profile,
        parked: Option<DateTime<Utc>>,
    ) -> Result<(), BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_shadow");
        shadow.check_limits()?;
        let doc = document(shadow, parked)?;
        sqlx::query("UPDATE agents SET doc = $1, updated_at = $2, version = version + 1 WHERE tenant = $3 AND deleted = 0 AND native_id = $4")
            .bind(doc)
            .bind(ts(Utc::now()))
            .bind(self.tenant.clone())
            .bind(native.to_owned())
            .execute(self.pools.write()?)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

/// The id map `agentgw_upstream` asks for, kept in this store.
#[async_trait]
impl IdMapping for IdMap {
    /// The mapping of each native id, creating the missing ones (in the order given).
    async fn ensure(&self, natives: &[String]) -> Result<Vec<Mapped>, BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_ensure");
        let mut found = self.lookup(natives).await?;
        let missing: Vec<&String> = natives.iter().filter(|n| !found.contains_key(*n)).collect();
        if !missing.is_empty() {
            // One multi-row insert per chunk: a first listing of a large upstream maps
            // thousands of agents, and one commit each would take minutes.
            for chunk in missing.chunks(CHUNK) {
                self.insert(chunk).await?;
            }
            found = self.lookup(natives).await?;
        }
        natives
            .iter()
            .map(|n| {
                found
                    .get(n)
                    .cloned()
                    .ok_or_else(|| BackendError::Internal(format!("no id mapping for {n}")))
            })
            .collect()
    }

    /// The mapping of one native id, created if missing.
    async fn ensure_one(&self, native: &str) -> Result<Mapped, BackendError> {
        self.ensure(&[native.to_owned()])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| BackendError::Internal("no id mapping".into()))
    }

    /// The mappings that already exist for `natives`, keyed by native id; maps none (reads only).
    async fn lookup(&self, natives: &[String]) -> Result<HashMap<String, Mapped>, BackendError> {
        let mut out = HashMap::with_capacity(natives.len());
        for chunk in natives.chunks(CHUNK) {
            let mut q =
                sqlx::query(AssertSqlSafe(lookup_sql(chunk.len()))).bind(self.tenant.clone());
            for n in chunk {
                q = q.bind(n.clone());
            }
            for row in q.fetch_all(self.pools.read()?).await.map_err(db_error)? {
                let (native, m) = mapped(&row)?;
                out.insert(native.as_str().to_owned(), m);
            }
        }
        Ok(out)
    }

    /// The native id and mapping behind a gateway id, if it maps to a live upstream agent.
    async fn resolve(&self, id: &AgentId) -> Result<Option<(NativeId, Mapped)>, BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_resolve");
        let Some((column, value)) = id_column(id) else {
            return Ok(None);
        };
        let sql = resolve_sql(column);
        if let Some(found) = self.resolve_inline(&sql, &value) {
            return found;
        }
        let q = value.bind(sqlx::query(AssertSqlSafe(sql)).bind(self.tenant.clone()));
        let row = q
            .fetch_optional(self.pools.read()?)
            .await
            .map_err(db_error)?;
        row.as_ref().map(mapped).transpose()
    }

    /// The native id behind a gateway id, if it maps to a live upstream agent.
    async fn native(&self, id: &AgentId) -> Result<Option<String>, BackendError> {
        Ok(self
            .resolve(id)
            .await?
            .map(|(native, _)| native.as_str().to_owned()))
    }

    /// Keep `shadow` as the fields the gateway holds for this upstream agent.
    async fn save_shadow(&self, native: &str, shadow: &Profile) -> Result<(), BackendError> {
        self.save(native, shadow, None).await
    }

    /// Keep `profile` as the whole of a parked agent (parked since `since`).
    async fn save_parked(
        &self,
        parked: &ParkedId,
        profile: &Profile,
        since: DateTime<Utc>,
    ) -> Result<(), BackendError> {
        self.save(parked.as_str(), profile, Some(since)).await
    }

    /// The teams of the upstream's agents (kept by the gateway, as a tenant's are).
    fn teams(&self) -> &dyn agentgw_core::TeamRegistry {
        &self.teams
    }

    /// Park the agent whose native id was `native` (the upstream no longer has it): its
    /// gateway ids stay, `profile` is kept whole. Returns its mapping.
    async fn park(&self, native: &str, profile: &Profile) -> Result<Mapped, BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_park");
        profile.check_limits()?;
        let now = Utc::now();
        let doc = document(profile, Some(now))?;
        let sql = format!(
            "UPDATE agents SET native_id = '{PARKED}' || guid, doc = $1, updated_at = $2, version = version + 1 \
             WHERE tenant = $3 AND deleted = 0 AND native_id = $4 RETURNING {COLUMNS}"
        );
        // fetch_all, not fetch_one: a failed commit must be its error, not "no row".
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(doc)
            .bind(ts(now))
            .bind(self.tenant.clone())
            .bind(native.to_owned())
            .fetch_all(self.pools.write()?)
            .await
            .map_err(db_error)?;
        let row = rows.first().ok_or(BackendError::NotFound)?;
        Ok(mapped(row)?.1)
    }

    /// A new agent created parked (inactive, on an upstream that cannot disable): gateway ids
    /// of its own, `profile` kept whole, nothing at the upstream yet.
    async fn create_parked(&self, profile: &Profile) -> Result<Mapped, BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_park");
        profile.check_limits()?;
        let now = Utc::now();
        let guid = ids::guid().to_string();
        let sql = format!(
            "INSERT INTO agents (tenant, guid, short_id, native_id, role, availability, confirmed, banned, doc, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, 'agent', 'online', 0, 0, $5, $6, $6) RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(self.tenant.clone())
            .bind(guid.clone())
            .bind(ids::short_id())
            .bind(format!("{PARKED}{guid}"))
            .bind(document(profile, Some(now))?)
            .bind(ts(now))
            .fetch_all(self.pools.write()?)
            .await
            .map_err(db_error)?;
        let row = rows
            .first()
            .ok_or_else(|| BackendError::Internal("a parked agent was not stored".into()))?;
        Ok(mapped(row)?.1)
    }

    /// A parked agent is back upstream as `native`, the gateway keeping `shadow` for it.
    async fn unpark(
        &self,
        parked: &ParkedId,
        native: &str,
        shadow: &Profile,
    ) -> Result<Mapped, BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_unpark");
        let doc = document(shadow, None)?;
        let sql = format!(
            "UPDATE agents SET native_id = $1, doc = $2, updated_at = $3, version = version + 1 \
             WHERE tenant = $4 AND deleted = 0 AND native_id = $5 RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(native.to_owned())
            .bind(doc)
            .bind(ts(Utc::now()))
            .bind(self.tenant.clone())
            .bind(parked.as_str().to_owned())
            .fetch_all(self.pools.write()?)
            .await
            .map_err(db_error)?;
        let row = rows.first().ok_or(BackendError::NotFound)?;
        Ok(mapped(row)?.1)
    }

    /// Every parked agent of the upstream (few: those deactivated and not yet deleted).
    async fn parked(&self) -> Result<Vec<Mapped>, BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_parked");
        let sql = format!(
            "SELECT {COLUMNS} FROM agents WHERE tenant = $1 AND deleted = 0 AND native_id LIKE '{PARKED}%' ORDER BY id"
        );
        let rows = sqlx::query(AssertSqlSafe(sql))
            .bind(self.tenant.clone())
            .fetch_all(self.pools.read()?)
            .await
            .map_err(db_error)?;
        rows.iter().map(|r| mapped(r).map(|(_, m)| m)).collect()
    }

    /// The upstream agent is gone: its gateway ids are retired, never handed out again.
    async fn retire(&self, native: &str) -> Result<(), BackendError> {
        let _timer = crate::tenant::QueryTimer::start("idmap_retire");
        sqlx::query("UPDATE agents SET deleted = 1, native_id = NULL, doc = '{\"v\":1}', updated_at = $1 WHERE tenant = $2 AND deleted = 0 AND native_id = $3")
            .bind(ts(Utc::now()))
            .bind(self.tenant.clone())
            .bind(native.to_owned())
            .execute(self.pools.write()?)
            .await
            .map_err(db_error)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What SQLite's planner makes of `sql` on a migrated store.
    async fn plan(sql: &str) -> String {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite://{}/s.db", dir.path().display());
        let store = crate::Store::connect(&url).await.expect("store");
        store.close().await;
        let conn = rusqlite::Connection::open(dir.path().join("s.db")).expect("open");
        let mut stmt = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("plan");
        let unbound = vec![rusqlite::types::Null; stmt.parameter_count()];
        let rows = stmt
            .query_map(rusqlite::params_from_iter(unbound), |r| {
                r.get::<_, String>(3)
            })
            .expect("rows");
        rows.map(|r| r.expect("row")).collect::<Vec<_>>().join("; ")
    }

    #[tokio::test]
    async fn lookups_probe_the_native_id_index() {
        let probe = "SEARCH agents USING INDEX agents_by_native_id (tenant=? AND native_id=?)";
        for n in [1, 3, CHUNK] {
            let got = plan(&lookup_sql(n)).await;
            assert!(got.contains(probe), "a lookup of {n}: {got}");
            assert!(!got.contains("agents_by_id"), "a lookup of {n}: {got}");
        }
        let got = plan(&resolve_sql("native_id")).await;
        assert!(got.contains(probe), "a resolve: {got}");
    }
}
