//! Scenario 8: password hashing under a burst. `clients` clients each create agents with a
//! password (supporthub), one after another, for `seconds`; the gateway's resident memory is
//! sampled throughout and again after it has been idle. argon2id holds 19 MiB per hash while
//! it runs, so what bounds the peak is how many hashes run at once.
//! Usage: `hashload <gateway-base-url> <gateway-pid> [clients] [seconds]`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use agentgw_bench::rss_kib;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (base, pid) = match args.as_slice() {
        [base, pid, ..] => (base.clone(), pid.parse::<u32>()?),
        _ => {
            return Err(
                "usage: hashload <gateway-base-url> <gateway-pid> [clients] [seconds]".into(),
            );
        }
    };
    let clients: usize = args.get(2).map_or(Ok(50), |c| c.parse())?;
    let seconds: u64 = args.get(3).map_or(Ok(30), |s| s.parse())?;
    let mib = |kib: u64| kib as f64 / 1024.0;

    let before = rss_kib(pid, "VmRSS:");
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let counts = Arc::new([AtomicU64::new(0), AtomicU64::new(0), AtomicU64::new(0)]);
    let next = Arc::new(AtomicU64::new(0));
    // Emails unique to this run, so that bursts repeated against one gateway all create.
    let run = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis());
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, base, counts, next) = (client.clone(), base.clone(), counts.clone(), next.clone());
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    let body = serde_json::json!({
                        "first_name": "Hash", "last_name": format!("Load {n}"),
                        "email": format!("hash-{run}-{n}@load.example"),
                        "password": "correct horse battery staple", "password_confirmation": "correct horse battery staple",
                    });
                    let status = client
                        .post(format!("{base}/supporthub/api/agents"))
                        .bearer_auth("dev-token")
                        .json(&body)
                        .send()
                        .await
                        .map(|r| r.status().as_u16())
                        .unwrap_or(0);
                    let slot = match status {
                        200..=299 => 0,
                        503 => 1,
                        _ => 2,
                    };
                    counts[slot].fetch_add(1, Ordering::Relaxed);
                    if status == 503 {
                        // As a client honouring Retry-After would, if briefly.
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            })
        })
        .collect();
    let mut sampled_peak = 0;
    while Instant::now() < deadline {
        sampled_peak = sampled_peak.max(rss_kib(pid, "VmRSS:"));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for t in tasks {
        t.await?;
    }
    let peak = rss_kib(pid, "VmHWM:").max(sampled_peak);
    tokio::time::sleep(Duration::from_secs(5)).await;
    let after = rss_kib(pid, "VmRSS:");
    let [created, busy, other] = [0, 1, 2].map(|i| counts[i].load(Ordering::Relaxed));
    println!(
        "clients={clients} seconds={seconds} created={created} busy_503={busy} other={other} \
         hashes_per_sec={:.1} before_rss_mib={:.1} peak_rss_mib={:.1} after_rss_mib={:.1}",
        created as f64 / seconds as f64,
        mib(before),
        mib(peak),
        mib(after)
    );
    if other > 0 {
        return Err(format!("{other} answers were neither a success nor a 503").into());
    }
    Ok(())
}
