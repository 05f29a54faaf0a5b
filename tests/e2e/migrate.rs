//! `agentgw migrate` end to end: 1,000 agents between two real agentgw processes for three
//! dialect pairs, field by field; a re-run changes nothing; a run killed midway resumes without
//! duplicates; a dry run writes nothing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentgw_tests::{
    C1_TOKEN, Gateway, LC_TOKEN, LC_USER, LD_KEY, LD_SECRET, SH_TOKEN, TOKEN, client, json as read,
};
use serde_json::{Value, json};

const AGENTS: usize = 1000;

/// A gateway serving all five faces on its own store (livechat registers create agents).
pub(crate) fn helpdesk() -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = agentgw_tests::ndoto_config(dir.path()).replace(
        "\n[[routes]]\nname = \"supporthub\"",
        "\n[routes.policy]\nunknown_username = \"create\"\nemail_domain = \"example.com\"\n\n[[routes]]\nname = \"supporthub\"",
    );
    Gateway::start_in(crate::BIN, dir, &config, Vec::new())
}

fn credentials(dialect: &str) -> String {
    match dialect {
        "libredesk" => format!("{{ key = \"{LD_KEY}\", secret = \"{LD_SECRET}\" }}"),
        "comm100" => format!("{{ token = \"{C1_TOKEN}\" }}"),
        "supporthub" => format!("{{ token = \"{SH_TOKEN}\" }}"),
        "ndoto" => format!("{{ token = \"{TOKEN}\" }}"),
        _ => format!("{{ user_id = \"{LC_USER}\", token = \"{LC_TOKEN}\" }}"),
    }
}

/// A migrate configuration: `src` (dialect `from` at `s`) and `dst` (dialect `to` at `t`).
fn migrate_config(
    dir: &std::path::Path,
    s: &Gateway,
    from: &str,
    t: &Gateway,
    to: &str,
) -> std::path::PathBuf {
    let config = format!(
        "[store]\nurl = \"sqlite://{dir}/migrate.db\"\n\n\
         [upstreams.src]\ndialect = \"{from}\"\nbase_url = \"{s}/{from}\"\ncredentials = {sc}\n\n\
         [upstreams.dst]\ndialect = \"{to}\"\nbase_url = \"{t}/{to}\"\ncredentials = {tc}\n\
         [upstreams.dst.defaults]\ntime_zone = \"UTC\"\ndatetime_format = \"YYYY-MM-DD HH:mm:ss\"\nlast_name = \"-\"\nemail_domain = \"example.com\"\npassword = \"generate\"\n",
        dir = dir.display(),
        s = s.base,
        sc = credentials(from),
        t = t.base,
        tc = credentials(to),
    );
    let path = dir.join("migrate.toml");
    std::fs::write(&path, config).expect("write config");
    path
}

/// `agentgw migrate --from src --to dst` on `config`, generated passwords beside it, and `extra`.
fn migrate_command(config: &std::path::Path, extra: &[&str]) -> Command {
    let dir = config.parent().expect("dir");
    let mut command = Command::new(crate::BIN);
    command
        .args(["migrate", "--config", config.to_str().expect("utf-8")])
        .args(["--from", "src", "--to", "dst"])
        .arg("--passwords-file")
        .arg(dir.join("passwords.tsv"))
        .args(extra);
    command
}

fn migrate(config: &std::path::Path, extra: &[&str]) -> (bool, String, String) {
    let out = migrate_command(config, &[&["--concurrency", "8"], extra].concat())
        .output()
        .expect("run migrate");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Seed `n` agents into `s` through its ndoto face (every tenth an administrator).
/// Start `migrate` (output discarded) and SIGKILL it once `progress` reaches `at`, failing if
/// it makes no progress within 120 s or ends before it can be killed; the progress at the kill.
async fn kill_midway(
    mut command: Command,
    what: &str,
    at: usize,
    mut progress: impl AsyncFnMut() -> usize,
) -> usize {
    let mut child = command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("migrate");
    let deadline = Instant::now() + Duration::from_secs(120);
    while progress().await < at {
        assert!(Instant::now() < deadline, "{what} made no progress");
        assert!(
            child.try_wait().expect("wait").is_none(),
            "{what} ended before it could be killed"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    child.kill().expect("kill -9");
    let _ = child.wait();
    progress().await
}

pub(crate) async fn seed(s: &Gateway, n: usize) {
    let c = client();
    for i in 0..n {
        let role = if i % 10 == 0 {
            "administrator"
        } else {
            "agent"
        };
        let res = c
            .post(s.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", TOKEN)
            .json(&json!({"name": format!("Person {i:04}"), "email": format!("person{i:04}@example.com"), "role": role}))
            .send()
            .await
            .expect("seed");
        assert_eq!(res.status().as_u16(), 200);
    }
}

/// Every agent of `g` as ndoto shows them (any face would do: one tenant), keyed by email.
async fn people(g: &Gateway) -> Vec<Value> {
    read(
        client()
            .get(g.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("list"),
    )
    .await
    .1
    .as_array()
    .cloned()
    .unwrap_or_default()
}

fn count(stdout: &str, action: &str) -> usize {
    stdout
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix(action)
                .and_then(|r| r.trim().parse().ok())
        })
        .unwrap_or(usize::MAX)
}

/// Names, emails and roles are the same on both sides, agent for agent.
async fn same_people(s: &Gateway, t: &Gateway, keep_role: bool) {
    let key = |v: &Value| {
        (
            v["email"].as_str().unwrap_or_default().to_owned(),
            v["name"].as_str().unwrap_or_default().to_owned(),
            v["role"].as_str().unwrap_or_default().to_owned(),
        )
    };
    let mut src: Vec<_> = people(s).await.iter().map(key).collect();
    let mut dst: Vec<_> = people(t).await.iter().map(key).collect();
    src.sort();
    dst.sort();
    assert_eq!(dst.len(), src.len(), "one target agent per source agent");
    for (a, b) in src.iter().zip(&dst) {
        assert_eq!(a.0, b.0, "email");
        if keep_role {
            assert_eq!((&a.1, &a.2), (&b.1, &b.2), "name and role of {}", a.0);
        }
    }
}

#[tokio::test]
async fn supporthub_to_comm100_with_rerun_and_resume() {
    let (s, t) = (helpdesk(), helpdesk());
    seed(&s, AGENTS).await;
    // A time zone set through supporthub must arrive as comm100's Windows zone.
    let sh = read(
        client()
            .get(s.url("/supporthub/api/agents?filter[email]=person0001"))
            .bearer_auth(SH_TOKEN)
            .send()
            .await
            .expect("find"),
    )
    .await
    .1;
    let id = sh["data"][0]["id"].clone();
    let res = client()
        .patch(s.url(&format!("/supporthub/api/agents/{id}")))
        .bearer_auth(SH_TOKEN)
        .json(&json!({"timezone": "America/Los_Angeles"}))
        .send()
        .await
        .expect("tz");
    assert_eq!(res.status().as_u16(), 200);
    let dir = tempfile::tempdir().expect("tempdir");
    let config = migrate_config(dir.path(), &s, "supporthub", &t, "comm100");

    // Killed midway...
    let passwords = dir.path().join("passwords.tsv");
    let command = migrate_command(&config, &["--concurrency", "4"]);
    let partial = kill_midway(command, "the first run", 150, async || {
        people(&t).await.len()
    })
    .await;
    assert!(partial < AGENTS, "killed midway: {partial}");

    // ...and resumed: everything, once.
    let (ok, stdout, stderr) = migrate(&config, &[]);
    assert!(ok, "{stdout}\n{stderr}");
    assert_eq!(count(&stdout, "failed"), 0, "{stdout}");
    assert_eq!(count(&stdout, "total"), AGENTS, "{stdout}");
    same_people(&s, &t, true).await;
    let comm = read(
        client()
            .get(t.url("/comm100/v4/global/agents?keywords=person0001"))
            .bearer_auth(C1_TOKEN)
            .send()
            .await
            .expect("comm100"),
    )
    .await
    .1;
    assert_eq!(
        (comm[0]["firstName"].as_str(), comm[0]["lastName"].as_str()),
        (Some("Person"), Some("0001"))
    );
    assert_eq!(
        comm[0]["timeZone"], "Pacific Standard Time",
        "America/Los_Angeles in comm100's words"
    );
    let admin = read(
        client()
            .get(t.url("/comm100/v4/global/agents?keywords=person0010"))
            .bearer_auth(C1_TOKEN)
            .send()
            .await
            .expect("comm100"),
    )
    .await
    .1;
    assert_eq!(
        admin[0]["isAdmin"], true,
        "supporthub role 1 is comm100's isAdmin"
    );

    // Generated passwords went to the operator's file, mode 0600, one per created agent.
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(&passwords).expect("passwords file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let lines = std::fs::read_to_string(&passwords)
        .expect("read")
        .lines()
        .count();
    assert!(
        lines >= AGENTS - partial,
        "{lines} passwords for {} creates",
        AGENTS - partial
    );

    // A second run changes nothing and says so.
    let (ok, stdout, _) = migrate(&config, &[]);
    assert!(ok);
    assert_eq!(
        (
            count(&stdout, "create"),
            count(&stdout, "update"),
            count(&stdout, "skip")
        ),
        (0, 0, AGENTS),
        "{stdout}"
    );
    assert!(stdout.contains("nothing to change"), "{stdout}");
    assert_eq!(people(&t).await.len(), AGENTS);
}

#[tokio::test]
async fn livechat_to_libredesk_field_by_field_with_a_report() {
    let (s, t) = (helpdesk(), helpdesk());
    seed(&s, AGENTS).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = migrate_config(dir.path(), &s, "livechat", &t, "libredesk");
    let report = dir.path().join("report.json");
    let (ok, stdout, stderr) = migrate(&config, &["--report", report.to_str().expect("utf-8")]);
    assert!(ok, "{stdout}\n{stderr}");
    assert_eq!(count(&stdout, "create"), AGENTS, "{stdout}");
    assert!(
        stderr.contains("progress: 1000/1000"),
        "plain progress lines when not a terminal: {stderr}"
    );
    same_people(&s, &t, true).await;
    let report: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("json");
    assert_eq!(report["counts"]["create"], AGENTS);
    assert_eq!(report["agents"].as_array().map(Vec::len), Some(AGENTS));
    assert!(report["agents"][0]["lost_fields"].is_array());
}

#[tokio::test]
async fn comm100_to_ndoto_dry_run_writes_nothing_then_runs() {
    let (s, t) = (helpdesk(), helpdesk());
    seed(&s, AGENTS).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = migrate_config(dir.path(), &s, "comm100", &t, "ndoto");
    let (ok, stdout, stderr) = migrate(&config, &["--dry-run"]);
    assert!(ok, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("nothing written")
            && stdout
                .lines()
                .any(|l| l.trim_start().starts_with("create")
                    && l.contains("person0000@example.com")),
        "{}",
        &stdout[..stdout.len().min(500)]
    );
    assert_eq!(people(&t).await.len(), 0, "a dry run writes nothing");
    let (ok, stdout, _) = migrate(&config, &[]);
    assert!(ok, "{stdout}");
    assert_eq!(count(&stdout, "create"), AGENTS);
    same_people(&s, &t, true).await;
    // Matched by email, case-insensitively: a third run with --update-existing updates, never duplicates.
    let (ok, stdout, _) = migrate(&config, &["--update-existing"]);
    assert!(ok);
    assert_eq!(
        count(&stdout, "skip"),
        AGENTS,
        "already migrated agents are skipped even with --update-existing: {stdout}"
    );
    assert_eq!(people(&t).await.len(), AGENTS);
}

/// `--update-existing` updates what changed at the source — journaled agents included — and
/// only that: a re-run without changes does nothing. `--from` equal to `--to` is refused.
#[tokio::test]
async fn update_existing_updates_changed_agents_only() {
    let (s, t) = (helpdesk(), helpdesk());
    seed(&s, 12).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = migrate_config(dir.path(), &s, "supporthub", &t, "comm100");
    let (ok, stdout, stderr) = migrate(&config, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(count(&stdout, "create"), 12, "{stdout}");

    // Nothing changed: an --update-existing run updates nothing and says so.
    let (ok, stdout, stderr) = migrate(&config, &["--update-existing"]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        (count(&stdout, "update"), count(&stdout, "skip")),
        (0, 12),
        "{stdout}"
    );
    assert!(stdout.contains("nothing to change"), "{stdout}");

    // Three renamed at the source: exactly those three are updated, field by field.
    let sh = |path: String, body: Value| {
        client()
            .patch(s.url(&format!("/supporthub/api/agents/{path}")))
            .bearer_auth(SH_TOKEN)
            .json(&body)
            .send()
    };
    for id in [2, 5, 9] {
        let res = sh(id.to_string(), json!({"last_name": format!("Renamed{id}")}))
            .await
            .expect("rename");
        assert_eq!(res.status().as_u16(), 200);
    }
    let report = dir.path().join("report.json");
    let report_arg = report.to_str().expect("utf-8").to_owned();
    let (ok, stdout, stderr) = migrate(&config, &["--update-existing", "--report", &report_arg]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        (count(&stdout, "update"), count(&stdout, "skip")),
        (3, 9),
        "{stdout}"
    );
    assert!(!stdout.contains("nothing to change"), "{stdout}");
    let report: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    let updated: Vec<&Value> = report["agents"]
        .as_array()
        .expect("agents")
        .iter()
        .filter(|a| a["action"] == "update")
        .collect();
    assert_eq!(updated.len(), 3);
    for a in updated {
        assert!(
            a["changed_fields"]
                .as_array()
                .is_some_and(|f| f.contains(&json!("last_name"))),
            "{a}"
        );
    }
    let renamed = people(&t)
        .await
        .iter()
        .filter(|p| p["name"].as_str().is_some_and(|n| n.contains("Renamed")))
        .count();
    assert_eq!(renamed, 3, "the target has the new names");

    // And a third run does nothing.
    let (ok, stdout, _) = migrate(&config, &["--update-existing"]);
    assert!(ok);
    assert_eq!(count(&stdout, "update"), 0, "{stdout}");

    // --from equal to --to: refused before anything is read.
    let out = Command::new(crate::BIN)
        .args([
            "migrate",
            "--config",
            config.to_str().expect("utf-8"),
            "--from",
            "src",
            "--to",
            "src",
        ])
        .output()
        .expect("run migrate");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be migrated onto itself"));
}

/// Rename, delete and add agents at `s` through its supporthub face: last names of `renamed`
/// become `Renamed<id>`, `deleted` go, and `added` new agents arrive.
async fn change_source(s: &Gateway, renamed: &[u64], deleted: &[u64], added: usize) {
    let c = client();
    for id in renamed {
        let res = c
            .patch(s.url(&format!("/supporthub/api/agents/{id}")))
            .bearer_auth(SH_TOKEN)
            .json(&json!({"last_name": format!("Renamed{id}")}))
            .send()
            .await
            .expect("rename");
        assert_eq!(res.status().as_u16(), 200, "rename {id}");
    }
    for id in deleted {
        let res = c
            .delete(s.url(&format!("/supporthub/api/agents/{id}")))
            .bearer_auth(SH_TOKEN)
            .send()
            .await
            .expect("delete");
        assert!(res.status().is_success(), "delete {id}: {}", res.status());
    }
    for i in 0..added {
        let res = c
            .post(s.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", TOKEN)
            .json(&json!({"name": format!("Newcomer {i:04}"), "email": format!("newcomer{i:04}@example.com"), "role": "agent"}))
            .send()
            .await
            .expect("add");
        assert_eq!(res.status().as_u16(), 200);
    }
}

/// The agents of `g` with a renamed last name.
async fn renamed_on(g: &Gateway) -> usize {
    people(g)
        .await
        .iter()
        .filter(|p| p["name"].as_str().is_some_and(|n| n.contains("Renamed")))
        .count()
}

/// A cutover's delta run: after a full copy, three agents change at the source, one is
/// deleted and one added; the delta run does exactly 3 updates, 1 create and 1 delete, names
/// each agent by both helpdesks' own ids, and a third run does nothing. A dry run first writes
/// nothing anywhere (not even the gateway's store file).
#[tokio::test]
async fn delta_run_brings_only_what_changed() {
    let (s, t) = (helpdesk(), helpdesk());
    seed(&s, 12).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = migrate_config(dir.path(), &s, "supporthub", &t, "comm100");
    let (ok, stdout, stderr) = migrate(&config, &["--dry-run"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("0 unchanged, 0 changed, 12 new, 0 gone"),
        "{stdout}"
    );
    assert!(
        !dir.path().join("migrate.db").exists(),
        "a dry run created the gateway's store"
    );
    let (ok, stdout, stderr) = migrate(&config, &[]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(count(&stdout, "create"), 12, "{stdout}");

    change_source(&s, &[2, 5, 9], &[7], 1).await;
    // Without the flags, the changes and the departure are said to be left, never "nothing to change".
    let (ok, stdout, stderr) = migrate(&config, &["--dry-run"]);
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("left as they are: 4 agents") && !stdout.contains("nothing to change"),
        "{stdout}"
    );
    // --delete-missing deletes: it asks for --yes, unless only planned.
    let (ok, _, stderr) = migrate(&config, &["--update-existing", "--delete-missing"]);
    assert!(!ok && stderr.contains("add --yes"), "{stderr}");
    let (ok, stdout, stderr) = migrate(
        &config,
        &["--update-existing", "--delete-missing", "--dry-run"],
    );
    assert!(ok, "{stdout}{stderr}");
    assert!(
        stdout.contains("8 unchanged, 3 changed, 1 new, 1 gone at the source"),
        "the counts come before anything is done: {stdout}"
    );
    assert_eq!(
        (
            count(&stdout, "update"),
            count(&stdout, "create"),
            count(&stdout, "delete")
        ),
        (3, 1, 1),
        "{stdout}"
    );
    assert_eq!(renamed_on(&t).await, 0, "a dry run writes nothing");

    let report = dir.path().join("report.json");
    let report_arg = report.to_str().expect("utf-8").to_owned();
    let (ok, stdout, stderr) = migrate(
        &config,
        &[
            "--update-existing",
            "--delete-missing",
            "--yes",
            "--report",
            &report_arg,
        ],
    );
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(
        (
            count(&stdout, "update"),
            count(&stdout, "create"),
            count(&stdout, "delete"),
            count(&stdout, "skip")
        ),
        (3, 1, 1, 8),
        "{stdout}"
    );
    assert_eq!(renamed_on(&t).await, 3, "the target has the new names");
    same_people(&s, &t, true).await;

    // The report names agents as each helpdesk does: supporthub's integers, comm100's GUIDs.
    let report: Value =
        serde_json::from_slice(&std::fs::read(&report).expect("report")).expect("JSON");
    assert_eq!(report["delta"]["changed"], 3, "{report}");
    let agents = report["agents"].as_array().expect("agents");
    for a in agents {
        let source = a["source_id"].as_str().expect("source id");
        assert!(source.parse::<u64>().is_ok(), "a supporthub id: {a}");
        let target = a["target_id"].as_str().expect("target id");
        assert!(uuid::Uuid::parse_str(target).is_ok(), "a comm100 id: {a}");
    }
    let deleted: Vec<&Value> = agents.iter().filter(|a| a["action"] == "delete").collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["source_id"], "7", "the id it had at the source");
    let created: Vec<&Value> = agents.iter().filter(|a| a["action"] == "create").collect();
    assert_eq!(created[0]["email"], "newcomer0000@example.com");
    assert!(
        created[0]["synthesised_fields"]
            .as_array()
            .is_some_and(|f| f.contains(&json!("password"))),
        "comm100 requires a password, generated: {}",
        created[0]
    );

    // A third run does nothing.
    let (ok, stdout, _) = migrate(&config, &["--update-existing", "--delete-missing", "--yes"]);
    assert!(ok);
    assert!(
        stdout.contains("12 unchanged, 0 changed, 0 new, 0 gone"),
        "{stdout}"
    );
    assert!(stdout.contains("nothing to change"), "{stdout}");
}

/// The same delta, killed (SIGKILL) halfway through: the next run finishes it, nothing is
/// duplicated or lost, and the run after that does nothing.
#[tokio::test]
async fn delta_run_killed_midway_resumes() {
    const SEEDED: u64 = 240;
    let (s, t) = (helpdesk(), helpdesk());
    seed(&s, SEEDED as usize).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = migrate_config(dir.path(), &s, "supporthub", &t, "comm100");
    let (ok, stdout, stderr) = migrate(&config, &[]);
    assert!(ok, "{stdout}{stderr}");

    // Enough changes that the run is still going when it is killed.
    let renamed: Vec<u64> = (1..=200).collect();
    let deleted: Vec<u64> = (201..=210).collect();
    change_source(&s, &renamed, &deleted, 10).await;
    let command = migrate_command(
        &config,
        &[
            "--update-existing",
            "--delete-missing",
            "--yes",
            "--concurrency",
            "1",
        ],
    );
    let partial = kill_midway(command, "the delta run", 20, async || renamed_on(&t).await).await;
    assert!(partial < renamed.len(), "killed midway: {partial}");

    let (ok, stdout, stderr) =
        migrate(&config, &["--update-existing", "--delete-missing", "--yes"]);
    assert!(ok, "{stdout}{stderr}");
    assert_eq!(count(&stdout, "failed"), 0, "{stdout}");
    assert!(
        count(&stdout, "update") <= renamed.len() - partial + 1,
        "at most the agent under way at the kill is written twice: {stdout}"
    );
    assert_eq!(renamed_on(&t).await, renamed.len());
    same_people(&s, &t, true).await;

    let (ok, stdout, _) = migrate(&config, &["--update-existing", "--delete-missing", "--yes"]);
    assert!(ok);
    assert!(
        stdout.contains(&format!("{} unchanged, 0 changed, 0 new, 0 gone", SEEDED)),
        "{stdout}"
    );
    assert!(stdout.contains("nothing to change"), "{stdout}");
}

/// `--watch` repeats delta runs, one line each, brings a change made between two of them,
/// and stops cleanly on Ctrl-C (SIGINT) with exit 0.
#[tokio::test]
async fn watch_repeats_delta_runs_until_interrupted() {
    use std::io::BufRead;
    let (s, t) = (helpdesk(), helpdesk());
    seed(&s, 6).await;
    let dir = tempfile::tempdir().expect("tempdir");
    let config = migrate_config(dir.path(), &s, "supporthub", &t, "comm100");
    let mut child = migrate_command(
        &config,
        &["--update-existing", "--watch", "--interval", "300ms"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .expect("migrate --watch");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            let _ = tx.send(line);
        }
    });
    let next = |what: &str| {
        rx.recv_timeout(Duration::from_secs(60))
            .unwrap_or_else(|e| panic!("no {what} line: {e}"))
    };
    let first = next("first run");
    assert!(first.contains("run 1: create 6,"), "{first}");
    let second = next("second run");
    assert!(
        second.contains("run 2: create 0, update 0, delete 0, skip 6"),
        "{second}"
    );
    change_source(&s, &[3], &[], 0).await;
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let line = next("later run");
        if line.contains("update 1") {
            assert!(line.contains("1 changed"), "{line}");
            break;
        }
        assert!(Instant::now() < deadline, "the change never arrived");
    }
    assert_eq!(renamed_on(&t).await, 1);
    let pid = child.id().to_string();
    let sent = Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .expect("kill");
    assert!(sent.success());
    let status = child.wait().expect("wait");
    assert!(
        status.success(),
        "a watch stopped by Ctrl-C exits 0: {status}"
    );
}
