//! The registry: every adapter this build has. A new dialect joins agentgw with one line here
//! (and its crate in Cargo.toml); nothing else in the gateway names a dialect.

use agentgw_core::Dialect;
use agentgw_inbound::Adapter;

/// Every adapter, in the order `check-config` and the docs list them.
pub static ADAPTERS: [&Adapter; 6] = [
    &agentgw_ndoto::ADAPTER,
    &agentgw_livechat::ADAPTER,
    &agentgw_supporthub::ADAPTER,
    &agentgw_libredesk::ADAPTER,
    &agentgw_comm100::ADAPTER,
    &agentgw_scim::ADAPTER,
];

/// The dialects of every adapter, for configuration.
pub fn dialects() -> Vec<&'static Dialect> {
    ADAPTERS.iter().map(|a| &a.dialect).collect()
}

/// The adapter of the dialect named `name`.
pub fn adapter(name: &str) -> Option<&'static Adapter> {
    ADAPTERS.iter().copied().find(|a| a.dialect.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `docs/openapi/<dialect>.json` is what the face serves: regenerate with
    /// `UPDATE_EXPECT=1 cargo test -p agentgw` (CI validates these files with a real validator).
    #[test]
    fn published_openapi_documents_are_current() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi");
        for a in ADAPTERS {
            let path = dir.join(format!("{}.json", a.dialect.name));
            let current = agentgw_inbound::openapi::to_file(&(a.openapi)());
            if std::env::var_os("UPDATE_EXPECT").is_some() {
                std::fs::create_dir_all(&dir).expect("docs/openapi");
                std::fs::write(&path, &current).expect("write");
            }
            let published = std::fs::read_to_string(&path).unwrap_or_default();
            assert!(
                published == current,
                "{} is stale: run UPDATE_EXPECT=1 cargo test -p agentgw",
                path.display()
            );
        }
    }

    #[test]
    fn names_and_roots_are_distinct() {
        let mut names: Vec<&str> = ADAPTERS.iter().map(|a| a.dialect.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ADAPTERS.len());
        for a in ADAPTERS {
            assert!(a.dialect.root.starts_with('/'), "{}", a.dialect.name);
            assert_eq!(
                adapter(a.dialect.name).map(|f| f.dialect.name),
                Some(a.dialect.name)
            );
        }
    }
}
