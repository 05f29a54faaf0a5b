//! agentgw-bench: shared helpers of the benchmark binaries (seeding a store, reading RSS).

use agentgw_core::{Backend, BackendError};
use agentgw_model::{NewAgent, Profile, Role, join_name};
use agentgw_store::Store;

/// Seed `count` agents (`agent{i}@bench.example`, every tenth an administrator) into the
/// `default` tenant of the store at `url`, four writers at a time; returns the seconds taken.
pub async fn seed(url: &str, count: u64) -> Result<f64, BackendError> {
    let started = std::time::Instant::now();
    let store = Store::connect(url)
        .await
        .map_err(|e| BackendError::unavailable(agentgw_core::Outage::Unreachable, e.to_string()))?;
    let tenant = store.tenant("default");
    let per_task = count.div_ceil(4);
    let tasks = (0..4u64).map(|t| {
        let tenant = tenant.clone();
        tokio::spawn(async move {
            for i in (t * per_task)..((t + 1) * per_task).min(count) {
                let (first, last) = (format!("First{i}"), format!("Last{i}"));
                let profile = Profile {
                    email: format!("agent{i}@bench.example"),
                    display_name: join_name(&first, &last),
                    first_name: first,
                    last_name: last,
                    role: if i % 10 == 0 {
                        Role::Administrator
                    } else {
                        Role::Agent
                    },
                    ..Profile::default()
                };
                tenant
                    .create(NewAgent {
                        profile,
                        password: None,
                    })
                    .await?;
            }
            Ok::<(), BackendError>(())
        })
    });
    for r in futures_util::future::join_all(tasks).await {
        r.map_err(|e| BackendError::Internal(e.to_string()))??;
    }
    store.close().await;
    Ok(started.elapsed().as_secs_f64())
}

/// A `/proc/<pid>/status` memory field (`VmRSS:`, `VmHWM:`) in KiB.
pub fn rss_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| {
            l.strip_prefix(field)
                .map(|v| v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0))
        })
        .unwrap_or(0)
}

/// CPU seconds (user + system, all threads) process `pid` has used so far.
pub fn cpu_secs(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start at field 3; utime and stime
    // are fields 14 and 15, in clock ticks.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|&i| fields.get(i).and_then(|f| f.parse::<u64>().ok()))
        .sum();
    let per_sec = std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .trim()
                .parse::<f64>()
                .ok()
        })
        .unwrap_or(100.0);
    ticks as f64 / per_sec
}
