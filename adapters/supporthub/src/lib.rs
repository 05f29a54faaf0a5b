//! agentgw-supporthub: the `supporthub` dialect (a Laravel app with spatie/laravel-query-builder),
//! seed `002_60d70e472943b4d9`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `validate` speaks Laravel's validation messages, `paginate` builds Laravel's page envelope,
//! `inbound` serves it all, `outbound` calls a real server of it, `error` renders failures in Laravel's bodies.

mod error;
mod inbound;
mod kit;
mod mapping;
mod openapi;
mod outbound;
mod paginate;
mod validate;
mod wire;

use agentgw_core::{CredentialShape, Dialect, NoSettings, Settings};
use agentgw_inbound::Adapter;

/// The supporthub dialect: `Authorization: Bearer`, paths below `/api/agents`.
pub static ADAPTER: Adapter = Adapter {
    dialect: Dialect {
        name: mapping::DIALECT,
        root: "/api/agents",
        credential: CredentialShape::Token,
        upstream_credentials: &[CredentialShape::Token],
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
