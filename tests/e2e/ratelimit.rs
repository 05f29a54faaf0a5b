//! Upstreams that rate-limit, as the real vendors do (`agentgw_tests::vendors::limit`, scaled
//! down): a migration into each limited fake completes with every agent, budget configured or
//! learned; a proxied face answers only its own 200s and 429s with `Retry-After`, and the vendor
//! refuses at most a couple of calls; a vendor's long `Retry-After` is waited out by a
//! migration and answered at once to a proxied client; gateways sharing PostgreSQL share one
//! budget.

use std::time::{Duration, Instant};

use agentgw_tests::vendors::chatwoot::Chatwoot;
use agentgw_tests::vendors::comm100::{self, Comm100};
use agentgw_tests::vendors::libredesk::Libredesk;
use agentgw_tests::vendors::limit::Limiter;
use agentgw_tests::vendors::rocketchat::RocketChat;
use agentgw_tests::vendors::{Fake, Vendor};
use agentgw_tests::{Gateway, TOKEN};

use crate::migrate::{helpdesk, seed};

/// The credentials the fakes accept.
const CW_TOKEN: &str = "rl-chatwoot-token-51aa";
const RC_USER: &str = "rl-rc-admin";
const RC_TOKEN: &str = "rl-rc-token-0b7e";
const C1_TOKEN: &str = "rl-comm100-token-77d0";
const LD_KEY: &str = "rl-ld-key";
const LD_SECRET: &str = "rl-ld-secret-4e19";

/// Agents each migration copies.
const AGENTS: usize = 50;

/// A fake vendor of `dialect`, its `credentials` (TOML) and the limit test configurations put
/// on it.
struct Target<V: Vendor> {
    fake: Fake<V>,
    dialect: &'static str,
    credentials: String,
}

fn comm100() -> Target<Comm100> {
    comm100_allowing(25)
}

/// A Comm100 that allows `calls` per 2 s.
fn comm100_allowing(calls: u64) -> Target<Comm100> {
    let fake = Fake::start(Comm100::new(comm100::Auth::Bearer(C1_TOKEN.into())));
    fake.limit(Limiter::comm100(calls, Duration::from_secs(2)));
    Target {
        fake,
        dialect: "comm100",
        credentials: format!("{{ token = \"{C1_TOKEN}\" }}"),
    }
}

fn chatwoot() -> Target<Chatwoot> {
    let fake = Fake::start(Chatwoot::new(CW_TOKEN, 1));
    fake.limit(Limiter::chatwoot(25, Duration::from_secs(2)));
    Target {
        fake,
        dialect: "ndoto",
        credentials: format!("{{ token = \"{CW_TOKEN}\" }}"),
    }
}

/// A Rocket.Chat whose users `person0000`… exist (agents are registered from its users).
fn rocket_chat() -> Target<RocketChat> {
    let fake = Fake::start(RocketChat::new(RC_USER, RC_TOKEN));
    fake.with(|rc| {
        for i in 0..AGENTS {
            let name = format!("person{i:04}");
            rc.add_user(
                &name,
                &format!("Person {i:04}"),
                &format!("{name}@example.com"),
            );
        }
    });
    fake.limit(Limiter::rocket_chat(25, Duration::from_secs(2)));
    Target {
        fake,
        dialect: "livechat",
        credentials: format!("{{ user_id = \"{RC_USER}\", token = \"{RC_TOKEN}\" }}"),
    }
}

/// `agentgw migrate` from `source`'s ndoto face into `target`, with `options` on the target
/// upstream: whether it succeeded, and its output.
fn migrate<V: Vendor>(source: &Gateway, target: &Target<V>, options: &str) -> (bool, String) {
    let (mut command, _dir) = migrate_command(source, target, options);
    let out = command.output().expect("run migrate");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), output)
}

/// The command of [`migrate`], and the folder of its configuration and store.
fn migrate_command<V: Vendor>(
    source: &Gateway,
    target: &Target<V>,
    options: &str,
) -> (std::process::Command, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = format!(
        "[store]\nurl = \"sqlite://{dir}/migrate.db\"\n\n\
         [upstreams.src]\ndialect = \"ndoto\"\nbase_url = \"{s}/ndoto\"\ncredentials = {{ token = \"{TOKEN}\" }}\n\n\
         [upstreams.dst]\ndialect = \"{dialect}\"\nbase_url = \"{t}\"\ncredentials = {c}\n{options}\n\
         [upstreams.dst.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nlast_name = \"-\"\nemail_domain = \"example.com\"\npassword = \"generate\"\n",
        dir = dir.path().display(),
        s = source.base,
        dialect = target.dialect,
        t = target.fake.base(),
        c = target.credentials,
    );
    let path = dir.path().join("migrate.toml");
    std::fs::write(&path, config).expect("write config");
    let mut command = std::process::Command::new(crate::BIN);
    command
        .args(["migrate", "--config", path.to_str().expect("utf-8")])
        .args(["--from", "src", "--to", "dst", "--concurrency", "4"])
        .arg("--passwords-file")
        .arg(dir.path().join("passwords.tsv"));
    (command, dir)
}

/// Migrate the seeded source into a fresh `target()` twice — learning the vendor's limit, then
/// with `budget` configured — and check each run: every agent arrived, exit 0, and with the
/// budget configured the vendor refused at most `refused_at_most` calls.
async fn migrates_whole<V: Vendor>(
    target: fn() -> Target<V>,
    held: fn(&mut V) -> usize,
    budget: &str,
    refused_at_most: u64,
) {
    let source = helpdesk();
    seed(&source, AGENTS).await;
    for options in ["", budget] {
        let target = target();
        let (ok, output) = migrate(&source, &target, options);
        let (allowed, refused) = target.fake.limited();
        let what = format!(
            "into {} ({}): {allowed} calls let through, {refused} refused\n{output}",
            target.dialect,
            if options.is_empty() {
                "learned"
            } else {
                options
            }
        );
        assert!(ok, "exit 0 {what}");
        assert_eq!(target.fake.with(held), AGENTS, "every agent {what}");
        assert!(
            output.contains("rate limit: `dst`"),
            "the summary says what it waited {what}"
        );
        if !options.is_empty() {
            assert!(refused <= refused_at_most, "paced, not refused, {what}");
        }
    }
}

#[tokio::test]
async fn a_migration_into_a_limited_comm100_keeps_every_agent() {
    migrates_whole(
        comm100,
        |c| c.agents().len(),
        "rate_limit = { requests = 25, per = \"2s\" }",
        1,
    )
    .await;
}

#[tokio::test]
async fn a_migration_into_a_limited_chatwoot_keeps_every_agent() {
    migrates_whole(
        chatwoot,
        |c| c.agents().len(),
        "rate_limit = { requests = 25, per = \"2s\" }",
        1,
    )
    .await;
}

#[tokio::test]
async fn a_migration_into_a_limited_rocket_chat_keeps_every_agent() {
    migrates_whole(
        rocket_chat,
        |rc| rc.agents().len(),
        "rate_limit = { requests = 25, per = \"2s\", scope = \"endpoint\" }",
        1,
    )
    .await;
}

/// A gateway serving every face over the upstream `up` (a fake vendor), with `options` on it
/// and an admin listener.
fn gateway_over<V: Vendor>(target: &Target<V>, options: &str, store: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = format!(
        "[admin]\nlisten = \"127.0.0.1:0\"\n\n[upstreams.up]\ndialect = \"{dialect}\"\nbase_url = \"{base}\"\ncredentials = {c}\n{options}\n",
        dialect = target.dialect,
        base = target.fake.base(),
        c = target.credentials,
    );
    let store = store.replace("{dir}", &dir.path().display().to_string());
    Gateway::start_in(
        crate::BIN,
        dir,
        &crate::faces::config(&store, 16 * 1024, "up", &extra),
        Vec::new(),
    )
}

/// `clients` clients at once, each sending `each` GETs of `path` to `face`'s route on `gw`:
/// every status and `Retry-After` seen.
async fn crowd(
    gw: &Gateway,
    face: &str,
    path: &str,
    clients: usize,
    each: usize,
) -> Vec<(u16, Option<u64>)> {
    let face = crate::faces::named(face);
    let one = |_| async {
        let mut seen = Vec::new();
        for _ in 0..each {
            let res = face.request(gw, "GET", path).send().await.expect("send");
            let after = res
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse().ok());
            // Read through the contract check: a 429 is in the face's own error shape.
            let (status, body) = agentgw_tests::json(res).await;
            assert!(
                status != 429 || face.is_error(status, &body),
                "{}: a 429 not in the face's error shape: {body}",
                face.name()
            );
            seen.push((status, after));
        }
        seen
    };
    futures_util::future::join_all((0..clients).map(one))
        .await
        .into_iter()
        .flatten()
        .collect()
}

/// Only the face's 200s, and 429s that say when to come back.
fn only_answers_and_429s(seen: &[(u16, Option<u64>)], what: &str) {
    for (status, after) in seen {
        match status {
            200 => {}
            429 => assert!(
                after.is_some_and(|a| a >= 1),
                "{what}: a 429 without Retry-After"
            ),
            other => panic!("{what}: {other} among {seen:?}"),
        }
    }
    assert!(seen.iter().any(|(s, _)| *s == 200), "{what}: some answers");
}

#[tokio::test]
async fn a_proxied_face_under_a_crowd_never_hammers_its_vendor() {
    // Comm100's limit configured: calls are paced; what cannot wait 1 s is the face's 429.
    let target = comm100_allowing(12);
    let gw = gateway_over(
        &target,
        "rate_limit = { requests = 12, per = \"2s\" }\nmax_wait = \"1s\"",
        "sqlite://{dir}/agentgw.db",
    );
    let seen = crowd(&gw, "comm100", "/v4/global/agents", 8, 6).await;
    only_answers_and_429s(&seen, "comm100 face over a limited Comm100");
    assert!(
        seen.iter().any(|(s, _)| *s == 429),
        "a crowd outruns 12 calls per 2 s: {seen:?}"
    );
    let (_, refused) = target.fake.limited();
    assert!(refused <= 2, "the vendor refused {refused} calls");
    // What it cost shows on the status page, and what clients were told in the metrics.
    let v = crate::status::until(&gw, None, "the budget's cost on the status page", |v| {
        let r = &crate::status::row(v, "upstreams", "up")["rate_limit"];
        r["delayed_5m"].as_u64().is_some_and(|n| n > 0)
            && r["refused_5m"].as_u64().is_some_and(|n| n > 0)
    })
    .await;
    let r = &crate::status::row(&v, "upstreams", "up")["rate_limit"];
    assert!(
        r["budget"]
            .as_str()
            .is_some_and(|b| b.starts_with("12 per 2s")),
        "{r:#}"
    );
    assert!(r["calls_1m"].as_u64().is_some_and(|n| n > 0), "{r:#}");
    let metrics = agentgw_tests::client()
        .get(format!("{}/metrics", gw.admin.clone().expect("admin")))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .unwrap_or_default();
    for name in [
        "agentgw_upstream_throttled_total{upstream=\"up\"}",
        "agentgw_upstream_throttle_refused_total{upstream=\"up\"}",
        "agentgw_upstream_throttle_wait_seconds_bucket{upstream=\"up\",le=\"0.5\"}",
    ] {
        assert!(metrics.contains(name), "{name} in {metrics}");
    }

    // Rocket.Chat's limit learned from its headers alone (nothing configured).
    let target = rocket_chat();
    let gw = gateway_over(&target, "max_wait = \"1s\"", "sqlite://{dir}/agentgw.db");
    let seen = crowd(
        &gw,
        "livechat",
        "/api/v1/livechat/users/agent?count=10",
        8,
        6,
    )
    .await;
    only_answers_and_429s(&seen, "livechat face over a limited Rocket.Chat");
    let (_, refused) = target.fake.limited();
    assert!(refused <= 2, "the vendor refused {refused} calls");
    let livechat_429 = seen.iter().find(|(s, _)| *s == 429);
    assert!(livechat_429.is_some(), "{seen:?}");
}

#[tokio::test]
async fn a_long_retry_after_is_waited_out_by_a_migration_and_answered_at_once_to_a_client() {
    // Libredesk's own limiter (on its login and widget routes in the real product), here in
    // front of the agents API: 8 calls per 30 s, then `Retry-After: 30`.
    let fake = Fake::start(Libredesk::new(LD_KEY, LD_SECRET));
    fake.limit(Limiter::libredesk(8, Duration::from_secs(30)));
    let target = Target {
        fake,
        dialect: "libredesk",
        credentials: format!("{{ key = \"{LD_KEY}\", secret = \"{LD_SECRET}\" }}"),
    };
    // A proxied client spends the vendor's window; past it, it is told at once how long to
    // wait, instead of waiting 30 s or getting a 502, 503 or 504.
    let proxy = gateway_over(&target, "max_wait = \"2s\"", "sqlite://{dir}/agentgw.db");
    let seen = crowd(&proxy, "libredesk", "/api/v1/agents", 1, 8).await;
    assert!(
        seen.iter().all(|(s, _)| *s == 200),
        "{seen:?}; the vendor: {:?} {:?}",
        target.fake.limited(),
        target.fake.requests()
    );
    let asked = Instant::now();
    let seen = crowd(&proxy, "libredesk", "/api/v1/agents", 1, 1).await;
    let (status, after) = seen[0];
    assert_eq!(status, 429, "the proxied read past the window: {seen:?}");
    assert!(
        after.is_some_and(|a| (20..=32).contains(&a)),
        "Retry-After: {seen:?}"
    );
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "answered at once"
    );
    assert_eq!(target.fake.limited(), (8, 0), "and not sent to be refused");

    // A migration that meets the vendor's `Retry-After: 30` waits it out and copies every
    // agent (a read, then a POST and a password PUT each: five calls).
    let source = helpdesk();
    seed(&source, 2).await;
    let started = Instant::now();
    let (mut run, _dir) = migrate_command(&source, &target, "");
    let out = tokio::task::spawn_blocking(move || run.output())
        .await
        .expect("join")
        .expect("migrate");
    let output = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{output}");
    assert_eq!(target.fake.with(|l| l.agents().len()), 2, "{output}");
    assert!(
        output.contains("1 refused with 429 and sent again"),
        "{output}"
    );
    assert_eq!(
        output.matches("is refusing calls as too many").count(),
        1,
        "one WARN when the upstream starts refusing: {output}"
    );
    assert!(
        started.elapsed() >= Duration::from_secs(25),
        "the wait was the vendor's: {output}"
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn gateways_sharing_postgres_share_one_budget() {
    let Some(url) = agentgw_tests::postgres::fresh_url().await else {
        return;
    };
    let target = comm100();
    let budget = "rate_limit = { requests = 25, per = \"2s\" }\nmax_wait = \"3s\"";
    let (a, b) = (
        gateway_over(&target, budget, &url),
        gateway_over(&target, budget, &url),
    );
    let started = Instant::now();
    let (seen_a, seen_b) = tokio::join!(
        crowd(&a, "comm100", "/v4/global/agents", 4, 8),
        crowd(&b, "comm100", "/v4/global/agents", 4, 8),
    );
    let took = started.elapsed();
    only_answers_and_429s(&seen_a, "gateway A");
    only_answers_and_429s(&seen_b, "gateway B");
    let (allowed, refused) = target.fake.limited();
    assert!(
        refused <= 1,
        "the vendor refused {refused} of {allowed} calls"
    );
    // Together within the one budget: 25 per 2 s (and a first call), however they split it.
    let most = 1 + (took.as_secs_f64() / 2.0 * 25.0).ceil() as u64;
    assert!(allowed <= most, "{allowed} calls in {took:?}");
}
