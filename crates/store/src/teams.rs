//! One tenant's teams: created on first use by name, ids and emoji assigned once.

use agentgw_core::{BackendError, TeamRegistry};
use agentgw_model::Team;
use async_trait::async_trait;
use chrono::Utc;
use sqlx::AnyPool;
use sqlx::any::AnyRow;

use crate::Pools;
use crate::ids;
use crate::record::{db_error, norm, ts};

/// The emoji a new team gets, picked by its name so the same name always gets the same one.
const EMOJI: [&str; 8] = ["🛠️", "💬", "📦", "🧭", "🎧", "🚀", "🌟", "🔧"];

fn emoji_for(name_norm: &str) -> &'static str {
    // FNV-1a: stable across runs and platforms (std's hasher is randomly seeded).
    let hash = name_norm.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    EMOJI[(hash % EMOJI.len() as u64) as usize]
}

fn team(row: &AnyRow) -> Result<Team, BackendError> {
    use sqlx::Row;
    let guid: String = row.try_get("guid").map_err(db_error)?;
    let time = |column: &str| {
        row.try_get::<Option<String>, _>(column)
            .ok()
            .flatten()
            .and_then(|t| agentgw_model::parse_time(&t))
    };
    Ok(Team {
        id: row.try_get("id").map_err(db_error)?,
        guid: guid
            .parse()
            .map_err(|e| BackendError::Internal(format!("bad stored team guid: {e}")))?,
        name: row.try_get("name").map_err(db_error)?,
        emoji: row.try_get("emoji").map_err(db_error)?,
        created_at: time("created_at"),
        updated_at: time("updated_at"),
        external_id: row
            .try_get::<Option<String>, _>("external_id")
            .ok()
            .flatten(),
    })
}

async fn by_name(
    pool: &AnyPool,
    tenant: &str,
    name_norm: &str,
) -> Result<Option<Team>, BackendError> {
    let row =
        sqlx::query("SELECT id, guid, name, emoji, created_at, updated_at, external_id FROM teams WHERE tenant = $1 AND name_norm = $2")
            .bind(tenant)
            .bind(name_norm)
            .fetch_optional(pool)
            .await
            .map_err(db_error)?;
    row.as_ref().map(team).transpose()
}

/// The teams named `names`, creating missing ones when `create` (concurrent creates of one
/// name yield one team: the unique index decides, and the loser reads the winner's row).
pub(crate) async fn named(
    pools: &Pools,
    tenant: &str,
    names: &[String],
    create: bool,
) -> Result<Vec<Team>, BackendError> {
    let mut out: Vec<Team> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        let key = norm(name);
        if out.iter().any(|t| norm(&t.name) == key) {
            continue;
        }
        let mut found = by_name(pools.read()?, tenant, &key).await?;
        if found.is_none() && create {
            sqlx::query(
                "INSERT INTO teams (tenant, guid, name, name_norm, emoji, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $6) \
                 ON CONFLICT DO NOTHING",
            )
            .bind(tenant)
            .bind(ids::guid().to_string())
            .bind(name)
            .bind(&key)
            .bind(emoji_for(&key))
            .bind(ts(Utc::now()))
            .execute(pools.write()?)
            .await
            .map_err(db_error)?;
            found = by_name(pools.read()?, tenant, &key).await?;
        }
        out.extend(found);
    }
    Ok(out)
}

/// The teams with these GUIDs, in that order; unknown GUIDs are skipped.
pub(crate) async fn by_guid(
    pool: &AnyPool,
    tenant: &str,
    guids: &[uuid::Uuid],
) -> Result<Vec<Team>, BackendError> {
    let mut out = Vec::new();
    for guid in guids {
        let row =
            sqlx::query("SELECT id, guid, name, emoji, created_at, updated_at, external_id FROM teams WHERE tenant = $1 AND guid = $2")
                .bind(tenant)
                .bind(guid.to_string())
                .fetch_optional(pool)
                .await
                .map_err(db_error)?;
        if let Some(row) = row {
            out.push(team(&row)?);
        }
    }
    Ok(out)
}

/// Every team of the tenant, oldest first.
pub(crate) async fn all(pool: &AnyPool, tenant: &str) -> Result<Vec<Team>, BackendError> {
    let rows = sqlx::query("SELECT id, guid, name, emoji, created_at, updated_at, external_id FROM teams WHERE tenant = $1 ORDER BY id")
        .bind(tenant)
        .fetch_all(pool)
        .await
        .map_err(db_error)?;
    rows.iter().map(team).collect()
}

/// Give the team `guid` the name `name` and the external id `external_id` (its ids and emoji
/// stay; unchanged values only mark it changed now); a name another team has is a conflict.
pub(crate) async fn change(
    pools: &Pools,
    tenant: &str,
    guid: uuid::Uuid,
    name: &str,
    external_id: Option<&str>,
) -> Result<Team, BackendError> {
    let name = name.trim();
    let renamed = sqlx::query(
        "UPDATE teams SET name = $1, name_norm = $2, updated_at = $3, external_id = $4 WHERE tenant = $5 AND guid = $6",
    )
    .bind(name)
    .bind(norm(name))
    .bind(ts(Utc::now()))
    .bind(external_id.map(str::to_owned))
    .bind(tenant)
    .bind(guid.to_string())
        .execute(pools.write()?)
        .await;
    match renamed {
        Ok(done) if done.rows_affected() == 0 => Err(BackendError::NotFound),
        Ok(_) => by_guid(pools.read()?, tenant, &[guid])
            .await?
            .into_iter()
            .next()
            .ok_or(BackendError::NotFound),
        Err(e) if crate::record::is_unique_violation(&e) => {
            Err(BackendError::Conflict { field: "name" })
        }
        Err(e) => Err(db_error(e)),
    }
}

/// Delete the team `guid` from the registry (its ids are never handed out again: GUIDs are
/// random, integer ids only ever grow).
pub(crate) async fn delete(
    pools: &Pools,
    tenant: &str,
    guid: uuid::Uuid,
) -> Result<(), BackendError> {
    let done = sqlx::query("DELETE FROM teams WHERE tenant = $1 AND guid = $2")
        .bind(tenant)
        .bind(guid.to_string())
        .execute(pools.write()?)
        .await
        .map_err(db_error)?;
    if done.rows_affected() == 0 {
        return Err(BackendError::NotFound);
    }
    Ok(())
}

/// One tenant's team registry: a tenant of the store, or the agents of an upstream (kept
/// beside its id map, so that team ids are stable over an upstream too).
#[derive(Clone)]
pub struct Registry {
    pools: Pools,
    tenant: String,
}

impl Registry {
    /// The registry of `tenant`.
    pub(crate) fn new(pools: Pools, tenant: &str) -> Registry {
        Registry {
            pools,
            tenant: tenant.to_owned(),
        }
    }
}

#[async_trait]
impl TeamRegistry for Registry {
    async fn named(&self, names: &[String], create: bool) -> Result<Vec<Team>, BackendError> {
        named(&self.pools, &self.tenant, names, create).await
    }

    async fn by_guid(&self, guids: &[uuid::Uuid]) -> Result<Vec<Team>, BackendError> {
        by_guid(self.pools.read()?, &self.tenant, guids).await
    }

    async fn all(&self) -> Result<Vec<Team>, BackendError> {
        all(self.pools.read()?, &self.tenant).await
    }

    async fn change(
        &self,
        guid: uuid::Uuid,
        name: &str,
        external_id: Option<&str>,
    ) -> Result<Team, BackendError> {
        change(&self.pools, &self.tenant, guid, name, external_id).await
    }

    async fn delete(&self, guid: uuid::Uuid) -> Result<(), BackendError> {
        delete(&self.pools, &self.tenant, guid).await
    }
}
