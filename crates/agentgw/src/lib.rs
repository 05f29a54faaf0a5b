//! agentgw: the gateway binary's library — command line, face registry and server assembly.
//! Kept as a library so end-to-end tests run exactly this code in a real process.

mod backends;
mod cli;
mod faces;
mod logs;
mod migrate;
mod server;

pub use cli::run;
