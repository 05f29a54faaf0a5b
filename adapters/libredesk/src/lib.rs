//! agentgw-libredesk: the `libredesk` dialect (Libredesk, Go), seed `003_4f4195e6fab4f0e8`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `auth` reads its two credential schemes, `inbound` serves it, `outbound` calls a real server of it, `error` renders failures in
//! its `{status, message, data, error_type}` envelope.

mod auth;
mod error;
mod inbound;
mod kit;
mod mapping;
mod openapi;
mod outbound;
mod wire;

use agentgw_core::{CredentialShape, Dialect, NoSettings, Settings};
use agentgw_inbound::Adapter;

/// The libredesk dialect: `Authorization: Basic` or `token key:secret`, paths below `/api/v1/agents`.
pub static ADAPTER: Adapter = Adapter {
    dialect: Dialect {
        name: mapping::DIALECT,
        root: "/api/v1/agents",
        credential: CredentialShape::KeySecret,
        upstream_credentials: &[CredentialShape::KeySecret],
        route_settings: Settings::decode::<NoSettings>,
        upstream_settings: Settings::decode::<NoSettings>,
        remote: outbound::remote,
    },
    configure: inbound::configure,
    kit: &kit::KIT,
    openapi: openapi::document,
};

/// What this adapter's golden tests reach inside it. Not an API: the gateway knows an adapter
/// only by [`ADAPTER`].
#[doc(hidden)]
pub mod testing {
    pub mod mapping {
        pub use crate::mapping::*;
    }
    pub mod wire {
        pub use crate::wire::*;
    }
}
