//! The supporthub face end to end: seed examples, paging edges, filters, includes, every
//! validation rule, permissions and notifications, cross-face reads and password hashing.

use agentgw_model::AgentId;
use agentgw_store::{Store, verify_password};
use agentgw_tests::{Gateway, SH_TOKEN, TOKEN, client, json as read, repo_root};
use reqwest::Method;
use serde_json::{Value, json};

const AGENTS: &str = "/supporthub/api/agents";
const NDOTO: &str = "/ndoto/api/v1/accounts/1/agents";

fn fixture(name: &str) -> Value {
    let path = repo_root().join("tests/fixtures/supporthub").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

async fn sh(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client()
        .request(method, gw.url(&format!("{AGENTS}{path}")))
        .bearer_auth(SH_TOKEN)
        .header("Accept", "application/json");
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

fn create_body(first: &str, last: &str, email: &str) -> Value {
    json!({"first_name": first, "last_name": last, "email": email, "password": "123123", "password_confirmation": "123123"})
}

async fn create(gw: &Gateway, first: &str, last: &str, email: &str) -> Value {
    let (status, body) = sh(gw, Method::POST, "", Some(create_body(first, last, email))).await;
    assert_eq!(status, 201, "{body}");
    body["data"].clone()
}

/// The stored password hash of agent `id`, read from the gateway's own SQLite file.
async fn password_hash(gw: &Gateway, id: i64) -> String {
    let store = Store::connect(&format!("sqlite://{}/agentgw.db", gw.dir.path().display()))
        .await
        .expect("open store");
    let hash = store
        .tenant("default")
        .password_hash(&AgentId::Int(id))
        .await
        .expect("read")
        .expect("a hash");
    store.close().await;
    hash
}

#[tokio::test]
async fn seed_examples_round_trip() {
    let gw = crate::gateway();
    let (status, created) = sh(&gw, Method::POST, "", Some(fixture("create_request.json"))).await;
    assert_eq!(status, 201, "{created}");
    let seed = fixture("create_response.json");
    let keys = |v: &Value| {
        v.as_object()
            .map(|o| o.keys().cloned().collect::<Vec<_>>())
            .unwrap_or_default()
    };
    for key in keys(&seed["data"]) {
        assert!(
            created["data"].get(&key).is_some(),
            "seed field {key} missing: {created}"
        );
    }
    let agent = &created["data"];
    assert_eq!(
        (
            agent["first_name"].as_str(),
            agent["last_name"].as_str(),
            agent["email"].as_str()
        ),
        (Some("John"), Some("Doe"), Some("john.d@example.com"))
    );
    assert_eq!(
        (
            agent["role"].as_u64(),
            agent["status"].as_u64(),
            agent["last_login_at"].is_null()
        ),
        (Some(2), Some(1), true)
    );
    assert!(
        agent["created_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z') && t.len() == 20),
        "{agent}"
    );
    assert!(
        agent.get("password").is_none() && !created.to_string().contains("123123"),
        "passwords are never returned"
    );
    let id = agent["id"].as_i64().expect("id");

    assert_eq!(
        sh(&gw, Method::GET, &format!("/{id}"), None).await,
        (200, created.clone())
    );
    // The seed's update example is a POST.
    let (status, updated) = sh(
        &gw,
        Method::POST,
        &format!("/{id}"),
        Some(fixture("update_request.json")),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            updated["data"]["first_name"].as_str(),
            updated["data"]["last_name"].as_str()
        ),
        (Some("John"), Some("Wick"))
    );
    let (status, updated) = sh(
        &gw,
        Method::PATCH,
        &format!("/{id}"),
        Some(json!({"first_name": "Jonathan", "timezone": "America/Los_Angeles"})),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    assert_eq!(
        (
            updated["data"]["first_name"].as_str(),
            updated["data"]["last_name"].as_str()
        ),
        (Some("Jonathan"), Some("Wick"))
    );
    assert_eq!(updated["data"]["timezone"], "America/Los_Angeles");
    let (status, _) = sh(
        &gw,
        Method::PUT,
        &format!("/{id}"),
        Some(json!({"email": "jw@example.com"})),
    )
    .await;
    assert_eq!(status, 200);

    assert_eq!(
        sh(&gw, Method::DELETE, &format!("/{id}"), None).await,
        (200, fixture("delete_response.json"))
    );
    let not_found =
        json!({"message": format!("No query results for model [App\\Models\\Agent] {id}")});
    assert_eq!(
        sh(&gw, Method::GET, &format!("/{id}"), None).await,
        (404, not_found.clone())
    );
    assert_eq!(
        sh(&gw, Method::DELETE, &format!("/{id}"), None).await,
        (404, not_found)
    );
}

#[tokio::test]
async fn paging_edges() {
    let gw = crate::gateway();
    let (status, empty) = sh(&gw, Method::GET, "", None).await;
    assert_eq!(status, 200);
    let path = gw.url(AGENTS);
    assert_eq!(empty["data"], json!([]));
    assert_eq!(
        empty["links"],
        json!({"first": format!("{path}?page=1"), "last": format!("{path}?page=1"), "prev": null, "next": null})
    );
    assert_eq!(
        empty["meta"],
        json!({"current_page": 1, "from": null, "last_page": 1, "links": [
            {"url": null, "label": "&laquo; Previous", "active": false},
            {"url": format!("{path}?page=1"), "label": "1", "active": true},
            {"url": null, "label": "Next &raquo;", "active": false}
        ], "path": path, "per_page": 15, "to": null, "total": 0})
    );

    for i in 0..35 {
        create(
            &gw,
            &format!("First{i:02}"),
            "Last",
            &format!("a{i:02}@example.com"),
        )
        .await;
    }
    let (_, first) = sh(&gw, Method::GET, "", None).await;
    assert_eq!(
        (
            first["meta"]["total"].as_u64(),
            first["meta"]["last_page"].as_u64(),
            first["data"].as_array().map(Vec::len)
        ),
        (Some(35), Some(3), Some(15))
    );
    assert_eq!(first["data"][0]["first_name"], "First00", "oldest first");
    assert_eq!(first["links"]["next"], format!("{path}?page=2"));

    let (_, last) = sh(&gw, Method::GET, "?page=3&filter[last_name]=last", None).await;
    assert_eq!(
        last["data"].as_array().map(Vec::len),
        Some(5),
        "last partial page"
    );
    assert_eq!(
        (last["meta"]["from"].as_u64(), last["meta"]["to"].as_u64()),
        (Some(31), Some(35))
    );
    assert_eq!(last["links"]["next"], Value::Null);
    assert_eq!(
        last["links"]["prev"],
        format!("{path}?page=2&filter%5Blast_name%5D=last"),
        "links keep the query string"
    );
    assert_eq!(
        last["links"]["first"],
        format!("{path}?page=1&filter%5Blast_name%5D=last")
    );

    let (_, past) = sh(&gw, Method::GET, "?page=9", None).await;
    assert_eq!(
        (
            past["data"].as_array().map(Vec::len),
            past["meta"]["from"].clone(),
            past["meta"]["current_page"].as_u64()
        ),
        (Some(0), Value::Null, Some(9))
    );
    assert_eq!(past["links"]["prev"], format!("{path}?page=8"));

    let (_, big) = sh(&gw, Method::GET, "?per_page=500", None).await;
    assert_eq!(
        (
            big["meta"]["per_page"].as_u64(),
            big["data"].as_array().map(Vec::len)
        ),
        (Some(100), Some(35)),
        "per_page is capped at 100"
    );
    let (_, small) = sh(&gw, Method::GET, "?per_page=10&page=2", None).await;
    assert_eq!(
        (
            small["meta"]["from"].as_u64(),
            small["meta"]["to"].as_u64(),
            small["meta"]["last_page"].as_u64()
        ),
        (Some(11), Some(20), Some(4))
    );
    let (_, junk) = sh(&gw, Method::GET, "?per_page=abc&page=-2", None).await;
    assert_eq!(
        (
            junk["meta"]["per_page"].as_u64(),
            junk["meta"]["current_page"].as_u64()
        ),
        (Some(15), Some(1))
    );
}

#[tokio::test]
async fn filters_and_includes() {
    let gw = crate::gateway();
    create(&gw, "Alice", "Young", "alice@corp.io").await;
    create(&gw, "Bob", "Young", "bob@home.io").await;
    create(&gw, "Carol", "Zed", "carol@corp.io").await;
    // An agent invited through ndoto is unconfirmed: supporthub status 2.
    let res = client()
        .post(gw.url(NDOTO))
        .header("api_access_token", TOKEN)
        .json(&json!({"name": "Dan", "email": "dan@corp.io", "role": "administrator"}))
        .send()
        .await
        .expect("ndoto");
    assert_eq!(res.status().as_u16(), 200);

    let names = |v: &Value| {
        v["data"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x["first_name"].as_str().map(String::from))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
    };
    for (query, expected) in [
        ("filter[first_name]=ALI", vec!["Alice"]),
        ("filter[last_name]=young", vec!["Alice", "Bob"]),
        ("filter[email]=@CORP", vec!["Alice", "Carol", "Dan"]),
        ("filter[status]=1", vec!["Alice", "Bob", "Carol"]),
        ("filter[status]=2", vec!["Dan"]),
        ("filter[status]=3", vec![]),
        ("filter[status]=7", vec![]),
        ("filter[email]=corp&filter[last_name]=zed", vec!["Carol"]),
    ] {
        let (status, body) = sh(&gw, Method::GET, &format!("?{query}"), None).await;
        assert_eq!(status, 200, "{query}: {body}");
        assert_eq!(names(&body), expected, "{query}");
        assert_eq!(
            body["meta"]["total"].as_u64(),
            Some(expected.len() as u64),
            "{query}"
        );
    }
    let dan = sh(&gw, Method::GET, "?filter[first_name]=dan", None)
        .await
        .1;
    assert_eq!(
        (
            dan["data"][0]["role"].as_u64(),
            dan["data"][0]["last_name"].as_str()
        ),
        (Some(1), Some("")),
        "one-word ndoto name: empty last name"
    );

    let (_, with) = sh(&gw, Method::GET, "?include=notes-count,assigned-categories-count,unresolved-tickets-count,resolved-tickets-count", None).await;
    for key in [
        "notes_count",
        "assigned_categories_count",
        "unresolved_tickets_count",
        "resolved_tickets_count",
    ] {
        assert_eq!(with["data"][0][key], 0, "{key}");
    }
    let (_, without) = sh(&gw, Method::GET, "?include=notes-count", None).await;
    assert!(without["data"][0].get("resolved_tickets_count").is_none());
    let id = with["data"][0]["id"].as_i64().expect("id");
    assert_eq!(
        sh(
            &gw,
            Method::GET,
            &format!("/{id}?include=resolved-tickets-count"),
            None
        )
        .await
        .1["data"]["resolved_tickets_count"],
        0
    );

    assert_eq!(
        sh(&gw, Method::GET, "?filter[role]=1", None).await,
        (
            400,
            json!({"message": "Requested filter(s) `role` are not allowed. Allowed filter(s) are `first_name, last_name, email, status`."})
        )
    );
    assert_eq!(
        sh(&gw, Method::GET, "?include=tickets", None).await,
        (
            400,
            json!({"message": "Requested include(s) `tickets` are not allowed. Allowed include(s) are `notes-count, assigned-categories-count, unresolved-tickets-count, resolved-tickets-count`."})
        )
    );
}

#[tokio::test]
async fn every_validation_rule() {
    let gw = crate::gateway();
    let keep = create(&gw, "Keep", "Me", "keep@example.com").await;
    let id = keep["id"].as_i64().expect("id");
    let long = "x".repeat(251);
    let cases = [
        (
            json!({}),
            vec!["first_name", "last_name", "email", "password"],
        ),
        (
            json!({"first_name": long, "last_name": "L", "email": "n@example.com", "password": "123123", "password_confirmation": "123123"}),
            vec!["first_name"],
        ),
        (
            json!({"first_name": "F", "last_name": long, "email": "n@example.com", "password": "123123", "password_confirmation": "123123"}),
            vec!["last_name"],
        ),
        (
            json!({"first_name": "F", "last_name": "L", "email": "not-an-email", "password": "123123", "password_confirmation": "123123"}),
            vec!["email"],
        ),
        (
            json!({"first_name": "F", "last_name": "L", "email": "KEEP@example.com", "password": "123123", "password_confirmation": "123123"}),
            vec!["email"],
        ),
        (
            json!({"first_name": "F", "last_name": "L", "email": "n@example.com", "password": "12345", "password_confirmation": "12345"}),
            vec!["password"],
        ),
        (
            json!({"first_name": "F", "last_name": "L", "email": "n@example.com", "password": "123123", "password_confirmation": "321321"}),
            vec!["password"],
        ),
        (
            json!({"first_name": 5, "last_name": ["L"], "email": "n@example.com", "password": "123123"}),
            vec!["first_name", "last_name", "password"],
        ),
    ];
    for (body, fields) in cases {
        let (status, err) = sh(&gw, Method::POST, "", Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {err}");
        let got: Vec<&str> = err["errors"]
            .as_object()
            .map(|o| o.keys().map(String::as_str).collect())
            .unwrap_or_default();
        let mut want = fields.clone();
        want.sort_unstable();
        assert_eq!(got, want, "{body} → {err}");
        assert!(
            err["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("The ")),
            "{err}"
        );
    }
    let (_, err) = sh(&gw, Method::POST, "", Some(json!({}))).await;
    assert_eq!(
        err["message"],
        "The first name field is required. (and 3 more errors)"
    );
    assert_eq!(
        err["errors"]["email"],
        json!(["The email field is required."])
    );
    let (_, dup) = sh(
        &gw,
        Method::POST,
        "",
        Some(create_body("F", "L", "Keep@Example.com")),
    )
    .await;
    assert_eq!(
        dup["errors"]["email"],
        json!(["The email has already been taken."])
    );

    let updates = [
        (json!({"new_password": "abcdef"}), "new_password"),
        (
            json!({"new_password": "abc", "new_password_confirmation": "abc"}),
            "new_password",
        ),
        (json!({"timezone": "Pacific Standard Time"}), "timezone"),
        (json!({"first_name": null}), "first_name"),
        (json!({"email": "bad"}), "email"),
    ];
    for (body, field) in updates {
        let (status, err) = sh(&gw, Method::PATCH, &format!("/{id}"), Some(body.clone())).await;
        assert_eq!(status, 422, "{body} → {err}");
        assert!(err["errors"].get(field).is_some(), "{body} → {err}");
    }
    create(&gw, "Other", "One", "other@example.com").await;
    let (status, err) = sh(
        &gw,
        Method::PATCH,
        &format!("/{id}"),
        Some(json!({"email": "OTHER@example.com"})),
    )
    .await;
    assert_eq!(
        (status, err["errors"]["email"].clone()),
        (422, json!(["The email has already been taken."]))
    );
    let (status, _) = sh(
        &gw,
        Method::PATCH,
        "/999999",
        Some(json!({"first_name": null})),
    )
    .await;
    assert_eq!(
        status, 404,
        "the model is bound before the body is validated"
    );

    let res = client()
        .post(gw.url(AGENTS))
        .bearer_auth(SH_TOKEN)
        .body("{\"first_name\":")
        .send()
        .await
        .expect("post");
    assert_eq!(read(res).await.0, 400);
    let (status, err) = sh(
        &gw,
        Method::POST,
        "",
        Some(create_body(&"x".repeat(5000), "L", "big@example.com")),
    )
    .await;
    assert_eq!((status, err["message"].as_str().is_some()), (413, true));

    // Nothing above changed the agent.
    assert_eq!(
        sh(&gw, Method::GET, &format!("/{id}"), None).await.1["data"],
        keep
    );
}

#[tokio::test]
async fn auth_and_unknown_routes() {
    let gw = crate::gateway();
    let unauthenticated = (401, json!({"message": "Unauthenticated."}));
    let c = client();
    assert_eq!(
        read(c.get(gw.url(AGENTS)).send().await.expect("get")).await,
        unauthenticated
    );
    assert_eq!(
        read(
            c.get(gw.url(AGENTS))
                .bearer_auth("wrong")
                .send()
                .await
                .expect("get")
        )
        .await,
        unauthenticated
    );
    assert_eq!(
        read(
            c.get(gw.url(AGENTS))
                .header("Authorization", format!("Basic {SH_TOKEN}"))
                .send()
                .await
                .expect("get")
        )
        .await,
        unauthenticated
    );
    assert_eq!(
        read(
            c.post(gw.url(AGENTS))
                .json(&create_body("A", "B", "c@d.io"))
                .send()
                .await
                .expect("post")
        )
        .await,
        unauthenticated
    );
    assert_eq!(
        sh(&gw, Method::GET, "/abc", None).await,
        (
            404,
            json!({"message": "No query results for model [App\\Models\\Agent] abc"})
        )
    );
    assert_eq!(
        sh(&gw, Method::GET, "/1/secrets", None).await,
        (
            404,
            json!({"message": "The route supporthub/api/agents/1/secrets could not be found."})
        )
    );
    assert_eq!(sh(&gw, Method::GET, "s", None).await.0, 404);
    assert_eq!(
        sh(&gw, Method::GET, "", None).await.1["meta"]["total"],
        0,
        "nothing was created"
    );
}

#[tokio::test]
async fn permissions_and_notifications_round_trip() {
    let gw = crate::gateway();
    let id = create(&gw, "Flag", "Bearer", "flags@example.com").await["id"]
        .as_i64()
        .expect("id");
    let (status, perms) = sh(&gw, Method::GET, &format!("/{id}/permissions"), None).await;
    assert_eq!(
        (status, perms.clone()),
        (
            200,
            json!({"data": {"manage_articles": false, "manage_customers": false, "view_all_tickets": true}})
        ),
        "documented defaults"
    );
    let (status, notes) = sh(&gw, Method::GET, &format!("/{id}/notifications"), None).await;
    assert_eq!(
        (status, notes),
        (
            200,
            json!({"data": {"new_ticket": true, "new_comment": true, "ticket_reassigned": true}})
        )
    );

    let (status, merged) = sh(
        &gw,
        Method::PATCH,
        &format!("/{id}/permissions"),
        Some(json!({"manage_articles": true})),
    )
    .await;
    assert_eq!(
        (status, merged),
        (200, fixture("permissions_response.json")),
        "PATCH merges into the defaults"
    );
    let (_, merged) = sh(
        &gw,
        Method::PATCH,
        &format!("/{id}/notifications"),
        Some(fixture("notifications_update_request.json")),
    )
    .await;
    let (_, merged) = (
        merged.clone(),
        sh(
            &gw,
            Method::PATCH,
            &format!("/{id}/notifications"),
            Some(json!({"ticket_reassigned": true})),
        )
        .await
        .1,
    );
    assert_eq!(
        merged,
        json!({"data": {"new_ticket": false, "new_comment": true, "ticket_reassigned": true}})
    );
    assert_eq!(
        sh(&gw, Method::GET, &format!("/{id}/notifications"), None)
            .await
            .1,
        merged,
        "persisted"
    );
    assert_eq!(
        sh(
            &gw,
            Method::PATCH,
            &format!("/{id}/permissions"),
            Some(fixture("permissions_update_request.json"))
        )
        .await
        .1,
        fixture("permissions_response.json")
    );

    let (status, err) = sh(
        &gw,
        Method::PATCH,
        &format!("/{id}/permissions"),
        Some(json!({"drop_tables": true})),
    )
    .await;
    assert_eq!(
        (status, err["errors"]["drop_tables"].clone()),
        (422, json!(["The drop tables field is prohibited."]))
    );
    let (status, err) = sh(
        &gw,
        Method::PATCH,
        &format!("/{id}/notifications"),
        Some(json!({"new_ticket": "yes"})),
    )
    .await;
    assert_eq!(
        (status, err["errors"]["new_ticket"].clone()),
        (422, json!(["The new ticket field must be true or false."]))
    );
    assert_eq!(
        sh(&gw, Method::GET, &format!("/{id}/permissions"), None)
            .await
            .1,
        fixture("permissions_response.json"),
        "errors changed nothing"
    );
    assert_eq!(
        sh(&gw, Method::GET, "/999999/permissions", None).await.0,
        404
    );
    assert_eq!(
        sh(
            &gw,
            Method::PATCH,
            "/999999/notifications",
            Some(json!({"new_ticket": true}))
        )
        .await
        .0,
        404
    );
}

#[tokio::test]
async fn cross_face_names_and_hashed_passwords() {
    let gw = crate::gateway();
    let agent = create(&gw, "Ada", "Lovelace", "ada@example.com").await;
    let id = agent["id"].as_i64().expect("id");
    let (_, nd) = read(
        client()
            .get(gw.url(&format!("{NDOTO}/{id}")))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(
        (nd["name"].as_str(), nd["email"].as_str()),
        (Some("Ada Lovelace"), Some("ada@example.com"))
    );
    // ndoto renames; supporthub sees first and last.
    let res = client()
        .patch(gw.url(&format!("{NDOTO}/{id}")))
        .header("api_access_token", TOKEN)
        .json(&json!({"name": "Augusta Ada King"}))
        .send()
        .await
        .expect("patch");
    assert_eq!(res.status().as_u16(), 200);
    let data = sh(&gw, Method::GET, &format!("/{id}"), None).await.1["data"].clone();
    assert_eq!(
        (data["first_name"].as_str(), data["last_name"].as_str()),
        (Some("Augusta"), Some("Ada King"))
    );

    let hash = password_hash(&gw, id).await;
    assert!(
        hash.starts_with("$argon2id$") && verify_password(&hash, "123123"),
        "{hash}"
    );
    let (status, _) = sh(
        &gw,
        Method::PATCH,
        &format!("/{id}"),
        Some(json!({"new_password": "s3cret!!", "new_password_confirmation": "s3cret!!"})),
    )
    .await;
    assert_eq!(status, 200);
    let hash = password_hash(&gw, id).await;
    assert!(verify_password(&hash, "s3cret!!") && !verify_password(&hash, "123123"));
    let logs = gw.settled_logs().await;
    assert!(
        !logs.contains("s3cret!!") && !logs.contains(SH_TOKEN),
        "passwords and tokens never reach the log"
    );
}
