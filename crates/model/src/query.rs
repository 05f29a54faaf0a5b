//! How a list is asked for (filters, order, window) and what it answers (a page and a total).

use chrono::{DateTime, Utc};

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

/// What an agent is ordered by in one `SortOrder`, detached from the agent, so that a long
/// list can be put in order without keeping its agents (compare with `SortOrder::compare`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OrderKey {
    text: Option<String>,
    time: Option<DateTime<Utc>>,
    /// Ties are broken by integer id, in the same direction.
    id: i64,
}

impl SortOrder {
    /// The key `agent` is ordered by.
    pub fn key_of(self, agent: &Agent) -> OrderKey {
        let p = &agent.profile;
        let (text, time) = match self.key {
            SortKey::Name => (Some(p.display_name.to_lowercase()), None),
            SortKey::Username => (p.username.as_deref().map(str::to_lowercase), None),
            SortKey::Email => (Some(p.email.to_lowercase()), None),
            SortKey::Updated => (None, Some(agent.updated_at)),
            SortKey::Created => (None, None),
        };
        OrderKey {
            text,
            time,
            id: agent.ids.int,
        }
    }

    /// How two keys compare in this order.
    pub fn compare(self, a: &OrderKey, b: &OrderKey) -> std::cmp::Ordering {
        if self.descending { b.cmp(a) } else { a.cmp(b) }
    }

    /// Sort agents in this order (ties by integer id, in the same direction), as the store does.
    pub fn sort(self, agents: &mut [Agent]) {
        agents.sort_by_cached_key(|a| self.key_of(a));
        if self.descending {
            // Keys are unique (the id is part of them), so reversing is the descending order.
            agents.reverse();
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AgentIds, Profile};

    fn agent(id: i64, name: &str, updated_secs: i64) -> Agent {
        let at = DateTime::from_timestamp(updated_secs, 0).unwrap_or_default();
        Agent {
            ids: AgentIds {
                int: id,
                guid: uuid::Uuid::nil(),
                short: format!("s{id}"),
            },
            profile: Profile {
                display_name: name.into(),
                ..Profile::default()
            },
            created_at: at,
            updated_at: at,
        }
    }

    fn ids(agents: &[Agent]) -> Vec<i64> {
        agents.iter().map(|a| a.ids.int).collect()
    }

    #[test]
    fn names_sort_case_insensitively_with_ties_by_id_in_the_same_direction() {
        let mut agents = vec![
            agent(4, "b", 0),
            agent(3, "a", 0),
            agent(1, "A", 0),
            agent(2, "C", 0),
        ];
        SortOrder::NAME.sort(&mut agents);
        assert_eq!(ids(&agents), [1, 3, 4, 2]);
        let down = SortOrder {
            descending: true,
            ..SortOrder::NAME
        };
        down.sort(&mut agents);
        assert_eq!(ids(&agents), [2, 4, 3, 1]);
    }

    #[test]
    fn newest_update_first_and_created_by_id() {
        let mut agents = vec![agent(1, "x", 10), agent(2, "y", 30), agent(3, "z", 20)];
        SortOrder::NEWEST_UPDATE.sort(&mut agents);
        assert_eq!(ids(&agents), [2, 3, 1]);
        SortOrder::CREATED.sort(&mut agents);
        assert_eq!(ids(&agents), [1, 2, 3]);
    }

    #[test]
    fn compare_on_keys_agrees_with_sort() {
        let agents = vec![
            agent(5, "Émile", 3),
            agent(2, "emma", 1),
            agent(9, "Emma", 2),
            agent(1, "", 4),
        ];
        for order in [
            SortOrder::NAME,
            SortOrder::NEWEST_UPDATE,
            SortOrder::CREATED,
        ] {
            let mut sorted = agents.clone();
            order.sort(&mut sorted);
            let mut by_key: Vec<(OrderKey, i64)> = agents
                .iter()
                .map(|a| (order.key_of(a), a.ids.int))
                .collect();
            by_key.sort_by(|a, b| order.compare(&a.0, &b.0));
            let keyed: Vec<i64> = by_key.into_iter().map(|(_, id)| id).collect();
            assert_eq!(keyed, ids(&sorted), "{order:?}");
        }
    }
}
