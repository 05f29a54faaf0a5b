//! agentgw-core: what every face and every backend agree on — the backend trait, its errors,
//! the dialect list, and the configuration contract. No HTTP and no database here.

pub mod backend;
pub mod config;
pub mod credentials;
pub mod dialect;
pub mod error;
pub mod remote;
pub mod secret;

pub use backend::{Backend, Batches, Capabilities, FilterSupport, Verbs};
pub use config::{
    Config, ConfigError, PasswordPolicy, RouteConfig, RoutePolicy, ServerConfig, StoreConfig,
    UnknownUsername, UpstreamConfig, UpstreamDefaults,
};
pub use credentials::{Credential, CredentialSet};
pub use dialect::Dialect;
pub use error::{BackendError, Origin};
pub use remote::{Remote, RemoteAgent, RemotePage};
pub use secret::Secret;
