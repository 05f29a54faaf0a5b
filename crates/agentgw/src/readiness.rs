//! Whether this gateway can serve, decided in one place for `/readyz` and the status page
//! (they read a live probe and a cached check before, and could disagree): the store answers,
//! every upstream with `ready_check` answers HTTP, and no upstream's sign-in is refused (such
//! an upstream answers every call with 502 until it works again).

use std::collections::BTreeMap;

use agentgw_core::BackendError;
use agentgw_store::Store;
use serde_json::{Value, json};

use crate::backends::Upstreams;

/// The verdict and its reasons.
#[derive(Debug, Default)]
pub struct Readiness {
    /// The store's outage (`disk_full`, …, or `failing`), when it does not answer.
    pub store: Option<&'static str>,
    /// Each upstream that makes the gateway unready, and why.
    pub upstreams: BTreeMap<String, String>,
}

impl Readiness {
    /// Ask the store and the upstreams now.
    pub async fn decide(store: &Store, upstreams: &Upstreams) -> Readiness {
        // The store logs its own outages (once per cause and interval), not once per probe.
        let store = store.ping().await.err().map(|e| match e {
            BackendError::Unavailable { outage, .. } => outage.as_str(),
            _ => "failing",
        });
        let probes = upstreams
            .ready_checks()
            .map(|(name, probe)| async move { (name, probe.check().await) });
        let mut down = BTreeMap::new();
        for (name, result) in futures_util::future::join_all(probes).await {
            if let Err(why) = result {
                down.insert(name.to_owned(), why);
            }
        }
        for (name, state) in upstreams.sign_ins() {
            if state.failing {
                let why = state.failed.map(|(_, why)| why).unwrap_or_default();
                down.insert(name, format!("sign-in refused: {why}"));
            }
        }
        Readiness {
            store,
            upstreams: down,
        }
    }

    /// Ready to serve.
    pub fn ready(&self) -> bool {
        self.store.is_none() && self.upstreams.is_empty()
    }

    /// Why not, one line each (the status page).
    pub fn reasons(&self) -> Vec<String> {
        let store = self.store.map(|outage| format!("store: {outage}"));
        store
            .into_iter()
            .chain(
                self.upstreams
                    .iter()
                    .map(|(name, why)| format!("upstream {name}: {why}")),
            )
            .collect()
    }

    /// `/readyz`'s body.
    pub fn body(&self) -> Value {
        if self.ready() {
            return json!({ "status": "ready" });
        }
        let mut body = json!({ "status": "unavailable" });
        if let Some(outage) = self.store {
            body["store"] = json!(outage);
        }
        if !self.upstreams.is_empty() {
            body["upstreams"] = json!(self.upstreams);
        }
        body
    }
}
