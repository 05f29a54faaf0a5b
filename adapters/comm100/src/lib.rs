//! agentgw-comm100: the `comm100` dialect (Comm100 API v4 global agents),
//! seed `004_1f8e998a7dffd3ad`.
//!
//! `wire` mirrors the vendor JSON, `zone` converts Windows zone ids, `mapping` translates to
//! and from the canonical model, `inbound` serves it (colon verbs included), `outbound` calls a real server of it, `error` renders
//! `{code, message}`.

mod error;
mod inbound;
mod kit;
mod mapping;
mod openapi;
mod outbound;
mod wire;
mod zone;

use agentgw_core::{CredentialShape, Dialect, NoSettings, Settings};
use agentgw_inbound::Adapter;

/// The comm100 dialect: `Authorization: Bearer`, paths below `/v4`.
pub static ADAPTER: Adapter = Adapter {
    dialect: Dialect {
        name: mapping::DIALECT,
        root: "/v4",
        credential: CredentialShape::Token,
        upstream_credentials: &[
            CredentialShape::Token,
            CredentialShape::ApiKey,
            CredentialShape::OAuth,
        ],
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
