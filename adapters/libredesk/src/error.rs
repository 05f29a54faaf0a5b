//! Every failure a libredesk client can see: `{status: "error", message, data: null, error_type}`.

use actix_web::http::StatusCode;
use agentgw_core::BackendError;
use agentgw_inbound::{Answer, BodyError, FaceError, Failure, FieldError, answer};
use serde_json::{Value, json};

/// A libredesk error response: its `error_type`, status and message.
#[derive(Debug, thiserror::Error)]
pub enum LibredeskError {
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Input(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    NotSupported(String),
    /// A status every face shares (agentgw_inbound's table), in Libredesk's words.
    #[error("{}", words(.0))]
    Failure(Failure),
}

/// Libredesk's words for the failures every face shares.
fn words(f: &Failure) -> String {
    match f {
        Failure::BodyTimeout(detail) => format!("Request timeout: {detail}"),
        Failure::BadRequest(detail) | Failure::UnsupportedMediaType(detail) => {
            format!("Invalid request body: {detail}")
        }
        Failure::MethodNotAllowed => "Method not allowed".into(),
        Failure::BadGateway => "Upstream helpdesk error".into(),
        Failure::TooManyRequests { .. } => "Too many requests.".into(),
        other => other.message(),
    }
}

impl LibredeskError {
    fn error_type(&self) -> &'static str {
        match self {
            LibredeskError::Unauthorized(_) => "UnauthorizedException",
            LibredeskError::NotFound(_) => "NotFoundException",
            LibredeskError::Conflict(_) => "ConflictException",
            LibredeskError::Input(_) | LibredeskError::NotSupported(_) => "InputException",
            // Libredesk's own limiter (a widget conversation's) says so.
            LibredeskError::Failure(Failure::TooManyRequests { .. }) => "RateLimitException",
            LibredeskError::Failure(f) if f.status().is_client_error() => "InputException",
            LibredeskError::Failure(_) => "GeneralException",
        }
    }
}

impl From<BodyError> for LibredeskError {
    fn from(e: BodyError) -> Self {
        LibredeskError::Failure(e.into())
    }
}

impl From<FieldError> for LibredeskError {
    fn from(e: FieldError) -> Self {
        LibredeskError::Input(format!("Invalid `{}`: {}", e.field, e.detail))
    }
}

impl From<BackendError> for LibredeskError {
    fn from(e: BackendError) -> Self {
        match answer(e) {
            Answer::Failure(f) => LibredeskError::Failure(f),
            Answer::NotFound => LibredeskError::NotFound("User not found".into()),
            // Real Libredesk answers 500 here; a duplicate is a conflict, not a crash.
            Answer::Conflict { field } => {
                LibredeskError::Conflict(format!("User with same {field} already exists"))
            }
            Answer::Invalid { field, message } => {
                LibredeskError::Input(format!("Invalid `{field}`: {message}"))
            }
            Answer::Unsupported(what) => LibredeskError::NotSupported(format!(
                "{what} is not supported by the helpdesk behind this gateway"
            )),
        }
    }
}

impl FaceError for LibredeskError {
    fn status(&self) -> StatusCode {
        match self {
            LibredeskError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            LibredeskError::Input(_) => StatusCode::BAD_REQUEST,
            LibredeskError::NotFound(_) => StatusCode::NOT_FOUND,
            LibredeskError::Conflict(_) => StatusCode::CONFLICT,
            LibredeskError::NotSupported(_) => StatusCode::NOT_IMPLEMENTED,
            LibredeskError::Failure(f) => f.status(),
        }
    }

    fn body(&self) -> Value {
        json!({"status": "error", "message": self.to_string(), "data": null, "error_type": self.error_type()})
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            LibredeskError::Failure(f) => f.retry_after(),
            _ => None,
        }
    }
}

agentgw_inbound::face_error!(LibredeskError);
