//! One run's work, agent by agent: each source agent is classified against the journal and
//! the target (unchanged, changed, new), each journaled agent gone at the source is a
//! candidate for deletion, and each is then created, updated, deleted or skipped.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::Mutex;

use crate::journal::{JournalEntry, MigrationJournal};
use agentgw_core::{BackendError, Listed, MigrationTarget, PasswordPolicy};
use agentgw_model::{AgentId, Field, NewAgent, Profile, ProfilePatch};

use crate::delta::{self, Fingerprint};
use crate::report::{Action, DeltaCounts, Outcome};

/// What a run may do, from the command line.
pub struct Options {
    pub dry_run: bool,
    pub update_existing: bool,
    pub delete_missing: bool,
    pub password_policy: Option<PasswordPolicy>,
    /// Whether --passwords-file was given (a dry run does not open it).
    pub passwords_given: bool,
    /// Generated passwords go here before their agent exists.
    pub passwords: Option<Mutex<std::fs::File>>,
    /// The target's name, for messages.
    pub to: String,
}

/// One unit of work, decided before anything is written.
pub enum Work<'a> {
    /// An agent at the source.
    Source {
        agent: &'a Listed,
        /// Its journal entry, when this migration copied it before.
        entry: Option<&'a JournalEntry>,
        /// The target agent it is (journaled) or matches (same email).
        target: Option<&'a Listed>,
        /// The fields that changed at the source (or differ from the target, where there is no
        /// fingerprint to compare with).
        changed: Vec<Field>,
    },
    /// A journaled agent that is no longer at the source.
    Gone {
        key: &'a str,
        entry: &'a JournalEntry,
        target: Option<&'a Listed>,
        /// Another source agent now claims its target agent (the same person, re-created at
        /// the source under a new id): it must not be deleted.
        claimed: bool,
    },
}

/// Both sides and the journal, indexed.
pub struct Sides<'a> {
    pub sources: &'a [Listed],
    pub targets: &'a [Listed],
    pub journal: &'a HashMap<String, JournalEntry>,
    pub fields: &'a [Field],
}

/// The work of a run and how every agent stood before it.
pub fn plan<'a>(sides: &Sides<'a>) -> (Vec<Work<'a>>, DeltaCounts) {
    let by_id: HashMap<i64, &Listed> = sides
        .targets
        .iter()
        .filter_map(|t| t.gateway.map(|g| (g, t)))
        .collect();
    let by_email: HashMap<String, &Listed> = sides
        .targets
        .iter()
        .map(|t| (t.profile.email.to_lowercase(), t))
        .collect();
    let mut counts = DeltaCounts::default();
    let mut work = Vec::with_capacity(sides.sources.len());
    let mut present: HashSet<String> = HashSet::new();
    let mut claimed: HashSet<i64> = HashSet::new();
    for agent in sides.sources {
        // An agent a dry run saw for the first time has no gateway id, so no journal entry.
        let key = agent.gateway.map(|g| g.to_string());
        let entry = key.as_ref().and_then(|k| sides.journal.get(k));
        if let Some(k) = key {
            present.insert(k);
        }
        let (target, changed) = match entry {
            Some(entry) => {
                let target = entry
                    .target
                    .parse()
                    .ok()
                    .and_then(|t| by_id.get(&t).copied());
                let changed = match (
                    target,
                    entry.fingerprint.as_deref().and_then(Fingerprint::decode),
                ) {
                    (None, _) => Vec::new(),
                    (Some(_), Some(print)) => print.changed(&agent.profile, sides.fields),
                    (Some(t), None) => delta::differing(&agent.profile, &t.profile, sides.fields),
                };
                match (target, changed.is_empty()) {
                    (None, _) => counts.gone_from_target += 1,
                    (Some(_), true) => counts.unchanged += 1,
                    (Some(_), false) => counts.changed += 1,
                }
                (target, changed)
            }
            None => {
                counts.new += 1;
                let target = by_email.get(&agent.profile.email.to_lowercase()).copied();
                let changed = target
                    .map(|t| delta::differing(&agent.profile, &t.profile, sides.fields))
                    .unwrap_or_default();
                (target, changed)
            }
        };
        if let Some(g) = target.and_then(|t| t.gateway) {
            claimed.insert(g);
        }
        work.push(Work::Source {
            agent,
            entry,
            target,
            changed,
        });
    }
    let mut gone: Vec<(&String, &JournalEntry)> = sides
        .journal
        .iter()
        .filter(|(key, _)| !present.contains(*key))
        .collect();
    gone.sort_by_key(|(key, _)| key.parse::<i64>().unwrap_or(i64::MAX));
    for (key, entry) in gone {
        counts.gone += 1;
        let target_id = entry.target.parse::<i64>().ok();
        work.push(Work::Gone {
            key,
            entry,
            target: target_id.and_then(|t| by_id.get(&t).copied()),
            claimed: target_id.is_some_and(|t| claimed.contains(&t)),
        });
    }
    (work, counts)
}

/// Carries out one run's work against the target, recording each step in the journal.
pub struct Apply<'a> {
    pub target: &'a dyn MigrationTarget,
    pub journal: &'a dyn MigrationJournal,
    pub options: &'a Options,
    pub fields: &'a [Field],
}

impl Apply<'_> {
    /// Do (or, in a dry run, decide) one unit of work.
    pub async fn one(&self, work: &Work<'_>) -> Outcome {
        match work {
            Work::Source {
                agent,
                entry,
                target,
                changed,
            } => match target {
                Some(target) => self.existing(agent, *entry, target, changed).await,
                None if entry.is_some() => {
                    let mut out = Outcome::new(&agent.native, &agent.profile.email);
                    out.target_id = entry.and_then(|e| e.target_native.clone());
                    out.reason =
                        "already migrated, since deleted on the target: not re-created".into();
                    out
                }
                None => self.create(agent).await,
            },
            Work::Gone {
                key,
                entry,
                target,
                claimed,
            } => self.gone(key, entry, *target, *claimed).await,
        }
    }

    /// A source agent that has a target agent: skip it, or bring the changed fields over.
    async fn existing(
        &self,
        agent: &Listed,
        entry: Option<&JournalEntry>,
        target: &Listed,
        changed: &[Field],
    ) -> Outcome {
        let mut out = Outcome::new(&agent.native, &agent.profile.email);
        out.target_id = Some(target.native.clone());
        out.lost_fields = lost_fields(&agent.profile, self.target.profile().map(|p| p.holds));
        // A journaled agent is compared with what it was; a match, with the target.
        let (why, what) = if entry.is_some() {
            ("already migrated", "changed at the source")
        } else {
            (
                "exists on the target (same email)",
                "differs from the source",
            )
        };
        // What changed at the source and the target does not already show.
        let stale: Vec<Field> = changed
            .iter()
            .copied()
            .filter(|f| !delta::same(&agent.profile, &target.profile, *f))
            .collect();
        out.changed_fields = delta::names(changed);
        if stale.is_empty() || !self.options.update_existing {
            out.reason = match (changed.is_empty(), stale.is_empty()) {
                (true, _) => format!("{why}, unchanged"),
                // Written before a crash kept the journal from saying so: only the journal lags.
                (false, true) => format!("{why}, the target already has the changes"),
                (false, false) => {
                    out.pending = true;
                    format!(
                        "{why}, {what}: {} (pass --update-existing to update)",
                        out.changed_fields.join(", ")
                    )
                }
            };
            if self.options.dry_run {
                return out;
            }
            let current = Some(Fingerprint::of(&agent.profile, self.fields).encode());
            let journal_lags = entry.is_none_or(|e| {
                e.fingerprint.is_none() || e.source_native.is_none() || !changed.is_empty()
            });
            if stale.is_empty() && journal_lags {
                // A match, a row from before fingerprints, or changes the target already has.
                self.note(&mut out, agent, target, current, "matched").await;
            } else if entry.is_none() {
                // A match whose differences were not brought over: journaled without a
                // fingerprint, so the next run compares it with the target again.
                self.note(&mut out, agent, target, None, "matched").await;
            }
            return out;
        }
        out.action = Action::Update;
        out.reason = format!("{why}, {what}: {}", out.changed_fields.join(", "));
        if self.options.dry_run {
            return out;
        }
        let Some(id) = target.gateway else {
            return failed(out, "the target agent has no gateway id");
        };
        // Only the fields that changed: an edit made on the target to any other field stays.
        let patch = ProfilePatch::only(&agent.profile, &stale);
        match self.target.update(&AgentId::Int(id), patch).await {
            Ok(_) => {
                let current = Some(Fingerprint::of(&agent.profile, self.fields).encode());
                self.note(&mut out, agent, target, current, "update").await
            }
            Err(e) => out = failed(out, &e.to_string()),
        }
        out
    }

    /// A source agent the target does not have.
    async fn create(&self, agent: &Listed) -> Outcome {
        let mut out = Outcome::new(&agent.native, &agent.profile.email);
        out.lost_fields = lost_fields(
            &agent.profile,
            self.target.profile().map(|p| p.created_with),
        );
        let mut new = NewAgent {
            profile: agent.profile.clone(),
            password: None,
        };
        if self.target.profile().is_some_and(|p| p.requires_password) {
            match (self.options.password_policy, self.options.passwords_given) {
                (Some(PasswordPolicy::Generate), true) => {
                    new.password = Some(agentgw_upstream::generated_password())
                }
                (Some(PasswordPolicy::Generate), false) => {
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
                            self.options.to
                        ),
                    );
                }
            }
        }
        let new = match self.target.prepare_create(new) {
            Ok(new) => new,
            Err(e) => return cannot(out, &e.to_string()),
        };
        out.synthesised_fields = Field::ALL
            .iter()
            .filter(|f| !delta::same(&agent.profile, &new.profile, **f))
            .map(|f| f.name())
            .collect();
        if self.target.profile().is_some_and(|p| p.requires_password) {
            out.synthesised_fields.push("password");
        }
        out.action = Action::Create;
        if self.options.dry_run {
            return out;
        }
        // The password is on disk before the agent exists: a crash cannot lose it.
        if let (Some(file), Some(password)) = (&self.options.passwords, &new.password) {
            let written = file.lock().map_err(|_| ()).and_then(|mut f| {
                writeln!(f, "{}\t{}", agent.profile.email, password.expose())
                    .and_then(|()| f.sync_all())
                    .map_err(|_| ())
            });
            if written.is_err() {
                return failed(out, "could not write the passwords file");
            }
        }
        let created = match self.target.create(new).await {
            Ok(created) => created,
            Err(e) => return failed(out, &e.to_string()),
        };
        let native = match self.target.native_id(created.ids.int).await {
            Ok(native) => native.unwrap_or_else(|| created.ids.int.to_string()),
            Err(e) => return failed(out, &format!("created, but its id cannot be read: {e}")),
        };
        let target = Listed {
            native,
            gateway: Some(created.ids.int),
            profile: created.profile,
        };
        let current = Some(Fingerprint::of(&agent.profile, self.fields).encode());
        self.note(&mut out, agent, &target, current, "create").await;
        out
    }

    /// A journaled agent gone at the source: delete it on the target when asked to.
    async fn gone(
        &self,
        key: &str,
        entry: &JournalEntry,
        target: Option<&Listed>,
        claimed: bool,
    ) -> Outcome {
        let source_id = entry
            .source_native
            .clone()
            .unwrap_or_else(|| key.to_owned());
        let email = target.map(|t| t.profile.email.as_str()).unwrap_or("");
        let mut out = Outcome::new(&source_id, email);
        out.target_id = target
            .map(|t| t.native.clone())
            .or_else(|| entry.target_native.clone());
        let (reason, delete) = match (target, claimed) {
            (None, _) => ("gone at the source and from the target", false),
            (Some(_), true) => (
                "gone at the source, but another source agent now has its target agent",
                false,
            ),
            (Some(_), false) if !self.options.delete_missing => (
                "gone at the source (pass --delete-missing to delete it on the target)",
                false,
            ),
            (Some(_), false) => ("gone at the source", true),
        };
        out.reason = reason.into();
        out.pending = target.is_some() && !claimed && !self.options.delete_missing;
        if delete {
            out.action = Action::Delete;
        }
        // An entry stays while its target agent does and is left alone; otherwise it goes.
        let keep = target.is_some() && !claimed && !delete;
        if self.options.dry_run || keep {
            return out;
        }
        if let Some(id) = target.and_then(|t| t.gateway).filter(|_| delete) {
            // The dialect's own delete: what "deleted" means there (Rocket.Chat loses the
            // manager role first, Libredesk and Comm100 delete) is the adapter's to know.
            match self.target.delete(&AgentId::Int(id)).await {
                Ok(()) | Err(BackendError::NotFound) => {}
                Err(e) => return failed(out, &e.to_string()),
            }
        }
        // Nothing is left for this journal entry to say.
        if let Err(e) = self.journal.forget(key).await {
            return failed(out, &format!("the journal could not forget it: {e}"));
        }
        out
    }

    /// Record in the journal that `agent` is `target`, with `fingerprint` (the source's fields
    /// the target now has; `None` when the target has not caught up).
    async fn note(
        &self,
        out: &mut Outcome,
        agent: &Listed,
        target: &Listed,
        fingerprint: Option<String>,
        action: &str,
    ) {
        let Some(source) = agent.gateway else { return };
        let Some(target_id) = target.gateway else {
            return;
        };
        let entry = JournalEntry {
            target: target_id.to_string(),
            source_native: Some(agent.native.clone()),
            target_native: Some(target.native.clone()),
            fingerprint,
        };
        out.target_id = Some(target.native.clone());
        if let Err(e) = self
            .journal
            .record(&source.to_string(), &entry, action)
            .await
        {
            out.action = Action::Failed;
            out.reason = format!("copied, but the journal could not record it: {e}");
        }
    }
}

/// What differs between a default profile and `p`, for the fields a target cannot hold.
fn lost_fields(p: &Profile, held: Option<&'static [Field]>) -> Vec<&'static str> {
    let Some(held) = held else { return Vec::new() };
    Field::ALL
        .iter()
        .filter(|f| !held.contains(f) && delta::is_set(p, **f))
        .map(|f| f.name())
        .collect()
}

fn cannot(mut out: Outcome, reason: &str) -> Outcome {
    out.action = Action::Cannot;
    out.reason = reason.to_owned();
    out
}

fn failed(mut out: Outcome, reason: &str) -> Outcome {
    out.action = Action::Failed;
    out.reason = reason.to_owned();
    out
}
