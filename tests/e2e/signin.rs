//! Upstreams signed in as the real vendors issue credentials, against the vendor fakes:
//! Comm100's OAuth 2.0 access tokens that expire (renewed by the refresh-token grant, refresh
//! tokens rotating) and its API keys with `siteId`; Rocket.Chat's logins that expire. Secrets
//! come from files and environment variables, and never show in a log or an answer.

use std::time::{Duration, Instant};

use agentgw_tests::vendors::Fake;
use agentgw_tests::vendors::comm100::{Auth, Comm100};
use agentgw_tests::vendors::rocketchat::RocketChat;
use agentgw_tests::{Gateway, client, json as read};
use serde_json::{Value, json};

const ND: &str = "/ndoto/api/v1/accounts/1/agents";
const TOKEN: &str = agentgw_tests::TOKEN;
const CLIENT_ID: &str = "agentgw-test-app";
const CLIENT_SECRET: &str = "client-secret-5d1e";
const FIRST_REFRESH: &str = "first-refresh-token-a9c0";

/// An ndoto route over the upstream `up` (`credentials` as written in TOML), on `store`.
fn config(store: &str, dialect: &str, base: &str, credentials: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"{store}\"\n\
         [upstreams.up]\ndialect = \"{dialect}\"\nbase_url = \"{base}\"\ncredentials = {credentials}\ntimeout_ms = 5000\nretries = 0\n\
         [upstreams.up.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nlast_name = \"-\"\npassword = \"generate\"\nemail_domain = \"example.com\"\n\
         [[routes]]\nname = \"ndoto\"\ndialect = \"ndoto\"\nprefix = \"/ndoto\"\nbackend = \"up\"\ncredentials = [{{ token = \"{TOKEN}\" }}]\n"
    )
}

/// A Comm100 fake whose access tokens last `lifetime`.
fn comm100_oauth(lifetime: Duration) -> Fake<Comm100> {
    Fake::start(Comm100::new(Auth::OAuth {
        client_id: CLIENT_ID.into(),
        client_secret: Some(CLIENT_SECRET.into()),
        refresh_token: FIRST_REFRESH.into(),
        lifetime,
    }))
}

/// A gateway over `fake` signing in by OAuth, the refresh token read from a file and the
/// client secret from the environment; on `store` (`{dir}`: its own SQLite file).
fn oauth_gateway(fake: &Fake<Comm100>, store: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let secret_file = dir.path().join("refresh_token");
    std::fs::write(&secret_file, format!("{FIRST_REFRESH}\n")).expect("secret file");
    let credentials = format!(
        "{{ oauth = {{ token_url = \"{}/oauth/token\", client_id = \"{CLIENT_ID}\", client_secret_env = \"AGENTGW_TEST_C1_SECRET\", refresh_token_file = \"{}\" }} }}",
        fake.base(),
        secret_file.display()
    );
    let store = store.replace("{dir}", &dir.path().display().to_string());
    let text = config(&store, "comm100", fake.base(), &credentials);
    Gateway::start_in(
        crate::BIN,
        dir,
        &text,
        vec![("AGENTGW_TEST_C1_SECRET".into(), CLIENT_SECRET.into())],
    )
}

async fn call(
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

/// Reads and writes through `gw` for `run`; every status that was not a success.
async fn traffic(gw: &Gateway, run: Duration, tag: &str) -> (usize, Vec<(u16, Value)>) {
    let started = Instant::now();
    let (mut calls, mut failed) = (0, Vec::new());
    let mut i = 0;
    while started.elapsed() < run {
        i += 1;
        let (status, agent) = call(
            gw,
            reqwest::Method::POST,
            ND,
            Some(json!({"name": format!("Signed In{i}"), "email": format!("{tag}{i}@example.com"), "role": "agent"})),
        )
        .await;
        calls += 1;
        if status != 200 {
            failed.push((status, agent));
            if failed.len() > 3 {
                break;
            }
            continue;
        }
        let id = agent["id"].as_i64().unwrap_or_default();
        for (method, body) in [
            (reqwest::Method::GET, None),
            (
                reqwest::Method::PATCH,
                Some(json!({"name": format!("Renamed In{i}")})),
            ),
        ] {
            let (status, answer) = call(gw, method, &format!("{ND}/{id}"), body).await;
            calls += 1;
            if status != 200 {
                failed.push((status, answer));
            }
        }
        let (status, answer) = call(gw, reqwest::Method::GET, ND, None).await;
        calls += 1;
        if status != 200 {
            failed.push((status, answer));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (calls, failed)
}

/// No line of `logs` holds one of `secrets`.
fn none_in(logs: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(!logs.contains(secret.as_str()), "a secret is in the log");
    }
}

/// Every access and refresh token the fake issued, and the configured secrets.
fn issued(fake: &Fake<Comm100>, requests: &[agentgw_tests::vendors::Logged]) -> Vec<String> {
    let _ = fake;
    let mut out = vec![FIRST_REFRESH.to_owned(), CLIENT_SECRET.to_owned()];
    for r in requests {
        if let Some(Value::String(form)) = &r.body {
            out.extend(
                form.split('&')
                    .filter_map(|kv| kv.strip_prefix("refresh_token="))
                    .map(str::to_owned),
            );
        }
    }
    out
}

#[tokio::test]
async fn oauth_tokens_are_renewed_once_per_expiry_and_a_restart_uses_the_rotated_refresh_token() {
    let fake = comm100_oauth(Duration::from_secs(1));
    let mut gw = oauth_gateway(&fake, "sqlite://{dir}/a.db");
    let (calls, failed) = traffic(&gw, Duration::from_secs(12), "oauth").await;
    assert!(
        failed.is_empty(),
        "{} of {calls} calls failed: {failed:?}",
        failed.len()
    );
    let (requests, refusals) = fake.with(|c| (c.token_requests, c.token_refusals));
    // About one per second of access token; never one per call.
    assert!(
        (8..=16).contains(&requests),
        "{requests} token requests for 12 s of 1-second tokens and {calls} calls"
    );
    assert_eq!(refusals, 0);

    // The configured refresh token was spent long ago: a restart renews with the stored one.
    gw.restart();
    let (calls, failed) = traffic(&gw, Duration::from_secs(3), "restarted").await;
    assert!(
        failed.is_empty(),
        "{} of {calls} calls failed after a restart: {failed:?}",
        failed.len()
    );
    assert_eq!(fake.with(|c| c.token_refusals), 0, "no invalid_grant");

    let logs = gw.settled_logs().await;
    none_in(&logs, &issued(&fake, &fake.requests()));
    assert!(!logs.contains("at-"), "no access token in the log");
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn two_gateways_on_one_postgres_never_spend_a_refresh_token_twice() {
    let Some(url) = agentgw_tests::postgres::fresh_url().await else {
        return;
    };
    let fake = comm100_oauth(Duration::from_secs(1));
    let (a, b) = (oauth_gateway(&fake, &url), oauth_gateway(&fake, &url));
    let ((calls_a, failed_a), (calls_b, failed_b)) = tokio::join!(
        traffic(&a, Duration::from_secs(10), "gwa"),
        traffic(&b, Duration::from_secs(10), "gwb")
    );
    assert!(
        failed_a.is_empty() && failed_b.is_empty(),
        "{failed_a:?} {failed_b:?}"
    );
    let (requests, refusals) = fake.with(|c| (c.token_requests, c.token_refusals));
    assert_eq!(refusals, 0, "no refresh token was spent twice");
    assert!(
        requests <= 16,
        "{requests} token requests for two gateways, 10 s of 1-second tokens, {} calls",
        calls_a + calls_b
    );
}

#[tokio::test]
async fn a_revoked_grant_is_a_502_readyz_not_ready_one_error_line_and_few_token_requests() {
    let fake = comm100_oauth(Duration::from_secs(60));
    let gw = oauth_gateway(&fake, "sqlite://{dir}/a.db");
    let (status, _) = call(&gw, reqwest::Method::GET, ND, None).await;
    assert_eq!(status, 200);
    fake.with(Comm100::revoke);
    let before = fake.with(|c| c.token_requests);
    for _ in 0..20 {
        let (status, body) = call(&gw, reqwest::Method::GET, ND, None).await;
        assert_eq!(status, 502, "{body}");
        assert!(body["error"].is_string(), "ndoto's error shape: {body}");
    }
    let spent = fake.with(|c| c.token_requests) - before;
    assert!(spent <= 2, "{spent} token requests: back off, never a loop");
    let (status, body) = read(
        client()
            .get(gw.url("/readyz"))
            .send()
            .await
            .expect("readyz"),
    )
    .await;
    assert_eq!(status, 503, "{body}");
    let why = body["upstreams"]["up"].as_str().unwrap_or_default();
    assert!(why.contains("invalid_grant"), "{body}");
    let logs = gw.settled_logs().await;
    let errors = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("sign-in refused"))
        .count();
    assert_eq!(errors, 1, "{logs}");
    assert!(logs.contains("upstream=up"), "the line names the upstream");
}

#[tokio::test]
async fn api_keys_are_basic_auth_with_the_site_id_on_every_call() {
    let fake = Fake::start(Comm100::new(Auth::ApiKey {
        email: "admin@example.com".into(),
        key: "api-key-0b6f".into(),
        site_id: 10000,
    }));
    let dir = tempfile::tempdir().expect("tempdir");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, "api-key-0b6f").expect("key file");
    let credentials = format!(
        "{{ api_key = {{ email = \"admin@example.com\", key_file = \"{}\", site_id = 10000 }} }}",
        key_file.display()
    );
    let store = format!("sqlite://{}/a.db", dir.path().display());
    let gw = Gateway::start_in(
        crate::BIN,
        dir,
        &config(&store, "comm100", fake.base(), &credentials),
        Vec::new(),
    );
    let (calls, failed) = traffic(&gw, Duration::from_secs(1), "key").await;
    assert!(failed.is_empty(), "{failed:?}");
    let sent = fake.requests();
    assert!(sent.len() >= calls);
    assert!(
        sent.iter()
            .all(|r| r.query.contains(&("siteId".into(), "10000".into()))),
        "siteId on every call"
    );
    assert_eq!(fake.with(|c| c.unauthorized), 0);
    none_in(&gw.settled_logs().await, &["api-key-0b6f".to_owned()]);
}

#[tokio::test]
async fn rocketchat_logins_are_made_again_when_they_expire_and_a_wrong_password_is_a_502() {
    let fake = Fake::start(RocketChat::new("pat-user", "pat-token"));
    fake.with(|rc| rc.allow_login("gateway-bot", "bot-password-33e1", Duration::from_secs(1)));
    let dir = tempfile::tempdir().expect("tempdir");
    let store = format!("sqlite://{}/a.db", dir.path().display());
    let credentials =
        "{ login = { user = \"gateway-bot\", password_env = \"AGENTGW_TEST_RC_PASSWORD\" } }";
    let gw = Gateway::start_in(
        crate::BIN,
        dir,
        &config(&store, "livechat", fake.base(), credentials),
        vec![(
            "AGENTGW_TEST_RC_PASSWORD".into(),
            "bot-password-33e1".into(),
        )],
    );
    let started = Instant::now();
    let mut calls = 0;
    while started.elapsed() < Duration::from_secs(5) {
        let (status, body) = call(&gw, reqwest::Method::GET, ND, None).await;
        assert_eq!(status, 200, "{body}");
        calls += 1;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let logins = fake.with(|rc| rc.logins);
    assert!(
        (3..=8).contains(&logins),
        "{logins} logins for 5 s of 1-second logins and {calls} calls"
    );

    // The password changes under the gateway: the next login is refused.
    fake.with(|rc| rc.set_password("changed"));
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let (status, body) = call(&gw, reqwest::Method::GET, ND, None).await;
    assert_eq!(status, 502, "{body}");
    let (status, ready) = read(
        client()
            .get(gw.url("/readyz"))
            .send()
            .await
            .expect("readyz"),
    )
    .await;
    assert_eq!(status, 503, "{ready}");
    let logs = gw.settled_logs().await;
    none_in(&logs, &["bot-password-33e1".to_owned()]);
    assert_eq!(
        logs.lines()
            .filter(|l| l.contains("ERROR") && l.contains("login refused"))
            .count(),
        1,
        "{logs}"
    );
}

#[test]
fn check_config_names_a_missing_secret_file_or_variable_and_never_a_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("c.toml");
    let credentials = "{ oauth = { token_url = \"https://dash15.comm100.io/oauth/token\", client_id = \"app\", client_secret = \"inline-secret-71aa\", refresh_token_file = \"/nonexistent/agentgw/refresh\" } }";
    std::fs::write(
        &path,
        config(
            "sqlite::memory:",
            "comm100",
            "https://api.comm100.io",
            credentials,
        ),
    )
    .expect("write");
    let (status, out, err) = agentgw_tests::run_cli(
        crate::BIN,
        &["check-config", "--config", &path.display().to_string()],
    );
    assert_eq!(status.code(), Some(1), "{out}{err}");
    assert!(
        err.contains("refresh_token_file: cannot read `/nonexistent/agentgw/refresh`"),
        "{err}"
    );
    assert!(!out.contains("inline-secret-71aa") && !err.contains("inline-secret-71aa"));
    let env = credentials.replace(
        "refresh_token_file = \"/nonexistent/agentgw/refresh\"",
        "refresh_token_env = \"AGENTGW_TEST_UNSET_4C7D\"",
    );
    std::fs::write(
        &path,
        config("sqlite::memory:", "comm100", "https://api.comm100.io", &env),
    )
    .expect("write");
    let (status, _, err) = agentgw_tests::run_cli(
        crate::BIN,
        &["check-config", "--config", &path.display().to_string()],
    );
    assert_eq!(status.code(), Some(1));
    assert!(
        err.contains("`AGENTGW_TEST_UNSET_4C7D` is not set"),
        "{err}"
    );
}

#[tokio::test]
async fn migrate_signs_in_the_same_way_and_its_tokens_outlive_one_access_token() {
    let fake = comm100_oauth(Duration::from_secs(1));
    // 150 creates one at a time, each 10 ms late: the run outlives a 1-s access token however
    // fast the machine (on a fast one it finished within one, and the test failed).
    fake.set_latency(Duration::from_millis(10));
    // Agents in a source helpdesk (a gateway's embedded store behind its ndoto face).
    let source = agentgw_tests::Gateway::start(crate::BIN);
    for i in 0..150 {
        let res = client()
            .post(source.url(ND))
            .header("api_access_token", TOKEN)
            .json(&json!({"name": format!("Moved Agent{i}"), "email": format!("moved{i}@example.com"), "role": "agent"}))
            .send()
            .await
            .expect("create");
        assert_eq!(res.status(), 200);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let refresh = dir.path().join("refresh");
    std::fs::write(&refresh, FIRST_REFRESH).expect("refresh file");
    let text = format!(
        "[store]\nurl = \"sqlite://{d}/m.db\"\n\
         [upstreams.src]\ndialect = \"ndoto\"\nbase_url = \"{src}/ndoto\"\ncredentials = {{ token = \"{TOKEN}\" }}\naccount_id = 1\n\
         [upstreams.dst]\ndialect = \"comm100\"\nbase_url = \"{dst}\"\ncredentials = {{ oauth = {{ token_url = \"{dst}/oauth/token\", client_id = \"{CLIENT_ID}\", client_secret = \"{CLIENT_SECRET}\", refresh_token_file = \"{r}\" }} }}\n\
         [upstreams.dst.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nlast_name = \"-\"\npassword = \"generate\"\n",
        d = dir.path().display(),
        src = source.base,
        dst = fake.base(),
        r = refresh.display(),
    );
    let config = dir.path().join("m.toml");
    std::fs::write(&config, text).expect("config");
    let passwords = dir.path().join("passwords.tsv");
    let (status, out, err) = agentgw_tests::run_cli(
        crate::BIN,
        &[
            "migrate",
            "--config",
            &config.display().to_string(),
            "--from",
            "src",
            "--to",
            "dst",
            "--concurrency",
            "1",
            "--passwords-file",
            &passwords.display().to_string(),
        ],
    );
    assert!(status.success(), "{out}{err}");
    assert_eq!(fake.with(|c| c.agents().len()), 150);
    let (requests, refusals) = fake.with(|c| (c.token_requests, c.token_refusals));
    assert!(
        requests >= 2,
        "the migration ran past an access token ({requests} requests)"
    );
    assert_eq!(refusals, 0);
    assert!(!err.contains(FIRST_REFRESH) && !out.contains(FIRST_REFRESH));
}
