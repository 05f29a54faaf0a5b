//! agentgw-libredesk: the `libredesk` dialect (Libredesk, Go), seed `003_4f4195e6fab4f0e8`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `auth` reads its two credential schemes, `inbound` serves it, `error` renders failures in
//! its `{status, message, data, error_type}` envelope.

pub mod auth;
pub mod error;
pub mod inbound;
pub mod mapping;
pub mod outbound;
pub mod wire;

pub use inbound::configure;
