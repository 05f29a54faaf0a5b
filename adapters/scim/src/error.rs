//! Every failure a SCIM client can see: RFC 7644 §3.12 Error bodies, `application/scim+json`,
//! with the status as a string and the `scimType` that says what to fix.

use actix_web::http::StatusCode;
use agentgw_core::BackendError;
use agentgw_inbound::{Answer, BodyError, FaceError, Failure, FieldError, answer};
use serde_json::Value;

use crate::wire;

/// The `scimType` keywords of RFC 7644 §3.12 this face uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimType {
    InvalidFilter,
    TooMany,
    Uniqueness,
    Mutability,
    InvalidSyntax,
    InvalidPath,
    NoTarget,
    InvalidValue,
}

impl ScimType {
    fn as_str(self) -> &'static str {
        match self {
            ScimType::InvalidFilter => "invalidFilter",
            ScimType::TooMany => "tooMany",
            ScimType::Uniqueness => "uniqueness",
            ScimType::Mutability => "mutability",
            ScimType::InvalidSyntax => "invalidSyntax",
            ScimType::InvalidPath => "invalidPath",
            ScimType::NoTarget => "noTarget",
            ScimType::InvalidValue => "invalidValue",
        }
    }
}

/// A SCIM error response.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{detail}")]
pub struct ScimError {
    pub status: StatusCode,
    pub scim_type: Option<ScimType>,
    pub detail: String,
    /// Seconds to wait before trying again (`Retry-After` of a 429 or 503).
    pub retry_after: Option<u64>,
}

impl ScimError {
    /// A 400 of `kind`.
    pub fn bad(kind: ScimType, detail: impl Into<String>) -> Self {
        ScimError {
            status: StatusCode::BAD_REQUEST,
            scim_type: Some(kind),
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// `status` without a `scimType`.
    pub fn status(status: StatusCode, detail: impl Into<String>) -> Self {
        ScimError {
            status,
            scim_type: None,
            detail: detail.into(),
            retry_after: None,
        }
    }

    /// 401: no or a wrong bearer token.
    pub fn unauthorized() -> Self {
        Self::status(
            StatusCode::UNAUTHORIZED,
            "Authorization failure: a valid bearer token is required",
        )
    }

    /// 404 for a resource of `kind` (`User`, `Group`, a schema) that does not exist.
    pub fn not_found(kind: &str, id: &str) -> Self {
        // The id is the client's own input: its length is bounded, its control characters not shown.
        let shown: String = id.chars().filter(|c| !c.is_control()).take(80).collect();
        Self::status(StatusCode::NOT_FOUND, format!("{kind} {shown} not found"))
    }

    /// 405 with the methods the path has (the resource adds `Allow`).
    pub fn method_not_allowed(_req: &actix_web::HttpRequest, allow: &str) -> Self {
        Self::status(
            StatusCode::METHOD_NOT_ALLOWED,
            format!("Method not allowed here; this endpoint supports {allow}"),
        )
    }

    /// A backend error for one resource: its not-found names it.
    pub fn for_resource(e: BackendError, kind: &str, id: &str) -> Self {
        match e {
            BackendError::NotFound => Self::not_found(kind, id),
            other => other.into(),
        }
    }
}

impl From<Failure> for ScimError {
    fn from(f: Failure) -> Self {
        let kind = matches!(f, Failure::BadRequest(_)).then_some(ScimType::InvalidSyntax);
        ScimError {
            status: f.status(),
            scim_type: kind,
            detail: f.message(),
            retry_after: f.retry_after(),
        }
    }
}

impl From<BodyError> for ScimError {
    fn from(e: BodyError) -> Self {
        Failure::from(e).into()
    }
}

impl From<FieldError> for ScimError {
    fn from(e: FieldError) -> Self {
        let field = if e.field.is_empty() {
            "the request"
        } else {
            e.field.as_str()
        };
        Self::bad(ScimType::InvalidValue, format!("{field}: {}", e.detail))
    }
}

impl From<BackendError> for ScimError {
    fn from(e: BackendError) -> Self {
        match answer(e) {
            Answer::Failure(f) => f.into(),
            Answer::NotFound => Self::status(StatusCode::NOT_FOUND, "Resource not found"),
            Answer::Conflict { field } => {
                let attribute = match field {
                    "username" => "userName",
                    "email" => "emails",
                    "name" | "display_name" => "displayName",
                    other => other,
                };
                ScimError {
                    status: StatusCode::CONFLICT,
                    scim_type: Some(ScimType::Uniqueness),
                    detail: format!("{attribute} is already taken by another resource"),
                    retry_after: None,
                }
            }
            Answer::Invalid { field, message } => {
                Self::bad(ScimType::InvalidValue, format!("{field}: {message}"))
            }
            Answer::Unsupported(what) => Self::status(
                StatusCode::NOT_IMPLEMENTED,
                format!("{what} is not supported by the helpdesk behind this gateway"),
            ),
        }
    }
}

impl FaceError for ScimError {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn body(&self) -> Value {
        let body = wire::ErrorBody {
            schemas: vec![wire::ERROR.to_owned()],
            status: self.status.as_u16().to_string(),
            scim_type: self.scim_type.map(|t| t.as_str().to_owned()),
            detail: Some(self.detail.clone()),
        };
        serde_json::to_value(body).unwrap_or(Value::Null)
    }

    fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    fn media_type(&self) -> &'static str {
        crate::inbound::SCIM_JSON
    }
}

agentgw_inbound::face_error!(ScimError);
