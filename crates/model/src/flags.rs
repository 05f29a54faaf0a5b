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
        self.0.entry(dialect.to_owned()).or_default().extend(fields);
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
