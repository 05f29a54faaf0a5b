//! SCIM Users ⇄ canonical agents, both directions (the table is in the adapter's README).
//!
//! A User's attributes agentgw keeps canonically (userName, names, emails, active, roles,
//! externalId, title, timezone, preferredLanguage, phoneNumbers, photos) become the agent's
//! fields. The User as the client last sent it is kept too, under the agent's `scim`
//! extensions: what SCIM has and the model does not (nickName, locale, addresses, the name's
//! middle parts, a value's `type`, the enterprise extension, …) comes back exactly as sent,
//! and a canonical attribute shows as sent while the agent still has that value — once
//! another face changed it, the agent's value shows.

use agentgw_model::{
    Agent, Field, NewAgent, Password, Profile, ProfilePatch, Role, Team, TimeZone, join_name,
    parse_email, split_name,
};
use serde_json::{Map, Value};

use crate::error::{ScimError, ScimType};
use crate::wire::{self, GroupRef, Meta, Multi, Name, User};

/// The dialect's name (and its extensions' key).
pub const DIALECT: &str = "scim";

/// The canonical fields a SCIM client manages: a PUT replaces exactly these.
pub const MANAGED: &[Field] = &[
    Field::Email,
    Field::FirstName,
    Field::LastName,
    Field::DisplayName,
    Field::Username,
    Field::Active,
    Field::Role,
    Field::Title,
    Field::TimeZone,
    Field::Language,
    Field::Phone,
    Field::Avatar,
    Field::ExternalId,
];

/// Every attribute name of a User or a Group, as RFC 7643 spells it: attribute names are
/// case-insensitive (RFC 7643 §2.1), so what arrives is put in this case before decoding.
const NAMES: [&str; 34] = [
    "schemas",
    "id",
    "externalId",
    "userName",
    "name",
    "displayName",
    "nickName",
    "profileUrl",
    "title",
    "userType",
    "preferredLanguage",
    "locale",
    "timezone",
    "active",
    "password",
    "emails",
    "phoneNumbers",
    "photos",
    "roles",
    "groups",
    "meta",
    "members",
    "formatted",
    "familyName",
    "givenName",
    "middleName",
    "honorificPrefix",
    "honorificSuffix",
    "value",
    "type",
    "primary",
    "display",
    "resourceType",
    "lastModified",
];

/// The spelling RFC 7643 gives `name`, if it is one of its attributes (case-insensitively).
pub fn canonical_name(name: &str) -> Option<&'static str> {
    if name.eq_ignore_ascii_case("$ref") {
        return Some("$ref");
    }
    if name.eq_ignore_ascii_case(wire::ENTERPRISE) {
        return Some(wire::ENTERPRISE);
    }
    NAMES.iter().copied().find(|n| n.eq_ignore_ascii_case(name))
}

/// `value`'s attribute names in RFC 7643's case, at every level (other keys stay as they are).
pub fn canonical_keys(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(canonical_object(map)),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical_keys).collect()),
        other => other,
    }
}

/// `map`'s keys renamed to the spelling in `names` that matches them case-insensitively.
fn rename_keys(map: Map<String, Value>, names: &[&str]) -> Map<String, Value> {
    map.into_iter()
        .map(|(k, v)| {
            let key = names
                .iter()
                .find(|n| n.eq_ignore_ascii_case(&k))
                .map_or(k, |n| (*n).to_owned());
            (key, v)
        })
        .collect()
}

/// A body's attribute names in RFC 7643's case, at every level.
pub fn canonical_object(body: Map<String, Value>) -> Map<String, Value> {
    body.into_iter()
        .map(|(k, v)| {
            let key = canonical_name(&k).map_or(k, str::to_owned);
            (key, canonical_keys(v))
        })
        .collect()
}

/// A `.search` body's keys in RFC 7644's case.
pub fn canonical_search(body: Map<String, Value>) -> Map<String, Value> {
    const SEARCH: [&str; 8] = [
        "schemas",
        "filter",
        "startIndex",
        "count",
        "attributes",
        "excludedAttributes",
        "sortBy",
        "sortOrder",
    ];
    rename_keys(body, &SEARCH)
}

/// A PATCH body's keys (and each operation's) in RFC 7644's case.
pub fn canonical_patch(body: Map<String, Value>) -> Map<String, Value> {
    let mut body = rename_keys(body, &["schemas", "Operations"]);
    if let Some(Value::Array(ops)) = body.get_mut("Operations") {
        for op in ops.iter_mut() {
            if let Value::Object(map) = op {
                *map = rename_keys(std::mem::take(map), &["op", "path", "value"]);
            }
        }
    }
    body
}

fn invalid(detail: impl Into<String>) -> ScimError {
    ScimError::bad(ScimType::InvalidValue, detail)
}

/// A text that is there and not blank.
fn filled(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

/// The value of a multi-valued attribute that counts: the primary one, else the first of
/// `kind`, else the first.
fn pick<'a>(values: &'a [Multi], kind: &str) -> Option<&'a Multi> {
    values
        .iter()
        .find(|m| m.primary == Some(true))
        .or_else(|| {
            values.iter().find(|m| {
                m.kind
                    .as_deref()
                    .is_some_and(|k| k.eq_ignore_ascii_case(kind))
            })
        })
        .or_else(|| values.first())
}

/// The canonical role of `roles`: administrator when any value says admin (any case), else
/// agent. Other values are an identity provider's own, kept as sent (see `kept`).
fn role(roles: &[Multi]) -> Role {
    let admin = roles.iter().filter_map(|r| r.value.as_deref()).any(|v| {
        matches!(
            v.trim().to_ascii_lowercase().as_str(),
            "admin" | "administrator"
        )
    });
    if admin {
        Role::Administrator
    } else {
        Role::Agent
    }
}

/// What a User says of the fields this face manages, as a profile (fields it does not manage
/// left at their defaults), and its password. A User without an email (whose userName is no
/// address either) gets `<userName>@<email_domain>` when the route has one.
pub fn profile(
    user: &User,
    email_domain: Option<&str>,
) -> Result<(Profile, Option<Password>), ScimError> {
    let user_name =
        filled(user.user_name.as_deref()).ok_or_else(|| invalid("userName is required"))?;
    let email = pick(&user.emails, "work")
        .and_then(|m| filled(m.value.as_deref()))
        .or_else(|| parse_email(&user_name).ok().map(|_| user_name.clone()))
        .or_else(|| {
            email_domain.map(|d| format!("{}@{d}", agentgw_model::derive_username(&user_name)))
        })
        .ok_or_else(|| invalid("emails: a work email is required"))?;
    let name = user.name.clone().unwrap_or_default();
    let (mut first, mut last) = (
        filled(name.given_name.as_deref()).unwrap_or_default(),
        filled(name.family_name.as_deref()).unwrap_or_default(),
    );
    let display =
        filled(user.display_name.as_deref()).or_else(|| filled(name.formatted.as_deref()));
    if first.is_empty() && last.is_empty() {
        let whole = display.clone().unwrap_or_else(|| user_name.clone());
        (first, last) = split_name(&whole);
    }
    let time_zone = filled(user.timezone.as_deref()).and_then(|tz| TimeZone::parse(&tz).ok());
    let language = filled(user.preferred_language.as_deref())
        .filter(|l| agentgw_model::limits::check_text(l, agentgw_model::limits::LANGUAGE).is_ok());
    let mut profile = Profile {
        display_name: display.unwrap_or_else(|| join_name(&first, &last)),
        first_name: first,
        last_name: last,
        email,
        username: Some(user_name),
        role: role(&user.roles),
        title: filled(user.title.as_deref()),
        time_zone,
        language,
        phone: pick(&user.phone_numbers, "work").and_then(|m| filled(m.value.as_deref())),
        avatar_url: pick(&user.photos, "photo").and_then(|m| filled(m.value.as_deref())),
        external_id: filled(user.external_id.as_deref()),
        ..Profile::default()
    };
    profile.state.active = user.active.unwrap_or(true);
    let password = filled(user.password.as_deref()).map(Password::new);
    Ok((profile, password))
}

/// The User as sent, as the document kept for it: what the wire type knows of it (typed, so
/// Entra ID's `"True"` is kept as `true`), without what only the server writes.
pub fn as_sent(user: &User) -> Map<String, Value> {
    let mut kept = match serde_json::to_value(User {
        schemas: Vec::new(),
        id: None,
        groups: Vec::new(),
        meta: None,
        password: None,
        ..user.clone()
    }) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    kept.remove("schemas");
    let mut document = Map::new();
    document.insert("user".into(), Value::Object(kept));
    document
}

/// A create from a User.
pub fn new_agent(user: &User, email_domain: Option<&str>) -> Result<NewAgent, ScimError> {
    let (mut profile, password) = profile(user, email_domain)?;
    profile.extensions.merge(DIALECT, as_sent(user));
    check(&profile)?;
    Ok(NewAgent { profile, password })
}

/// A full replace (PUT, or what a PATCH made) from a User: every field this face manages,
/// and the document kept as sent.
pub fn replace(user: &User, email_domain: Option<&str>) -> Result<ProfilePatch, ScimError> {
    let (mut profile, password) = profile(user, email_domain)?;
    profile.extensions.merge(DIALECT, as_sent(user));
    check(&profile)?;
    let mut patch = ProfilePatch::only(&profile, MANAGED);
    patch.extensions = profile
        .extensions
        .of(DIALECT)
        .cloned()
        .map(|fields| (DIALECT.to_owned(), fields));
    patch.password = password;
    Ok(patch)
}

/// The model's limits, in this face's words (a 400 naming the attribute, never the value).
fn check(profile: &Profile) -> Result<(), ScimError> {
    profile.check_limits().map_err(|r| {
        let attribute = match r.field.as_str() {
            "email" => "emails",
            "first_name" => "name.givenName",
            "last_name" => "name.familyName",
            "display_name" => "displayName",
            "username" => "userName",
            "external_id" => "externalId",
            "time_zone" => "timezone",
            "language" => "preferredLanguage",
            "phone" => "phoneNumbers",
            "avatar_url" => "photos",
            other if other.starts_with("extensions.scim") => "the User",
            other => other,
        }
        .to_owned();
        invalid(format!("{attribute} {}", r.problem))
    })
}

/// The User as the client last sent it, if one did.
fn sent(profile: &Profile) -> Option<&Map<String, Value>> {
    profile
        .extensions
        .get(DIALECT, "user")
        .and_then(Value::as_object)
}

/// Where this face serves a User: `{base}/Users/{id}` (`base` ends in `/v2`).
pub fn user_location(base: &str, agent: &Agent) -> String {
    format!("{base}/Users/{}", agent.ids.guid)
}

/// `meta.version`: a weak ETag of the agent's last change.
pub fn version(agent: &Agent) -> String {
    format!("W/\"{}\"", agent.updated_at.timestamp_micros())
}

/// The agent as a SCIM User; `teams` are its teams as the tenant registers them (their ids),
/// `base` the SCIM base URL for `location` and group references.
pub fn to_user(agent: &Agent, teams: &[Team], base: &str) -> User {
    let p = &agent.profile;
    let name = Name {
        formatted: Some(join_name(&p.first_name, &p.last_name)).filter(|f| !f.is_empty()),
        family_name: Some(p.last_name.clone()),
        given_name: Some(p.first_name.clone()),
        ..Name::default()
    };
    let multi = |value: &Option<String>, kind: &str| -> Vec<Multi> {
        value
            .iter()
            .map(|v| Multi {
                value: Some(v.clone()),
                kind: Some(kind.to_owned()),
                primary: Some(true),
                display: None,
            })
            .collect()
    };
    let role = match p.role {
        Role::Administrator => "admin",
        Role::Agent => "agent",
    };
    User {
        schemas: vec![wire::USER.to_owned()],
        id: Some(agent.ids.guid.to_string()),
        external_id: p.external_id.clone(),
        user_name: Some(p.username.clone().unwrap_or_else(|| p.email.clone())),
        name: Some(name),
        display_name: Some(p.shown_name()),
        title: p.title.clone(),
        preferred_language: p.language.clone(),
        timezone: p.time_zone.as_ref().map(|z| z.as_str().to_owned()),
        active: Some(p.state.active),
        emails: multi(&Some(p.email.clone()), "work"),
        phone_numbers: multi(&p.phone, "work"),
        photos: multi(&p.avatar_url, "photo"),
        roles: vec![Multi {
            value: Some(role.to_owned()),
            kind: None,
            primary: Some(true),
            display: Some(role.to_owned()),
        }],
        groups: teams
            .iter()
            .map(|t| GroupRef {
                value: t.guid.to_string(),
                reference: Some(format!("{base}/Groups/{}", t.guid)),
                display: Some(t.name.clone()),
                kind: Some("direct".into()),
            })
            .collect(),
        meta: Some(Meta {
            resource_type: Some("User".into()),
            created: Some(scim_time(agent.created_at)),
            last_modified: Some(scim_time(agent.updated_at)),
            location: Some(user_location(base, agent)),
            version: Some(version(agent)),
        }),
        ..User::default()
    }
}

/// Each canonical attribute of a User, and whether the agent still has what a User says of
/// it (then the User shows it as it was sent).
type Same = fn(&Profile, &Profile) -> bool;
const CANONICAL: [(&str, Same); 12] = [
    ("userName", |a, b| a.username == b.username),
    ("emails", |a, b| a.email == b.email),
    ("name", |a, b| {
        a.first_name == b.first_name && a.last_name == b.last_name
    }),
    ("displayName", |a, b| a.display_name == b.display_name),
    ("active", |a, b| a.state.active == b.state.active),
    ("roles", |a, b| a.role == b.role),
    ("title", |a, b| a.title == b.title),
    ("timezone", |a, b| a.time_zone == b.time_zone),
    ("preferredLanguage", |a, b| a.language == b.language),
    ("phoneNumbers", |a, b| a.phone == b.phone),
    ("photos", |a, b| a.avatar_url == b.avatar_url),
    ("externalId", |a, b| a.external_id == b.external_id),
];

/// What every User shows, sent or not (required by the schema).
const ALWAYS: [&str; 2] = ["userName", "emails"];

/// The agent as a SCIM User's JSON: the User as it was last sent (when a SCIM client sent
/// one), each canonical attribute as sent while the agent still has that value and as the
/// agent has it otherwise; `id`, `meta` and `groups` always the server's.
pub fn render(agent: &Agent, teams: &[Team], base: &str) -> Value {
    let ours = serde_json::to_value(to_user(agent, teams, base)).unwrap_or(Value::Null);
    let (Some(sent), Value::Object(ours)) = (sent(&agent.profile), &ours) else {
        return ours;
    };
    // What the sent User says, read as a create would read it (its email, if it had none,
    // made with the agent's own domain, so that a derived email compares equal).
    let domain = agent.profile.email.rsplit_once('@').map(|(_, d)| d);
    let said = serde_json::from_value::<User>(Value::Object(sent.clone()))
        .ok()
        .and_then(|u| profile(&u, domain).ok())
        .map(|(p, _)| p);
    let mut out = sent.clone();
    // Emails show as sent only when one of them is the agent's (not when the agent's was
    // derived from the userName because none had a value).
    let has_email = sent
        .get("emails")
        .and_then(Value::as_array)
        .is_some_and(|emails| {
            emails.iter().any(|e| {
                e.get("value")
                    .and_then(Value::as_str)
                    .is_some_and(|v| v.trim().eq_ignore_ascii_case(&agent.profile.email))
            })
        });
    for (attribute, same) in CANONICAL {
        let kept = said.as_ref().is_some_and(|said| same(said, &agent.profile))
            && (attribute != "emails" || has_email);
        // Left out by the client and still at what leaving it out gives: left out (roles
        // the client never sent are not invented), except what every User shows.
        let absent = !out.contains_key(attribute);
        if !kept || (absent && ALWAYS.contains(&attribute)) {
            match ours.get(attribute) {
                Some(v) => {
                    out.insert(attribute.to_owned(), v.clone());
                }
                None => {
                    out.remove(attribute);
                }
            }
        }
    }
    for server in ["id", "meta", "groups"] {
        match ours.get(server) {
            Some(v) => {
                out.insert(server.to_owned(), v.clone());
            }
            None => {
                out.remove(server);
            }
        }
    }
    let mut schemas = vec![Value::String(wire::USER.to_owned())];
    schemas.extend(
        out.keys()
            .filter(|k| k.starts_with("urn:"))
            .map(|k| Value::String(k.clone())),
    );
    out.insert("schemas".into(), Value::Array(schemas));
    Value::Object(out)
}

/// A time as SCIM's `dateTime` (RFC 3339, UTC).
pub fn scim_time(t: chrono::DateTime<chrono::Utc>) -> String {
    agentgw_model::format_time(t, agentgw_model::Precision::Auto)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(v: Value) -> User {
        serde_json::from_value(canonical_keys(v)).unwrap_or_default()
    }

    #[test]
    fn a_user_as_entra_id_sends_it() {
        let u = user(json!({
            "schemas": [wire::USER, wire::ENTERPRISE],
            "externalId": "0a1b2c",
            "UserName": "Alice.Smith@Contoso.com",
            "active": "True",
            "displayName": "Alice Smith",
            "emails": [{"primary": "True", "type": "work", "value": "alice@contoso.com"}],
            "meta": {"resourceType": "User"},
            "name": {"familyName": "Smith", "givenName": "Alice"},
            "roles": [],
            wire::ENTERPRISE: {"department": "Support", "employeeNumber": "42"}
        }));
        let new = new_agent(&u, None).expect("valid");
        let (p, password) = (new.profile, new.password);
        assert_eq!(
            p.username.as_deref(),
            Some("Alice.Smith@Contoso.com"),
            "exactly as sent"
        );
        assert_eq!(p.email, "alice@contoso.com");
        assert_eq!(
            (p.first_name.as_str(), p.last_name.as_str()),
            ("Alice", "Smith")
        );
        assert!(p.state.active);
        assert_eq!(p.role, Role::Agent);
        assert_eq!(p.external_id.as_deref(), Some("0a1b2c"));
        assert!(password.is_none());
        let kept = p
            .extensions
            .get(DIALECT, "user")
            .cloned()
            .unwrap_or_default();
        assert_eq!(
            kept[wire::ENTERPRISE],
            json!({"department": "Support", "employeeNumber": "42"})
        );
        assert_eq!(
            kept["active"],
            json!(true),
            "kept typed, not as Entra ID's string"
        );
        assert!(
            kept.get("meta").is_none(),
            "a client's meta is not the user"
        );
    }

    #[test]
    fn roles_timezones_and_missing_emails() {
        let admin = user(
            json!({"userName": "a@example.com", "roles": [{"value": "Admin", "primary": "True"}]}),
        );
        let (p, _) = profile(&admin, None).expect("valid");
        assert_eq!(p.role, Role::Administrator);
        assert_eq!(
            p.email, "a@example.com",
            "a userName that is an email stands in"
        );
        let no_email = user(json!({"userName": "bjensen"}));
        assert!(profile(&no_email, None).is_err());
        let zone = user(json!({"userName": "a@example.com", "timezone": "Mars/Olympus"}));
        let p = new_agent(&zone, None).expect("kept as sent").profile;
        assert_eq!(p.time_zone, None, "not an IANA zone: no canonical zone");
        assert_eq!(
            p.extensions.get(DIALECT, "user").map(|u| &u["timezone"]),
            Some(&json!("Mars/Olympus"))
        );
        let odd = user(json!({"userName": "a@example.com", "roles": [{"value": "superuser"}]}));
        assert_eq!(
            profile(&odd, None).map(|(p, _)| p.role).ok(),
            Some(Role::Agent)
        );
        let bare = user(json!({"userName": "Bjensen"}));
        assert_eq!(
            profile(&bare, Some("scim.invalid"))
                .map(|(p, _)| p.email)
                .ok()
                .as_deref(),
            Some("bjensen@scim.invalid")
        );
    }
}
