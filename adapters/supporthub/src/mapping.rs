//! supporthub ⇄ canonical, as pure functions.
//!
//! | supporthub | canonical |
//! |---|---|
//! | `id` | `ids.int` |
//! | `first_name`, `last_name` | `first_name`, `last_name` (the display name follows while derived) |
//! | `role` 1 / 2 | `role` administrator / agent |
//! | `email` | `email` |
//! | `avatar` | `avatar_url` |
//! | `status` 1 active / 2 unconfirmed / 3 banned | `state.banned` → 3, else `!state.confirmed` → 2, else 1 |
//! | `timezone` | `time_zone` (IANA) |
//! | `created_at`, `updated_at`, `last_login_at` | the same timestamps, ISO 8601 `Z`, whole seconds |
//! | `password`, `new_password` | the password (write-only, hashed by the store) |
//! | permissions, notifications | `permissions`, `notifications` (named booleans, defaults below) |
//! | `*_count` includes | not tracked by agentgw (no tickets or notes): always 0 |

use agentgw_core::RemoteAgent;
use agentgw_model::{
    Agent, Filter, FlagKind, Flags, NewAgent, Password, Profile, ProfilePatch, Role, join_name,
};
use agentgw_model::{Precision, TimeZone, format_time, parse_time as parse_rfc3339};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::validate::{self, Errors, Presence};
use crate::wire;

/// The dialect's name.
pub const DIALECT: &str = "supporthub";

/// The permissions supporthub knows, and what an agent has before anyone sets them.
pub const PERMISSIONS: [(&str, bool); 3] = [
    ("manage_articles", false),
    ("manage_customers", false),
    ("view_all_tickets", true),
];
/// The notification settings supporthub knows, and their defaults.
pub const NOTIFICATIONS: [(&str, bool); 3] = [
    ("new_ticket", true),
    ("new_comment", true),
    ("ticket_reassigned", true),
];

/// The four `include=` values and the count field each adds.
pub const INCLUDES: [&str; 4] = [
    "notes-count",
    "assigned-categories-count",
    "unresolved-tickets-count",
    "resolved-tickets-count",
];
/// The allowed `filter[...]` names.
pub const FILTERS: [&str; 4] = ["first_name", "last_name", "email", "status"];

const MAX_NAME: usize = 250;
const MIN_PASSWORD: usize = 6;

fn role_number(role: Role) -> u8 {
    match role {
        Role::Administrator => 1,
        Role::Agent => 2,
    }
}

fn status_number(p: &Profile) -> u8 {
    if p.state.banned {
        3
    } else if !p.state.confirmed {
        2
    } else {
        1
    }
}

pub(crate) fn time(t: DateTime<Utc>) -> String {
    format_time(t, Precision::Seconds)
}

/// Which include counts a request asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Includes([bool; 4]);

impl Includes {
    /// Parse `include=a,b`; an unknown name is spatie's 400 message.
    pub fn parse(value: &str) -> Result<Includes, String> {
        let mut out = Includes::default();
        for name in value.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            match INCLUDES.iter().position(|i| *i == name) {
                Some(i) => out.0[i] = true,
                None => {
                    return Err(format!(
                        "Requested include(s) `{name}` are not allowed. Allowed include(s) are `{}`.",
                        INCLUDES.join(", ")
                    ));
                }
            }
        }
        Ok(out)
    }
}

/// Render a canonical agent, with the requested include counts.
pub fn to_wire(agent: &Agent, includes: Includes) -> wire::Agent {
    let p = &agent.profile;
    // agentgw keeps no notes or tickets: a requested count is truthfully zero.
    let count = |i: usize| includes.0[i].then_some(0);
    wire::Agent {
        id: agent.ids.int,
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        role: role_number(p.role),
        email: p.email.clone(),
        avatar: p.avatar_url.clone(),
        status: status_number(p),
        created_at: time(agent.created_at),
        updated_at: time(agent.updated_at),
        last_login_at: p.last_login_at.map(time),
        timezone: p.time_zone.as_ref().map(|z| z.as_str().to_owned()),
        notes_count: count(0),
        assigned_categories_count: count(1),
        unresolved_tickets_count: count(2),
        resolved_tickets_count: count(3),
    }
}

/// Turn `filter[...]` pairs into a canonical filter; `Ok(None)` means nothing can match
/// (a status that does not exist). An unknown filter is spatie's 400 message.
pub fn filter(params: &[(String, String)]) -> Result<Option<Filter>, String> {
    let mut f = Filter::default();
    for (key, value) in params {
        let Some(name) = key
            .strip_prefix("filter[")
            .and_then(|k| k.strip_suffix(']'))
        else {
            continue;
        };
        let value = Some(value.clone()).filter(|v| !v.is_empty());
        match name {
            "first_name" => f.first_name = value,
            "last_name" => f.last_name = value,
            "email" => f.email = value,
            "status" => match value.as_deref().map(str::trim) {
                None => {}
                Some("1") => (f.confirmed, f.banned) = (Some(true), Some(false)),
                Some("2") => (f.confirmed, f.banned) = (Some(false), Some(false)),
                Some("3") => f.banned = Some(true),
                Some(_) => return Ok(None),
            },
            other => {
                return Err(format!(
                    "Requested filter(s) `{other}` are not allowed. Allowed filter(s) are `{}`.",
                    FILTERS.join(", ")
                ));
            }
        }
    }
    Ok(Some(f))
}

/// Validate a create body (`first_name`, `last_name`, `email`, `password` + confirmation).
pub fn new_agent(body: &Map<String, Value>) -> Result<NewAgent, Errors> {
    let mut errors = Errors::default();
    let first = validate::string(
        body,
        "first_name",
        Presence::Required,
        MAX_NAME,
        &mut errors,
    );
    let last = validate::string(body, "last_name", Presence::Required, MAX_NAME, &mut errors);
    let email = validate::email(body, "email", Presence::Required, &mut errors);
    let password = validate::password(
        body,
        "password",
        Presence::Required,
        MIN_PASSWORD,
        &mut errors,
    );
    let (Some(first), Some(last), Some(email), Some(password), true) =
        (first, last, email, password, errors.is_empty())
    else {
        return Err(errors);
    };
    let mut profile = Profile {
        display_name: join_name(&first, &last),
        first_name: first,
        last_name: last,
        email,
        ..Profile::default()
    };
    // An administrator created the account with its password: it is active (status 1).
    profile.state.confirmed = true;
    Ok(NewAgent {
        profile,
        password: Some(Password::new(password)),
    })
}

/// Validate an update body (every field optional; `new_password` needs its confirmation).
pub fn patch(body: &Map<String, Value>) -> Result<ProfilePatch, Errors> {
    let mut errors = Errors::default();
    let patch = ProfilePatch {
        first_name: validate::string(
            body,
            "first_name",
            Presence::Sometimes,
            MAX_NAME,
            &mut errors,
        ),
        last_name: validate::string(
            body,
            "last_name",
            Presence::Sometimes,
            MAX_NAME,
            &mut errors,
        ),
        email: validate::email(body, "email", Presence::Sometimes, &mut errors),
        password: validate::password(
            body,
            "new_password",
            Presence::Sometimes,
            MIN_PASSWORD,
            &mut errors,
        )
        .map(Password::new),
        time_zone: validate::timezone(body, "timezone", &mut errors),
        ..ProfilePatch::default()
    };
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

fn known(kind: FlagKind) -> &'static [(&'static str, bool); 3] {
    match kind {
        FlagKind::Permissions => &PERMISSIONS,
        FlagKind::Notifications => &NOTIFICATIONS,
    }
}

/// The supporthub view of a flag set: its three keys, defaults where never set.
pub fn flags_view(stored: &Flags, kind: FlagKind) -> Flags {
    known(kind)
        .iter()
        .map(|(k, default)| ((*k).to_owned(), stored.get(*k).copied().unwrap_or(*default)))
        .collect()
}

/// Validate a permissions / notifications PATCH body.
pub fn flags_patch(body: &Map<String, Value>, kind: FlagKind) -> Result<Flags, Errors> {
    let allowed: Vec<&str> = known(kind).iter().map(|(k, _)| *k).collect();
    let mut errors = Errors::default();
    let flags = validate::flags(body, &allowed, &mut errors);
    if errors.is_empty() {
        Ok(flags)
    } else {
        Err(errors)
    }
}

/// An agent a real supporthub answered, as the canonical model sees it (upstream mode).
pub fn from_upstream(w: wire::Agent) -> RemoteAgent {
    let mut profile = Profile {
        display_name: agentgw_model::join_name(&w.first_name, &w.last_name),
        first_name: w.first_name,
        last_name: w.last_name,
        email: w.email,
        role: if w.role == 1 {
            Role::Administrator
        } else {
            Role::Agent
        },
        avatar_url: w.avatar,
        time_zone: w.timezone.as_deref().and_then(|z| TimeZone::parse(z).ok()),
        last_login_at: w.last_login_at.as_deref().and_then(parse_rfc3339),
        ..Profile::default()
    };
    profile.state.banned = w.status == 3;
    profile.state.confirmed = w.status == 1;
    RemoteAgent {
        id: w.id.to_string(),
        profile,
        created_at: parse_rfc3339(&w.created_at),
        updated_at: parse_rfc3339(&w.updated_at),
    }
}

/// The create body a real supporthub takes (upstream mode): names, email and the password,
/// confirmed.
pub fn to_upstream_create(new: &NewAgent) -> wire::CreateAgent {
    let p = &new.profile;
    let password = new
        .password
        .as_ref()
        .map(|p| p.expose().to_owned())
        .unwrap_or_default();
    wire::CreateAgent {
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        password_confirmation: password.clone(),
        password,
    }
}

/// The minimal PATCH that makes a real supporthub's agent `desired` (it is `current`): only
/// the fields supporthub holds that differ, and a new password; `None` when nothing does.
pub fn to_upstream_update(
    current: &Profile,
    desired: &Profile,
    password: Option<&Password>,
) -> Option<wire::UpdateAgent> {
    let changed = |before: &String, after: &String| (before != after).then(|| after.clone());
    let change = wire::UpdateAgent {
        first_name: changed(&current.first_name, &desired.first_name),
        last_name: changed(&current.last_name, &desired.last_name),
        email: changed(&current.email, &desired.email),
        timezone: (current.time_zone != desired.time_zone)
            .then(|| desired.time_zone.as_ref().map(|z| z.as_str().to_owned())),
        new_password: password.map(|p| p.expose().to_owned()),
        new_password_confirmation: password.map(|p| p.expose().to_owned()),
    };
    (change != wire::UpdateAgent::default()).then_some(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_model::AgentIds;
    use serde_json::json;

    fn fixture(name: &str) -> Value {
        let text = match name {
            "list_item" => include_str!("../../../tests/fixtures/supporthub/list_item.json"),
            "create_request" => {
                include_str!("../../../tests/fixtures/supporthub/create_request.json")
            }
            "update_request" => {
                include_str!("../../../tests/fixtures/supporthub/update_request.json")
            }
            "update_response" => {
                include_str!("../../../tests/fixtures/supporthub/update_response.json")
            }
            "permissions" => {
                include_str!("../../../tests/fixtures/supporthub/permissions_response.json")
            }
            _ => "null",
        };
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    fn seed_agent() -> Agent {
        let t = DateTime::parse_from_rfc3339("2020-02-13T10:08:06Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut profile = Profile {
            first_name: "John".into(),
            last_name: "Doe".into(),
            display_name: "John Doe".into(),
            email: "john.doe@example.com".into(),
            role: Role::Administrator,
            avatar_url: Some("https://api.adorable.io/avatars/285/abott@adorable.png".into()),
            last_login_at: Some(t),
            ..Profile::default()
        };
        profile.state.confirmed = true;
        Agent {
            ids: AgentIds {
                int: 1,
                guid: uuid::Uuid::nil(),
                short: "s".repeat(17),
            },
            profile,
            created_at: t,
            updated_at: t,
        }
    }

    #[test]
    fn seed_agent_is_rendered_field_for_field() {
        let ours = serde_json::to_value(to_wire(&seed_agent(), Includes::default()))
            .unwrap_or(Value::Null);
        assert_eq!(ours, fixture("list_item"));
    }

    #[test]
    fn seed_create_and_update_map_to_the_model() {
        let body = fixture("create_request");
        let new = new_agent(body.as_object().unwrap_or(&Map::new())).expect("valid");
        assert_eq!(
            (
                new.profile.first_name.as_str(),
                new.profile.last_name.as_str(),
                new.profile.email.as_str()
            ),
            ("John", "Doe", "john.d@example.com")
        );
        assert_eq!(new.password.as_ref().map(Password::expose), Some("123123"));
        let patch =
            patch(fixture("update_request").as_object().unwrap_or(&Map::new())).expect("valid");
        let mut agent = seed_agent();
        patch.apply(&mut agent.profile);
        let ours = serde_json::to_value(wire::Data {
            data: to_wire(&agent, Includes::default()),
        })
        .unwrap_or(Value::Null);
        assert_eq!(ours, fixture("update_response"));
    }

    #[test]
    fn includes_and_filters() {
        let inc = Includes::parse("notes-count,resolved-tickets-count").expect("valid");
        let w = to_wire(&seed_agent(), inc);
        assert_eq!(
            (
                w.notes_count,
                w.resolved_tickets_count,
                w.assigned_categories_count
            ),
            (Some(0), Some(0), None)
        );
        assert!(Includes::parse("tickets").is_err_and(|e| e.contains("`tickets`")));
        let pairs = |v: &[(&str, &str)]| {
            v.iter()
                .map(|(a, b)| (a.to_string(), b.to_string()))
                .collect::<Vec<_>>()
        };
        let f = filter(&pairs(&[
            ("filter[first_name]", "jo"),
            ("filter[status]", "2"),
            ("page", "2"),
        ]))
        .expect("ok")
        .expect("some");
        assert_eq!(
            (f.first_name.as_deref(), f.confirmed, f.banned),
            (Some("jo"), Some(false), Some(false))
        );
        assert_eq!(filter(&pairs(&[("filter[status]", "9")])), Ok(None));
        assert!(filter(&pairs(&[("filter[role]", "1")])).is_err_and(|e| {
            e.contains("Allowed filter(s) are `first_name, last_name, email, status`")
        }));
    }

    #[test]
    fn flags_have_defaults_and_refuse_unknown_keys() {
        let view = flags_view(&Flags::new(), FlagKind::Permissions);
        assert_eq!(view.len(), 3);
        let seed = fixture("permissions");
        let stored: Flags = serde_json::from_value(seed["data"].clone()).unwrap_or_default();
        assert_eq!(
            serde_json::to_value(flags_view(&stored, FlagKind::Permissions)).unwrap_or(Value::Null),
            seed["data"]
        );
        assert!(
            flags_patch(
                json!({"delete_everything": true})
                    .as_object()
                    .unwrap_or(&Map::new()),
                FlagKind::Permissions
            )
            .is_err()
        );
    }

    #[test]
    fn an_upstream_patch_is_the_minimal_change() {
        let current = Profile {
            first_name: "Ada".into(),
            time_zone: agentgw_model::TimeZone::parse("Europe/London").ok(),
            ..Profile::default()
        };
        assert_eq!(to_upstream_update(&current, &current, None), None);
        let desired = Profile {
            time_zone: None,
            title: Some("not a supporthub field".into()),
            ..current.clone()
        };
        let password = Password::new("n3w-secret");
        let change = to_upstream_update(&current, &desired, Some(&password))
            .and_then(|c| serde_json::to_value(c).ok());
        assert_eq!(
            change,
            Some(
                json!({"timezone": null, "new_password": "n3w-secret", "new_password_confirmation": "n3w-secret"})
            ),
            "a cleared zone is an explicit null"
        );
    }
}
