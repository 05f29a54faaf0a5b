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

fn contains_ci(haystack: &str, needle: &str) -> bool {
    haystack
        .to_lowercase()
        .contains(&needle.trim().to_lowercase())
}

impl Filter {
    /// Whether an agent passes every filter (the same rules the store applies in SQL).
    pub fn matches(&self, agent: &Agent) -> bool {
        let p = &agent.profile;
        let username = p.username.as_deref().unwrap_or_default();
        let partial = |value: &Option<String>, field: &str| {
            value.as_ref().is_none_or(|v| contains_ci(field, v))
        };
        self.text.as_ref().is_none_or(|t| {
            contains_ci(username, t) || contains_ci(&p.display_name, t) || contains_ci(&p.email, t)
        }) && partial(&self.first_name, &p.first_name)
            && partial(&self.last_name, &p.last_name)
            && partial(&self.email, &p.email)
            && self
                .username
                .as_ref()
                .is_none_or(|u| u.trim().eq_ignore_ascii_case(username))
            && self.role.is_none_or(|r| r == p.role)
            && self.availability.is_none_or(|a| a == p.availability)
            && self.confirmed.is_none_or(|c| c == p.state.confirmed)
            && self.banned.is_none_or(|b| b == p.state.banned)
    }
}

impl SortOrder {
    /// Sort agents in this order (ties by integer id, in the same direction), as the store does.
    pub fn sort(self, agents: &mut [Agent]) {
        agents.sort_by(|a, b| {
            let key = match self.key {
                SortKey::Name => a
                    .profile
                    .display_name
                    .to_lowercase()
                    .cmp(&b.profile.display_name.to_lowercase()),
                SortKey::Username => a
                    .profile
                    .username
                    .as_deref()
                    .map(str::to_lowercase)
                    .cmp(&b.profile.username.as_deref().map(str::to_lowercase)),
                SortKey::Email => a
                    .profile
                    .email
                    .to_lowercase()
                    .cmp(&b.profile.email.to_lowercase()),
                SortKey::Updated => a.updated_at.cmp(&b.updated_at),
                SortKey::Created => std::cmp::Ordering::Equal,
            }
            .then(a.ids.int.cmp(&b.ids.int));
            if self.descending { key.reverse() } else { key }
        });
    }
}

impl Window {
    /// The part of `items` this window covers.
    pub fn slice<T>(self, items: Vec<T>) -> Vec<T> {
        let offset = usize::try_from(self.offset).unwrap_or(usize::MAX);
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        items.into_iter().skip(offset).take(limit).collect()
    }
}
