//! agentgw: the gateway binary's library — command line, face registry and server assembly.
//! Kept as a library so end-to-end tests run exactly this code in a real process.

mod access;
mod adapters;
mod admin;
mod backends;
mod cli;
mod logs;
mod migrate;
mod otlp;
mod readiness;
mod server;
mod status;

pub use adapters::{ADAPTERS, adapter, dialects};
pub use cli::run;
