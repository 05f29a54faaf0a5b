//! How a client drives the SCIM face (see `agentgw_inbound::kit`).

use agentgw_core::Credential;
use agentgw_inbound::kit::{Call, Kit, Person, Seen, Write, has_text};
use serde_json::{Value, json};

use crate::wire;

const USERS: &str = "/v2/Users";

fn headers(c: &Credential) -> Vec<(&'static str, String)> {
    match c {
        Credential::Token(t) => vec![("authorization", format!("Bearer {}", t.expose()))],
        _ => Vec::new(),
    }
}

fn create(p: &Person<'_>) -> Call {
    Call::with(
        "POST",
        USERS,
        json!({
            "schemas": [wire::USER],
            "userName": p.email(),
            "name": {"givenName": p.first, "familyName": p.last},
            "displayName": format!("{} {}", p.first, p.last),
            "emails": [{"value": p.email(), "type": "work", "primary": true}],
            "active": true,
        }),
    )
}

fn seen(v: &Value) -> Seen {
    Seen {
        email: v["emails"][0]["value"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        name: v["displayName"].as_str().unwrap_or_default().to_owned(),
        admin: Some(
            v["roles"]
                .as_array()
                .is_some_and(|r| r.iter().any(|r| r["value"] == "admin")),
        ),
    }
}

/// An email filter, percent-encoded for a query string.
fn find(email: &str) -> String {
    let filter = format!("emails.value eq \"{email}\"");
    let encoded: String = filter
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{USERS}?filter={encoded}")
}

fn listed(v: &Value) -> (Vec<Value>, bool) {
    let items = v["Resources"].as_array().cloned().unwrap_or_default();
    let start = v["startIndex"].as_u64().unwrap_or(1);
    let total = v["totalResults"].as_u64().unwrap_or(0);
    let more = !items.is_empty() && start + (items.len() as u64) - 1 < total;
    (items, more)
}

/// The SCIM kit.
pub static KIT: Kit = Kit {
    headers,
    route_options: "",
    upstream_path: "/v2",
    create,
    id_of: |v| v["id"].as_str().map(str::to_owned),
    member: |id| format!("{USERS}/{id}"),
    one: |v| v["id"].is_string().then(|| v.clone()),
    page: |index, size| format!("{USERS}?startIndex={}&count={size}", index * size + 1),
    listed,
    find,
    update: |id, _| {
        Call::with(
            "PATCH",
            format!("{USERS}/{id}"),
            json!({
                "schemas": [wire::PATCH_OP],
                "Operations": [{"op": "replace", "path": "name.familyName", "value": "Updated"}]
            }),
        )
    },
    update_renames: true,
    seen,
    // RFC 7644 §3.12: the Error schema, the status as a string.
    is_error: |status, v| {
        v["schemas"]
            .as_array()
            .is_some_and(|s| s.iter().any(|s| s == wire::ERROR))
            && v["status"].as_str() == Some(status.to_string().as_str())
            && has_text(v, "detail")
    },
    writes: &[
        Write {
            method: "POST",
            path: USERS,
            body: r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "UNIQUE@example.com", "externalId": "ext-UNIQUE", "name": {"givenName": "Ada", "familyName": "UNIQUE"}, "displayName": "Ada UNIQUE", "emails": [{"value": "UNIQUE@example.com", "type": "work", "primary": true}], "active": true, "title": "Agent", "timezone": "Europe/London", "roles": [{"value": "agent"}]}"#,
            fields: &[
                "userName",
                "externalId",
                "name",
                "displayName",
                "emails",
                "active",
                "title",
                "timezone",
                "roles",
                "phoneNumbers",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
            ],
        },
        Write {
            method: "PUT",
            path: "/v2/Users/{id}",
            body: r#"{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "UNIQUE@example.com", "name": {"givenName": "Ada", "familyName": "UNIQUE"}, "emails": [{"value": "UNIQUE@example.com", "type": "work"}], "active": false}"#,
            fields: &[
                "userName",
                "name",
                "emails",
                "active",
                "displayName",
                "preferredLanguage",
                "photos",
            ],
        },
        Write {
            method: "PATCH",
            path: "/v2/Users/{id}",
            body: r#"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [{"op": "replace", "path": "displayName", "value": "Ada UNIQUE"}]}"#,
            fields: &["Operations", "schemas"],
        },
    ],
};
