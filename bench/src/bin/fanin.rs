//! Scenario 7: an ndoto list through a gateway whose supporthub upstream holds many agents,
//! against fetching the same pages one after the other. Usage:
//! `fanin <gateway-ndoto-list-url> <gateway-pid> <upstream-supporthub-url> <token> <upstream-pid>`.
//! Also prints the CPU seconds the gateway and the upstream spent on the timed call: on a
//! machine they share, (gateway + upstream) / cores bounds how fast any fan-in can be.

use std::time::Instant;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [list, pid, upstream, token, upstream_pid] = args.as_slice() else {
        return Err("usage: fanin <list-url> <pid> <supporthub-url> <token> <upstream-pid>".into());
    };
    let pid: u32 = pid.parse()?;
    let upstream_pid: u32 = upstream_pid.parse()?;
    let client = reqwest::Client::new();

    // Sequential: what a client without the gateway would do, page after page.
    let started = Instant::now();
    let (mut page, mut seen) = (1, 0usize);
    loop {
        let v: serde_json::Value = client
            .get(format!("{upstream}/api/agents?per_page=100&page={page}"))
            .bearer_auth(token)
            .send()
            .await?
            .json()
            .await?;
        seen += v["data"].as_array().map_or(0, Vec::len);
        if v["links"]["next"].is_null() {
            break;
        }
        page += 1;
    }
    let sequential = started.elapsed().as_secs_f64();

    // Through the gateway: once to map the ids (first sight), then timed.
    let warm = Instant::now();
    let first = client
        .get(list.as_str())
        .header("api_access_token", token.as_str())
        .send()
        .await?
        .bytes()
        .await?;
    let warm = warm.elapsed().as_secs_f64();
    let cpu_before = (
        agentgw_bench::cpu_secs(pid),
        agentgw_bench::cpu_secs(upstream_pid),
    );
    let started = Instant::now();
    let body = client
        .get(list.as_str())
        .header("api_access_token", token.as_str())
        .send()
        .await?
        .bytes()
        .await?;
    let gateway = started.elapsed().as_secs_f64();
    let cpu_gateway = agentgw_bench::cpu_secs(pid) - cpu_before.0;
    let cpu_upstream = agentgw_bench::cpu_secs(upstream_pid) - cpu_before.1;
    let agents = serde_json::from_slice::<serde_json::Value>(&body)?
        .as_array()
        .map_or(0, Vec::len);
    let peak = agentgw_bench::rss_kib(pid, "VmHWM:") as f64 / 1024.0;
    // The machine's ceiling: the CPU both processes need, spread over every core. No fan-in
    // on a machine they share can finish sooner.
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let ceiling = (cpu_gateway + cpu_upstream) / cores;
    println!(
        "fanin agents={agents} upstream_agents={seen} pages={page} sequential_s={sequential:.2} gateway_s={gateway:.2} first_call_s={warm:.2} speedup={:.2} peak_rss_mib={peak:.1} body_bytes={} cpu_gateway_s={cpu_gateway:.2} cpu_upstream_s={cpu_upstream:.2} ceiling_s={ceiling:.2} vs_ceiling={:.2} gateway_us_per_agent={:.1}",
        sequential / gateway,
        first.len(),
        gateway / ceiling.max(f64::EPSILON),
        cpu_gateway * 1e6 / (agents.max(1) as f64)
    );
    Ok(())
}
