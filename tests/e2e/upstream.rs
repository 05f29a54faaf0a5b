//! Upstream mode end to end: gateway A serves every face over an upstream that is a second
//! real agentgw process (B) serving one dialect from its own store. Each pair creates, reads,
//! lists with paging, updates and deletes through A, and checks B in B's own dialect.

use agentgw_tests::{
    C1_TOKEN, Gateway, LC_TOKEN, LC_USER, LD_KEY, LD_SECRET, SH_TOKEN, TOKEN, client, json as read,
};
use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

const FACES: [&str; 5] = ["ndoto", "livechat", "supporthub", "libredesk", "comm100"];

/// Gateway A: the five faces at `/<face>`, all over the upstream `up` of dialect `dialect` at `b`.
fn gateway_a(b: &Gateway, dialect: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let credentials = match dialect {
        "libredesk" => format!("{{ key = \"{LD_KEY}\", secret = \"{LD_SECRET}\" }}"),
        "comm100" => format!("{{ token = \"{C1_TOKEN}\" }}"),
        "supporthub" => format!("{{ token = \"{SH_TOKEN}\" }}"),
        "ndoto" => format!("{{ token = \"{TOKEN}\" }}"),
        _ => format!("{{ user_id = \"{LC_USER}\", token = \"{LC_TOKEN}\" }}"),
    };
    let mut config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"sqlite://{}/a.db\"\n\n\
         [upstreams.up]\ndialect = \"{dialect}\"\nbase_url = \"{}/{dialect}\"\ncredentials = {credentials}\ntimeout_ms = 10000\n\
         [upstreams.up.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nemail_domain = \"example.com\"\nlast_name = \"(livechat)\"\npassword = \"generate\"\n",
        dir.path().display(),
        b.base
    );
    for face in FACES {
        let creds = match face {
            "livechat" => format!("[{{ user_id = \"{LC_USER}\", token = \"{LC_TOKEN}\" }}]"),
            "libredesk" => format!("[{{ key = \"{LD_KEY}\", secret = \"{LD_SECRET}\" }}]"),
            "ndoto" => format!("[{{ token = \"{TOKEN}\" }}]"),
            "supporthub" => format!("[{{ token = \"{SH_TOKEN}\" }}]"),
            _ => format!("[{{ token = \"{C1_TOKEN}\" }}]"),
        };
        config.push_str(&format!("\n[[routes]]\nname = \"{face}\"\ndialect = \"{face}\"\nprefix = \"/{face}\"\nbackend = \"up\"\ncredentials = {creds}\n"));
        if face == "livechat" {
            config.push_str(
                "[routes.policy]\nunknown_username = \"create\"\nemail_domain = \"example.com\"\n",
            );
        }
    }
    Gateway::start_in(crate::BIN, dir, &config, Vec::new())
}

/// A request to `gw` in `face`'s dialect, with its credentials.
fn req(gw: &Gateway, face: &str, method: Method, path: &str) -> RequestBuilder {
    let r = client().request(method, gw.url(path));
    match face {
        "ndoto" => r.header("api_access_token", TOKEN),
        "livechat" => r
            .header("X-User-Id", LC_USER)
            .header("X-Auth-Token", LC_TOKEN),
        "supporthub" => r.bearer_auth(SH_TOKEN),
        "libredesk" => r.header("Authorization", format!("token {LD_KEY}:{LD_SECRET}")),
        _ => r.bearer_auth(C1_TOKEN),
    }
}

async fn call(
    gw: &Gateway,
    face: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut r = req(gw, face, method, path);
    if let Some(b) = body {
        r = r.json(&b);
    }
    read(r.send().await.expect("request")).await
}

/// What an agent looks like, whichever dialect said it.
#[derive(Debug, PartialEq)]
struct Seen {
    email: String,
    name: String,
    admin: bool,
}

fn seen(face: &str, v: &Value) -> Seen {
    let s = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
    match face {
        "ndoto" => Seen {
            email: s("email"),
            name: s("name"),
            admin: v["role"] == "administrator",
        },
        "livechat" => Seen {
            email: v["emails"][0]["address"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            name: s("name"),
            admin: false,
        },
        "supporthub" => Seen {
            email: s("email"),
            name: agentgw_model::join_name(&s("first_name"), &s("last_name")),
            admin: v["role"] == 1,
        },
        "libredesk" => Seen {
            email: s("email"),
            name: agentgw_model::join_name(&s("first_name"), &s("last_name")),
            admin: v["roles"] == json!(["Admin"]),
        },
        _ => Seen {
            email: s("email"),
            name: s("displayName"),
            admin: v["isAdmin"] == true,
        },
    }
}

/// Create through `face`; returns the face's id of the new agent.
async fn create(gw: &Gateway, face: &str, local: &str, first: &str, last: &str) -> String {
    let email = format!("{local}@example.com");
    let (path, body) = match face {
        "ndoto" => (
            "/ndoto/api/v1/accounts/1/agents",
            json!({"name": format!("{first} {last}"), "email": email, "role": "agent"}),
        ),
        "livechat" => (
            "/livechat/api/v1/livechat/users/agent",
            json!({"username": local}),
        ),
        "supporthub" => (
            "/supporthub/api/agents",
            json!({"first_name": first, "last_name": last, "email": email, "password": "s3cret-pw", "password_confirmation": "s3cret-pw"}),
        ),
        "libredesk" => (
            "/libredesk/api/v1/agents",
            json!({"first_name": first, "last_name": last, "email": email, "roles": ["Agent"], "enabled": true}),
        ),
        _ => (
            "/comm100/v4/global/agents",
            json!({"email": email, "password": "s3cret-pw", "displayName": format!("{first} {last}"), "firstName": first, "lastName": last, "timeZone": "UTC", "datetimeFormat": "YYYY-MM-DD HH:mm:ss"}),
        ),
    };
    let (status, v) = call(gw, face, Method::POST, path, Some(body)).await;
    assert!(
        status == 200 || status == 201,
        "{face} create: {status} {v}"
    );
    let id = match face {
        "livechat" => v["user"]["_id"].clone(),
        "supporthub" | "libredesk" => v["data"]["id"].clone(),
        _ => v["id"].clone(),
    };
    id.as_str()
        .map(String::from)
        .unwrap_or_else(|| id.to_string())
}

fn member(face: &str, id: &str) -> String {
    match face {
        "ndoto" => format!("/ndoto/api/v1/accounts/1/agents/{id}"),
        "livechat" => format!("/livechat/api/v1/livechat/users/agent/{id}"),
        "supporthub" => format!("/supporthub/api/agents/{id}"),
        "libredesk" => format!("/libredesk/api/v1/agents/{id}"),
        _ => format!("/comm100/v4/global/agents/{id}"),
    }
}

async fn get(gw: &Gateway, face: &str, id: &str) -> (u16, Value) {
    let (status, v) = call(gw, face, Method::GET, &member(face, id), None).await;
    let agent = match face {
        "livechat" => v["user"].clone(),
        "supporthub" | "libredesk" => v["data"].clone(),
        _ => v,
    };
    (status, agent)
}

/// Every agent `face` lists, page by page where the face pages (2 a page).
async fn list_all(gw: &Gateway, face: &str) -> Vec<Value> {
    let mut out = Vec::new();
    match face {
        "livechat" => {
            for offset in (0..).step_by(2) {
                let (_, v) = call(
                    gw,
                    face,
                    Method::GET,
                    &format!("/livechat/api/v1/livechat/users/agent?count=2&offset={offset}"),
                    None,
                )
                .await;
                let users = v["users"].as_array().cloned().unwrap_or_default();
                assert_eq!(v["total"].as_u64(), Some(3), "livechat total: {v}");
                let done = users.len() < 2;
                out.extend(users);
                if done {
                    break;
                }
            }
        }
        "supporthub" => {
            for page in 1.. {
                let (_, v) = call(
                    gw,
                    face,
                    Method::GET,
                    &format!("/supporthub/api/agents?per_page=2&page={page}"),
                    None,
                )
                .await;
                assert_eq!(
                    v["meta"]["total"].as_u64(),
                    Some(3),
                    "supporthub total: {v}"
                );
                out.extend(v["data"].as_array().cloned().unwrap_or_default());
                if v["links"]["next"].is_null() {
                    break;
                }
            }
        }
        "libredesk" => {
            out = call(gw, face, Method::GET, "/libredesk/api/v1/agents", None)
                .await
                .1["data"]
                .as_array()
                .cloned()
                .unwrap_or_default()
        }
        "ndoto" => {
            out = call(
                gw,
                face,
                Method::GET,
                "/ndoto/api/v1/accounts/1/agents",
                None,
            )
            .await
            .1
            .as_array()
            .cloned()
            .unwrap_or_default()
        }
        _ => {
            out = call(gw, face, Method::GET, "/comm100/v4/global/agents", None)
                .await
                .1
                .as_array()
                .cloned()
                .unwrap_or_default()
        }
    }
    out
}

/// Update through `face`: a new last name, or for livechat (which cannot rename) a promotion.
async fn update(gw: &Gateway, face: &str, id: &str, local: &str, first: &str) -> u16 {
    let email = format!("{local}@example.com");
    let (path, method, body) = match face {
        "ndoto" => (
            member(face, id),
            Method::PATCH,
            json!({"name": format!("{first} Updated")}),
        ),
        "livechat" => (
            "/livechat/api/v1/livechat/users/manager".to_owned(),
            Method::POST,
            json!({"username": local}),
        ),
        "supporthub" => (
            member(face, id),
            Method::PATCH,
            json!({"last_name": "Updated"}),
        ),
        "libredesk" => (
            member(face, id),
            Method::PUT,
            json!({"first_name": first, "last_name": "Updated", "email": email, "roles": ["Agent"], "enabled": true}),
        ),
        _ => (
            member(face, id),
            Method::PUT,
            json!({"email": email, "displayName": format!("{first} Updated"), "firstName": first, "lastName": "Updated", "timeZone": "UTC", "datetimeFormat": "YYYY-MM-DD HH:mm:ss"}),
        ),
    };
    call(gw, face, method, &path, Some(body)).await.0
}

/// The agent with `email` as upstream B shows it in its own dialect.
async fn upstream_view(b: &Gateway, dialect: &str, email: &str) -> Option<Seen> {
    let found = match dialect {
        "ndoto" => call(
            b,
            dialect,
            Method::GET,
            "/ndoto/api/v1/accounts/1/agents",
            None,
        )
        .await
        .1
        .as_array()
        .and_then(|a| a.iter().find(|x| x["email"] == email).cloned())
        .unwrap_or(Value::Null),
        "livechat" => call(
            b,
            dialect,
            Method::GET,
            &format!("/livechat/api/v1/livechat/users/agent?text={email}"),
            None,
        )
        .await
        .1["users"][0]
            .clone(),
        "supporthub" => call(
            b,
            dialect,
            Method::GET,
            &format!("/supporthub/api/agents?filter[email]={email}"),
            None,
        )
        .await
        .1["data"][0]
            .clone(),
        "comm100" => call(
            b,
            dialect,
            Method::GET,
            &format!("/comm100/v4/global/agents?keywords={email}"),
            None,
        )
        .await
        .1[0]
            .clone(),
        _ => {
            let list = call(b, dialect, Method::GET, "/libredesk/api/v1/agents", None)
                .await
                .1;
            let id = list["data"]
                .as_array()
                .and_then(|a| a.iter().find(|x| x["email"] == email))
                .map(|x| x["id"].clone());
            match id {
                Some(id) => call(
                    b,
                    dialect,
                    Method::GET,
                    &format!("/libredesk/api/v1/agents/{id}"),
                    None,
                )
                .await
                .1["data"]
                    .clone(),
                None => Value::Null,
            }
        }
    };
    (!found.is_null()).then(|| seen(dialect, &found))
}

/// Upstream B: all five faces on its own store; its livechat face registers unknown usernames
/// (as a Rocket.Chat would for users that exist), with emails at example.com.
fn gateway_b() -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = agentgw_tests::ndoto_config(dir.path()).replace(
        "\n[[routes]]\nname = \"supporthub\"",
        "\n[routes.policy]\nunknown_username = \"create\"\nemail_domain = \"example.com\"\n\n[[routes]]\nname = \"supporthub\"",
    );
    Gateway::start_in(crate::BIN, dir, &config, Vec::new())
}

async fn matrix(upstream: &str) {
    let b = gateway_b();
    // A livechat upstream stores no names: they live in A as shadow fields.
    let names_upstream = upstream != "livechat";
    let a = gateway_a(&b, upstream);
    for face in FACES {
        let pair = format!("{face} over {upstream}");
        let people: Vec<(String, String)> = (0..3)
            .map(|i| (format!("{face}.{i}"), format!("F{i}{face}")))
            .collect();
        let mut ids = Vec::new();
        for (local, first) in &people {
            ids.push(create(&a, face, local, first, "Last").await);
        }
        // B holds them, in its own dialect.
        for (local, first) in &people {
            let email = format!("{local}@example.com");
            let up = upstream_view(&b, upstream, &email)
                .await
                .unwrap_or_else(|| panic!("{pair}: {email} not upstream"));
            assert_eq!(up.email, email, "{pair}");
            if face != "livechat" && names_upstream {
                assert_eq!(up.name, format!("{first} Last"), "{pair}");
            }
        }
        // A reads them back in the face's dialect, with the face's ids.
        for ((local, first), id) in people.iter().zip(&ids) {
            let (status, v) = get(&a, face, id).await;
            assert_eq!(status, 200, "{pair} get: {v}");
            let s = seen(face, &v);
            assert_eq!(s.email, format!("{local}@example.com"), "{pair}");
            if face != "livechat" {
                assert_eq!(s.name, format!("{first} Last"), "{pair}");
            }
        }
        let listed: Vec<String> = list_all(&a, face)
            .await
            .iter()
            .map(|v| seen(face, v).email)
            .collect();
        let mut expected: Vec<String> = people
            .iter()
            .map(|(l, _)| format!("{l}@example.com"))
            .collect();
        let mut sorted = listed.clone();
        sorted.sort();
        expected.sort();
        assert_eq!(sorted, expected, "{pair}: list");

        // Update through A; B sees it.
        let (local, first) = &people[0];
        assert_eq!(
            update(&a, face, &ids[0], local, first).await,
            200,
            "{pair}: update"
        );
        let up = upstream_view(&b, upstream, &format!("{local}@example.com"))
            .await
            .expect("still upstream");
        if face == "livechat" {
            let (_, v) = get(&a, face, &ids[0]).await;
            assert_eq!(v["username"], local.as_str(), "{pair}");
            let (_, managers) = call(
                &a,
                face,
                Method::GET,
                "/livechat/api/v1/livechat/users/manager",
                None,
            )
            .await;
            assert_eq!(managers["total"], 1, "{pair}: promoted: {managers}");
        } else if names_upstream {
            assert_eq!(
                up.name,
                format!("{first} Updated"),
                "{pair}: updated upstream"
            );
        } else {
            let (_, v) = get(&a, face, &ids[0]).await;
            assert_eq!(
                seen(face, &v).name,
                format!("{first} Updated"),
                "{pair}: kept by the gateway"
            );
        }

        // Delete through A; gone upstream and through A.
        for id in &ids {
            let (status, v) = call(&a, face, Method::DELETE, &member(face, id), None).await;
            assert!(
                status == 200 || status == 204,
                "{pair} delete: {status} {v}"
            );
            let (status, _) = get(&a, face, id).await;
            assert!(
                status == 404 || status == 400,
                "{pair}: deleted agent answers {status}"
            );
        }
        for (local, _) in &people {
            assert_eq!(
                upstream_view(&b, upstream, &format!("{local}@example.com")).await,
                None,
                "{pair}: deleted upstream"
            );
        }
    }
}

#[tokio::test]
async fn every_face_over_comm100() {
    matrix("comm100").await;
}

#[tokio::test]
async fn every_face_over_supporthub() {
    matrix("supporthub").await;
}

#[tokio::test]
async fn every_face_over_libredesk() {
    matrix("libredesk").await;
}

#[tokio::test]
async fn every_face_over_ndoto() {
    matrix("ndoto").await;
}

#[tokio::test]
async fn every_face_over_livechat() {
    matrix("livechat").await;
}

#[tokio::test]
async fn paging_on_both_sides_over_a_paginated_upstream() {
    let b = gateway_b();
    // 120 agents upstream: more than one supporthub page of 100, created out of name order
    // (7 is prime to 120, and the 101st created is still "Agent 100").
    for i in 0..120 {
        let n = (i * 7) % 120;
        let (status, _) = call(&b, "ndoto", Method::POST, "/ndoto/api/v1/accounts/1/agents", Some(json!({"name": format!("Agent {n:03}"), "email": format!("agent{n:03}@example.com"), "role": "agent"}))).await;
        assert_eq!(status, 200);
    }
    let a = gateway_a(&b, "supporthub");
    // An array face reads every upstream page.
    let all = call(
        &a,
        "ndoto",
        Method::GET,
        "/ndoto/api/v1/accounts/1/agents",
        None,
    )
    .await
    .1;
    let names: Vec<&str> = all
        .as_array()
        .map(|x| x.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names.len(), 120);
    assert!(
        names.windows(2).all(|w| w[0] < w[1]),
        "ordered by name across upstream pages: {names:?}"
    );
    // A paging face over a paging upstream: totals and windows are right.
    let (_, lc) = call(
        &a,
        "livechat",
        Method::GET,
        "/livechat/api/v1/livechat/users/agent?count=50&offset=100",
        None,
    )
    .await;
    assert_eq!(
        (
            lc["count"].as_u64(),
            lc["offset"].as_u64(),
            lc["total"].as_u64()
        ),
        (Some(20), Some(100), Some(120)),
        "{lc}"
    );
    assert_eq!(lc["users"][0]["name"], "Agent 100");
    let (_, sh) = call(
        &a,
        "supporthub",
        Method::GET,
        "/supporthub/api/agents?per_page=50&page=3",
        None,
    )
    .await;
    assert_eq!(
        (
            sh["meta"]["total"].as_u64(),
            sh["meta"]["from"].as_u64(),
            sh["meta"]["to"].as_u64()
        ),
        (Some(120), Some(101), Some(120)),
        "{}",
        sh["meta"]
    );
    assert_eq!(sh["data"][0]["first_name"], "Agent");
    assert_eq!(sh["data"][0]["last_name"], "100");
    let (_, filtered) = call(
        &a,
        "supporthub",
        Method::GET,
        "/supporthub/api/agents?filter[email]=agent11",
        None,
    )
    .await;
    assert_eq!(
        filtered["meta"]["total"], 10,
        "the email filter is pushed down"
    );
    // The same agent has the same gateway id however it was reached.
    let via_list = all[5]["id"].clone();
    let (status, one) = call(
        &a,
        "ndoto",
        Method::GET,
        &format!("/ndoto/api/v1/accounts/1/agents/{via_list}"),
        None,
    )
    .await;
    assert_eq!((status, one["name"].as_str()), (200, Some("Agent 005")));
    // The id map lives in the store: the same ids after a restart.
    let mut a = a;
    a.restart();
    let (status, again) = call(
        &a,
        "ndoto",
        Method::GET,
        &format!("/ndoto/api/v1/accounts/1/agents/{via_list}"),
        None,
    )
    .await;
    assert_eq!((status, again), (200, one));
}

#[tokio::test]
async fn lists_over_a_paginated_livechat_upstream_stream_its_pages() {
    let b = gateway_b();
    // 120 agents, more than one livechat page of 100, created out of name order; every
    // tenth an administrator (a livechat manager).
    for i in 0..120 {
        let n = (i * 7) % 120;
        let role = if n % 10 == 0 {
            "administrator"
        } else {
            "agent"
        };
        let (status, _) = call(&b, "ndoto", Method::POST, "/ndoto/api/v1/accounts/1/agents", Some(json!({"name": format!("Agent {n:03}"), "email": format!("agent{n:03}@example.com"), "role": role}))).await;
        assert_eq!(status, 200);
    }
    let a = gateway_a(&b, "livechat");
    let all = list_all(&a, "ndoto").await;
    let names: Vec<&str> = all.iter().filter_map(|v| v["name"].as_str()).collect();
    assert_eq!(names.len(), 120);
    assert!(names.windows(2).all(|w| w[0] < w[1]), "{names:?}");
    let admins = all.iter().filter(|v| v["role"] == "administrator").count();
    assert_eq!(admins, 12, "managers are known across every page");
    // supporthub's creation order is not livechat's: ordered in the gateway, page by page.
    let mut seen = std::collections::HashSet::new();
    for page in 1..=3 {
        let (_, sh) = call(
            &a,
            "supporthub",
            Method::GET,
            &format!("/supporthub/api/agents?per_page=50&page={page}"),
            None,
        )
        .await;
        assert_eq!(sh["meta"]["total"], 120, "{}", sh["meta"]);
        for agent in sh["data"].as_array().into_iter().flatten() {
            assert!(seen.insert(agent["id"].clone()), "{agent} on two pages");
        }
    }
    assert_eq!(seen.len(), 120, "three windows cover every agent once");
}

#[tokio::test]
async fn verbs_the_upstream_lacks_are_refused_not_faked() {
    let b = gateway_b();
    let a = gateway_a(&b, "comm100");
    let id = create(&a, "supporthub", "verbs", "Verb", "Tester").await;
    // comm100 has no permissions: supporthub's endpoint answers "not supported", never a success.
    let (status, body) = call(
        &a,
        "supporthub",
        Method::GET,
        &format!("/supporthub/api/agents/{id}/permissions"),
        None,
    )
    .await;
    assert_eq!(status, 501, "{body}");
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.contains("not supported")),
        "{body}"
    );
    let (status, _) = call(
        &a,
        "supporthub",
        Method::PATCH,
        &format!("/supporthub/api/agents/{id}/notifications"),
        Some(json!({"new_ticket": false})),
    )
    .await;
    assert_eq!(status, 501);
    // comm100 does change passwords: supporthub's new_password reaches :changePassword.
    let (status, body) = call(
        &a,
        "supporthub",
        Method::PATCH,
        &format!("/supporthub/api/agents/{id}"),
        Some(json!({"new_password": "n3w-secret", "new_password_confirmation": "n3w-secret"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let c = gateway_a(&b, "supporthub");
    let guid = create(&c, "comm100", "unlock", "Un", "Lock").await;
    // supporthub cannot unlock: comm100's :unlock is refused in comm100's shape.
    let (status, body) = call(
        &c,
        "comm100",
        Method::POST,
        &format!("/comm100/v4/global/agents/{guid}:unlock"),
        None,
    )
    .await;
    assert_eq!(
        (status, body["code"].as_u64()),
        (501, Some(501000)),
        "{body}"
    );
    // supporthub does change passwords (new_password): :changePassword reaches it.
    let (status, body) = call(
        &c,
        "comm100",
        Method::POST,
        &format!("/comm100/v4/global/agents/{guid}:changePassword"),
        Some(json!({"password": "An0ther-pw"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}
