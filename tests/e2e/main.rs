//! End-to-end tests: each starts the real gateway binary on 127.0.0.1:0 with its own store and
//! speaks HTTP to it. One test binary, one module per subject.

/// The genuine `agentgw` binary, built by cargo for this test.
const BIN: &str = env!("CARGO_BIN_EXE_agentgw");

/// A gateway on the standard ndoto test configuration.
fn gateway() -> agentgw_tests::Gateway {
    agentgw_tests::Gateway::start(BIN)
}

mod browser;
mod comm100;
mod contracts;
mod faces;
mod faults;
mod hardening;
mod hostile;
mod libredesk;
mod livechat;
mod metrics;
mod migrate;
mod ndoto;
mod ratelimit;
mod reload;
mod scim;
mod server;
mod signin;
mod spans;
mod status;
mod storage;
mod supporthub;
mod transport;
mod upstream;
mod vendors;
