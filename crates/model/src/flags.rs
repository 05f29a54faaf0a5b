//! Named booleans (permissions, notification settings) and per-dialect extensions.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A set of named booleans, e.g. `manage_articles = true`.
pub type Flags = BTreeMap<String, bool>;

/// Which set of named booleans an operation addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagKind {
    Permissions,
    Notifications,
}

/// Fields a dialect has and the model does not name, keyed by dialect name, so that what came
/// in through a dialect comes back out of it unchanged.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Extensions(BTreeMap<String, Map<String, Value>>);

impl Extensions {
    /// The fields kept for `dialect` (empty when none).
    pub fn of(&self, dialect: &str) -> Option<&Map<String, Value>> {
        self.0.get(dialect)
    }

    /// One field kept for `dialect`.
    pub fn get(&self, dialect: &str, field: &str) -> Option<&Value> {
        self.0.get(dialect).and_then(|m| m.get(field))
    }

    /// Merge `fields` into what is kept for `dialect`: given keys overwrite, others stay.
    pub fn merge(&mut self, dialect: &str, fields: Map<String, Value>) {
        if fields.is_empty() {
            return;
        }
        match self.0.get_mut(dialect) {
            Some(kept) if !kept.is_empty() => kept.extend(fields),
            // Nothing kept yet (an agent read from an upstream): the map itself is kept, not
            // rebuilt key by key (that was 8k instructions of a translated GET).
            _ => {
                self.0.insert(dialect.to_owned(), fields);
            }
        }
    }

    /// Drop everything kept for `dialect`.
    pub fn remove(&mut self, dialect: &str) {
        self.0.remove(dialect);
    }

    /// Every dialect's fields, by dialect name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Map<String, Value>)> {
        self.0.iter().map(|(d, m)| (d.as_str(), m))
    }

    /// Whether nothing is kept for any dialect.
    pub fn is_empty(&self) -> bool {
        self.0.values().all(Map::is_empty)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => Map::new(),
        }
    }

    #[test]
    fn merge_keeps_what_it_is_given_and_overwrites_only_given_keys() {
        let mut ext = Extensions::default();
        ext.merge("d", Map::new());
        assert!(ext.of("d").is_none(), "nothing given, nothing kept");
        ext.merge("d", map(json!({"a": 1, "b": [2]})));
        assert_eq!(ext.of("d"), Some(&map(json!({"a": 1, "b": [2]}))));
        ext.merge("d", map(json!({"b": 3, "c": null})));
        assert_eq!(ext.of("d"), Some(&map(json!({"a": 1, "b": 3, "c": null}))));
        ext.merge("e", map(json!({"a": 9})));
        assert_eq!(ext.get("d", "a"), Some(&json!(1)), "dialects stay apart");
        assert_eq!(ext.get("e", "a"), Some(&json!(9)));
    }
}
