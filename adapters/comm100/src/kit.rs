//! How a client drives the comm100 face (see `agentgw_inbound::kit`).

use agentgw_core::Credential;
use agentgw_inbound::kit::{Call, Kit, Person, Seen, Write, has_text};
use serde_json::{Value, json};

const AGENTS: &str = "/v4/global/agents";

fn headers(c: &Credential) -> Vec<(&'static str, String)> {
    match c {
        Credential::Token(t) => vec![("authorization", format!("Bearer {}", t.expose()))],
        _ => Vec::new(),
    }
}

fn body(p: &Person<'_>, last: &str, password: bool) -> Value {
    let mut body = json!({"email": p.email(), "displayName": format!("{} {last}", p.first), "firstName": p.first,
                          "lastName": last, "timeZone": "UTC", "datetimeFormat": "YYYY-MM-DD HH:mm:ss"});
    if password {
        body["password"] = json!("S3cret-pass");
    }
    body
}

fn seen(v: &Value) -> Seen {
    Seen {
        email: v["email"].as_str().unwrap_or_default().to_owned(),
        name: v["displayName"].as_str().unwrap_or_default().to_owned(),
        admin: Some(v["isAdmin"] == true),
    }
}

/// The comm100 kit. Its list is one array; its update is a full PUT.
pub static KIT: Kit = Kit {
    headers,
    route_options: "",
    upstream_path: "",
    create: |p| Call::with("POST", AGENTS, body(p, p.last, true)),
    id_of: |v| v["id"].as_str().map(str::to_owned),
    member: |id| format!("{AGENTS}/{id}"),
    one: |v| Some(v.clone()),
    page: |_, _| AGENTS.to_owned(),
    listed: |v| (v.as_array().cloned().unwrap_or_default(), false),
    find: |email| format!("{AGENTS}?keywords={email}"),
    update: |id, p| Call::with("PUT", format!("{AGENTS}/{id}"), body(p, "Updated", false)),
    update_renames: true,
    seen,
    is_error: |status, v| v["code"] == json!(u64::from(status) * 1000) && has_text(v, "message"),
    writes: &[
        Write {
            method: "POST",
            path: AGENTS,
            body: r#"{"email": "UNIQUE@example.com", "password": "abc1234.", "displayName": "Ada UNIQUE", "firstName": "Ada", "lastName": "UNIQUE", "timeZone": "Pacific Standard Time", "datetimeFormat": "YYYY-MM-DD HH:mm:ss", "shiftIds": ["3db96458-9446-466a-a0b8-49d469185825"]}"#,
            fields: &[
                "email",
                "password",
                "displayName",
                "firstName",
                "lastName",
                "timeZone",
                "datetimeFormat",
                "bio",
                "isLocked",
                "lockedTime",
                "departmentIds",
                "shiftIds",
                "permissionIds",
                "superAgentId",
                "systemAvatarId",
                "customizeAvatar",
                "externalId",
                "isSeat",
            ],
        },
        Write {
            method: "PUT",
            path: "/v4/global/agents/{id}",
            body: r#"{"email": "UNIQUE@example.com", "displayName": "Ada UNIQUE", "firstName": "Ada", "lastName": "UNIQUE", "timeZone": "UTC", "datetimeFormat": "DD-MM-YYYY HH:mm:ss"}"#,
            fields: &[
                "email",
                "displayName",
                "bio",
                "title",
                "phone",
                "skillIds",
                "roleIds",
                "language",
                "avatar",
            ],
        },
        Write {
            method: "POST",
            path: "/v4/global/agents/{id}:changePassword",
            body: r#"{"password": "abc1234.UNIQUE"}"#,
            fields: &["password"],
        },
        Write {
            method: "POST",
            path: "/v4/global/agents/{id}:unlock",
            body: r#"{}"#,
            fields: &["password"],
        },
    ],
};
