//! agentgw-ndoto: the `ndoto` dialect (a Chatwoot derivative), seed `000_df7f70da4efb45c8`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `inbound` serves it, `error` renders failures in the dialect's own bodies.

pub mod error;
pub mod inbound;
pub mod mapping;
pub mod outbound;
pub mod wire;

pub use inbound::configure;
