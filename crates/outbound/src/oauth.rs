//! The OAuth 2.0 refresh-token grant (RFC 6749 §6) as a [`SignIn`], through the `oauth2`
//! crate, which any dialect's upstream may use; its tokens live in the store (a
//! [`TokenKeeper`]) so that gateways sharing it renew one at a time from the newest token.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use agentgw_core::{BackendError, OAuthGrant, Renewal, SignInState, TokenKeeper, Tokens};
use async_trait::async_trait;
use chrono::Utc;
use reqwest::header::HeaderValue;

use crate::signin::{Backoff, Session, SignIn, refused_error};

/// The refresh-token grant of one upstream, through the `oauth2` crate, its tokens shared with
/// every gateway on the store.
pub struct OAuth {
    upstream: String,
    grant: OAuthGrant,
    /// A digest of the configured refresh token: the store's row for this grant.
    seed: String,
    keeper: Arc<dyn TokenKeeper>,
    http: reqwest::Client,
    now: Mutex<Current>,
    /// One renewal at a time in this process (the keeper orders processes).
    renewing: tokio::sync::Mutex<()>,
}

#[derive(Default)]
struct Current {
    tokens: Option<Tokens>,
    serial: u64,
    state: SignInState,
    backoff: Backoff,
}

/// A token is renewed this long before it expires: a tenth of its life, at most a minute.
fn margin(tokens: &Tokens) -> chrono::Duration {
    let life = tokens.expires_at - Utc::now();
    (life / 10).min(chrono::Duration::seconds(60))
}

fn fresh(tokens: &Tokens) -> bool {
    tokens.expires_at - margin(tokens) > Utc::now()
}

impl OAuth {
    /// The grant `grant` of `upstream`, calling its token endpoint within `timeout`.
    pub fn new(
        upstream: &str,
        grant: OAuthGrant,
        keeper: Arc<dyn TokenKeeper>,
        timeout: Duration,
    ) -> Result<OAuth, BackendError> {
        use sha2::Digest;
        let seed = sha2::Sha256::digest(grant.refresh_token.expose().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let http = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| BackendError::Internal(format!("upstream `{upstream}`: {e}")))?;
        Ok(OAuth {
            upstream: upstream.to_owned(),
            grant,
            seed,
            keeper,
            http,
            now: Mutex::new(Current {
                state: SignInState {
                    kind: "oauth",
                    ..SignInState::default()
                },
                ..Current::default()
            }),
            renewing: tokio::sync::Mutex::new(()),
        })
    }

    fn current(&self) -> std::sync::MutexGuard<'_, Current> {
        self.now.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The session of the tokens held now, if they are fresh and not `refused`.
    fn held(&self, refused: Option<u64>) -> Option<Session> {
        let now = self.current();
        let tokens = now.tokens.as_ref().filter(|t| fresh(t))?;
        if refused == Some(now.serial) {
            return None;
        }
        bearer(&tokens.access, now.serial)
    }

    /// While a refused grant waits for its next try: the 502 to answer.
    fn waiting(&self) -> Option<BackendError> {
        let now = self.current();
        let why = now.state.failed.as_ref().map(|(_, why)| why.clone())?;
        now.backoff
            .waiting()
            .filter(|_| now.state.failing)
            .map(|_| refused_error(&self.upstream, &why))
    }

    /// New tokens (or another gateway's newer ones), once, for every caller waiting.
    async fn renew(&self, refused: Option<u64>) -> Result<Session, BackendError> {
        let _one = self.renewing.lock().await;
        if let Some(session) = self.held(refused) {
            return Ok(session);
        }
        if let Some(e) = self.waiting() {
            return Err(e);
        }
        let refused_access = refused.and_then(|_| {
            self.current()
                .tokens
                .as_ref()
                .map(|t| t.access.expose().to_owned())
        });
        let renewal = Grant {
            oauth: self,
            refused_access,
        };
        let renewed = self
            .keeper
            .renew(&self.upstream, &self.seed, &renewal)
            .await;
        let mut now = self.current();
        match renewed {
            Ok(tokens) => {
                let changed = now.tokens.as_ref() != Some(&tokens);
                if changed {
                    now.serial += 1;
                }
                now.state.expires_at = Some(tokens.expires_at);
                now.state.failing = false;
                now.backoff.reset();
                now.tokens = Some(tokens);
                let serial = now.serial;
                let access = now.tokens.as_ref().map(|t| t.access.clone());
                drop(now);
                access.and_then(|a| bearer(&a, serial)).ok_or_else(|| {
                    refused_error(&self.upstream, "an access token not fit for a header")
                })
            }
            Err(e) => {
                let why = match &e {
                    BackendError::Upstream { message, .. } => message.clone(),
                    other => other.to_string(),
                };
                if !now.state.failing {
                    tracing::error!(
                        upstream = %self.upstream,
                        reason = %why,
                        "upstream sign-in refused: calls answer 502 until it works again (give the upstream a new refresh token and reload)"
                    );
                } else {
                    tracing::warn!(upstream = %self.upstream, reason = %why, "upstream sign-in still refused");
                }
                now.state.failing = true;
                now.state.failed = Some((Utc::now(), why.clone()));
                now.backoff.failed();
                agentgw_core::telemetry::UPSTREAM_TOKEN_RENEWALS
                    .counter([self.upstream.clone().into(), "refused".into()])
                    .increment(1);
                Err(refused_error(&self.upstream, &why))
            }
        }
    }

    /// Call the token endpoint with `refresh`: the new tokens (keeping `refresh` when the
    /// server does not rotate it).
    async fn exchange(&self, refresh: &agentgw_core::Secret) -> Result<Tokens, BackendError> {
        use oauth2::{
            AuthType, ClientId, ClientSecret, RefreshToken, RequestTokenError, TokenResponse,
            TokenUrl,
        };
        let url = TokenUrl::new(self.grant.token_url.clone())
            .map_err(|e| BackendError::Internal(format!("token_url: {e}")))?;
        let client = oauth2::basic::BasicClient::new(ClientId::new(self.grant.client_id.clone()))
            .set_token_uri(url)
            // RFC 6749 §2.3.1 allows either; Comm100 documents the form body.
            .set_auth_type(AuthType::RequestBody);
        let client = match &self.grant.client_secret {
            Some(s) => client.set_client_secret(ClientSecret::new(s.expose().to_owned())),
            None => client,
        };
        let client_http = self.http.clone();
        let http = move |request: oauth2::HttpRequest| send(client_http.clone(), request);
        let answered = client
            .exchange_refresh_token(&RefreshToken::new(refresh.expose().to_owned()))
            .request_async(&http)
            .await;
        let token = answered.map_err(|e| match e {
            RequestTokenError::ServerResponse(r) => BackendError::Upstream {
                status: Some(400),
                message: r.error().to_string(),
            },
            RequestTokenError::Request(e) => BackendError::Upstream {
                status: None,
                message: format!("token endpoint unreachable: {e}"),
            },
            RequestTokenError::Parse(e, _) => BackendError::Upstream {
                status: None,
                message: format!("token endpoint answered what is not a token: {e}"),
            },
            RequestTokenError::Other(e) => BackendError::Upstream {
                status: None,
                message: format!("token endpoint: {e}"),
            },
        })?;
        // Without `expires_in` the token lasts until it is refused (then renewed).
        let life = token.expires_in().unwrap_or(Duration::from_secs(24 * 3600));
        agentgw_core::telemetry::UPSTREAM_TOKEN_RENEWALS
            .counter([self.upstream.clone().into(), "ok".into()])
            .increment(1);
        let mut now = self.current();
        now.state.renewed_at = Some(Utc::now());
        drop(now);
        Ok(Tokens {
            access: agentgw_core::Secret::new(token.access_token().secret().clone()),
            expires_at: Utc::now()
                + chrono::Duration::from_std(life).unwrap_or(chrono::Duration::hours(24)),
            refresh: token
                .refresh_token()
                .map(|r| agentgw_core::Secret::new(r.secret().clone()))
                .unwrap_or_else(|| refresh.clone()),
        })
    }
}

/// One HTTP exchange for the `oauth2` crate, through this project's reqwest (no second HTTP
/// client in the build).
async fn send(
    http: reqwest::Client,
    request: oauth2::HttpRequest,
) -> Result<oauth2::HttpResponse, reqwest::Error> {
    let request = reqwest::Request::try_from(request.map(reqwest::Body::from))?;
    let response = http.execute(request).await?;
    let mut out = oauth2::HttpResponse::new(Vec::new());
    *out.status_mut() = response.status();
    *out.headers_mut() = response.headers().clone();
    *out.body_mut() = response.bytes().await?.to_vec();
    Ok(out)
}

/// `Authorization: Bearer <access>`.
fn bearer(access: &agentgw_core::Secret, serial: u64) -> Option<Session> {
    let mut value = HeaderValue::from_str(&format!("Bearer {}", access.expose())).ok()?;
    value.set_sensitive(true);
    Some(Session {
        headers: vec![(reqwest::header::AUTHORIZATION, value)],
        serial,
    })
}

/// One renewal under the keeper's lock.
struct Grant<'a> {
    oauth: &'a OAuth,
    /// The access token the upstream refused, if a refusal asked for this renewal.
    refused_access: Option<String>,
}

#[async_trait]
impl Renewal for Grant<'_> {
    async fn renew(&self, stored: Option<Tokens>) -> Result<Tokens, BackendError> {
        // Another gateway renewed since: its tokens serve, and no refresh token is spent.
        if let Some(stored) = &stored
            && fresh(stored)
            && self.refused_access.as_deref() != Some(stored.access.expose())
        {
            return Ok(stored.clone());
        }
        let refresh = stored
            .as_ref()
            .map(|s| s.refresh.clone())
            .unwrap_or_else(|| self.oauth.grant.refresh_token.clone());
        self.oauth.exchange(&refresh).await
    }
}

#[async_trait]
impl SignIn for OAuth {
    async fn session(&self) -> Result<Session, BackendError> {
        if let Some(session) = self.held(None) {
            return Ok(session);
        }
        if let Some(e) = self.waiting() {
            return Err(e);
        }
        // Another gateway (or this one before a restart) may hold fresh tokens already.
        if self.current().tokens.is_none()
            && let Ok(Some(stored)) = self.keeper.load(&self.upstream, &self.seed).await
            && fresh(&stored)
        {
            let mut now = self.current();
            if now.tokens.is_none() {
                now.serial += 1;
                now.state.expires_at = Some(stored.expires_at);
                now.tokens = Some(stored);
            }
        }
        match self.held(None) {
            Some(session) => Ok(session),
            None => self.renew(None).await,
        }
    }

    async fn refused(&self, session: &Session) -> Result<(), BackendError> {
        self.renew(Some(session.serial)).await.map(drop)
    }

    fn state(&self) -> SignInState {
        self.current().state.clone()
    }
}
