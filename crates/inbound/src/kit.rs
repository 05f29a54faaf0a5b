//! How a client drives a face, as its adapter describes it: what the shared conformance
//! tests need (every registered dialect through the same end-to-end and upstream matrices,
//! with no per-dialect code in the tests), and what any tool that speaks "some dialect"
//! generically can use.

use agentgw_core::Credential;
use serde_json::Value;

/// A request a client sends: method, path below the route's prefix, JSON body.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub method: &'static str,
    pub path: String,
    pub body: Option<Value>,
}

impl Call {
    /// A request without a body.
    pub fn get(path: impl Into<String>) -> Call {
        Call {
            method: "GET",
            path: path.into(),
            body: None,
        }
    }

    /// A request with a JSON body.
    pub fn with(method: &'static str, path: impl Into<String>, body: Value) -> Call {
        Call {
            method,
            path: path.into(),
            body: Some(body),
        }
    }
}

/// A test agent: `<local>@example.com`, called `<first> <last>`.
#[derive(Debug, Clone, Copy)]
pub struct Person<'a> {
    pub local: &'a str,
    pub first: &'a str,
    pub last: &'a str,
}

impl Person<'_> {
    /// `<local>@example.com`.
    pub fn email(&self) -> String {
        format!("{}@example.com", self.local)
    }
}

/// What a face says of an agent, whichever dialect it speaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Seen {
    pub email: String,
    /// The name as shown (display name, or first and last joined).
    pub name: String,
    /// Whether the agent is an administrator; `None` where one agent's answer cannot say.
    pub admin: Option<bool>,
}

/// A write endpoint for hostile-input tests: a body it accepts (`UNIQUE` to be replaced by a
/// fresh value) and the fields worth replacing with something hostile. `{id}` in the path is
/// an agent's id of the dialect's kind.
#[derive(Debug, Clone, Copy)]
pub struct Write {
    pub method: &'static str,
    pub path: &'static str,
    pub body: &'static str,
    pub fields: &'static [&'static str],
}

/// How a client drives one dialect's face.
pub struct Kit {
    /// The headers that carry `credential`.
    pub headers: fn(&Credential) -> Vec<(&'static str, String)>,
    /// Route options (TOML keys) a route needs for the shared tests (livechat must create on
    /// register); empty for most.
    pub route_options: &'static str,
    /// Where an upstream of this dialect starts below a route's prefix (its `base_url`):
    /// empty for most; a SCIM service provider's base URL ends in `/v2`.
    pub upstream_path: &'static str,
    /// Create `person` (with a password where the dialect needs one).
    pub create: fn(&Person<'_>) -> Call,
    /// The agent in a create answer or a GET of its member path (`None` when the face says
    /// there is none).
    pub one: fn(&Value) -> Option<Value>,
    /// The id of an agent, as `one` or `listed` give it.
    pub id_of: fn(&Value) -> Option<String>,
    /// The path of the agent with this id.
    pub member: fn(&str) -> String,
    /// The path of list page `index` (from 0) of `size` agents; a face without pages lists all.
    pub page: fn(index: u64, size: u64) -> String,
    /// The agents of a list answer, and whether another page may follow.
    pub listed: fn(&Value) -> (Vec<Value>, bool),
    /// A list that finds the agent with this email.
    pub find: fn(email: &str) -> String,
    /// Change `person`'s agent (with this id): its last name to `Updated`, or, for a dialect
    /// that cannot rename, something it can (livechat promotes to manager).
    pub update: fn(id: &str, person: &Person<'_>) -> Call,
    /// Whether `update` renames (else it makes the agent an administrator).
    pub update_renames: bool,
    /// What an agent answer says.
    pub seen: fn(&Value) -> Seen,
    /// Whether `body` is an error of `status` in the face's own shape.
    pub is_error: fn(status: u16, body: &Value) -> bool,
    /// Every write endpoint, for hostile-input tests.
    pub writes: &'static [Write],
}

/// Whether `value[key]` is a non-empty string (error shapes test it often).
pub fn has_text(value: &Value, key: &str) -> bool {
    value[key].as_str().is_some_and(|s| !s.is_empty())
}

/// The string or number `value` as text (ids come as either).
pub fn id_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}
