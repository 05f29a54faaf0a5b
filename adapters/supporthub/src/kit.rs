//! How a client drives the supporthub face (see `agentgw_inbound::kit`).

use agentgw_core::Credential;
use agentgw_inbound::kit::{Call, Kit, Person, Seen, Write, has_text, id_text};
use serde_json::{Value, json};

const AGENTS: &str = "/api/agents";

fn headers(c: &Credential) -> Vec<(&'static str, String)> {
    match c {
        Credential::Token(t) => vec![("authorization", format!("Bearer {}", t.expose()))],
        _ => Vec::new(),
    }
}

fn create(p: &Person<'_>) -> Call {
    Call::with(
        "POST",
        AGENTS,
        json!({"first_name": p.first, "last_name": p.last, "email": p.email(),
               "password": "S3cret-pass", "password_confirmation": "S3cret-pass"}),
    )
}

fn seen(v: &Value) -> Seen {
    let text = |k: &str| v[k].as_str().unwrap_or_default();
    Seen {
        email: text("email").to_owned(),
        name: agentgw_model::join_name(text("first_name"), text("last_name")),
        admin: Some(v["role"] == 1),
    }
}

/// The supporthub kit.
pub static KIT: Kit = Kit {
    headers,
    route_options: "",
    upstream_path: "",
    create,
    id_of: |v| id_text(&v["id"]),
    member: |id| format!("{AGENTS}/{id}"),
    one: |v| Some(v["data"].clone()),
    page: |index, size| format!("{AGENTS}?per_page={size}&page={}", index + 1),
    listed: |v| {
        (
            v["data"].as_array().cloned().unwrap_or_default(),
            !v["links"]["next"].is_null(),
        )
    },
    find: |email| format!("{AGENTS}?filter[email]={email}"),
    update: |id, _| {
        Call::with(
            "PATCH",
            format!("{AGENTS}/{id}"),
            json!({"last_name": "Updated"}),
        )
    },
    update_renames: true,
    seen,
    is_error: |_, v| has_text(v, "message"),
    writes: &[
        Write {
            method: "POST",
            path: AGENTS,
            body: r#"{"first_name": "Ada", "last_name": "UNIQUE", "email": "UNIQUE@example.com", "password": "secret1", "password_confirmation": "secret1"}"#,
            fields: &[
                "first_name",
                "last_name",
                "email",
                "password",
                "password_confirmation",
            ],
        },
        Write {
            method: "PATCH",
            path: "/api/agents/{id}",
            body: r#"{"first_name": "Ada", "last_name": "UNIQUE", "timezone": "Europe/London"}"#,
            fields: &[
                "first_name",
                "last_name",
                "email",
                "timezone",
                "new_password",
                "new_password_confirmation",
            ],
        },
        Write {
            method: "PATCH",
            path: "/api/agents/{id}/permissions",
            body: r#"{"manage_articles": true}"#,
            fields: &["manage_articles", "view_all_tickets", "other"],
        },
        Write {
            method: "PATCH",
            path: "/api/agents/{id}/notifications",
            body: r#"{"new_ticket": false}"#,
            fields: &["new_ticket", "ticket_reassigned"],
        },
    ],
};
