//! comm100 ⇄ canonical, as pure functions.
//!
//! | comm100 | canonical |
//! |---|---|
//! | `id` | `ids.guid`, lowercase |
//! | `email`, `firstName`, `lastName`, `displayName` | `email`, `first_name`, `last_name`, `display_name` |
//! | `isAdmin` | `role == administrator` |
//! | `isActive` | `state.active` |
//! | `phone`, `title`, `bio` | `phone`, `title`, `bio` (`""` when none; a `data:text/plain;base64,` bio is decoded on input) |
//! | `timeZone` (Windows id) | `time_zone` (IANA, via CLDR; `UTC` shown when none) |
//! | `datetimeFormat` (six values) | `datetime_format` |
//! | `createdTime`, `lastLoginTime` | `created_at`, `last_login_at` |
//! | `isLocked`, `lockedTime` | `state.locked_at` (`1900-01-01T00:00:00Z` when never locked) |
//! | `avatar` | `avatar_url` |
//! | `language` | `language` (`en` shown when none) |
//! | `departmentIds` | `teams`, through the tenant's team registry (GUIDs) |
//! | `password` | the password (write-only) |
//! | the fields of [`EXTENSIONS`] | extension `comm100.<field>`, returned unchanged |
//!
//! Both directions live here: what a client of the comm100 face sends and is shown
//! (`validate`, `to_wire`), and what a real Comm100 answers and is sent when it is an upstream
//! (`from_upstream`, `to_upstream`).

use agentgw_core::RemoteAgent;
use agentgw_model::limits::{self, TextProblem};
use agentgw_model::{
    Agent, NewAgent, Password, Profile, ProfilePatch, Role, Team, TimeZone, parse_email,
};
use agentgw_model::{Precision, format_time, parse_time as parse_rfc3339};
use base64::Engine;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};

use crate::{wire, zone};

/// The extensions key of this dialect.
pub const DIALECT: &str = "comm100";

/// The six `datetimeFormat` values Comm100 allows.
pub const DATETIME_FORMATS: [&str; 6] = [
    "YYYY/MM/DD HH:mm:ss",
    "YYYY-MM-DD HH:mm:ss",
    "MM/DD/YYYY HH:mm:ss",
    "MM-DD-YYYY HH:mm:ss",
    "DD/MM/YYYY HH:mm:ss",
    "DD-MM-YYYY HH:mm:ss",
];

/// `lockedTime` of an agent that was never locked.
pub const NEVER_LOCKED: &str = "1900-01-01T00:00:00Z";

/// The JSON type of an extension field, as the Comm100 reference documents it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExtKind {
    Bool,
    /// A GUID string.
    Guid,
    /// A GUID string or null.
    GuidOrNull,
    /// A string of one line (at most 255 characters).
    Text,
    /// An image URL or null (at most 2,048 characters).
    UrlOrNull,
    /// An array of GUID strings.
    Guids,
    /// An array of integers (the reference's `permissionIds` example is `[1]`).
    Ints,
}

/// The most ids one extension array holds.
pub const MAX_IDS: usize = 256;

fn is_guid(v: &Value) -> bool {
    v.as_str().is_some_and(|s| s.parse::<uuid::Uuid>().is_ok())
}

fn is_line(v: &Value, limit: limits::TextLimit) -> bool {
    v.as_str()
        .is_some_and(|s| limits::check_text(s, limit).is_ok())
}

fn is_array_of(v: &Value, item: fn(&Value) -> bool) -> bool {
    v.as_array()
        .is_some_and(|a| a.len() <= MAX_IDS && a.iter().all(item))
}

impl ExtKind {
    /// Whether `v` is a value of this kind.
    pub fn accepts(self, v: &Value) -> bool {
        match self {
            ExtKind::Bool => v.is_boolean(),
            ExtKind::Guid => is_guid(v),
            ExtKind::GuidOrNull => v.is_null() || is_guid(v),
            ExtKind::Text => is_line(v, limits::NAME),
            ExtKind::UrlOrNull => v.is_null() || is_line(v, limits::URL),
            ExtKind::Guids => is_array_of(v, is_guid),
            ExtKind::Ints => is_array_of(v, Value::is_i64),
        }
    }

    /// What a value of this kind is, for an error message.
    pub fn described(self) -> String {
        match self {
            ExtKind::Bool => "a boolean".into(),
            ExtKind::Guid => "a GUID".into(),
            ExtKind::GuidOrNull => "a GUID or null".into(),
            ExtKind::Text => "a string of at most 255 characters on one line".into(),
            ExtKind::UrlOrNull => "a URL of at most 2048 characters, or null".into(),
            ExtKind::Guids => format!("an array of at most {MAX_IDS} GUIDs"),
            ExtKind::Ints => format!("an array of at most {MAX_IDS} integers"),
        }
    }
}

/// Fields with no canonical home, kept as extensions: their type and the JSON shown when
/// never set.
pub const EXTENSIONS: [(&str, ExtKind, &str); 14] = [
    (
        "superAgentId",
        ExtKind::Guid,
        r#""00000000-0000-0000-0000-000000000000""#,
    ),
    ("externalId", ExtKind::Text, r#""""#),
    ("systemAvatarId", ExtKind::GuidOrNull, "null"),
    ("ifCustomizeAvatar", ExtKind::Bool, "false"),
    ("customizeAvatar", ExtKind::UrlOrNull, "null"),
    ("isSeat", ExtKind::Bool, "true"),
    ("isDeleted", ExtKind::Bool, "false"),
    ("permissionIds", ExtKind::Ints, "[]"),
    ("roleIds", ExtKind::Guids, "[]"),
    ("shiftIds", ExtKind::Guids, "[]"),
    ("chatbotSmartTriggerActionIds", ExtKind::Guids, "[]"),
    ("triggerIds", ExtKind::Guids, "[]"),
    ("segmentIds", ExtKind::Guids, "[]"),
    ("skillIds", ExtKind::Guids, "[]"),
];

const DEFAULT_DATETIME_FORMAT: &str = "YYYY-MM-DD HH:mm:ss";
const BASE64_BIO: &str = "data:text/plain;base64,";

/// .NET's round-trip format, as Comm100 writes it: up to 7 fraction digits, trailing zeros cut.
pub(crate) fn time(t: DateTime<Utc>) -> String {
    format_time(t, Precision::Ticks)
}

/// The value extension `name` shows when never set. [`EXTENSIONS`]' defaults are parsed
/// once: parsing them for every agent rendered was a third of a comm100 GET by id.
fn default_of(name: &str) -> Value {
    static PARSED: std::sync::LazyLock<Vec<(&'static str, Value)>> =
        std::sync::LazyLock::new(|| {
            EXTENSIONS
                .iter()
                .map(|(name, _, json)| (*name, serde_json::from_str(json).unwrap_or(Value::Null)))
                .collect()
        });
    PARSED
        .iter()
        .find(|(known, _)| *known == name)
        .map_or(Value::Null, |(_, v)| v.clone())
}

/// Render a canonical agent; `departments` are the registry's teams for its team names.
pub fn to_wire(agent: &Agent, departments: &[Team]) -> wire::Agent {
    let p = &agent.profile;
    let extra = EXTENSIONS
        .iter()
        .map(|(name, _, _)| {
            (
                (*name).to_owned(),
                p.extensions
                    .get(DIALECT, name)
                    .cloned()
                    .unwrap_or_else(|| default_of(name)),
            )
        })
        .collect();
    wire::Agent {
        id: agent.ids.guid.to_string(),
        email: p.email.clone(),
        display_name: p.shown_name(),
        first_name: p.first_name.clone(),
        last_name: p.last_name.clone(),
        is_admin: p.role == Role::Administrator,
        is_active: p.state.active,
        phone: p.phone.clone().unwrap_or_default(),
        title: p.title.clone().unwrap_or_default(),
        bio: p.bio.clone().unwrap_or_default(),
        time_zone: p
            .time_zone
            .as_ref()
            .map_or("UTC", zone::to_windows)
            .to_owned(),
        datetime_format: p
            .datetime_format
            .clone()
            .unwrap_or_else(|| DEFAULT_DATETIME_FORMAT.to_owned()),
        created_time: time(agent.created_at),
        is_locked: p.state.locked_at.is_some(),
        locked_time: p
            .state
            .locked_at
            .map_or_else(|| NEVER_LOCKED.to_owned(), time),
        avatar: p.avatar_url.clone().unwrap_or_default(),
        language: p.language.clone().unwrap_or_else(|| "en".to_owned()),
        department_ids: departments.iter().map(|t| t.guid.to_string()).collect(),
        last_login_time: p.last_login_at.map(time),
        extra,
    }
}

/// A 400 naming the field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid(pub String);

/// A text field within its limit, in Comm100's words.
fn within(value: &str, field: &str, limit: limits::TextLimit) -> Result<(), Invalid> {
    limits::check_text(value, limit).map_err(|p| match p {
        TextProblem::TooLong { max } => Invalid(format!(
            "The field '{field}' must be at most {max} characters."
        )),
        TextProblem::Control => Invalid(format!(
            "The field '{field}' must not contain control characters."
        )),
    })
}

fn required(
    value: Option<String>,
    field: &str,
    limit: limits::TextLimit,
) -> Result<String, Invalid> {
    let value = value
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| Invalid(format!("The field '{field}' is required.")))?;
    within(&value, field, limit)?;
    Ok(value)
}

/// An optional text field, trimmed, within its limit (`None` when absent or blank).
fn optional(
    value: Option<String>,
    field: &str,
    limit: limits::TextLimit,
) -> Result<Option<String>, Invalid> {
    let value = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if let Some(v) = &value {
        within(v, field, limit)?;
    }
    Ok(value)
}

/// Plain text, or `data:text/plain;base64,<b64>` decoded.
pub fn decode_bio(bio: &str) -> Result<String, Invalid> {
    match bio.strip_prefix(BASE64_BIO) {
        None => Ok(bio.to_owned()),
        Some(b64) => base64::engine::general_purpose::STANDARD
            .decode(b64.trim())
            .ok()
            .and_then(|bytes| String::from_utf8(bytes).ok())
            .ok_or_else(|| Invalid("The field 'bio' is not valid base64 text.".into())),
    }
}

fn parse_time(value: &str, field: &str) -> Result<DateTime<Utc>, Invalid> {
    DateTime::parse_from_rfc3339(value)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Invalid(format!("The field '{field}' is not a valid date-time.")))
}

/// A create or PUT body, checked: every field Comm100 shows, with defaults for absent ones.
#[derive(Debug, Clone)]
pub struct Validated {
    pub email: String,
    pub password: Option<Password>,
    pub display_name: String,
    pub first_name: String,
    pub last_name: String,
    pub role: Role,
    pub active: bool,
    pub phone: Option<String>,
    pub title: Option<String>,
    pub bio: Option<String>,
    pub time_zone: TimeZone,
    pub datetime_format: String,
    pub locked_at: Option<DateTime<Utc>>,
    pub avatar_url: Option<String>,
    pub language: Option<String>,
    pub department_ids: Vec<uuid::Uuid>,
    /// Every field of [`EXTENSIONS`]: given, or its default (PUT replaces them all).
    pub extensions: Map<String, Value>,
}

/// Whether a create (password required) or a PUT (no password) is being checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    Create,
    Replace,
}

/// Check a body: required fields (naming the first missing one), zone, format, bio, lock.
pub fn validate(input: wire::AgentInput, write: Write) -> Result<Validated, Invalid> {
    let email = required(input.email, "email", limits::URL)?;
    let password = match write {
        // Any characters: a password is only hashed or forwarded, never shown.
        Write::Create => Some(Password::new(
            input
                .password
                .filter(|p| !p.is_empty())
                .ok_or_else(|| Invalid("The field 'password' is required.".into()))?,
        )),
        Write::Replace => None,
    };
    let display_name = required(input.display_name, "displayName", limits::DISPLAY_NAME)?;
    let first_name = required(input.first_name, "firstName", limits::NAME)?;
    let last_name = required(input.last_name, "lastName", limits::NAME)?;
    let windows_zone = required(input.time_zone, "timeZone", limits::NAME)?;
    let datetime_format = required(input.datetime_format, "datetimeFormat", limits::NAME)?;
    let email = parse_email(&email)
        .map_err(|_| Invalid("The field 'email' is not a valid email address.".into()))?;
    let time_zone = zone::to_iana(&windows_zone).ok_or_else(|| {
        Invalid(format!(
            "The field 'timeZone' has an unknown time zone '{windows_zone}'."
        ))
    })?;
    if !DATETIME_FORMATS.contains(&datetime_format.as_str()) {
        return Err(Invalid(format!(
            "The field 'datetimeFormat' must be one of: {}.",
            DATETIME_FORMATS.join(", ")
        )));
    }
    let bio = input
        .bio
        .as_deref()
        .map(decode_bio)
        .transpose()?
        .filter(|b| !b.is_empty());
    if let Some(bio) = &bio {
        within(bio, "bio", limits::BIO)?;
    }
    let locked_at = match (input.is_locked, input.locked_time.as_deref()) {
        (Some(true), Some(t)) if t != NEVER_LOCKED => Some(parse_time(t, "lockedTime")?),
        (Some(true), _) => Some(Utc::now()),
        _ => None,
    };
    let department_ids = input.department_ids.unwrap_or_default();
    if department_ids.len() > limits::MAX_TEAMS {
        return Err(Invalid(format!(
            "The field 'departmentIds' must hold at most {} ids.",
            limits::MAX_TEAMS
        )));
    }
    let department_ids = department_ids
        .iter()
        .map(|d| {
            d.parse::<uuid::Uuid>().map_err(|_| {
                Invalid(format!(
                    "The field 'departmentIds' has an invalid id '{d}'."
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut extensions = Map::new();
    for (name, kind, _) in EXTENSIONS {
        let value = match input.extra.get(name) {
            Some(given) if kind.accepts(given) => given.clone(),
            Some(_) => {
                return Err(Invalid(format!(
                    "The field '{name}' must be {}.",
                    kind.described()
                )));
            }
            None => default_of(name),
        };
        extensions.insert(name.to_owned(), value);
    }
    Ok(Validated {
        email,
        password,
        display_name,
        first_name,
        last_name,
        role: if input.is_admin.unwrap_or(false) {
            Role::Administrator
        } else {
            Role::Agent
        },
        active: input.is_active.unwrap_or(true),
        phone: optional(input.phone, "phone", limits::PHONE)?,
        title: optional(input.title, "title", limits::NAME)?,
        bio,
        time_zone,
        datetime_format,
        locked_at,
        avatar_url: optional(input.avatar, "avatar", limits::URL)?,
        language: optional(input.language, "language", limits::LANGUAGE)?,
        department_ids,
        extensions,
    })
}

/// The canonical create (`teams`: the names of the departments).
pub fn new_agent(v: Validated, teams: Vec<String>) -> NewAgent {
    let mut profile = Profile {
        email: v.email,
        first_name: v.first_name,
        last_name: v.last_name,
        display_name: v.display_name,
        role: v.role,
        phone: v.phone,
        title: v.title,
        bio: v.bio,
        avatar_url: v.avatar_url,
        time_zone: Some(v.time_zone),
        language: v.language,
        datetime_format: Some(v.datetime_format),
        teams,
        ..Profile::default()
    };
    profile.state.active = v.active;
    profile.state.locked_at = v.locked_at;
    // Created with a password by an administrator: the account is usable at once.
    profile.state.confirmed = true;
    profile.extensions.merge(DIALECT, v.extensions);
    NewAgent {
        profile,
        password: v.password,
    }
}

/// The canonical update a PUT makes: every Comm100-visible field is replaced.
pub fn replace(v: Validated, teams: Vec<String>) -> ProfilePatch {
    ProfilePatch {
        email: Some(v.email),
        first_name: Some(v.first_name),
        last_name: Some(v.last_name),
        display_name: Some(v.display_name),
        role: Some(v.role),
        active: Some(v.active),
        locked_at: Some(v.locked_at),
        phone: Some(v.phone),
        title: Some(v.title),
        bio: Some(v.bio),
        avatar_url: Some(v.avatar_url),
        time_zone: Some(Some(v.time_zone)),
        language: Some(v.language),
        datetime_format: Some(Some(v.datetime_format)),
        teams: Some(teams),
        extensions: Some((DIALECT.to_owned(), v.extensions)),
        ..ProfilePatch::default()
    }
}

fn non_empty(s: &str) -> Option<String> {
    Some(s.to_owned()).filter(|s| !s.is_empty())
}

/// An agent a real Comm100 answered, as the canonical model sees it (upstream mode).
pub fn from_upstream(mut w: wire::Agent) -> RemoteAgent {
    let mut profile = Profile {
        email: w.email,
        first_name: w.first_name,
        last_name: w.last_name,
        display_name: w.display_name,
        role: if w.is_admin {
            Role::Administrator
        } else {
            Role::Agent
        },
        phone: non_empty(&w.phone),
        title: non_empty(&w.title),
        bio: decode_bio(&w.bio).ok().and_then(|b| non_empty(&b)),
        avatar_url: non_empty(&w.avatar),
        time_zone: zone::to_iana(&w.time_zone),
        language: non_empty(&w.language),
        datetime_format: non_empty(&w.datetime_format),
        last_login_at: w.last_login_time.as_deref().and_then(parse_rfc3339),
        ..Profile::default()
    };
    profile.state.active = w.is_active;
    profile.state.confirmed = true;
    profile.state.locked_at = if w.is_locked {
        parse_rfc3339(&w.locked_time).or_else(|| Some(Utc::now()))
    } else {
        None
    };
    // Only values of the documented type are kept: an odd one from the upstream stays there,
    // not stored by the gateway and handed to every other face.
    // The answer's own map is kept, filtered in place: cloning the values into a new map
    // was a tenth of a translated GET.
    w.extra.retain(|name, value| {
        EXTENSIONS
            .iter()
            .any(|(known, kind, _)| known == name && kind.accepts(value))
    });
    profile.extensions.merge(DIALECT, w.extra);
    RemoteAgent {
        id: w.id,
        profile,
        created_at: parse_rfc3339(&w.created_time),
        updated_at: None,
    }
}

/// The create / PUT body a real Comm100 takes for a canonical profile (upstream mode).
pub fn to_upstream(p: &Profile, password: Option<&Password>) -> wire::AgentInput {
    let extra = p
        .extensions
        .of(DIALECT)
        .map(|ext| {
            EXTENSIONS
                .iter()
                .filter_map(|(name, _, _)| ext.get(*name).map(|v| ((*name).to_owned(), v.clone())))
                .collect()
        })
        .unwrap_or_default();
    wire::AgentInput {
        email: Some(p.email.clone()),
        password: password.map(|pw| pw.expose().to_owned()),
        display_name: Some(p.shown_name()),
        first_name: Some(p.first_name.clone()),
        last_name: Some(p.last_name.clone()),
        is_admin: Some(p.role == Role::Administrator),
        is_active: Some(p.state.active),
        phone: Some(p.phone.clone().unwrap_or_default()),
        title: Some(p.title.clone().unwrap_or_default()),
        bio: Some(p.bio.clone().unwrap_or_default()),
        time_zone: Some(
            p.time_zone
                .as_ref()
                .map_or("UTC", zone::to_windows)
                .to_owned(),
        ),
        datetime_format: Some(
            p.datetime_format
                .clone()
                .unwrap_or_else(|| DEFAULT_DATETIME_FORMAT.to_owned()),
        ),
        is_locked: Some(p.state.locked_at.is_some()),
        locked_time: Some(
            p.state
                .locked_at
                .map_or_else(|| NEVER_LOCKED.to_owned(), time),
        ),
        language: Some(p.language.clone().unwrap_or_else(|| "en".to_owned())),
        avatar: Some(p.avatar_url.clone().unwrap_or_default()),
        department_ids: None,
        extra,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use agentgw_model::AgentIds;
    use serde_json::json;

    #[test]
    fn every_extension_default_is_json_of_its_kind() {
        for (name, kind, json) in EXTENSIONS {
            let parsed: Value = serde_json::from_str(json).expect("a default is JSON");
            assert_eq!(default_of(name), parsed, "{name}");
            assert!(
                kind.accepts(&parsed),
                "{name}'s default {json} is not {}",
                kind.described()
            );
        }
    }

    fn fixture(name: &str) -> Value {
        let text = match name {
            "list" => include_str!("../../../tests/fixtures/comm100/list_response.json"),
            "create_request" => include_str!("../../../tests/fixtures/comm100/create_request.json"),
            "create_response" => {
                include_str!("../../../tests/fixtures/comm100/create_response.json")
            }
            _ => "null",
        };
        serde_json::from_str(text).unwrap_or(Value::Null)
    }

    fn input(v: &Value) -> wire::AgentInput {
        serde_json::from_value(v.clone()).unwrap_or_default()
    }

    #[test]
    fn seed_list_item_round_trips_field_for_field() {
        let seed = fixture("list")[0].clone();
        let department = Team {
            id: 7,
            guid: "b6ff11d8-0be7-4e99-b8c7-5a7ab501c69b"
                .parse()
                .unwrap_or_default(),
            name: "Sales".into(),
            emoji: "x".into(),
            ..Team::default()
        };
        // What a comm100 client would PUT for this agent, applied to a canonical agent.
        let mut body = seed.clone();
        body["password"] = json!("unused");
        let v = validate(input(&body), Write::Create).expect("valid");
        let new = new_agent(v, vec!["Sales".into()]);
        let created = DateTime::parse_from_rfc3339("2022-06-28T07:46:57.3466667Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let mut profile = new.profile;
        profile.avatar_url = seed["avatar"].as_str().map(String::from);
        let agent = Agent {
            ids: AgentIds {
                int: 1,
                guid: "2e4e44a0-3910-41e7-a9b5-b7cfe8f2d52d"
                    .parse()
                    .unwrap_or_default(),
                short: "s".repeat(17),
            },
            profile,
            created_at: created,
            updated_at: created,
        };
        let ours = serde_json::to_value(to_wire(&agent, &[department])).unwrap_or(Value::Null);
        for (key, value) in seed.as_object().into_iter().flatten() {
            assert_eq!(ours.get(key), Some(value), "field {key}");
        }
    }

    #[test]
    fn seed_create_maps_and_renders_what_comm100_answers() {
        let v = validate(input(&fixture("create_request")), Write::Create).expect("valid");
        assert_eq!(v.time_zone.as_str(), "America/Los_Angeles");
        let new = new_agent(v, vec![]);
        let agent = Agent {
            ids: AgentIds {
                int: 1,
                guid: uuid::Uuid::new_v4(),
                short: "s".repeat(17),
            },
            profile: new.profile,
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let ours = serde_json::to_value(to_wire(&agent, &[])).unwrap_or(Value::Null);
        let seed = fixture("create_response");
        for key in [
            "email",
            "displayName",
            "firstName",
            "lastName",
            "isAdmin",
            "isActive",
            "phone",
            "title",
            "bio",
            "timeZone",
            "datetimeFormat",
            "systemAvatarId",
            "ifCustomizeAvatar",
            "customizeAvatar",
            "isDeleted",
            "language",
            "superAgentId",
            "externalId",
            "shiftIds",
            "chatbotSmartTriggerActionIds",
            "triggerIds",
            "segmentIds",
            "skillIds",
        ] {
            assert_eq!(ours[key], seed[key], "{key}");
        }
        let mut ours_keys: Vec<_> = ours
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        ours_keys.retain(|k| seed.get(k).is_none());
        assert_eq!(
            ours_keys,
            ["isSeat", "lastLoginTime"],
            "every seed field is rendered, plus these two of the list/get examples"
        );
        assert_eq!(
            ours["isLocked"], true,
            "isLocked round-trips (the seed's server ignored it)"
        );
        assert_eq!(
            ours["lockedTime"], "2020-12-25T06:01:00.93Z",
            "written as Comm100 writes it"
        );
    }

    #[test]
    fn required_fields_are_named() {
        let full = fixture("create_request");
        for field in [
            "email",
            "password",
            "displayName",
            "firstName",
            "lastName",
            "timeZone",
            "datetimeFormat",
        ] {
            let mut body = full.clone();
            body.as_object_mut().map(|o| o.remove(field));
            let err = validate(input(&body), Write::Create).expect_err(field);
            assert_eq!(err, Invalid(format!("The field '{field}' is required.")));
        }
        let mut body = full.clone();
        body.as_object_mut().map(|o| o.remove("password"));
        assert!(
            validate(input(&body), Write::Replace).is_ok(),
            "a PUT needs no password"
        );
    }

    #[test]
    fn zone_format_bio_and_lock_rules() {
        let with = |k: &str, v: Value| {
            let mut b = fixture("create_request");
            b[k] = v;
            validate(input(&b), Write::Create)
        };
        assert!(with("timeZone", json!("America/Los_Angeles")).is_err());
        assert_eq!(
            with("timeZone", json!("Hawaiian Standard Time"))
                .map(|v| v.time_zone.as_str().to_owned()),
            Ok("Pacific/Honolulu".into())
        );
        assert!(with("datetimeFormat", json!("YYYY.MM.DD")).is_err());
        assert_eq!(
            with(
                "bio",
                json!("data:text/plain;base64,SGVsbG8sIEkgYW0gQW5keQ==")
            )
            .map(|v| v.bio),
            Ok(Some("Hello, I am Andy".into()))
        );
        assert!(with("bio", json!("data:text/plain;base64,@@@")).is_err());
        assert_eq!(
            with("isLocked", json!(false)).map(|v| v.locked_at),
            Ok(None)
        );
        assert!(
            with("lockedTime", json!(NEVER_LOCKED)).is_ok_and(|v| v.locked_at.is_some()),
            "locked now when only the sentinel is given"
        );
        assert!(with("departmentIds", json!(["nope"])).is_err());
    }

    #[test]
    fn an_upstream_keeps_only_extension_values_of_their_documented_type() {
        let mut w: wire::Agent = serde_json::from_str(include_str!(
            "../../../tests/fixtures/comm100/get_response.json"
        ))
        .expect("fixture");
        w.extra
            .insert("shiftIds".into(), json!([[["not", "guids"]]]));
        w.extra.insert("isSeat".into(), json!("yes"));
        let remote = from_upstream(w);
        assert_eq!(remote.profile.extensions.get(DIALECT, "shiftIds"), None);
        assert_eq!(remote.profile.extensions.get(DIALECT, "isSeat"), None);
        assert!(remote.profile.extensions.get(DIALECT, "skillIds").is_some());
        // And what goes up is what was kept.
        let body = serde_json::to_value(to_upstream(&remote.profile, None)).unwrap_or_default();
        assert_eq!(body.get("shiftIds"), None);
        assert_eq!(
            body.get("password"),
            None,
            "no password unless one is given"
        );
    }
}
