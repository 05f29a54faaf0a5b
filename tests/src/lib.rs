//! agentgw-tests: starting, stopping and talking to a real gateway process, for the
//! end-to-end tests in `tests/e2e/` (and later harnesses). Every gateway gets its own temporary
//! directory (config, SQLite store, log) and listens on 127.0.0.1:0.

pub mod cluster;
pub mod contract;
pub mod disk;
pub mod golden;
pub mod postgres;
pub mod vendors;

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The ndoto token the test configurations accept (and that must never reach a log).
pub const TOKEN: &str = "e2e-ndoto-token-5b1f";

/// The livechat user id and token the test configurations accept.
pub const LC_USER: &str = "e2e-user";
pub const LC_TOKEN: &str = "e2e-livechat-token-93c2";
/// The supporthub bearer token the test configurations accept.
pub const SH_TOKEN: &str = "e2e-supporthub-token-41d7";
/// The libredesk key and secret the test configurations accept.
pub const LD_KEY: &str = "e2e-key";
pub const LD_SECRET: &str = "e2e-libredesk-secret-7a0e";
/// The comm100 bearer token the test configurations accept.
pub const C1_TOKEN: &str = "e2e-comm100-token-c6b5";

/// A test configuration: all five faces — ndoto at `/ndoto`, livechat at `/livechat` (policy
/// `reject`), supporthub at `/supporthub`, libredesk at `/libredesk`, comm100 at `/comm100` —
/// on one tenant of a SQLite store in `dir`.
pub fn ndoto_config(dir: &std::path::Path) -> String {
    test_config(&format!("sqlite://{}/agentgw.db", dir.display()))
}

/// The standard test configuration (see [`ndoto_config`]) over the store at `store_url`.
pub fn test_config(store_url: &str) -> String {
    format!(
        r#"
[server]
listen = "127.0.0.1:0"
max_body_bytes = 4096

[store]
url = "{store_url}"

[[routes]]
name = "ndoto"
dialect = "ndoto"
prefix = "/ndoto"
tenant = "default"
account_ids = [1, 7]
credentials = [{{ token = "{TOKEN}" }}, {{ token = "second-token" }}]

[[routes]]
name = "livechat"
dialect = "livechat"
prefix = "/livechat"
tenant = "default"
credentials = [{{ user_id = "{LC_USER}", token = "{LC_TOKEN}" }}, {{ user_id = "other-user", token = "other-token" }}]

[[routes]]
name = "supporthub"
dialect = "supporthub"
prefix = "/supporthub"
tenant = "default"
credentials = [{{ token = "{SH_TOKEN}" }}]

[[routes]]
name = "libredesk"
dialect = "libredesk"
prefix = "/libredesk"
tenant = "default"
credentials = [{{ key = "{LD_KEY}", secret = "{LD_SECRET}" }}]

[[routes]]
name = "comm100"
dialect = "comm100"
prefix = "/comm100"
tenant = "default"
credentials = [{{ token = "{C1_TOKEN}" }}]
"#
    )
}

/// A running gateway process with its own temporary directory (config, store, log).
pub struct Gateway {
    bin: PathBuf,
    child: Option<Child>,
    pub base: String,
    /// The admin listener (`/metrics`), when the configuration has `[admin]`.
    pub admin: Option<String>,
    pub dir: tempfile::TempDir,
    config: PathBuf,
    env: Vec<(String, String)>,
}

impl Gateway {
    /// Start the gateway binary `bin` on the ndoto test configuration.
    pub fn start(bin: &str) -> Gateway {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = ndoto_config(dir.path());
        Self::start_in(bin, dir, &config, Vec::new())
    }

    /// Start `bin` on `config` (written into `dir`), with extra environment variables.
    pub fn start_in(
        bin: &str,
        dir: tempfile::TempDir,
        config: &str,
        env: Vec<(String, String)>,
    ) -> Gateway {
        let path = dir.path().join("agentgw.toml");
        std::fs::write(&path, config).expect("write config");
        let mut gw = Gateway {
            bin: PathBuf::from(bin),
            child: None,
            base: String::new(),
            admin: None,
            dir,
            config: path,
            env,
        };
        gw.spawn();
        gw
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .expect("log file");
        let mut child = Command::new(&self.bin)
            .args(["serve", "--config"])
            .arg(&self.config)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .expect("start the gateway");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("agentgw admin listening on ") {
                    let _ = tx.send((true, addr.to_owned()));
                } else if let Some(addr) = line.strip_prefix("agentgw listening on ") {
                    let _ = tx.send((false, addr.to_owned()));
                }
            }
        });
        // The admin line, when there is one, comes first.
        self.admin = None;
        loop {
            match rx.recv_timeout(Duration::from_secs(60)) {
                Ok((true, admin)) => self.admin = Some(admin),
                Ok((false, base)) => {
                    self.base = base;
                    break;
                }
                Err(_) => {
                    let _ = child.kill();
                    panic!("gateway did not start; log:\n{}", self.logs());
                }
            }
        }
        self.child = Some(child);
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("gateway.log")
    }

    /// Everything the gateway wrote to stderr so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The log once every request answered so far has written its line: the gateway writes
    /// logs from a background thread, so a marker request is sent and waited for.
    pub async fn settled_logs(&self) -> String {
        let marker = format!(
            "settle-{}",
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0)
        );
        let _ = client()
            .get(self.url("/healthz"))
            .header("x-request-id", &marker)
            .send()
            .await;
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let logs = self.logs();
            if logs.contains(&marker) || Instant::now() > deadline {
                return logs;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// `base` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// SIGKILL: no chance to flush anything.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Replace the configuration file and send SIGHUP (the gateway re-reads it).
    pub fn reload(&self, config: &str) {
        std::fs::write(&self.config, config).expect("write config");
        let pid = self.child.as_ref().expect("running").id();
        let status = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .expect("kill -HUP");
        assert!(status.success());
    }

    /// SIGTERM, then wait for a graceful exit.
    pub fn terminate(&mut self) -> ExitStatus {
        let mut c = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &c.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Some(status) = c.try_wait().expect("wait") {
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "gateway did not stop after SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Start again on the same configuration and store.
    pub fn restart(&mut self) {
        self.kill9();
        self.spawn();
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Run the gateway binary `bin` to completion with `args`; (exit status, stdout, stderr).
pub fn run_cli(bin: &str, args: &[&str]) -> (ExitStatus, String, String) {
    let out = Command::new(bin)
        .args(args)
        .output()
        .expect("run the gateway binary");
    (
        out.status,
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// A loopback port nothing listens on (bound, then released): a peer that refuses.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port")
}

/// The trace id the request log line of `request_id` carries in `logs`.
pub fn logged_trace_id(logs: &str, request_id: &str) -> Option<String> {
    logs.lines()
        .find(|l| l.contains(request_id))
        .and_then(|l| l.split("trace_id=").nth(1))
        .map(|rest| rest.chars().take(32).collect())
}

/// An HTTP client with a timeout and no connection pool: each request its own connection.
///
/// Built once per test process and cloned (an `Arc`): building one loads the platform's TLS
/// roots (~20 ms), and a test firing 200 requests at once used to build 200 of them on its
/// one runtime thread, so its first connection sat silent for over 5 s and actix rightly
/// answered it 408 before the request was written (hyper: `UnexpectedMessage`). Without a
/// pool, no connection outlives the test runtime that opened it.
pub fn client() -> reqwest::Client {
    static CLIENT: std::sync::LazyLock<reqwest::Client> = std::sync::LazyLock::new(|| {
        reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(30))
            .build()
            .expect("client")
    });
    CLIENT.clone()
}

/// The repository root (for `config/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repo root")
        .to_path_buf()
}

/// A response's status and JSON body (`Null` for an empty body), checked against its face's
/// OpenAPI document (see [`contract`]).
pub async fn json(res: reqwest::Response) -> (u16, serde_json::Value) {
    let status = res.status().as_u16();
    let url = res.url().clone();
    let text = res.text().await.expect("body");
    let body = if text.is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    contract::check(&url, status, &body).await;
    (status, body)
}
