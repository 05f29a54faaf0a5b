//! Property-based (proptest): arbitrary bytes and JSON into every write endpoint of every face,
//! over real HTTP, on SQLite and on PostgreSQL. Whatever is sent, the answer is a success or
//! a 4xx/503 in the face's own shape, never a 5xx; and afterwards every list on every face
//! still answers, with no row left that cannot be read.

use std::sync::atomic::{AtomicU64, Ordering};

use agentgw_inbound::kit::{Person, Write};
use agentgw_tests::{Gateway, postgres};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Value, json};

use crate::faces::{self, Face};

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
fn body(endpoint: &Write) -> BoxedStrategy<Body> {
    let base: Value = serde_json::from_str(endpoint.body).unwrap_or(Value::Null);
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

/// Send one case to `face`, at `endpoint` with `{id}` the target's id; check the answer's
/// status and shape.
async fn send(
    gw: &Gateway,
    face: &Face,
    endpoint: &Write,
    target: &str,
    body: &Body,
) -> Result<(), String> {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let unique = format!("u{}", NEXT.fetch_add(1, Ordering::Relaxed));
    let path = endpoint.path.replace("{id}", target);
    let bytes = match body {
        Body::Bytes(b) => b.clone(),
        Body::Json(v) => v.to_string().replace("UNIQUE", &unique).into_bytes(),
    };
    let res = face
        .request(gw, endpoint.method, &path)
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
        if !face.is_error(status, &answer) {
            return Err(format!("{status} not in the face's shape: {text}"));
        }
    }
    Ok(())
}

/// Run `cases` hostile writes against `face` on the store at `store_url`, then check that
/// every face still lists every agent and reads the target.
fn hostile_writes(face: &Face, store_url: &str, cases: u32) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let gw = faces::gateway(store_url, 16 * 1024);
    let person = Person {
        local: "target",
        first: "Target",
        last: "Agent",
    };
    let target = rt.block_on(face.create(&gw, &person));
    let writes = face.kit().writes;
    let strategy = (0..writes.len()).prop_flat_map(|i| (Just(i), body(&writes[i])));
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    let outcome = runner.run(&strategy, |(i, body)| {
        rt.block_on(send(&gw, face, &writes[i], &target, &body))
            .map_err(TestCaseError::fail)
    });
    if let Err(e) = outcome {
        panic!(
            "{} on {}: {e}",
            face.name(),
            store_url.split(':').next().unwrap_or("")
        );
    }
    rt.block_on(async {
        // Every list on every face answers (list_all checks each page), and the face read
        // back the target, whatever the cases made of it.
        for other in faces::all() {
            other.list_all(&gw, 100).await;
        }
        let (status, agent) = face.get(&gw, &target).await;
        assert!(
            status == 200 && agent.is_some(),
            "{}: the target answers {status}",
            face.name()
        );
        let logs = gw.settled_logs().await;
        assert!(
            !logs.contains("cannot be read"),
            "{}: a row was written that cannot be read",
            face.name()
        );
    });
}

/// Cases per face and store: enough to reach every endpoint many times, few enough that the
/// ten runs stay within a few seconds each.
const CASES: u32 = 160;

/// Every registered face, on SQLite.
#[test]
fn every_face_on_sqlite() {
    for face in faces::all() {
        hostile_writes(&face, "sqlite://{dir}/h.db", CASES);
    }
}

/// Every registered face, on PostgreSQL.
#[test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
fn every_face_on_postgres() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    for face in faces::all() {
        // A schema of its own per face: every face creates the same target.
        if let Some(url) = rt.block_on(postgres::fresh_url()) {
            hostile_writes(&face, &url, CASES);
        }
    }
}
