//! The status page on the admin listener and its JSON twin: routes with their traffic, an
//! upstream that is down reads as down, "only failing", reloads, the admin token, and nothing
//! secret on either.

use std::time::{Duration, Instant};

use agentgw_tests::{Gateway, client, closed_port, run_cli};
use serde_json::Value;

const ADMIN_TOKEN: &str = "e2e-admin-token-77b1";
pub(crate) const ROUTE_TOKEN: &str = "e2e-status-route-token-1c9a";
const UPSTREAM_TOKEN: &str = "e2e-status-upstream-secret-5e2f";

/// Two routes (ndoto on the store, livechat over a comm100 upstream that is down), `[admin]`
/// with a token or not, and `extra` TOML.
pub(crate) fn config(dir: &std::path::Path, admin_token: bool, extra: &str) -> String {
    let token = if admin_token {
        format!("token = \"{ADMIN_TOKEN}\"")
    } else {
        String::new()
    };
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
[admin]
listen = "127.0.0.1:0"
{token}
[store]
url = "sqlite://{}/agentgw.db"
[upstreams.legacy]
dialect = "comm100"
base_url = "http://127.0.0.1:{}/comm100"
credentials = {{ token = "{UPSTREAM_TOKEN}" }}
timeout_ms = 1000
retries = 0
[[routes]]
name = "agents"
dialect = "ndoto"
prefix = "/ndoto"
account_ids = [1]
credentials = [{{ token = "{ROUTE_TOKEN}" }}]
[[routes]]
name = "old-livechat"
dialect = "livechat"
prefix = "/legacy"
backend = "legacy"
credentials = [{{ user_id = "ops", token = "{ROUTE_TOKEN}" }}]
{extra}
"#,
        dir.display(),
        closed_port()
    )
}

fn start(admin_token: bool) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), admin_token, "");
    Gateway::start_in(crate::BIN, dir, &cfg, Vec::new())
}

async fn page(gw: &Gateway, query: &str, token: Option<&str>) -> (u16, String) {
    let admin = gw.admin.clone().expect("an admin listener");
    let mut req = client().get(format!("{admin}/{query}"));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("admin request");
    let status = res.status().as_u16();
    (status, res.text().await.unwrap_or_default())
}

async fn json(gw: &Gateway, query: &str, token: Option<&str>) -> Value {
    let (status, text) = page(gw, query, token).await;
    assert_eq!(status, 200, "{text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Wait until `check` holds of the JSON twin (snapshots are taken every 5 s).
pub(crate) async fn until(
    gw: &Gateway,
    token: Option<&str>,
    what: &str,
    check: impl Fn(&Value) -> bool,
) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v = json(gw, "?format=json", token).await;
        if check(&v) {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: {v:#}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

pub(crate) fn row<'a>(v: &'a Value, table: &str, name: &str) -> &'a Value {
    v[table]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["name"] == name))
        .unwrap_or(&Value::Null)
}

#[tokio::test]
async fn the_page_and_its_json_say_what_serves_what_fails_and_why() {
    let gw = start(false);
    let c = client();
    for _ in 0..4 {
        let ok = c
            .get(gw.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", ROUTE_TOKEN)
            .send()
            .await
            .expect("ndoto");
        assert_eq!(ok.status().as_u16(), 200);
        let failed = c
            .get(gw.url("/legacy/api/v1/livechat/users/agent"))
            .header("X-User-Id", "ops")
            .header("X-Auth-Token", ROUTE_TOKEN)
            .send()
            .await
            .expect("livechat");
        assert_eq!(failed.status().as_u16(), 502, "its upstream is down");
    }
    let v = until(&gw, None, "traffic and the upstream check show", |v| {
        row(v, "routes", "agents")["last_1m"]["requests"] == 4
            && row(v, "upstreams", "legacy")["last_check"].is_string()
    })
    .await;
    assert_eq!(
        v["readiness"]["ready"], true,
        "no upstream asks for a ready check"
    );
    assert_eq!(v["generation"]["number"], 1);
    let agents = row(&v, "routes", "agents");
    assert_eq!(agents["dialect"], "ndoto");
    assert_eq!(agents["backend"], "embedded:default");
    assert_eq!(agents["failing"], false);
    assert!(
        agents["last_1m"]["p99_ms"]
            .as_f64()
            .is_some_and(|ms| ms > 0.0),
        "{agents}"
    );
    let legacy_route = row(&v, "routes", "old-livechat");
    assert_eq!(legacy_route["failing"], true);
    assert_eq!(legacy_route["last_5m"]["share_5xx"], 1.0);
    let legacy = row(&v, "upstreams", "legacy");
    assert_eq!(legacy["state"], "down", "{legacy}");
    assert_eq!(legacy["last_error"], "connection failed");
    assert_eq!(legacy["dialect"], "comm100");
    assert_eq!(v["store"]["kind"], "sqlite");
    assert_eq!(
        v["store"]["writes_in_flight"], 0,
        "nothing is being written now"
    );
    assert!(
        v["store"]["read_pool"]["idle"]
            .as_u64()
            .is_some_and(|n| n >= 1),
        "{v}"
    );

    // Only what is failing.
    let failing = json(&gw, "?format=json&failing=1", None).await;
    let names: Vec<&str> = failing["routes"]
        .as_array()
        .map(|r| r.iter().filter_map(|x| x["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["old-livechat"]);
    assert_eq!(failing["upstreams"].as_array().map(Vec::len), Some(1));

    // The HTML says the same, and works as a page of links (no script needed).
    let (status, html) = page(&gw, "?failing=1&refresh=5", None).await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"<tr data-route="old-livechat">"#), "{html}");
    assert!(
        !html.contains(r#"<tr data-route="agents">"#),
        "only failing rows"
    );
    assert!(html.contains(r#"<span class="state down">down</span>"#));
    assert!(html.contains(r#"<meta http-equiv="refresh" content="5">"#));
    assert!(!html.contains("<script"), "no JavaScript");
    let (_, all) = page(&gw, "?sort=p99", None).await;
    assert!(all.contains(r#"<tr data-route="agents">"#));

    // Nothing secret, on either.
    let whole = json(&gw, "?format=json", None).await.to_string();
    for text in [whole.as_str(), all.as_str(), html.as_str()] {
        for secret in [ROUTE_TOKEN, UPSTREAM_TOKEN, "ops"] {
            assert!(!text.contains(secret), "{secret} shown");
        }
    }
}

#[tokio::test]
async fn reloads_accepted_and_refused_are_shown() {
    let gw = start(false);
    let dir = gw.dir.path().to_owned();
    gw.reload(&config(&dir, false, "[[routes]]\nname = \"more\"\ndialect = \"supporthub\"\nprefix = \"/more\"\ncredentials = [{ token = \"more-token-123\" }]\n"));
    let v = until(&gw, None, "generation 2", |v| {
        v["generation"]["number"] == 2
    })
    .await;
    assert_eq!(v["generation"]["last_reload"]["accepted"], true);
    assert_eq!(row(&v, "routes", "more")["dialect"], "supporthub");

    gw.reload("[server]\nlisten = \"127.0.0.1:0\"\n[[routes]]\nname = \"broken\"\n");
    let v = until(&gw, None, "a refused reload", |v| {
        v["generation"]["last_reload"]["accepted"] == false
    })
    .await;
    assert_eq!(
        v["generation"]["number"], 2,
        "the running configuration stays"
    );
    assert!(
        v["generation"]["last_reload"]["problems"]
            .as_array()
            .is_some_and(|p| !p.is_empty()),
        "{v}"
    );
}

#[tokio::test]
async fn an_admin_token_guards_the_page_its_json_and_the_metrics() {
    let gw = start(true);
    let admin = gw.admin.clone().expect("admin");
    for path in ["/", "/?format=json", "/metrics"] {
        for token in [None, Some("wrong")] {
            let mut req = client().get(format!("{admin}{path}"));
            if let Some(t) = token {
                req = req.bearer_auth(t);
            }
            let res = req.send().await.expect("admin");
            assert_eq!(res.status().as_u16(), 401, "{path} with {token:?}");
            let body = res.text().await.unwrap_or_default();
            assert!(!body.contains(ADMIN_TOKEN));
        }
        let res = client()
            .get(format!("{admin}{path}"))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("admin");
        assert_eq!(res.status().as_u16(), 200, "{path}");
        // The scheme's case does not matter (RFC 7235).
        let res = client()
            .get(format!("{admin}{path}"))
            .header("Authorization", format!("bearer {ADMIN_TOKEN}"))
            .send()
            .await
            .expect("admin");
        assert_eq!(res.status().as_u16(), 200, "{path}, lower-case scheme");
    }
}

#[test]
fn check_config_warns_of_an_open_admin_listener_without_a_token() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), false, "").replace(
        "[admin]\nlisten = \"127.0.0.1:0\"",
        "[admin]\nlisten = \"0.0.0.0:9464\"",
    );
    let path = dir.path().join("open.toml");
    std::fs::write(&path, cfg).expect("write");
    let (status, out, _) = run_cli(
        crate::BIN,
        &["check-config", "--config", &path.to_string_lossy()],
    );
    assert!(status.success(), "{out}");
    assert!(
        out.contains("warning: [admin] listens on 0.0.0.0:9464 beyond loopback without a token"),
        "{out}"
    );
    let guarded = dir.path().join("guarded.toml");
    std::fs::write(
        &guarded,
        config(dir.path(), true, "").replace(
            "[admin]\nlisten = \"127.0.0.1:0\"",
            "[admin]\nlisten = \"0.0.0.0:9464\"",
        ),
    )
    .expect("write");
    let (status, out, _) = run_cli(
        crate::BIN,
        &["check-config", "--config", &guarded.to_string_lossy()],
    );
    assert!(status.success() && !out.contains("warning"), "{out}");
    assert!(!out.contains(ADMIN_TOKEN), "the token is never printed");
}

#[tokio::test]
async fn migrations_show_their_last_run_and_a_watch_in_progress() {
    let gw = start(false);
    for who in ["ada", "grace"] {
        let res = client()
            .post(gw.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", ROUTE_TOKEN)
            .json(&serde_json::json!({"name": format!("{who} Example"), "email": format!("{who}@example.com"), "role": "agent"}))
            .send()
            .await
            .expect("create");
        assert_eq!(res.status().as_u16(), 200);
    }
    let config = gw.dir.path().join("agentgw.toml");
    let config = config.to_string_lossy();
    let args = [
        "migrate",
        "--config",
        &config,
        "--from",
        "embedded:default",
        "--to",
        "embedded:copy",
    ];
    let (status, out, err) = run_cli(crate::BIN, &args);
    assert!(status.success(), "{out}\n{err}");
    let pair = "embedded:default -> embedded:copy";
    let v = json(&gw, "?format=json", None).await;
    let m = v["migrations"]["pairs"]
        .as_array()
        .and_then(|p| p.iter().find(|m| m["run"] == pair))
        .cloned()
        .unwrap_or(Value::Null);
    assert_eq!(m["agents"], 2, "{v:#}");
    assert_eq!(m["last_run"]["number"], 1);
    assert_eq!(m["last_run"]["result"]["create"], 2);
    assert_eq!(m["last_run"]["failures"], 0);
    assert!(m["last_run"]["finished_at"].is_string());
    assert!(m["watching"].is_null(), "a single run is no watch");

    // A --watch in progress, seen from the gateway (another process on the same store).
    let mut watch = std::process::Command::new(crate::BIN)
        .args(args)
        .args(["--watch", "--interval", "1s"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("migrate --watch");
    let seen = until(&gw, None, "the watch", |v| {
        v["migrations"]["pairs"].as_array().is_some_and(|p| {
            p.iter()
                .any(|m| m["run"] == pair && m["watching"]["runs"].as_i64().is_some_and(|n| n >= 3))
        })
    })
    .await;
    let _ = watch.kill();
    let _ = watch.wait();
    let (_, html) = page(&gw, "", None).await;
    assert!(html.contains("--watch every 1 s"), "{html}");
    assert!(seen.to_string().contains("\"interval_seconds\":1"));
}
