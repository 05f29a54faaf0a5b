//! agentgw-livechat: the `livechat` dialect (Rocket.Chat `livechat/users/:type`),
//! seed `001_b8e5946bb7eec88f`.
//!
//! `wire` mirrors the vendor JSON, `mapping` translates it to and from the canonical model,
//! `inbound` serves it, `error` renders failures in Rocket.Chat's own bodies.

pub mod error;
pub mod inbound;
pub mod mapping;
pub mod outbound;
pub mod wire;

pub use inbound::configure;
