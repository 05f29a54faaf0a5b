//! agentgw-comm100: the `comm100` dialect (Comm100 API v4 global agents),
//! seed `004_1f8e998a7dffd3ad`.
//!
//! `wire` mirrors the vendor JSON, `zone` converts Windows zone ids, `mapping` translates to
//! and from the canonical model, `inbound` serves it (colon verbs included), `error` renders
//! `{code, message}`.

pub mod error;
pub mod inbound;
pub mod mapping;
pub mod outbound;
pub mod wire;
pub mod zone;

pub use inbound::configure;
