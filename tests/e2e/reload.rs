//! SIGHUP re-reads the configuration: routes and credentials swap while requests are in
//! flight (every one is answered), and an invalid file is refused with its problems logged
//! while the running configuration keeps serving.

use std::time::{Duration, Instant};

use agentgw_tests::{Gateway, TOKEN, client, ndoto_config};

const AGENTS: &str = "/ndoto/api/v1/accounts/1/agents";

/// `client()` keeps no pool: each request opens its own connection, so what is measured is
/// the gateway's accepting during a reload, not a client's reuse of a closing connection.
async fn status_with(gw: &Gateway, token: &str) -> u16 {
    client()
        .get(gw.url(AGENTS))
        .header("api_access_token", token)
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

/// Wait until `token` is answered `status` (the reload has happened).
async fn until(gw: &Gateway, token: &str, status: u16) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while status_with(gw, token).await != status {
        assert!(
            Instant::now() < deadline,
            "no reload within 20 s:\n{}",
            gw.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sighup_swaps_credentials_in_flight_and_refuses_an_invalid_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let original = ndoto_config(dir.path());
    let gw = Gateway::start_in(crate::BIN, dir, &original, Vec::new());
    assert_eq!(status_with(&gw, "rotated-token").await, 401);

    // Clients keep asking with the token both configurations accept while the file changes.
    let base = gw.base.clone();
    let load = tokio::spawn(async move {
        let mut answers = Vec::new();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            let batch = (0..4).map(|_| {
                client()
                    .get(format!("{base}{AGENTS}"))
                    .header("api_access_token", TOKEN)
                    .send()
            });
            for res in futures_util::future::join_all(batch).await {
                answers.push(res.map(|r| r.status().as_u16()).map_err(|e| e.to_string()));
            }
        }
        answers
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let rotated = original.replace(
        "{ token = \"second-token\" }",
        "{ token = \"rotated-token\" }",
    );
    assert_ne!(rotated, original);
    gw.reload(&rotated);
    until(&gw, "rotated-token", 200).await;
    assert_eq!(
        status_with(&gw, "second-token").await,
        401,
        "the removed token is refused"
    );
    // More generations replaced under the same load: each hand-over must lose nothing.
    for _ in 0..4 {
        gw.reload(&rotated);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let answers = load.await.expect("load");
    assert!(answers.len() > 20, "{} requests", answers.len());
    let failed: Vec<_> = answers.iter().filter(|a| **a != Ok(200)).collect();
    assert!(
        failed.is_empty(),
        "every request in flight answered 200: {failed:?}"
    );

    // An invalid file: refused, its problem logged, the running configuration kept.
    gw.reload(&rotated.replace("dialect = \"ndoto\"", "dialect = \"comm101\""));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gw.logs().contains("configuration reload refused") {
        assert!(
            Instant::now() < deadline,
            "no refusal logged:\n{}",
            gw.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        gw.logs().contains("unknown dialect `comm101`"),
        "{}",
        gw.logs()
    );
    assert_eq!(status_with(&gw, "rotated-token").await, 200);

    // What a reload cannot apply is refused too: the store is the process's.
    gw.reload(&rotated.replace("agentgw.db", "other.db"));
    let deadline = Instant::now() + Duration::from_secs(20);
    while !gw.logs().contains("store.url changed") {
        assert!(Instant::now() < deadline, "{}", gw.logs());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status_with(&gw, "rotated-token").await, 200);
}
