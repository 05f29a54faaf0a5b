//! Rate budgets several gateways share (`rate_budgets`, PostgreSQL only): the store as the
//! [`RateKeeper`] of every gateway on it, so that a vendor that counts calls per address or
//! per account sees one budget, not one per gateway.
//!
//! A reservation is one statement on the budget's row: the GCRA of `agentgw_core::Gcra`,
//! on the database's clock (never a gateway's), atomic under the row's lock and holding no
//! lock past it. A hold a vendor asked for pushes the same row, so every gateway waits.

use std::time::Duration;

use agentgw_core::{BackendError, Gcra, RateKeeper, Reservation, micros};
use async_trait::async_trait;

use crate::Store;
use crate::record::db_error;

/// The database's clock, in microseconds since the Unix epoch.
const NOW: &str =
    "WITH c AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint AS now)";

fn us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

#[async_trait]
impl RateKeeper for Store {
    async fn reserve(
        &self,
        key: &str,
        gcra: Gcra,
        not_before: Duration,
        max_wait: Duration,
    ) -> Result<Reservation, BackendError> {
        if not_before > max_wait {
            return Ok(Reservation::Refused(not_before));
        }
        // First call on the key: it goes at `not_before`. Later ones: the GCRA's reservation
        // (`Gcra::reserve`), unless it would wait past `max_wait`.
        let booked: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "{NOW}
             INSERT INTO rate_budgets AS b (key, tat) SELECT $1, c.now + $2 + $3 FROM c
             ON CONFLICT (key) DO UPDATE
                SET tat = GREATEST(b.tat, (SELECT now FROM c) + $2) + $3
              WHERE GREATEST(b.tat - $4, (SELECT now FROM c) + $2) <= (SELECT now FROM c) + $5
             RETURNING GREATEST(b.tat - $3 - $4, (SELECT now FROM c) + $2) - (SELECT now FROM c)"
        )))
        .bind(key.to_owned())
        .bind(us(not_before))
        .bind(gcra.interval_us)
        .bind(gcra.tolerance_us)
        .bind(us(max_wait))
        .fetch_optional(self.pools.write()?)
        .await
        .map_err(db_error)?;
        if let Some(wait) = booked {
            return Ok(Reservation::Go(micros(wait)));
        }
        let wait: Option<i64> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "{NOW} SELECT GREATEST(b.tat - $2, c.now + $3) - c.now FROM rate_budgets b, c WHERE b.key = $1"
        )))
        .bind(key.to_owned())
        .bind(gcra.tolerance_us)
        .bind(us(not_before))
        .fetch_optional(self.pools.write()?)
        .await
        .map_err(db_error)?;
        Ok(Reservation::Refused(
            micros(wait.unwrap_or(0)).max(max_wait),
        ))
    }

    async fn hold(&self, key: &str, gcra: Gcra, wait: Duration) -> Result<(), BackendError> {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "{NOW}
             INSERT INTO rate_budgets AS b (key, tat) SELECT $1, c.now + $2 + $3 FROM c
             ON CONFLICT (key) DO UPDATE SET tat = GREATEST(b.tat, EXCLUDED.tat)"
        )))
        .bind(key.to_owned())
        .bind(us(wait))
        .bind(gcra.tolerance_us)
        .execute(self.pools.write()?)
        .await
        .map_err(db_error)?;
        Ok(())
    }
}

impl Store {
    /// The keeper of budgets shared with other gateways: this store on PostgreSQL; `None`
    /// on SQLite, where each process keeps its own (one gateway per file).
    pub fn rate_keeper(&self) -> Option<std::sync::Arc<dyn RateKeeper>> {
        (self.database == crate::Database::Postgres)
            .then(|| std::sync::Arc::new(self.clone()) as std::sync::Arc<dyn RateKeeper>)
    }
}
