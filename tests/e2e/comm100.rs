//! The comm100 face end to end: every route, required fields, colon-verb routing, time zones
//! both ways, base64 bios, locking, departments, extensions and cross-face reads.

use agentgw_model::AgentId;
use agentgw_store::{Store, verify_password};
use agentgw_tests::{
    C1_TOKEN, Gateway, LD_KEY, LD_SECRET, SH_TOKEN, TOKEN, client, json as read, repo_root,
};
use reqwest::Method;
use serde_json::{Value, json};

const AGENTS: &str = "/comm100/v4/global/agents";

fn fixture(name: &str) -> Value {
    let path = repo_root().join("tests/fixtures/comm100").join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("fixture JSON")
}

async fn c1(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client()
        .request(method, gw.url(&format!("{AGENTS}{path}")))
        .bearer_auth(C1_TOKEN);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

async fn other(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client().request(method, gw.url(path));
    req = match path.split('/').nth(1) {
        Some("ndoto") => req.header("api_access_token", TOKEN),
        Some("supporthub") => req.bearer_auth(SH_TOKEN),
        Some("libredesk") => req.header("Authorization", format!("token {LD_KEY}:{LD_SECRET}")),
        _ => req,
    };
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

fn minimal(email: &str) -> Value {
    json!({"email": email, "password": "abc1234.", "displayName": "Min Imal", "firstName": "Min", "lastName": "Imal",
           "timeZone": "Pacific Standard Time", "datetimeFormat": "YYYY-MM-DD HH:mm:ss"})
}

fn not_found() -> (u16, Value) {
    (
        404,
        json!({"code": 404000, "message": "The resource was not found."}),
    )
}

#[tokio::test]
async fn every_route_with_the_seed_examples() {
    let gw = crate::gateway();
    let (status, created) = c1(&gw, Method::POST, "", Some(fixture("create_request.json"))).await;
    assert_eq!(status, 201, "{created}");
    let seed = fixture("create_response.json");
    for key in seed.as_object().expect("object").keys() {
        assert!(created.get(key).is_some(), "seed field {key} missing");
    }
    for key in [
        "email",
        "displayName",
        "firstName",
        "lastName",
        "isAdmin",
        "isActive",
        "phone",
        "title",
        "bio",
        "timeZone",
        "datetimeFormat",
        "systemAvatarId",
        "ifCustomizeAvatar",
        "customizeAvatar",
    ] {
        assert_eq!(created[key], seed[key], "{key}");
    }
    assert!(created.get("password").is_none());
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 36);
    assert_eq!(id, id.to_lowercase());

    assert_eq!(
        c1(&gw, Method::GET, &format!("/{id}"), None).await,
        (200, created.clone())
    );
    assert_eq!(
        c1(&gw, Method::GET, &format!("/{}", id.to_uppercase()), None)
            .await
            .0,
        200,
        "GUIDs match in any case"
    );
    let (status, list) = c1(&gw, Method::GET, "", None).await;
    assert_eq!(
        (status, list.clone()),
        (200, json!([created.clone()])),
        "a bare array"
    );
    // The docs spell the path both ways.
    let res = client()
        .get(gw.url(&format!("/comm100/v4/Global/agents/{id}")))
        .bearer_auth(C1_TOKEN)
        .send()
        .await
        .expect("Global");
    assert_eq!(read(res).await.0, 200);

    let (status, updated) = c1(
        &gw,
        Method::PUT,
        &format!("/{id}"),
        Some(fixture("update_request.json")),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let seed_put = fixture("update_response.json");
    for key in [
        "email",
        "displayName",
        "firstName",
        "lastName",
        "isAdmin",
        "isActive",
        "phone",
        "title",
        "bio",
        "timeZone",
        "datetimeFormat",
        "systemAvatarId",
    ] {
        assert_eq!(updated[key], seed_put[key], "{key}");
    }
    let res = client()
        .delete(gw.url(&format!("{AGENTS}/{id}")))
        .bearer_auth(C1_TOKEN)
        .send()
        .await
        .expect("delete");
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(res.text().await.expect("body"), "");
    assert_eq!(
        c1(&gw, Method::GET, &format!("/{id}"), None).await,
        not_found()
    );
    assert_eq!(
        c1(&gw, Method::DELETE, &format!("/{id}"), None).await,
        not_found()
    );
    assert_eq!(c1(&gw, Method::GET, "/not-a-guid", None).await, not_found());
}

#[tokio::test]
async fn required_fields_auth_and_bad_values() {
    let gw = crate::gateway();
    for field in [
        "email",
        "password",
        "displayName",
        "firstName",
        "lastName",
        "timeZone",
        "datetimeFormat",
    ] {
        let mut body = minimal("req@example.com");
        body.as_object_mut().map(|o| o.remove(field));
        assert_eq!(
            c1(&gw, Method::POST, "", Some(body)).await,
            (
                400,
                json!({"code": 400000, "message": format!("The field '{field}' is required.")})
            ),
            "{field}"
        );
    }
    let (_, agent) = c1(&gw, Method::POST, "", Some(minimal("keep@example.com"))).await;
    let id = agent["id"].as_str().expect("id").to_owned();
    for field in [
        "email",
        "displayName",
        "firstName",
        "lastName",
        "timeZone",
        "datetimeFormat",
    ] {
        let mut body = minimal("keep@example.com");
        body.as_object_mut().map(|o| o.remove(field));
        let (status, err) = c1(&gw, Method::PUT, &format!("/{id}"), Some(body)).await;
        assert_eq!(
            (status, err["message"].as_str()),
            (
                400,
                Some(format!("The field '{field}' is required.").as_str())
            ),
            "PUT {field}"
        );
    }
    let bad = [
        ("timeZone", json!("Mars Standard Time")),
        ("timeZone", json!("America/Los_Angeles")),
        ("datetimeFormat", json!("YYYY.MM.DD")),
        ("bio", json!("data:text/plain;base64,%%%")),
        ("email", json!("nope")),
        ("isAdmin", json!("yes")),
        (
            "departmentIds",
            json!(["6f1c1f3e-0000-4000-8000-000000000000"]),
        ),
    ];
    for (field, value) in bad {
        let mut body = minimal("bad@example.com");
        body[field] = value.clone();
        let (status, err) = c1(&gw, Method::POST, "", Some(body)).await;
        assert_eq!(
            (status, err["code"].as_u64()),
            (400, Some(400000)),
            "{field}={value}: {err}"
        );
    }
    assert_eq!(
        c1(&gw, Method::POST, "", Some(minimal("KEEP@example.com")))
            .await
            .1["code"],
        409000
    );

    let unauthorized = json!({"code": 401000, "message": "Unauthorized: a valid bearer access token is required."});
    assert_eq!(
        read(client().get(gw.url(AGENTS)).send().await.expect("get")).await,
        (401, unauthorized.clone())
    );
    assert_eq!(
        read(
            client()
                .get(gw.url(AGENTS))
                .bearer_auth("nope")
                .send()
                .await
                .expect("get")
        )
        .await,
        (401, unauthorized.clone())
    );
    assert_eq!(
        read(
            client()
                .post(gw.url(&format!("{AGENTS}/{id}:unlock")))
                .send()
                .await
                .expect("post")
        )
        .await,
        (401, unauthorized)
    );
    assert_eq!(
        c1(&gw, Method::GET, "", None)
            .await
            .1
            .as_array()
            .map(Vec::len),
        Some(1),
        "nothing else was created"
    );
    assert_eq!(
        c1(&gw, Method::GET, &format!("/{id}"), None).await.1,
        agent,
        "nothing changed"
    );
}

#[tokio::test]
async fn colon_verbs_route_to_their_handlers_only() {
    let gw = crate::gateway();
    let mut body = minimal("locked@example.com");
    body["isLocked"] = json!(true);
    body["lockedTime"] = json!("2024-05-01T10:00:00Z");
    let (_, agent) = c1(&gw, Method::POST, "", Some(body)).await;
    let id = agent["id"].as_str().expect("id").to_owned();
    assert_eq!(
        (agent["isLocked"].clone(), agent["lockedTime"].clone()),
        (json!(true), json!("2024-05-01T10:00:00Z"))
    );

    // A verb never reaches GET/PUT/DELETE by id: a verb path has POST only (405), and an
    // unknown verb is no path at all (404).
    let not_allowed = (
        405,
        json!({"code": 405000, "message": "The request method is not supported for this resource."}),
    );
    assert_eq!(
        c1(&gw, Method::GET, &format!("/{id}:unlock"), None).await,
        not_allowed
    );
    assert_eq!(
        c1(&gw, Method::DELETE, &format!("/{id}:unlock"), None).await,
        not_allowed
    );
    assert_eq!(
        c1(
            &gw,
            Method::PUT,
            &format!("/{id}:unlock"),
            Some(minimal("locked@example.com"))
        )
        .await,
        not_allowed
    );
    assert_eq!(
        c1(&gw, Method::POST, &format!("/{id}:fly"), None).await,
        not_found()
    );
    assert_eq!(
        c1(&gw, Method::POST, &format!("/{id}"), None).await,
        not_allowed
    );
    assert_eq!(
        c1(
            &gw,
            Method::POST,
            "/6f1c1f3e-0000-4000-8000-000000000000:unlock",
            None
        )
        .await,
        not_found()
    );
    assert_eq!(
        c1(
            &gw,
            Method::POST,
            "/6f1c1f3e-0000-4000-8000-000000000000:changePassword",
            Some(json!({"password": "x1234567"}))
        )
        .await,
        not_found()
    );
    assert!(
        c1(&gw, Method::GET, &format!("/{id}"), None).await.1["isLocked"] == json!(true),
        "still locked: nothing ran"
    );

    let res = client()
        .post(gw.url(&format!("{AGENTS}/{id}:unlock")))
        .bearer_auth(C1_TOKEN)
        .header("Content-Type", "application/json")
        .send()
        .await
        .expect("unlock");
    assert_eq!(
        (res.status().as_u16(), res.text().await.expect("body")),
        (200, String::new())
    );
    let after = c1(&gw, Method::GET, &format!("/{id}"), None).await.1;
    assert_eq!(
        (after["isLocked"].clone(), after["lockedTime"].clone()),
        (json!(false), json!("1900-01-01T00:00:00Z"))
    );

    let store_hash = |gw: &Gateway| {
        let url = format!("sqlite://{}/agentgw.db", gw.dir.path().display());
        let guid: uuid::Uuid = id.parse().expect("guid");
        async move {
            let store = Store::connect(&url).await.expect("store");
            let hash = store
                .tenant("default")
                .password_hash(&AgentId::Guid(guid))
                .await
                .expect("read")
                .expect("hash");
            store.close().await;
            hash
        }
    };
    assert!(verify_password(&store_hash(&gw).await, "abc1234."));
    assert_eq!(
        c1(
            &gw,
            Method::POST,
            &format!("/{id}:changePassword"),
            Some(json!({}))
        )
        .await
        .0,
        400
    );
    let res = client()
        .post(gw.url(&format!("{AGENTS}/{id}:changePassword")))
        .bearer_auth(C1_TOKEN)
        .json(&json!({"password": "Aa5857dksc"}))
        .send()
        .await
        .expect("change");
    assert_eq!(
        (res.status().as_u16(), res.text().await.expect("body")),
        (200, String::new())
    );
    let hash = store_hash(&gw).await;
    assert!(verify_password(&hash, "Aa5857dksc") && !verify_password(&hash, "abc1234."));

    // The password supporthub's new_password replaces is the same one.
    let int_id = other(
        &gw,
        Method::GET,
        "/supporthub/api/agents?filter[email]=locked",
        None,
    )
    .await
    .1["data"][0]["id"]
        .as_i64()
        .expect("int id");
    let (status, _) = other(&gw, Method::PATCH, &format!("/supporthub/api/agents/{int_id}"), Some(json!({"new_password": "via-supporthub", "new_password_confirmation": "via-supporthub"}))).await;
    assert_eq!(status, 200);
    assert!(verify_password(&store_hash(&gw).await, "via-supporthub"));
    let logs = gw.settled_logs().await;
    assert!(!logs.contains("Aa5857dksc") && !logs.contains("via-supporthub"));
}

#[tokio::test]
async fn time_zones_bios_and_cross_face_reads() {
    let gw = crate::gateway();
    let mut body = minimal("andy@example.com");
    body["isAdmin"] = json!(true);
    body["isActive"] = json!(false);
    body["bio"] = json!("data:text/plain;base64,SGVsbG8sIEkgYW0gQW5keQ==");
    let (_, agent) = c1(&gw, Method::POST, "", Some(body)).await;
    assert_eq!(
        agent["bio"], "Hello, I am Andy",
        "base64 bios are stored decoded"
    );
    let guid = agent["id"].as_str().expect("id").to_owned();

    let sh = other(
        &gw,
        Method::GET,
        "/supporthub/api/agents?filter[email]=andy",
        None,
    )
    .await
    .1["data"][0]
        .clone();
    assert_eq!(
        (
            sh["first_name"].as_str(),
            sh["last_name"].as_str(),
            sh["role"].as_u64()
        ),
        (Some("Min"), Some("Imal"), Some(1))
    );
    assert_eq!(
        sh["timezone"], "America/Los_Angeles",
        "Pacific Standard Time is America/Los_Angeles"
    );
    let id = sh["id"].as_i64().expect("id");
    let nd = other(
        &gw,
        Method::GET,
        &format!("/ndoto/api/v1/accounts/1/agents/{id}"),
        None,
    )
    .await
    .1;
    assert_eq!(
        (
            nd["name"].as_str(),
            nd["email"].as_str(),
            nd["role"].as_str()
        ),
        (
            Some("Min Imal"),
            Some("andy@example.com"),
            Some("administrator")
        )
    );
    let ld = other(
        &gw,
        Method::GET,
        &format!("/libredesk/api/v1/agents/{id}"),
        None,
    )
    .await
    .1;
    assert_eq!(
        (ld["data"]["enabled"].clone(), ld["data"]["roles"].clone()),
        (json!(false), json!(["Admin"])),
        "isActive false is libredesk's enabled false"
    );

    let (status, _) = other(
        &gw,
        Method::PATCH,
        &format!("/supporthub/api/agents/{id}"),
        Some(json!({"timezone": "Pacific/Honolulu"})),
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(
        c1(&gw, Method::GET, &format!("/{guid}"), None).await.1["timeZone"],
        "Hawaiian Standard Time",
        "Pacific/Honolulu is Hawaiian Standard Time"
    );
}

#[tokio::test]
async fn extensions_and_departments_survive_updates() {
    let gw = crate::gateway();
    // A department exists once libredesk names a team.
    let (status, ld) = other(&gw, Method::POST, "/libredesk/api/v1/agents", Some(json!({"first_name": "Team", "email": "team@example.com", "roles": ["Agent"], "teams": ["Sales"]}))).await;
    assert_eq!(status, 200, "{ld}");
    let ld_agent = c1(&gw, Method::GET, "?keywords=team@example", None).await.1[0].clone();
    let sales = ld_agent["departmentIds"][0]
        .as_str()
        .expect("a department GUID")
        .to_owned();

    let mut body = fixture("get_response.json");
    for k in ["id", "createdTime", "lastLoginTime", "avatar"] {
        body.as_object_mut().map(|o| o.remove(k));
    }
    body["password"] = json!("abc1234.");
    body["departmentIds"] = json!([sales]);
    let (status, created) = c1(&gw, Method::POST, "", Some(body)).await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let seed = fixture("get_response.json");
    for key in [
        "shiftIds",
        "chatbotSmartTriggerActionIds",
        "triggerIds",
        "segmentIds",
        "skillIds",
        "permissionIds",
        "roleIds",
        "superAgentId",
        "systemAvatarId",
        "language",
        "timeZone",
    ] {
        assert_eq!(created[key], seed[key], "{key} kept as given");
    }
    assert_eq!(created["departmentIds"], json!([sales]));

    // A comm100 client's PUT: GET, change the title, send the whole object back.
    let mut put = created.clone();
    put["title"] = json!("Lead");
    let (status, updated) = c1(&gw, Method::PUT, &format!("/{id}"), Some(put)).await;
    assert_eq!(status, 200, "{updated}");
    let mut expected = created.clone();
    expected["title"] = json!("Lead");
    assert_eq!(updated, expected, "everything else unchanged");

    // An update through another face leaves comm100's fields alone.
    let int_id = other(
        &gw,
        Method::GET,
        "/supporthub/api/agents?filter[email]=1@2.ouath",
        None,
    )
    .await
    .1["data"][0]["id"]
        .as_i64()
        .expect("id");
    let (status, _) = other(
        &gw,
        Method::PATCH,
        &format!("/ndoto/api/v1/accounts/1/agents/{int_id}"),
        Some(json!({"name": "Renamed Agent"})),
    )
    .await;
    assert_eq!(status, 200);
    let after = c1(&gw, Method::GET, &format!("/{id}"), None).await.1;
    assert_eq!(
        (after["firstName"].as_str(), after["displayName"].as_str()),
        (Some("Renamed"), Some("Renamed Agent"))
    );
    for key in [
        "shiftIds",
        "skillIds",
        "segmentIds",
        "triggerIds",
        "chatbotSmartTriggerActionIds",
        "superAgentId",
        "departmentIds",
        "title",
    ] {
        assert_eq!(after[key], expected[key], "{key}");
    }
    let teams = other(
        &gw,
        Method::GET,
        &format!("/libredesk/api/v1/agents/{int_id}"),
        None,
    )
    .await
    .1["data"]["teams"]
        .clone();
    assert_eq!(
        teams[0]["name"], "Sales",
        "the department is libredesk's team"
    );

    // Filters and includes.
    let in_sales = c1(
        &gw,
        Method::GET,
        &format!("?departmentId={sales}&include=department"),
        None,
    )
    .await
    .1;
    assert_eq!(in_sales.as_array().map(Vec::len), Some(2));
    assert_eq!(
        in_sales[0]["departments"],
        json!([{"id": sales, "name": "Sales"}])
    );
    let by_role = c1(
        &gw,
        Method::GET,
        "?roleId=E0BF1302-D145-EB11-8100-00155D081D0B",
        None,
    )
    .await
    .1;
    assert_eq!(
        by_role
            .as_array()
            .map(|a| a.iter().map(|x| x["id"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(id)])
    );
    assert_eq!(
        c1(&gw, Method::GET, "?include=everything", None).await.0,
        400
    );
}
