//! Property-based (proptest): arbitrary bytes and JSON into every write endpoint of every face,
//! over real HTTP, on SQLite and on PostgreSQL. Whatever is sent, the answer is a success or
//! a 4xx/503 in the face's own shape, never a 5xx; and afterwards every list on every face
//! still answers, with no row left that cannot be read.

use std::sync::atomic::{AtomicU64, Ordering};

use agentgw_tests::{Gateway, call, is_face_error, postgres, request, test_config};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use reqwest::Method;
use serde_json::{Value, json};

/// One write endpoint: its method, its path (`{id}`, `{guid}` filled in from an agent made
/// first), a body it accepts (`UNIQUE` replaced per case, so valid creates do not collide),
/// and the fields worth replacing with something hostile.
struct Endpoint {
    method: Method,
    path: &'static str,
    base: &'static str,
    fields: &'static [&'static str],
}

fn endpoints(face: &str) -> Vec<Endpoint> {
    let ep = |method, path, base, fields| Endpoint {
        method,
        path,
        base,
        fields,
    };
    match face {
        "ndoto" => vec![
            ep(
                Method::POST,
                "/ndoto/api/v1/accounts/1/agents",
                r#"{"name": "Ada UNIQUE", "email": "UNIQUE@example.com", "role": "agent", "availability": "busy", "auto_offline": true}"#,
                &[
                    "name",
                    "email",
                    "role",
                    "availability",
                    "availability_status",
                    "auto_offline",
                ],
            ),
            ep(
                Method::PATCH,
                "/ndoto/api/v1/accounts/1/agents/{id}",
                r#"{"name": "Ada UNIQUE", "role": "administrator", "availability": "offline"}"#,
                &[
                    "name",
                    "role",
                    "availability",
                    "availability_status",
                    "auto_offline",
                ],
            ),
            ep(
                Method::PUT,
                "/ndoto/api/v1/accounts/1/agents/{id}",
                r#"{"name": "Ada UNIQUE", "role": "agent"}"#,
                &["name", "role", "availability"],
            ),
        ],
        "livechat" => vec![
            ep(
                Method::POST,
                "/livechat/api/v1/livechat/users/agent",
                r#"{"username": "UNIQUE"}"#,
                &["username", "extra"],
            ),
            ep(
                Method::POST,
                "/livechat/api/v1/livechat/users/manager",
                r#"{"username": "UNIQUE"}"#,
                &["username"],
            ),
        ],
        "supporthub" => vec![
            ep(
                Method::POST,
                "/supporthub/api/agents",
                r#"{"first_name": "Ada", "last_name": "UNIQUE", "email": "UNIQUE@example.com", "password": "secret1", "password_confirmation": "secret1"}"#,
                &[
                    "first_name",
                    "last_name",
                    "email",
                    "password",
                    "password_confirmation",
                ],
            ),
            ep(
                Method::PATCH,
                "/supporthub/api/agents/{id}",
                r#"{"first_name": "Ada", "last_name": "UNIQUE", "timezone": "Europe/London"}"#,
                &[
                    "first_name",
                    "last_name",
                    "email",
                    "timezone",
                    "new_password",
                    "new_password_confirmation",
                ],
            ),
            ep(
                Method::PATCH,
                "/supporthub/api/agents/{id}/permissions",
                r#"{"manage_articles": true}"#,
                &["manage_articles", "view_all_tickets", "other"],
            ),
            ep(
                Method::PATCH,
                "/supporthub/api/agents/{id}/notifications",
                r#"{"new_ticket": false}"#,
                &["new_ticket", "ticket_reassigned"],
            ),
        ],
        "libredesk" => vec![
            ep(
                Method::POST,
                "/libredesk/api/v1/agents",
                r#"{"first_name": "Ada", "last_name": "UNIQUE", "email": "UNIQUE@example.com", "roles": ["Agent"], "teams": ["Support"], "enabled": true, "custom_attributes": {"tier": 1}}"#,
                &[
                    "first_name",
                    "last_name",
                    "email",
                    "roles",
                    "role",
                    "teams",
                    "enabled",
                    "availability_status",
                    "new_password",
                    "phone_number",
                    "avatar_url",
                    "custom_attributes",
                    "send_welcome_email",
                ],
            ),
            ep(
                Method::PUT,
                "/libredesk/api/v1/agents/{id}",
                r#"{"first_name": "Ada", "last_name": "UNIQUE", "email": "UNIQUE@example.com", "roles": ["Admin"], "enabled": true}"#,
                &[
                    "first_name",
                    "email",
                    "roles",
                    "teams",
                    "custom_attributes",
                    "new_password",
                    "phone_number_country_code",
                ],
            ),
        ],
        _ => vec![
            ep(
                Method::POST,
                "/comm100/v4/global/agents",
                r#"{"email": "UNIQUE@example.com", "password": "abc1234.", "displayName": "Ada UNIQUE", "firstName": "Ada", "lastName": "UNIQUE", "timeZone": "Pacific Standard Time", "datetimeFormat": "YYYY-MM-DD HH:mm:ss", "shiftIds": ["3db96458-9446-466a-a0b8-49d469185825"]}"#,
                &[
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
            ),
            ep(
                Method::PUT,
                "/comm100/v4/global/agents/{guid}",
                r#"{"email": "UNIQUE@example.com", "displayName": "Ada UNIQUE", "firstName": "Ada", "lastName": "UNIQUE", "timeZone": "UTC", "datetimeFormat": "DD-MM-YYYY HH:mm:ss"}"#,
                &[
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
            ),
            ep(
                Method::POST,
                "/comm100/v4/global/agents/{guid}:changePassword",
                r#"{"password": "abc1234.UNIQUE"}"#,
                &["password"],
            ),
            ep(
                Method::POST,
                "/comm100/v4/global/agents/{guid}:unlock",
                r#"{}"#,
                &["password"],
            ),
        ],
    }
}

/// What a case sends.
#[derive(Debug, Clone)]
enum Body {
    Bytes(Vec<u8>),
    Json(Value),
}

/// Text an attacker would try: any Unicode, NUL, control characters, look-alikes, long runs.
fn hostile_text() -> BoxedStrategy<String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9 ._@+-]{0,12}",
        prop::collection::vec(prop::char::range('\u{0}', '\u{3f}'), 0..6)
            .prop_map(|c| c.into_iter().collect()),
        (0usize..3000).prop_map(|n| "x".repeat(n)),
        prop::sample::select(vec![
            "\u{0}",
            "a\u{0}b@example.com",
            "ａｌｅｘ@ｅｘａｍｐｌｅ.ｃｏｍ",
            "al\u{200B}ex@example.com",
            "\u{202E}alex@example.com",
            "\u{430}lex@example.com",
            "3db96458-9446-466a-a0b8-49d469185825",
            "Pacific Standard Time",
            "Europe/London",
            "administrator",
        ])
        .prop_map(str::to_owned),
    ]
    .boxed()
}

/// Any JSON value, a few levels deep.
fn any_json() -> BoxedStrategy<Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_filter("JSON numbers are finite", |f| f.is_finite())
            .prop_map(Value::from),
        hostile_text().prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((hostile_text(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
    .boxed()
}

/// Arrays nested a little, or close to serde's own limit of 128 (a body at 124 to 127 levels
/// parses, but the stored document around it did not: the depth that poisoned every list).
fn deep_json() -> BoxedStrategy<Value> {
    prop_oneof![1 => 0usize..12, 4 => 123usize..130]
        .prop_map(|depth| {
            (0..depth).fold(json!("3db96458-9446-466a-a0b8-49d469185825"), |v, _| {
                json!([v])
            })
        })
        .boxed()
}

/// A plausible value with a control character (NUL most of all) somewhere inside it: what
/// PostgreSQL refuses, and a log or a terminal would misread.
fn controlled_text() -> BoxedStrategy<String> {
    let control = prop_oneof![
        3 => Just('\u{0}'),
        1 => prop::char::range('\u{1}', '\u{1f}'),
        1 => Just('\u{7f}'),
    ];
    ("[a-zA-Z@. ]{0,8}", control, "[a-zA-Z@. ]{0,8}")
        .prop_map(|(head, c, tail)| format!("{head}{c}{tail}"))
        .boxed()
}

/// A value for one field, as an attacker picks it: text with a control character, text far
/// past any length limit, arrays nested past every limit, look-alike emails, or any JSON.
/// Weighted so that most cases carry something a store could choke on.
fn field_value() -> BoxedStrategy<Value> {
    prop_oneof![
        3 => controlled_text().prop_map(Value::from),
        2 => (240usize..3000).prop_map(|n| Value::from("ñ".repeat(n))),
        3 => deep_json(),
        1 => prop::sample::select(vec![
            "ａｌｅｘ@ｅｘａｍｐｌｅ.ｃｏｍ",
            "al\u{200B}ex@example.com",
            "\u{202E}alex@example.com",
            "\u{430}lex@example.com",
        ])
        .prop_map(Value::from),
        3 => any_json(),
    ]
    .boxed()
}

/// A body for `endpoint`: raw bytes, any JSON, or its valid body with one or two fields
/// replaced by something hostile (so that cases get past the first check), or as it is.
fn body(endpoint: &Endpoint) -> BoxedStrategy<Body> {
    let base: Value = serde_json::from_str(endpoint.base).unwrap_or(Value::Null);
    let fields: Vec<&'static str> = endpoint.fields.to_vec();
    let mutated = {
        let base = base.clone();
        // Mostly one field at a time, so the rest of the body stays valid and the hostile
        // value reaches the backend.
        let count = prop_oneof![3 => Just(1usize), 1 => Just(2usize)];
        count
            .prop_flat_map(move |n| {
                prop::collection::vec((prop::sample::select(fields.clone()), field_value()), n)
            })
            .prop_map(move |changes| {
                let mut b = base.clone();
                for (field, value) in changes {
                    b[field] = value;
                }
                Body::Json(b)
            })
    };
    prop_oneof![
        1 => prop::collection::vec(any::<u8>(), 0..300).prop_map(Body::Bytes),
        1 => any_json().prop_map(Body::Json),
        6 => mutated,
        1 => Just(Body::Json(base)),
    ]
    .boxed()
}

/// The ids of the agent member endpoints write to.
struct Target {
    id: i64,
    guid: String,
}

async fn make_target(gw: &Gateway) -> Target {
    let (status, created) = call(
        gw,
        Method::POST,
        "/ndoto/api/v1/accounts/1/agents",
        Some(json!({"name": "Target Agent", "email": "target@example.com", "role": "agent"})),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let (_, all) = call(gw, Method::GET, "/comm100/v4/global/agents", None).await;
    Target {
        id: created["id"].as_i64().expect("id"),
        guid: all[0]["id"].as_str().expect("guid").to_owned(),
    }
}

/// Send one case; check the answer's status and shape.
async fn send(
    gw: &Gateway,
    endpoint: &Endpoint,
    target: &Target,
    body: &Body,
) -> Result<(), String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = format!("u{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let path = endpoint
        .path
        .replace("{id}", &target.id.to_string())
        .replace("{guid}", &target.guid);
    let bytes = match body {
        Body::Bytes(b) => b.clone(),
        Body::Json(v) => v.to_string().replace("UNIQUE", &unique).into_bytes(),
    };
    let res = request(gw, endpoint.method.clone(), &path)
        .header("content-type", "application/json")
        .body(bytes)
        .send()
        .await
        .map_err(|e| format!("no answer: {e}"))?;
    let status = res.status().as_u16();
    let text = res.text().await.map_err(|e| format!("no body: {e}"))?;
    if status >= 500 && status != 503 {
        return Err(format!(
            "{} {path} answered {status}: {text}",
            endpoint.method
        ));
    }
    if status >= 400 {
        let answer: Value =
            serde_json::from_str(&text).map_err(|e| format!("{status} not JSON ({e}): {text}"))?;
        if !is_face_error(&path, status, &answer) {
            return Err(format!("{status} not in the face's shape: {text}"));
        }
    }
    Ok(())
}

/// Run `cases` hostile writes against `face` on the store at `store_url`, then check that
/// every face still lists and reads every agent.
fn hostile_writes(face: &str, store_url: &str, cases: u32) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let config = test_config(store_url)
        .replace("max_body_bytes = 4096", "max_body_bytes = 16384")
        .replace(
            "dialect = \"livechat\"\nprefix = \"/livechat\"",
            "dialect = \"livechat\"\nprefix = \"/livechat\"\npolicy = { unknown_username = \"create\", email_domain = \"example.com\" }",
        );
    let gw = Gateway::start_in(crate::BIN, dir, &config, Vec::new());
    let target = rt.block_on(make_target(&gw));
    let endpoints = endpoints(face);
    let strategy = (0..endpoints.len()).prop_flat_map(|i| (Just(i), body(&endpoints[i])));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |(i, body)| {
        rt.block_on(send(&gw, &endpoints[i], &target, &body))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!(
            "{face} on {}: {e}",
            store_url.split(':').next().unwrap_or("")
        );
    }
    rt.block_on(async {
        for path in [
            "/ndoto/api/v1/accounts/1/agents".to_owned(),
            "/livechat/api/v1/livechat/users/agent".to_owned(),
            "/supporthub/api/agents?per_page=100".to_owned(),
            "/libredesk/api/v1/agents".to_owned(),
            "/comm100/v4/global/agents".to_owned(),
            format!("/ndoto/api/v1/accounts/1/agents/{}", target.id),
            format!("/supporthub/api/agents/{}", target.id),
            format!("/libredesk/api/v1/agents/{}", target.id),
            format!("/comm100/v4/global/agents/{}", target.guid),
        ] {
            let (status, body) = call(&gw, Method::GET, &path, None).await;
            assert_eq!(status, 200, "{face}: {path} after the cases: {body}");
        }
        let logs = gw.settled_logs().await;
        assert!(
            !logs.contains("cannot be read"),
            "{face}: a row was written that cannot be read"
        );
    });
}

/// Cases per face and store: enough to reach every endpoint many times, few enough that the
/// ten runs stay within a few seconds each.
const CASES: u32 = 160;

macro_rules! on_both_stores {
    ($($face:ident),*) => {
        mod on_sqlite {
            $(#[test] fn $face() {
                let dir = tempfile::tempdir().expect("tempdir");
                super::hostile_writes(stringify!($face), &format!("sqlite://{}/h.db", dir.path().display()), super::CASES);
            })*
        }
        mod on_postgres {
            $(#[test] fn $face() {
                let url = tokio::runtime::Runtime::new().expect("runtime").block_on(super::postgres::fresh_url());
                if let Some(url) = url {
                    super::hostile_writes(stringify!($face), &url, super::CASES);
                }
            })*
        }
    };
}

on_both_stores!(ndoto, livechat, supporthub, libredesk, comm100);
