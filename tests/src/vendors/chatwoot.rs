//! A fake Chatwoot (agentgw's `ndoto` dialect upstream): one account's agents.
//!
//! - `GET /api/v1/accounts/{account_id}/agents`: a bare array, ordered by name
//!   (case-insensitively). There is no `GET …/agents/{id}`.
//! - `POST …/agents`: `name`, `email`, `role` required; `availability`, `auto_offline` taken.
//! - `PATCH`/`PUT …/agents/{id}`: any of `name`, `role`, `availability`, `auto_offline`.
//! - `DELETE …/agents/{id}`: 200 with an empty body.
//! - Agents show `availability_status`, which requests cannot set (since May 2026 create and
//!   update read `availability` and ignore `availability_status`).
//! - Auth: header `api_access_token`; none or a wrong one is 401 `{"error":"Invalid Access
//!   Token"}`; another account is 401; an unknown id 404 `{"error":"Resource could not be
//!   found"}`; invalid input 422 `{"message", "attributes"}` (an unknown role or availability
//!   too, where Chatwoot's enum setter would fail); an empty body 422 `{"error"}`.
//! - A new agent is unconfirmed, `online` unless told otherwise, `auto_offline`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Reply, Request, Vendor, looks_like_email, object};

/// What the fake holds of one agent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Agent {
    pub id: i64,
    pub name: String,
    /// Lowercased, as Chatwoot stores it.
    pub email: String,
    /// `agent` | `administrator`.
    pub role: String,
    /// `online` | `busy` | `offline`: what `availability_status` shows.
    pub availability: String,
    pub auto_offline: bool,
    /// False until the invitation is accepted: always, here.
    pub confirmed: bool,
}

/// A fake Chatwoot serving one account to one access token.
pub struct Chatwoot {
    token: String,
    account_id: i64,
    next_id: i64,
    agents: BTreeMap<i64, Agent>,
}

const ROLES: [&str; 2] = ["agent", "administrator"];
const AVAILABILITIES: [&str; 3] = ["online", "busy", "offline"];

/// How one writable field is checked: its name as Chatwoot words it, and whether a value is
/// acceptable.
struct Rule {
    field: &'static str,
    label: &'static str,
    valid: fn(&Value) -> bool,
    problem: &'static str,
}

fn text(v: &Value) -> bool {
    v.as_str().is_some_and(|s| !s.trim().is_empty())
}

const RULES: [Rule; 5] = [
    Rule {
        field: "name",
        label: "Name",
        valid: text,
        problem: "can't be blank",
    },
    Rule {
        field: "email",
        label: "Email",
        valid: |v| v.as_str().is_some_and(|s| looks_like_email(s.trim())),
        problem: "is invalid",
    },
    Rule {
        field: "role",
        label: "Role",
        valid: |v| v.as_str().is_some_and(|s| ROLES.contains(&s)),
        problem: "is not included in the list",
    },
    Rule {
        field: "availability",
        label: "Availability",
        valid: |v| v.as_str().is_some_and(|s| AVAILABILITIES.contains(&s)),
        problem: "is not included in the list",
    },
    Rule {
        field: "auto_offline",
        label: "Auto offline",
        valid: Value::is_boolean,
        problem: "is not a boolean",
    },
];

/// Fields a create must carry.
const REQUIRED: [&str; 3] = ["name", "email", "role"];
/// Fields an update changes (email is not among them).
const UPDATABLE: [&str; 4] = ["name", "role", "availability", "auto_offline"];

fn invalid(problems: &[(&str, String)]) -> Reply {
    let messages: Vec<&str> = problems.iter().map(|(_, m)| m.as_str()).collect();
    let attributes: Vec<&str> = problems.iter().map(|(a, _)| *a).collect();
    Reply::json(
        422,
        json!({"message": messages.join(", "), "attributes": attributes}),
    )
}

/// `params.require(:agent)` on a body with nothing to wrap.
fn param_missing() -> Reply {
    Reply::json(
        422,
        json!({"error": "param is missing or the value is empty: agent"}),
    )
}

fn not_found() -> Reply {
    Reply::json(404, json!({"error": "Resource could not be found"}))
}

/// The problems of the fields of `body` named in `fields` (required ones when `required`).
fn check(
    body: &Map<String, Value>,
    fields: &[&str],
    required: &[&str],
) -> Vec<(&'static str, String)> {
    let mut problems = Vec::new();
    for rule in RULES.iter().filter(|r| fields.contains(&r.field)) {
        match body.get(rule.field) {
            None | Some(Value::Null) if required.contains(&rule.field) => {
                problems.push((rule.field, format!("{} can't be blank", rule.label)));
            }
            None | Some(Value::Null) => {}
            Some(v) if !(rule.valid)(v) => {
                problems.push((rule.field, format!("{} {}", rule.label, rule.problem)));
            }
            Some(_) => {}
        }
    }
    problems
}

impl Chatwoot {
    /// An empty account `account_id` that accepts `token`.
    pub fn new(token: &str, account_id: i64) -> Chatwoot {
        Chatwoot {
            token: token.to_owned(),
            account_id,
            next_id: 1,
            agents: BTreeMap::new(),
        }
    }

    /// Every agent of the account, by id.
    pub fn agents(&self) -> Vec<Agent> {
        self.agents.values().cloned().collect()
    }

    /// The agent with `email`, if any.
    pub fn agent(&self, email: &str) -> Option<Agent> {
        self.agents.values().find(|a| a.email == email).cloned()
    }

    fn render(&self, a: &Agent) -> Value {
        json!({
            "id": a.id,
            "account_id": self.account_id,
            "availability_status": a.availability,
            "auto_offline": a.auto_offline,
            "confirmed": a.confirmed,
            "email": a.email,
            "available_name": a.name,
            "name": a.name,
            "role": a.role,
            "thumbnail": "",
            "custom_role_id": null,
            "provider": "email",
        })
    }

    fn list(&self) -> Reply {
        let mut agents: Vec<&Agent> = self.agents.values().collect();
        agents.sort_by_key(|a| (a.name.to_lowercase(), a.id));
        Reply::json(
            200,
            Value::Array(agents.iter().map(|a| self.render(a)).collect()),
        )
    }

    fn create(&mut self, request: &Request) -> Reply {
        let body = match object(request) {
            Ok(b) if !b.is_empty() => b,
            Ok(_) => return param_missing(),
            Err(why) => return Reply::json(400, json!({"error": why})),
        };
        let mut problems = check(
            body,
            &["name", "email", "role", "availability", "auto_offline"],
            &REQUIRED,
        );
        let email = body
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_lowercase();
        if problems.is_empty() && self.agent(&email).is_some() {
            problems.push(("email", "Email has already been taken".into()));
        }
        if !problems.is_empty() {
            return invalid(&problems);
        }
        let text = |k: &str, default: &str| {
            body.get(k)
                .and_then(Value::as_str)
                .unwrap_or(default)
                .to_owned()
        };
        let agent = Agent {
            id: self.next_id,
            name: text("name", "").trim().to_owned(),
            email,
            role: text("role", "agent"),
            // `availability_status` in a request is read-only: ignored.
            availability: text("availability", "online"),
            auto_offline: body
                .get("auto_offline")
                .and_then(Value::as_bool)
                .unwrap_or(true),
            confirmed: false,
        };
        self.next_id += 1;
        let answer = self.render(&agent);
        self.agents.insert(agent.id, agent);
        Reply::json(200, answer)
    }

    fn update(&mut self, id: i64, request: &Request) -> Reply {
        // The agent is looked up before the parameters are read.
        if !self.agents.contains_key(&id) {
            return not_found();
        }
        let body = match object(request) {
            Ok(b) if !b.is_empty() => b,
            Ok(_) => return param_missing(),
            Err(why) => return Reply::json(400, json!({"error": why})),
        };
        let problems = check(body, &UPDATABLE, &[]);
        if !problems.is_empty() {
            return invalid(&problems);
        }
        let Some(agent) = self.agents.get_mut(&id) else {
            return not_found();
        };
        let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_owned);
        if let Some(name) = text("name") {
            agent.name = name.trim().to_owned();
        }
        if let Some(role) = text("role") {
            agent.role = role;
        }
        if let Some(availability) = text("availability") {
            agent.availability = availability;
        }
        if let Some(auto) = body.get("auto_offline").and_then(Value::as_bool) {
            agent.auto_offline = auto;
        }
        let agent = agent.clone();
        Reply::json(200, self.render(&agent))
    }
}

impl Vendor for Chatwoot {
    fn respond(&mut self, request: &Request) -> Reply {
        if request.header("api_access_token") != Some(self.token.as_str()) {
            return Reply::json(401, json!({"error": "Invalid Access Token"}));
        }
        let Some(rest) = request.below("/api/v1/accounts") else {
            return Reply::json(404, json!({"error": "Not Found"}));
        };
        let (account, rest) = match rest.split_first() {
            Some((account, rest)) if rest.first() == Some(&"agents") => (*account, &rest[1..]),
            _ => return Reply::json(404, json!({"error": "Not Found"})),
        };
        if account.parse::<i64>().ok() != Some(self.account_id) {
            return Reply::json(
                401,
                json!({"error": "You are not authorized to access this account"}),
            );
        }
        match (request.method.as_str(), rest) {
            ("GET", []) => self.list(),
            ("POST", []) => self.create(request),
            (method, [id]) => {
                let Ok(id) = id.parse::<i64>() else {
                    return not_found();
                };
                match method {
                    "PATCH" | "PUT" => self.update(id, request),
                    "DELETE" => match self.agents.remove(&id) {
                        Some(_) => Reply::empty(200),
                        None => not_found(),
                    },
                    // No GET by id in Chatwoot: an unrouted path.
                    _ => Reply::json(404, json!({"error": "Not Found"})),
                }
            }
            _ => Reply::json(404, json!({"error": "Not Found"})),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AGENTS: &str = "/api/v1/accounts/3/agents";

    fn call(cw: &mut Chatwoot, method: &str, path: &str, body: Option<Value>) -> Reply {
        cw.respond(&Request::new(
            method,
            path,
            &[("api_access_token", "t")],
            body,
        ))
    }

    #[test]
    fn availability_is_read_and_availability_status_ignored() {
        let mut cw = Chatwoot::new("t", 3);
        let made = call(
            &mut cw,
            "POST",
            AGENTS,
            Some(
                json!({"name": "Ada", "email": "ADA@example.com", "role": "agent", "availability_status": "busy"}),
            ),
        );
        assert_eq!(made.status, 200, "{made:?}");
        let ada = cw.agent("ada@example.com").expect("created");
        assert_eq!(
            (ada.availability.as_str(), ada.confirmed),
            ("online", false)
        );
        let path = format!("{AGENTS}/{}", ada.id);
        call(
            &mut cw,
            "PATCH",
            &path,
            Some(json!({"availability_status": "offline"})),
        );
        assert_eq!(cw.agents()[0].availability, "online");
        let changed = call(
            &mut cw,
            "PATCH",
            &path,
            Some(json!({"availability": "busy"})),
        );
        assert_eq!(
            changed.body.map(|b| b["availability_status"].clone()),
            Some(json!("busy"))
        );
    }

    #[test]
    fn refusals_are_chatwoots() {
        let mut cw = Chatwoot::new("t", 3);
        let r = cw.respond(&Request::new("GET", AGENTS, &[], None));
        assert_eq!(
            (r.status, r.body),
            (401, Some(json!({"error": "Invalid Access Token"})))
        );
        let r = call(
            &mut cw,
            "POST",
            AGENTS,
            Some(json!({"email": "x", "role": "boss"})),
        );
        assert_eq!(r.status, 422);
        assert_eq!(
            r.body.map(|b| b["attributes"].clone()),
            Some(json!(["name", "email", "role"]))
        );
        let body = json!({"name": "A", "email": "a@example.com", "role": "agent"});
        assert_eq!(
            call(&mut cw, "POST", AGENTS, Some(body.clone())).status,
            200
        );
        let dup = call(&mut cw, "POST", AGENTS, Some(body));
        assert_eq!(
            dup.body.map(|b| b["message"].clone()),
            Some(json!("Email has already been taken"))
        );
        assert_eq!(
            call(&mut cw, "GET", &format!("{AGENTS}/1"), None).status,
            404
        );
        assert_eq!(
            call(&mut cw, "DELETE", &format!("{AGENTS}/9"), None).status,
            404
        );
        assert_eq!(
            call(&mut cw, "DELETE", &format!("{AGENTS}/1"), None),
            Reply::empty(200)
        );
        assert_eq!(
            call(&mut cw, "GET", "/api/v1/accounts/4/agents", None).status,
            401
        );
    }
}
