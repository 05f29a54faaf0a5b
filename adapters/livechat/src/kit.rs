//! How a client drives the livechat face (see `agentgw_inbound::kit`).

use agentgw_core::Credential;
use agentgw_inbound::kit::{Call, Kit, Person, Seen, Write, has_text};
use serde_json::{Value, json};

const USERS: &str = "/api/v1/livechat/users";

fn headers(c: &Credential) -> Vec<(&'static str, String)> {
    match c {
        Credential::UserToken { user_id, token } => vec![
            ("x-user-id", user_id.clone()),
            ("x-auth-token", token.expose().to_owned()),
        ],
        _ => Vec::new(),
    }
}

fn seen(v: &Value) -> Seen {
    Seen {
        email: v["emails"][0]["address"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        name: v["name"].as_str().unwrap_or_default().to_owned(),
        // Whether a user is a manager is a question of the manager list, not of the user.
        admin: None,
    }
}

fn listed(v: &Value) -> (Vec<Value>, bool) {
    let users = v["users"].as_array().cloned().unwrap_or_default();
    let shown = v["offset"].as_u64().unwrap_or(0) + users.len() as u64;
    let more = v["total"].as_u64().is_some_and(|total| shown < total);
    (users, more)
}

/// The livechat kit. Creating is registering a username, which needs the route's policy to
/// create unknown usernames; an update cannot rename, so it promotes to manager.
pub static KIT: Kit = Kit {
    headers,
    route_options: "policy = { unknown_username = \"create\", email_domain = \"example.com\" }",
    upstream_path: "",
    create: |p: &Person<'_>| {
        Call::with(
            "POST",
            format!("{USERS}/agent"),
            json!({"username": p.local}),
        )
    },
    id_of: |v| v["_id"].as_str().map(str::to_owned),
    member: |id| format!("{USERS}/agent/{id}"),
    one: |v| Some(v["user"].clone()).filter(|u| !u.is_null()),
    page: |index, size| format!("{USERS}/agent?count={size}&offset={}", index * size),
    listed,
    find: |email| format!("{USERS}/agent?text={email}"),
    update: |_, p| {
        Call::with(
            "POST",
            format!("{USERS}/manager"),
            json!({"username": p.local}),
        )
    },
    update_renames: false,
    seen,
    // {"success": false, "error": ...}; a failed removal is a bare {"success": false}.
    is_error: |_, v| {
        v["success"] == json!(false)
            && (has_text(v, "error") || v.as_object().is_some_and(|o| o.len() == 1))
    },
    writes: &[
        Write {
            method: "POST",
            path: "/api/v1/livechat/users/agent",
            body: r#"{"username": "UNIQUE"}"#,
            fields: &["username", "extra"],
        },
        Write {
            method: "POST",
            path: "/api/v1/livechat/users/manager",
            body: r#"{"username": "UNIQUE"}"#,
            fields: &["username"],
        },
    ],
};
