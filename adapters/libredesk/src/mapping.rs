//! libredesk ⇄ canonical, as pure functions.
//!
//! | libredesk | canonical |
//! |---|---|
//! | `id` | `ids.int` |
//! | `first_name`, `last_name`, `email` | the same |
//! | `type` | always `"agent"` |
//! | `availability_status` online / away / away_manual / offline / away_and_reassigning | online / away / busy / offline / away (the exact value is kept as extension `libredesk.availability_status`, so it comes back while the canonical value still matches) |
//! | `phone_number_country_code`, `phone_number` | `phone_country_code`, `phone` |
//! | `avatar_url` | `avatar_url` |
//! | `enabled` | `state.active` |
//! | `last_active_at`, `last_login_at` | the same timestamps |
//! | `roles` `["Admin"]` / `["Agent"]` (and the seed's single `role`) | `role` administrator / agent |
//! | `permissions` | `[]`: Libredesk derives them from role definitions agentgw does not hold |
//! | `custom_attributes` | extension `libredesk.custom_attributes` (`{}` when none) |
//! | `teams` `[{id, name, emoji}]` | `teams` by name; ids and emoji from the tenant's team registry |
//! | `send_welcome_email` | extension `libredesk.send_welcome_email` (recorded, never sent) |
//! | `new_password` | the password (hashed by the store) |
//! | `api_key`, `api_key_last_used_at` | always `null` |

use agentgw_core::RemoteAgent;
use agentgw_model::limits::{self, TextProblem};
use agentgw_model::{
    Agent, Availability, NewAgent, Password, Profile, ProfilePatch, Role, Team, parse_email,
};
use agentgw_model::{Precision, format_time, parse_time as parse_rfc3339};
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::wire;

/// The extensions key of this dialect.
pub const DIALECT: &str = "libredesk";

/// Libredesk's password length, in bytes: at least 10, at most bcrypt's 72.
const PASSWORD_BYTES: std::ops::RangeInclusive<usize> = 10..=72;

/// Libredesk's answer to a password outside its rules.
pub(crate) const WEAK_PASSWORD: &str = "Password must be 10-72 characters long should contain at least one uppercase letter, one lowercase letter, one number, and one special character.";

/// Whether Libredesk takes `password` (its `IsStrongPassword`): 10 to 72 bytes with each of
/// `[A-Z]`, `[a-z]`, `[0-9]` and `[\W_]` (anything but an ASCII letter or digit).
pub(crate) fn is_strong_password(password: &str) -> bool {
    let has = |class: fn(&char) -> bool| password.chars().any(|c| class(&c));
    PASSWORD_BYTES.contains(&password.len())
        && has(char::is_ascii_uppercase)
        && has(char::is_ascii_lowercase)
        && has(char::is_ascii_digit)
        && has(|c| !c.is_ascii_alphanumeric())
}

const ROLES: [(&str, Role); 2] = [("Admin", Role::Administrator), ("Agent", Role::Agent)];

/// Libredesk's availability values; for a canonical value, the first entry is what is shown.
const AVAILABILITY: [(&str, Availability); 5] = [
    ("online", Availability::Online),
    ("away", Availability::Away),
    ("away_manual", Availability::Busy),
    ("offline", Availability::Offline),
    ("away_and_reassigning", Availability::Away),
];

pub(crate) fn time(t: DateTime<Utc>) -> String {
    format_time(t, Precision::Auto)
}

/// The availability a Libredesk value means (`None` for a value Libredesk does not have).
pub(crate) fn availability_of(name: &str) -> Option<Availability> {
    AVAILABILITY
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, a)| *a)
}

/// The availability value shown for a profile.
pub fn availability(p: &Profile) -> String {
    let kept = p
        .extensions
        .get(DIALECT, "availability_status")
        .and_then(Value::as_str);
    let matches_kept = kept
        .and_then(|k| AVAILABILITY.iter().find(|(n, _)| *n == k))
        .filter(|(_, a)| *a == p.availability);
    matches_kept
        .or_else(|| AVAILABILITY.iter().find(|(_, a)| *a == p.availability))
        .map_or("online", |(n, _)| n)
        .to_owned()
}

fn role_names(role: Role) -> Vec<String> {
    ROLES
        .iter()
        .filter(|(_, r)| *r == role)
        .map(|(n, _)| (*n).to_owned())
        .collect()
}

/// Render the full agent; `teams` are the registry's entries for its team names.
pub fn to_full(agent: &Agent, teams: &[Team]) -> wire::Agent {
    let p = &agent.profile;
    wire::Agent {
        id: agent.ids.int,
        created_at: time(agent.created_at),
        updated_at: time(agent.updated_at),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        kind: "agent".into(),
        availability_status: availability(p),
        phone_number_country_code: p.phone_country_code.clone(),
        phone_number: p.phone.clone(),
        avatar_url: p.avatar_url.clone(),
        enabled: p.state.active,
        last_active_at: p.last_active_at.map(time),
        last_login_at: p.last_login_at.map(time),
        roles: role_names(p.role),
        permissions: Vec::new(),
        custom_attributes: p
            .extensions
            .get(DIALECT, "custom_attributes")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
        teams: teams
            .iter()
            .map(|t| wire::Team {
                id: t.id,
                name: t.name.clone(),
                emoji: Some(t.emoji.clone()),
            })
            .collect(),
        api_key: None,
        api_key_last_used_at: None,
    }
}

/// Render the compact agent of the list.
pub fn to_compact(agent: &Agent) -> wire::CompactAgent {
    let p = &agent.profile;
    wire::CompactAgent {
        id: agent.ids.int,
        kind: "agent".into(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        email: p.email.clone(),
        enabled: p.state.active,
        avatar_url: p.avatar_url.clone(),
        availability_status: availability(p),
        created_at: time(agent.created_at),
        updated_at: time(agent.updated_at),
    }
}

/// A request validated into the fields both create and PUT write.
#[derive(Debug, Clone)]
pub struct Validated {
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub role: Role,
    /// As sent: a create defaults it to true (Libredesk's column default), a PUT to false
    /// (Libredesk's Go zero value, which PUT writes).
    pub enabled: Option<bool>,
    /// Team names as given (the registry resolves them).
    pub teams: Vec<String>,
    pub availability: Option<(Availability, String)>,
    /// `new_password` on a PUT; a create ignores it, as Libredesk does.
    pub password: Option<Password>,
    pub phone: Option<String>,
    pub phone_country_code: Option<String>,
    pub avatar_url: Option<String>,
    pub extensions: Map<String, Value>,
}

fn role(req: &wire::AgentRequest) -> Result<Role, String> {
    // Libredesk requires `roles` but takes an empty list (a plain agent); the seed's single
    // `role` stands in for it.
    let names: Vec<&str> = match (&req.roles, &req.role) {
        (Some(roles), _) => roles.iter().map(String::as_str).collect(),
        (None, Some(role)) if !role.trim().is_empty() => vec![role.as_str()],
        _ => return Err("`role` empty".into()),
    };
    let mut out = Role::Agent;
    for name in names {
        match ROLES
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name.trim()))
        {
            Some((_, Role::Administrator)) => out = Role::Administrator,
            Some(_) => {}
            None => return Err(format!("Role `{name}` not found")),
        }
    }
    Ok(out)
}

/// A text field within its limit, in Libredesk's words.
fn text(value: &str, field: &str, limit: limits::TextLimit) -> Result<(), String> {
    limits::check_text(value, limit).map_err(|p| match p {
        TextProblem::TooLong { max } => format!("`{field}` too long (maximum {max} characters)"),
        TextProblem::Control => format!("Invalid `{field}`"),
    })
}

/// An optional text field, trimmed, within its limit (`None` when absent or blank).
fn optional(
    value: Option<String>,
    field: &str,
    limit: limits::TextLimit,
) -> Result<Option<String>, String> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(v) = &value {
        text(v, field, limit)?;
    }
    Ok(value)
}

/// Team names: each a name within its limit, at most `MAX_TEAMS` of them.
fn team_names(teams: Option<Vec<String>>) -> Result<Vec<String>, String> {
    let teams = teams.unwrap_or_default();
    if teams.len() > limits::MAX_TEAMS {
        return Err(format!(
            "`teams` too long (maximum {} teams)",
            limits::MAX_TEAMS
        ));
    }
    for team in &teams {
        text(team.trim(), "teams", limits::NAME)?;
    }
    Ok(teams)
}

/// Which request a body is: a create ignores `new_password`, a PUT checks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Request {
    Create,
    Replace,
}

/// Validate a create or PUT body: `first_name`, `email` and `roles` are required.
/// On PUT, omitted `enabled` is false and omitted `teams` none, as in Libredesk (PUT
/// replaces); a create starts enabled and offline, as Libredesk's does.
pub fn validate(req: wire::AgentRequest, request: Request) -> Result<Validated, String> {
    // Libredesk's order and words: email, then roles, then first name.
    let email = req
        .email
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("`email` empty")?
        .to_lowercase();
    let email = parse_email(&email).map_err(|_| "Invalid email address".to_owned())?;
    let role = role(&req)?;
    let first_name = req
        .first_name
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("`first_name` empty")?
        .to_owned();
    text(&first_name, "first_name", limits::NAME)?;
    let last_name = req
        .last_name
        .as_deref()
        .unwrap_or_default()
        .trim()
        .to_owned();
    text(&last_name, "last_name", limits::NAME)?;
    let availability = match req.availability_status {
        None => None,
        Some(a) => {
            let found = AVAILABILITY
                .iter()
                .find(|(n, _)| *n == a)
                .ok_or_else(|| "Invalid `availability_status`".to_owned())?;
            Some((found.1, a))
        }
    };
    let password = match (request, req.new_password) {
        // Libredesk generates a create's password and mails a reset link; agentgw stores none,
        // which locks the account the same way until a PUT sets one.
        (Request::Create, _) | (Request::Replace, None) => None,
        (Request::Replace, Some(p)) if is_strong_password(&p) => Some(Password::new(p)),
        (Request::Replace, Some(_)) => return Err(WEAK_PASSWORD.into()),
    };
    let mut extensions = Map::new();
    if let Some(send) = req.send_welcome_email {
        extensions.insert("send_welcome_email".into(), Value::Bool(send));
    }
    if let Some(attrs) = req.custom_attributes {
        let attrs = Value::Object(attrs);
        limits::check_json(&attrs).map_err(|p| format!("Invalid `custom_attributes`: it {p}"))?;
        extensions.insert("custom_attributes".into(), attrs);
    }
    if let Some((_, exact)) = &availability {
        extensions.insert("availability_status".into(), Value::String(exact.clone()));
    }
    Ok(Validated {
        first_name,
        last_name,
        email,
        role,
        enabled: req.enabled,
        teams: team_names(req.teams)?,
        availability,
        password,
        phone: optional(req.phone_number, "phone_number", limits::PHONE)?,
        phone_country_code: optional(
            req.phone_number_country_code,
            "phone_number_country_code",
            limits::PHONE_COUNTRY_CODE,
        )?,
        avatar_url: optional(req.avatar_url, "avatar_url", limits::URL)?,
        extensions,
    })
}

/// The canonical create for a validated body, with team names as the registry spells them.
pub fn new_agent(v: Validated, teams: Vec<String>) -> NewAgent {
    let mut profile = Profile {
        display_name: agentgw_model::join_name(&v.first_name, &v.last_name),
        first_name: v.first_name,
        last_name: v.last_name,
        email: v.email,
        role: v.role,
        availability: v.availability.map_or(Availability::Offline, |(a, _)| a),
        teams,
        phone: v.phone,
        phone_country_code: v.phone_country_code,
        avatar_url: v.avatar_url,
        ..Profile::default()
    };
    profile.state.active = v.enabled.unwrap_or(true);
    // No password yet: the agent is invited, as Libredesk's welcome email does.
    profile.state.confirmed = false;
    profile.extensions.merge(DIALECT, v.extensions);
    NewAgent {
        profile,
        password: None,
    }
}

/// The canonical update a PUT makes: every Libredesk-visible field is replaced.
pub fn replace(v: Validated, teams: Vec<String>) -> ProfilePatch {
    ProfilePatch {
        display_name: Some(agentgw_model::join_name(&v.first_name, &v.last_name)),
        first_name: Some(v.first_name),
        last_name: Some(v.last_name),
        email: Some(v.email),
        role: Some(v.role),
        active: Some(v.enabled.unwrap_or(false)),
        teams: Some(teams),
        availability: v.availability.map(|(a, _)| a),
        phone: v.phone.map(Some),
        phone_country_code: v.phone_country_code.map(Some),
        avatar_url: v.avatar_url.map(Some),
        password: v.password,
        extensions: (!v.extensions.is_empty()).then(|| (DIALECT.to_owned(), v.extensions)),
        ..ProfilePatch::default()
    }
}

/// A full agent a real Libredesk answered, as the canonical model sees it (upstream mode).
pub fn from_upstream(w: wire::Agent) -> RemoteAgent {
    let mut profile = Profile {
        display_name: agentgw_model::join_name(&w.first_name, &w.last_name),
        first_name: w.first_name,
        last_name: w.last_name,
        email: w.email,
        role: if w.roles.iter().any(|r| r.eq_ignore_ascii_case("admin")) {
            Role::Administrator
        } else {
            Role::Agent
        },
        availability: availability_of(&w.availability_status).unwrap_or(Availability::Online),
        phone: w.phone_number,
        phone_country_code: w.phone_number_country_code,
        avatar_url: w.avatar_url,
        teams: w.teams.into_iter().map(|t| t.name).collect(),
        last_login_at: w.last_login_at.as_deref().and_then(parse_rfc3339),
        last_active_at: w.last_active_at.as_deref().and_then(parse_rfc3339),
        ..Profile::default()
    };
    profile.state.active = w.enabled;
    profile.state.confirmed = true;
    profile.extensions.merge(
        DIALECT,
        [(
            "availability_status".to_owned(),
            Value::String(w.availability_status),
        )]
        .into_iter()
        .collect(),
    );
    if !w.custom_attributes.is_empty() {
        profile.extensions.merge(
            DIALECT,
            [(
                "custom_attributes".to_owned(),
                Value::Object(w.custom_attributes),
            )]
            .into_iter()
            .collect(),
        );
    }
    RemoteAgent {
        id: w.id.to_string(),
        profile,
        created_at: parse_rfc3339(&w.created_at),
        updated_at: parse_rfc3339(&w.updated_at),
    }
}

/// The create / PUT body a real Libredesk takes: the whole Libredesk-visible object
/// (upstream mode).
pub fn to_upstream(p: &Profile, password: Option<&Password>) -> wire::AgentRequest {
    wire::AgentRequest {
        first_name: Some(p.first_name.clone()),
        last_name: Some(p.last_name.clone()),
        email: Some(p.email.clone()),
        send_welcome_email: Some(false),
        teams: Some(p.teams.clone()),
        roles: Some(role_names(p.role)),
        enabled: Some(p.state.active),
        availability_status: Some(availability(p)),
        new_password: password.map(|pw| pw.expose().to_owned()),
        phone_number: p.phone.clone(),
        phone_number_country_code: p.phone_country_code.clone(),
        avatar_url: p.avatar_url.clone(),
        ..wire::AgentRequest::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_model::AgentIds;

    const CREATE: &str = include_str!("../../../tests/fixtures/libredesk/create_request.json");
    const CREATED: &str = include_str!("../../../tests/fixtures/libredesk/create_response.json");

    fn agent() -> Agent {
        let t = DateTime::parse_from_rfc3339("2025-08-28T10:00:00Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut profile = Profile {
            first_name: "John".into(),
            last_name: "Doe".into(),
            email: "[email protected]".into(),
            role: Role::Administrator,
            phone: Some("1234567890".into()),
            phone_country_code: Some("+1".into()),
            avatar_url: Some("/avatars/agent1.jpg".into()),
            last_active_at: Some(t),
            last_login_at: Some(t),
            teams: vec!["Support Team".into()],
            ..Profile::default()
        };
        profile.state.active = true;
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

    fn shape(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                Value::Object(m.iter().map(|(k, v)| (k.clone(), shape(v))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().take(1).map(shape).collect()),
            Value::String(_) => "string".into(),
            Value::Number(_) => "number".into(),
            Value::Bool(_) => "bool".into(),
            Value::Null => "null".into(),
        }
    }

    #[test]
    fn seed_create_response_has_our_shape_field_for_field() {
        let seed: Value = serde_json::from_str(CREATED).unwrap_or(Value::Null);
        let team = Team {
            id: 1,
            guid: uuid::Uuid::nil(),
            name: "Support Team".into(),
            emoji: "🛠️".into(),
            ..Team::default()
        };
        let ours = serde_json::to_value(wire::Envelope::success(to_full(&agent(), &[team])))
            .unwrap_or(Value::Null);
        let mut seed_shape = shape(&seed);
        // agentgw never hands out credentials: api_key is always null.
        seed_shape["data"]["api_key"] = "null".into();
        seed_shape["data"]["api_key_last_used_at"] = "null".into();
        seed_shape["data"]["permissions"] = Value::Array(vec![]);
        assert_eq!(shape(&ours), seed_shape);
        for key in [
            "id",
            "created_at",
            "first_name",
            "last_name",
            "email",
            "type",
            "availability_status",
            "phone_number_country_code",
            "phone_number",
            "avatar_url",
            "enabled",
            "last_login_at",
            "teams",
        ] {
            assert_eq!(ours["data"][key], seed["data"][key], "{key}");
        }
        assert_eq!(ours["data"]["roles"], serde_json::json!(["Admin"]));
    }

    #[test]
    fn seed_create_request_is_understood() {
        let mut req: wire::AgentRequest = serde_json::from_str(CREATE).unwrap_or_default();
        assert_eq!(
            role(&req),
            Err("Role `<string>` not found".into()),
            "the seed's placeholder role is no role"
        );
        req.role = Some("admin".into());
        req.email = Some("john@example.com".into());
        let v = validate(req, Request::Create).expect("valid");
        assert_eq!(
            (v.role, v.enabled, v.teams.clone()),
            (Role::Administrator, Some(true), vec!["<string>".to_owned()])
        );
        let new = new_agent(v, vec!["<string>".into()]);
        assert_eq!(
            new.profile.extensions.get(DIALECT, "send_welcome_email"),
            Some(&Value::Bool(true))
        );
    }

    #[test]
    fn availability_round_trips_all_five_values() {
        for (name, canonical) in AVAILABILITY {
            let req = wire::AgentRequest {
                first_name: Some("A".into()),
                email: Some("a@b.co".into()),
                role: Some("Agent".into()),
                availability_status: Some(name.into()),
                ..Default::default()
            };
            let new = new_agent(validate(req, Request::Create).expect("valid"), vec![]);
            assert_eq!(new.profile.availability, canonical, "{name}");
            assert_eq!(
                availability(&new.profile),
                name,
                "{name} comes back unchanged"
            );
        }
        // Changed elsewhere (ndoto sets busy): the kept value no longer matches, the canonical one shows.
        let req = wire::AgentRequest {
            first_name: Some("A".into()),
            email: Some("a@b.co".into()),
            role: Some("Agent".into()),
            availability_status: Some("away_and_reassigning".into()),
            ..Default::default()
        };
        let mut p = new_agent(validate(req, Request::Create).expect("valid"), vec![]).profile;
        p.availability = Availability::Busy;
        assert_eq!(availability(&p), "away_manual");
    }

    #[test]
    fn validation_messages() {
        let base = || wire::AgentRequest {
            first_name: Some("A".into()),
            email: Some("a@b.co".into()),
            roles: Some(vec!["Agent".into()]),
            ..Default::default()
        };
        assert!(
            validate(base(), Request::Replace).is_ok_and(|v| {
                let put = replace(v.clone(), vec![]);
                let created = new_agent(v, vec![]).profile;
                put.active == Some(false)
                    && put.teams == Some(vec![])
                    && created.state.active
                    && created.availability == Availability::Offline
            }),
            "PUT semantics: omitted enabled is false, omitted teams none; a create starts enabled and offline"
        );
        assert_eq!(
            validate(
                wire::AgentRequest {
                    email: None,
                    ..base()
                },
                Request::Replace
            )
            .err(),
            Some("`email` empty".into())
        );
        assert_eq!(
            validate(
                wire::AgentRequest {
                    email: Some("nope".into()),
                    ..base()
                },
                Request::Replace
            )
            .err(),
            Some("Invalid email address".into())
        );
        assert_eq!(
            validate(
                wire::AgentRequest {
                    first_name: Some(" ".into()),
                    ..base()
                },
                Request::Replace
            )
            .err(),
            Some("`first_name` empty".into())
        );
        assert_eq!(
            validate(
                wire::AgentRequest {
                    roles: None,
                    ..base()
                },
                Request::Replace
            )
            .err(),
            Some("`role` empty".into())
        );
        assert_eq!(
            validate(
                wire::AgentRequest {
                    roles: Some(vec!["Owner".into()]),
                    ..base()
                },
                Request::Replace
            )
            .err(),
            Some("Role `Owner` not found".into())
        );
        assert!(
            validate(
                wire::AgentRequest {
                    availability_status: Some("napping".into()),
                    ..base()
                },
                Request::Replace
            )
            .is_err()
        );
    }

    #[test]
    fn roles_are_required_but_may_be_empty_and_emails_are_lowercased() {
        let req = wire::AgentRequest {
            first_name: Some("A".into()),
            email: Some("  Ada.B@Example.COM ".into()),
            roles: Some(vec![]),
            ..Default::default()
        };
        let v = validate(req, Request::Create).expect("an empty roles list is a plain agent");
        assert_eq!(
            (v.role, v.email.as_str()),
            (Role::Agent, "ada.b@example.com")
        );
    }

    #[test]
    fn a_create_ignores_its_password_and_a_put_checks_libredesks_rules() {
        let with = |pw: &str| wire::AgentRequest {
            first_name: Some("A".into()),
            email: Some("a@b.co".into()),
            roles: Some(vec!["Agent".into()]),
            new_password: Some(pw.into()),
            ..Default::default()
        };
        let created = validate(with("weak"), Request::Create).expect("create ignores it");
        assert!(created.password.is_none());
        let new = new_agent(created, vec![]);
        assert!(new.password.is_none() && !new.profile.state.confirmed);
        let strong = "Str0ng!pass";
        assert!(
            validate(with(strong), Request::Replace)
                .is_ok_and(|v| v.password.is_some_and(|p| p.expose() == strong))
        );
        let nine = "Sh0rt!pas";
        let seventy_three = format!("Aa1!{}", "x".repeat(69));
        for weak in [
            nine,
            &seventy_three,
            "alllower1!x",
            "ALLUPPER1!X",
            "NoDigits!!x",
            "NoSpecial1x",
            "ÉÉÉÉÉ1!abcd",
        ] {
            assert_eq!(
                validate(with(weak), Request::Replace).err().as_deref(),
                Some(WEAK_PASSWORD),
                "{weak:?}"
            );
        }
        // As Go's `[\W_]`: a space, an underscore or any non-ASCII letter is special.
        for special in ["Spaces 1 Aa", "Under_1Aaxx", "Acc3ntéaxx"] {
            assert!(is_strong_password(special), "{special:?}");
        }
        // Bytes, not characters: 4 + 34 two-byte letters are 72 bytes.
        assert!(is_strong_password(&format!("Aa1!{}", "é".repeat(34))));
        assert!(!is_strong_password(&format!("Aa1!{}", "é".repeat(35))));
    }

    #[test]
    fn an_upstream_body_is_the_whole_libredesk_object() {
        let mut p = agent().profile;
        p.state.active = false;
        let body = serde_json::to_value(to_upstream(&p, Some(&Password::new("N3w-Secret!x"))))
            .unwrap_or_default();
        assert_eq!(body["roles"], serde_json::json!(["Admin"]));
        assert_eq!(
            body["enabled"],
            serde_json::json!(false),
            "PUT replaces: false is sent"
        );
        assert_eq!(body["new_password"], "N3w-Secret!x");
        assert_eq!(body["send_welcome_email"], false);
        let without = serde_json::to_value(to_upstream(&p, None)).unwrap_or_default();
        assert!(without.get("new_password").is_none());
    }
}
