//! A fake Libredesk (agentgw's `libredesk` dialect upstream), after its `cmd/users.go`,
//! `internal/user` and `schema.sql`.
//!
//! - `GET /api/v1/agents`: compact agents, newest update first; `GET`, `PUT`, `DELETE
//!   /api/v1/agents/{id}`: the full agent; `POST /api/v1/agents` creates one.
//! - Every answer is 200 `{"status":"success","data":…}`; a refusal `{"status":"error",
//!   "message","data":null,"error_type"}`: 400 `InputException`, 404 `NotFoundException`,
//!   401 and 500 `GeneralException`.
//! - Requests (unknown fields ignored, a mistyped one is "Error parsing request"):
//!   `first_name`, `last_name`, `email`, `send_welcome_email`, `teams` (names), `roles`
//!   (names), `enabled`, `availability_status`, `new_password`. Checked in this order: `email`
//!   non-empty (trimmed, lowercased) and valid, `roles` present (`[]` passes), `first_name`
//!   non-empty. Unknown role and team names are dropped.
//! - A create takes names, email, roles and teams only: it **ignores the password (it
//!   generates one), `enabled` and `availability_status`** (a new agent is enabled and
//!   offline); with no known role it fails (500).
//! - A PUT **replaces** the agent (omitted `enabled` is false, omitted teams are none);
//!   `availability_status` must be a value of the database's enum (an empty or unknown one
//!   is a 500, as the handler does not check it); a non-empty `new_password` must be 10–72
//!   bytes with an upper-case letter, a lower-case letter, a digit and a special character.
//! - A duplicate email is a 500 "User with same email already exists".
//! - `DELETE` is a soft delete (`data: true`): the agent is then 404 and out of the list.
//! - Auth: `Authorization: Basic base64(key:secret)` or `Authorization: token key:secret`.

use std::collections::BTreeMap;

use base64::Engine as _;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{Reply, Request, Vendor, looks_like_email};

const AGENTS: &str = "/api/v1/agents";
/// The database enum `user_availability_status`.
const AVAILABILITIES: [&str; 5] = [
    "online",
    "away",
    "away_manual",
    "offline",
    "away_and_reassigning",
];
/// The roles the fake's instance has (Libredesk's two defaults).
const ROLES: [&str; 2] = ["Admin", "Agent"];
/// The teams the fake's instance has: id, name, emoji.
const TEAMS: [(i64, &str, &str); 2] = [(1, "Support", "🎧"), (2, "Billing", "💳")];
/// Libredesk's `PasswordHint`, its answer to a weak `new_password`.
pub const PASSWORD_HINT: &str = "Password must be 10-72 characters long should contain at least one uppercase letter, one lowercase letter, one number, and one special character.";
const WENT_WRONG: &str = "Something went wrong";
const SAME_EMAIL: &str = "User with same email already exists";

/// An agent's password as the fake holds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Password {
    /// Generated at creation (whatever the create sent): nobody knows it.
    Generated(String),
    /// Set by a PUT's `new_password`.
    Set(String),
}

/// What the fake holds of one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: i64,
    pub first_name: String,
    pub last_name: String,
    pub email: String,
    pub enabled: bool,
    pub availability_status: String,
    pub roles: Vec<String>,
    pub teams: Vec<String>,
    pub password: Password,
    /// Soft-deleted: the row stays, the API no longer shows it.
    pub deleted: bool,
    pub created_at: String,
    pub updated_at: String,
    /// The order of last updates (timestamps can tie).
    pub revision: u64,
}

/// A fake Libredesk accepting one API key and secret.
pub struct Libredesk {
    key: String,
    secret: String,
    next_id: i64,
    revision: u64,
    agents: BTreeMap<i64, Agent>,
}

fn error(status: u16, error_type: &str, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"status": "error", "message": message, "data": null, "error_type": error_type}),
    )
}

fn input(message: &str) -> Reply {
    error(400, "InputException", message)
}

fn general(message: &str) -> Reply {
    error(500, "GeneralException", message)
}

fn not_found() -> Reply {
    error(404, "NotFoundException", "Not found")
}

fn success(data: Value) -> Reply {
    Reply::json(200, json!({"status": "success", "data": data}))
}

fn now() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// Libredesk's `IsStrongPassword`: 10–72 bytes, `[A-Z]`, `[a-z]`, `[0-9]` and `[\W_]`.
pub fn is_strong(password: &str) -> bool {
    let has = |class: fn(&char) -> bool| password.chars().any(|c| class(&c));
    (10..=72).contains(&password.len())
        && has(char::is_ascii_uppercase)
        && has(char::is_ascii_lowercase)
        && has(char::is_ascii_digit)
        && has(|c| !c.is_ascii_alphanumeric())
}

/// The request body, decoded as Go's `agentReq` is (`null` is the zero value).
#[derive(Debug, Default, Deserialize)]
struct AgentReq {
    first_name: Option<String>,
    last_name: Option<String>,
    email: Option<String>,
    /// Decoded for its type only: the fake sends no mail.
    #[allow(dead_code)]
    send_welcome_email: Option<bool>,
    teams: Option<Vec<String>>,
    roles: Option<Vec<String>>,
    enabled: Option<bool>,
    availability_status: Option<String>,
    new_password: Option<String>,
}

/// A request body that passed `validateAgentRequest`.
struct Checked {
    first_name: String,
    last_name: String,
    email: String,
    /// Known role names only.
    roles: Vec<String>,
    /// Known team names only.
    teams: Vec<String>,
    enabled: bool,
    availability: String,
    new_password: String,
}

/// Decode and validate a create or PUT body, in Libredesk's order.
fn check(request: &Request) -> Result<Checked, Reply> {
    let parsed = match &request.body {
        Some(Ok(body)) => serde_json::from_value::<AgentReq>(body.clone()).ok(),
        _ => None,
    };
    let req = parsed.ok_or_else(|| input("Error parsing request"))?;
    let email = req.email.unwrap_or_default().trim().to_lowercase();
    if email.is_empty() {
        return Err(input("`email` empty"));
    }
    if !looks_like_email(&email) {
        return Err(input("Invalid email address"));
    }
    let Some(roles) = req.roles else {
        return Err(input("`role` empty"));
    };
    let first_name = req.first_name.unwrap_or_default().trim().to_owned();
    if first_name.is_empty() {
        return Err(input("`first_name` empty"));
    }
    Ok(Checked {
        first_name,
        last_name: req.last_name.unwrap_or_default().trim().to_owned(),
        email,
        // Names the instance does not have are dropped, as its `JOIN roles ON name` does.
        roles: roles
            .into_iter()
            .filter(|r| ROLES.contains(&r.as_str()))
            .collect(),
        teams: req
            .teams
            .unwrap_or_default()
            .into_iter()
            .filter(|t| TEAMS.iter().any(|(_, n, _)| n == t))
            .collect(),
        enabled: req.enabled.unwrap_or(false),
        availability: req.availability_status.unwrap_or_default(),
        new_password: req.new_password.unwrap_or_default(),
    })
}

impl Libredesk {
    /// An empty instance that accepts API key `key` with `secret`.
    pub fn new(key: &str, secret: &str) -> Libredesk {
        Libredesk {
            key: key.to_owned(),
            secret: secret.to_owned(),
            next_id: 1,
            revision: 0,
            agents: BTreeMap::new(),
        }
    }

    /// Every agent ever created, soft-deleted ones included, by id.
    pub fn agents(&self) -> Vec<Agent> {
        self.agents.values().cloned().collect()
    }

    /// The agent (live or soft-deleted) with `email`, the newest if several.
    pub fn agent(&self, email: &str) -> Option<Agent> {
        self.agents
            .values()
            .rev()
            .find(|a| a.email == email)
            .cloned()
    }

    fn authorised(&self, request: &Request) -> bool {
        let expected = format!("{}:{}", self.key, self.secret);
        match request
            .header("authorization")
            .and_then(|h| h.split_once(' '))
        {
            Some(("token", pair)) => pair == expected,
            Some(("Basic", encoded)) => base64::engine::general_purpose::STANDARD
                .decode(encoded)
                .is_ok_and(|pair| pair == expected.as_bytes()),
            _ => false,
        }
    }

    fn live(&self, id: i64) -> Option<&Agent> {
        self.agents.get(&id).filter(|a| !a.deleted)
    }

    fn taken(&self, email: &str, except: i64) -> bool {
        self.agents
            .values()
            .any(|a| !a.deleted && a.id != except && a.email == email)
    }

    fn full(a: &Agent) -> Value {
        let teams: Vec<Value> = TEAMS
            .iter()
            .filter(|(_, n, _)| a.teams.iter().any(|t| t == n))
            .map(|(id, name, emoji)| json!({"id": id, "name": name, "emoji": emoji}))
            .collect();
        json!({
            "id": a.id,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
            "first_name": a.first_name,
            "last_name": a.last_name,
            "email": a.email,
            "type": "agent",
            "availability_status": a.availability_status,
            "phone_number_country_code": null,
            "phone_number": null,
            "avatar_url": null,
            "enabled": a.enabled,
            "last_active_at": null,
            "last_login_at": null,
            "roles": a.roles,
            "permissions": [],
            "country": null,
            "meta": {},
            "custom_attributes": {},
            "external_user_id": null,
            "teams": teams,
            "api_key": null,
            "api_key_last_used_at": null,
        })
    }

    fn compact(a: &Agent) -> Value {
        json!({
            "id": a.id,
            "type": "agent",
            "first_name": a.first_name,
            "last_name": a.last_name,
            "email": a.email,
            "enabled": a.enabled,
            "avatar_url": null,
            "external_user_id": null,
            "availability_status": a.availability_status,
            "created_at": a.created_at,
            "updated_at": a.updated_at,
        })
    }

    fn list(&self) -> Reply {
        let mut live: Vec<&Agent> = self.agents.values().filter(|a| !a.deleted).collect();
        live.sort_by_key(|a| std::cmp::Reverse(a.revision));
        success(Value::Array(live.into_iter().map(Self::compact).collect()))
    }

    fn create(&mut self, request: &Request) -> Result<Reply, Reply> {
        let c = check(request)?;
        if self.taken(&c.email, 0) {
            return Err(general(SAME_EMAIL));
        }
        if c.roles.is_empty() {
            // Its insert joins the user to its roles: with none, no row comes back.
            return Err(general(WENT_WRONG));
        }
        self.revision += 1;
        let at = now();
        let agent = Agent {
            id: self.next_id,
            first_name: c.first_name,
            last_name: c.last_name,
            email: c.email,
            // The schema's defaults: `enabled` and `availability_status` are not read.
            enabled: true,
            availability_status: "offline".into(),
            roles: c.roles,
            teams: c.teams,
            // Whatever was sent: a create sets a random password.
            password: Password::Generated(uuid::Uuid::new_v4().simple().to_string()),
            deleted: false,
            created_at: at.clone(),
            updated_at: at,
            revision: self.revision,
        };
        self.next_id += 1;
        let answer = Self::full(&agent);
        self.agents.insert(agent.id, agent);
        Ok(success(answer))
    }

    fn replace(&mut self, id: i64, request: &Request) -> Result<Reply, Reply> {
        let c = check(request)?;
        if self.live(id).is_none() {
            return Err(not_found());
        }
        if !c.new_password.is_empty() && !is_strong(&c.new_password) {
            return Err(input(PASSWORD_HINT));
        }
        if !AVAILABILITIES.contains(&c.availability.as_str()) {
            // Not checked by the handler: the database's enum refuses it.
            return Err(general(WENT_WRONG));
        }
        if self.taken(&c.email, id) {
            return Err(general(SAME_EMAIL));
        }
        self.revision += 1;
        let revision = self.revision;
        let agent = self.agents.get_mut(&id).ok_or_else(not_found)?;
        agent.first_name = c.first_name;
        agent.last_name = c.last_name;
        agent.email = c.email;
        agent.enabled = c.enabled;
        agent.roles = c.roles;
        agent.teams = c.teams;
        agent.availability_status = c.availability;
        if !c.new_password.is_empty() {
            agent.password = Password::Set(c.new_password);
        }
        agent.updated_at = now();
        agent.revision = revision;
        Ok(success(Self::full(agent)))
    }
}

impl Vendor for Libredesk {
    fn respond(&mut self, request: &Request) -> Reply {
        if !self.authorised(request) {
            return match request.header("authorization") {
                None => error(401, "GeneralException", "Invalid or expired session"),
                Some(_) => error(401, "GeneralException", "Invalid credential"),
            };
        }
        let Some(rest) = request.below(AGENTS) else {
            return error(404, "NotFoundException", "Not found");
        };
        let answer = match (request.method.as_str(), rest.as_slice()) {
            ("GET", []) => Ok(self.list()),
            ("POST", []) => self.create(request),
            (method, [id]) => {
                let Some(id) = id.parse::<i64>().ok().filter(|id| *id != 0) else {
                    return input("`id` empty");
                };
                match method {
                    "GET" => self
                        .live(id)
                        .map(|a| success(Self::full(a)))
                        .ok_or_else(not_found),
                    "PUT" => self.replace(id, request),
                    "DELETE" => match self.agents.get_mut(&id).filter(|a| !a.deleted) {
                        Some(a) => {
                            a.deleted = true;
                            Ok(success(json!(true)))
                        }
                        None => Err(not_found()),
                    },
                    _ => Err(error(405, "InputException", "Method not allowed")),
                }
            }
            _ => Err(error(404, "NotFoundException", "Not found")),
        };
        answer.unwrap_or_else(|refused| refused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(ld: &mut Libredesk, method: &str, path: &str, body: Option<Value>) -> Reply {
        ld.respond(&Request::new(
            method,
            path,
            &[("Authorization", "token k:s")],
            body,
        ))
    }

    fn data(r: Reply) -> Value {
        r.body.map(|b| b["data"].clone()).unwrap_or_default()
    }

    /// A whole agent for a PUT, with `extra` fields.
    fn whole(extra: Value) -> Value {
        let mut body = json!({"first_name": "Ada", "email": "ada@example.com", "roles": ["Agent"],
                              "enabled": true, "availability_status": "online"});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    }

    #[test]
    fn create_ignores_password_enabled_and_availability() {
        let mut ld = Libredesk::new("k", "s");
        let body = json!({"first_name": "Ada", "email": " ADA@Example.com ", "roles": ["Agent"],
                          "new_password": "Str0ng-Passw0rd!", "enabled": false, "availability_status": "online"});
        let made = call(&mut ld, "POST", AGENTS, Some(body));
        assert_eq!(made.status, 200, "{made:?}");
        let ada = ld.agent("ada@example.com").expect("created");
        assert!(matches!(ada.password, Password::Generated(_)));
        assert_eq!(
            (ada.enabled, ada.availability_status.as_str()),
            (true, "offline")
        );
        let none = json!({"first_name": "B", "email": "b@example.com", "roles": ["Boss"]});
        assert_eq!(call(&mut ld, "POST", AGENTS, Some(none)).status, 500);
        let dup = json!({"first_name": "A", "email": "ada@example.com", "roles": ["Agent"]});
        assert_eq!(call(&mut ld, "POST", AGENTS, Some(dup)).status, 500);
    }

    #[test]
    fn put_sets_only_a_strong_new_password() {
        let mut ld = Libredesk::new("k", "s");
        let body = json!({"first_name": "Ada", "email": "ada@example.com", "roles": ["Agent"]});
        let id = data(call(&mut ld, "POST", AGENTS, Some(body)))["id"].clone();
        let path = format!("{AGENTS}/{id}");
        let long = format!("Aa1!{}", "x".repeat(69));
        for weak in [
            "Sh0rt!",
            "n0-upper-case!",
            "N0-LOWER-CASE!",
            "No-digits-here!",
            "N0special0nes",
            &long,
        ] {
            let r = call(
                &mut ld,
                "PUT",
                &path,
                Some(whole(json!({"new_password": weak}))),
            );
            assert_eq!(r, input(PASSWORD_HINT), "{weak}");
        }
        let strong = whole(json!({"new_password": "Str0ng_Passw0rd"}));
        assert_eq!(call(&mut ld, "PUT", &path, Some(strong)).status, 200);
        assert_eq!(
            ld.agents()[0].password,
            Password::Set("Str0ng_Passw0rd".into())
        );
    }

    #[test]
    fn put_replaces_and_delete_is_soft() {
        let mut ld = Libredesk::new("k", "s");
        let body = json!({"first_name": "Ada", "email": "ada@example.com", "roles": ["Admin", "Boss"],
                          "teams": ["Support", "Nope"]});
        let made = data(call(&mut ld, "POST", AGENTS, Some(body)));
        assert_eq!(
            (made["roles"].clone(), made["teams"][0]["name"].clone()),
            (json!(["Admin"]), json!("Support"))
        );
        let path = format!("{AGENTS}/{}", made["id"]);
        let r = call(
            &mut ld,
            "PUT",
            &path,
            Some(json!({"first_name": "Ada", "email": "ada@example.com",
                                                        "roles": [], "availability_status": "away"})),
        );
        let full = data(r);
        assert_eq!(
            (
                full["enabled"].clone(),
                full["teams"].clone(),
                full["roles"].clone(),
                full["availability_status"].clone()
            ),
            (json!(false), json!([]), json!([]), json!("away"))
        );
        for availability in ["busy", ""] {
            let bad = whole(json!({"availability_status": availability}));
            assert_eq!(call(&mut ld, "PUT", &path, Some(bad)).status, 500);
        }
        let refusals = [
            (
                json!({"first_name": "B", "email": "", "roles": []}),
                "`email` empty",
            ),
            (
                json!({"first_name": "B", "email": "b@x", "roles": []}),
                "Invalid email address",
            ),
            (
                json!({"first_name": "B", "email": "b@example.com"}),
                "`role` empty",
            ),
            (
                json!({"first_name": " ", "email": "b@example.com", "roles": []}),
                "`first_name` empty",
            ),
            (
                json!({"first_name": "B", "email": "b@example.com", "roles": [], "enabled": "yes"}),
                "Error parsing request",
            ),
        ];
        for (body, message) in refusals {
            assert_eq!(call(&mut ld, "POST", AGENTS, Some(body)), input(message));
        }
        assert_eq!(data(call(&mut ld, "DELETE", &path, None)), json!(true));
        assert_eq!(call(&mut ld, "GET", &path, None), not_found());
        assert_eq!(call(&mut ld, "DELETE", &path, None), not_found());
        assert_eq!(data(call(&mut ld, "GET", AGENTS, None)), json!([]));
        assert!(ld.agents()[0].deleted);
    }

    #[test]
    fn both_auth_schemes() {
        let mut ld = Libredesk::new("k", "s");
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("k:s")
        );
        for (header, status) in [
            (Some(basic.as_str()), 200),
            (Some("token k:s"), 200),
            (Some("token k:wrong"), 401),
            (Some("Bearer s"), 401),
            (None, 401),
        ] {
            let headers: Vec<(&str, &str)> =
                header.map(|h| ("Authorization", h)).into_iter().collect();
            let r = ld.respond(&Request::new("GET", AGENTS, &headers, None));
            assert_eq!(r.status, status, "{header:?}");
        }
    }
}
