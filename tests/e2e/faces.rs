//! Every registered dialect's face, driven through its adapter's kit: the shared matrices
//! (hardening, hostile input, upstreams) enumerate `agentgw::ADAPTERS` and hold no
//! per-dialect code, so a new dialect runs through all of them by being registered.

use agentgw_core::{Credential, CredentialShape, Secret};
use agentgw_inbound::Adapter;
use agentgw_inbound::kit::{Call, Kit, Person};
use agentgw_tests::{Gateway, client, json as read};
use reqwest::{Method, RequestBuilder};
use serde_json::Value;

/// One face of the matrix configuration: the route `/<dialect>` named after its dialect.
#[derive(Clone)]
pub struct Face {
    pub adapter: &'static Adapter,
    /// The credential its route accepts (and an upstream of it is called with).
    pub credential: Credential,
}

/// Every registered dialect's face.
pub fn all() -> Vec<Face> {
    agentgw::ADAPTERS.iter().map(|a| face(a)).collect()
}

/// The face of `adapter`, with test credentials of its shape.
pub fn face(adapter: &'static Adapter) -> Face {
    let name = adapter.dialect.name;
    let token = Secret::new(format!("e2e-{name}-token"));
    let credential = match adapter.dialect.credential {
        CredentialShape::Token => Credential::Token(token),
        CredentialShape::UserToken => Credential::UserToken {
            user_id: "e2e-user".into(),
            token,
        },
        CredentialShape::KeySecret => Credential::KeySecret {
            key: "e2e-key".into(),
            secret: Secret::new(format!("e2e-{name}-secret")),
        },
        other => panic!("{name}: routes take no {other:?} credentials"),
    };
    Face {
        adapter,
        credential,
    }
}

/// The face of the dialect named `name` (a test about one dialect's fields).
pub fn named(name: &str) -> Face {
    face(agentgw::adapter(name).unwrap_or_else(|| panic!("no adapter `{name}`")))
}

impl Face {
    /// The dialect's name (and the route's, and its prefix without the `/`).
    pub fn name(&self) -> &'static str {
        self.adapter.dialect.name
    }

    /// How its clients are driven.
    pub fn kit(&self) -> &'static Kit {
        self.adapter.kit
    }

    /// The credential as a configuration file writes it.
    pub fn credential_toml(&self) -> String {
        match &self.credential {
            Credential::Token(t) => format!("{{ token = \"{}\" }}", t.expose()),
            Credential::UserToken { user_id, token } => {
                format!(
                    "{{ user_id = \"{user_id}\", token = \"{}\" }}",
                    token.expose()
                )
            }
            Credential::KeySecret { key, secret } => {
                format!("{{ key = \"{key}\", secret = \"{}\" }}", secret.expose())
            }
            other => panic!("routes take no {other:?} credentials"),
        }
    }

    /// `path` (below the dialect's root) below this face's route prefix.
    pub fn path(&self, path: &str) -> String {
        format!("/{}{path}", self.name())
    }

    /// A request to `gw` carrying this face's credentials; `path` below its prefix.
    pub fn request(&self, gw: &Gateway, method: &str, path: &str) -> RequestBuilder {
        let method = Method::from_bytes(method.as_bytes()).unwrap_or(Method::GET);
        let mut req = client().request(method, gw.url(&self.path(path)));
        for (name, value) in (self.kit().headers)(&self.credential) {
            req = req.header(name, value);
        }
        req
    }

    /// Send `call` to `gw`: the answer's status and JSON.
    pub async fn call(&self, gw: &Gateway, call: Call) -> (u16, Value) {
        let mut req = self.request(gw, call.method, &call.path);
        if let Some(body) = &call.body {
            req = req.json(body);
        }
        read(req.send().await.expect("request")).await
    }

    /// Whether `body` is an error of `status` in this face's shape.
    pub fn is_error(&self, status: u16, body: &Value) -> bool {
        (self.kit().is_error)(status, body)
    }

    /// Create `person` through this face; the new agent's id of this face's kind.
    pub async fn create(&self, gw: &Gateway, person: &Person<'_>) -> String {
        let (status, answer) = self.call(gw, (self.kit().create)(person)).await;
        assert!(
            status == 200 || status == 201,
            "{} create: {status} {answer}",
            self.name()
        );
        (self.kit().one)(&answer)
            .and_then(|agent| (self.kit().id_of)(&agent))
            .unwrap_or_else(|| panic!("{} create: no id in {answer}", self.name()))
    }

    /// The agent with this id, as a GET of its member path answers: status and agent.
    pub async fn get(&self, gw: &Gateway, id: &str) -> (u16, Option<Value>) {
        let (status, answer) = self.call(gw, Call::get((self.kit().member)(id))).await;
        (status, (self.kit().one)(&answer))
    }

    /// What this face says of the agent with `email`, found through its list and read in full;
    /// `None` when it has no such agent.
    pub async fn find(&self, gw: &Gateway, email: &str) -> Option<agentgw_inbound::kit::Seen> {
        let (_, answer) = self.call(gw, Call::get((self.kit().find)(email))).await;
        let (agents, _) = (self.kit().listed)(&answer);
        let id = agents
            .iter()
            .find(|a| (self.kit().seen)(a).email == email)
            .and_then(|a| (self.kit().id_of)(a))?;
        let (_, agent) = self.get(gw, &id).await;
        agent.map(|a| (self.kit().seen)(&a))
    }

    /// Every agent this face lists, page by page of `size` where it pages.
    pub async fn list_all(&self, gw: &Gateway, size: u64) -> Vec<Value> {
        let mut out = Vec::new();
        for index in 0.. {
            let (status, answer) = self
                .call(gw, Call::get((self.kit().page)(index, size)))
                .await;
            assert_eq!(status, 200, "{} list: {answer}", self.name());
            let (agents, more) = (self.kit().listed)(&answer);
            out.extend(agents);
            if !more {
                break;
            }
        }
        out
    }
}

/// A configuration serving every face at `/<dialect>` on the store at `store_url`, with
/// `max_body_bytes`; each route's backend is `backend` ("embedded" or an upstream defined in
/// `extra`, which is appended as it is).
pub fn config(store_url: &str, max_body_bytes: usize, backend: &str, extra: &str) -> String {
    let mut text = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\nmax_body_bytes = {max_body_bytes}\n\n[store]\nurl = \"{store_url}\"\n\n{extra}\n"
    );
    for face in all() {
        text.push_str(&format!(
            "[[routes]]\nname = \"{name}\"\ndialect = \"{name}\"\nprefix = \"/{name}\"\nbackend = \"{backend}\"\ncredentials = [{cred}]\n{options}\n\n",
            name = face.name(),
            cred = face.credential_toml(),
            options = face.kit().route_options,
        ));
    }
    text
}

/// A gateway serving every face over the store at `store_url`.
pub fn gateway(store_url: &str, max_body_bytes: usize) -> Gateway {
    let dir = tempfile::tempdir().expect("tempdir");
    let url = store_url.replace("{dir}", &dir.path().display().to_string());
    Gateway::start_in(
        crate::BIN,
        dir,
        &config(&url, max_body_bytes, "embedded", ""),
        Vec::new(),
    )
}

/// A gateway serving every face over a SQLite store of its own.
pub fn on_sqlite() -> Gateway {
    gateway("sqlite://{dir}/agentgw.db", 16 * 1024)
}

#[test]
fn every_registered_adapter_is_in_the_matrix() {
    let names: Vec<&str> = all().iter().map(Face::name).collect();
    assert_eq!(names.len(), agentgw::ADAPTERS.len());
    // The matrix configuration is one the gateway accepts.
    let text = config("sqlite::memory:", 4096, "embedded", "");
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("matrix.toml");
    std::fs::write(&path, text).expect("write");
    let (status, out, err) = agentgw_tests::run_cli(
        crate::BIN,
        &["check-config", "--config", &path.display().to_string()],
    );
    assert!(status.success(), "{err}");
    for name in names {
        assert!(out.contains(&format!("/{name}")), "{out}");
    }
}

/// The face a full path (`/<dialect>/…`) is below.
pub fn of_path(path: &str) -> Face {
    named(path.split('/').nth(1).unwrap_or_default())
}

/// A request to the face a full path is below, with its credentials.
pub fn request(gw: &Gateway, method: Method, path: &str) -> RequestBuilder {
    let face = of_path(path);
    let below = path
        .strip_prefix(&format!("/{}", face.name()))
        .unwrap_or(path);
    face.request(gw, method.as_str(), below)
}

/// `request` with an optional JSON body: the answer's status and JSON.
pub async fn send(gw: &Gateway, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut req = request(gw, method, path);
    if let Some(b) = body {
        req = req.json(&b);
    }
    read(req.send().await.expect("request")).await
}

/// Whether `body` is an error of `status` in the shape of the face a full path is below.
pub fn is_error_at(path: &str, status: u16, body: &Value) -> bool {
    of_path(path).is_error(status, body)
}
