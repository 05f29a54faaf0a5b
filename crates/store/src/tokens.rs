//! Renewable upstream tokens (`upstream_tokens`): the store as the [`TokenKeeper`] of every
//! gateway on it.
//!
//! A renewal holds the upstream's lock for as long as it runs — the token endpoint's answer
//! included — so that a rotating refresh token is spent once: on PostgreSQL a transaction
//! advisory lock on the upstream's name (other gateways' renewals wait, nothing else does); on
//! SQLite the write lock (`BEGIN IMMEDIATE`; writes wait for one token request, once per
//! token lifetime), which also orders an `agentgw migrate` beside the gateway.

use agentgw_core::{BackendError, Renewal, Secret, TokenKeeper, Tokens};
use async_trait::async_trait;
use chrono::Utc;
use sqlx::Row;
use sqlx::any::AnyRow;

use crate::record::{db_error, parse_ts, ts};
use crate::{Database, Store};

const SELECT: &str = "SELECT access_token, expires_at, refresh_token FROM upstream_tokens WHERE upstream = $1 AND seed = $2";

fn tokens(row: &AnyRow) -> Result<Tokens, BackendError> {
    let text = |c: &str| row.try_get::<String, _>(c).map_err(db_error);
    Ok(Tokens {
        access: Secret::new(text("access_token")?),
        expires_at: parse_ts(&text("expires_at")?)?,
        refresh: Secret::new(text("refresh_token")?),
    })
}

#[async_trait]
impl TokenKeeper for Store {
    async fn load(&self, upstream: &str, seed: &str) -> Result<Option<Tokens>, BackendError> {
        let row = sqlx::query(SELECT)
            .bind(upstream.to_owned())
            .bind(seed.to_owned())
            .fetch_optional(self.pools.read()?)
            .await
            .map_err(db_error)?;
        row.as_ref().map(tokens).transpose()
    }

    async fn renew(
        &self,
        upstream: &str,
        seed: &str,
        renewal: &dyn Renewal,
    ) -> Result<Tokens, BackendError> {
        let write = self.pools.write()?;
        let mut tx = match self.database {
            Database::Sqlite => write.begin_with("BEGIN IMMEDIATE").await,
            Database::Postgres => write.begin().await,
        }
        .map_err(db_error)?;
        if self.database == Database::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(hashtext('agentgw upstream token ' || $1))")
                .bind(upstream.to_owned())
                .execute(&mut *tx)
                .await
                .map_err(db_error)?;
        }
        let stored = sqlx::query(SELECT)
            .bind(upstream.to_owned())
            .bind(seed.to_owned())
            .fetch_optional(&mut *tx)
            .await
            .map_err(db_error)?
            .as_ref()
            .map(tokens)
            .transpose()?;
        let unchanged = stored.clone();
        // A refused grant rolls back (dropping `tx`): nothing stored changes.
        let renewed = renewal.renew(stored).await?;
        if Some(&renewed) == unchanged.as_ref() {
            tx.commit().await.map_err(db_error)?;
            return Ok(renewed);
        }
        // The old refresh token may be spent now: the new one must not be lost with a failed
        // write. Kept in memory, it serves this process; the log says what a restart needs.
        let stored = async {
            sqlx::query(
                "INSERT INTO upstream_tokens (upstream, seed, access_token, expires_at, refresh_token, updated_at) \
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (upstream) DO UPDATE SET seed = $2, \
                 access_token = $3, expires_at = $4, refresh_token = $5, updated_at = $6",
            )
            .bind(upstream.to_owned())
            .bind(seed.to_owned())
            .bind(renewed.access.expose().to_owned())
            .bind(ts(renewed.expires_at))
            .bind(renewed.refresh.expose().to_owned())
            .bind(ts(Utc::now()))
            .execute(&mut *tx)
            .await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = stored {
            tracing::error!(
                upstream,
                error = %db_error(e),
                "renewed upstream tokens could not be stored: this process goes on with them, but another gateway or a restart may need a new refresh token"
            );
        }
        Ok(renewed)
    }
}
