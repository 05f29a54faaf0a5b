//! Is each upstream reachable? Checked in the background every few snapshots, whatever
//! traffic there is (an idle upstream that went away reads as down before a client finds
//! out), with the same probe `/readyz` uses: any HTTP answer is reachable.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use agentgw_core::Config;
use chrono::{DateTime, Utc};

/// Upstreams are checked every this many snapshots (15 s).
pub const EVERY_ROUNDS: u64 = 3;
/// A check never waits longer than this, whatever the upstream's own timeout.
const LONGEST: Duration = Duration::from_secs(5);

/// The last check of one upstream.
#[derive(Debug, Clone)]
pub struct Check {
    pub at: DateTime<Utc>,
    /// Why it is not reachable; `None` when it answered.
    pub error: Option<String>,
    pub took: Duration,
}

/// Check every upstream of `config` at once.
pub async fn run(config: &Config) -> BTreeMap<String, Check> {
    let probes = config.upstreams.values().map(|u| async move {
        let at = Utc::now();
        let started = Instant::now();
        let error = match agentgw_outbound::Probe::new(&u.base_url, u.timeout.min(LONGEST)) {
            Ok(probe) => probe.for_upstream(&u.name).check().await.err(),
            Err(e) => Some(e.to_string()),
        };
        // For alerting on an idle upstream, where call counts say nothing.
        agentgw_core::telemetry::UPSTREAM_UP
            .gauge([u.name.clone().into()])
            .set(if error.is_none() { 1.0 } else { 0.0 });
        (
            u.name.clone(),
            Check {
                at,
                error,
                took: started.elapsed(),
            },
        )
    });
    futures_util::future::join_all(probes)
        .await
        .into_iter()
        .collect()
}
