//! Benchmark: `GET /api/agents?per_page=100` on a store of N agents (default 100,000).
//!
//! Seeds the embedded store directly, starts the real gateway binary on it, times pages at the
//! start, middle and end of the list, and reads the gateway's peak RSS from /proc, to show a
//! page is answered without loading every agent. Usage: `supporthub-page [AGENTS] [GATEWAY_BIN]`.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TOKEN: &str = "bench-token";
const ROUNDS: usize = 50;

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or_default()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let agents: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(100_000);
    let bin = args
        .next()
        .unwrap_or_else(|| "target/release/agentgw".into());
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}/bench.db", dir.path().display());

    let seeded_in = std::time::Duration::from_secs_f64(agentgw_bench::seed(&url, agents).await?);

    let config = dir.path().join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"{url}\"\n[[routes]]\nname = \"sh\"\ndialect = \"supporthub\"\nprefix = \"/sh\"\ncredentials = [{{ token = \"{TOKEN}\" }}]\n"
        ),
    )?;
    let mut child = Command::new(&bin)
        .args(["serve", "--config"])
        .arg(&config)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    let pid = child.id();
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let base = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find_map(|l| l.strip_prefix("agentgw listening on ").map(String::from))
        .ok_or("gateway did not start")?;
    let rss_idle = agentgw_bench::rss_kib(pid, "VmRSS:");

    let client = reqwest::Client::new();
    let last_page = agents.div_ceil(100).max(1);
    println!(
        "supporthub GET /api/agents?per_page=100 on {agents} agents (seeded in {:.1}s), {ROUNDS} requests per row",
        seeded_in.as_secs_f64()
    );
    println!(
        "{:<12} {:>10} {:>10} {:>10} {:>12}",
        "page", "p50 ms", "p99 ms", "items", "body bytes"
    );
    for page in [1, last_page / 2, last_page] {
        let mut times = Vec::with_capacity(ROUNDS);
        let (mut items, mut bytes) = (0, 0);
        for _ in 0..ROUNDS {
            let started = Instant::now();
            let res = client
                .get(format!("{base}/sh/api/agents?per_page=100&page={page}"))
                .bearer_auth(TOKEN)
                .send()
                .await?;
            let body = res.bytes().await?;
            times.push(started.elapsed());
            bytes = body.len();
            items = serde_json::from_slice::<serde_json::Value>(&body)?["data"]
                .as_array()
                .map_or(0, Vec::len);
        }
        times.sort();
        println!(
            "{:<12} {:>10.2} {:>10.2} {:>10} {:>12}",
            page,
            percentile(&times, 0.5).as_secs_f64() * 1e3,
            percentile(&times, 0.99).as_secs_f64() * 1e3,
            items,
            bytes
        );
    }
    let peak = agentgw_bench::rss_kib(pid, "VmHWM:");
    println!(
        "gateway RSS: idle {:.1} MiB, peak {:.1} MiB",
        rss_idle as f64 / 1024.0,
        peak as f64 / 1024.0
    );
    let _ = child.kill();
    let _ = child.wait();
    Ok(())
}
