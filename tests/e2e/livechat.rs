//! The livechat face end to end: seed examples, roles, paging, every error, cross-face reads.

use agentgw_tests::{
    Gateway, LC_TOKEN, LC_USER, TOKEN, client, json as read, ndoto_config, repo_root,
};
use reqwest::Method;
use serde_json::{Value, json};

const USERS: &str = "/livechat/api/v1/livechat/users";
const NDOTO: &str = "/ndoto/api/v1/accounts/1/agents";

fn fixture(name: &str) -> Value {
    let path = repo_root().join("tests/fixtures/livechat").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

async fn lc(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client()
        .request(method, gw.url(&format!("{USERS}{path}")))
        .header("X-User-Id", LC_USER)
        .header("X-Auth-Token", LC_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

async fn ndoto_create(gw: &Gateway, name: &str, email: &str) -> Value {
    let res = client()
        .post(gw.url(NDOTO))
        .header("api_access_token", TOKEN)
        .json(&json!({"name": name, "email": email, "role": "agent"}))
        .send()
        .await
        .expect("create");
    let (status, body) = read(res).await;
    assert_eq!(status, 200, "{body}");
    body
}

async fn ndoto_get(gw: &Gateway, id: &Value) -> (u16, Value) {
    read(
        client()
            .get(gw.url(&format!("{NDOTO}/{id}")))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("get"),
    )
    .await
}

#[tokio::test]
async fn seed_examples_and_role_mapping() {
    let gw = crate::gateway();
    let john = ndoto_create(&gw, "John Doe", "john.doe@example.com").await;
    ndoto_create(&gw, "Doe John", "doe.john@example.com").await;

    // The seed's list: users with _id and username (and the fields real clients read).
    let (status, list) = lc(&gw, Method::GET, "/agent", None).await;
    assert_eq!(status, 200, "{list}");
    let seed = fixture("list_response.json");
    assert_eq!(list["success"], seed["success"]);
    let usernames: Vec<&str> = list["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["username"].as_str())
        .collect();
    assert_eq!(
        usernames,
        ["doe.john", "john.doe"],
        "derived from the email, ordered by name"
    );
    assert_eq!(
        (
            list["count"].as_u64(),
            list["offset"].as_u64(),
            list["total"].as_u64()
        ),
        (Some(2), Some(0), Some(2))
    );
    let user = &list["users"][1];
    for key in seed["users"][0].as_object().expect("object").keys() {
        assert!(user.get(key).is_some(), "seed field {key} missing: {user}");
    }
    let id = user["_id"].as_str().expect("_id").to_owned();
    assert_eq!(id.len(), 17);
    assert_eq!(user["name"], "John Doe");
    assert_eq!(
        user["emails"],
        json!([{"address": "john.doe@example.com", "verified": false}])
    );
    assert_eq!(
        (user["status"].as_str(), user["statusLivechat"].as_str()),
        (Some("online"), Some("available"))
    );

    // The seed's register: an existing user; registering again succeeds again.
    for _ in 0..2 {
        let (status, body) = lc(
            &gw,
            Method::POST,
            "/agent",
            Some(fixture("register_request.json")),
        )
        .await;
        assert_eq!(
            (status, &body),
            (
                200,
                &json!({"user": {"_id": id, "username": "john.doe"}, "success": true})
            )
        );
    }
    let (status, got) = lc(&gw, Method::GET, &format!("/agent/{id}"), None).await;
    assert_eq!(status, 200);
    assert_eq!(
        (
            got["user"]["_id"].as_str(),
            got["user"]["username"].as_str(),
            got["success"].as_bool()
        ),
        (Some(id.as_str()), Some("john.doe"), Some(true))
    );

    // Not a manager yet: user null. Register as manager promotes; ndoto sees an administrator.
    assert_eq!(
        lc(&gw, Method::GET, &format!("/manager/{id}"), None).await,
        (200, json!({"user": null, "success": true}))
    );
    let (status, _) = lc(
        &gw,
        Method::POST,
        "/manager",
        Some(json!({"username": "JOHN.DOE"})),
    )
    .await;
    assert_eq!(status, 200, "usernames match case-insensitively");
    assert_eq!(
        lc(&gw, Method::GET, &format!("/manager/{id}"), None)
            .await
            .1["user"]["username"],
        "john.doe"
    );
    assert_eq!(ndoto_get(&gw, &john["id"]).await.1["role"], "administrator");
    let (_, managers) = lc(&gw, Method::GET, "/manager", None).await;
    assert_eq!(managers["total"], 1);

    // Remove manager demotes (twice is fine); remove agent deletes.
    for _ in 0..2 {
        assert_eq!(
            lc(&gw, Method::DELETE, &format!("/manager/{id}"), None).await,
            (200, json!({"success": true}))
        );
    }
    assert_eq!(ndoto_get(&gw, &john["id"]).await.1["role"], "agent");
    assert_eq!(
        lc(&gw, Method::DELETE, &format!("/agent/{id}"), None).await,
        (200, json!({"success": true}))
    );
    assert_eq!(ndoto_get(&gw, &john["id"]).await.0, 404);
    assert_eq!(
        lc(&gw, Method::GET, &format!("/agent/{id}"), None).await,
        (400, json!({"success": false, "error": "User not found"}))
    );
    assert_eq!(
        lc(&gw, Method::DELETE, &format!("/agent/{id}"), None).await,
        (400, json!({"success": false}))
    );
    assert_eq!(
        lc(&gw, Method::DELETE, &format!("/manager/{id}"), None).await,
        (400, json!({"success": false}))
    );
}

#[tokio::test]
async fn every_error_status_and_body() {
    let gw = crate::gateway();
    ndoto_create(&gw, "Known Agent", "known@example.com").await;
    let logged_in = json!({"success": false, "error": "You must be logged in to do this.", "status": "error", "message": "You must be logged in to do this."});
    let c = client();
    for (user, token) in [
        (None, None),
        (Some(LC_USER), None),
        (Some(LC_USER), Some("wrong")),
        (Some("other-user"), Some(LC_TOKEN)),
        (Some(LC_USER), Some("other-token")),
    ] {
        let mut req = c.get(gw.url(&format!("{USERS}/agent")));
        if let Some(u) = user {
            req = req.header("X-User-Id", u);
        }
        if let Some(t) = token {
            req = req.header("X-Auth-Token", t);
        }
        assert_eq!(
            read(req.send().await.expect("get")).await,
            (401, logged_in.clone()),
            "{user:?} {token:?}"
        );
    }
    let res = c
        .get(gw.url(&format!("{USERS}/agent")))
        .header("X-User-Id", "other-user")
        .header("X-Auth-Token", "other-token")
        .send()
        .await
        .expect("get");
    assert_eq!(
        read(res).await.0,
        200,
        "the second credential entry works on its own"
    );

    let invalid_type = json!({"success": false, "error": "Invalid type"});
    assert_eq!(
        lc(&gw, Method::GET, "/admin", None).await,
        (400, invalid_type.clone())
    );
    assert_eq!(
        lc(
            &gw,
            Method::POST,
            "/admin",
            Some(json!({"username": "known"}))
        )
        .await,
        (400, invalid_type.clone())
    );
    assert_eq!(
        lc(&gw, Method::GET, "/admin/abc", None).await,
        (400, invalid_type.clone())
    );
    assert_eq!(
        lc(&gw, Method::DELETE, "/admin/abc", None).await,
        (400, invalid_type)
    );

    for body in [
        json!({}),
        json!({"name": "known"}),
        json!({"username": 5}),
        json!({"username": "known", "role": "x"}),
        json!({"username": ""}),
    ] {
        let (status, err) = lc(&gw, Method::POST, "/agent", Some(body.clone())).await;
        assert_eq!(
            (status, err["errorType"].as_str(), err["success"].as_bool()),
            (400, Some("invalid-params"), Some(false)),
            "{body} → {err}"
        );
    }
    assert_eq!(
        lc(&gw, Method::POST, "/agent", Some(json!({}))).await.1["error"],
        "must have required property 'username' [invalid-params]"
    );
    assert_eq!(
        lc(
            &gw,
            Method::POST,
            "/agent",
            Some(json!({"username": "nobody.here"}))
        )
        .await,
        (
            400,
            json!({"success": false, "error": "[error-invalid-user]", "errorType": "error-invalid-user"})
        )
    );
    let (status, err) = lc(&gw, Method::GET, "/agent?page=2", None).await;
    assert_eq!(
        (status, err["errorType"].as_str()),
        (400, Some("invalid-params")),
        "{err}"
    );
    let (status, err) = lc(&gw, Method::GET, "/agent?count=ten", None).await;
    assert_eq!(
        (status, err["errorType"].as_str()),
        (400, Some("invalid-params")),
        "{err}"
    );
    let (status, err) = lc(&gw, Method::GET, "/agent?sort=%7Bnope", None).await;
    assert_eq!(
        (status, err["errorType"].as_str()),
        (400, Some("error-invalid-sort")),
        "{err}"
    );
    assert_eq!(
        lc(&gw, Method::GET, "/agent/aaaaaaaaaaaaaaaaa", None).await,
        (400, json!({"success": false, "error": "User not found"}))
    );

    let res = c
        .post(gw.url(&format!("{USERS}/agent")))
        .header("X-User-Id", LC_USER)
        .header("X-Auth-Token", LC_TOKEN)
        .body("{\"username\":")
        .send()
        .await
        .expect("post");
    let (status, err) = read(res).await;
    assert_eq!(
        (status, err["success"].as_bool()),
        (400, Some(false)),
        "{err}"
    );
    let (status, err) = lc(
        &gw,
        Method::POST,
        "/agent",
        Some(json!({"username": "x".repeat(5000)})),
    )
    .await;
    assert_eq!(
        (status, err["success"].as_bool()),
        (413, Some(false)),
        "{err}"
    );
    let (status, err) = lc(&gw, Method::GET, "/../visitor", None).await;
    assert_eq!(
        (status, err["success"].as_bool()),
        (404, Some(false)),
        "{err}"
    );
    // A known path with a method it does not have is a 405 (the Allow header is checked in
    // hardening.rs for every face).
    let (status, err) = lc(
        &gw,
        Method::PUT,
        "/agent",
        Some(json!({"username": "known"})),
    )
    .await;
    assert_eq!((status, err["success"].as_bool()), (405, Some(false)));

    // None of that changed anything.
    let (_, list) = lc(&gw, Method::GET, "/agent", None).await;
    assert_eq!(list["total"], 1);
    assert_eq!(list["users"][0]["username"], "known");
}

#[tokio::test]
async fn paging_filters_and_sort() {
    let gw = crate::gateway();
    for i in 0..120 {
        ndoto_create(
            &gw,
            &format!("Agent {i:03}"),
            &format!("agent{i:03}@example.com"),
        )
        .await;
    }
    let (_, first) = lc(&gw, Method::GET, "/agent", None).await;
    assert_eq!(
        (
            first["count"].as_u64(),
            first["offset"].as_u64(),
            first["total"].as_u64()
        ),
        (Some(50), Some(0), Some(120))
    );
    assert_eq!(first["users"][0]["username"], "agent000");
    let (_, last) = lc(&gw, Method::GET, "/agent?offset=100&count=50", None).await;
    assert_eq!(
        (last["count"].as_u64(), last["offset"].as_u64()),
        (Some(20), Some(100))
    );
    assert_eq!(last["users"][0]["username"], "agent100");
    let (_, capped) = lc(&gw, Method::GET, "/agent?count=1000", None).await;
    assert_eq!(capped["count"], 100, "count is capped at 100");
    let (_, past) = lc(&gw, Method::GET, "/agent?offset=500", None).await;
    assert_eq!(
        (past["count"].as_u64(), past["total"].as_u64()),
        (Some(0), Some(120))
    );
    let (_, text) = lc(&gw, Method::GET, "/agent?text=AGENT11", None).await;
    assert_eq!(text["total"], 10, "agent110..agent119: {text}");
    let (_, desc) = lc(
        &gw,
        Method::GET,
        "/agent?sort=%7B%22username%22%3A-1%7D&count=1",
        None,
    )
    .await;
    assert_eq!(desc["users"][0]["username"], "agent119");
    let (_, available) = lc(&gw, Method::GET, "/agent?onlyAvailable=true&count=1", None).await;
    assert_eq!(available["total"], 120);
    let res = client()
        .patch(gw.url(&format!("{NDOTO}/1")))
        .header("api_access_token", TOKEN)
        .json(&json!({"availability": "busy"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status().as_u16(), 200);
    let (_, available) = lc(&gw, Method::GET, "/agent?onlyAvailable=true&count=1", None).await;
    assert_eq!(available["total"], 119);

    // showIdleAgents=false leaves out offline agents only (busy agent 1 stays), as findAgents.
    let res = client()
        .patch(gw.url(&format!("{NDOTO}/2")))
        .header("api_access_token", TOKEN)
        .json(&json!({"availability": "offline"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status().as_u16(), 200);
    let (_, awake) = lc(
        &gw,
        Method::GET,
        "/agent?showIdleAgents=false&count=100",
        None,
    )
    .await;
    assert_eq!(awake["total"], 119, "{awake}");
    assert!(
        awake["users"]
            .as_array()
            .is_some_and(|u| u.iter().all(|u| u["status"] != "offline"))
    );
    let (_, idle) = lc(&gw, Method::GET, "/agent?showIdleAgents=true&count=1", None).await;
    assert_eq!(idle["total"], 120);

    // excludeId leaves out that one agent, and windows count without it.
    let first_id = first["users"][0]["_id"].as_str().expect("_id");
    let (status, rest) = lc(
        &gw,
        Method::GET,
        &format!("/agent?excludeId={first_id}&count=1"),
        None,
    )
    .await;
    assert_eq!((status, &rest["total"]), (200, &json!(119)), "{rest}");
    assert_eq!(rest["users"][0]["username"], "agent001");
    let (_, nothing_left_out) = lc(&gw, Method::GET, "/agent?excludeId=%00&count=1", None).await;
    assert_eq!(nothing_left_out["total"], 120, "{nothing_left_out}");
    let (status, bad) = lc(&gw, Method::GET, "/agent?showIdleAgents=maybe", None).await;
    assert_eq!(
        (status, &bad["errorType"]),
        (400, &json!("invalid-params")),
        "{bad}"
    );
}

#[tokio::test]
async fn create_policy_registers_unknown_usernames() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The policy table belongs right after the livechat route.
    let config = ndoto_config(dir.path()).replace(
        "\n[[routes]]\nname = \"supporthub\"",
        "\n[routes.policy]\nunknown_username = \"create\"\nemail_domain = \"agents.example.com\"\n\n[[routes]]\nname = \"supporthub\"",
    );
    let mut gw = Gateway::start_in(crate::BIN, dir, &config, Vec::new());
    let (status, body) = lc(
        &gw,
        Method::POST,
        "/manager",
        Some(json!({"username": "new.manager"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let id = body["user"]["_id"].as_str().expect("_id").to_owned();
    let listed = read(
        client()
            .get(gw.url(NDOTO))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("list"),
    )
    .await
    .1;
    assert_eq!(listed[0]["email"], "new.manager@agents.example.com");
    assert_eq!(listed[0]["role"], "administrator");
    let (status, err) = lc(
        &gw,
        Method::POST,
        "/agent",
        Some(json!({"username": "not valid!"})),
    )
    .await;
    assert_eq!(
        (status, err["errorType"].as_str()),
        (400, Some("error-invalid-user"))
    );
    // The _id is the store's and survives a restart.
    gw.restart();
    assert_eq!(
        lc(&gw, Method::GET, &format!("/manager/{id}"), None)
            .await
            .1["user"]["username"],
        "new.manager"
    );
}
