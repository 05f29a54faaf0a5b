//! A PostgreSQL database of its own for a test: a fresh schema on the server named by
//! `AGENTGW_TEST_POSTGRES_URL`, reached through `options[search_path]` in the URL.
//! The server keeps no state between runs: schemas of runs older than an hour are dropped.

use std::sync::atomic::{AtomicU32, Ordering};

use sqlx::{Connection, Executor};

/// The environment variable naming the test server.
pub const ENV: &str = "AGENTGW_TEST_POSTGRES_URL";

/// A URL for a schema no other test uses; `None` (printed as SKIPPED) when no server is
/// configured, and a failure under CI, where one must be.
pub async fn fresh_url() -> Option<String> {
    let base = match std::env::var(ENV) {
        Ok(base) => base,
        Err(_) if std::env::var_os("CI").is_some() => panic!("{ENV} must be set in CI"),
        Err(_) => {
            eprintln!("SKIPPED: a PostgreSQL case (set {ENV} to run it)");
            return None;
        }
    };
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let schema = format!(
        "agentgw_t_{secs}_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&base)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to {ENV}: {e}"));
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
        .await
        .unwrap_or_else(|e| panic!("cannot create schema {schema}: {e}"));
    drop_old_schemas(&mut conn, secs).await;
    let _ = conn.close().await;
    let sep = if base.contains('?') { '&' } else { '?' };
    Some(format!("{base}{sep}options[search_path]={schema}"))
}

async fn drop_old_schemas(conn: &mut sqlx::AnyConnection, now: u64) {
    let old: Vec<String> =
        sqlx::query_scalar("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'agentgw\\_t\\_%'")
            .fetch_all(&mut *conn)
            .await
            .unwrap_or_default();
    for name in old {
        let born: u64 = name
            .split('_')
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(u64::MAX);
        if born.saturating_add(3600) < now {
            let _ = conn
                .execute(sqlx::AssertSqlSafe(format!(
                    "DROP SCHEMA IF EXISTS {name} CASCADE"
                )))
                .await;
        }
    }
}
