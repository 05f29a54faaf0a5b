//! Renewable upstream credentials: where their tokens are kept, and how signing in stands.
//!
//! An OAuth refresh token that rotates may be spent once: gateways sharing a store must renew
//! one at a time, each starting from the newest token, and a restart must find it. A
//! [`TokenKeeper`] (the embedded store) holds the upstream's tokens under a lock that spans the
//! renewal; what renews them (the grant) is the outbound client's.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{BackendError, Secret};

/// An upstream's current tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    /// The access token calls carry.
    pub access: Secret,
    /// When the access token stops being accepted.
    pub expires_at: DateTime<Utc>,
    /// The refresh token the next renewal spends.
    pub refresh: Secret,
}

/// One renewal: given what is stored, the tokens to keep from now on.
#[async_trait]
pub trait Renewal: Send + Sync {
    /// `stored` is `None` when nothing is stored for this grant yet (or the configuration
    /// was given another refresh token since); the result replaces it.
    async fn renew(&self, stored: Option<Tokens>) -> Result<Tokens, BackendError>;
}

/// Where renewable tokens are kept.
#[async_trait]
pub trait TokenKeeper: Send + Sync {
    /// The tokens stored for `upstream`'s grant `seed` (a digest of the configured refresh
    /// token), if any.
    async fn load(&self, upstream: &str, seed: &str) -> Result<Option<Tokens>, BackendError>;

    /// Holding `upstream`'s lock (one renewal at a time, across every gateway on the store),
    /// give `renewal` what is stored and store what it returns.
    async fn renew(
        &self,
        upstream: &str,
        seed: &str,
        renewal: &dyn Renewal,
    ) -> Result<Tokens, BackendError>;
}

/// What an outbound client may use besides its configuration.
#[derive(Clone)]
pub struct RemoteEnv {
    /// Where renewable tokens are kept.
    pub tokens: Arc<dyn TokenKeeper>,
    /// Where rate budgets several gateways share are kept (PostgreSQL); `None`: each
    /// gateway keeps its budgets in its own process (SQLite, tools).
    pub rates: Option<Arc<dyn crate::RateKeeper>>,
}

/// How an upstream's sign-in stands (renewable credentials only), for `/readyz` and the
/// status page. Never holds a credential.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SignInState {
    /// `oauth` or `login`.
    pub kind: &'static str,
    /// When the current access token expires, when known.
    pub expires_at: Option<DateTime<Utc>>,
    /// The last successful renewal (or login).
    pub renewed_at: Option<DateTime<Utc>>,
    /// The last failure: when, and why (the authorization server's error code).
    pub failed: Option<(DateTime<Utc>, String)>,
    /// Whether signing in is failing now (calls answer 502 until it works again).
    pub failing: bool,
}

/// A keeper that keeps tokens in this process only: for tests and tools without a store.
#[derive(Default)]
pub struct MemoryTokens {
    kept: tokio::sync::Mutex<std::collections::HashMap<(String, String), Tokens>>,
}

#[async_trait]
impl TokenKeeper for MemoryTokens {
    async fn load(&self, upstream: &str, seed: &str) -> Result<Option<Tokens>, BackendError> {
        let kept = self.kept.lock().await;
        Ok(kept.get(&(upstream.to_owned(), seed.to_owned())).cloned())
    }

    async fn renew(
        &self,
        upstream: &str,
        seed: &str,
        renewal: &dyn Renewal,
    ) -> Result<Tokens, BackendError> {
        let mut kept = self.kept.lock().await;
        let key = (upstream.to_owned(), seed.to_owned());
        let tokens = renewal.renew(kept.get(&key).cloned()).await?;
        kept.insert(key, tokens.clone());
        Ok(tokens)
    }
}
