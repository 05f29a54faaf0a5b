//! What every adapter's golden tests share: the seed examples, a stored agent made from what a
//! real server answered (fixed ids and times, so snapshots never move), and JSON as it is
//! snapshotted.

use agentgw_core::RemoteAgent;
use agentgw_model::{Agent, AgentIds};
use chrono::{DateTime, Utc};

/// The seed example `name` of `dialect` (`tests/fixtures/<dialect>/<name>`).
pub fn fixture(dialect: &str, name: &str) -> String {
    let path = crate::repo_root()
        .join("tests/fixtures")
        .join(dialect)
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The seed example parsed as `T`.
pub fn parse<T: serde::de::DeserializeOwned>(dialect: &str, name: &str) -> T {
    serde_json::from_str(&fixture(dialect, name)).unwrap_or_else(|e| {
        panic!(
            "{dialect}/{name} is not a {}: {e}",
            std::any::type_name::<T>()
        )
    })
}

/// A moment every golden agent was created and last updated at.
pub fn moment() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2024-01-02T03:04:05.678Z")
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_default()
}

/// The stored agent a face would render for what a real server answered: integer id `int`,
/// its GUID and short id made from it, its own times or [`moment`].
pub fn agent_of(remote: RemoteAgent, int: i64) -> Agent {
    Agent {
        ids: AgentIds {
            int,
            guid: uuid::Uuid::from_u128(int as u128),
            short: format!("{int:0>17}"),
        },
        profile: remote.profile,
        created_at: remote.created_at.unwrap_or_else(moment),
        updated_at: remote.updated_at.unwrap_or_else(moment),
    }
}

/// JSON as snapshots hold it: pretty, keys in the wire type's order.
pub fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("cannot encode: {e}")) + "\n"
}

/// An upstream of `dialect` at `base_url` with `credential` and the dialect's options decoded
/// from `settings` (JSON): what an adapter's outbound client is built from.
pub fn upstream(
    dialect: &'static agentgw_core::Dialect,
    base_url: &str,
    credential: agentgw_core::Credential,
    settings: serde_json::Value,
) -> agentgw_core::UpstreamConfig {
    let settings = (dialect.upstream_settings)(settings.as_object().cloned().unwrap_or_default())
        .unwrap_or_else(|e| panic!("settings: {e:?}"));
    agentgw_core::UpstreamConfig {
        name: "up".into(),
        dialect,
        base_url: base_url.into(),
        credential,
        settings,
        timeout: std::time::Duration::from_secs(2),
        retries: 0,
        max_concurrency: 2,
        defaults: Default::default(),
        ready_check: false,
        rate_limit: agentgw_core::RateLimit::Learned,
        max_wait: std::time::Duration::from_secs(5),
    }
}

/// What an outbound client is built with besides its configuration, kept in memory.
pub fn env() -> agentgw_core::RemoteEnv {
    agentgw_core::RemoteEnv {
        tokens: std::sync::Arc::new(agentgw_core::MemoryTokens::default()),
        rates: None,
    }
}
