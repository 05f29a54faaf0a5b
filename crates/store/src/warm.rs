//! PostgreSQL connections opened and prepared before the gateway accepts.

use std::time::Duration;

use sqlx::any::AnyPoolOptions;
use sqlx::{AnyPool, Connection, Executor, SqlSafeStr};

/// A connection idle for longer than this is tested (one round trip) before a request uses it.
const TEST_IDLE_AFTER: Duration = Duration::from_secs(1);

/// The options of a gateway's PostgreSQL pool of `size` connections: all of them kept open,
/// so that no request waits for one being set up.
///
/// sqlx tests every connection with a round trip (`Sync`) before handing it out, and again
/// when it is given back: three round trips to the server per query. The one on release
/// stays (it is sqlx's, and catches a connection left mid-statement); the one before use is
/// made only for a connection idle for a while — one used within the last second was
/// answering then, and a connection that died since fails its query like any other: a 503
/// the client may retry, and sqlx drops the connection.
pub(crate) fn postgres_pool(size: u32, acquire_timeout: Duration) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(size)
        .min_connections(size)
        .acquire_timeout(acquire_timeout)
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= TEST_IDLE_AFTER {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
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
