//! Every failure a libredesk client can see: `{status: "error", message, data: null, error_type}`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use agentgw_core::BackendError;
use agentgw_inbound::{BodyError, FieldError};
use serde_json::json;

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
    TooLarge(String),
    #[error("{0}")]
    NotSupported(String),
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Upstream(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    General(String),
}

impl LibredeskError {
    fn error_type(&self) -> &'static str {
        match self {
            LibredeskError::Unauthorized(_) => "UnauthorizedException",
            LibredeskError::Input(_)
            | LibredeskError::TooLarge(_)
            | LibredeskError::NotSupported(_)
            | LibredeskError::MethodNotAllowed
            | LibredeskError::RequestTimeout(_)
            | LibredeskError::UnsupportedMediaType(_) => "InputException",
            LibredeskError::NotFound(_) => "NotFoundException",
            LibredeskError::Conflict(_) => "ConflictException",
            LibredeskError::Upstream(_)
            | LibredeskError::Timeout(_)
            | LibredeskError::Unavailable(_)
            | LibredeskError::General(_) => "GeneralException",
        }
    }
}

impl From<BodyError> for LibredeskError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { limit } => {
                LibredeskError::TooLarge(format!("Request body is larger than {limit} bytes"))
            }
            BodyError::Timeout { .. } => {
                LibredeskError::RequestTimeout(format!("Request timeout: {e}"))
            }
            BodyError::UnsupportedMediaType(_) => {
                LibredeskError::UnsupportedMediaType(format!("Invalid request body: {e}"))
            }
            other => LibredeskError::Input(format!("Invalid request body: {other}")),
        }
    }
}

impl From<FieldError> for LibredeskError {
    fn from(e: FieldError) -> Self {
        LibredeskError::Input(format!("Invalid `{}`: {}", e.field, e.detail))
    }
}

impl From<BackendError> for LibredeskError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::NotFound => LibredeskError::NotFound("User not found".into()),
            // Real Libredesk answers 500 here; a duplicate is a conflict, not a crash.
            BackendError::Conflict { field: "email" } => {
                LibredeskError::Conflict("User with same email already exists".into())
            }
            BackendError::Conflict { field } => {
                LibredeskError::Conflict(format!("User with same {field} already exists"))
            }
            BackendError::Invalid { field, message } => {
                LibredeskError::Input(format!("Invalid `{field}`: {message}"))
            }
            BackendError::Unsupported(what) => LibredeskError::NotSupported(format!(
                "{what} is not supported by the helpdesk behind this gateway"
            )),
            BackendError::Upstream { message, .. } => {
                tracing::warn!(%message, "upstream error");
                LibredeskError::Upstream("Upstream helpdesk error".into())
            }
            BackendError::Busy => {
                tracing::info!("password hashing queue full; answered 503");
                LibredeskError::Unavailable("Service unavailable, try again later".into())
            }
            BackendError::Timeout => {
                LibredeskError::Timeout("The upstream helpdesk did not answer in time".into())
            }
            BackendError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                LibredeskError::Unavailable("Service unavailable, try again later".into())
            }
            BackendError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                LibredeskError::General("Internal server error".into())
            }
        }
    }
}

impl ResponseError for LibredeskError {
    fn status_code(&self) -> StatusCode {
        match self {
            LibredeskError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            LibredeskError::Input(_) => StatusCode::BAD_REQUEST,
            LibredeskError::NotFound(_) => StatusCode::NOT_FOUND,
            LibredeskError::Conflict(_) => StatusCode::CONFLICT,
            LibredeskError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            LibredeskError::NotSupported(_) => StatusCode::NOT_IMPLEMENTED,
            LibredeskError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            LibredeskError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            LibredeskError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            LibredeskError::Upstream(_) => StatusCode::BAD_GATEWAY,
            LibredeskError::Timeout(_) => StatusCode::GATEWAY_TIMEOUT,
            LibredeskError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            LibredeskError::General(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = json!({"status": "error", "message": self.to_string(), "data": null, "error_type": self.error_type()});
        agentgw_inbound::error_builder(self.status_code()).json(body)
    }
}
