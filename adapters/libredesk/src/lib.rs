//! agentgw-libredesk: the `libredesk` dialect (Libredesk, Go), seed `003_4f4195e6fab4f0e8`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `auth` reads its two credential schemes, `inbound` serves it, `outbound` calls a real server of it, `error` renders failures in
//! its `{status, message, data, error_type}` envelope.

pub mod auth;
pub mod error;
pub mod inbound;
pub mod kit;
pub mod mapping;
pub mod openapi;
pub mod outbound;
pub mod wire;

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
