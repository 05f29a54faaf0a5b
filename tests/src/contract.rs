//! Every face answer an end-to-end test reads is checked against the OpenAPI document that
//! face serves (`<prefix>/openapi.json`), so a face cannot drift from its published contract.
//!
//! A response is matched to its operation by path template (`{id}`, `{id}:unlock`; the most
//! literal template wins) and status (or `default`). The method is not known here (reqwest's
//! response does not keep it), so the body must match one of the path's operations that
//! documents the status. Objects are checked closed: a property the document does not name
//! fails, unless the schema itself leaves the object open (comm100's extension fields). A
//! path no template matches must be an error in the face's `Error` schema. Responses of a
//! gateway path without a contract (`/healthz`) or of another server are not checked.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};

/// How many responses were checked against a contract, in this test process.
pub static CHECKED: AtomicUsize = AtomicUsize::new(0);

/// One face's document as served, ready to check answers with.
pub struct Contract {
    /// The route prefix (`servers[0].url`), without a trailing `/`.
    prefix: String,
    doc: Value,
    /// `components`, with every object that names its properties closed.
    components: Value,
}

type Cache = Mutex<HashMap<String, Option<Arc<Contract>>>>;

fn cache() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(Cache::default)
}

/// Check one answer; panics (failing the test) when it breaks its face's contract.
pub async fn check(url: &reqwest::Url, status: u16, body: &Value) {
    let Some(contract) = contract_for(url).await else {
        return;
    };
    if let Err(problem) = contract.check(&normalized(url.path()), status, body) {
        panic!(
            "{} {status} breaks the face's OpenAPI document: {problem}\nbody: {body}",
            url.path()
        );
    }
    CHECKED.fetch_add(1, Ordering::Relaxed);
}

/// The path as the gateway routes it: `//` collapsed, no trailing `/` (its NormalizePath).
fn normalized(path: &str) -> String {
    let joined: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    format!("/{}", joined.join("/"))
}

/// The contract of the route `url` is under: its first path segment's, else the root's.
async fn contract_for(url: &reqwest::Url) -> Option<Arc<Contract>> {
    let base = url.origin().ascii_serialization();
    let first = url
        .path()
        .split('/')
        .nth(1)
        .map(|s| format!("/{s}"))
        .unwrap_or_default();
    for prefix in [first, String::new()] {
        let key = format!("{base}{prefix}");
        if let Some(known) = cache().lock().ok().and_then(|c| c.get(&key).cloned()) {
            match known {
                Some(c) => return Some(c),
                None => continue,
            }
        }
        let fetched = fetch(&base, &prefix).await?;
        if let Ok(mut c) = cache().lock() {
            c.insert(key, fetched.clone());
        }
        if fetched.is_some() {
            return fetched;
        }
    }
    None
}

/// `Some(None)` when the server has no document there; `None` when it could not be asked.
async fn fetch(base: &str, prefix: &str) -> Option<Option<Arc<Contract>>> {
    let res = crate::client()
        .get(format!("{base}{prefix}/openapi.json"))
        .send()
        .await
        .ok()?;
    if res.status() != 200 {
        return Some(None);
    }
    let doc: Value = res.json().await.ok()?;
    if doc["openapi"].as_str().is_none() || doc["servers"][0]["url"].as_str().is_none() {
        return Some(None);
    }
    Some(Some(Arc::new(Contract::new(doc))))
}

impl Contract {
    /// A contract from a served document.
    pub fn new(doc: Value) -> Contract {
        let mut components = doc["components"].clone();
        close_objects(&mut components);
        let prefix = doc["servers"][0]["url"]
            .as_str()
            .unwrap_or("/")
            .trim_end_matches('/')
            .to_owned();
        Contract {
            prefix,
            doc,
            components,
        }
    }

    /// Whether `body` with `status` is an answer the document allows at `path`.
    pub fn check(&self, path: &str, status: u16, body: &Value) -> Result<(), String> {
        let below = path.strip_prefix(&self.prefix).unwrap_or(path);
        let Some(item) = self.path_item(below) else {
            // No operation here: the face's own 404/405, in its error shape.
            return self.valid(&json_ref("Error"), body);
        };
        // The operations that document this very status; only when none does, their
        // `default`s (so another method's `default` cannot excuse a wrong 2xx body).
        let responses = |key: &str| -> Vec<&Value> {
            item.values()
                .filter_map(|op| op.get("responses").and_then(|r| r.get(key)))
                .collect()
        };
        let mut candidates = responses(&status.to_string());
        if candidates.is_empty() {
            candidates = responses("default");
        }
        if candidates.is_empty() {
            return Err(format!("status {status} is documented by no operation"));
        }
        let mut problems = Vec::new();
        for response in candidates {
            let schema = &response["content"]["application/json"]["schema"];
            if body.is_null() || schema.is_null() {
                // An empty body (HEAD, DELETE) or an answer documented without one.
                if body.is_null() || !status_is_success(status) {
                    return Ok(());
                }
                problems.push("a body where the document has none".to_owned());
                continue;
            }
            match self.valid(schema, body) {
                Ok(()) => return Ok(()),
                Err(e) => problems.push(e),
            }
        }
        Err(problems.join("; "))
    }

    /// The path item whose template matches `path` with the most literal characters.
    fn path_item(&self, path: &str) -> Option<&Map<String, Value>> {
        let paths = self.doc["paths"].as_object()?;
        paths
            .iter()
            .filter_map(|(template, item)| {
                literal_match(template, path).map(|score| (score, item.as_object()))
            })
            .max_by_key(|(score, _)| *score)
            .and_then(|(_, item)| item)
    }

    fn valid(&self, schema: &Value, body: &Value) -> Result<(), String> {
        let mut root = schema.as_object().cloned().unwrap_or_default();
        root.insert("components".into(), self.components.clone());
        let validator = jsonschema::validator_for(&Value::Object(root))
            .map_err(|e| format!("the document's schema does not compile: {e}"))?;
        let errors: Vec<String> = validator
            .iter_errors(body)
            .map(|e| format!("{} at {}", e, e.instance_path()))
            .collect();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(errors.join(", "))
        }
    }
}

fn status_is_success(status: u16) -> bool {
    (200..300).contains(&status)
}

fn json_ref(name: &str) -> Value {
    serde_json::json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// How many literal characters of `template` match `path` (`None`: no match). A segment
/// holds at most one `{variable}`, possibly with literal text around it (`{id}:unlock`).
/// Literals compare without case (comm100 documents `global` and takes `Global`).
fn literal_match(template: &str, path: &str) -> Option<usize> {
    let (t, p): (Vec<&str>, Vec<&str>) = (template.split('/').collect(), path.split('/').collect());
    if t.len() != p.len() {
        return None;
    }
    let mut score = 0;
    for (t, p) in t.iter().zip(&p) {
        match (t.find('{'), t.find('}')) {
            (Some(open), Some(close)) if open < close => {
                let (before, after) = (&t[..open], &t[close + 1..]);
                let fits = p.len() > before.len() + after.len()
                    && p.get(..before.len())?.eq_ignore_ascii_case(before)
                    && p.get(p.len() - after.len()..)?.eq_ignore_ascii_case(after);
                if !fits {
                    return None;
                }
                score += before.len() + after.len();
            }
            _ if t.eq_ignore_ascii_case(p) => score += t.len(),
            _ => return None,
        }
    }
    Some(score)
}

/// Close every object schema that names its properties and says nothing of others, so an
/// answer with a field the document does not name fails.
fn close_objects(schema: &mut Value) {
    match schema {
        Value::Object(map) => {
            if map.contains_key("properties") && !map.contains_key("additionalProperties") {
                map.insert("additionalProperties".into(), Value::Bool(false));
            }
            map.values_mut().for_each(close_objects);
        }
        Value::Array(items) => items.iter_mut().for_each(close_objects),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn templates_match_by_most_literal_characters() {
        assert_eq!(
            literal_match("/v4/global/agents/{id}", "/v4/Global/agents/x:unlock"),
            Some(14)
        );
        assert_eq!(
            literal_match(
                "/v4/global/agents/{id}:unlock",
                "/v4/Global/agents/x:unlock"
            ),
            Some(21)
        );
        assert_eq!(
            literal_match("/v4/global/agents/{id}:unlock", "/v4/global/agents/:unlock"),
            None
        );
        assert_eq!(literal_match("/api/agents/{id}", "/api/agents"), None);
    }

    #[test]
    fn an_answer_outside_the_document_fails() {
        let doc = json!({
            "openapi": "3.1.0",
            "servers": [{"url": "/x"}],
            "paths": {"/a/{id}": {"get": {"responses": {
                "200": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}},
                "default": {"description": "", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
            }}}},
            "components": {"schemas": {
                "A": {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}},
                "Error": {"type": "object", "required": ["error"], "properties": {"error": {"type": "string"}}}
            }}
        });
        let c = Contract::new(doc);
        assert!(c.check("/x/a/1", 200, &json!({"id": 1})).is_ok());
        assert!(
            c.check("/x/a/1", 200, &json!({"id": "1"})).is_err(),
            "wrong type"
        );
        assert!(
            c.check("/x/a/1", 200, &json!({"id": 1, "extra": 0}))
                .is_err(),
            "closed"
        );
        assert!(c.check("/x/a/1", 404, &json!({"error": "no"})).is_ok());
        assert!(c.check("/x/a/1", 404, &json!({"message": "no"})).is_err());
        assert!(c.check("/x/nowhere", 404, &json!({"error": "no"})).is_ok());
        assert!(c.check("/x/nowhere", 404, &json!({})).is_err());
    }
}
