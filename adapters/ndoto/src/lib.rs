//! agentgw-ndoto: the `ndoto` dialect (a Chatwoot derivative), seed `000_df7f70da4efb45c8`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `inbound` serves it, `outbound` calls a real server of it, `error` renders failures in the
//! dialect's own bodies, `settings` holds its route and upstream options, `openapi` describes the face. [`ADAPTER`] is all
//! the gateway needs to know of it.

mod error;
mod inbound;
mod kit;
mod mapping;
mod openapi;
mod outbound;
mod settings;
mod wire;

use agentgw_core::{CredentialShape, Dialect, Settings};
use agentgw_inbound::Adapter;

/// The ndoto dialect: `api_access_token`, paths below `/api/v1/accounts`.
pub static ADAPTER: Adapter = Adapter {
    dialect: Dialect {
        name: mapping::DIALECT,
        root: "/api/v1/accounts",
        credential: CredentialShape::Token,
        upstream_credentials: &[CredentialShape::Token],
        route_settings: Settings::decode::<settings::RouteSettings>,
        upstream_settings: Settings::decode::<settings::UpstreamSettings>,
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
