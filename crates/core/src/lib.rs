//! agentgw-core: what every face and every backend agree on — the backend trait, its errors,
//! the dialect list, and the configuration contract. No HTTP and no database here.

pub mod backend;
pub mod config;
pub mod credentials;
pub mod dialect;
pub mod error;
pub mod secret;

pub use backend::{Backend, Capabilities, FilterSupport, Verbs};
pub use config::{
    Config, ConfigError, RouteConfig, RoutePolicy, ServerConfig, StoreConfig, UnknownUsername,
};
pub use credentials::{Credential, CredentialSet};
pub use dialect::Dialect;
pub use error::{BackendError, Origin};
pub use secret::Secret;
