//! ndoto ⇄ canonical, as pure functions.
//!
//! | ndoto | canonical |
//! |---|---|
//! | `id` | `ids.int` |
//! | `account_id` | the route's account (not stored) |
//! | `name`, `available_name` | `display_name`; on write also `first_name`/`last_name` by [`split_name`] |
//! | `email` | `email` |
//! | `role` administrator / agent | `role` |
//! | `availability` = `availability_status` online / busy / offline (`available` read as online) | `availability` (canonical `away` is shown as `busy`) |
//! | `confirmed` | `state.confirmed` (false on create: the invite is pending) |
//! | `avatar_url` = `thumbnail` | `avatar_url` (`""` when none, as Chatwoot renders it) |
//! | `auto_offline` | extension `ndoto.auto_offline` (default `true`, Chatwoot's) |

use agentgw_core::RemoteAgent;
use agentgw_model::limits::{self, TextProblem};
use agentgw_model::{
    Agent, Availability, NewAgent, Profile, ProfilePatch, Role, parse_email, split_name,
};
use serde_json::{Map, Value};

use crate::wire;

/// The extensions key of this dialect.
pub const DIALECT: &str = "ndoto";

const ROLES: [(&str, Role); 2] = [
    ("administrator", Role::Administrator),
    ("agent", Role::Agent),
];
/// What is shown comes first; `available` is read only: clients generated from Chatwoot's
/// older swagger send it in `availability_status` for online.
const AVAILABILITIES: [(&str, Availability); 4] = [
    ("online", Availability::Online),
    ("busy", Availability::Busy),
    ("offline", Availability::Offline),
    ("available", Availability::Online),
];

/// One failed validation: the attribute and its Rails-style message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub attribute: &'static str,
    pub message: String,
}

fn invalid(attribute: &'static str, message: &str) -> Invalid {
    Invalid {
        attribute,
        message: message.to_owned(),
    }
}

fn lookup<T: Copy>(table: &[(&str, T)], name: &str) -> Option<T> {
    table.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
}

/// The ndoto name of a role.
pub(crate) fn role_name(role: Role) -> &'static str {
    ROLES
        .iter()
        .find(|(_, r)| *r == role)
        .map_or("agent", |(n, _)| n)
}

/// The ndoto name of an availability (`away` shows as `busy`).
pub(crate) fn availability_name(a: Availability) -> &'static str {
    // Chatwoot has no `away`: its nearest is `busy`.
    let shown = if a == Availability::Away {
        Availability::Busy
    } else {
        a
    };
    AVAILABILITIES
        .iter()
        .find(|(_, v)| *v == shown)
        .map_or("online", |(n, _)| n)
}

/// The role an ndoto name means (`None` for a name ndoto does not have).
pub(crate) fn role_of(name: &str) -> Option<Role> {
    lookup(&ROLES, name)
}

/// The availability an ndoto name means (`None` for a name ndoto does not have).
pub(crate) fn availability_of(name: &str) -> Option<Availability> {
    lookup(&AVAILABILITIES, name)
}

fn parse_role(value: Option<&str>, errors: &mut Vec<Invalid>) -> Option<Role> {
    match value.map(str::trim) {
        None | Some("") => {
            errors.push(invalid("role", "Role can't be blank"));
            None
        }
        Some(r) => lookup(&ROLES, r).or_else(|| {
            errors.push(invalid("role", "Role is not included in the list"));
            None
        }),
    }
}

fn parse_availability(value: &str, errors: &mut Vec<Invalid>) -> Option<Availability> {
    lookup(&AVAILABILITIES, value.trim()).or_else(|| {
        errors.push(invalid(
            "availability",
            "Availability is not included in the list",
        ));
        None
    })
}

fn parse_name(value: Option<&str>, errors: &mut Vec<Invalid>) -> Option<String> {
    match value.map(str::trim) {
        None | Some("") => {
            errors.push(invalid("name", "Name can't be blank"));
            None
        }
        Some(n) => match limits::check_text(n, limits::NAME) {
            Ok(()) => Some(n.to_owned()),
            Err(TextProblem::TooLong { max }) => {
                errors.push(invalid(
                    "name",
                    &format!("Name is too long (maximum is {max} characters)"),
                ));
                None
            }
            Err(TextProblem::Control) => {
                errors.push(invalid("name", "Name is invalid"));
                None
            }
        },
    }
}

fn auto_offline_extension(value: Option<bool>) -> Map<String, Value> {
    value
        .map(|v| Map::from_iter([("auto_offline".to_owned(), Value::Bool(v))]))
        .unwrap_or_default()
}

/// Render a canonical agent for `account_id`.
pub fn to_wire(agent: &Agent, account_id: i64) -> wire::Agent {
    let p = &agent.profile;
    let name = p.shown_name();
    let availability = availability_name(p.availability).to_owned();
    let avatar = p.avatar_url.clone().unwrap_or_default();
    wire::Agent {
        id: agent.ids.int,
        account_id: Some(account_id),
        available_name: Some(name.clone()),
        name,
        email: p.email.clone(),
        role: role_name(p.role).to_owned(),
        availability_status: Some(availability.clone()),
        availability,
        confirmed: p.state.confirmed,
        thumbnail: Some(avatar.clone()),
        avatar_url: Some(avatar),
        auto_offline: Some(
            p.extensions
                .get(DIALECT, "auto_offline")
                .and_then(Value::as_bool)
                .unwrap_or(true),
        ),
    }
}

/// Validate a create body and build the canonical create; every problem is reported at once.
pub fn new_agent(req: wire::CreateAgent) -> Result<NewAgent, Vec<Invalid>> {
    let mut errors = Vec::new();
    let name = parse_name(req.name.as_deref(), &mut errors);
    let email = match req.email.as_deref().map(str::trim) {
        None | Some("") => {
            errors.push(invalid("email", "Email can't be blank"));
            None
        }
        Some(e) => parse_email(e)
            .map_err(|_| errors.push(invalid("email", "Email is invalid")))
            .ok(),
    };
    let role = parse_role(req.role.as_deref(), &mut errors);
    let availability = match req
        .availability
        .as_deref()
        .or(req.availability_status.as_deref())
    {
        None => Some(Availability::Online),
        Some(a) => parse_availability(a, &mut errors),
    };
    let (Some(name), Some(email), Some(role), Some(availability), true) =
        (name, email, role, availability, errors.is_empty())
    else {
        return Err(errors);
    };
    let (first_name, last_name) = split_name(&name);
    let mut profile = Profile {
        email,
        first_name,
        last_name,
        display_name: name,
        role,
        availability,
        ..Profile::default()
    };
    profile
        .extensions
        .merge(DIALECT, auto_offline_extension(req.auto_offline));
    Ok(NewAgent {
        profile,
        password: None,
    })
}

/// Validate an update body and build the canonical partial update.
pub fn patch(req: wire::UpdateAgent) -> Result<ProfilePatch, Vec<Invalid>> {
    let mut errors = Vec::new();
    let mut patch = ProfilePatch::default();
    if let Some(name) = req.name
        && let Some(name) = parse_name(name.as_deref(), &mut errors)
    {
        let (first, last) = split_name(&name);
        patch.first_name = Some(first);
        patch.last_name = Some(last);
        patch.display_name = Some(name);
    }
    if let Some(role) = req.role {
        patch.role = parse_role(role.as_deref(), &mut errors);
    }
    match req.availability.or(req.availability_status) {
        None => {}
        Some(None) => errors.push(invalid("availability", "Availability can't be blank")),
        Some(Some(a)) => patch.availability = parse_availability(&a, &mut errors),
    }
    let ext = auto_offline_extension(req.auto_offline);
    if !ext.is_empty() {
        patch.extensions = Some((DIALECT.to_owned(), ext));
    }
    if errors.is_empty() {
        Ok(patch)
    } else {
        Err(errors)
    }
}

/// An agent a real ndoto (Chatwoot) answered, as the canonical model sees it (upstream mode).
pub fn from_upstream(w: wire::Agent) -> RemoteAgent {
    let (first_name, last_name) = split_name(&w.name);
    let status = w.availability_status.as_deref().unwrap_or(&w.availability);
    let mut profile = Profile {
        display_name: w.name,
        first_name,
        last_name,
        email: w.email,
        role: role_of(&w.role).unwrap_or(Role::Agent),
        availability: availability_of(status).unwrap_or(Availability::Online),
        // Chatwoot renders the avatar as `thumbnail`; the seed as `avatar_url`.
        avatar_url: [w.avatar_url, w.thumbnail]
            .into_iter()
            .flatten()
            .find(|a| !a.is_empty()),
        ..Profile::default()
    };
    profile.state.confirmed = w.confirmed;
    if let Some(auto) = w.auto_offline {
        profile.extensions.merge(
            DIALECT,
            Map::from_iter([("auto_offline".to_owned(), Value::Bool(auto))]),
        );
    }
    RemoteAgent {
        id: w.id.to_string(),
        profile,
        created_at: None,
        updated_at: None,
    }
}

/// The create body a real ndoto takes (upstream mode).
pub fn to_upstream_create(p: &Profile) -> wire::CreateAgent {
    wire::CreateAgent {
        name: Some(p.shown_name()),
        email: Some(p.email.clone()),
        role: Some(role_name(p.role).to_owned()),
        availability: Some(availability_name(p.availability).to_owned()),
        ..wire::CreateAgent::default()
    }
}

/// The minimal PATCH that makes a real ndoto's agent `desired` (it is `current`): name, role
/// and availability where they differ (Chatwoot updates nothing else); `None` when none does.
pub fn to_upstream_update(current: &Profile, desired: &Profile) -> Option<wire::UpdateAgent> {
    let change = wire::UpdateAgent {
        name: (current.shown_name() != desired.shown_name()).then(|| Some(desired.shown_name())),
        role: (current.role != desired.role).then(|| Some(role_name(desired.role).to_owned())),
        availability: (availability_name(current.availability)
            != availability_name(desired.availability))
        .then(|| Some(availability_name(desired.availability).to_owned())),
        ..wire::UpdateAgent::default()
    };
    (change != wire::UpdateAgent::default()).then_some(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_model::AgentIds;
    use serde_json::json;

    const LIST: &str = include_str!("../../../tests/fixtures/ndoto/list_response.json");
    const CREATE: &str = include_str!("../../../tests/fixtures/ndoto/create_request.json");
    const UPDATE: &str = include_str!("../../../tests/fixtures/ndoto/update_request.json");

    fn seed_agent() -> Agent {
        let mut profile = Profile {
            email: "[email protected]".into(),
            first_name: "Alex".into(),
            last_name: "Banda".into(),
            display_name: "Alex Banda".into(),
            avatar_url: Some("https://...".into()),
            ..Profile::default()
        };
        profile.state.confirmed = true;
        Agent {
            ids: AgentIds {
                int: 5,
                guid: uuid::Uuid::nil(),
                short: "x".repeat(17),
            },
            profile,
            created_at: chrono::Utc::now(),
            updated_at: chrono::Utc::now(),
        }
    }

    #[test]
    fn old_and_new_swagger_clients_are_both_understood() {
        let old = wire::CreateAgent {
            name: Some("A B".into()),
            email: Some("a@b.co".into()),
            role: Some("agent".into()),
            availability_status: Some("available".into()),
            ..Default::default()
        };
        let new = wire::CreateAgent {
            availability_status: None,
            availability: Some("busy".into()),
            ..old.clone()
        };
        let both = wire::CreateAgent {
            availability: Some("offline".into()),
            ..old.clone()
        };
        let seen = |req| new_agent(req).map(|n| n.profile.availability);
        assert_eq!(seen(old), Ok(Availability::Online));
        assert_eq!(seen(new), Ok(Availability::Busy));
        assert_eq!(seen(both), Ok(Availability::Offline), "availability wins");
        let update = wire::UpdateAgent {
            availability_status: Some(Some("available".into())),
            ..Default::default()
        };
        assert_eq!(
            patch(update).map(|p| p.availability),
            Ok(Some(Availability::Online))
        );
        assert_eq!(
            availability_name(Availability::Online),
            "online",
            "shown as Chatwoot shows it"
        );
    }

    #[test]
    fn seed_list_item_is_rendered_field_for_field() {
        let seed: Value = serde_json::from_str(LIST).expect("fixture");
        let seed_item = seed[0].as_object().expect("object").clone();
        let ours = serde_json::to_value(to_wire(&seed_agent(), 1)).expect("json");
        for (key, value) in &seed_item {
            assert_eq!(ours.get(key), Some(value), "field {key}");
        }
        // And the Chatwoot fields its clients validate.
        assert_eq!(ours["account_id"], json!(1));
        assert_eq!(ours["availability_status"], json!("online"));
        assert_eq!(ours["available_name"], json!("Alex Banda"));
        assert_eq!(ours["thumbnail"], json!("https://..."));
    }

    #[test]
    fn seed_list_parses_as_wire_agents() {
        let agents: Vec<wire::Agent> = serde_json::from_str(LIST).expect("fixture");
        assert_eq!(agents[0].id, 5);
        assert_eq!(agents[0].account_id, None);
    }

    #[test]
    fn seed_create_maps_to_a_canonical_agent() {
        let mut req: wire::CreateAgent = serde_json::from_str(CREATE).expect("fixture");
        // The scraper obfuscated the address; a real client sends a real one.
        req.email = Some("alex@example.com".into());
        let new = new_agent(req).expect("valid");
        let p = &new.profile;
        assert_eq!(
            (
                p.first_name.as_str(),
                p.last_name.as_str(),
                p.display_name.as_str()
            ),
            ("Alex", "Banda", "Alex Banda")
        );
        assert_eq!(
            (p.role, p.availability, p.state.confirmed),
            (Role::Agent, Availability::Online, false)
        );
    }

    #[test]
    fn seed_update_maps_to_a_role_change() {
        let req: wire::UpdateAgent = serde_json::from_str(UPDATE).expect("fixture");
        let patch = patch(req).expect("valid");
        assert_eq!(patch.role, Some(Role::Administrator));
        assert!(patch.display_name.is_none() && patch.availability.is_none());
    }

    #[test]
    fn create_reports_every_problem() {
        let errors = new_agent(wire::CreateAgent {
            email: Some("nope".into()),
            role: Some("owner".into()),
            availability: Some("away".into()),
            ..Default::default()
        })
        .expect_err("invalid");
        let attributes: Vec<_> = errors.iter().map(|e| e.attribute).collect();
        assert_eq!(attributes, ["name", "email", "role", "availability"]);
    }

    #[test]
    fn availability_status_is_accepted_and_away_shows_as_busy() {
        let req = wire::CreateAgent {
            name: Some("Cher".into()),
            email: Some("cher@example.com".into()),
            role: Some("administrator".into()),
            availability_status: Some("busy".into()),
            ..Default::default()
        };
        let new = new_agent(req).expect("valid");
        assert_eq!(
            (
                new.profile.first_name.as_str(),
                new.profile.last_name.as_str()
            ),
            ("Cher", "")
        );
        assert_eq!(new.profile.availability, Availability::Busy);
        let mut agent = seed_agent();
        agent.profile.availability = Availability::Away;
        assert_eq!(to_wire(&agent, 1).availability, "busy");
    }

    #[test]
    fn update_refuses_null_and_blank() {
        let req: wire::UpdateAgent =
            serde_json::from_value(json!({"name": null, "role": "x", "availability": null}))
                .expect("decodes");
        let attributes: Vec<_> = patch(req)
            .expect_err("invalid")
            .iter()
            .map(|e| e.attribute)
            .collect();
        assert_eq!(attributes, ["name", "role", "availability"]);
    }

    #[test]
    fn an_upstream_patch_carries_only_what_chatwoot_updates_and_differs() {
        let current = Profile {
            display_name: "Ada Lovelace".into(),
            availability: Availability::Away,
            ..Profile::default()
        };
        // Away shows as busy on ndoto: busy is no change there.
        let same = Profile {
            availability: Availability::Busy,
            title: Some("not an ndoto field".into()),
            ..current.clone()
        };
        assert_eq!(to_upstream_update(&current, &same), None);
        let renamed = Profile {
            display_name: "Ada King".into(),
            role: Role::Administrator,
            ..current.clone()
        };
        let change =
            to_upstream_update(&current, &renamed).and_then(|c| serde_json::to_value(c).ok());
        assert_eq!(
            change,
            Some(json!({"name": "Ada King", "role": "administrator"}))
        );
    }
}
