//! The `agentgw` binary: see the library for the commands.

fn main() -> std::process::ExitCode {
    agentgw::run()
}
