//! `agentgw migrate`: copy every agent from one helpdesk to another through the canonical
//! model, matching by email, idempotently and resumably (a journal in the store).

use std::collections::HashMap;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use agentgw_core::{Backend, BackendError, Config, MigrationTarget, PasswordPolicy};
use agentgw_model::{Agent, Field, ListQuery, NewAgent, Profile, ProfilePatch, SortOrder};
use agentgw_store::{Journal, Store};
use anyhow::Context;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;

/// `agentgw migrate` options.
#[derive(clap::Args, Debug)]
pub struct MigrateArgs {
    /// Source: an upstream name from the config, or `embedded:<tenant>`.
    #[arg(long)]
    from: String,
    /// Target: an upstream name from the config, or `embedded:<tenant>`.
    #[arg(long)]
    to: String,
    /// Read both sides and print the plan; write nothing.
    #[arg(long)]
    dry_run: bool,
    /// Update agents that already exist on the target (matched by email) instead of skipping them.
    #[arg(long)]
    update_existing: bool,
    /// Write a JSON report (every agent, its action, reason and lost fields) here.
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Action {
    Create,
    Update,
    Skip,
    Cannot,
    Failed,
}

impl Action {
    /// Every action, in the summary's order.
    const ALL: [Action; 5] = [
        Action::Create,
        Action::Update,
        Action::Skip,
        Action::Cannot,
        Action::Failed,
    ];

    /// The name the summary, the plan and the report use.
    fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Skip => "skip",
            Action::Cannot => "cannot",
            Action::Failed => "failed",
        }
    }
}

#[derive(Debug, Serialize)]
struct Outcome {
    source_id: i64,
    email: String,
    action: Action,
    target_id: Option<i64>,
    reason: String,
    /// Fields the source has and the target cannot hold.
    lost_fields: Vec<&'static str>,
    /// For an update: the fields that differ between the source and the target.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    changed_fields: Vec<&'static str>,
}

#[derive(Serialize)]
struct Report<'a> {
    from: &'a str,
    to: &'a str,
    dry_run: bool,
    counts: HashMap<&'static str, usize>,
    agents: &'a [Outcome],
}

/// What differs between a default profile and `p`, for the fields a target cannot hold.
fn lost_fields(p: &Profile, held: Option<&'static [Field]>) -> Vec<&'static str> {
    let Some(held) = held else { return Vec::new() };
    let empty = Profile::default();
    Field::ALL
        .iter()
        .filter(|f| !held.contains(f))
        .filter(|f| {
            let mut probe = empty.clone();
            f.copy(p, &mut probe);
            probe != empty
        })
        .map(|f| f.name())
        .collect()
}

/// Fields a target sets itself (sign-ins, invitation state): never a reason to update.
const TARGET_MANAGED: [Field; 3] = [Field::Confirmed, Field::LastLogin, Field::LastActive];

/// The fields the target holds whose values differ between `source` and `target`. A field
/// the source leaves empty is no change: the target may have filled it with its defaults.
fn changed_fields(
    source: &Profile,
    target: &Profile,
    held: Option<&'static [Field]>,
) -> Vec<&'static str> {
    let empty = Profile::default();
    Field::ALL
        .iter()
        .filter(|f| held.is_none_or(|h| h.contains(f)) && !TARGET_MANAGED.contains(f))
        .filter(|f| {
            let (mut a, mut b) = (empty.clone(), empty.clone());
            f.copy(source, &mut a);
            f.copy(target, &mut b);
            a != empty && a != b
        })
        .map(|f| f.name())
        .collect()
}

struct Plan<'a> {
    target: &'a dyn MigrationTarget,
    journal: Journal,
    done: HashMap<String, String>,
    on_target: HashMap<String, Agent>,
    /// The same agents by the target's id (what the journal records).
    on_target_by_id: HashMap<i64, Agent>,
    args: &'a MigrateArgs,
    policy: Option<PasswordPolicy>,
    passwords: Option<Mutex<std::fs::File>>,
    to: &'a str,
}

impl Plan<'_> {
    async fn one(&self, agent: &Agent) -> Outcome {
        let key = agent.ids.int.to_string();
        let email = agent.profile.email.clone();
        let mut out = Outcome {
            source_id: agent.ids.int,
            email: email.clone(),
            action: Action::Skip,
            target_id: None,
            reason: String::new(),
            lost_fields: lost_fields(&agent.profile, self.target.holds()),
            changed_fields: Vec::new(),
        };
        // A journaled agent is the one the journal names; another is matched by email.
        let journaled = self.done.get(&key).and_then(|t| t.parse::<i64>().ok());
        let existing = match journaled {
            Some(id) => self.on_target_by_id.get(&id),
            None => self.on_target.get(&email.to_lowercase()),
        };
        if let Some(existing) = existing {
            out.target_id = Some(existing.ids.int);
            let why = if journaled.is_some() {
                "already migrated"
            } else {
                "exists on the target (same email)"
            };
            if !self.args.update_existing {
                out.reason = why.into();
                if journaled.is_none() && !self.args.dry_run {
                    self.note(&mut out, &key, existing.ids.int, "matched").await;
                }
                return out;
            }
            out.changed_fields =
                changed_fields(&agent.profile, &existing.profile, self.target.holds());
            if out.changed_fields.is_empty() {
                out.reason = format!("{why}, unchanged");
                if journaled.is_none() && !self.args.dry_run {
                    self.note(&mut out, &key, existing.ids.int, "matched").await;
                }
                return out;
            }
            out.action = Action::Update;
            out.reason = format!("{why}: changed {}", out.changed_fields.join(", "));
            if !self.args.dry_run {
                match self
                    .target
                    .update(
                        &agentgw_model::AgentId::Int(existing.ids.int),
                        ProfilePatch::from_profile(&agent.profile),
                    )
                    .await
                {
                    Ok(_) => self.note(&mut out, &key, existing.ids.int, "update").await,
                    Err(e) => fail(&mut out, &e),
                }
            }
            return out;
        }
        if let Some(target) = journaled {
            // Journaled, but gone from the target since: not re-created behind anyone's back.
            out.target_id = Some(target);
            out.reason = "already migrated (no longer on the target)".into();
            return out;
        }
        let mut new = NewAgent {
            profile: agent.profile.clone(),
            password: None,
        };
        if self.target.create_needs_password() {
            match (self.policy, &self.args.passwords_file) {
                (Some(PasswordPolicy::Generate), Some(_)) => {
                    new.password = Some(agentgw_upstream::generated_password())
                }
                (Some(PasswordPolicy::Generate), None) => {
                    return cannot(
                        out,
                        "the target requires a password: pass --passwords-file to receive the generated ones",
                    );
                }
                _ => {
                    return cannot(
                        out,
                        &format!(
                            "the target requires a password and upstreams.{}.defaults.password is \"reject\"",
                            self.to
                        ),
                    );
                }
            }
        }
        if let Err(e) = self.target.check_create(&new) {
            return cannot(out, &e.to_string());
        }
        out.action = Action::Create;
        if self.args.dry_run {
            return out;
        }
        // The password is on disk before the agent exists: a crash cannot lose it.
        if let (Some(file), Some(password)) = (&self.passwords, &new.password) {
            let written = file.lock().map_err(|_| ()).and_then(|mut f| {
                writeln!(f, "{email}\t{}", password.expose())
                    .and_then(|()| f.sync_all())
                    .map_err(|_| ())
            });
            if written.is_err() {
                out.action = Action::Failed;
                out.reason = "could not write the passwords file".into();
                return out;
            }
        }
        match self.target.create(new).await {
            Ok(created) => self.note(&mut out, &key, created.ids.int, "create").await,
            Err(e) => fail(&mut out, &e),
        }
        out
    }

    async fn note(&self, out: &mut Outcome, key: &str, target: i64, action: &str) {
        out.target_id = Some(target);
        if let Err(e) = self.journal.record(key, &target.to_string(), action).await {
            out.action = Action::Failed;
            out.reason = format!("copied, but the journal could not record it: {e}");
        }
    }
}

fn cannot(mut out: Outcome, reason: &str) -> Outcome {
    out.action = Action::Cannot;
    out.reason = reason.to_owned();
    out
}

fn fail(out: &mut Outcome, e: &BackendError) {
    out.action = Action::Failed;
    out.reason = e.to_string();
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

async fn everyone(backend: &dyn Backend, side: &str) -> anyhow::Result<Vec<Agent>> {
    let page = backend
        .list(&ListQuery {
            sort: SortOrder::CREATED,
            ..Default::default()
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot read the {side}: {e}"))?;
    Ok(page.items)
}

/// Run a migration; `Ok(true)` when every agent was migrated or deliberately skipped.
pub async fn run(config: Config, args: MigrateArgs) -> anyhow::Result<bool> {
    if args.from == args.to {
        anyhow::bail!(
            "--from and --to are both `{}`: an agent cannot be migrated onto itself",
            args.from
        );
    }
    let store = Store::connect(&config.store.url).await.context("store")?;
    let source = crate::backends::by_name(&config, &store, &args.from)?;
    let target = crate::backends::by_name(&config, &store, &args.to)?;
    let sources = everyone(source.as_ref(), "source").await?;
    let targets = everyone(target.as_ref(), "target").await?;
    let on_target_by_id: HashMap<i64, Agent> =
        targets.iter().map(|a| (a.ids.int, a.clone())).collect();
    let on_target: HashMap<String, Agent> = targets
        .into_iter()
        .map(|a| (a.profile.email.to_lowercase(), a))
        .collect();
    let journal = store.journal(&format!("{} -> {}", args.from, args.to));
    let plan = Plan {
        target: target.as_ref(),
        done: journal.entries().await?,
        journal,
        on_target,
        on_target_by_id,
        args: &args,
        policy: config.upstreams.get(&args.to).map(|u| u.defaults.password),
        passwords: match (&args.passwords_file, args.dry_run) {
            (Some(path), false) => Some(Mutex::new(open_passwords(path)?)),
            _ => None,
        },
        to: &args.to,
    };

    let terminal = std::io::stderr().is_terminal();
    let bar = if terminal {
        ProgressBar::new(sources.len() as u64)
    } else {
        ProgressBar::hidden()
    };
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} agents {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let total = sources.len();
    let progress = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let outcomes: Vec<Outcome> = futures_util::stream::iter(&sources)
        .map(|agent| {
            let (plan, bar, progress) = (&plan, bar.clone(), progress.clone());
            async move {
                let outcome = plan.one(agent).await;
                bar.inc(1);
                let n = progress.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                if !terminal && (n % 100 == 0 || n == total) {
                    eprintln!("progress: {n}/{total} agents");
                }
                outcome
            }
        })
        .buffer_unordered(args.concurrency.max(1))
        .collect()
        .await;
    bar.finish_and_clear();

    if args.dry_run {
        println!("plan ({} -> {}), nothing written:", args.from, args.to);
        for o in &outcomes {
            let line = format!("  {:<7} {:<40} {}", o.action.name(), o.email, o.reason);
            println!("{}", line.trim_end());
        }
    }
    let mut counts: HashMap<&'static str, usize> = HashMap::new();
    for o in &outcomes {
        *counts.entry(o.action.name()).or_default() += 1;
    }
    let count = |a: Action| counts.get(a.name()).copied().unwrap_or(0);
    let mut lost: HashMap<&'static str, usize> = HashMap::new();
    for field in outcomes
        .iter()
        .filter(|o| matches!(o.action, Action::Create | Action::Update))
        .flat_map(|o| o.lost_fields.iter())
    {
        *lost.entry(field).or_default() += 1;
    }
    let verb = if args.dry_run { "would" } else { "did" };
    println!(
        "migration {} -> {}{}",
        args.from,
        args.to,
        if args.dry_run { " (dry run)" } else { "" }
    );
    println!("  {:<8} {:>7}", "action", "agents");
    for action in Action::ALL {
        println!("  {:<8} {:>7}", action.name(), count(action));
    }
    println!("  {:<8} {:>7}", "total", outcomes.len());
    // Said only when it is true: nothing written, and nothing that could not or did not go.
    let unfinished = count(Action::Cannot) + count(Action::Failed);
    if count(Action::Create) + count(Action::Update) + unfinished == 0 && !args.dry_run {
        println!("nothing to change: every agent is already on the target");
    }
    if !lost.is_empty() {
        let mut lost: Vec<_> = lost.into_iter().collect();
        lost.sort();
        let list: Vec<String> = lost.iter().map(|(f, n)| format!("{f} ({n})")).collect();
        println!(
            "fields the target cannot hold ({verb} not copy): {}",
            list.join(", ")
        );
    }
    // The plan of a dry run already listed every agent with its reason.
    for o in outcomes
        .iter()
        .filter(|o| !args.dry_run && matches!(o.action, Action::Failed | Action::Cannot))
    {
        println!("  {} {}: {}", o.action.name(), o.email, o.reason);
    }
    if let Some(path) = &args.report {
        let report = Report {
            from: &args.from,
            to: &args.to,
            dry_run: args.dry_run,
            counts: counts.clone(),
            agents: &outcomes,
        };
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    store.close().await;
    Ok(unfinished == 0)
}
