//! The libredesk face end to end: both auth schemes, every error type, PUT-replace semantics,
//! teams, and a create → list → get → PUT → delete round trip.

use agentgw_tests::{Gateway, LD_KEY, LD_SECRET, SH_TOKEN, TOKEN, client, json as read, repo_root};
use reqwest::Method;
use serde_json::{Value, json};

const AGENTS: &str = "/libredesk/api/v1/agents";

pub(crate) fn basic() -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{LD_KEY}:{LD_SECRET}"))
    )
}

async fn ld(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client()
        .request(method, gw.url(&format!("{AGENTS}{path}")))
        .header("Authorization", basic());
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

fn body(first: &str, email: &str) -> Value {
    json!({"first_name": first, "last_name": "Doe", "email": email, "roles": ["Agent"], "enabled": true})
}

fn error(status: &str, message: &str) -> Value {
    json!({"status": "error", "message": message, "data": null, "error_type": status})
}

#[tokio::test]
async fn both_auth_schemes_and_refusals() {
    let gw = crate::gateway();
    let c = client();
    let ok = c
        .get(gw.url(AGENTS))
        .header("Authorization", basic())
        .send()
        .await
        .expect("basic");
    assert_eq!(
        read(ok).await,
        (200, json!({"status": "success", "data": []}))
    );
    let ok = c
        .get(gw.url(AGENTS))
        .header("Authorization", format!("token {LD_KEY}:{LD_SECRET}"))
        .send()
        .await
        .expect("token");
    assert_eq!(read(ok).await.0, 200);
    for header in [
        None,
        Some(format!("token {LD_KEY}:wrong")),
        Some(format!("Token {LD_KEY}:{LD_SECRET}")),
        Some(basic().replace("Basic", "basic")),
        Some(format!("Bearer {LD_SECRET}")),
        Some("Basic !!".into()),
    ] {
        let mut req = c.get(gw.url(AGENTS));
        if let Some(h) = &header {
            req = req.header("Authorization", h);
        }
        let (status, err) = read(req.send().await.expect("get")).await;
        assert_eq!(
            (
                status,
                err["error_type"].as_str(),
                err["status"].as_str(),
                err["data"].clone()
            ),
            (
                401,
                Some("UnauthorizedException"),
                Some("error"),
                Value::Null
            ),
            "{header:?}"
        );
    }
    let (status, _) = read(
        c.post(gw.url(AGENTS))
            .json(&body("A", "a@x.io"))
            .send()
            .await
            .expect("post"),
    )
    .await;
    assert_eq!(status, 401);
    assert_eq!(
        ld(&gw, Method::GET, "", None).await.1["data"],
        json!([]),
        "nothing was created"
    );
}

#[tokio::test]
async fn round_trip_with_teams_and_put_replace() {
    let gw = crate::gateway();
    let create = json!({
        "first_name": "John", "last_name": "Doe", "email": "john@example.com", "send_welcome_email": true,
        "teams": ["Support Team", "Billing"], "enabled": true, "role": "Admin", "availability_status": "away_and_reassigning"
    });
    let (status, created) = ld(&gw, Method::POST, "", Some(create)).await;
    assert_eq!(status, 200, "{created}");
    assert_eq!(created["status"], "success");
    let agent = &created["data"];
    let seed = serde_json::from_str::<Value>(
        &std::fs::read_to_string(repo_root().join("tests/fixtures/libredesk/create_response.json"))
            .expect("fixture"),
    )
    .expect("json");
    let mut keys: Vec<&String> = agent.as_object().expect("object").keys().collect();
    let mut seed_keys: Vec<&String> = seed["data"].as_object().expect("object").keys().collect();
    keys.sort();
    seed_keys.sort();
    assert_eq!(
        keys, seed_keys,
        "the seed's fields, with phone_number_country_code"
    );
    assert_eq!(
        (
            agent["roles"].clone(),
            agent["enabled"].clone(),
            agent["type"].clone()
        ),
        (json!(["Admin"]), json!(true), json!("agent"))
    );
    assert_eq!(
        (
            agent["api_key"].clone(),
            agent["api_key_last_used_at"].clone()
        ),
        (Value::Null, Value::Null)
    );
    assert_eq!(
        agent["availability_status"], "away_and_reassigning",
        "the exact value comes back"
    );
    let teams = agent["teams"].as_array().expect("teams").clone();
    assert_eq!(
        teams
            .iter()
            .map(|t| t["name"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["Support Team", "Billing"]
    );
    assert!(
        teams.iter().all(|t| t["id"].as_i64().is_some_and(|i| i > 0)
            && t["emoji"].as_str().is_some_and(|e| !e.is_empty())),
        "{teams:?}"
    );
    let id = agent["id"].as_i64().expect("id");

    // A second agent naming a team in another case joins the same team.
    let (_, second) = ld(&gw, Method::POST, "", Some(json!({"first_name": "Jane", "email": "jane@example.com", "roles": ["Agent"], "teams": ["billing"]}))).await;
    assert_eq!(second["data"]["teams"], json!([teams[1]]));
    assert_eq!(
        (
            &second["data"]["enabled"],
            &second["data"]["availability_status"]
        ),
        (&json!(true), &json!("offline")),
        "a create without them starts enabled and offline, as Libredesk's does"
    );

    // List: compact objects, newest update first.
    let (_, list) = ld(&gw, Method::GET, "", None).await;
    let rows = list["data"].as_array().expect("array");
    assert_eq!(
        rows.iter()
            .map(|r| r["email"].as_str().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["jane@example.com", "john@example.com"]
    );
    let mut compact: Vec<&String> = rows[0].as_object().expect("object").keys().collect();
    compact.sort();
    assert_eq!(
        compact,
        [
            "availability_status",
            "avatar_url",
            "created_at",
            "email",
            "enabled",
            "first_name",
            "id",
            "last_name",
            "type",
            "updated_at"
        ]
    );

    assert_eq!(
        ld(&gw, Method::GET, &format!("/{id}"), None).await,
        (200, created.clone())
    );

    // Teams survive updates through faces that do not know them.
    let res = client()
        .patch(gw.url(&format!("/ndoto/api/v1/accounts/1/agents/{id}")))
        .header("api_access_token", TOKEN)
        .json(&json!({"availability": "busy"}))
        .send()
        .await
        .expect("ndoto");
    assert_eq!(res.status().as_u16(), 200);
    let res = client()
        .patch(gw.url(&format!("/supporthub/api/agents/{id}")))
        .bearer_auth(SH_TOKEN)
        .json(&json!({"last_name": "Dough"}))
        .send()
        .await
        .expect("supporthub");
    assert_eq!(res.status().as_u16(), 200);
    let (_, after) = ld(&gw, Method::GET, &format!("/{id}"), None).await;
    assert_eq!(after["data"]["teams"], json!(teams));
    assert_eq!(after["data"]["last_name"], "Dough");
    assert_eq!(
        after["data"]["availability_status"], "away_manual",
        "ndoto's busy is libredesk's away_manual"
    );

    // PUT replaces the Libredesk-visible fields: omitted enabled → false, omitted teams → none.
    let (status, put) = ld(
        &gw,
        Method::PUT,
        &format!("/{id}"),
        Some(json!({"first_name": "Johnny", "email": "johnny@example.com", "roles": ["Agent"]})),
    )
    .await;
    assert_eq!(status, 200, "{put}");
    let p = &put["data"];
    assert_eq!(
        (
            p["first_name"].as_str(),
            p["last_name"].as_str(),
            p["email"].as_str()
        ),
        (Some("Johnny"), Some(""), Some("johnny@example.com"))
    );
    assert_eq!(
        (p["enabled"].clone(), p["teams"].clone(), p["roles"].clone()),
        (json!(false), json!([]), json!(["Agent"]))
    );
    assert_eq!(
        p["availability_status"], "away_manual",
        "an omitted availability is left as it is"
    );
    let nd = read(
        client()
            .get(gw.url(&format!("/ndoto/api/v1/accounts/1/agents/{id}")))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("ndoto"),
    )
    .await
    .1;
    assert_eq!(
        (nd["name"].as_str(), nd["role"].as_str()),
        (Some("Johnny"), Some("agent"))
    );

    assert_eq!(
        ld(&gw, Method::DELETE, &format!("/{id}"), None).await,
        (200, json!({"status": "success", "data": true}))
    );
    assert_eq!(
        ld(&gw, Method::GET, &format!("/{id}"), None).await,
        (404, error("NotFoundException", "User not found"))
    );
    assert_eq!(
        ld(&gw, Method::DELETE, &format!("/{id}"), None).await.0,
        404
    );
}

#[tokio::test]
async fn every_error_type() {
    let gw = crate::gateway();
    let (_, keep) = ld(
        &gw,
        Method::POST,
        "",
        Some(body("Keep", "keep@example.com")),
    )
    .await;
    let id = keep["data"]["id"].as_i64().expect("id");
    let input = |m: &str| (400, error("InputException", m));
    assert_eq!(
        ld(
            &gw,
            Method::POST,
            "",
            Some(json!({"first_name": "A", "roles": ["Agent"]}))
        )
        .await,
        input("`email` empty")
    );
    assert_eq!(
        ld(
            &gw,
            Method::POST,
            "",
            Some(json!({"first_name": "A", "email": "nope", "roles": ["Agent"]}))
        )
        .await,
        input("Invalid email address")
    );
    assert_eq!(
        ld(
            &gw,
            Method::POST,
            "",
            Some(json!({"email": "a@x.io", "roles": ["Agent"]}))
        )
        .await,
        input("`first_name` empty")
    );
    assert_eq!(
        ld(
            &gw,
            Method::POST,
            "",
            Some(json!({"first_name": "A", "email": "a@x.io"}))
        )
        .await,
        input("`role` empty")
    );
    assert_eq!(
        ld(
            &gw,
            Method::POST,
            "",
            Some(json!({"first_name": "A", "email": "a@x.io", "roles": ["Owner"]}))
        )
        .await,
        input("Role `Owner` not found")
    );
    let (status, err) = ld(
        &gw,
        Method::POST,
        "",
        Some(json!({"first_name": "A", "email": "a@x.io", "roles": ["Agent"], "enabled": "yes"})),
    )
    .await;
    assert_eq!(
        (status, err["error_type"].as_str()),
        (400, Some("InputException"))
    );
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("`enabled`")),
        "{err}"
    );
    assert_eq!(
        ld(&gw, Method::GET, "/abc", None).await,
        input("Invalid user `id`")
    );
    assert_eq!(
        ld(&gw, Method::PUT, "/abc", Some(body("A", "a@x.io"))).await,
        input("Invalid user `id`")
    );
    let res = client()
        .post(gw.url(AGENTS))
        .header("Authorization", basic())
        .body("{\"first_name\":")
        .send()
        .await
        .expect("post");
    let (status, err) = read(res).await;
    assert_eq!(
        (status, err["error_type"].as_str()),
        (400, Some("InputException"))
    );

    assert_eq!(
        ld(&gw, Method::GET, "/999999", None).await,
        (404, error("NotFoundException", "User not found"))
    );
    assert_eq!(
        ld(&gw, Method::PUT, "/999999", Some(body("A", "a@x.io")))
            .await
            .0,
        404
    );
    assert_eq!(
        ld(&gw, Method::GET, "/1/roles", None).await.1["error_type"],
        "NotFoundException"
    );

    let conflict = (
        409,
        error("ConflictException", "User with same email already exists"),
    );
    assert_eq!(
        ld(&gw, Method::POST, "", Some(body("Dup", "KEEP@example.com"))).await,
        conflict
    );
    ld(
        &gw,
        Method::POST,
        "",
        Some(body("Other", "other@example.com")),
    )
    .await;
    assert_eq!(
        ld(
            &gw,
            Method::PUT,
            &format!("/{id}"),
            Some(body("Keep", "Other@example.com"))
        )
        .await,
        conflict
    );

    let (status, err) = ld(
        &gw,
        Method::POST,
        "",
        Some(body(&"x".repeat(5000), "big@example.com")),
    )
    .await;
    assert_eq!((status, err["status"].as_str()), (413, Some("error")));

    assert_eq!(
        ld(&gw, Method::GET, &format!("/{id}"), None).await.1,
        keep,
        "no error changed the agent"
    );
    assert_eq!(
        ld(&gw, Method::GET, "", None).await.1["data"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
}
