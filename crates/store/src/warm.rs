//! PostgreSQL connections opened and prepared before the gateway accepts.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Executor, SqlSafeStr};

/// The options of a gateway's PostgreSQL pool of `size` connections: all of them kept open,
/// so that no request waits for one being set up.
pub(crate) fn postgres_pool(size: u32, acquire_timeout: Duration) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(size)
        .acquire_timeout(acquire_timeout)
}

/// Open `size` connections of `pool` at once and prepare on each the statements of every
/// read by id, so that the first requests find them ready.
pub(crate) async fn fill(pool: &AnyPool, size: u32) -> Result<(), sqlx::Error> {
    let mut held = Vec::new();
    for _ in 0..size {
        held.push(pool.acquire().await?);
    }
    for conn in &mut held {
        for sql in hot_statements() {
            conn.prepare(sqlx::AssertSqlSafe(sql).into_sql_str())
                .await?;
        }
    }
    Ok(())
}

/// The statements a request runs most: reads by each kind of id, of agents and of mappings.
fn hot_statements() -> Vec<String> {
    ["id", "guid", "short_id"]
        .iter()
        .flat_map(|column| {
            [
                crate::tenant::fetch_sql(column),
                crate::idmap::resolve_sql(column),
            ]
        })
        .collect()
}
