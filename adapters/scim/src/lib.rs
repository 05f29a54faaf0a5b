//! agentgw-scim: the `scim` dialect — SCIM 2.0 (RFC 7643 the schema, RFC 7644 the protocol),
//! how identity providers (Okta, Entra ID, OneLogin, JumpCloud, Keycloak) provision agents.
//!
//! `wire` mirrors SCIM's JSON, `mapping` translates Users to and from the canonical model,
//! `filter` turns SCIM filters into canonical conditions, `patch` applies PATCH operations,
//! `schema` describes the face (discovery), `inbound` serves it, `outbound` calls a SCIM
//! service provider, `error` renders SCIM Error bodies, `openapi` describes the face.
//! [`ADAPTER`] is all the gateway needs to know of it.

mod error;
mod filter;
mod groups;
mod inbound;
mod kit;
mod mapping;
mod openapi;
mod outbound;
mod patch;
mod schema;
mod settings;
mod wire;

use agentgw_core::{CredentialShape, Dialect, NoSettings, Settings};
use agentgw_inbound::Adapter;

/// The SCIM dialect: `Authorization: Bearer`, paths below `/v2`.
pub static ADAPTER: Adapter = Adapter {
    dialect: Dialect {
        name: mapping::DIALECT,
        root: "/v2",
        credential: CredentialShape::Token,
        upstream_credentials: &[CredentialShape::Token],
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
    pub mod inbound {
        pub use crate::inbound::*;
    }
    pub mod mapping {
        pub use crate::mapping::*;
    }
    pub mod outbound {
        pub use crate::outbound::*;
    }
    pub mod patch {
        pub use crate::patch::*;
    }
    pub mod wire {
        pub use crate::wire::*;
    }
}
