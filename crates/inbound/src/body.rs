//! Request bodies: a JSON media type, read within a deadline and a size limit, parsed as a JSON
//! object, decoded with the field named.

use std::time::Duration;

use actix_web::HttpRequest;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::RouteCtx;

/// Why a body could not be read or parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("request body could not be read: {0}")]
    Read(String),
    /// The body did not arrive within the route's request timeout.
    #[error("the request body did not arrive within {} ms", .after.as_millis())]
    Timeout { after: Duration },
    /// A write whose body is not JSON (a form, text, XML).
    #[error("unsupported media type `{0}`: send application/json")]
    UnsupportedMediaType(String),
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("the JSON body must be an object")]
    NotAnObject,
}

/// Whether a `Content-Type` value is JSON: `application/json` or any `*/*+json`, parameters
/// (`charset`) allowed.
fn is_json(content_type: &str) -> bool {
    content_type
        .parse::<actix_web::mime::Mime>()
        .is_ok_and(|m| {
            (m.type_() == actix_web::mime::APPLICATION && m.subtype() == actix_web::mime::JSON)
                || m.suffix() == Some(actix_web::mime::JSON)
        })
}

/// A write's body as a JSON object. The media type must be JSON or absent (a browser's
/// cross-site form cannot send JSON without asking first, so refusing forms, text and
/// multipart keeps a browser holding credentials from being made to write); the body must
/// arrive within the route's request timeout (a client sending a byte a second would hold its
/// connection forever) and fit its size limit.
pub async fn json_object(
    req: &HttpRequest,
    payload: Payload,
    ctx: &RouteCtx,
) -> Result<Map<String, Value>, BodyError> {
    if let Some(value) = req.headers().get(CONTENT_TYPE) {
        let text = String::from_utf8_lossy(value.as_bytes());
        if !is_json(&text) {
            let shown: String = text.chars().take(100).collect();
            return Err(BodyError::UnsupportedMediaType(shown));
        }
    }
    let body = tokio::time::timeout(ctx.request_timeout, read_body(payload, ctx.max_body_bytes))
        .await
        .map_err(|_| BodyError::Timeout {
            after: ctx.request_timeout,
        })??;
    parse_object(&body)
}

/// A field whose value has the wrong type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The top-level field, e.g. `name` (for `teams[0]`, `teams`).
    pub field: String,
    /// What was expected and which JSON type came, e.g. "expected a string, got a number";
    /// never the value.
    pub detail: String,
}

/// Read the whole body, refusing it as soon as it passes `limit` bytes.
async fn read_body(mut payload: Payload, limit: usize) -> Result<Bytes, BodyError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| match e {
            actix_web::error::PayloadError::Overflow => BodyError::TooLarge { limit },
            other => BodyError::Read(other.to_string()),
        })?;
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parse a body as a JSON object; an empty body is an empty object.
pub fn parse_object(body: &[u8]) -> Result<Map<String, Value>, BodyError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(BodyError::NotAnObject),
        Err(e) => Err(BodyError::Malformed(e.to_string())),
    }
}

/// The JSON type of a value, as an error message names it.
fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The value at a serde path inside `root`, if the path leads anywhere.
fn at_path<'v>(root: &'v Value, path: &serde_path_to_error::Path) -> Option<&'v Value> {
    use serde_path_to_error::Segment;
    path.iter().try_fold(root, |v, segment| match segment {
        Segment::Map { key } => v.get(key.as_str()),
        Segment::Seq { index } => v.get(*index),
        _ => None,
    })
}

/// Decode a JSON object into a wire type, naming the field whose type is wrong.
///
/// The detail says what was expected and which JSON type came, never the value itself (serde
/// would write "invalid type: integer `12345`"): the value may be a password sent with the
/// wrong type, and no answer or log line may hand a secret back.
pub fn decode<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, FieldError> {
    let root = Value::Object(object);
    serde_path_to_error::deserialize(&root).map_err(|e| {
        let path = e.path().to_string();
        let field = path.split(['.', '[']).next().unwrap_or_default().to_owned();
        let got = at_path(&root, e.path()).map_or("something else", json_type);
        let message = e.into_inner().to_string();
        let detail = match message.split_once(", expected ") {
            Some((_, expected)) => format!("expected {expected}, got {got}"),
            None => format!("the value is not valid here ({got})"),
        };
        FieldError { field, detail }
    })
}

/// For `Option<Option<T>>` wire fields (with `#[serde(default)]`): absent → `None`,
/// `null` → `Some(None)`, a value → `Some(Some(v))`.
pub fn present<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    #[allow(dead_code)]
    struct W {
        name: Option<String>,
        teams: Option<Vec<String>>,
    }

    fn obj(s: &str) -> Map<String, Value> {
        parse_object(s.as_bytes()).expect("object")
    }

    #[test]
    fn parse_refuses_malformed_and_non_objects() {
        assert!(matches!(
            parse_object(b"{\"a\":"),
            Err(BodyError::Malformed(_))
        ));
        assert_eq!(parse_object(b"[1]"), Err(BodyError::NotAnObject));
        assert_eq!(parse_object(b"  "), Ok(Map::new()));
    }

    #[test]
    fn only_json_media_types_are_json() {
        for ok in [
            "application/json",
            "application/json; charset=utf-8",
            "Application/JSON",
            "application/merge-patch+json",
            "application/vnd.api+json",
        ] {
            assert!(is_json(ok), "{ok}");
        }
        for bad in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/xml",
            "text/json-ish",
            "",
            "json",
        ] {
            assert!(!is_json(bad), "{bad}");
        }
    }

    #[test]
    fn decode_never_echoes_the_value() {
        let e = decode::<W>(obj(r#"{"name": 12345}"#)).err();
        assert_eq!(
            e.map(|e| (e.field, e.detail)),
            Some(("name".into(), "expected a string, got a number".into()))
        );
        let e = decode::<W>(obj(r#"{"teams": ["ok", {"secret": "hunter22"}]}"#)).err();
        assert!(
            e.is_some_and(|e| !e.detail.contains("hunter22") && e.detail.contains("an object"))
        );
    }

    #[test]
    fn decode_names_the_field() {
        assert_eq!(
            decode::<W>(obj(r#"{"name": 5}"#)).map_err(|e| e.field),
            Err("name".into())
        );
        assert_eq!(
            decode::<W>(obj(r#"{"teams": ["a", 1]}"#)).map_err(|e| e.field),
            Err("teams".into())
        );
        assert!(decode::<W>(obj(r#"{"name": "x", "other": 1}"#)).is_ok());
    }
}
