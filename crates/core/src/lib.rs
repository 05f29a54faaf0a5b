//! agentgw-core: what every face and every backend agree on — the backend trait, its errors,
//! how an adapter describes its dialect, and the configuration contract. No HTTP, no
//! database, and no dialect by name: each adapter describes its own.

pub mod backend;
pub mod config;
pub mod credentials;
pub mod dialect;
pub mod error;
pub mod rates;
pub mod remote;
pub mod secret;
pub mod telemetry;
pub mod tokens;
pub mod trace;

pub use backend::{Backend, Batches, Listed, MigrationTarget, TeamRegistry};
pub use config::{
    Config, ConfigError, Dialects, PasswordPolicy, RouteConfig, ServerConfig, StoreConfig,
    UpstreamConfig, UpstreamDefaults,
};
pub use credentials::{
    Credential, CredentialSet, CredentialShape, OAuthGrant, RawCredential, resolve_secrets,
};
pub use dialect::{DecodeSettings, Dialect, DialectSettings, MakeRemote, NoSettings, Settings};
pub use error::{BackendError, Outage, retry_after_secs};
pub use rates::{Gcra, RateKeeper, RateLimit, Reservation, Scope, micros};
pub use remote::{FilterSupport, Remote, RemoteAgent, RemotePage, RemoteProfile};
pub use secret::Secret;
pub use tokens::{MemoryTokens, RemoteEnv, Renewal, SignInState, TokenKeeper, Tokens};
pub use trace::TraceContext;
