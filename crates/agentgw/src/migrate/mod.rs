//! `agentgw migrate`: copy every agent from one helpdesk to another through the canonical
//! model, matching by email, idempotently and resumably (a journal in the store). Re-runs are
//! delta runs: only what changed at the source since is written; `--watch` repeats them
//! through a cutover window.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use agentgw_core::{Config, MigrationTarget};
use agentgw_store::{Journal, Store};
use anyhow::Context;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};

use agentgw_migrate::apply::{self, Apply, Options, Sides};
use agentgw_migrate::report::{self, Summary};
use agentgw_migrate::{MigrationJournal, delta, pace};

/// `agentgw migrate` options.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// Source: an upstream name from the config, or `embedded:<tenant>`.
    #[arg(long)]
    from: String,
    /// Target: an upstream name from the config, or `embedded:<tenant>`.
    #[arg(long)]
    to: String,
    /// Read both sides and print the plan; write nothing anywhere.
    #[arg(long)]
    dry_run: bool,
    /// Update agents already on the target (copied before, or matched by email) whose fields
    /// changed at the source, field by field.
    #[arg(long)]
    update_existing: bool,
    /// Delete on the target the agents this migration copied that are gone at the source.
    #[arg(long)]
    delete_missing: bool,
    /// Confirm --delete-missing (not needed with --dry-run).
    #[arg(long)]
    yes: bool,
    /// Repeat delta runs until Ctrl-C (or SIGTERM), one summary line per run.
    #[arg(long)]
    watch: bool,
    /// Time between the end of one --watch run and the start of the next (`60s`, `5m`).
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    interval: Duration,
    /// Write a JSON report (every agent: both helpdesks' ids, action, reason, fields lost,
    /// synthesised or changed) here; --watch rewrites it after every run.
    #[arg(long)]
    report: Option<PathBuf>,
    /// Agents copied at once.
    #[arg(long, default_value_t = 4)]
    concurrency: usize,
    /// Where generated passwords go (created with mode 0600); needed when the target requires
    /// a password and its upstream's defaults.password is "generate".
    #[arg(long)]
    passwords_file: Option<PathBuf>,
}

impl MigrateArgs {
    /// Refuse combinations that cannot mean what they say, before anything is read.
    fn check(&self) -> anyhow::Result<()> {
        if self.from == self.to {
            anyhow::bail!(
                "--from and --to are both `{}`: an agent cannot be migrated onto itself",
                self.from
            );
        }
        if self.delete_missing && !self.dry_run && !self.yes {
            anyhow::bail!(
                "--delete-missing deletes agents on `{}`: add --yes to confirm, or --dry-run to see which",
                self.to
            );
        }
        if self.watch && self.dry_run {
            anyhow::bail!(
                "--watch repeats runs that write; a --dry-run is one look: drop one of them"
            );
        }
        Ok(())
    }
}

/// Set once Ctrl-C or SIGTERM arrives: no agent is started after it, and those under way
/// finish, so no agent is left half-written. A second Ctrl-C stops at once.
#[derive(Clone)]
struct Stop(tokio::sync::watch::Receiver<bool>);

impl Stop {
    fn on_signals() -> Stop {
        let (tx, rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).ok();
            let terminated = async {
                match term.as_mut() {
                    Some(term) => {
                        term.recv().await;
                    }
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                () = terminated => {}
            }
            eprintln!(
                "stopping: the agents under way finish, no new one starts (Ctrl-C again to stop at once)"
            );
            let _ = tx.send(true);
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("stopped at once: an agent under way may be half-written");
                std::process::exit(130);
            }
        });
        Stop(rx)
    }

    fn requested(&self) -> bool {
        *self.0.borrow()
    }

    /// Wait `interval`, or less if a stop is asked for.
    async fn sleep(&mut self, interval: Duration) {
        let stop = self.0.wait_for(|stop| *stop);
        let _ = tokio::time::timeout(interval, stop).await;
    }
}

/// A migration's two sides and its journal.
struct Migration {
    source: std::sync::Arc<dyn MigrationTarget>,
    target: std::sync::Arc<dyn MigrationTarget>,
    journal: Journal,
    options: Options,
}

/// Run a migration (or, with --watch, runs until stopped); `Ok(true)` when every agent of the
/// last run was migrated, deleted or deliberately skipped.
pub async fn run(mut config: Config, args: MigrateArgs) -> anyhow::Result<bool> {
    args.check()?;
    // A migration waits out whatever a vendor's rate limit asks (a proxied call would answer
    // 429 past its max_wait): a 429 never costs it an agent.
    for upstream in config.upstreams.values_mut() {
        upstream.max_wait = agentgw_outbound::PATIENT;
    }
    let store = open_store(&config.store.url, args.dry_run).await?;
    let migration = Migration {
        source: crate::backends::by_name(&config, &store, &args.from)?,
        target: crate::backends::by_name(&config, &store, &args.to)?,
        journal: store.journal(&format!("{} -> {}", args.from, args.to)),
        options: Options {
            dry_run: args.dry_run,
            update_existing: args.update_existing,
            delete_missing: args.delete_missing,
            password_policy: config.upstreams.get(&args.to).map(|u| u.defaults.password),
            passwords_given: args.passwords_file.is_some(),
            passwords: match (&args.passwords_file, args.dry_run) {
                (Some(path), false) => Some(Mutex::new(open_passwords(path)?)),
                _ => None,
            },
            to: args.to.clone(),
        },
    };
    let mut stop = Stop::on_signals();
    let complete = if args.watch {
        watch(&migration, &args, &mut stop).await
    } else {
        let number = record_start(&migration, &args, None).await;
        let result = once(&migration, &args, &stop, true).await;
        record_end(&migration, number, &result).await;
        let summary = result?;
        summary.print(&args.from, &args.to, args.dry_run);
        if let Some(path) = &args.report {
            summary.write_json(path, &args.from, &args.to, args.dry_run)?;
        }
        summary.complete()
    };
    store.close().await;
    Ok(complete)
}

/// Delta runs until stopped, one line each; a run that cannot read a side is reported and
/// the next one tried (an upstream may be down for a minute during a cutover).
async fn watch(migration: &Migration, args: &MigrateArgs, stop: &mut Stop) -> bool {
    let mut complete = true;
    for n in 1.. {
        let started = Instant::now();
        let at = humantime::format_rfc3339_seconds(std::time::SystemTime::now());
        let number = record_start(migration, args, Some(args.interval)).await;
        let result = once(migration, args, stop, false).await;
        record_end(migration, number, &result).await;
        match result {
            Ok(summary) => {
                // Stopping a watch mid-run is how it ends: the agents not looked at are
                // picked up by the next run, so only failures make the exit code.
                complete = summary.count(report::Action::Cannot)
                    + summary.count(report::Action::Failed)
                    == 0;
                let stopped = if summary.not_started > 0 {
                    format!(", stopped with {} not looked at", summary.not_started)
                } else {
                    String::new()
                };
                let waited: String = summary
                    .waited
                    .iter()
                    .map(|w| format!("; rate limit {}", w.line()))
                    .collect();
                println!(
                    "{at} run {n}: {} ({}) in {:.1} s{stopped}{waited}",
                    summary.actions_line(),
                    summary.delta.line(),
                    started.elapsed().as_secs_f64()
                );
                for o in summary
                    .outcomes
                    .iter()
                    .filter(|o| matches!(o.action, report::Action::Cannot | report::Action::Failed))
                {
                    println!(
                        "  {} {} {}: {}",
                        o.action.name(),
                        o.source_id,
                        o.email,
                        o.reason
                    );
                }
                if let Some(path) = &args.report
                    && let Err(e) = summary.write_json(path, &args.from, &args.to, false)
                {
                    println!("  report not written: {e:#}");
                }
            }
            Err(e) => {
                complete = false;
                println!("{at} run {n}: not run: {e:#}");
            }
        }
        if stop.requested() {
            break;
        }
        stop.sleep(args.interval).await;
        if stop.requested() {
            break;
        }
    }
    complete
}

/// Record in the store that a run begins, for the gateway's status page (not for a dry run,
/// which writes nothing); a run that cannot be recorded still runs.
async fn record_start(m: &Migration, args: &MigrateArgs, watch: Option<Duration>) -> Option<i64> {
    if args.dry_run {
        return None;
    }
    m.journal
        .run_started(watch.map(|d| d.as_secs().max(1)))
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "this run is not recorded for the status page"))
        .ok()
}

/// Record how run `number` ended: agents per action, or why it could not run.
async fn record_end(m: &Migration, number: Option<i64>, result: &anyhow::Result<Summary>) {
    let Some(number) = number else { return };
    let summary = match result {
        Ok(summary) => {
            let mut counts = serde_json::Map::new();
            for action in report::Action::ALL {
                counts.insert(action.name().to_owned(), summary.count(action).into());
            }
            counts.insert("not_started".into(), summary.not_started.into());
            serde_json::Value::Object(counts)
        }
        Err(e) => serde_json::json!({ "error": format!("{e:#}") }),
    };
    if let Err(e) = m.journal.run_finished(number, &summary).await {
        tracing::warn!(error = %e, "this run's end is not recorded for the status page");
    }
}

/// One run: read both sides, say how they stand, then do the work.
async fn once(
    m: &Migration,
    args: &MigrateArgs,
    stop: &Stop,
    verbose: bool,
) -> anyhow::Result<Summary> {
    let assign_ids = !args.dry_run;
    let pace = pace::Pace::start(&[&args.from, &args.to]);
    let sources = m
        .source
        .inventory(assign_ids)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the source: {e}"))?;
    let targets = m
        .target
        .inventory(assign_ids)
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the target: {e}"))?;
    let journal = m.journal.entries().await?;
    let fields = delta::compared(m.target.profile().map(|p| p.holds));
    let (work, delta) = apply::plan(&Sides {
        sources: &sources,
        targets: &targets,
        journal: &journal,
        fields: &fields,
    });
    if verbose {
        println!("delta {} -> {}: {}", args.from, args.to, delta.line());
    }
    let apply = Apply {
        target: m.target.as_ref(),
        journal: &m.journal,
        options: &m.options,
        fields: &fields,
    };
    let terminal = verbose && std::io::stderr().is_terminal();
    let bar = if terminal {
        ProgressBar::new(work.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} agents, {per_sec}, {eta} left {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let total = work.len();
    let done = AtomicUsize::new(0);
    let watching = watch_pace(&pace, &bar, verbose && !terminal);
    let mut outcomes: Vec<(usize, report::Outcome)> =
        futures_util::stream::iter(work.iter().enumerate())
            // Checked as each agent is taken up: after a stop, none is started.
            .take_while(|_| std::future::ready(!stop.requested()))
            .map(|(i, w)| {
                let (apply, bar, done) = (&apply, &bar, &done);
                async move {
                    let outcome = apply.one(w).await;
                    bar.inc(1);
                    let n = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if verbose && !terminal && (n % 100 == 0 || n == total) {
                        eprintln!("progress: {n}/{total} agents");
                    }
                    (i, outcome)
                }
            })
            .buffer_unordered(args.concurrency.max(1))
            .collect()
            .await;
    watching.abort();
    bar.finish_and_clear();
    // Reported in the plan's order (the source's), not in the order the calls finished.
    outcomes.sort_by_key(|(i, _)| *i);
    let outcomes: Vec<report::Outcome> = outcomes.into_iter().map(|(_, o)| o).collect();
    Ok(Summary {
        not_started: total - outcomes.len(),
        outcomes,
        delta,
        waited: pace.cost(),
    })
}

/// Say on the progress bar while a side's rate limit holds calls back (or, without a
/// terminal, on a line of its own at most every 10 s).
fn watch_pace(pace: &pace::Pace, bar: &ProgressBar, lines: bool) -> tokio::task::AbortHandle {
    let sides: Vec<String> = pace.sides();
    let bar = bar.clone();
    tokio::spawn(async move {
        let pace = pace::Pace::start(&sides.iter().map(String::as_str).collect::<Vec<_>>());
        let mut said: Option<Instant> = None;
        loop {
            tokio::time::sleep(Duration::from_millis(250)).await;
            let waiting = pace.waiting();
            bar.set_message(waiting.clone().unwrap_or_default());
            if let Some(waiting) = waiting
                && lines
                && said.is_none_or(|at| at.elapsed() >= Duration::from_secs(10))
            {
                eprintln!("{waiting}");
                said = Some(Instant::now());
            }
        }
    })
    .abort_handle()
}

/// The gateway's store. A dry run on a SQLite file that does not exist yet reads an empty
/// store in memory instead of creating the file: it writes nothing anywhere.
async fn open_store(url: &str, dry_run: bool) -> anyhow::Result<Store> {
    let url = match agentgw_store::sqlite_file(url) {
        Some(file) if dry_run && !std::path::Path::new(file).exists() => "sqlite::memory:",
        _ => url,
    };
    Store::connect(url).await.context("store")
}

fn open_passwords(path: &PathBuf) -> anyhow::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("cannot open {}", path.display()))
}
