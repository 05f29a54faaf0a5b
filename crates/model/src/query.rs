//! How a list is asked for (filters, order, window) and what it answers (a page and a total).

use crate::{Agent, Availability, Role};

/// Which agents a list returns. Text filters are partial and case-insensitive.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    /// Matches username, display name or email.
    pub text: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    pub email: Option<String>,
    /// Exact (case-insensitive) username.
    pub username: Option<String>,
    pub role: Option<Role>,
    pub availability: Option<Availability>,
    pub confirmed: Option<bool>,
    pub banned: Option<bool>,
}

/// What a list is ordered by; ties are broken by integer id in the same direction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    /// Display name, case-insensitively (ndoto, livechat).
    #[default]
    Name,
    /// Username, case-insensitively.
    Username,
    /// Email, case-insensitively.
    Email,
    /// Last update time (libredesk: newest first).
    Updated,
    /// Creation order, i.e. integer id (supporthub, comm100).
    Created,
}

/// The order of a list.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SortOrder {
    pub key: SortKey,
    pub descending: bool,
}

impl SortOrder {
    /// By display name, A to Z.
    pub const NAME: SortOrder = SortOrder {
        key: SortKey::Name,
        descending: false,
    };
    /// Newest update first.
    pub const NEWEST_UPDATE: SortOrder = SortOrder {
        key: SortKey::Updated,
        descending: true,
    };
    /// Oldest first.
    pub const CREATED: SortOrder = SortOrder {
        key: SortKey::Created,
        descending: false,
    };
}

/// Which slice of the ordered list to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub offset: u64,
    pub limit: u64,
}

/// A list request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListQuery {
    pub filter: Filter,
    pub sort: SortOrder,
    /// `None` returns every matching agent.
    pub window: Option<Window>,
}

/// One window of a list, and how many agents match in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Agent>,
    pub total: u64,
}
