//! How a client drives the libredesk face (see `agentgw_inbound::kit`).

use agentgw_core::Credential;
use agentgw_inbound::kit::{Call, Kit, Person, Seen, Write, has_text, id_text};
use serde_json::{Value, json};

const AGENTS: &str = "/api/v1/agents";

fn headers(c: &Credential) -> Vec<(&'static str, String)> {
    match c {
        Credential::KeySecret { key, secret } => {
            vec![("authorization", format!("token {key}:{}", secret.expose()))]
        }
        _ => Vec::new(),
    }
}

fn body(p: &Person<'_>, last: &str) -> Value {
    json!({"first_name": p.first, "last_name": last, "email": p.email(), "roles": ["Agent"], "enabled": true})
}

fn seen(v: &Value) -> Seen {
    let text = |k: &str| v[k].as_str().unwrap_or_default();
    Seen {
        email: text("email").to_owned(),
        name: agentgw_model::join_name(text("first_name"), text("last_name")),
        admin: v["roles"]
            .as_array()
            .map(|r| r.iter().any(|x| x == "Admin")),
    }
}

/// The libredesk kit. Its list is one compact array; its update is a whole-object PUT.
pub static KIT: Kit = Kit {
    headers,
    route_options: "",
    upstream_path: "",
    create: |p| Call::with("POST", AGENTS, body(p, p.last)),
    id_of: |v| id_text(&v["id"]),
    member: |id| format!("{AGENTS}/{id}"),
    one: |v| Some(v["data"].clone()),
    page: |_, _| AGENTS.to_owned(),
    listed: |v| (v["data"].as_array().cloned().unwrap_or_default(), false),
    find: |_| AGENTS.to_owned(),
    update: |id, p| Call::with("PUT", format!("{AGENTS}/{id}"), body(p, "Updated")),
    update_renames: true,
    seen,
    is_error: |_, v| {
        v["status"] == "error"
            && has_text(v, "message")
            && has_text(v, "error_type")
            && v["data"].is_null()
    },
    writes: &[
        Write {
            method: "POST",
            path: AGENTS,
            body: r#"{"first_name": "Ada", "last_name": "UNIQUE", "email": "UNIQUE@example.com", "roles": ["Agent"], "teams": ["Support"], "enabled": true, "custom_attributes": {"tier": 1}}"#,
            fields: &[
                "first_name",
                "last_name",
                "email",
                "roles",
                "role",
                "teams",
                "enabled",
                "availability_status",
                "new_password",
                "phone_number",
                "avatar_url",
                "custom_attributes",
                "send_welcome_email",
            ],
        },
        Write {
            method: "PUT",
            path: "/api/v1/agents/{id}",
            body: r#"{"first_name": "Ada", "last_name": "UNIQUE", "email": "UNIQUE@example.com", "roles": ["Admin"], "enabled": true}"#,
            fields: &[
                "first_name",
                "email",
                "roles",
                "teams",
                "custom_attributes",
                "new_password",
                "phone_number_country_code",
            ],
        },
    ],
};
