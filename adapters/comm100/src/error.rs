//! Every failure a comm100 client can see: `{"code": <status × 1000>, "message": "..."}`.

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use agentgw_core::BackendError;
use agentgw_inbound::{Answer, BodyError, FaceError, Failure, FieldError, answer};
use serde_json::{Value, json};

use crate::mapping::Invalid;

/// A comm100 error response: its status and message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Comm100Error {
    pub status: StatusCode,
    pub message: String,
    /// The methods a path has, for a 405.
    pub allow: Option<&'static str>,
    /// Seconds to wait before trying again (`Retry-After` of a 429 or 503).
    pub retry_after: Option<u64>,
}

impl Comm100Error {
    fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Comm100Error {
            status,
            message: message.into(),
            allow: None,
            retry_after: None,
        }
    }

    /// 404 for an unknown agent, path or verb.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, "The resource was not found.")
    }

    /// 401 for a missing or wrong bearer token.
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "Unauthorized: a valid bearer access token is required.",
        )
    }

    /// 405 for a method the path does not have; `allow` lists those it has.
    pub fn method_not_allowed(allow: &'static str) -> Self {
        Comm100Error {
            allow: Some(allow),
            ..Failure::MethodNotAllowed.into()
        }
    }

    /// 400 with a message.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }
}

impl From<Invalid> for Comm100Error {
    fn from(e: Invalid) -> Self {
        Self::bad_request(e.0)
    }
}

/// Comm100's words for the failures every face shares.
fn words(f: &Failure) -> String {
    match f {
        Failure::BadRequest(detail) => format!("The request body is invalid: {detail}"),
        Failure::TooLarge { limit } => format!("The request body is larger than {limit} bytes."),
        Failure::BodyTimeout(detail) => format!("The request timed out: {detail}."),
        Failure::UnsupportedMediaType(detail) => format!("The {detail}."),
        Failure::MethodNotAllowed => {
            "The request method is not supported for this resource.".into()
        }
        Failure::TooManyRequests { retry_after } => {
            format!("Too many requests: try again in {retry_after} seconds.")
        }
        other => format!("{}.", other.message()),
    }
}

impl From<Failure> for Comm100Error {
    fn from(f: Failure) -> Self {
        Comm100Error {
            retry_after: f.retry_after(),
            ..Self::new(f.status(), words(&f))
        }
    }
}

impl From<BodyError> for Comm100Error {
    fn from(e: BodyError) -> Self {
        Failure::from(e).into()
    }
}

impl From<FieldError> for Comm100Error {
    fn from(e: FieldError) -> Self {
        Self::bad_request(format!("The field '{}' is invalid: {}", e.field, e.detail))
    }
}

impl From<BackendError> for Comm100Error {
    fn from(e: BackendError) -> Self {
        match answer(e) {
            Answer::Failure(f) => f.into(),
            Answer::NotFound => Self::not_found(),
            Answer::Conflict { field } => Self::new(
                StatusCode::CONFLICT,
                format!("The {field} is already used by another agent."),
            ),
            Answer::Invalid { field, message } => {
                Self::bad_request(format!("The field '{field}' is invalid: {message}"))
            }
            Answer::Unsupported(what) => Self::new(
                StatusCode::NOT_IMPLEMENTED,
                format!("{what} is not supported by the helpdesk behind this gateway."),
            ),
        }
    }
}

impl FaceError for Comm100Error {
    fn status(&self) -> StatusCode {
        self.status
    }

    fn body(&self) -> Value {
        json!({"code": u32::from(self.status.as_u16()) * 1000, "message": self.message})
    }

    fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    fn headers(&self, res: &mut HttpResponse) {
        if let Some(allow) = self.allow {
            agentgw_inbound::with_allow(res, allow);
        }
    }
}

agentgw_inbound::face_error!(Comm100Error);
