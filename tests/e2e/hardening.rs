//! Hostile clients and bursts of clients, end to end (issue 13): each defect found by trying
//! agentgw as an attacker would, on SQLite and, where the store matters, on PostgreSQL.

use std::time::{Duration, Instant};

use agentgw_inbound::kit::Person;
use agentgw_tests::{Gateway, json as read, postgres};
use reqwest::Method;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::faces::{self, is_error_at as is_face_error, request, send as call};

/// Each face's collection, by its full path.
const ND: &str = "/ndoto/api/v1/accounts/1/agents";
const LC: &str = "/livechat/api/v1/livechat/users/agent";
const SH: &str = "/supporthub/api/agents";
const LD: &str = "/libredesk/api/v1/agents";
const C1: &str = "/comm100/v4/global/agents";

/// A create body the face `name` accepts, for the address `email`.
fn valid(name: &str, email: &str) -> Value {
    let call = (faces::named(name).kit().create)(&person("valid"));
    let mut body = call.body.unwrap_or_default();
    if body.get("email").is_some() {
        body["email"] = json!(email);
    }
    body
}

/// Every list on every face answers 200 and shows `expected` agents.
async fn every_list_shows(gw: &Gateway, expected: usize) {
    for face in faces::all() {
        assert_eq!(
            face.list_all(gw, 100).await.len(),
            expected,
            "{}",
            face.name()
        );
    }
}

/// The person `local` of these tests.
fn person(local: &str) -> Person<'_> {
    Person {
        local,
        first: "Ada",
        last: "Lovelace",
    }
}

/// A gateway whose request timeout is one second.
fn impatient_gateway() -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}/agentgw.db", dir.path().display());
    let config = faces::config(&store, 4096, "embedded", "").replace(
        "max_body_bytes = 4096",
        "max_body_bytes = 4096\nrequest_timeout_ms = 1000",
    );
    Gateway::start_in(crate::BIN, dir, &config, Vec::new())
}

#[tokio::test]
async fn a_body_that_does_not_arrive_in_time_is_a_408_and_the_connection_closes() {
    let gw = impatient_gateway();
    let addr = gw.base.trim_start_matches("http://").to_owned();
    let mut stream = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let ndoto = faces::named("ndoto");
    let credentials: String = (ndoto.kit().headers)(&ndoto.credential)
        .into_iter()
        .map(|(name, value)| format!("{name}: {value}\r\n"))
        .collect();
    let head = format!(
        "POST {ND} HTTP/1.1\r\nHost: {addr}\r\n{credentials}\
         Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"
    );
    stream.write_all(head.as_bytes()).await.expect("headers");
    let started = Instant::now();
    // A byte every 200 ms, as a slow-loris client sends, until the gateway stops reading.
    let mut answer = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let _ = stream.write_all(b" ").await;
        match tokio::time::timeout(Duration::from_millis(200), stream.read(&mut buf)).await {
            Ok(Ok(0)) => break,
            Ok(Ok(n)) => answer.extend_from_slice(&buf[..n]),
            Ok(Err(_)) => break,
            Err(_) => {}
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the gateway still holds a connection whose body never arrives"
        );
    }
    let answer = String::from_utf8_lossy(&answer).to_lowercase();
    assert!(answer.starts_with("http/1.1 408"), "{answer}");
    assert!(answer.contains("connection: close"), "{answer}");
    assert!(answer.contains("\"error\""), "ndoto's shape: {answer}");
    every_list_shows(&gw, 0).await;
}

#[tokio::test]
async fn writes_take_json_only() {
    let gw = faces::on_sqlite();
    let refused = [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/xml",
    ];
    for face in faces::all() {
        let create = (face.kit().create)(&person("json"));
        let body = create.body.unwrap_or_default().to_string();
        for content_type in refused {
            let res = face
                .request(&gw, create.method, &create.path)
                .header("content-type", content_type)
                .body(body.clone())
                .send()
                .await
                .expect("post");
            let (status, err) = read(res).await;
            assert_eq!(status, 415, "{} {content_type}: {err}", face.name());
            assert!(face.is_error(status, &err), "{}: {err}", face.name());
        }
    }
    every_list_shows(&gw, 0).await;
    // JSON by any +json name, or with no Content-Type at all (which no HTML form can send).
    for (n, content_type) in [Some("application/merge-patch+json; charset=utf-8"), None]
        .into_iter()
        .enumerate()
    {
        for face in faces::all() {
            let local = format!("ok{n}{}", face.name());
            let create = (face.kit().create)(&person(&local));
            let mut req = face
                .request(&gw, create.method, &create.path)
                .body(create.body.unwrap_or_default().to_string());
            if let Some(ct) = content_type {
                req = req.header("content-type", ct);
            }
            let (status, created) = read(req.send().await.expect("post")).await;
            assert!(
                status == 200 || status == 201,
                "{}: {status} {created}",
                face.name()
            );
        }
    }
    every_list_shows(&gw, 2 * faces::all().len()).await;
}

#[tokio::test]
async fn head_is_get_without_a_body_and_a_wrong_method_is_405_with_allow() {
    let gw = faces::on_sqlite();
    let (_, created) = call(
        &gw,
        Method::POST,
        ND,
        Some(valid("ndoto", "head@example.com")),
    )
    .await;
    let (_, c1) = call(
        &gw,
        Method::GET,
        "/comm100/v4/global/agents?keywords=head",
        None,
    )
    .await;
    let id = created["id"].as_i64().expect("id");
    let guid = c1[0]["id"].as_str().expect("guid").to_owned();
    let lists = faces::all()
        .into_iter()
        .map(|f| f.path(&(f.kit().page)(0, 100)));
    for path in lists.chain([
        format!("/ndoto/api/v1/accounts/1/agents/{id}"),
        format!("/supporthub/api/agents/{id}"),
        format!("/supporthub/api/agents/{id}/permissions"),
        format!("/libredesk/api/v1/agents/{id}"),
        format!("/comm100/v4/global/agents/{guid}"),
    ]) {
        let get = request(&gw, Method::GET, &path).send().await.expect("get");
        let head = request(&gw, Method::HEAD, &path)
            .send()
            .await
            .expect("head");
        assert_eq!(
            (get.status().as_u16(), head.status().as_u16()),
            (200, 200),
            "{path}"
        );
        assert_eq!(
            head.headers().get("content-type"),
            get.headers().get("content-type"),
            "{path}"
        );
        assert_eq!(head.bytes().await.expect("body").len(), 0, "{path}");
    }
    let cases = [
        (
            Method::PUT,
            "/ndoto/api/v1/accounts/1/agents".to_owned(),
            "GET, HEAD, POST",
        ),
        (
            Method::POST,
            format!("/ndoto/api/v1/accounts/1/agents/{id}"),
            "GET, HEAD, PATCH, PUT, DELETE",
        ),
        (
            Method::PUT,
            "/livechat/api/v1/livechat/users/agent".to_owned(),
            "GET, HEAD, POST",
        ),
        (
            Method::PATCH,
            "/livechat/api/v1/livechat/users/agent/x".to_owned(),
            "GET, HEAD, DELETE",
        ),
        (
            Method::PUT,
            "/supporthub/api/agents".to_owned(),
            "GET, HEAD, POST",
        ),
        (
            Method::DELETE,
            format!("/supporthub/api/agents/{id}/permissions"),
            "GET, HEAD, PATCH",
        ),
        (
            Method::PATCH,
            format!("/libredesk/api/v1/agents/{id}"),
            "GET, HEAD, PUT, DELETE",
        ),
        (
            Method::DELETE,
            "/libredesk/api/v1/agents".to_owned(),
            "GET, HEAD, POST",
        ),
        (
            Method::PATCH,
            format!("/comm100/v4/global/agents/{guid}"),
            "GET, HEAD, PUT, DELETE",
        ),
        (
            Method::GET,
            format!("/comm100/v4/global/agents/{guid}:unlock"),
            "POST",
        ),
        (
            Method::PATCH,
            "/comm100/v4/global/agents".to_owned(),
            "GET, HEAD, POST",
        ),
    ];
    for (method, path, allow) in cases {
        let res = request(&gw, method.clone(), &path)
            .send()
            .await
            .expect("request");
        let allowed = res
            .headers()
            .get("allow")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let (status, body) = read(res).await;
        assert_eq!(status, 405, "{method} {path}: {body}");
        assert_eq!(allowed.as_deref(), Some(allow), "{method} {path}");
        assert!(
            is_face_error(&path, status, &body),
            "{method} {path}: {body}"
        );
    }
    // An unknown path is still the face's 404, not a 405.
    let (status, _) = call(&gw, Method::PUT, "/supporthub/api/nowhere", None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn a_secret_sent_with_the_wrong_type_is_never_echoed() {
    let gw = faces::on_sqlite();
    let (_, created) = call(
        &gw,
        Method::POST,
        LD,
        Some(valid("libredesk", "sec@example.com")),
    )
    .await;
    let id = created["data"]["id"].as_i64().expect("id");
    let (_, c1) = call(&gw, Method::GET, "/comm100/v4/global/agents", None).await;
    let guid = c1[0]["id"].as_str().expect("guid").to_owned();
    let cases = [
        (
            Method::PUT,
            format!("/libredesk/api/v1/agents/{id}"),
            json!({"first_name": "A", "email": "sec@example.com", "roles": ["Agent"], "new_password": 918273645}),
        ),
        (
            Method::POST,
            "/libredesk/api/v1/agents".to_owned(),
            json!({"first_name": "A", "email": "s2@example.com", "roles": ["Agent"], "new_password": [918273645]}),
        ),
        (
            Method::POST,
            "/comm100/v4/global/agents".to_owned(),
            json!({"email": "s3@example.com", "password": 918273645, "displayName": "A B", "firstName": "A", "lastName": "B", "timeZone": "UTC", "datetimeFormat": "YYYY-MM-DD HH:mm:ss"}),
        ),
        (
            Method::POST,
            format!("/comm100/v4/global/agents/{guid}:changePassword"),
            json!({"password": {"918273645": true}}),
        ),
        (
            Method::POST,
            "/supporthub/api/agents".to_owned(),
            json!({"first_name": "A", "last_name": "B", "email": "s4@example.com", "password": 918273645, "password_confirmation": 918273645}),
        ),
        (
            Method::PATCH,
            format!("/supporthub/api/agents/{id}"),
            json!({"new_password": 918273645, "new_password_confirmation": 918273645}),
        ),
    ];
    for (method, path, body) in cases {
        let (status, answer) = call(&gw, method.clone(), &path, Some(body)).await;
        assert!((400..500).contains(&status), "{method} {path}: {answer}");
        assert!(is_face_error(&path, status, &answer), "{path}: {answer}");
        assert!(
            !answer.to_string().contains("918273645"),
            "{method} {path} echoed the secret: {answer}"
        );
    }
    let logs = gw.settled_logs().await;
    assert!(!logs.contains("918273645"), "a secret reached the log");
    for face in faces::all() {
        for (_, value) in (face.kit().headers)(&face.credential) {
            assert!(
                !logs.contains(&value),
                "{}'s credentials reached the log",
                face.name()
            );
        }
    }
}

/// A value nested deeper than the limits, `depth` levels.
fn nested(depth: usize) -> Value {
    (0..depth).fold(json!("3db96458-9446-466a-a0b8-49d469185825"), |v, _| {
        json!([v])
    })
}

/// The payloads that once broke the stores, through every face: each refused with a 4xx in
/// the face's shape, nothing written, and every list still answers.
async fn poison_is_refused(gw: &Gateway) {
    let c1 = |extra: Value| {
        let mut body: Value = valid("comm100", "c1@example.com");
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        body
    };
    let long = "n".repeat(2700);
    let cases = [
        (C1, c1(json!({"shiftIds": nested(124)}))),
        (C1, c1(json!({"skillIds": ["not-a-guid"]}))),
        (C1, c1(json!({"superAgentId": {"a": [1, 2]}}))),
        (C1, c1(json!({"isSeat": "yes"}))),
        (C1, c1(json!({"firstName": "Nul\u{0}"}))),
        (C1, c1(json!({"displayName": long}))),
        (
            LD,
            json!({"first_name": "Deep", "email": "ld@example.com", "roles": ["Agent"], "custom_attributes": {"a": nested(123)}}),
        ),
        (
            LD,
            json!({"first_name": "Nul\u{0}", "email": "ld2@example.com", "roles": ["Agent"]}),
        ),
        (
            ND,
            json!({"name": long, "email": "nd@example.com", "role": "agent"}),
        ),
        (
            ND,
            json!({"name": "Nul\u{0}Byte", "email": "nd2@example.com", "role": "agent"}),
        ),
        (
            ND,
            json!({"name": "Nul", "email": "nd3\u{0}@example.com", "role": "agent"}),
        ),
        (
            SH,
            json!({"first_name": "A\u{0}", "last_name": "B", "email": "sh@example.com", "password": "secret1", "password_confirmation": "secret1"}),
        ),
        (LC, json!({"username": "grace\u{0}"})),
    ];
    for (path, body) in cases {
        let (status, answer) = call(gw, Method::POST, path, Some(body.clone())).await;
        assert!(
            (400..500).contains(&status) && is_face_error(path, status, &answer),
            "{path} {body}: {status} {answer}"
        );
    }
    // NUL in queries and ids: found nothing, never a 500.
    for path in [
        "/comm100/v4/global/agents?keywords=%00",
        "/supporthub/api/agents?filter%5Bemail%5D=a%00",
        "/livechat/api/v1/livechat/users/agent?text=%00",
    ] {
        let (status, body) = call(gw, Method::GET, path, None).await;
        assert_eq!(status, 200, "{path}: {body}");
        let (agents, _) = (faces::of_path(path).kit().listed)(&body);
        assert_eq!(agents.len(), 0, "{path}: {body}");
    }
    let (status, body) = call(
        gw,
        Method::GET,
        "/livechat/api/v1/livechat/users/agent/%00AAAAAAAAAAAAAAAA",
        None,
    )
    .await;
    assert_eq!((status, body["success"].clone()), (400, json!(false)));
    every_list_shows(gw, 0).await;
}

#[tokio::test]
async fn payloads_that_once_poisoned_the_store_are_refused_on_sqlite() {
    poison_is_refused(&faces::on_sqlite()).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn payloads_that_once_poisoned_the_store_are_refused_on_postgres() {
    if let Some(url) = postgres::fresh_url().await {
        poison_is_refused(&faces::gateway(&url, 4096)).await;
    }
}

/// The largest payload each face accepts is kept, and every face lists it.
async fn the_largest_accepted_payloads_are_read_back(store_url: &str) {
    let gw = faces::gateway(store_url, 1024 * 1024);
    let name = "é".repeat(255);
    // custom_attributes (depth 0) > "deep" > 6 arrays > {"k"} at 7 > its string at 8: the most.
    let free = (0..6).fold(json!({"k": "x".repeat(15_000)}), |v, _| json!([v]));
    let ids: Vec<String> = (0..256)
        .map(|i| format!("3db96458-9446-466a-a0b8-{i:012}"))
        .collect();
    let teams: Vec<String> = (0..100)
        .map(|i| format!("{i:03}{}", "t".repeat(252)))
        .collect();
    let bodies = [
        (
            ND,
            json!({"name": name, "email": format!("{}@example.com", "a".repeat(64)), "role": "administrator", "availability": "busy", "auto_offline": false}),
        ),
        (
            SH,
            json!({"first_name": "é".repeat(250), "last_name": "ü".repeat(250), "email": "max-sh@example.com", "password": "p".repeat(4096), "password_confirmation": "p".repeat(4096)}),
        ),
        (
            LD,
            json!({"first_name": name, "last_name": name, "email": "max-ld@example.com", "roles": ["Admin"], "teams": teams,
                   "phone_number": "1".repeat(64), "phone_number_country_code": "+".repeat(16), "avatar_url": "h".repeat(2048),
                   "custom_attributes": {"deep": free}, "new_password": "Pw1!".repeat(1024)}),
        ),
        (
            C1,
            json!({"email": "max-c1@example.com", "password": "p".repeat(4096), "displayName": "d".repeat(511), "firstName": name, "lastName": name,
                   "timeZone": "Pacific Standard Time", "datetimeFormat": "YYYY-MM-DD HH:mm:ss", "phone": "1".repeat(64), "title": "t".repeat(255),
                   "bio": "line\n".repeat(819), "avatar": "h".repeat(2048), "language": "l".repeat(35), "externalId": "e".repeat(255),
                   "shiftIds": ids, "skillIds": ids, "roleIds": ids, "segmentIds": ids, "triggerIds": ids, "chatbotSmartTriggerActionIds": ids,
                   "permissionIds": (0..256).collect::<Vec<i64>>(), "customizeAvatar": "h".repeat(2048)}),
        ),
    ];
    for (path, body) in bodies {
        let (status, answer) = call(&gw, Method::POST, path, Some(body)).await;
        assert!(status == 200 || status == 201, "{path}: {status} {answer}");
    }
    every_list_shows(&gw, 4).await;
}

#[tokio::test]
async fn the_largest_accepted_payloads_are_read_back_on_sqlite() {
    let dir = tempfile::tempdir().expect("tempdir");
    the_largest_accepted_payloads_are_read_back(&format!(
        "sqlite://{}/max.db",
        dir.path().display()
    ))
    .await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn the_largest_accepted_payloads_are_read_back_on_postgres() {
    if let Some(url) = postgres::fresh_url().await {
        the_largest_accepted_payloads_are_read_back(&url).await;
    }
}

#[tokio::test]
async fn look_alike_emails_are_one_agent_or_refused() {
    let gw = faces::on_sqlite();
    let create = |email: &str| valid("ndoto", email);
    let (status, _) = call(&gw, Method::POST, ND, Some(create("alex@example.com"))).await;
    assert_eq!(status, 200);
    let (status, err) = call(
        &gw,
        Method::POST,
        ND,
        Some(create("ａｌｅｘ@ｅｘａｍｐｌｅ.ｃｏｍ")),
    )
    .await;
    assert_eq!(
        (status, err["message"].as_str()),
        (422, Some("Email has already been taken"))
    );
    for look_alike in [
        "al\u{200B}ex@example.com",
        "\u{202E}alex@example.com",
        "\u{430}lex@example.com",
        "\u{3b1}lex@example.com",
        "alex@ex\u{430}mple.com",
    ] {
        let (status, err) = call(&gw, Method::POST, ND, Some(create(look_alike))).await;
        assert_eq!(
            (status, err["message"].as_str()),
            (422, Some("Email is invalid")),
            "{look_alike:?}"
        );
    }
    every_list_shows(&gw, 1).await;
}

#[tokio::test]
async fn concurrent_registers_of_one_username_all_succeed_with_one_user() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gw = faces::gateway(&format!("sqlite://{}/r.db", dir.path().display()), 4096);
    let gw = &gw;
    let answers = futures_util::future::join_all((0..200).map(|i| async move {
        let kind = if i % 5 == 0 { "manager" } else { "agent" };
        call(
            gw,
            Method::POST,
            &format!("/livechat/api/v1/livechat/users/{kind}"),
            Some(json!({"username": "grace.hopper"})),
        )
        .await
    }))
    .await;
    let ids: std::collections::BTreeSet<String> = answers
        .iter()
        .map(|(status, body)| {
            assert_eq!(*status, 200, "{body}");
            body["user"]["_id"].as_str().unwrap_or_default().to_owned()
        })
        .collect();
    assert_eq!(ids.len(), 1, "one user: {ids:?}");
    every_list_shows(gw, 1).await;
    let (_, managers) = call(
        gw,
        Method::GET,
        "/livechat/api/v1/livechat/users/manager",
        None,
    )
    .await;
    assert_eq!(managers["total"], 1, "a manager register promoted her");
}

/// 200 PATCHes of one agent at once, spread over `gateways`: none fails, none is lost.
async fn concurrent_patches(gateways: &[Gateway]) {
    let (status, created) = call(
        &gateways[0],
        Method::POST,
        SH,
        Some(valid("supporthub", "patch@example.com")),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let id = created["data"]["id"].as_i64().expect("id");
    let flags = [
        ("permissions", "manage_articles"),
        ("permissions", "manage_customers"),
        ("permissions", "view_all_tickets"),
        ("notifications", "new_ticket"),
        ("notifications", "new_comment"),
        ("notifications", "ticket_reassigned"),
    ];
    let answers = futures_util::future::join_all((0..200).map(|i| {
        let gw = &gateways[i % gateways.len()];
        async move {
            let (path, body) = match i % 4 {
                // Each flag is set to true once and never to false: a lost write shows.
                0 if i / 4 < flags.len() => {
                    let (kind, flag) = flags[i / 4];
                    (
                        format!("/supporthub/api/agents/{id}/{kind}"),
                        json!({flag: true}),
                    )
                }
                0 | 1 => (
                    format!("/supporthub/api/agents/{id}"),
                    json!({"last_name": format!("Lovelace {i}")}),
                ),
                2 => (
                    format!("/ndoto/api/v1/accounts/1/agents/{id}"),
                    json!({"role": if i % 8 == 2 { "administrator" } else { "agent" }}),
                ),
                _ => (
                    format!("/supporthub/api/agents/{id}"),
                    json!({"timezone": "Europe/London"}),
                ),
            };
            call(gw, Method::PATCH, &path, Some(body)).await
        }
    }))
    .await;
    for (status, body) in &answers {
        assert_eq!(*status, 200, "{body}");
    }
    for kind in ["permissions", "notifications"] {
        let (_, got) = call(
            &gateways[0],
            Method::GET,
            &format!("/supporthub/api/agents/{id}/{kind}"),
            None,
        )
        .await;
        for (k, flag) in flags {
            if k == kind {
                assert_eq!(got["data"][flag], true, "{kind}.{flag} lost: {got}");
            }
        }
    }
}

#[tokio::test]
async fn concurrent_patches_of_one_agent_never_fail_on_sqlite() {
    concurrent_patches(&[faces::on_sqlite()]).await;
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn concurrent_patches_across_two_gateways_on_postgres_never_fail() {
    if let Some(url) = postgres::fresh_url().await {
        let gateways = [faces::gateway(&url, 4096), faces::gateway(&url, 4096)];
        concurrent_patches(&gateways).await;
    }
}

#[tokio::test]
async fn a_row_that_cannot_be_read_fails_only_itself() {
    use sqlx::Connection;
    let gw = faces::on_sqlite();
    let mut ids = Vec::new();
    for i in 0..3 {
        let (status, created) = call(
            &gw,
            Method::POST,
            ND,
            Some(valid("ndoto", &format!("row{i}@example.com"))),
        )
        .await;
        assert_eq!(status, 200);
        ids.push(created["id"].as_i64().expect("id"));
    }
    let url = format!("sqlite://{}/agentgw.db", gw.dir.path().display());
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(&url).await.expect("connect");
    sqlx::query("UPDATE agents SET doc = '{\"v\":1,\"profile\":{\"email\":[[[' WHERE id = $1")
        .bind(ids[1])
        .execute(&mut conn)
        .await
        .expect("damage one row");
    conn.close().await.expect("close");
    every_list_shows(&gw, 2).await;
    let member = [
        format!("/ndoto/api/v1/accounts/1/agents/{}", ids[1]),
        format!("/supporthub/api/agents/{}", ids[1]),
        format!("/libredesk/api/v1/agents/{}", ids[1]),
    ];
    for path in member {
        let (status, body) = call(&gw, Method::GET, &path, None).await;
        assert_eq!(status, 500, "{path}");
        assert!(is_face_error(&path, status, &body), "{path}: {body}");
    }
    let logs = gw.settled_logs().await;
    assert!(
        logs.contains(&format!("id={}", ids[1])) && logs.contains("cannot be read"),
        "the damaged row is logged with its id"
    );
}
