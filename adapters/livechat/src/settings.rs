//! livechat's own options: how a route's register treats a username no agent has.

use agentgw_core::DialectSettings;
use serde::Deserialize;

/// A route's options: `[routes.policy]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    #[serde(default)]
    pub policy: Policy,
}

/// What livechat's register does with a username no agent has.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnknownUsername {
    /// Refuse, as Rocket.Chat does (`error-invalid-user`).
    #[default]
    Reject,
    /// Create the agent (the fields its backend requires come from defaults).
    Create,
}

/// `[routes.policy]`: how a livechat route treats what Rocket.Chat would refuse.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Policy {
    #[serde(default)]
    pub unknown_username: UnknownUsername,
    /// The domain of the email synthesised as `<username>@<domain>` for an agent created from
    /// a bare username (default `livechat.invalid`, a reserved domain nobody receives mail at).
    #[serde(default = "default_email_domain")]
    pub email_domain: String,
}

fn default_email_domain() -> String {
    "livechat.invalid".into()
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            unknown_username: UnknownUsername::Reject,
            email_domain: default_email_domain(),
        }
    }
}

impl DialectSettings for RouteSettings {
    fn check(&self) -> Vec<String> {
        let domain = &self.policy.email_domain;
        if agentgw_model::is_valid_email(&format!("user@{domain}")) {
            Vec::new()
        } else {
            vec![format!("policy.email_domain `{domain}` is not a domain")]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_core::Settings;

    fn decode(json: serde_json::Value) -> Result<RouteSettings, Vec<String>> {
        Settings::decode::<RouteSettings>(json.as_object().cloned().unwrap_or_default())
            .map(|s| s.get::<RouteSettings>().cloned().unwrap_or_default())
    }

    #[test]
    fn policy_defaults_to_reject_and_is_checked() {
        assert_eq!(decode(serde_json::json!({})), Ok(RouteSettings::default()));
        let create = decode(
            serde_json::json!({"policy": {"unknown_username": "create", "email_domain": "example.com"}}),
        );
        assert_eq!(
            create.map(|s| (s.policy.unknown_username, s.policy.email_domain)),
            Ok((UnknownUsername::Create, "example.com".to_owned()))
        );
        assert!(decode(serde_json::json!({"policy": {"unknown_username": "maybe"}})).is_err());
        assert!(decode(serde_json::json!({"policy": {"email_domain": "nodot"}})).is_err());
        assert!(decode(serde_json::json!({"account_ids": [1]})).is_err());
    }
}
