//! `postgres_tests` is set when the PostgreSQL test cases can run (`AGENTGW_TEST_POSTGRES_URL`)
//! or must (`CI`, where a missing URL then fails them). Without it those cases are `ignored`,
//! so `cargo test`'s closing summary counts them instead of reporting them as passed.
//! `mount_tests` likewise for the cases that fill a small filesystem of their own: they need
//! CAP_SYS_ADMIN to mount a tmpfs, and run where this process has it, and always under CI.
//! `browser_tests` likewise for the status page's browser test: it runs where Debian's
//! `chromedriver` and npm's `axe-core` are installed (`.ci/run` installs both), and always
//! under CI.

fn main() {
    println!("cargo::rerun-if-env-changed=AGENTGW_TEST_POSTGRES_URL");
    println!("cargo::rerun-if-env-changed=CI");
    println!("cargo::rustc-check-cfg=cfg(postgres_tests)");
    println!("cargo::rustc-check-cfg=cfg(mount_tests)");
    println!("cargo::rustc-check-cfg=cfg(browser_tests)");
    println!("cargo::rerun-if-changed=/usr/bin/chromedriver");
    println!("cargo::rerun-if-changed=../../target/browser/node_modules/axe-core/axe.min.js");
    if std::env::var_os("AGENTGW_TEST_POSTGRES_URL").is_some() || std::env::var_os("CI").is_some() {
        println!("cargo::rustc-cfg=postgres_tests");
    }
    if std::env::var_os("CI").is_some() || can_mount() {
        println!("cargo::rustc-cfg=mount_tests");
    }
    let browser = std::path::Path::new("/usr/bin/chromedriver").exists()
        && std::path::Path::new("../../target/browser/node_modules/axe-core/axe.min.js").exists();
    if std::env::var_os("CI").is_some() || browser {
        println!("cargo::rustc-cfg=browser_tests");
    }
}

/// Whether this process has CAP_SYS_ADMIN (bit 21 of its effective capabilities).
fn can_mount() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            let caps = status.lines().find(|l| l.starts_with("CapEff:"))?;
            u64::from_str_radix(caps.split_whitespace().nth(1)?, 16).ok()
        })
        .is_some_and(|caps| caps & (1 << 21) != 0)
}
