//! What every face's OpenAPI 3.1 document shares: its title and version, and where it is
//! served. Each adapter writes its own document (`openapi.rs`) from its wire types.

use utoipa::openapi::security::SecurityScheme;
use utoipa::openapi::{OpenApi, Server};

/// `doc` titled for `dialect`'s face, at this gateway's version, described by `summary`, with
/// the security schemes its operations name.
pub fn complete(
    mut doc: OpenApi,
    dialect: &str,
    summary: &str,
    security: impl IntoIterator<Item = (&'static str, SecurityScheme)>,
) -> OpenApi {
    doc.info.title = format!("agentgw {dialect} face");
    doc.info.version = env!("CARGO_PKG_VERSION").to_owned();
    doc.info.description = Some(summary.to_owned());
    let components = doc.components.get_or_insert_with(Default::default);
    for (name, scheme) in security {
        components.add_security_scheme(name, scheme);
    }
    doc
}

/// The document as served by a route at `prefix`: its paths are below the prefix, which
/// `servers` names (a relative URL, so it holds behind any host or proxy).
pub fn served(doc: &OpenApi, prefix: &str) -> serde_json::Value {
    let mut doc = doc.clone();
    let url = if prefix.is_empty() { "/" } else { prefix };
    doc.servers = Some(vec![Server::new(url)]);
    serde_json::to_value(&doc).unwrap_or_default()
}

/// The document as a file: pretty JSON with a final newline (what `agentgw openapi` prints
/// and `docs/openapi/` holds).
pub fn to_file(doc: &OpenApi) -> String {
    let mut text = doc.to_pretty_json().unwrap_or_default();
    text.push('\n');
    text
}
