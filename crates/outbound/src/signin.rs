//! Credentials that expire: a session the client asks for before each call and renews when
//! the upstream refuses it.
//!
//! [`SignIn`] is what the client needs, and the first layer of every call: its session's
//! headers go on the call, and a 401 renews the session once before the call is sent again.
//! [`crate::OAuth`] (oauth.rs) is the OAuth 2.0 refresh-token grant; a dialect's own login
//! (Rocket.Chat's `POST /api/v1/login`) implements [`SignIn`] in its adapter.

use std::sync::Arc;
use std::time::{Duration, Instant};

use agentgw_core::{BackendError, SignInState};
use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

/// The headers one signed-in session adds to a call, and which session it is.
#[derive(Debug, Clone)]
pub struct Session {
    pub headers: Vec<(HeaderName, HeaderValue)>,
    /// Changes whenever the session is renewed: a refusal names the session it refused.
    pub serial: u64,
}

/// Credentials that are obtained, and renewed, while the gateway runs.
#[async_trait]
pub trait SignIn: Send + Sync + 'static {
    /// The session for the next call, signing in first when there is none (or it expired).
    async fn session(&self) -> Result<Session, BackendError>;

    /// The upstream refused `session` (401): sign in again, once for every caller that saw
    /// that session refused.
    async fn refused(&self, session: &Session) -> Result<(), BackendError>;

    /// How signing in stands.
    fn state(&self) -> SignInState;
}

/// The first wait after a refused sign-in; each further refusal doubles it.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(5);
/// The longest wait between two attempts at a refused sign-in.
pub const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Whether, and until when, a failing sign-in waits before it tries again; one per upstream.
#[derive(Debug, Default)]
pub struct Backoff {
    until: Option<Instant>,
    wait: Duration,
}

impl Backoff {
    /// The wait left, if any.
    pub fn waiting(&self) -> Option<Duration> {
        self.until
            .and_then(|u| u.checked_duration_since(Instant::now()))
            .filter(|d| !d.is_zero())
    }

    /// A failure: wait longer than last time.
    pub fn failed(&mut self) {
        self.wait = if self.wait.is_zero() {
            FIRST_BACKOFF
        } else {
            (self.wait * 2).min(MAX_BACKOFF)
        };
        self.until = Some(Instant::now() + self.wait);
    }

    /// A success: no more waiting.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

/// The 502 a call gets while its upstream's sign-in is refused.
pub fn refused_error(upstream: &str, why: &str) -> BackendError {
    BackendError::Upstream {
        status: None,
        message: format!("upstream `{upstream}` refused the gateway's sign-in ({why})"),
    }
}

/// The sign-in layer of one client: static credentials (nothing to do), or a session asked
/// for before each attempt and renewed once per call when the upstream refuses it.
#[derive(Clone, Default)]
pub(crate) struct SignInLayer {
    sign_in: Option<Arc<dyn SignIn>>,
}

impl SignInLayer {
    /// Sessions from `sign_in`.
    pub fn new(sign_in: Arc<dyn SignIn>) -> SignInLayer {
        SignInLayer {
            sign_in: Some(sign_in),
        }
    }

    /// How signing in stands, for credentials that expire.
    pub fn state(&self) -> Option<SignInState> {
        self.sign_in.as_ref().map(|s| s.state())
    }

    /// The session for the next attempt (none with static credentials).
    pub async fn session(&self) -> Result<Option<Session>, BackendError> {
        match &self.sign_in {
            Some(sign_in) => sign_in.session().await.map(Some),
            None => Ok(None),
        }
    }

    /// Put `session`'s headers on a call.
    pub fn apply(session: Option<&Session>, headers: &mut HeaderMap) {
        for (name, value) in session.iter().flat_map(|s| &s.headers) {
            headers.insert(name.clone(), value.clone());
        }
    }

    /// Whether the call is sent again because the upstream refused `session` (a 401) and it
    /// was renewed: once per call. A 401 did nothing upstream, so even a POST may be.
    pub async fn renewed(
        &self,
        status: StatusCode,
        session: Option<&Session>,
        renewed_before: &mut bool,
    ) -> Result<bool, BackendError> {
        match (&self.sign_in, session) {
            (Some(sign_in), Some(session))
                if status == StatusCode::UNAUTHORIZED && !*renewed_before =>
            {
                *renewed_before = true;
                sign_in.refused(session).await?;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
}
