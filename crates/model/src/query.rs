//! How a list is asked for (filters, order, window) and what it answers (a page and a total).

use chrono::{DateTime, Utc};

use crate::{Agent, Availability, Condition, Role};

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
    /// Leaves out the agent with this short (17-character) id.
    pub except_short_id: Option<String>,
    /// Leaves out offline agents.
    pub hide_offline: bool,
    /// Only agents in the team of this name (case-insensitive).
    pub team: Option<String>,
    /// Only agents meeting this condition (a SCIM filter), besides every filter above.
    pub condition: Option<Condition>,
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
    /// Whether a text of this filter holds a control character, which no stored value holds
    /// (see [`crate::limits`]): such a filter matches nothing, and is never sent to a database.
    pub fn is_unmatchable(&self) -> bool {
        [
            &self.text,
            &self.first_name,
            &self.last_name,
            &self.email,
            &self.username,
        ]
        .into_iter()
        .chain([&self.team])
        .flatten()
        .any(|t| t.chars().any(char::is_control))
            || self.condition.as_ref().is_some_and(Condition::has_control)
    }

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
            && self
                .except_short_id
                .as_ref()
                .is_none_or(|id| *id != agent.ids.short)
            && !(self.hide_offline && p.availability == Availability::Offline)
            && self.team.as_ref().is_none_or(|team| {
                let team = team.trim().to_lowercase();
                p.teams.iter().any(|t| t.trim().to_lowercase() == team)
            })
            && self.condition.as_ref().is_none_or(|c| c.matches(agent))
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

/// The agents one window of an ordered list needs, gathered while the list streams by: at
/// most `offset + limit` of them are kept (the rest are counted and dropped), so a page of a
/// long list that must be ordered in the gateway does not hold the whole list.
pub struct Ranked {
    order: SortOrder,
    window: Option<Window>,
    keep: usize,
    /// The best `keep` so far; the top of the heap is the last of them in `order`.
    best: std::collections::BinaryHeap<RankedAgent>,
    total: u64,
}

struct RankedAgent {
    key: OrderKey,
    descending: bool,
    agent: Agent,
}

impl Ord for RankedAgent {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        let ascending = self.key.cmp(&other.key);
        if self.descending {
            ascending.reverse()
        } else {
            ascending
        }
    }
}

impl PartialOrd for RankedAgent {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for RankedAgent {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl Eq for RankedAgent {}

impl Ranked {
    /// Gather for `window` (everything when `None`) of a list in `order`.
    pub fn new(order: SortOrder, window: Option<Window>) -> Self {
        let keep = window.map_or(usize::MAX, |w| {
            usize::try_from(w.offset.saturating_add(w.limit)).unwrap_or(usize::MAX)
        });
        Ranked {
            order,
            window,
            keep,
            best: std::collections::BinaryHeap::new(),
            total: 0,
        }
    }

    /// Count `agent`, and keep it if it may fall in the window.
    pub fn offer(&mut self, agent: Agent) {
        self.total += 1;
        if self.keep == 0 {
            return;
        }
        self.best.push(RankedAgent {
            key: self.order.key_of(&agent),
            descending: self.order.descending,
            agent,
        });
        if self.best.len() > self.keep {
            self.best.pop();
        }
    }

    /// The window, in order, and how many agents were offered in all.
    pub fn into_page(self) -> Page {
        let ordered = self.best.into_sorted_vec().into_iter().map(|r| r.agent);
        let items = match self.window {
            Some(w) => w.slice(ordered.collect()),
            None => ordered.collect(),
        };
        Page {
            items,
            total: self.total,
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
    fn a_ranked_window_is_the_window_of_the_sorted_list() {
        let agents: Vec<Agent> = (0..200)
            .map(|i| agent(i, &format!("name {:03}", (i * 71) % 97), (i * 13) % 50))
            .collect();
        let orders = [
            SortOrder::NAME,
            SortOrder::NEWEST_UPDATE,
            SortOrder::CREATED,
            SortOrder {
                descending: true,
                ..SortOrder::NAME
            },
        ];
        let windows = [
            None,
            Some(Window {
                offset: 0,
                limit: 10,
            }),
            Some(Window {
                offset: 95,
                limit: 20,
            }),
            Some(Window {
                offset: 190,
                limit: 50,
            }),
            Some(Window {
                offset: 300,
                limit: 5,
            }),
            Some(Window {
                offset: 0,
                limit: 0,
            }),
        ];
        for order in orders {
            let mut sorted = agents.clone();
            order.sort(&mut sorted);
            for window in windows {
                let mut ranked = Ranked::new(order, window);
                for a in agents.iter().cloned() {
                    ranked.offer(a);
                }
                let page = ranked.into_page();
                let expected = match window {
                    Some(w) => w.slice(sorted.clone()),
                    None => sorted.clone(),
                };
                assert_eq!(page.total, 200);
                assert_eq!(ids(&page.items), ids(&expected), "{order:?} {window:?}");
            }
        }
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
