//! scim's own options: what a route does with a User that has no email.

use agentgw_core::DialectSettings;
use serde::Deserialize;

/// A SCIM route's options.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSettings {
    /// Every helpdesk needs an agent's email; a User sent without one (and whose userName is
    /// not an address) gets `<userName>@<email_domain>` when this is set, and is refused
    /// (400 `invalidValue`) when it is not.
    #[serde(default)]
    pub email_domain: Option<String>,
}

impl DialectSettings for RouteSettings {
    fn check(&self) -> Vec<String> {
        match &self.email_domain {
            Some(domain) if !agentgw_model::is_valid_email(&format!("user@{domain}")) => {
                vec![format!("email_domain `{domain}` is not a domain")]
            }
            _ => Vec::new(),
        }
    }
}
