//! `ratelimit <agentgw> <agents>`: scenario 12, a vendor's rate limit (its `shared` part on
//! the PostgreSQL `AGENTGW_TEST_POSTGRES_URL` names, in a schema of its own).
//!
//! A fake Comm100 (`agentgw_tests::vendors`) behind its limiter as Comm100 documents it (a
//! sliding count per client, a bare 429), scaled to 20 calls per 2 s:
//!
//! - `configured`: `agentgw migrate` of `<agents>` agents into it with the budget configured;
//! - `learned`: the same into a fresh one with nothing configured;
//! - `shared` (with PostgreSQL): two gateways on one database, its budget configured on both,
//!   under 8 clients each for 20 s.
//!
//! Each prints one line of `key=value`: calls the vendor let through and refused, the span
//! from its first to its last call, the achieved rate against the budget and the share refused.

use std::time::{Duration, Instant};

use agentgw_tests::vendors::Fake;
use agentgw_tests::vendors::comm100::{Auth, Comm100};
use agentgw_tests::vendors::limit::Limiter;

/// The vendor's limit, scaled down: 20 calls per 2 s.
const CALLS: u64 = 20;
const PER: Duration = Duration::from_secs(2);
const TOKEN: &str = "bench-comm100-token";
const ROUTE_TOKEN: &str = "bench-route-token";

fn vendor() -> Fake<Comm100> {
    let fake = Fake::start(Comm100::new(Auth::Bearer(TOKEN.into())));
    fake.limit(Limiter::comm100(CALLS, PER));
    fake
}

/// The upstream table of `fake`, with `options`.
fn upstream(fake: &Fake<Comm100>, options: &str) -> String {
    format!(
        "[upstreams.c100]\ndialect = \"comm100\"\nbase_url = \"{}\"\ncredentials = {{ token = \"{TOKEN}\" }}\n{options}\n\
         [upstreams.c100.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nlast_name = \"-\"\npassword = \"generate\"\n",
        fake.base()
    )
}

/// One line: what the vendor saw of a run.
fn report(name: &str, fake: &Fake<Comm100>, extra: &str) {
    let (allowed, refused) = fake.limited();
    let span = fake.limited_span().as_secs_f64();
    let budget = CALLS as f64 / PER.as_secs_f64();
    // Calls beyond the first, over the span they took: the rate the vendor saw.
    let rate = if span > 0.0 {
        allowed.saturating_sub(1) as f64 / span
    } else {
        0.0
    };
    println!(
        "{name} calls={allowed} refused={refused} span_s={span:.1} rate={rate:.2} budget={budget:.2} \
         ratio={:.3} refused_share={:.4}{extra}",
        rate / budget,
        refused as f64 / (allowed + refused).max(1) as f64
    );
}

/// Migrate `agents` seeded agents into a fresh limited vendor, with `options` on it.
async fn migrate(bin: &str, agents: u64, name: &str, options: &str) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let store = format!("sqlite://{}/source.db", dir.path().display());
    agentgw_bench::seed(&store, agents)
        .await
        .map_err(|e| e.to_string())?;
    let fake = vendor();
    let config = format!("[store]\nurl = \"{store}\"\n\n{}", upstream(&fake, options));
    let path = dir.path().join("migrate.toml");
    std::fs::write(&path, config).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let out = tokio::process::Command::new(bin)
        .args(["migrate", "--config"])
        .arg(&path)
        .args([
            "--from",
            "embedded:default",
            "--to",
            "c100",
            "--concurrency",
            "4",
        ])
        .arg("--passwords-file")
        .arg(dir.path().join("passwords.tsv"))
        .output()
        .await
        .map_err(|e| e.to_string())?;
    if std::env::var_os("BENCH_RATELIMIT_TRACE").is_some() {
        for line in String::from_utf8_lossy(&out.stderr).lines() {
            eprintln!("  {name}: {line}");
        }
    }
    if std::env::var_os("BENCH_RATELIMIT_TRACE").is_some() {
        let calls = fake.limited_calls();
        let seconds = calls.last().map_or(0, |(t, _)| *t as usize + 1);
        let per: Vec<String> = (0..seconds)
            .map(|s| {
                let in_second = calls.iter().filter(|(t, _)| *t as usize == s);
                let ok = in_second.clone().filter(|(_, ok)| *ok).count();
                let refused = in_second.count() - ok;
                if refused > 0 {
                    format!("{ok}/{refused}x")
                } else {
                    ok.to_string()
                }
            })
            .collect();
        eprintln!("  {name} calls per second: {}", per.join(" "));
    }
    let held = fake.with(|c| c.agents().len());
    let summary = String::from_utf8_lossy(&out.stdout)
        .lines()
        .find(|l| l.starts_with("rate limit:"))
        .unwrap_or("")
        .to_owned();
    report(
        name,
        &fake,
        &format!(
            " exit={} agents={held}/{agents} run_s={:.1} summary=\"{summary}\"",
            out.status.code().unwrap_or(-1),
            started.elapsed().as_secs_f64()
        ),
    );
    Ok(())
}

/// Two gateways on one PostgreSQL over one limited vendor, 8 clients each for `seconds`.
async fn shared(bin: &str, url: &str, seconds: u64) -> Result<(), String> {
    let fake = vendor();
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"{url}\"\n\n{}\
         [[routes]]\nname = \"c100\"\ndialect = \"comm100\"\nprefix = \"/comm100\"\nbackend = \"c100\"\ncredentials = [{{ token = \"{ROUTE_TOKEN}\" }}]\n",
        upstream(
            &fake,
            &format!("rate_limit = {{ requests = {CALLS}, per = \"2s\" }}\nmax_wait = \"2s\""),
        )
    );
    let start = || {
        let dir = tempfile::tempdir().expect("tempdir");
        agentgw_tests::Gateway::start_in(bin, dir, &config, Vec::new())
    };
    let gateways = [start(), start()];
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let one = |base: String| {
        let client = client.clone();
        async move {
            let (mut ok, mut too_many, mut other) = (0u64, 0u64, 0u64);
            while Instant::now() < deadline {
                match client
                    .get(format!("{base}/comm100/v4/global/agents"))
                    .bearer_auth(ROUTE_TOKEN)
                    .send()
                    .await
                    .map(|r| r.status().as_u16())
                {
                    Ok(200) => ok += 1,
                    Ok(429) => too_many += 1,
                    _ => other += 1,
                }
            }
            (ok, too_many, other)
        }
    };
    let clients = gateways
        .iter()
        .flat_map(|g| std::iter::repeat_n(g.base.clone(), 8))
        .map(one);
    let (mut ok, mut too_many, mut other) = (0, 0, 0);
    for (a, b, c) in futures_util::future::join_all(clients).await {
        (ok, too_many, other) = (ok + a, too_many + b, other + c);
    }
    report(
        "shared",
        &fake,
        &format!(" gateways=2 clients=16 answered_200={ok} answered_429={too_many} other={other}"),
    );
    Ok(())
}

#[tokio::main]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: ratelimit <agentgw> <agents>";
    let bin = args.next().ok_or(usage)?;
    let agents: u64 = args
        .next()
        .ok_or(usage)?
        .parse()
        .map_err(|e| format!("{usage}: {e}"))?;
    migrate(
        &bin,
        agents,
        "configured",
        &format!("rate_limit = {{ requests = {CALLS}, per = \"2s\" }}"),
    )
    .await?;
    migrate(&bin, agents, "learned", "").await?;
    match std::env::var(agentgw_tests::postgres::ENV) {
        Ok(_) => {
            let url = agentgw_tests::postgres::fresh_url()
                .await
                .ok_or("no PostgreSQL")?;
            shared(&bin, &url, 20).await?;
        }
        Err(_) => println!(
            "shared SKIPPED: no PostgreSQL (set {})",
            agentgw_tests::postgres::ENV
        ),
    }
    Ok(())
}
