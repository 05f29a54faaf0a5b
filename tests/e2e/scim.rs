//! The SCIM face end to end, as identity providers drive it: discovery, Okta's and Entra ID's
//! provisioning calls, filters on both stores, Groups as the tenant's teams, and what other
//! faces see of it. (scim2-tester, scim-sanity and scim2-server run in `tests/scim/run`.)

use agentgw_tests::{
    Gateway, LD_KEY, LD_SECRET, TOKEN, client, json as read, postgres, test_config,
};
use reqwest::Method;
use serde_json::{Value, json};

const SCIM_TOKEN: &str = "e2e-scim-token-0d4e";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const ERROR: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

/// The five faces of the standard configuration, and SCIM at `/scim` on the same tenant.
fn config(store_url: &str) -> String {
    format!(
        "{}\n[[routes]]\nname = \"scim\"\ndialect = \"scim\"\nprefix = \"/scim\"\ntenant = \"default\"\ncredentials = [{{ token = \"{SCIM_TOKEN}\" }}]\n",
        test_config(store_url)
    )
}

fn sqlite_gateway() -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(&format!("sqlite://{}/agentgw.db", dir.path().display()));
    Gateway::start_in(crate::BIN, dir, &cfg, Vec::new())
}

async fn scim(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = client()
        .request(method, gw.url(&format!("/scim/v2{path}")))
        .bearer_auth(SCIM_TOKEN);
    if let Some(b) = body {
        req = req
            .header("Content-Type", "application/scim+json")
            .body(b.to_string());
    }
    read(req.send().await.expect("request")).await
}

/// The libredesk face's full agent with this email (its list is compact).
async fn libredesk_agent(gw: &Gateway, email: &str) -> Value {
    let get = |path: String| async move {
        read(
            client()
                .get(gw.url(&path))
                .basic_auth(LD_KEY, Some(LD_SECRET))
                .send()
                .await
                .expect("libredesk"),
        )
        .await
        .1
    };
    let agents = get("/libredesk/api/v1/agents".into()).await;
    let id = agents["data"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["email"] == email))
        .map(|x| x["id"].clone())
        .unwrap_or(Value::Null);
    get(format!("/libredesk/api/v1/agents/{id}")).await["data"].clone()
}

fn is_error(body: &Value, status: u16) -> bool {
    body["schemas"] == json!([ERROR]) && body["status"] == json!(status.to_string())
}

#[tokio::test]
async fn discovery_says_what_is_supported_and_refuses_writes_and_strangers() {
    let gw = sqlite_gateway();
    let (status, spc) = scim(&gw, Method::GET, "/ServiceProviderConfig", None).await;
    assert_eq!(status, 200);
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["filter"]["supported"], true);
    assert!(spc["filter"]["maxResults"].as_u64().unwrap_or(0) > 0);
    assert_eq!(spc["bulk"]["supported"], false);
    assert_eq!(
        spc["changePassword"]["supported"], true,
        "a password is written by PUT or PATCH"
    );
    assert_eq!(spc["authenticationSchemes"][0]["type"], "oauthbearertoken");

    let (status, types) = scim(&gw, Method::GET, "/ResourceTypes", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = types["Resources"]
        .as_array()
        .map(|r| r.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["User", "Group"]);

    let (status, schemas) = scim(&gw, Method::GET, "/Schemas", None).await;
    assert_eq!(status, 200);
    let ids: Vec<&str> = schemas["Resources"]
        .as_array()
        .map(|r| r.iter().filter_map(|s| s["id"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(ids, [USER, GROUP, ENTERPRISE]);
    let (status, user) = scim(&gw, Method::GET, &format!("/Schemas/{USER}"), None).await;
    assert_eq!(status, 200);
    let attribute = |name: &str| {
        user["attributes"]
            .as_array()
            .and_then(|a| a.iter().find(|x| x["name"] == name))
            .cloned()
            .unwrap_or(Value::Null)
    };
    assert_eq!(attribute("userName")["uniqueness"], "server");
    assert_eq!(attribute("userName")["caseExact"], false);
    assert_eq!(attribute("password")["returned"], "never");
    assert_eq!(attribute("groups")["mutability"], "readOnly");
    assert_eq!(
        attribute("addresses"),
        Value::Null,
        "only attributes agentgw keeps"
    );

    let (status, body) = scim(&gw, Method::GET, "/Schemas/urn:example:nothing", None).await;
    assert!(status == 404 && is_error(&body, 404), "{status} {body}");
    let (status, body) = scim(&gw, Method::GET, "/ResourceTypes/Printer", None).await;
    assert!(status == 404 && is_error(&body, 404), "{status} {body}");
    for path in ["/ServiceProviderConfig", "/Schemas", "/ResourceTypes"] {
        let (status, body) = scim(&gw, Method::POST, path, Some(json!({}))).await;
        assert!(
            status == 405 && is_error(&body, 405),
            "{path}: {status} {body}"
        );
    }
    let (status, body) = scim(&gw, Method::POST, "/.search", Some(json!({}))).await;
    assert!(status == 501 && is_error(&body, 501), "{status} {body}");

    let stranger = client()
        .get(gw.url("/scim/v2/Users"))
        .bearer_auth("not-the-token")
        .send()
        .await
        .expect("request");
    let (status, body) = read(stranger).await;
    assert!(status == 401 && is_error(&body, 401), "{status} {body}");
}

#[tokio::test]
async fn okta_provisions_deactivates_reactivates_and_deprovisions() {
    let gw = sqlite_gateway();
    // Okta looks the user up first, by userName.
    let (status, none) = scim(
        &gw,
        Method::GET,
        "/Users?filter=userName%20eq%20%22dana%40example.com%22&startIndex=1&count=100",
        None,
    )
    .await;
    assert_eq!((status, none["totalResults"].clone()), (200, json!(0)));

    let okta_user = json!({
        "schemas": [USER],
        "userName": "Dana@Example.com",
        "name": {"givenName": "Dana", "familyName": "Scully"},
        "emails": [{"primary": true, "value": "dana@example.com", "type": "work"}],
        "displayName": "Dana Scully",
        "locale": "en-US",
        "externalId": "00u1okta",
        "groups": [],
        "password": "Okta-S3cret-pass!",
        "active": true
    });
    let res = client()
        .post(gw.url("/scim/v2/Users"))
        .bearer_auth(SCIM_TOKEN)
        .header("Content-Type", "application/scim+json")
        .body(okta_user.to_string())
        .send()
        .await
        .expect("create");
    assert_eq!(res.status().as_u16(), 201);
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|l| l.to_str().ok())
        .map(str::to_owned)
        .unwrap_or_default();
    assert!(
        content_type.starts_with("application/scim+json"),
        "{content_type}"
    );
    let (_, user) = read(res).await;
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    assert!(
        location.ends_with(&format!("/scim/v2/Users/{id}")),
        "{location}"
    );
    assert_eq!(user["userName"], "Dana@Example.com", "exactly as sent");
    assert_eq!(user["locale"], "en-US", "kept as sent");
    assert_eq!(user["externalId"], "00u1okta");
    assert_eq!(user["meta"]["resourceType"], "User");
    assert_eq!(user["meta"]["location"], location);
    assert!(user.get("password").is_none(), "write-only");
    assert!(!user.to_string().contains("Okta-S3cret-pass!"));

    // The same userName in another case is taken.
    let mut again = okta_user.clone();
    again["userName"] = json!("dana@EXAMPLE.com");
    again["emails"] = json!([{"value": "other@example.com", "type": "work"}]);
    let (status, body) = scim(&gw, Method::POST, "/Users", Some(again)).await;
    assert!(
        status == 409 && body["scimType"] == "uniqueness",
        "{status} {body}"
    );

    // Found by userName in any case, and by externalId.
    for filter in [
        "userName%20eq%20%22dana%40example.com%22",
        "externalId%20eq%20%2200u1okta%22",
    ] {
        let (_, found) = scim(&gw, Method::GET, &format!("/Users?filter={filter}"), None).await;
        assert_eq!(found["totalResults"], 1, "{filter}: {found}");
        assert_eq!(found["Resources"][0]["id"], json!(id));
    }

    // Okta deactivates with a path-less replace; the user stays readable, inactive.
    let deactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (status, user) = scim(
        &gw,
        Method::PATCH,
        &format!("/Users/{id}"),
        Some(deactivate),
    )
    .await;
    assert_eq!((status, user["active"].clone()), (200, json!(false)));
    let (status, user) = scim(&gw, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!((status, user["active"].clone()), (200, json!(false)));
    let (_, inactive) = scim(&gw, Method::GET, "/Users?filter=active%20eq%20false", None).await;
    assert_eq!(inactive["totalResults"], 1, "{inactive}");

    // And reactivates with a PUT of the whole user.
    let mut put = okta_user.clone();
    put["active"] = json!(true);
    put["name"]["familyName"] = json!("Mulder");
    let (status, user) = scim(&gw, Method::PUT, &format!("/Users/{id}"), Some(put)).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["active"], true);
    assert_eq!(user["name"]["familyName"], "Mulder");

    // The ndoto face sees the same agent.
    let (status, agents) = read(
        client()
            .get(gw.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("ndoto"),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        agents
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x["email"] == "dana@example.com")),
        "{agents}"
    );

    let (status, _) = scim(&gw, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, body) = scim(&gw, Method::GET, &format!("/Users/{id}"), None).await;
    assert!(status == 404 && is_error(&body, 404), "{status} {body}");
}

#[tokio::test]
async fn entra_ids_strings_capitals_value_paths_and_extension_paths() {
    let gw = sqlite_gateway();
    let entra_user = json!({
        "schemas": [USER, ENTERPRISE],
        "externalId": "e1f2",
        "UserName": "Fox.Mulder@contoso.com",
        "active": "True",
        "displayName": "Fox Mulder",
        "emails": [{"Primary": "True", "type": "work", "value": "fox@contoso.com"}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "Mulder", "givenName": "Fox"},
        "roles": [],
        ENTERPRISE: {"department": "X-Files", "employeeNumber": "1013", "manager": {"value": "skinner"}}
    });
    let (status, user) = scim(&gw, Method::POST, "/Users", Some(entra_user)).await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(user["active"], true, "a boolean, whatever Entra ID sent");
    assert_eq!(user["emails"][0]["primary"], true);
    assert_eq!(user[ENTERPRISE]["department"], "X-Files");
    assert_eq!(user[ENTERPRISE]["manager"]["value"], "skinner");
    assert!(
        user["schemas"]
            .as_array()
            .is_some_and(|s| s.contains(&json!(ENTERPRISE)))
    );

    let patch = json!({
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "fox.mulder@contoso.com"},
            {"op": "Replace", "path": "name.familyName", "value": "Mulder-Scully"},
            {"op": "Add", "path": "roles[primary eq \"True\"].value", "value": "Admin"},
            {"op": "Replace", "path": format!("{ENTERPRISE}:department"), "value": "Basement"},
            {"op": "Replace", "path": "active", "value": "False"}
        ]
    });
    let (status, user) = scim(&gw, Method::PATCH, &format!("/Users/{id}"), Some(patch)).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["emails"][0]["value"], "fox.mulder@contoso.com");
    assert_eq!(user["name"]["familyName"], "Mulder-Scully");
    assert_eq!(user[ENTERPRISE]["department"], "Basement");
    assert_eq!(
        user[ENTERPRISE]["employeeNumber"], "1013",
        "the rest of the extension kept"
    );
    assert_eq!(user["active"], false);
    assert!(
        user["roles"]
            .as_array()
            .is_some_and(|r| r.iter().any(|x| x["value"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("admin")))),
        "{user}"
    );
    // The role is the agent's on every face: libredesk shows an administrator, disabled.
    let agent = libredesk_agent(&gw, "fox.mulder@contoso.com").await;
    assert_eq!(agent["roles"], json!(["Admin"]), "{agent}");
    assert_eq!(agent["enabled"], false, "{agent}");

    // A bad PATCH changes nothing.
    let bad = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "name.familyName", "value": "Changed"},
        {"op": "replace", "path": "id", "value": "mine"}
    ]});
    let (status, body) = scim(&gw, Method::PATCH, &format!("/Users/{id}"), Some(bad)).await;
    assert!(
        status == 400 && body["scimType"] == "mutability",
        "{status} {body}"
    );
    let (_, user) = scim(&gw, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(user["name"]["familyName"], "Mulder-Scully");

    // attributes and excludedAttributes.
    let (_, some) = scim(
        &gw,
        Method::GET,
        &format!("/Users/{id}?attributes=userName,name.givenName"),
        None,
    )
    .await;
    assert_eq!(
        some,
        json!({"schemas": user["schemas"], "id": id, "userName": "Fox.Mulder@contoso.com", "name": {"givenName": "Fox"}})
    );
    let (_, less) = scim(
        &gw,
        Method::GET,
        &format!("/Users/{id}?excludedAttributes=emails,{ENTERPRISE}"),
        None,
    )
    .await;
    assert!(
        less.get("emails").is_none()
            && less.get(ENTERPRISE).is_none()
            && less["userName"].is_string(),
        "{less}"
    );

    // POST /Users/.search
    let (status, found) = scim(
        &gw,
        Method::POST,
        "/Users/.search",
        Some(json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "emails.value co \"mulder\"", "attributes": ["userName"]})),
    )
    .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["totalResults"], 1);
    assert_eq!(
        found["Resources"][0],
        json!({"schemas": user["schemas"], "id": id, "userName": "Fox.Mulder@contoso.com"})
    );
}

#[tokio::test]
async fn an_agent_made_through_another_face_is_a_user_named_by_its_username() {
    let gw = sqlite_gateway();
    let (status, agent) = read(
        client()
            .post(gw.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", TOKEN)
            .json(&json!({"name": "Walter Skinner", "email": "skinner@example.com", "role": "administrator"}))
            .send()
            .await
            .expect("ndoto"),
    )
    .await;
    assert_eq!(status, 200, "{agent}");
    // The store gives every agent a username (ndoto has none: derived from the email).
    let (_, found) = scim(
        &gw,
        Method::GET,
        "/Users?filter=userName%20eq%20%22Skinner%22",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let user = &found["Resources"][0];
    assert_eq!(user["userName"], "skinner");
    assert_eq!(
        user["emails"],
        json!([{"value": "skinner@example.com", "type": "work", "primary": true}])
    );
    assert_eq!(
        user["name"],
        json!({"formatted": "Walter Skinner", "familyName": "Skinner", "givenName": "Walter"})
    );
    assert_eq!(user["roles"][0]["value"], "admin");
    assert_eq!(user["active"], true);
}

/// The filter grammar through the store's own query, on one store.
async fn filters_on(gw: &Gateway) {
    let people = [
        (
            "ann@example.com",
            "Ann",
            "Archer",
            "ext-1",
            true,
            "Engineer",
        ),
        ("bob@example.org", "Bob", "Baker", "ext-2", false, "Manager"),
        (
            "cy@example.com",
            "Cy",
            "Carter",
            "ext-3",
            true,
            "Senior Engineer",
        ),
    ];
    for (email, given, family, external, active, title) in people {
        let (status, body) = scim(
            gw,
            Method::POST,
            "/Users",
            Some(json!({"schemas": [USER], "userName": email, "externalId": external, "active": active, "title": title,
                        "name": {"givenName": given, "familyName": family}, "emails": [{"value": email, "type": "work"}]})),
        )
        .await;
        assert_eq!(status, 201, "{body}");
    }
    let cases = [
        ("userName eq \"ANN@example.com\"", 1),
        ("userName sw \"b\"", 1),
        ("emails.value ew \"example.com\"", 2),
        ("emails[type eq \"work\" and value co \"org\"]", 1),
        ("name.familyName co \"ar\"", 2),
        ("active eq false", 1),
        ("active eq true and not (name.givenName eq \"ann\")", 1),
        ("name.familyName gt \"B\"", 2),
        ("externalId pr", 3),
        ("externalId eq \"ext-2\" or externalId eq \"ext-3\"", 2),
        ("meta.created gt \"2000-01-01T00:00:00Z\"", 3),
        ("name.givenName ne \"Bob\"", 2),
        ("title eq \"Manager\"", -1),
    ];
    for (filter, expected) in cases {
        let (status, body) = scim(
            gw,
            Method::POST,
            "/Users/.search",
            Some(json!({"filter": filter, "count": 10})),
        )
        .await;
        if expected < 0 {
            // An attribute the store does not index is refused, never answered wrongly.
            assert!(
                status == 400 && body["scimType"] == "invalidFilter",
                "{filter}: {status} {body}"
            );
            continue;
        }
        assert_eq!(status, 200, "{filter}: {body}");
        assert_eq!(body["totalResults"], expected, "{filter}: {body}");
    }
    // Paging: startIndex is 1-based, count 0 is the total alone.
    let (_, page) = scim(gw, Method::GET, "/Users?startIndex=2&count=1", None).await;
    assert_eq!(
        (
            page["totalResults"].clone(),
            page["itemsPerPage"].clone(),
            page["startIndex"].clone()
        ),
        (json!(3), json!(1), json!(2))
    );
    let (_, totals) = scim(gw, Method::GET, "/Users?count=0", None).await;
    assert_eq!(
        (totals["totalResults"].clone(), totals["Resources"].clone()),
        (json!(3), json!([]))
    );
    // A filter that does not parse, or names what no User has, is a 400 invalidFilter.
    for bad in ["userName eq", "userName xx \"a\"", "((((userName eq \"a\""] {
        let (status, body) = scim(
            gw,
            Method::POST,
            "/Users/.search",
            Some(json!({"filter": bad})),
        )
        .await;
        assert!(
            status == 400 && body["scimType"] == "invalidFilter",
            "{bad}: {status} {body}"
        );
    }
}

#[tokio::test]
async fn filters_on_sqlite() {
    filters_on(&sqlite_gateway()).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn filters_on_postgres() {
    let Some(url) = postgres::fresh_url().await else {
        return;
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let gw = Gateway::start_in(crate::BIN, dir, &config(&url), Vec::new());
    filters_on(&gw).await;
}

#[tokio::test]
async fn groups_are_the_tenants_teams_on_every_face() {
    let gw = sqlite_gateway();
    let mut ids = Vec::new();
    for who in ["gina", "hank"] {
        let (_, user) = scim(
            &gw,
            Method::POST,
            "/Users",
            Some(json!({"schemas": [USER], "userName": format!("{who}@example.com"), "name": {"givenName": who, "familyName": "Team"}})),
        )
        .await;
        ids.push(user["id"].as_str().unwrap_or_default().to_owned());
    }
    let (status, group) = scim(
        &gw,
        Method::POST,
        "/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "Tier 2", "externalId": "g-okta-1", "members": [{"value": ids[0]}]})),
    )
    .await;
    assert_eq!(status, 201, "{group}");
    let gid = group["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(group["members"][0]["value"], json!(ids[0]));
    assert_eq!(group["meta"]["resourceType"], "Group");

    // Unique displayName.
    let (status, body) = scim(
        &gw,
        Method::POST,
        "/Groups",
        Some(json!({"schemas": [GROUP], "displayName": "tier 2"})),
    )
    .await;
    assert!(
        status == 409 && body["scimType"] == "uniqueness",
        "{status} {body}"
    );

    // Okta adds a member; Entra ID removes one by filter.
    let add = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": ids[1], "display": "hank"}]}]});
    let (status, group) = scim(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(add)).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(
        group["members"].as_array().map(Vec::len),
        Some(2),
        "{group}"
    );

    // The member's team is the agent's on the libredesk face, and the User's groups.
    let (_, user) = scim(&gw, Method::GET, &format!("/Users/{}", ids[1]), None).await;
    assert_eq!(user["groups"][0]["value"], json!(gid), "{user}");
    assert_eq!(user["groups"][0]["display"], "Tier 2");
    let hank = libredesk_agent(&gw, "hank@example.com").await;
    assert!(
        hank["teams"]
            .as_array()
            .is_some_and(|t| t.iter().any(|x| x["name"] == "Tier 2")),
        "{hank}"
    );

    let remove = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{}\"]", ids[0])}]});
    let (status, group) = scim(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(remove)).await;
    assert_eq!(status, 200, "{group}");
    assert_eq!(
        group["members"],
        json!([{"value": ids[1], "type": "User", "$ref": group["members"][0]["$ref"]}])
    );
    // A member's display name is returned on request.
    let (_, named) = scim(
        &gw,
        Method::GET,
        &format!("/Groups/{gid}?attributes=members.display"),
        None,
    )
    .await;
    assert_eq!(
        named["members"],
        json!([{"display": "hank Team"}]),
        "{named}"
    );

    // Without members, and by filter.
    let (_, lean) = scim(
        &gw,
        Method::GET,
        &format!("/Groups/{gid}?excludedAttributes=members"),
        None,
    )
    .await;
    assert!(
        lean.get("members").is_none() && lean["displayName"] == "Tier 2",
        "{lean}"
    );
    let (_, found) = scim(
        &gw,
        Method::GET,
        "/Groups?filter=displayName%20eq%20%22Tier%202%22&excludedAttributes=members",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1, "{found}");

    // A member that is no User is refused, and changes nothing.
    let stranger = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": "00000000-0000-0000-0000-000000000000"}]}]});
    let (status, body) = scim(
        &gw,
        Method::PATCH,
        &format!("/Groups/{gid}"),
        Some(stranger),
    )
    .await;
    assert!(status == 400 && is_error(&body, 400), "{status} {body}");

    // A remove whose value lists members, then the group's delete.
    let remove = json!({"schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": "members", "value": [{"value": ids[1]}]}]});
    let (status, group) = scim(&gw, Method::PATCH, &format!("/Groups/{gid}"), Some(remove)).await;
    assert_eq!(status, 200, "{group}");
    assert!(
        group.get("members").is_none_or(|m| m == &json!([])),
        "{group}"
    );
    let (status, _) = scim(&gw, Method::DELETE, &format!("/Groups/{gid}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = scim(&gw, Method::GET, &format!("/Groups/{gid}"), None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn deactivation_over_an_ndoto_upstream_removes_the_agent_there_and_reactivation_restores_it()
{
    // The helpdesk: a gateway's ndoto face on its own store (ndoto has no disabled state).
    let helpdesk = crate::gateway();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = format!(
        r#"
[server]
listen = "127.0.0.1:0"
[store]
url = "sqlite://{}/front.db"
[upstreams.helpdesk]
dialect = "ndoto"
base_url = "{}/ndoto"
account_id = 1
credentials = {{ token = "{TOKEN}" }}
[[routes]]
name = "scim"
dialect = "scim"
prefix = "/scim"
backend = "helpdesk"
credentials = [{{ token = "{SCIM_TOKEN}" }}]
"#,
        dir.path().display(),
        helpdesk.base
    );
    let front = Gateway::start_in(crate::BIN, dir, &cfg, Vec::new());
    let at_helpdesk = || async {
        let (status, agents) = read(
            client()
                .get(helpdesk.url("/ndoto/api/v1/accounts/1/agents"))
                .header("api_access_token", TOKEN)
                .send()
                .await
                .expect("helpdesk"),
        )
        .await;
        assert_eq!(status, 200);
        agents
            .as_array()
            .map(|a| {
                a.iter()
                    .filter(|x| x["email"] == "leaver@example.com")
                    .count()
            })
            .unwrap_or(0)
    };

    let (status, user) = scim(
        &front,
        Method::POST,
        "/Users",
        Some(
            json!({"schemas": [USER], "userName": "leaver@example.com", "externalId": "x-9",
                    "name": {"givenName": "Lee", "familyName": "Ver"}, "title": "Agent"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(at_helpdesk().await, 1);

    let off = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let (status, user) = scim(&front, Method::PATCH, &format!("/Users/{id}"), Some(off)).await;
    assert_eq!(
        (status, user["active"].clone()),
        (200, json!(false)),
        "{user}"
    );
    assert_eq!(
        at_helpdesk().await,
        0,
        "no access: the helpdesk no longer has the agent"
    );
    let (status, user) = scim(&front, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 200, "still readable: {user}");
    assert_eq!(
        (user["active"].clone(), user["externalId"].clone()),
        (json!(false), json!("x-9"))
    );
    let (_, found) = scim(
        &front,
        Method::GET,
        "/Users?filter=active%20eq%20false",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    assert_eq!(found["Resources"][0]["id"], json!(id));

    let on = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": true}]});
    let (status, user) = scim(&front, Method::PATCH, &format!("/Users/{id}"), Some(on)).await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(
        (user["id"].clone(), user["active"].clone()),
        (json!(id), json!(true)),
        "the same user"
    );
    assert_eq!(user["name"]["familyName"], "Ver");
    assert_eq!(at_helpdesk().await, 1, "created again at the helpdesk");

    // Deactivated again, then deleted: gone everywhere.
    let off = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    scim(&front, Method::PATCH, &format!("/Users/{id}"), Some(off)).await;
    let (status, _) = scim(&front, Method::DELETE, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 204);
    let (status, _) = scim(&front, Method::GET, &format!("/Users/{id}"), None).await;
    assert_eq!(status, 404);
    assert_eq!(at_helpdesk().await, 0);
}

#[tokio::test]
async fn a_user_created_inactive_over_an_ndoto_upstream_gets_no_agent_there_until_activated() {
    let helpdesk = crate::gateway();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://{}/front.db\"\n[upstreams.helpdesk]\ndialect = \"ndoto\"\nbase_url = \"{}/ndoto\"\naccount_id = 1\ncredentials = {{ token = \"{TOKEN}\" }}\n[[routes]]\nname = \"scim\"\ndialect = \"scim\"\nprefix = \"/scim\"\nbackend = \"helpdesk\"\ncredentials = [{{ token = \"{SCIM_TOKEN}\" }}]\n",
        dir.path().display(),
        helpdesk.base
    );
    let front = Gateway::start_in(crate::BIN, dir, &cfg, Vec::new());
    let at_helpdesk = || async {
        let (_, agents) = read(
            client()
                .get(helpdesk.url("/ndoto/api/v1/accounts/1/agents"))
                .header("api_access_token", TOKEN)
                .send()
                .await
                .expect("helpdesk"),
        )
        .await;
        agents.as_array().map(Vec::len).unwrap_or(0)
    };
    let (status, user) = scim(
        &front,
        Method::POST,
        "/Users",
        Some(
            json!({"schemas": [USER], "userName": "later@example.com", "active": false,
                    "name": {"givenName": "Not", "familyName": "Yet"}}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{user}");
    assert_eq!(user["active"], false);
    let id = user["id"].as_str().unwrap_or_default().to_owned();
    assert_eq!(at_helpdesk().await, 0, "no access before activation");
    let (_, found) = scim(
        &front,
        Method::GET,
        "/Users?filter=userName%20eq%20%22later%40example.com%22",
        None,
    )
    .await;
    assert_eq!(found["totalResults"], 1, "{found}");
    let on = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": true}]});
    let (status, user) = scim(&front, Method::PATCH, &format!("/Users/{id}"), Some(on)).await;
    assert_eq!(
        (status, user["active"].clone()),
        (200, json!(true)),
        "{user}"
    );
    assert_eq!(at_helpdesk().await, 1, "created there on activation");
}
