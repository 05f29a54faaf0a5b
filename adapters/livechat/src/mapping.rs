//! livechat ⇄ canonical, as pure functions.
//!
//! | livechat | canonical |
//! |---|---|
//! | `_id` | `ids.short` (17 characters, Rocket.Chat's alphabet) |
//! | `username` | `username` (derived from the email when the agent never had one) |
//! | `name` | `display_name` |
//! | `status` online / away / busy / offline | `availability` |
//! | `statusLivechat` available / not-available | `availability == online` |
//! | `emails[0].address`, `.verified` | `email`, `state.confirmed` |
//! | type `agent` | every agent |
//! | type `manager` | `role == administrator` |

use agentgw_core::RemoteAgent;
use agentgw_model::{
    Agent, Availability, Filter, ListQuery, NewAgent, Profile, Role, SortKey, SortOrder, Window,
    derive_username, split_name,
};
use serde_json::Value;

use crate::wire;

/// The dialect's name.
pub const DIALECT: &str = "livechat";

/// The two `:type`s of `livechat/users/:type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserType {
    Agent,
    Manager,
}

impl UserType {
    /// `agent` or `manager`; anything else is Rocket.Chat's "Invalid type".
    pub fn parse(s: &str) -> Option<UserType> {
        match s {
            "agent" => Some(UserType::Agent),
            "manager" => Some(UserType::Manager),
            _ => None,
        }
    }

    /// Whether `agent` holds this livechat role (every agent is a livechat agent).
    pub fn held_by(self, agent: &Agent) -> bool {
        match self {
            UserType::Agent => true,
            UserType::Manager => agent.profile.role == Role::Administrator,
        }
    }

    /// The role a register of this type gives.
    pub fn role(self) -> Role {
        match self {
            UserType::Agent => Role::Agent,
            UserType::Manager => Role::Administrator,
        }
    }
}

/// The username an agent is addressed by here.
pub fn username(agent: &Agent) -> String {
    agent
        .profile
        .username
        .clone()
        .filter(|u| !u.is_empty())
        .unwrap_or_else(|| derive_username(&agent.profile.email))
}

/// Render a canonical agent as a livechat user.
pub fn to_user(agent: &Agent) -> wire::User {
    let p = &agent.profile;
    let name = p.shown_name();
    wire::User {
        id: agent.ids.short.clone(),
        username: username(agent),
        name: Some(name),
        status: Some(p.availability.as_str().to_owned()),
        status_livechat: Some(
            if p.availability == Availability::Online {
                "available"
            } else {
                "not-available"
            }
            .to_owned(),
        ),
        emails: Some(vec![wire::Email {
            address: p.email.clone(),
            verified: p.state.confirmed,
        }]),
    }
}

/// The `{_id, username}` a register answers with.
pub fn to_ref(agent: &Agent) -> wire::UserRef {
    wire::UserRef {
        id: agent.ids.short.clone(),
        username: username(agent),
    }
}

/// A query parameter problem, in Rocket.Chat's words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueryError {
    /// `errorType: invalid-params`.
    InvalidParams(String),
    /// `errorType: error-invalid-sort`.
    InvalidSort(String),
}

/// Rocket.Chat's page size: 50 by default, at most 100; 0 means the default.
pub const DEFAULT_COUNT: u64 = 50;
pub const MAX_COUNT: u64 = 100;

const SORT_KEYS: [(&str, SortKey); 4] = [
    ("name", SortKey::Name),
    ("username", SortKey::Username),
    ("emails.address", SortKey::Email),
    ("_updatedAt", SortKey::Updated),
];

fn number(name: &str, value: &str) -> Result<u64, QueryError> {
    value.trim().parse::<u64>().map_err(|_| {
        QueryError::InvalidParams(format!(
            "must be a non-negative integer: {name} [invalid-params]"
        ))
    })
}

fn sort(value: &str) -> Result<SortOrder, QueryError> {
    let bad = || {
        QueryError::InvalidSort(format!(
            "Invalid sort parameter provided: \"{value}\" [error-invalid-sort]"
        ))
    };
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(value) else {
        return Err(bad());
    };
    let mut fields = map.into_iter();
    let (Some((field, direction)), None) = (fields.next(), fields.next()) else {
        return Err(bad());
    };
    let key = SORT_KEYS
        .iter()
        .find(|(n, _)| *n == field)
        .map(|(_, k)| *k)
        .ok_or_else(bad)?;
    match direction.as_i64() {
        Some(1) => Ok(SortOrder {
            key,
            descending: false,
        }),
        Some(-1) => Ok(SortOrder {
            key,
            descending: true,
        }),
        _ => Err(bad()),
    }
}

/// A boolean query parameter, as Rocket.Chat's validator coerces it (`true` / `false`).
fn boolean(name: &str, value: &str) -> Result<bool, QueryError> {
    match value {
        "true" => Ok(true),
        "false" => Ok(false),
        _ => Err(QueryError::InvalidParams(format!(
            "must be boolean: {name} [invalid-params]"
        ))),
    }
}

/// Turn `offset, count, text, sort` and the agent-only `onlyAvailable, excludeId,
/// showIdleAgents` into a canonical list query for `user_type` (Rocket.Chat's `findAgents`:
/// the agent-only ones are validated for managers too, and ignored there).
pub fn list_query(
    user_type: UserType,
    params: &[(String, String)],
) -> Result<ListQuery, QueryError> {
    let (mut offset, mut count) = (0, DEFAULT_COUNT);
    let mut query = ListQuery {
        sort: SortOrder::NAME,
        ..Default::default()
    };
    let mut agents_only = Filter::default();
    for (name, value) in params {
        match name.as_str() {
            "offset" => offset = number(name, value)?,
            "count" => count = number(name, value)?,
            "text" => query.filter.text = Some(value.clone()).filter(|t| !t.trim().is_empty()),
            // statusLivechat `available`, which is availability online.
            "onlyAvailable" if boolean(name, value)? => {
                agents_only.availability = Some(Availability::Online);
            }
            "onlyAvailable" => {}
            "excludeId" => agents_only.except_short_id = Some(value.clone()),
            // Rocket.Chat shows idle (offline) agents unless told not to.
            "showIdleAgents" => agents_only.hide_offline = !boolean(name, value)?,
            "sort" => query.sort = sort(value)?,
            other => {
                return Err(QueryError::InvalidParams(format!(
                    "must NOT have additional properties: {other} [invalid-params]"
                )));
            }
        }
    }
    if count == 0 {
        count = DEFAULT_COUNT;
    }
    query.window = Some(Window {
        offset,
        limit: count.min(MAX_COUNT),
    });
    query.filter = match user_type {
        UserType::Agent => Filter {
            availability: agents_only.availability,
            except_short_id: agents_only.except_short_id,
            hide_offline: agents_only.hide_offline,
            ..query.filter
        },
        UserType::Manager => Filter {
            role: Some(Role::Administrator),
            ..query.filter
        },
    };
    Ok(query)
}

/// Whether a username is one Rocket.Chat would accept (`[0-9a-zA-Z-_.]+`).
pub fn is_valid_username(username: &str) -> bool {
    !username.is_empty()
        && username.len() <= 120
        && username
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// The agent a register creates when the route's policy allows it.
pub fn new_agent(username: &str, user_type: UserType, email_domain: &str) -> NewAgent {
    let profile = Profile {
        email: format!("{}@{email_domain}", username.to_lowercase()),
        first_name: username.to_owned(),
        display_name: username.to_owned(),
        username: Some(username.to_owned()),
        role: user_type.role(),
        ..Profile::default()
    };
    NewAgent {
        profile,
        password: None,
    }
}

/// A user a real Rocket.Chat answered (a manager when `manager`), as the canonical model
/// sees it (upstream mode).
pub fn from_upstream(u: wire::User, manager: bool) -> RemoteAgent {
    let name = u.name.clone().unwrap_or_else(|| u.username.clone());
    let (first_name, last_name) = split_name(&name);
    let email = u.emails.as_ref().and_then(|e| e.first());
    let status = u.status.as_deref().unwrap_or("online");
    let mut profile = Profile {
        display_name: name,
        first_name,
        last_name,
        username: Some(u.username),
        email: email.map(|e| e.address.clone()).unwrap_or_default(),
        role: if manager {
            Role::Administrator
        } else {
            Role::Agent
        },
        availability: match status {
            "away" => Availability::Away,
            "busy" => Availability::Busy,
            "offline" => Availability::Offline,
            _ => Availability::Online,
        },
        ..Profile::default()
    };
    profile.state.confirmed = email.is_some_and(|e| e.verified);
    RemoteAgent {
        id: u.id,
        profile,
        created_at: None,
        updated_at: None,
    }
}

/// The register body a real Rocket.Chat takes for an agent (upstream mode): its username,
/// derived from the email when it has none.
pub fn to_upstream_register(p: &Profile) -> wire::Register {
    // Rocket.Chat usernames are letters, digits, `.`, `_` and `-`: another one (an identity
    // provider's `userName` is often an email) is registered as its derived form.
    let given = p.username.as_deref().filter(|u| !u.is_empty());
    wire::Register {
        username: match given {
            Some(u) if is_valid_username(u) => u.to_owned(),
            Some(u) => derive_username(u),
            None => derive_username(&p.email),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_model::AgentIds;
    use serde_json::json;

    const LIST: &str = include_str!("../../../tests/fixtures/livechat/list_response.json");
    const REGISTER: &str = include_str!("../../../tests/fixtures/livechat/register_request.json");
    const REGISTERED: &str =
        include_str!("../../../tests/fixtures/livechat/register_response.json");
    const FOUND: &str = include_str!("../../../tests/fixtures/livechat/get_response.json");

    fn agent(short: &str, username: Option<&str>, email: &str) -> Agent {
        Agent {
            ids: AgentIds {
                int: 1,
                guid: uuid::Uuid::nil(),
                short: short.into(),
            },
            profile: Profile {
                email: email.into(),
                first_name: "John".into(),
                last_name: "Doe".into(),
                display_name: "John Doe".into(),
                username: username.map(String::from),
                ..Profile::default()
            },
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    fn params(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    #[test]
    fn seed_list_users_are_rendered_with_their_id_and_username() {
        let seed: wire::UserList = serde_json::from_str(LIST).expect("fixture");
        for seed_user in &seed.users {
            let ours = to_user(&agent(
                &seed_user.id,
                Some(&seed_user.username),
                "x@example.com",
            ));
            assert_eq!(
                (&ours.id, &ours.username),
                (&seed_user.id, &seed_user.username)
            );
        }
    }

    #[test]
    fn seed_register_and_get_responses_match_field_for_field() {
        let req: wire::Register = serde_json::from_str(REGISTER).expect("fixture");
        assert_eq!(req.username, "john.doe");
        let a = agent("SQafHvoFPuB57NmBD", Some("john.doe"), "john@example.com");
        let ours = serde_json::to_value(wire::Registered {
            user: to_ref(&a),
            success: true,
        })
        .expect("json");
        assert_eq!(
            ours,
            serde_json::from_str::<Value>(REGISTERED).expect("fixture")
        );
        // GET answers the seed's fields and more.
        let found = serde_json::to_value(wire::Found {
            user: Some(to_user(&a)),
            success: true,
        })
        .expect("json");
        let seed: Value = serde_json::from_str(FOUND).expect("fixture");
        for (k, v) in seed["user"].as_object().expect("object") {
            assert_eq!(&found["user"][k], v, "{k}");
        }
        assert_eq!(
            found["user"]["emails"],
            json!([{"address": "john@example.com", "verified": false}])
        );
        assert_eq!(found["user"]["statusLivechat"], "available");
    }

    #[test]
    fn register_body_is_exactly_a_username() {
        assert!(serde_json::from_str::<wire::Register>(r#"{"username":"a","x":1}"#).is_err());
        assert!(serde_json::from_str::<wire::Register>(r#"{}"#).is_err());
    }

    #[test]
    fn agents_without_username_get_the_derived_one() {
        assert_eq!(
            to_user(&agent("x", None, "Alex.Banda@example.com")).username,
            "alex.banda"
        );
    }

    #[test]
    fn list_query_defaults_caps_and_refuses_unknown_params() {
        let q = list_query(UserType::Agent, &[]).expect("ok");
        assert_eq!(
            q.window,
            Some(Window {
                offset: 0,
                limit: 50
            })
        );
        let q = list_query(
            UserType::Manager,
            &params(&[
                ("count", "500"),
                ("offset", "10"),
                ("text", "jo"),
                ("onlyAvailable", "true"),
            ]),
        )
        .expect("ok");
        assert_eq!(
            q.window,
            Some(Window {
                offset: 10,
                limit: 100
            })
        );
        assert_eq!(
            (
                q.filter.role,
                q.filter.availability,
                q.filter.text.as_deref()
            ),
            (Some(Role::Administrator), None, Some("jo")),
            "managers: onlyAvailable is taken and ignored, as Rocket.Chat's findManagers does"
        );
        let q = list_query(
            UserType::Agent,
            &params(&[
                ("onlyAvailable", "true"),
                ("excludeId", "aaaaaaaaaaaaaaaaa"),
                ("showIdleAgents", "false"),
            ]),
        )
        .expect("ok");
        assert_eq!(
            (
                q.filter.availability,
                q.filter.except_short_id.as_deref(),
                q.filter.hide_offline
            ),
            (Some(Availability::Online), Some("aaaaaaaaaaaaaaaaa"), true)
        );
        let q = list_query(UserType::Agent, &params(&[("showIdleAgents", "true")]));
        assert!(q.is_ok_and(|q| !q.filter.hide_offline && q.filter.availability.is_none()));
        assert!(list_query(UserType::Agent, &params(&[("showIdleAgents", "no")])).is_err());
        let q = list_query(
            UserType::Agent,
            &params(&[("sort", r#"{"username":-1}"#), ("count", "0")]),
        )
        .expect("ok");
        assert_eq!(
            (q.sort, q.window.map(|w| w.limit)),
            (
                SortOrder {
                    key: SortKey::Username,
                    descending: true
                },
                Some(50)
            )
        );
        assert!(matches!(
            list_query(UserType::Agent, &params(&[("page", "2")])),
            Err(QueryError::InvalidParams(_))
        ));
        assert!(matches!(
            list_query(UserType::Agent, &params(&[("count", "-1")])),
            Err(QueryError::InvalidParams(_))
        ));
        assert!(matches!(
            list_query(UserType::Agent, &params(&[("sort", "{bad")])),
            Err(QueryError::InvalidSort(_))
        ));
        assert!(matches!(
            list_query(UserType::Agent, &params(&[("sort", r#"{"password":1}"#)])),
            Err(QueryError::InvalidSort(_))
        ));
    }

    #[test]
    fn usernames_and_created_agents() {
        assert!(is_valid_username("john.doe-2_x"));
        assert!(
            !is_valid_username("john doe") && !is_valid_username("") && !is_valid_username("a@b")
        );
        let new = new_agent("John.Doe", UserType::Manager, "example.com");
        assert_eq!(
            (new.profile.email.as_str(), new.profile.role),
            ("john.doe@example.com", Role::Administrator)
        );
    }

    #[test]
    fn an_upstream_register_names_the_agents_username() {
        let mut p = Profile {
            email: "Grace.Hopper@example.com".into(),
            ..Profile::default()
        };
        assert_eq!(to_upstream_register(&p).username, "grace.hopper");
        p.username = Some("amazing.grace".into());
        assert_eq!(to_upstream_register(&p).username, "amazing.grace");
    }
}
