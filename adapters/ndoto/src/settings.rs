//! ndoto's own options: which accounts a route serves, which account an upstream manages.

use agentgw_core::DialectSettings;
use serde::Deserialize;

/// A route's options: `account_ids = [1, 7]` (default `[1]`), the Chatwoot account ids whose
/// paths it serves, all mapped to the route's tenant.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    #[serde(default = "first_account")]
    pub account_ids: Vec<i64>,
}

/// An upstream's options: `account_id = 1` (default), the account whose agents it manages.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSettings {
    #[serde(default = "first")]
    pub account_id: i64,
}

fn first() -> i64 {
    1
}

fn first_account() -> Vec<i64> {
    vec![first()]
}

impl Default for RouteSettings {
    fn default() -> Self {
        RouteSettings {
            account_ids: first_account(),
        }
    }
}

impl Default for UpstreamSettings {
    fn default() -> Self {
        UpstreamSettings {
            account_id: first(),
        }
    }
}

impl DialectSettings for RouteSettings {
    fn check(&self) -> Vec<String> {
        if self.account_ids.is_empty() {
            vec!["account_ids must name at least one account".into()]
        } else {
            Vec::new()
        }
    }
}

impl DialectSettings for UpstreamSettings {}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_core::Settings;

    fn decode(json: serde_json::Value) -> Result<Settings, Vec<String>> {
        Settings::decode::<RouteSettings>(json.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn account_ids_default_to_one_and_must_name_one() {
        let d = decode(serde_json::json!({}));
        assert_eq!(
            d.ok().and_then(|s| s.get::<RouteSettings>().cloned()),
            Some(RouteSettings::default())
        );
        assert!(decode(serde_json::json!({"account_ids": []})).is_err());
        let e = decode(serde_json::json!({"policy": {}}))
            .err()
            .unwrap_or_default();
        assert!(
            e[0].contains("unknown field `policy`, expected `account_ids`"),
            "{e:?}"
        );
    }
}
