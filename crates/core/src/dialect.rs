//! What an adapter tells configuration and the upstream machinery about its dialect.
//!
//! This crate names no dialect: each adapter describes its own in a [`Dialect`], the binary
//! lists the adapters in one registry, and configuration looks dialects up by name there.

use std::any::Any;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::{BackendError, CredentialShape, Remote, UpstreamConfig};

/// Decodes and checks a dialect's own options (a route's or an upstream's keys beyond the
/// common ones); every problem is listed.
pub type DecodeSettings = fn(Map<String, Value>) -> Result<Settings, Vec<String>>;

/// Builds a dialect's outbound client for an upstream (`RemoteEnv`: where renewable tokens
/// are kept).
pub type MakeRemote =
    fn(&UpstreamConfig, &crate::RemoteEnv) -> Result<Arc<dyn Remote>, BackendError>;

/// One dialect, as its adapter describes it.
pub struct Dialect {
    /// The lowercase name configuration uses, the key of its extensions, the log's dialect.
    pub name: &'static str,
    /// The first path segment(s) every request of the dialect starts with, below its route's
    /// prefix: two routes whose roots overlap would shadow each other.
    pub root: &'static str,
    /// The shape of the credentials its routes accept.
    pub credential: CredentialShape,
    /// The shapes its upstreams may be called with: how the real vendor issues credentials
    /// (a static token, an API key, an OAuth grant, a login).
    pub upstream_credentials: &'static [CredentialShape],
    /// A route's options of this dialect.
    pub route_settings: DecodeSettings,
    /// An upstream's options of this dialect.
    pub upstream_settings: DecodeSettings,
    /// Its outbound client.
    pub remote: MakeRemote,
}

impl std::fmt::Debug for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name)
    }
}

/// A dialect's options, typed by its adapter: decoded from configuration, carried opaquely
/// by configuration and the route context, read back by the adapter that decoded them.
#[derive(Clone)]
pub struct Settings(Arc<dyn Any + Send + Sync>);

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Settings(..)")
    }
}

/// A dialect's options type: serde (with `deny_unknown_fields`, so a typo is an error, not an
/// ignored key), and any check serde cannot express.
pub trait DialectSettings: DeserializeOwned + Send + Sync + 'static {
    /// Problems serde cannot see (an empty list, a malformed domain).
    fn check(&self) -> Vec<String> {
        Vec::new()
    }
}

/// The options of a dialect that has none: any key is refused.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoSettings {}

impl DialectSettings for NoSettings {}

impl Settings {
    /// Decode `T` from a route's or upstream's own keys, and check it.
    pub fn decode<T: DialectSettings>(raw: Map<String, Value>) -> Result<Settings, Vec<String>> {
        let settings: T =
            serde_json::from_value(Value::Object(raw)).map_err(|e| vec![e.to_string()])?;
        match settings.check() {
            problems if problems.is_empty() => Ok(Settings(Arc::new(settings))),
            problems => Err(problems),
        }
    }

    /// The options as the adapter's type `T`; `None` for another type.
    pub fn get<T: 'static>(&self) -> Option<&T> {
        self.0.downcast_ref()
    }
}

impl Default for Settings {
    fn default() -> Self {
        Settings(Arc::new(NoSettings {}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        #[serde(default)]
        ids: Vec<i64>,
    }

    impl DialectSettings for Sample {
        fn check(&self) -> Vec<String> {
            if self.ids.contains(&0) {
                vec!["ids must not hold 0".into()]
            } else {
                Vec::new()
            }
        }
    }

    fn raw(v: Value) -> Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn settings_decode_check_and_come_back_typed() {
        let s = Settings::decode::<Sample>(raw(serde_json::json!({"ids": [1, 2]})));
        assert_eq!(
            s.ok().as_ref().and_then(|s| s.get::<Sample>()),
            Some(&Sample { ids: vec![1, 2] })
        );
        let typo = Settings::decode::<Sample>(raw(serde_json::json!({"idz": [1]})));
        assert!(typo.err().is_some_and(|e| e[0].contains("idz")));
        let zero = Settings::decode::<Sample>(raw(serde_json::json!({"ids": [0]})));
        assert_eq!(zero.err(), Some(vec!["ids must not hold 0".to_owned()]));
        let none = Settings::decode::<NoSettings>(raw(serde_json::json!({"anything": 1})));
        assert!(none.is_err());
        assert!(Settings::default().get::<Sample>().is_none());
    }
}
