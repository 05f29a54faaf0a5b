//! agentgw: the gateway binary's library — command line, face registry and server assembly.
//! Kept as a library so end-to-end tests run exactly this code in a real process.

mod cli;
mod faces;
mod server;

pub use cli::run;
