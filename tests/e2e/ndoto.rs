//! The ndoto face end to end: seed examples, every error, persistence, concurrency.

use serde_json::{Value, json};

use agentgw_tests::{Gateway, TOKEN, client, json as read, repo_root};

const AGENTS: &str = "/ndoto/api/v1/accounts/1/agents";

fn fixture(name: &str) -> Value {
    let path = repo_root().join("tests/fixtures/ndoto").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

/// The seed's create body with a real address in place of the scraper's obfuscation.
fn seed_create() -> Value {
    let mut body = fixture("create_request.json");
    body["email"] = json!("alex.banda@example.com");
    body
}

async fn send(
    gw: &Gateway,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut req = client()
        .request(method, gw.url(path))
        .header("api_access_token", TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

async fn list(gw: &Gateway) -> Vec<Value> {
    let (status, body) = send(gw, reqwest::Method::GET, AGENTS, None).await;
    assert_eq!(status, 200, "{body}");
    body.as_array().expect("a bare array").clone()
}

async fn create(gw: &Gateway, body: Value) -> (u16, Value) {
    send(gw, reqwest::Method::POST, AGENTS, Some(body)).await
}

#[tokio::test]
async fn seed_examples_round_trip() {
    let gw = crate::gateway();
    assert!(list(&gw).await.is_empty());

    let (status, created) = create(&gw, seed_create()).await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_i64().expect("integer id");
    // Every field of the seed's list example, with the values the create implies.
    let seed_item = fixture("list_response.json")[0].clone();
    for key in seed_item.as_object().expect("object").keys() {
        assert!(
            created.get(key).is_some(),
            "missing seed field {key}: {created}"
        );
    }
    assert_eq!(created["name"], "Alex Banda");
    assert_eq!(created["email"], "alex.banda@example.com");
    assert_eq!(created["role"], "agent");
    assert_eq!(created["availability"], "online");
    assert_eq!(created["availability_status"], "online");
    assert_eq!(created["account_id"], 1);
    assert_eq!(
        created["confirmed"], false,
        "a new agent's invitation is pending"
    );

    let listed = list(&gw).await;
    assert_eq!(listed, vec![created.clone()]);

    let (status, shown) = send(&gw, reqwest::Method::GET, &format!("{AGENTS}/{id}"), None).await;
    assert_eq!((status, &shown), (200, &created));

    let (status, updated) = send(
        &gw,
        reqwest::Method::PATCH,
        &format!("{AGENTS}/{id}"),
        Some(fixture("update_request.json")),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(updated["role"], "administrator");
    assert_eq!(
        updated["name"], "Alex Banda",
        "a partial update leaves other fields"
    );

    let (status, updated) = send(
        &gw,
        reqwest::Method::PUT,
        &format!("{AGENTS}/{id}"),
        Some(json!({"availability": "busy", "name": "Alex B. Banda"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            updated["availability"].as_str(),
            updated["name"].as_str(),
            updated["role"].as_str()
        ),
        (Some("busy"), Some("Alex B. Banda"), Some("administrator"))
    );

    let res = client()
        .delete(gw.url(&format!("{AGENTS}/{id}")))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.text().await.expect("body"),
        "",
        "delete answers an empty body"
    );
    let (status, body) = send(&gw, reqwest::Method::GET, &format!("{AGENTS}/{id}"), None).await;
    assert_eq!(
        (status, body),
        (404, json!({"error": "Resource could not be found"}))
    );
    assert!(list(&gw).await.is_empty());
}

#[tokio::test]
async fn list_is_ordered_by_name_case_insensitively_and_accepts_availability_status() {
    let gw = crate::gateway();
    for (name, email) in [
        ("carol Zed", "c@x.io"),
        ("Alice Young", "a@x.io"),
        ("bob", "b@x.io"),
    ] {
        let (status, body) = create(&gw, json!({"name": name, "email": email, "role": "agent", "availability_status": "offline"})).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["availability"], "offline");
    }
    let names: Vec<String> = list(&gw)
        .await
        .iter()
        .map(|a| a["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(names, ["Alice Young", "bob", "carol Zed"]);
    // A client generated from Chatwoot's older swagger says `available`; it means online.
    let (status, body) = create(&gw, json!({"name": "Old Client", "email": "old@x.io", "role": "agent", "availability_status": "available"})).await;
    assert_eq!(
        (status, &body["availability_status"]),
        (200, &json!("online")),
        "{body}"
    );
    let res = client()
        .patch(gw.url(&format!("{AGENTS}/{}", body["id"])))
        .header("api_access_token", TOKEN)
        .json(&json!({"role": "agent", "availability_status": "available", "availability": "busy"}))
        .send()
        .await
        .expect("patch");
    let (status, body) = read(res).await;
    assert_eq!(
        (status, &body["availability"]),
        (200, &json!("busy")),
        "`availability` wins: {body}"
    );
    let res = client()
        .delete(gw.url(&format!("{AGENTS}/{}", body["id"])))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status().as_u16(), 200);
    // Account 7 is served by the same route: same tenant, same agents, its own account_id.
    let res = client()
        .get(gw.url("/ndoto/api/v1/accounts/7/agents"))
        .header("api_access_token", "second-token")
        .send()
        .await
        .expect("list");
    let (status, body) = read(res).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().map(Vec::len), Some(3));
    assert_eq!(body[0]["account_id"], 7);
}

#[tokio::test]
async fn auth_and_account_errors() {
    let gw = crate::gateway();
    let c = client();
    let unauthorized = json!({"error": "Invalid Access Token"});
    let res = c.get(gw.url(AGENTS)).send().await.expect("no token");
    assert_eq!(read(res).await, (401, unauthorized.clone()));
    let res = c
        .get(gw.url(AGENTS))
        .header("api_access_token", "wrong")
        .send()
        .await
        .expect("wrong token");
    assert_eq!(read(res).await, (401, unauthorized.clone()));
    let res = c
        .get(gw.url(AGENTS))
        .header("api_access_token", format!("{TOKEN}x"))
        .send()
        .await
        .expect("longer token");
    assert_eq!(read(res).await, (401, unauthorized.clone()));
    let res = c
        .post(gw.url(AGENTS))
        .json(&seed_create())
        .send()
        .await
        .expect("create without token");
    assert_eq!(read(res).await, (401, unauthorized));
    let res = c
        .get(gw.url("/ndoto/api/v1/accounts/2/agents"))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .expect("other account");
    assert_eq!(
        read(res).await,
        (
            401,
            json!({"error": "You are not authorized to access this account"})
        )
    );
    let res = c
        .get(gw.url("/ndoto/api/v1/accounts/one/agents"))
        .header("api_access_token", TOKEN)
        .send()
        .await
        .expect("bad account");
    assert_eq!(read(res).await.0, 404);
    assert!(list(&gw).await.is_empty(), "nothing was created");
}

#[tokio::test]
async fn validation_errors_change_nothing() {
    let gw = crate::gateway();
    let (_, original) = create(
        &gw,
        json!({"name": "Keep Me", "email": "keep@example.com", "role": "agent"}),
    )
    .await;
    let member = format!("{AGENTS}/{}", original["id"]);

    let cases = [
        (
            json!({"name": "X", "email": "x@example.com", "role": "owner"}),
            422,
            vec!["role"],
        ),
        (
            json!({"name": "X", "email": "x@example.com", "role": "agent", "availability": "away"}),
            422,
            vec!["availability"],
        ),
        (
            json!({"email": "x@example.com", "role": "agent"}),
            422,
            vec!["name"],
        ),
        (json!({"name": "X", "role": "agent"}), 422, vec!["email"]),
        (
            json!({"name": "X", "email": "not-an-email", "role": "agent"}),
            422,
            vec!["email"],
        ),
        (
            json!({"name": "X", "email": "x@example.com"}),
            422,
            vec!["role"],
        ),
        (
            json!({"name": 5, "email": "x@example.com", "role": "agent"}),
            422,
            vec!["name"],
        ),
        (
            json!({"name": "X", "email": ["x@example.com"], "role": "agent"}),
            422,
            vec!["email"],
        ),
        (
            json!({"name": "X", "email": "KEEP@example.com", "role": "agent"}),
            422,
            vec!["email"],
        ),
        (json!({}), 422, vec!["name", "email", "role"]),
    ];
    for (body, status, attributes) in cases {
        let (got, err) = create(&gw, body.clone()).await;
        assert_eq!(got, status, "{body} → {err}");
        assert_eq!(err["attributes"], json!(attributes), "{body} → {err}");
        assert!(
            err["message"].as_str().is_some_and(|m| !m.is_empty()),
            "{err}"
        );
    }
    let (_, dup) = create(
        &gw,
        json!({"name": "X", "email": "Keep@Example.com", "role": "agent"}),
    )
    .await;
    assert_eq!(dup["message"], "Email has already been taken");

    let updates = [
        (json!({"role": "root"}), vec!["role"]),
        (json!({"availability": "away"}), vec!["availability"]),
        (json!({"name": ""}), vec!["name"]),
        (json!({"name": null}), vec!["name"]),
        (json!({"role": 1}), vec!["role"]),
    ];
    for (body, attributes) in updates {
        let (got, err) = send(&gw, reqwest::Method::PATCH, &member, Some(body.clone())).await;
        assert_eq!(got, 422, "{body} → {err}");
        assert_eq!(err["attributes"], json!(attributes), "{body} → {err}");
    }

    // Malformed JSON and non-object bodies are 400s.
    for raw in ["{\"name\": ", "[1, 2]", "not json"] {
        let res = client()
            .post(gw.url(AGENTS))
            .header("api_access_token", TOKEN)
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .expect("post");
        let (status, body) = read(res).await;
        assert_eq!(status, 400, "{raw} → {body}");
        assert!(body["error"].as_str().is_some(), "{body}");
        let res = client()
            .patch(gw.url(&member))
            .header("api_access_token", TOKEN)
            .body(raw)
            .send()
            .await
            .expect("patch");
        assert_eq!(res.status().as_u16(), 400);
    }
    // Over max_body_bytes (4096 in the test config): 413.
    let big = json!({"name": "X".repeat(5000), "email": "big@example.com", "role": "agent"});
    let (status, body) = create(&gw, big.clone()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body["error"].as_str().is_some());
    let (status, _) = send(&gw, reqwest::Method::PATCH, &member, Some(big)).await;
    assert_eq!(status, 413);

    // Unknown and malformed ids, unknown routes under the prefix: ndoto 404s.
    let not_found = json!({"error": "Resource could not be found"});
    for path in [
        format!("{AGENTS}/999999"),
        format!("{AGENTS}/abc"),
        format!("{AGENTS}/1.5"),
        "/ndoto/api/v1/nothing".to_owned(),
    ] {
        let (status, body) = send(&gw, reqwest::Method::GET, &path, None).await;
        assert_eq!((status, &body), (404, &not_found), "{path}");
    }
    let (status, _) = send(
        &gw,
        reqwest::Method::PATCH,
        &format!("{AGENTS}/999999"),
        Some(json!({"role": "agent"})),
    )
    .await;
    assert_eq!(status, 404);
    let (status, _) = send(
        &gw,
        reqwest::Method::DELETE,
        &format!("{AGENTS}/999999"),
        None,
    )
    .await;
    assert_eq!(status, 404);

    // After all of that: exactly the one agent, unchanged.
    assert_eq!(list(&gw).await, vec![original]);
}

#[tokio::test]
async fn acknowledged_writes_survive_restart_and_kill_9() {
    let mut gw = crate::gateway();
    let (_, first) = create(
        &gw,
        json!({"name": "Before Term", "email": "term@example.com", "role": "agent"}),
    )
    .await;
    let status = gw.terminate();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
    gw.restart();
    assert_eq!(list(&gw).await, vec![first.clone()]);

    let (status, second) = create(
        &gw,
        json!({"name": "Before Kill", "email": "kill@example.com", "role": "administrator"}),
    )
    .await;
    assert_eq!(status, 200);
    gw.kill9();
    gw.restart();
    let after = list(&gw).await;
    assert_eq!(after, vec![second.clone(), first.clone()]);
    // Ids are stable across restarts and never handed out again.
    let (_, third) = create(
        &gw,
        json!({"name": "After", "email": "after@example.com", "role": "agent"}),
    )
    .await;
    assert!(third["id"].as_i64() > second["id"].as_i64());
}

#[tokio::test]
async fn twenty_concurrent_creates_of_one_email_yield_exactly_one_agent() {
    let gw = crate::gateway();
    let requests = (0..20).map(|i| {
        create(
            &gw,
            json!({"name": format!("Racer {i}"), "email": "race@example.com", "role": "agent"}),
        )
    });
    let results = futures_util::future::join_all(requests).await;
    let ok = results.iter().filter(|(s, _)| *s == 200).count();
    let dup = results
        .iter()
        .filter(|(s, b)| *s == 422 && b["attributes"] == json!(["email"]))
        .count();
    assert_eq!((ok, dup), (1, 19), "{results:?}");
    assert_eq!(list(&gw).await.len(), 1);
}

#[tokio::test]
async fn credentials_never_reach_the_log() {
    let gw = crate::gateway();
    let _ = create(&gw, seed_create()).await;
    let _ = client()
        .get(gw.url(AGENTS))
        .header("api_access_token", "a-wrong-token-value")
        .send()
        .await;
    let logs = gw.settled_logs().await;
    assert!(logs.contains("route=ndoto"), "one line per request: {logs}");
    assert!(
        !logs.contains(TOKEN)
            && !logs.contains("second-token")
            && !logs.contains("a-wrong-token-value"),
        "{logs}"
    );
}
