//! The status page in a real browser: Debian's headless Chromium driven over WebDriver
//! (`chromedriver`, through the `fantoccini` crate), with JavaScript on and off, checked by
//! axe-core for accessibility, and a screenshot kept under `target/`. Ignored where Chromium
//! or axe-core is missing (and counted as ignored); always run under CI (`.ci/run` installs
//! them).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use agentgw_tests::{Gateway, client, repo_root};
use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::{Value, json};

// The status tests' gateway: two routes, one over an upstream that is down.
use crate::status::{ROUTE_TOKEN, config};

/// A chromedriver on a free loopback port, stopped on drop.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    fn start() -> Driver {
        let binary = std::env::var("AGENTGW_CHROMEDRIVER")
            .unwrap_or_else(|_| "/usr/bin/chromedriver".into());
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
            l.local_addr().expect("address").port()
        };
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {binary} (apt-get install chromium chromium-driver): {e}")
            });
        let url = format!("http://127.0.0.1:{port}");
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Driver { child, url }
    }

    /// A headless Chromium session, with JavaScript on or off.
    async fn session(&self, javascript: bool) -> Client {
        let mut options = json!({
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1400,1000"],
        });
        if let Ok(binary) = std::env::var("AGENTGW_CHROMIUM") {
            options["binary"] = json!(binary);
        } else if std::path::Path::new("/usr/bin/chromium").exists() {
            options["binary"] = json!("/usr/bin/chromium");
        }
        if !javascript {
            options["prefs"] = json!({"profile.managed_default_content_settings.javascript": 2});
        }
        let mut caps = serde_json::Map::new();
        caps.insert("goog:chromeOptions".into(), options);
        ClientBuilder::rustls()
            .expect("TLS roots")
            .capabilities(caps)
            .connect(&self.url)
            .await
            .expect("a Chromium session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn text(browser: &Client, css: &str) -> String {
    browser
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap_or_default()
}

async fn rows(browser: &Client, attribute: &str) -> Vec<String> {
    let mut names = Vec::new();
    for row in browser
        .find_all(Locator::Css(&format!("tr[{attribute}]")))
        .await
        .unwrap_or_default()
    {
        if let Ok(Some(name)) = row.attr(attribute).await {
            names.push(name);
        }
    }
    names
}

#[tokio::test]
#[cfg_attr(
    not(browser_tests),
    ignore = "needs Debian's chromium and chromium-driver and npm axe-core in target/browser; always run under CI"
)]
async fn the_status_page_reads_right_in_a_browser_with_and_without_javascript() {
    let axe_path = std::env::var("AGENTGW_AXE_JS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| repo_root().join("target/browser/node_modules/axe-core/axe.min.js"));
    let axe = std::fs::read_to_string(&axe_path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (npm install --prefix target/browser axe-core)",
            axe_path.display()
        )
    });

    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = config(dir.path(), false, "");
    let gw = Gateway::start_in(crate::BIN, dir, &cfg, Vec::new());
    let c = client();
    for _ in 0..3 {
        c.get(gw.url("/ndoto/api/v1/accounts/1/agents"))
            .header("api_access_token", ROUTE_TOKEN)
            .send()
            .await
            .expect("ndoto");
        c.get(gw.url("/legacy/api/v1/livechat/users/agent"))
            .header("X-User-Id", "ops")
            .header("X-Auth-Token", ROUTE_TOKEN)
            .send()
            .await
            .expect("livechat");
    }
    let admin = gw.admin.clone().expect("admin listener");
    // The first upstream check and a snapshot of that traffic.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let v: Value = c
            .get(format!("{admin}/?format=json"))
            .send()
            .await
            .expect("json")
            .json()
            .await
            .unwrap_or_default();
        let checked = v["upstreams"][0]["last_check"].is_string();
        let counted = v["routes"].as_array().is_some_and(|r| {
            r.iter()
                .any(|x| x["last_1m"]["requests"].as_u64() == Some(3))
        });
        if checked && counted {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the page never showed the traffic: {v:#}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let driver = Driver::start();
    let browser = driver.session(true).await;
    browser
        .goto(&format!("{admin}/"))
        .await
        .expect("open the page");
    assert!(text(&browser, "h1").await.starts_with("agentgw"));
    assert_eq!(
        rows(&browser, "data-route").await,
        ["agents", "old-livechat"]
    );
    assert_eq!(
        text(&browser, r#"tr[data-upstream="legacy"] .state"#).await,
        "down"
    );
    assert_eq!(
        text(&browser, r#"tr[data-route="agents"] .state"#).await,
        "ok"
    );
    assert_eq!(
        text(&browser, r#"tr[data-route="old-livechat"] .state"#).await,
        "failing"
    );
    let row = text(&browser, r#"tr[data-upstream="legacy"]"#).await;
    assert!(row.contains("connection failed"), "{row}");

    // axe-core: no accessibility violation.
    browser
        .execute(&axe, Vec::new())
        .await
        .expect("inject axe-core");
    let violations = browser
        .execute_async(
            "const done = arguments[arguments.length - 1];\
             axe.run(document).then(r => done(r.violations.map(v => v.id + ': ' + v.help + ' (' + v.nodes.length + ')')))\
             .catch(e => done(['axe failed: ' + e]));",
            Vec::new(),
        )
        .await
        .expect("axe.run");
    assert_eq!(violations, json!([]), "axe-core violations");

    let png = browser.screenshot().await.expect("screenshot");
    let shot = repo_root().join("target/status-page.png");
    std::fs::write(&shot, &png).expect("keep the screenshot");
    assert!(png.starts_with(b"\x89PNG"), "a PNG");

    // "Only failing" is a link: it leaves only the failing rows.
    browser
        .find(Locator::LinkText("Show only what is failing"))
        .await
        .expect("the filter link")
        .click()
        .await
        .expect("click");
    assert_eq!(rows(&browser, "data-route").await, ["old-livechat"]);
    assert_eq!(rows(&browser, "data-upstream").await, ["legacy"]);
    browser.close().await.expect("close");

    // The same with JavaScript off: the page and its filter work the same.
    let plain = driver.session(false).await;
    // A page whose script would rename it: with JavaScript off, it keeps its title.
    plain
        .goto("data:text/html,<title>off</title><script>document.title='on'</script>")
        .await
        .expect("a probe page");
    assert_eq!(
        plain.title().await.unwrap_or_default(),
        "off",
        "JavaScript is really off"
    );
    plain
        .goto(&format!("{admin}/?sort=p99"))
        .await
        .expect("open without JavaScript");
    assert_eq!(
        text(&plain, r#"tr[data-upstream="legacy"] .state"#).await,
        "down"
    );
    plain
        .find(Locator::LinkText("Show only what is failing"))
        .await
        .expect("the filter link")
        .click()
        .await
        .expect("click");
    assert_eq!(rows(&plain, "data-route").await, ["old-livechat"]);
    plain.close().await.expect("close");
}
