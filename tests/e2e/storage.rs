//! Storage faults as an SRE meets them: a full disk under the store, a database down when the
//! gateway starts, a database restarted under load. Each is produced for real — a small
//! filesystem of the test's own, a private PostgreSQL cluster stopped and started by the test
//! — and seen by clients of every face: the dialect's 503 with `Retry-After`, never a 404 or a
//! 500, one log line naming the cause, and no acknowledged write lost.

use std::time::{Duration, Instant};

use agentgw_inbound::kit::{Call, Person};
use agentgw_tests::{Gateway, client, json as read};
use serde_json::json;

use crate::faces::{self, Face};

/// A gateway serving every face (and `/metrics`) over the store at `store_url`, its files
/// (configuration, log) apart from the store's.
fn gateway(store_url: &str, store_extra: &str) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = faces::config(
        store_url,
        64 * 1024,
        "embedded",
        "[admin]\nlisten = \"127.0.0.1:0\"\n",
    )
    .replacen(
        &format!("url = \"{store_url}\"\n"),
        &format!("url = \"{store_url}\"\n{store_extra}"),
        1,
    );
    Gateway::start_in(crate::BIN, dir, &text, Vec::new())
}

/// A person numbered `i`, with long names so that each create takes some room.
fn person(i: usize) -> (String, String) {
    (format!("full{i}"), "N".repeat(200))
}

/// Create agent `i` through ndoto: the status and body.
async fn create(gw: &Gateway, i: usize) -> (u16, serde_json::Value, Option<String>) {
    let (local, last) = person(i);
    let res = faces::request(gw, reqwest::Method::POST, "/ndoto/api/v1/accounts/1/agents")
        .json(&json!({"name": format!("Full {last}"), "email": format!("{local}@example.com"), "role": "agent"}))
        .send()
        .await
        .expect("create");
    let retry = res
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (status, body) = read(res).await;
    (status, body, retry)
}

async fn readyz(gw: &Gateway) -> (u16, serde_json::Value) {
    read(
        client()
            .get(gw.url("/readyz"))
            .send()
            .await
            .expect("readyz"),
    )
    .await
}

async fn metric(gw: &Gateway, prefix: &str) -> f64 {
    let admin = gw.admin.as_deref().expect("admin listener");
    let text = client()
        .get(format!("{admin}/metrics"))
        .send()
        .await
        .expect("scrape")
        .text()
        .await
        .expect("text");
    text.lines()
        .find(|l| l.starts_with(prefix))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

/// Fill whatever room is left on `disk` with a ballast file, then give `keep` bytes back.
fn fill_all_but(disk: &agentgw_tests::disk::SmallDisk, keep: u64) -> std::path::PathBuf {
    use std::io::Write;
    let path = disk.join("ballast");
    let mut file = std::fs::File::create(&path).expect("ballast");
    let chunk = vec![0x5a_u8; 16 * 1024];
    let mut written = 0u64;
    while file.write_all(&chunk).is_ok() {
        written += chunk.len() as u64;
    }
    drop(file);
    let keep = keep.min(written);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_len(written - keep))
        .expect("give room back");
    path
}

/// Fill the store through ndoto until a create is refused; every answer on the way is a
/// 200 or the face's 503 with `Retry-After`. The emails acknowledged, and the refusal.
async fn fill_up(gw: &Gateway) -> (Vec<usize>, serde_json::Value) {
    let mut acknowledged = Vec::new();
    for i in 0..20_000 {
        let (status, body, retry) = create(gw, i).await;
        match status {
            200 => acknowledged.push(i),
            503 => {
                assert_eq!(retry.as_deref(), Some("1"), "a 503 says when to retry");
                assert!(faces::is_error_at("/ndoto", 503, &body), "{body}");
                return (acknowledged, body);
            }
            other => panic!("create {i} on a filling disk: {other} {body}"),
        }
    }
    panic!("the disk never filled up");
}

/// The request lines of writes answered 404 or 500.
fn failed_writes(logs: &str) -> Vec<&str> {
    logs.lines()
        .filter(|l| {
            l.contains("method=POST") || l.contains("method=PATCH") || l.contains("method=PUT")
        })
        .filter(|l| l.contains("status=404") || l.contains("status=500"))
        .collect()
}

/// What every face's create answers on a full store: its own 503. PostgreSQL may still fit
/// a row in a page it has after refusing another, so a face may take a few more creates
/// first (each a 200, counted) before the 503. How many were made.
async fn every_face_refuses_with_its_503(gw: &Gateway) -> usize {
    let mut made = 0;
    for face in faces::all() {
        let refused = 'tries: {
            for attempt in 0..200 {
                let local = format!("refused-{}-{attempt}", face.name());
                let person = Person {
                    local: &local,
                    first: "Refused",
                    last: "Writer",
                };
                let (status, body) = face.call(gw, (face.kit().create)(&person)).await;
                match status {
                    200 | 201 => made += 1,
                    503 => {
                        assert!(face.is_error(503, &body), "{}: {body}", face.name());
                        break 'tries true;
                    }
                    other => panic!("{} create on a full disk: {other} {body}", face.name()),
                }
            }
            false
        };
        assert!(refused, "{} never refused on a full disk", face.name());
    }
    made
}

/// Every acknowledged create is there, readable, and nothing else was made.
async fn all_there(gw: &Gateway, acknowledged: &[usize], extra: usize) {
    let ndoto: Face = faces::named("ndoto");
    let listed = ndoto.list_all(gw, 100).await;
    let emails: std::collections::HashSet<String> = listed
        .iter()
        .filter_map(|a| a["email"].as_str().map(str::to_owned))
        .collect();
    for i in acknowledged {
        assert!(
            emails.contains(&format!("full{i}@example.com")),
            "acknowledged create {i} is there"
        );
    }
    assert_eq!(
        listed.len(),
        acknowledged.len() + extra,
        "nothing half-made"
    );
}

#[tokio::test]
#[cfg_attr(
    not(mount_tests),
    ignore = "needs CAP_SYS_ADMIN to mount a small filesystem (always run under CI)"
)]
async fn a_full_disk_under_sqlite_is_every_faces_503_and_writes_resume_when_space_returns() {
    let disk = agentgw_tests::disk::SmallDisk::mount(8 * 1024 * 1024);
    let store = format!("sqlite://{}/agentgw.db", disk.path().display());
    let mut gw = gateway(&store, "");
    let (status, _, _) = create(&gw, 100_000).await;
    assert_eq!(status, 200);
    let ballast = fill_all_but(&disk, 256 * 1024);

    let (mut acknowledged, _) = fill_up(&gw).await;
    acknowledged.push(100_000);
    let made = every_face_refuses_with_its_503(&gw).await;
    // Reads go on, and the gateway stays ready: it can still answer.
    let ndoto = faces::named("ndoto");
    let (status, _) = ndoto
        .call(&gw, Call::get("/api/v1/accounts/1/agents/1"))
        .await;
    assert_eq!(status, 200);
    assert_eq!(readyz(&gw).await.0, 200);

    let logs = gw.settled_logs().await;
    let lines: Vec<&str> = logs
        .lines()
        .filter(|l| l.contains("ERROR") && l.contains("disk_full"))
        .collect();
    assert_eq!(lines.len(), 1, "one line names the cause: {logs}");
    assert!(
        lines[0].contains("disk under the store is full"),
        "{}",
        lines[0]
    );
    assert_eq!(
        failed_writes(&logs),
        Vec::<&str>::new(),
        "never a 404 or a 500"
    );
    assert!(
        metric(&gw, "agentgw_store_errors_total{cause=\"disk_full\"}").await >= 6.0,
        "counted: the ndoto refusal and one per face"
    );

    // Space returns: writes resume without a restart.
    std::fs::remove_file(ballast).expect("free the disk");
    let (status, body, _) = create(&gw, 200_000).await;
    assert_eq!(status, 200, "{body}");
    acknowledged.push(200_000);
    all_there(&gw, &acknowledged, made).await;

    // And all of it survives a crash.
    gw.restart();
    all_there(&gw, &acknowledged, made).await;
    let mut conn = {
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&store).await.expect("open")
    };
    let check: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut conn)
        .await
        .expect("integrity_check");
    assert_eq!(check, "ok");
}

#[tokio::test]
#[cfg_attr(
    not(all(postgres_tests, mount_tests)),
    ignore = "PostgreSQL and CAP_SYS_ADMIN (a tablespace on a small filesystem); always run under CI"
)]
async fn a_full_disk_under_postgres_is_every_faces_503_and_writes_resume_when_space_returns() {
    let Some(cluster) = agentgw_tests::cluster::Cluster::init() else {
        return;
    };
    cluster.start();
    // The agents' files on a small disk, PostgreSQL's own WAL on the large one: a full
    // tablespace is a clean 53100 for the statement, where a full WAL would stop the server.
    let disk = agentgw_tests::disk::SmallDisk::mount(32 * 1024 * 1024);
    let space = disk.join("space");
    std::fs::create_dir(&space).expect("tablespace directory");
    let chown = std::process::Command::new("chown")
        .args(["postgres:postgres"])
        .arg(&space)
        .status()
        .expect("chown");
    assert!(chown.success());
    cluster.sql(&format!(
        "CREATE TABLESPACE small LOCATION '{}'",
        space.display()
    ));
    cluster.sql("CREATE DATABASE full_disk TABLESPACE small");
    let store = cluster.database_url("full_disk");
    let gw = gateway(&store, "");
    let (status, body, _) = create(&gw, 100_000).await;
    assert_eq!(status, 200, "{body}: {}", gw.logs());
    let ballast = fill_all_but(&disk, 128 * 1024);

    let (mut acknowledged, _) = fill_up(&gw).await;
    acknowledged.push(100_000);
    let made = every_face_refuses_with_its_503(&gw).await;
    let ndoto = faces::named("ndoto");
    let (status, _) = ndoto
        .call(&gw, Call::get("/api/v1/accounts/1/agents/1"))
        .await;
    assert_eq!(status, 200, "reads go on");
    let logs = gw.settled_logs().await;
    assert!(logs.contains("disk_full"), "the cause is named: {logs}");
    assert!(
        !logs.contains(" status=404") && !logs.contains(" status=500"),
        "{logs}"
    );

    std::fs::remove_file(ballast).expect("free the disk");
    let (status, body, _) = create(&gw, 200_000).await;
    assert_eq!(status, 200, "{body}");
    acknowledged.push(200_000);
    all_there(&gw, &acknowledged, made).await;
    drop(gw);
    cluster.stop();
}

/// A configuration whose store is a PostgreSQL that does not answer, with one route on it
/// and one on an upstream.
fn down_config(store_url: &str, store_extra: &str) -> String {
    format!(
        "[server]\nlisten = \"127.0.0.1:0\"\n[store]\nurl = \"{store_url}\"\n{store_extra}\n\
         [[routes]]\nname = \"ndoto\"\ndialect = \"ndoto\"\nprefix = \"/ndoto\"\ncredentials = [{{ token = \"{}\" }}]\n",
        agentgw_tests::TOKEN
    )
}

#[tokio::test]
async fn a_database_down_at_start_is_waited_for_while_the_gateway_answers() {
    let port = agentgw_tests::closed_port();
    let url = format!("postgres://agentgw@127.0.0.1:{port}/x");
    let dir = tempfile::tempdir().expect("tempdir");
    let gw = Gateway::start_in(crate::BIN, dir, &down_config(&url, ""), Vec::new());

    let (status, _) = read(
        client()
            .get(gw.url("/healthz"))
            .send()
            .await
            .expect("healthz"),
    )
    .await;
    assert_eq!(status, 200, "alive");
    assert_eq!(
        readyz(&gw).await,
        (
            503,
            json!({"status": "unavailable", "store": "not_connected"})
        ),
        "not ready, and says why"
    );
    let started = Instant::now();
    let mut answers = Vec::new();
    for _ in 0..20 {
        let res = client()
            .get(gw.url("/ndoto/api/v1/accounts/1/agents/1"))
            .header("api_access_token", agentgw_tests::TOKEN)
            .send()
            .await
            .expect("get");
        let retry = res.headers().get("retry-after").is_some();
        answers.push((read(res).await, retry));
    }
    for ((status, body), retry) in &answers {
        assert_eq!(*status, 503, "{body}");
        assert!(*retry, "Retry-After");
        assert!(faces::is_error_at("/ndoto", 503, body), "{body}");
    }
    let (status, _) = read(
        client()
            .get(gw.url("/ndoto/api/v1/accounts/1/agents/1"))
            .send()
            .await
            .expect("get"),
    )
    .await;
    assert_eq!(status, 401, "credentials are still checked first");
    let logs = gw.settled_logs().await;
    let attempts = logs.matches("cannot reach the database").count();
    // One line per attempt, with back-off between them: a handful in this test's seconds,
    // never one per request.
    let secs = started.elapsed().as_secs() + 3;
    assert!(
        (1..=secs as usize).contains(&attempts),
        "{attempts} lines in ~{secs} s: {logs}"
    );
    assert!(
        logs.contains("Connection refused"),
        "the driver's reason: {logs}"
    );
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn a_database_that_comes_up_after_the_gateway_is_migrated_and_served() {
    let Some(cluster) = agentgw_tests::cluster::Cluster::init() else {
        return;
    };
    let gw = gateway(&cluster.url(), "");
    assert_eq!(readyz(&gw).await.0, 503);
    cluster.start();
    let deadline = Instant::now() + Duration::from_secs(60);
    while readyz(&gw).await.0 != 200 {
        assert!(
            Instant::now() < deadline,
            "never became ready: {}",
            gw.logs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let (status, body, _) = create(&gw, 1).await;
    assert_eq!(status, 200, "migrated and serving: {body}");
    let logs = gw.settled_logs().await;
    assert!(logs.contains("store connected; serving"), "{logs}");
    drop(gw);
    cluster.stop();
}

#[tokio::test]
#[cfg_attr(
    not(postgres_tests),
    ignore = "PostgreSQL: set AGENTGW_TEST_POSTGRES_URL to run"
)]
async fn a_database_restarted_under_load_costs_503s_and_no_acknowledged_write() {
    let Some(cluster) = agentgw_tests::cluster::Cluster::init() else {
        return;
    };
    cluster.start();
    let cluster = std::sync::Arc::new(cluster);
    let gw = std::sync::Arc::new(gateway(&cluster.url(), ""));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (gw, stop) = (gw.clone(), stop.clone());
            tokio::spawn(async move {
                let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
                let mut i = w * 1_000_000;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let (status, body, retry) = create(&gw, i).await;
                    match status {
                        200 => acknowledged.push(i),
                        503 => {
                            assert!(retry.is_some(), "Retry-After");
                            assert!(faces::is_error_at("/ndoto", 503, &body), "{body}");
                            refused.push(i);
                        }
                        other => panic!("create across a restart: {other} {body}"),
                    }
                    i += 1;
                }
                (acknowledged, refused)
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(800)).await;
    let restarted = cluster.clone();
    tokio::task::spawn_blocking(move || {
        restarted.stop();
        std::thread::sleep(Duration::from_millis(1500));
        restarted.start();
    })
    .await
    .expect("restart");
    // The writers go on against the restarted database before they stop.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (mut acknowledged, mut refused) = (Vec::new(), Vec::new());
    for w in writers {
        let (a, r) = w.await.expect("writer");
        acknowledged.extend(a);
        refused.extend(r);
    }
    // A request in the gap either waits for the database (the pool retries a refused
    // connection within its acquire timeout) or is refused with a 503; both are honest.
    eprintln!(
        "{} creates acknowledged, {} refused across the restart",
        acknowledged.len(),
        refused.len()
    );
    // Writes work again once the database is back (a request that waited through the gap
    // may have taken the writers' whole window on a loaded machine).
    let (status, body, _) = create(&gw, 9_000_000).await;
    assert_eq!(status, 200, "a write after the restart: {body}");
    acknowledged.push(9_000_000);
    // A create refused while the database went down may still have committed: PostgreSQL
    // can commit and then lose the connection before the answer arrives, which the gateway
    // can only report as unavailable. Such a row is whole (one statement), and its client,
    // retrying, finds the email taken. So: every acknowledged create is there, and every
    // other row is one of the refused ones, readable.
    let ndoto: Face = faces::named("ndoto");
    let listed = ndoto.list_all(&gw, 100).await;
    let emails: std::collections::HashSet<String> = listed
        .iter()
        .filter_map(|a| a["email"].as_str().map(str::to_owned))
        .collect();
    let email = |i: &usize| format!("{}@example.com", person(*i).0);
    for i in &acknowledged {
        assert!(
            emails.contains(&email(i)),
            "acknowledged create {i} is there"
        );
    }
    let attempted: std::collections::HashSet<String> =
        acknowledged.iter().chain(&refused).map(email).collect();
    assert!(
        emails.is_subset(&attempted),
        "nothing but what was asked for"
    );
    assert_eq!(emails.len(), listed.len(), "every row readable, none twice");
}
