//! A fake Rocket.Chat (agentgw's `livechat` dialect upstream): a user base, some of whose users
//! hold the `livechat-agent` or `livechat-manager` role.
//!
//! - `GET /api/v1/livechat/users/{agent|manager}`: query `offset` (default 0), `count` (default
//!   50, at most 100), `sort` (JSON, default `{"name":1}`), `text` (case-insensitive, in
//!   username, name or email), `onlyAvailable`, `showIdleAgents`, `excludeId` →
//!   `{users, count, offset, total, success}`; any other parameter is 400 `invalid-params`.
//! - `POST /api/v1/livechat/users/{type}` `{"username"}` (exactly): gives an *existing* user the
//!   role (again is fine) → `{user: {_id, username}, success}`; an unknown username is 400
//!   `error-invalid-user`. Users are made elsewhere ([`RocketChat::add_user`] stands for an
//!   administrator's `users.create`).
//! - `GET /api/v1/livechat/users/{type}/{_id}` → `{user, success}`, `user` null when the user
//!   lacks the role; an unknown id is 400 `User not found`.
//! - `DELETE /api/v1/livechat/users/{type}/{_id}`: takes the role away (the user stays) →
//!   `{success: true}`; an unknown id is 400 `{success: false}`.
//! - Auth: `X-User-Id` + `X-Auth-Token` — a personal access token, or the `userId` and
//!   `authToken` of a login — else 401 "You must be logged in to do this.".
//! - `POST /api/v1/login` `{user, password}` → `{status: "success", data: {userId, authToken,
//!   me}}`; a login token expires after the server's login expiration (the fake's lifetime);
//!   a wrong user or password is 401 `{status: "error", error: "Unauthorized"}`.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};

use super::{Reply, Request, Vendor, object};

/// Rocket.Chat's id alphabet (17 characters of it make an id).
const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTWXYZabcdefghijkmnopqrstuvwxyz";
const USERS: &str = "/api/v1/livechat/users";
const DEFAULT_COUNT: usize = 50;
/// `API_Upper_Count_Limit`: a larger `count` is cut to it.
const MAX_COUNT: usize = 100;
/// The query parameters the list takes.
const LIST_PARAMS: [&str; 9] = [
    "offset",
    "count",
    "sort",
    "text",
    "onlyAvailable",
    "showIdleAgents",
    "excludeId",
    "fields",
    "query",
];
/// `:type` → the role it stands for.
const TYPES: [(&str, &str); 2] = [("agent", "livechat-agent"), ("manager", "livechat-manager")];

/// One user of the fake's user base.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: String,
    pub username: String,
    pub name: String,
    pub email: String,
    pub verified: bool,
    /// online | away | busy | offline
    pub status: String,
    /// available | not-available
    pub status_livechat: String,
    /// `user`, `livechat-agent`, `livechat-manager`, …
    pub roles: BTreeSet<String>,
}

impl User {
    fn json(&self) -> Value {
        json!({
            "_id": self.id,
            "username": self.username,
            "name": self.name,
            "status": self.status,
            "statusLivechat": self.status_livechat,
            "emails": [{"address": self.email, "verified": self.verified}],
            "livechat": {"maxNumberSimultaneousChat": ""},
        })
    }

    fn field(&self, name: &str) -> &str {
        match name {
            "_id" => &self.id,
            "username" => &self.username,
            "name" => &self.name,
            "status" => &self.status,
            "statusLivechat" => &self.status_livechat,
            _ => "",
        }
    }
}

/// A fake Rocket.Chat answering one user id and token (and, when set, one user's logins).
pub struct RocketChat {
    user_id: String,
    token: String,
    users: BTreeMap<String, User>,
    minted: u64,
    /// The user who may log in: name, password, its id, and how long a login lasts.
    login: Option<(String, String, String, std::time::Duration)>,
    /// Login tokens issued, and when each expires.
    sessions: std::collections::HashMap<String, std::time::Instant>,
    /// Login requests answered, refused ones included.
    pub logins: u64,
    /// Calls refused for their credentials.
    pub unauthorized: u64,
}

fn failure(error: &str, error_type: &str) -> Reply {
    Reply::json(
        400,
        json!({"success": false, "error": error, "errorType": error_type}),
    )
}

fn invalid_params(why: &str) -> Reply {
    failure(&format!("{why} [invalid-params]"), "invalid-params")
}

fn success(mut body: Value) -> Reply {
    body["success"] = json!(true);
    Reply::json(200, body)
}

/// A `sort` parameter: `{"field": 1 | -1, …}`, in order.
fn parse_sort(sort: Option<&str>) -> Result<Vec<(String, bool)>, Reply> {
    let Some(text) = sort else {
        return Ok(vec![("name".into(), true)]);
    };
    let refused = || {
        failure(
            &format!("Invalid sort parameter provided: \"{text}\" [error-invalid-sort]"),
            "error-invalid-sort",
        )
    };
    let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(text) else {
        return Err(refused());
    };
    fields
        .iter()
        .map(|(k, v)| match v.as_i64() {
            Some(1) => Ok((k.clone(), true)),
            Some(-1) => Ok((k.clone(), false)),
            _ => Err(refused()),
        })
        .collect()
}

fn number(request: &Request, name: &str, default: usize) -> Result<usize, Reply> {
    match request.param(name) {
        None => Ok(default),
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| invalid_params(&format!("must have {name} as a non-negative integer"))),
    }
}

fn flag(request: &Request, name: &str) -> Result<Option<bool>, Reply> {
    match request.param(name) {
        None => Ok(None),
        Some("true") => Ok(Some(true)),
        Some("false") => Ok(Some(false)),
        Some(_) => Err(invalid_params(&format!(
            "{name} must be \"true\" or \"false\""
        ))),
    }
}

impl RocketChat {
    /// An empty user base that accepts `user_id` + `token`.
    pub fn new(user_id: &str, token: &str) -> RocketChat {
        RocketChat {
            user_id: user_id.to_owned(),
            token: token.to_owned(),
            users: BTreeMap::new(),
            minted: 0,
            login: None,
            sessions: std::collections::HashMap::new(),
            logins: 0,
            unauthorized: 0,
        }
    }

    /// Let `user` log in with `password`; each login token lasts `lifetime`.
    pub fn allow_login(&mut self, user: &str, password: &str, lifetime: std::time::Duration) {
        let id = self.mint();
        self.login = Some((user.to_owned(), password.to_owned(), id, lifetime));
    }

    /// Change the login user's password (every login token stays until it expires).
    pub fn set_password(&mut self, password: &str) {
        if let Some(login) = &mut self.login {
            login.1 = password.to_owned();
        }
    }

    fn log_in(&mut self, request: &Request) -> Reply {
        self.logins += 1;
        let body = request.body.as_ref().and_then(|b| b.as_ref().ok());
        let given = (
            body.and_then(|b| b["user"].as_str()),
            body.and_then(|b| b["password"].as_str()),
        );
        match &self.login {
            Some((user, password, id, lifetime))
                if given == (Some(user.as_str()), Some(password.as_str())) =>
            {
                let (id, lifetime) = (id.clone(), *lifetime);
                let token = format!("{}{}", self.mint(), self.mint());
                self.sessions
                    .insert(token.clone(), std::time::Instant::now() + lifetime);
                Reply::json(
                    200,
                    json!({"status": "success", "data": {"userId": id, "authToken": token, "me": {"_id": id}}}),
                )
            }
            _ => Reply::json(
                401,
                json!({"status": "error", "error": "Unauthorized", "message": "Unauthorized"}),
            ),
        }
    }

    /// Whether the request carries a personal access token, or a live login's.
    fn authenticated(&self, request: &Request) -> bool {
        let (user, token) = (request.header("x-user-id"), request.header("x-auth-token"));
        let personal = user == Some(self.user_id.as_str()) && token == Some(self.token.as_str());
        let logged_in = match (&self.login, token) {
            (Some((_, _, id, _)), Some(token)) => {
                user == Some(id.as_str())
                    && self
                        .sessions
                        .get(token)
                        .is_some_and(|until| *until > std::time::Instant::now())
            }
            _ => false,
        };
        personal || logged_in
    }

    fn mint(&mut self) -> String {
        // A fresh uuid's bytes, spread over the alphabet; the counter keeps them apart.
        self.minted += 1;
        let bytes = uuid::Uuid::new_v4().into_bytes();
        let mut id: String = bytes
            .iter()
            .take(13)
            .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
            .collect();
        let mut n = self.minted;
        for _ in 0..4 {
            id.push(ALPHABET[(n % ALPHABET.len() as u64) as usize] as char);
            n /= ALPHABET.len() as u64;
        }
        id
    }

    /// Create a user (as an administrator's `users.create` does: online, email verified, no
    /// livechat role); its `_id`.
    pub fn add_user(&mut self, username: &str, name: &str, email: &str) -> String {
        let id = self.mint();
        self.users.insert(
            id.clone(),
            User {
                id: id.clone(),
                username: username.to_owned(),
                name: name.to_owned(),
                email: email.to_owned(),
                verified: true,
                status: "online".into(),
                status_livechat: "available".into(),
                roles: BTreeSet::from(["user".to_owned()]),
            },
        );
        id
    }

    /// Give the user `username` a role directly (`livechat-agent`, `livechat-manager`).
    pub fn grant(&mut self, username: &str, role: &str) {
        if let Some(u) = self.users.values_mut().find(|u| u.username == username) {
            u.roles.insert(role.to_owned());
        }
    }

    /// The user called `username`, if any.
    pub fn user(&self, username: &str) -> Option<User> {
        self.users
            .values()
            .find(|u| u.username == username)
            .cloned()
    }

    /// Every user holding `role`, by username.
    pub fn with_role(&self, role: &str) -> Vec<User> {
        let mut users: Vec<User> = self
            .users
            .values()
            .filter(|u| u.roles.contains(role))
            .cloned()
            .collect();
        users.sort_by(|a, b| a.username.cmp(&b.username));
        users
    }

    /// Every livechat agent.
    pub fn agents(&self) -> Vec<User> {
        self.with_role("livechat-agent")
    }

    /// Every livechat manager.
    pub fn managers(&self) -> Vec<User> {
        self.with_role("livechat-manager")
    }

    fn list(&self, role: &str, request: &Request) -> Result<Reply, Reply> {
        if let Some((unknown, _)) = request
            .query
            .iter()
            .find(|(k, _)| !LIST_PARAMS.contains(&k.as_str()))
        {
            return Err(invalid_params(&format!(
                "must NOT have additional properties ({unknown})"
            )));
        }
        let offset = number(request, "offset", 0)?;
        let count = match number(request, "count", DEFAULT_COUNT)? {
            0 => DEFAULT_COUNT,
            n => n.min(MAX_COUNT),
        };
        let sort = parse_sort(request.param("sort"))?;
        let only_available = flag(request, "onlyAvailable")?.unwrap_or(false);
        let show_idle = flag(request, "showIdleAgents")?.unwrap_or(true);
        let text = request.param("text").map(str::to_lowercase);
        let exclude = request.param("excludeId");
        let mut users: Vec<&User> = self
            .users
            .values()
            .filter(|u| u.roles.contains(role))
            .filter(|u| {
                text.as_deref().is_none_or(|t| {
                    [&u.username, &u.name, &u.email]
                        .iter()
                        .any(|f| f.to_lowercase().contains(t))
                })
            })
            .filter(|u| !only_available || u.status_livechat == "available")
            .filter(|u| show_idle || u.status != "offline")
            .filter(|u| exclude != Some(u.id.as_str()))
            .collect();
        users.sort_by(|a, b| {
            sort.iter()
                .map(|(field, up)| {
                    let o = a.field(field).cmp(b.field(field));
                    if *up { o } else { o.reverse() }
                })
                .find(|o| o.is_ne())
                .unwrap_or_else(|| a.id.cmp(&b.id))
        });
        let total = users.len();
        let page: Vec<Value> = users
            .into_iter()
            .skip(offset)
            .take(count)
            .map(|u| {
                let mut v = u.json();
                v["departments"] = json!([]);
                v
            })
            .collect();
        Ok(success(json!({
            "users": page,
            "count": page.len(),
            "offset": offset,
            "total": total,
        })))
    }

    fn register(&mut self, role: &str, request: &Request) -> Reply {
        let body = match object(request) {
            Ok(b) => b,
            Err(_) => return invalid_params("must have required property 'username'"),
        };
        let username = match body.get("username").and_then(Value::as_str) {
            Some(u) if body.len() == 1 => u,
            _ if body.len() > 1 => return invalid_params("must NOT have additional properties"),
            _ => return invalid_params("must have required property 'username'"),
        };
        match self.users.values_mut().find(|u| u.username == username) {
            Some(user) => {
                user.roles.insert(role.to_owned());
                success(json!({"user": {"_id": user.id, "username": user.username}}))
            }
            None => failure("[error-invalid-user]", "error-invalid-user"),
        }
    }
}

impl Vendor for RocketChat {
    fn respond(&mut self, request: &Request) -> Reply {
        if request.method == "POST" && request.path == "/api/v1/login" {
            return self.log_in(request);
        }
        if !self.authenticated(request) {
            self.unauthorized += 1;
            let message = "You must be logged in to do this.";
            return Reply::json(
                401,
                json!({"success": false, "error": message, "status": "error", "message": message}),
            );
        }
        let Some(rest) = request.below(USERS) else {
            return Reply::json(404, json!({"success": false, "error": "Not found"}));
        };
        let Some((kind, rest)) = rest.split_first() else {
            return Reply::json(404, json!({"success": false, "error": "Not found"}));
        };
        let Some(&(_, role)) = TYPES.iter().find(|(t, _)| t == kind) else {
            return Reply::json(400, json!({"success": false, "error": "Invalid type"}));
        };
        match (request.method.as_str(), rest) {
            ("GET", []) => self.list(role, request).unwrap_or_else(|refused| refused),
            ("POST", []) => self.register(role, request),
            ("GET", [id]) => match self.users.get(*id) {
                Some(u) if u.roles.contains(role) => success(json!({"user": u.json()})),
                Some(_) => success(json!({"user": null})),
                None => Reply::json(400, json!({"success": false, "error": "User not found"})),
            },
            ("DELETE", [id]) => match self.users.get_mut(*id) {
                Some(u) => {
                    u.roles.remove(role);
                    success(json!({}))
                }
                None => Reply::json(400, json!({"success": false})),
            },
            _ => Reply::json(404, json!({"success": false, "error": "Not found"})),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(rc: &mut RocketChat, method: &str, target: &str, body: Option<Value>) -> Reply {
        let auth = [("X-User-Id", "u"), ("X-Auth-Token", "t")];
        rc.respond(&Request::new(method, target, &auth, body))
    }

    fn seeded(n: usize) -> RocketChat {
        let mut rc = RocketChat::new("u", "t");
        for i in 0..n {
            let name = format!("user{i:03}");
            rc.add_user(
                &name,
                &format!("User {i:03}"),
                &format!("{name}@example.com"),
            );
            rc.grant(&name, "livechat-agent");
        }
        rc
    }

    #[test]
    fn lists_page_with_offset_and_a_capped_count() {
        let mut rc = seeded(130);
        let r = call(
            &mut rc,
            "GET",
            "/api/v1/livechat/users/agent?count=500&offset=100",
            None,
        );
        let body = r.body.unwrap_or_default();
        assert_eq!(
            (
                body["count"].clone(),
                body["offset"].clone(),
                body["total"].clone()
            ),
            (json!(30), json!(100), json!(130))
        );
        assert_eq!(body["users"][0]["username"], "user100");
        let r = call(&mut rc, "GET", "/api/v1/livechat/users/agent", None);
        assert_eq!(r.body.map(|b| b["count"].clone()), Some(json!(50)));
        let r = call(
            &mut rc,
            "GET",
            "/api/v1/livechat/users/agent?count=200",
            None,
        );
        assert_eq!(r.body.map(|b| b["count"].clone()), Some(json!(100)));
        let r = call(
            &mut rc,
            "GET",
            "/api/v1/livechat/users/agent?sort=%7B%22name%22%3A-1%7D&count=1",
            None,
        );
        assert_eq!(
            r.body.map(|b| b["users"][0]["username"].clone()),
            Some(json!("user129"))
        );
        let r = call(
            &mut rc,
            "GET",
            "/api/v1/livechat/users/agent?text=USER12",
            None,
        );
        assert_eq!(r.body.map(|b| b["total"].clone()), Some(json!(10)));
        assert_eq!(
            call(&mut rc, "GET", "/api/v1/livechat/users/agent?page=2", None).status,
            400
        );
        assert_eq!(
            call(&mut rc, "GET", "/api/v1/livechat/users/agent?count=x", None).status,
            400
        );
    }

    #[test]
    fn only_existing_users_are_registered_and_removal_keeps_the_user() {
        let mut rc = RocketChat::new("u", "t");
        let id = rc.add_user("ada", "Ada", "ada@example.com");
        let r = call(
            &mut rc,
            "POST",
            "/api/v1/livechat/users/agent",
            Some(json!({"username": "bob"})),
        );
        assert_eq!(
            r.body.map(|b| b["errorType"].clone()),
            Some(json!("error-invalid-user"))
        );
        let extra = json!({"username": "ada", "email": "x"});
        assert_eq!(
            call(&mut rc, "POST", "/api/v1/livechat/users/agent", Some(extra)).status,
            400
        );
        let r = call(
            &mut rc,
            "POST",
            "/api/v1/livechat/users/agent",
            Some(json!({"username": "ada"})),
        );
        assert_eq!(
            r.body,
            Some(json!({"user": {"_id": id, "username": "ada"}, "success": true}))
        );
        let member = format!("/api/v1/livechat/users/manager/{id}");
        assert_eq!(
            call(&mut rc, "GET", &member, None).body,
            Some(json!({"user": null, "success": true}))
        );
        let agent = format!("/api/v1/livechat/users/agent/{id}");
        assert_eq!(
            call(&mut rc, "DELETE", &agent, None).body,
            Some(json!({"success": true}))
        );
        assert!(rc.agents().is_empty() && rc.user("ada").is_some());
        let r = call(&mut rc, "GET", "/api/v1/livechat/users/agent/nobody", None);
        assert_eq!(
            (r.status, r.body.map(|b| b["error"].clone())),
            (400, Some(json!("User not found")))
        );
        let r = rc.respond(&Request::new(
            "GET",
            "/api/v1/livechat/users/agent",
            &[("X-User-Id", "u")],
            None,
        ));
        assert_eq!(r.status, 401);
    }
}
