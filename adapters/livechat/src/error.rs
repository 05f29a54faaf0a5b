//! Every failure a livechat client can see, with Rocket.Chat's status codes and bodies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use agentgw_core::BackendError;
use agentgw_inbound::BodyError;
use serde_json::json;

use crate::mapping::QueryError;

const LOGGED_IN: &str = "You must be logged in to do this.";

/// A livechat error response.
#[derive(Debug, thiserror::Error)]
pub enum LivechatError {
    #[error("You must be logged in to do this.")]
    Unauthorized,
    #[error("Invalid type")]
    InvalidType,
    /// `errorType` and message.
    #[error("{1}")]
    Typed(&'static str, String),
    #[error("User not found")]
    UserNotFound,
    /// A delete of an id nobody has: Rocket.Chat answers a bare `{"success": false}`.
    #[error("removal failed")]
    RemoveFailed,
    #[error("API endpoint not found")]
    NoEndpoint,
    #[error("{0}")]
    BadRequest(String),
    #[error("request entity too large")]
    TooLarge,
    #[error("Method not allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Upstream(String),
    #[error("the upstream helpdesk did not answer in time")]
    Timeout,
    #[error("service unavailable, try again later")]
    Unavailable,
    #[error("Internal server error")]
    Internal,
}

impl LivechatError {
    /// `must have required property 'username'` and kin: Rocket.Chat's AJV validation errors.
    pub fn invalid_params(message: impl Into<String>) -> Self {
        LivechatError::Typed("invalid-params", message.into())
    }

    /// The username names no user.
    pub fn invalid_user() -> Self {
        LivechatError::Typed("error-invalid-user", "[error-invalid-user]".into())
    }
}

impl From<QueryError> for LivechatError {
    fn from(e: QueryError) -> Self {
        match e {
            QueryError::InvalidParams(m) => LivechatError::Typed("invalid-params", m),
            QueryError::InvalidSort(m) => LivechatError::Typed("error-invalid-sort", m),
        }
    }
}

impl From<BodyError> for LivechatError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => LivechatError::TooLarge,
            BodyError::Timeout { .. } => LivechatError::RequestTimeout(e.to_string()),
            BodyError::UnsupportedMediaType(_) => {
                LivechatError::UnsupportedMediaType(e.to_string())
            }
            other => LivechatError::BadRequest(other.to_string()),
        }
    }
}

impl From<BackendError> for LivechatError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::NotFound => LivechatError::UserNotFound,
            BackendError::Conflict { field } => LivechatError::Typed(
                "error-field-unavailable",
                format!("{field} is already in use [error-field-unavailable]"),
            ),
            BackendError::Invalid { message, .. } => LivechatError::invalid_params(message),
            BackendError::Unsupported(what) => LivechatError::Typed(
                "error-not-allowed",
                format!("{what} is not supported [error-not-allowed]"),
            ),
            BackendError::Upstream { message, .. } => {
                tracing::warn!(%message, "upstream error");
                LivechatError::Upstream("the upstream helpdesk failed".into())
            }
            BackendError::Timeout => LivechatError::Timeout,
            BackendError::Busy => {
                tracing::info!("password hashing queue full; answered 503");
                LivechatError::Unavailable
            }
            BackendError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                LivechatError::Unavailable
            }
            BackendError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                LivechatError::Internal
            }
        }
    }
}

impl ResponseError for LivechatError {
    fn status_code(&self) -> StatusCode {
        match self {
            LivechatError::Unauthorized => StatusCode::UNAUTHORIZED,
            LivechatError::NoEndpoint => StatusCode::NOT_FOUND,
            LivechatError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            LivechatError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            LivechatError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            LivechatError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            LivechatError::Upstream(_) => StatusCode::BAD_GATEWAY,
            LivechatError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            LivechatError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            LivechatError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
            LivechatError::InvalidType
            | LivechatError::Typed(..)
            | LivechatError::UserNotFound
            | LivechatError::RemoveFailed
            | LivechatError::BadRequest(_) => StatusCode::BAD_REQUEST,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            LivechatError::Unauthorized => {
                json!({"success": false, "error": LOGGED_IN, "status": "error", "message": LOGGED_IN})
            }
            LivechatError::Typed(kind, message) => {
                json!({"success": false, "error": message, "errorType": kind})
            }
            LivechatError::RemoveFailed => json!({"success": false}),
            other => json!({"success": false, "error": other.to_string()}),
        };
        agentgw_inbound::error_builder(self.status_code()).json(body)
    }
}
