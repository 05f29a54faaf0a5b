//! Request bodies: read with a size limit, parse as a JSON object, decode with the field named.

use actix_web::web::{Bytes, BytesMut, Payload};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Why a body could not be read or parsed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BodyError {
    #[error("request body is larger than {limit} bytes")]
    TooLarge { limit: usize },
    #[error("request body could not be read: {0}")]
    Read(String),
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("the JSON body must be an object")]
    NotAnObject,
}

/// A field whose value has the wrong type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// The top-level field, e.g. `name` (for `teams[0]`, `teams`).
    pub field: String,
    /// What serde expected, e.g. "invalid type: integer `5`, expected a string".
    pub detail: String,
}

/// Read the whole body, refusing it as soon as it passes `limit` bytes.
pub async fn read_body(mut payload: Payload, limit: usize) -> Result<Bytes, BodyError> {
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

/// Decode a JSON object into a wire type, naming the field whose type is wrong.
pub fn decode<T: DeserializeOwned>(object: Map<String, Value>) -> Result<T, FieldError> {
    serde_path_to_error::deserialize(Value::Object(object)).map_err(|e| {
        let path = e.path().to_string();
        let field = path.split(['.', '[']).next().unwrap_or_default().to_owned();
        FieldError {
            field,
            detail: e.into_inner().to_string(),
        }
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
