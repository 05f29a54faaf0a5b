//! The server around the faces: health, paths, request ids, config checks and overrides.

use serde_json::json;

use agentgw_tests::{Gateway, TOKEN, client, json as read, ndoto_config, repo_root, run_cli};

#[tokio::test]
async fn health_and_readiness() {
    let gw = crate::gateway();
    assert_eq!(
        read(
            client()
                .get(gw.url("/healthz"))
                .send()
                .await
                .expect("healthz")
        )
        .await,
        (200, json!({"status": "ok"}))
    );
    assert_eq!(
        read(
            client()
                .get(gw.url("/readyz"))
                .send()
                .await
                .expect("readyz")
        )
        .await,
        (200, json!({"status": "ready"}))
    );
    let (status, _) = read(
        client()
            .get(gw.url("/nowhere"))
            .send()
            .await
            .expect("nowhere"),
    )
    .await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn double_slashes_and_trailing_slashes_are_collapsed() {
    let gw = crate::gateway();
    for path in [
        "//ndoto/api/v1/accounts/1/agents",
        "/ndoto//api/v1/accounts/1/agents/",
        "/ndoto/api/v1//accounts/1/agents",
    ] {
        let res = client()
            .get(gw.url(path))
            .header("api_access_token", TOKEN)
            .send()
            .await
            .expect("get");
        assert_eq!(read(res).await, (200, json!([])), "{path}");
    }
}

#[tokio::test]
async fn request_ids_are_echoed_or_made() {
    let gw = crate::gateway();
    let res = client()
        .get(gw.url("/healthz"))
        .header("x-request-id", "abc-123")
        .send()
        .await
        .expect("get");
    assert_eq!(
        res.headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("abc-123")
    );
    let res = client().get(gw.url("/healthz")).send().await.expect("get");
    let made = res
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert_eq!(made.len(), 32, "a fresh id: {made:?}");
    assert!(gw.settled_logs().await.contains("request_id=abc-123"));
}

#[tokio::test]
async fn environment_overrides_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The file's address is unusable; the environment's wins.
    let config = ndoto_config(dir.path()).replace("127.0.0.1:0", "256.0.0.1:1");
    let store = format!("sqlite://{}/from-env.db", dir.path().display());
    let env = vec![
        (
            "AGENTGW__SERVER__LISTEN".to_owned(),
            "127.0.0.1:0".to_owned(),
        ),
        ("AGENTGW__STORE__URL".to_owned(), store),
    ];
    let gw = Gateway::start_in(crate::BIN, dir, &config, env);
    assert_eq!(
        read(
            client()
                .get(gw.url("/readyz"))
                .send()
                .await
                .expect("readyz")
        )
        .await
        .0,
        200
    );
    assert!(gw.dir.path().join("from-env.db").exists());
}

/// Every ```toml block of README.md is a whole configuration `check-config` accepts.
#[test]
fn check_config_accepts_every_toml_block_of_the_readme() {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).expect("README");
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in readme.lines() {
        match (&mut current, line.trim_start()) {
            (None, l) if l.starts_with("```toml") => current = Some(String::new()),
            (Some(block), l) if l.starts_with("```") => {
                blocks.push(std::mem::take(block));
                current = None;
            }
            (Some(block), _) => {
                block.push_str(line);
                block.push('\n');
            }
            _ => {}
        }
    }
    assert!(blocks.len() >= 3, "README has {} TOML blocks", blocks.len());
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, block) in blocks.iter().enumerate() {
        let path = dir.path().join(format!("block{i}.toml"));
        std::fs::write(&path, block).expect("write");
        let (status, out, err) = run_cli(
            crate::BIN,
            &["check-config", "--config", &path.display().to_string()],
        );
        assert!(status.success(), "README TOML block {i}:\n{block}\n{err}");
        assert!(out.contains("configuration OK"), "{out}");
    }
}

#[test]
fn check_config_accepts_every_shipped_config() {
    let mut checked = Vec::new();
    for dir in ["config", "config/examples"] {
        for entry in std::fs::read_dir(repo_root().join(dir)).expect("config dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "toml") {
                let (status, out, err) = run_cli(
                    crate::BIN,
                    &["check-config", "--config", &path.display().to_string()],
                );
                assert!(status.success(), "{}: {err}", path.display());
                assert!(out.contains("configuration OK"), "{out}");
                checked.push(
                    path.file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                );
            }
        }
    }
    checked.sort();
    assert_eq!(
        checked,
        [
            "all-over-libredesk.toml",
            "default.toml",
            "livechat-over-comm100.toml",
            "ndoto-over-supporthub.toml"
        ]
    );
    let (_, out, _) = run_cli(
        crate::BIN,
        &[
            "check-config",
            "--config",
            &repo_root()
                .join("config/default.toml")
                .display()
                .to_string(),
        ],
    );
    assert!(
        out.contains("/ndoto") && out.contains("embedded:default"),
        "{out}"
    );
    let (_, out, _) = run_cli(
        crate::BIN,
        &[
            "check-config",
            "--config",
            &repo_root()
                .join("config/examples/livechat-over-comm100.toml")
                .display()
                .to_string(),
        ],
    );
    assert!(
        out.contains("upstream comm100") && out.contains("https://api11.comm100.io"),
        "{out}"
    );
    assert!(!out.contains("replace-me"), "no secret is printed: {out}");
}

#[test]
fn check_config_refuses_bad_configs_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let base = ndoto_config(dir.path());
    let cases = [
        (
            base.replace("dialect = \"ndoto\"", "dialect = \"zendesk\""),
            "zendesk",
        ),
        (
            base.replace(
                "dialect = \"supporthub\"\nprefix = \"/supporthub\"",
                "dialect = \"ndoto\"\nprefix = \"/ndoto/\"",
            ),
            "same prefix `/ndoto`",
        ),
        (
            base.replace("prefix = \"/ndoto\"", "prefix = \"/\""),
            "route `ndoto`'s prefix `/` contains route `livechat`'s `/livechat`",
        ),
        (
            base.replace("prefix = \"/ndoto\"", "prefix = \"ndoto\""),
            "must start with `/`",
        ),
        (
            base.replace("dialect = \"ndoto\"", "dialect = \"comm101\""),
            "unknown dialect `comm101` (known: ndoto, livechat, supporthub, libredesk, comm100, scim)",
        ),
        (base.replace("[server]", "[server"), "TOML parse error"),
        (
            base.clone()
                + "\n[[routes]]\nname = \"ndoto\"\ndialect = \"ndoto\"\nprefix = \"/other\"\ncredentials = [{ token = \"t\" }]\n",
            "used twice",
        ),
        (
            base.replace("[{ token", "[{ key = \"k\", token"),
            "route `ndoto`: credentials[0]",
        ),
        (
            base.replace("listen = ", "listn = "),
            "unknown field `listn`, expected one of `listen`",
        ),
    ];
    for (i, (text, expected)) in cases.into_iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.toml"));
        std::fs::write(&path, text).expect("write");
        let (status, _, err) = run_cli(
            crate::BIN,
            &["check-config", "--config", &path.display().to_string()],
        );
        assert_eq!(status.code(), Some(1), "case {i}: {err}");
        assert!(
            err.contains(expected),
            "case {i}: expected {expected:?} in {err}"
        );
        assert_eq!(
            err.matches(expected).count(),
            1,
            "case {i}: said once: {err}"
        );
        assert!(
            !err.contains(TOKEN),
            "case {i}: a secret reached the error output: {err}"
        );
    }
    let (status, _, err) = run_cli(
        crate::BIN,
        &["check-config", "--config", "/definitely/not/here.toml"],
    );
    assert_eq!(status.code(), Some(1));
    assert!(err.contains("not/here.toml"), "{err}");
}

#[test]
fn every_help_names_the_environment_it_reads() {
    for command in [
        &[][..],
        &["serve"],
        &["check-config"],
        &["migrate"],
        &["openapi"],
    ] {
        let mut args: Vec<&str> = command.to_vec();
        args.push("--help");
        let (status, out, err) = run_cli(crate::BIN, &args);
        assert!(status.success(), "{args:?}: {err}");
        for var in [
            "AGENTGW__<SECTION>__<KEY>",
            "RUST_LOG",
            "AGENTGW_LOG_FORMAT",
        ] {
            assert!(out.contains(var), "{args:?} --help names {var}: {out}");
        }
    }
}

#[test]
fn with_wait_at_start_false_an_unreachable_store_is_reported_with_the_drivers_reason_at_once() {
    let port = agentgw_tests::closed_port();
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("pg.toml");
    std::fs::write(
        &path,
        format!("[store]\nurl = \"postgres://agentgw@127.0.0.1:{port}/x\"\nwait_at_start = false\n[[routes]]\nname = \"n\"\ndialect = \"ndoto\"\nprefix = \"/n\"\ncredentials = [{{ token = \"t\" }}]\n"),
    )
    .expect("write");
    let (status, _, err) = run_cli(crate::BIN, &["--config", &path.display().to_string()]);
    assert_eq!(status.code(), Some(1), "{err}");
    assert!(err.contains("Connection refused"), "{err}");
    assert_eq!(
        err.matches("Connection refused").count(),
        1,
        "said once: {err}"
    );
}
