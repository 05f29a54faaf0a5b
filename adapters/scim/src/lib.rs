//! agentgw-scim: the `scim` dialect — SCIM 2.0 (RFC 7643 the schema, RFC 7644 the protocol),
//! how identity providers (Okta, Entra ID, OneLogin, JumpCloud, Keycloak) provision agents.
//!
//! `wire` mirrors SCIM's JSON, `mapping` translates Users to and from the canonical model,
//! `filter` turns SCIM filters into canonical conditions, `patch` applies PATCH operations,
//! `schema` describes the face (discovery), `inbound` serves it, `outbound` calls a SCIM
//! service provider, `error` renders SCIM Error bodies, `openapi` describes the face.
//! [`ADAPTER`] is all the gateway needs to know of it.

pub mod error;
pub mod filter;
pub mod groups;
pub mod inbound;
pub mod kit;
pub mod mapping;
pub mod openapi;
pub mod outbound;
pub mod patch;
pub mod schema;
pub mod settings;
pub mod wire;

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
