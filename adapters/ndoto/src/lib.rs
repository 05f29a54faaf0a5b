//! agentgw-ndoto: the `ndoto` dialect (a Chatwoot derivative), seed `000_df7f70da4efb45c8`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `inbound` serves it, `outbound` calls a real server of it, `error` renders failures in the
//! dialect's own bodies, `settings` holds its route and upstream options, `openapi` describes the face. [`ADAPTER`] is all
//! the gateway needs to know of it.

pub mod error;
pub mod inbound;
pub mod kit;
pub mod mapping;
pub mod openapi;
pub mod outbound;
pub mod settings;
pub mod wire;

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
