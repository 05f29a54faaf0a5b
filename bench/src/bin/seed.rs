//! `seed <store-url> <count>`: fill a store's `default` tenant for a benchmark.

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let url = args.next().ok_or("usage: seed <store-url> <count>")?;
    let count: u64 = args
        .next()
        .ok_or("usage: seed <store-url> <count>")?
        .parse()?;
    let secs = agentgw_bench::seed(&url, count).await?;
    eprintln!("seeded {count} agents in {secs:.1}s");
    Ok(())
}
