//! The closed set of dialects agentgw speaks.

use serde::{Deserialize, Serialize};

/// One of the five helpdesk dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Dialect {
    Ndoto,
    Livechat,
    Supporthub,
    Libredesk,
    Comm100,
}

impl Dialect {
    /// Every dialect, in table order.
    pub const ALL: [Dialect; 5] = [
        Dialect::Ndoto,
        Dialect::Livechat,
        Dialect::Supporthub,
        Dialect::Libredesk,
        Dialect::Comm100,
    ];

    /// The lowercase name used in config files and as the extensions key.
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Ndoto => "ndoto",
            Dialect::Livechat => "livechat",
            Dialect::Supporthub => "supporthub",
            Dialect::Libredesk => "libredesk",
            Dialect::Comm100 => "comm100",
        }
    }
}

impl std::fmt::Display for Dialect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}
