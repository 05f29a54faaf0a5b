//! agentgw-livechat: the `livechat` dialect (Rocket.Chat `livechat/users/:type`),
//! seed `001_b8e5946bb7eec88f`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `inbound` serves it, `outbound` calls a real server of it, `error` renders failures in
//! Rocket.Chat's own bodies, `settings` holds a route's register policy. [`ADAPTER`] is all
//! the gateway needs to know of it.

mod error;
mod inbound;
mod kit;
mod mapping;
mod openapi;
mod outbound;
mod settings;
mod wire;

use agentgw_core::{CredentialShape, Dialect, NoSettings, Settings};
use agentgw_inbound::Adapter;

/// The livechat dialect: `X-User-Id` + `X-Auth-Token`, paths below `/api/v1/livechat`.
pub static ADAPTER: Adapter = Adapter {
    dialect: Dialect {
        name: mapping::DIALECT,
        root: "/api/v1/livechat",
        credential: CredentialShape::UserToken,
        upstream_credentials: &[CredentialShape::UserToken, CredentialShape::Login],
        route_settings: Settings::decode::<settings::RouteSettings>,
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
