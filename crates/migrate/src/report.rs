//! What a run did, agent by agent: the outcome type, the human table, the summary and the
//! JSON report. Ids are each helpdesk's own (an integer, a GUID, a 17-character id).

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

/// What happened (or, in a dry run, would happen) to one agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Update,
    Delete,
    Skip,
    Cannot,
    Failed,
}

impl Action {
    /// Every action, in the summary's order.
    pub const ALL: [Action; 6] = [
        Action::Create,
        Action::Update,
        Action::Delete,
        Action::Skip,
        Action::Cannot,
        Action::Failed,
    ];

    /// The name the summary, the plan and the report use.
    pub fn name(self) -> &'static str {
        match self {
            Action::Create => "create",
            Action::Update => "update",
            Action::Delete => "delete",
            Action::Skip => "skip",
            Action::Cannot => "cannot",
            Action::Failed => "failed",
        }
    }

    /// Whether the agent was (or would be) written on the target.
    pub fn writes(self) -> bool {
        matches!(self, Action::Create | Action::Update | Action::Delete)
    }
}

/// One agent's line in the report.
#[derive(Debug, Serialize)]
pub struct Outcome {
    /// The source helpdesk's id; for an agent gone at the source, the one it had.
    pub source_id: String,
    /// The target helpdesk's id, once there is one.
    pub target_id: Option<String>,
    pub email: String,
    pub action: Action,
    pub reason: String,
    /// Fields the source has and the target cannot hold.
    pub lost_fields: Vec<&'static str>,
    /// Fields the target required and its defaults filled (a generated password included).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub synthesised_fields: Vec<&'static str>,
    /// For an update: the fields that changed at the source.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changed_fields: Vec<&'static str>,
    /// Skipped with a change left for a flag this run lacked (--update-existing,
    /// --delete-missing): the target is not yet what the source says.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub pending: bool,
}

impl Outcome {
    /// A skip, until something decides otherwise.
    pub fn new(source_id: &str, email: &str) -> Self {
        Outcome {
            source_id: source_id.to_owned(),
            target_id: None,
            email: email.to_owned(),
            action: Action::Skip,
            reason: String::new(),
            lost_fields: Vec::new(),
            synthesised_fields: Vec::new(),
            changed_fields: Vec::new(),
            pending: false,
        }
    }

    /// The reason, then what was lost or synthesised.
    fn detail(&self) -> String {
        let mut parts = vec![self.reason.clone()];
        if self.action.writes() && !self.lost_fields.is_empty() {
            parts.push(format!("lost: {}", self.lost_fields.join(", ")));
        }
        if !self.synthesised_fields.is_empty() {
            parts.push(format!(
                "synthesised: {}",
                self.synthesised_fields.join(", ")
            ));
        }
        parts.retain(|p| !p.is_empty());
        parts.join("; ")
    }
}

/// How every agent stood before the run: printed before anything is written.
#[derive(Debug, Default, Clone, Copy, Serialize)]
pub struct DeltaCounts {
    /// Copied before, not changed at the source since.
    pub unchanged: usize,
    /// Copied before, changed at the source since.
    pub changed: usize,
    /// Not copied by this migration yet (some may already be on the target by email).
    pub new: usize,
    /// Copied before, no longer at the source.
    pub gone: usize,
    /// Copied before, since deleted on the target (never re-created behind anyone's back).
    pub gone_from_target: usize,
}

impl DeltaCounts {
    /// `9 unchanged, 3 changed, 1 new, 1 gone at the source`.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} unchanged, {} changed, {} new, {} gone at the source",
            self.unchanged, self.changed, self.new, self.gone
        );
        if self.gone_from_target > 0 {
            line.push_str(&format!(
                ", {} deleted on the target since",
                self.gone_from_target
            ));
        }
        line
    }
}

/// Every outcome of a run, counted.
pub struct Summary {
    pub outcomes: Vec<Outcome>,
    pub delta: DeltaCounts,
    /// Agents not looked at because a stop was asked for.
    pub not_started: usize,
    /// What the upstreams' rate limits cost the run.
    pub waited: Vec<crate::pace::Waited>,
}

impl Summary {
    /// How many outcomes took `action`.
    pub fn count(&self, action: Action) -> usize {
        self.outcomes.iter().filter(|o| o.action == action).count()
    }

    /// Every agent was migrated, deliberately skipped or deleted, and none was left unstarted.
    pub fn complete(&self) -> bool {
        self.count(Action::Cannot) + self.count(Action::Failed) + self.not_started == 0
    }

    /// `create 1, update 3, delete 1, skip 9, cannot 0, failed 0`.
    pub fn actions_line(&self) -> String {
        let parts: Vec<String> = Action::ALL
            .iter()
            .map(|a| format!("{} {}", a.name(), self.count(*a)))
            .collect();
        parts.join(", ")
    }

    /// The table of agents (all of them in a dry run's plan; otherwise those not skipped),
    /// then the counts per action.
    pub fn print(&self, from: &str, to: &str, dry_run: bool) {
        let rows: Vec<&Outcome> = self
            .outcomes
            .iter()
            .filter(|o| dry_run || o.action != Action::Skip)
            .collect();
        if dry_run {
            println!("plan ({from} -> {to}), nothing written:");
        } else if !rows.is_empty() {
            println!("agents written or not migrated ({from} -> {to}):");
        }
        print_table(&rows);
        println!(
            "migration {from} -> {to}{}",
            if dry_run { " (dry run)" } else { "" }
        );
        println!("  {:<8} {:>7}", "action", "agents");
        for action in Action::ALL {
            println!("  {:<8} {:>7}", action.name(), self.count(action));
        }
        println!("  {:<8} {:>7}", "total", self.outcomes.len());
        if self.not_started > 0 {
            println!(
                "stopped: {} agents were not looked at; run again to continue",
                self.not_started
            );
        }
        // Said only when it is true: nothing written, and nothing that could not or did not go.
        let written: usize = Action::ALL
            .iter()
            .filter(|a| a.writes())
            .map(|a| self.count(*a))
            .sum();
        let pending = self.outcomes.iter().filter(|o| o.pending).count();
        if written == 0 && pending == 0 && self.complete() && !dry_run {
            println!("nothing to change: every agent is already on the target");
        }
        if pending > 0 {
            println!(
                "left as they are: {pending} agents whose changes need a flag this run lacked (see their reasons)"
            );
        }
        for waited in &self.waited {
            println!("rate limit: {}", waited.line());
        }
        let mut lost: BTreeMap<&str, usize> = BTreeMap::new();
        for field in self
            .outcomes
            .iter()
            .filter(|o| matches!(o.action, Action::Create | Action::Update))
            .flat_map(|o| o.lost_fields.iter())
        {
            *lost.entry(field).or_default() += 1;
        }
        if !lost.is_empty() {
            let list: Vec<String> = lost.iter().map(|(f, n)| format!("{f} ({n})")).collect();
            println!(
                "fields the target cannot hold ({} not copy): {}",
                if dry_run { "would" } else { "did" },
                list.join(", ")
            );
        }
    }

    /// Write the JSON report to `path`.
    pub fn write_json(
        &self,
        path: &Path,
        from: &str,
        to: &str,
        dry_run: bool,
    ) -> anyhow::Result<()> {
        #[derive(Serialize)]
        struct Report<'a> {
            from: &'a str,
            to: &'a str,
            dry_run: bool,
            delta: DeltaCounts,
            counts: BTreeMap<&'static str, usize>,
            not_started: usize,
            rate_limits: &'a [crate::pace::Waited],
            agents: &'a [Outcome],
        }
        let report = Report {
            from,
            to,
            dry_run,
            delta: self.delta,
            counts: Action::ALL
                .iter()
                .map(|a| (a.name(), self.count(*a)))
                .collect(),
            not_started: self.not_started,
            rate_limits: &self.waited,
            agents: &self.outcomes,
        };
        std::fs::write(path, serde_json::to_vec_pretty(&report)?)
            .with_context(|| format!("cannot write {}", path.display()))
    }
}

/// Rows of action, both ids, email and detail, in columns as wide as their widest cell.
fn print_table(rows: &[&Outcome]) {
    if rows.is_empty() {
        return;
    }
    let target = |o: &Outcome| o.target_id.clone().unwrap_or_else(|| "-".into());
    let width = |header: &str, cell: &dyn Fn(&Outcome) -> usize| {
        rows.iter()
            .map(|o| cell(o))
            .max()
            .unwrap_or(0)
            .max(header.len())
    };
    let source_w = width("source id", &|o| o.source_id.chars().count());
    let target_w = width("target id", &|o| target(o).chars().count());
    let email_w = width("email", &|o| o.email.chars().count());
    let line = |action: &str, source: &str, target: &str, email: &str, detail: &str| {
        let line = format!(
            "  {action:<7} {source:<source_w$} {target:<target_w$} {email:<email_w$} {detail}"
        );
        println!("{}", line.trim_end());
    };
    line("action", "source id", "target id", "email", "detail");
    for o in rows {
        line(
            o.action.name(),
            &o.source_id,
            &target(o),
            &o.email,
            &o.detail(),
        );
    }
}
