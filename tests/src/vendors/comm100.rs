//! A fake Comm100 (API v4, agentgw's `comm100` dialect upstream), with the three ways its
//! "Authentication" guide lets a client in.
//!
//! - `GET /v4/global/agents` (query `keywords`: in display name or email) → a bare array;
//!   `GET /v4/global/agents/{id}` → the agent; `POST` → **201** the agent (required: email,
//!   password, displayName, firstName, lastName, timeZone, datetimeFormat → 400 naming the
//!   first missing); `PUT /{id}` replaces (the same fields but password); `DELETE /{id}` →
//!   **204**; `POST /{id}:changePassword` `{password}` and `POST /{id}:unlock` → 200, empty.
//!   Errors are `{"code": status × 1000, "message"}`; an unknown id is 404. Paths are
//!   case-insensitive on `global` (the docs spell it both ways).
//! - Auth, one of:
//!   - a static bearer token;
//!   - OAuth 2.0: `POST /oauth/token`, form-encoded `grant_type=refresh_token`,
//!     `refresh_token`, `client_id` (and `client_secret` for a confidential client) → `{access_token,
//!     token_type: "bearer", expires_in, refresh_token}`; access tokens expire after the
//!     fake's lifetime, and every refresh token rotates: one used before (or revoked) is
//!     400 `{"error": "invalid_grant"}`, as RFC 6749 §5.2 says;
//!   - an API key: `Authorization: Basic base64(email:key)` and `siteId=<site>` on every call
//!     (a missing or other `siteId` is 400, a wrong key 401).
//!
//!   Anything else is 401 `{"code": 401000, "message": "Unauthorized"}`.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use base64::Engine;
use serde_json::{Map, Value, json};

use super::{Reply, Request, Vendor, object};

/// How the fake lets clients in.
#[derive(Debug, Clone)]
pub enum Auth {
    /// `Authorization: Bearer <token>`.
    Bearer(String),
    /// OAuth 2.0: the client it knows, and its first refresh token.
    OAuth {
        client_id: String,
        client_secret: Option<String>,
        refresh_token: String,
        /// How long an access token lasts.
        lifetime: Duration,
    },
    /// `Basic base64(email:key)` and `siteId`.
    ApiKey {
        email: String,
        key: String,
        site_id: u64,
    },
}

/// The fake's state.
pub struct Comm100 {
    auth: Auth,
    agents: BTreeMap<String, Map<String, Value>>,
    /// Access tokens issued, and when each stops working.
    access: HashMap<String, Instant>,
    /// The one refresh token that works now (each use rotates it).
    refresh: Option<String>,
    /// Refresh tokens spent or revoked: presenting one again is `invalid_grant`.
    spent: HashSet<String>,
    issued: u64,
    /// Token requests answered, refused ones included.
    pub token_requests: u64,
    /// Refused token requests.
    pub token_refusals: u64,
    /// Agent API calls refused for their credentials.
    pub unauthorized: u64,
}

const AGENTS: &str = "/v4/global/agents";
const REQUIRED: [&str; 7] = [
    "email",
    "password",
    "displayName",
    "firstName",
    "lastName",
    "timeZone",
    "datetimeFormat",
];

fn error(status: u16, message: &str) -> Reply {
    Reply::json(
        status,
        json!({"code": u64::from(status) * 1000, "message": message}),
    )
}

impl Comm100 {
    /// An empty Comm100 letting clients in by `auth`.
    pub fn new(auth: Auth) -> Comm100 {
        let refresh = match &auth {
            Auth::OAuth { refresh_token, .. } => Some(refresh_token.clone()),
            _ => None,
        };
        Comm100 {
            auth,
            agents: BTreeMap::new(),
            access: HashMap::new(),
            refresh,
            spent: HashSet::new(),
            issued: 0,
            token_requests: 0,
            token_refusals: 0,
            unauthorized: 0,
        }
    }

    /// Revoke the grant, as an administrator removing the app's access: every refresh token
    /// is refused from now on, and access tokens stop working.
    pub fn revoke(&mut self) {
        if let Some(r) = self.refresh.take() {
            self.spent.insert(r);
        }
        self.access.clear();
    }

    /// The agents it holds.
    pub fn agents(&self) -> Vec<Map<String, Value>> {
        self.agents.values().cloned().collect()
    }

    fn token(&mut self, request: &Request) -> Reply {
        self.token_requests += 1;
        let Auth::OAuth {
            client_id,
            client_secret,
            lifetime,
            ..
        } = self.auth.clone()
        else {
            return error(404, "Not Found");
        };
        let form: Vec<(String, String)> = match &request.body {
            Some(Err(text)) => actix_web::web::Query::<Vec<(String, String)>>::from_query(text)
                .map(actix_web::web::Query::into_inner)
                .unwrap_or_default(),
            _ => Vec::new(),
        };
        let field = |name: &str| {
            form.iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.as_str())
        };
        let refuse = |this: &mut Comm100, code: &str| {
            this.token_refusals += 1;
            Reply::json(400, json!({"error": code}))
        };
        if field("grant_type") != Some("refresh_token") {
            return refuse(self, "unsupported_grant_type");
        }
        if field("client_id") != Some(client_id.as_str())
            || field("client_secret") != client_secret.as_deref()
        {
            return refuse(self, "invalid_client");
        }
        let Some(presented) = field("refresh_token") else {
            return refuse(self, "invalid_request");
        };
        if self.refresh.as_deref() != Some(presented) {
            return refuse(self, "invalid_grant");
        }
        self.spent.insert(presented.to_owned());
        self.issued += 1;
        let (access, refresh) = (
            format!("at-{}-{}", self.issued, random()),
            format!("rt-{}-{}", self.issued, random()),
        );
        self.access
            .insert(access.clone(), Instant::now() + lifetime);
        self.refresh = Some(refresh.clone());
        Reply::json(
            200,
            json!({"access_token": access, "token_type": "bearer", "expires_in": lifetime.as_secs(), "refresh_token": refresh}),
        )
    }

    /// Whether the request carries credentials this Comm100 accepts; else its refusal.
    fn admit(&mut self, request: &Request) -> Result<(), Reply> {
        let authorization = request.header("authorization").unwrap_or_default();
        let ok = match &self.auth {
            Auth::Bearer(token) => authorization == format!("Bearer {token}"),
            Auth::OAuth { .. } => authorization
                .strip_prefix("Bearer ")
                .and_then(|t| self.access.get(t))
                .is_some_and(|until| *until > Instant::now()),
            Auth::ApiKey {
                email,
                key,
                site_id,
            } => {
                if request.param("siteId") != Some(site_id.to_string().as_str()) {
                    return Err(error(400, "siteId is required"));
                }
                let expected =
                    base64::engine::general_purpose::STANDARD.encode(format!("{email}:{key}"));
                authorization == format!("Basic {expected}")
            }
        };
        if ok {
            Ok(())
        } else {
            self.unauthorized += 1;
            Err(error(401, "Unauthorized"))
        }
    }

    fn create(&mut self, request: &Request) -> Reply {
        let Ok(body) = object(request) else {
            return error(400, "The request body is invalid.");
        };
        if let Some(missing) = REQUIRED.iter().find(|f| {
            body.get(**f)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        }) {
            return error(400, &format!("{missing} is required."));
        }
        let email = body["email"].as_str().unwrap_or_default().to_lowercase();
        if self.agents.values().any(|a| {
            a["email"]
                .as_str()
                .is_some_and(|e| e.to_lowercase() == email)
        }) {
            return error(400, "The email has already been taken.");
        }
        let id = uuid::Uuid::new_v4().to_string();
        let mut agent = render(&id, body, None);
        agent.insert(
            "createdTime".into(),
            json!(chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
        );
        self.agents.insert(id, agent.clone());
        Reply::json(201, Value::Object(agent))
    }

    fn replace(&mut self, id: &str, request: &Request) -> Reply {
        let Some(current) = self.agents.get(id).cloned() else {
            return error(404, "Agent not found.");
        };
        let Ok(body) = object(request) else {
            return error(400, "The request body is invalid.");
        };
        if let Some(missing) = REQUIRED.iter().filter(|f| **f != "password").find(|f| {
            body.get(**f)
                .and_then(Value::as_str)
                .is_none_or(str::is_empty)
        }) {
            return error(400, &format!("{missing} is required."));
        }
        let agent = render(id, body, Some(&current));
        self.agents.insert(id.to_owned(), agent.clone());
        Reply::json(200, Value::Object(agent))
    }
}

/// The agent Comm100 renders from a create or PUT body (a PUT keeps what only the server sets).
fn render(
    id: &str,
    body: &Map<String, Value>,
    current: Option<&Map<String, Value>>,
) -> Map<String, Value> {
    let text = |k: &str| json!(body.get(k).and_then(Value::as_str).unwrap_or_default());
    let flag =
        |k: &str, default: bool| json!(body.get(k).and_then(Value::as_bool).unwrap_or(default));
    let kept = |k: &str, default: Value| current.and_then(|c| c.get(k).cloned()).unwrap_or(default);
    let mut agent = Map::new();
    agent.insert("id".into(), json!(id));
    for field in [
        "email",
        "displayName",
        "firstName",
        "lastName",
        "phone",
        "title",
        "bio",
        "timeZone",
        "datetimeFormat",
        "avatar",
        "language",
    ] {
        agent.insert(field.into(), text(field));
    }
    agent.insert("isAdmin".into(), flag("isAdmin", false));
    agent.insert("isActive".into(), flag("isActive", true));
    agent.insert("createdTime".into(), kept("createdTime", json!("")));
    agent.insert("isLocked".into(), kept("isLocked", json!(false)));
    agent.insert(
        "lockedTime".into(),
        kept("lockedTime", json!("1900-01-01T00:00:00Z")),
    );
    agent.insert(
        "departmentIds".into(),
        body.get("departmentIds").cloned().unwrap_or(json!([])),
    );
    agent.insert("lastLoginTime".into(), Value::Null);
    for (k, v) in body {
        if !agent.contains_key(k) && k != "password" {
            agent.insert(k.clone(), v.clone());
        }
    }
    agent
}

fn random() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Vendor for Comm100 {
    fn respond(&mut self, request: &Request) -> Reply {
        if request.method == "POST" && request.path == "/oauth/token" {
            return self.token(request);
        }
        if let Err(refusal) = self.admit(request) {
            return refusal;
        }
        let path = request.path.replacen("/Global/", "/global/", 1);
        let Some(rest) = path.strip_prefix(AGENTS) else {
            return error(404, "Not Found");
        };
        let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
        match (request.method.as_str(), segments.as_slice()) {
            ("GET", []) => {
                let words = request.param("keywords").unwrap_or_default().to_lowercase();
                let found: Vec<Value> = self
                    .agents
                    .values()
                    .filter(|a| {
                        ["displayName", "email"].iter().any(|k| {
                            a[*k]
                                .as_str()
                                .is_some_and(|v| v.to_lowercase().contains(&words))
                        })
                    })
                    .cloned()
                    .map(Value::Object)
                    .collect();
                Reply::json(200, Value::Array(found))
            }
            ("POST", []) => self.create(request),
            ("GET", [id]) => match self.agents.get(*id) {
                Some(a) => Reply::json(200, Value::Object(a.clone())),
                None => error(404, "Agent not found."),
            },
            ("PUT", [id]) => self.replace(id, request),
            ("DELETE", [id]) => match self.agents.remove(*id) {
                Some(_) => Reply::empty(204),
                None => error(404, "Agent not found."),
            },
            ("POST", [verb]) => match verb.split_once(':') {
                Some((id, "changePassword" | "unlock")) if self.agents.contains_key(id) => {
                    if verb.ends_with(":unlock")
                        && let Some(a) = self.agents.get_mut(id)
                    {
                        a.insert("isLocked".into(), json!(false));
                    }
                    Reply::empty(200)
                }
                Some((_, "changePassword" | "unlock")) => error(404, "Agent not found."),
                _ => error(404, "Not Found"),
            },
            _ => error(405, "Method Not Allowed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(body: &str) -> Request {
        let mut r = Request::new("POST", "/oauth/token", &[], None);
        r.body = Some(Err(body.to_owned()));
        r
    }

    #[test]
    fn refresh_tokens_rotate_and_a_spent_one_is_an_invalid_grant() {
        let mut c = Comm100::new(Auth::OAuth {
            client_id: "app".into(),
            client_secret: None,
            refresh_token: "rt-0".into(),
            lifetime: Duration::from_secs(60),
        });
        let first = c.respond(&form(
            "grant_type=refresh_token&refresh_token=rt-0&client_id=app",
        ));
        assert_eq!(first.status, 200);
        let body = first.body.unwrap_or_default();
        let access = body["access_token"].as_str().unwrap_or_default().to_owned();
        let again = c.respond(&form(
            "grant_type=refresh_token&refresh_token=rt-0&client_id=app",
        ));
        assert_eq!(
            (again.status, again.body),
            (400, Some(json!({"error": "invalid_grant"})))
        );
        let auth = format!("Bearer {access}");
        let list = c.respond(&Request::new(
            "GET",
            AGENTS,
            &[("Authorization", &auth)],
            None,
        ));
        assert_eq!(list.status, 200);
        let rotated = body["refresh_token"].as_str().unwrap_or_default();
        c.revoke();
        let revoked = c.respond(&form(&format!(
            "grant_type=refresh_token&refresh_token={rotated}&client_id=app"
        )));
        assert_eq!(revoked.status, 400);
        let list = c.respond(&Request::new(
            "GET",
            AGENTS,
            &[("Authorization", &auth)],
            None,
        ));
        assert_eq!(list.status, 401);
    }

    #[test]
    fn api_keys_need_the_site_id() {
        let mut c = Comm100::new(Auth::ApiKey {
            email: "a@example.com".into(),
            key: "k".into(),
            site_id: 10000,
        });
        let basic = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("a@example.com:k")
        );
        let with = |target: &str, c: &mut Comm100| {
            c.respond(&Request::new(
                "GET",
                target,
                &[("Authorization", &basic)],
                None,
            ))
            .status
        };
        assert_eq!(with("/v4/global/agents?siteId=10000", &mut c), 200);
        assert_eq!(with("/v4/global/agents", &mut c), 400);
        assert_eq!(with("/v4/global/agents?siteId=1", &mut c), 400);
    }
}
