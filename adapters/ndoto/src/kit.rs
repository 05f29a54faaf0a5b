//! How a client drives the ndoto face (see `agentgw_inbound::kit`).

use agentgw_core::Credential;
use agentgw_inbound::kit::{Call, Kit, Person, Seen, Write, has_text, id_text};
use serde_json::{Value, json};

const AGENTS: &str = "/api/v1/accounts/1/agents";

fn headers(c: &Credential) -> Vec<(&'static str, String)> {
    match c {
        Credential::Token(t) => vec![("api_access_token", t.expose().to_owned())],
        _ => Vec::new(),
    }
}

fn create(p: &Person<'_>) -> Call {
    Call::with(
        "POST",
        AGENTS,
        json!({"name": format!("{} {}", p.first, p.last), "email": p.email(), "role": "agent"}),
    )
}

fn seen(v: &Value) -> Seen {
    Seen {
        email: v["email"].as_str().unwrap_or_default().to_owned(),
        name: v["name"].as_str().unwrap_or_default().to_owned(),
        admin: Some(v["role"] == "administrator"),
    }
}

/// The ndoto kit.
pub static KIT: Kit = Kit {
    headers,
    route_options: "",
    upstream_path: "",
    create,
    id_of: |v| id_text(&v["id"]),
    member: |id| format!("{AGENTS}/{id}"),
    one: |v| Some(v.clone()),
    page: |_, _| AGENTS.to_owned(),
    listed: |v| (v.as_array().cloned().unwrap_or_default(), false),
    find: |_| AGENTS.to_owned(),
    update: |id, p| {
        Call::with(
            "PATCH",
            format!("{AGENTS}/{id}"),
            json!({"name": format!("{} Updated", p.first)}),
        )
    },
    update_renames: true,
    seen,
    // {"error": "..."}, or for validation {"message", "attributes": [...]}.
    is_error: |_, v| has_text(v, "error") || (has_text(v, "message") && v["attributes"].is_array()),
    writes: &[
        Write {
            method: "POST",
            path: AGENTS,
            body: r#"{"name": "Ada UNIQUE", "email": "UNIQUE@example.com", "role": "agent", "availability": "busy", "auto_offline": true}"#,
            fields: &[
                "name",
                "email",
                "role",
                "availability",
                "availability_status",
                "auto_offline",
            ],
        },
        Write {
            method: "PATCH",
            path: "/api/v1/accounts/1/agents/{id}",
            body: r#"{"name": "Ada UNIQUE", "role": "administrator", "availability": "offline"}"#,
            fields: &[
                "name",
                "role",
                "availability",
                "availability_status",
                "auto_offline",
            ],
        },
        Write {
            method: "PUT",
            path: "/api/v1/accounts/1/agents/{id}",
            body: r#"{"name": "Ada UNIQUE", "role": "agent"}"#,
            fields: &["name", "role", "availability"],
        },
    ],
};
