//! Every failure a livechat client can see, with Rocket.Chat's status codes and bodies.

use actix_web::http::StatusCode;
use agentgw_core::BackendError;
use agentgw_inbound::{Answer, BodyError, FaceError, Failure, answer};
use serde_json::{Value, json};

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
    /// A status every face shares (agentgw_inbound's table), in Rocket.Chat's words.
    #[error("{}", words(.0))]
    Failure(Failure),
}

/// Rocket.Chat's words for the failures every face shares.
fn words(f: &Failure) -> String {
    match f {
        Failure::TooLarge { .. } => "request entity too large".into(),
        Failure::MethodNotAllowed => "Method not allowed".into(),
        Failure::BadGateway => "the upstream helpdesk failed".into(),
        Failure::GatewayTimeout => "the upstream helpdesk did not answer in time".into(),
        Failure::Unavailable => "service unavailable, try again later".into(),
        // Rocket.Chat's own words for its rate limiter's 429.
        Failure::TooManyRequests { retry_after } => format!(
            "Error, too many requests. Please slow down. You must wait {retry_after} seconds before trying this endpoint again. [error-too-many-requests]"
        ),
        other => other.message(),
    }
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
        LivechatError::Failure(e.into())
    }
}

impl From<BackendError> for LivechatError {
    fn from(e: BackendError) -> Self {
        match answer(e) {
            Answer::Failure(f) => LivechatError::Failure(f),
            Answer::NotFound => LivechatError::UserNotFound,
            Answer::Conflict { field } => LivechatError::Typed(
                "error-field-unavailable",
                format!("{field} is already in use [error-field-unavailable]"),
            ),
            Answer::Invalid { message, .. } => LivechatError::invalid_params(message),
            Answer::Unsupported(what) => LivechatError::Typed(
                "error-not-allowed",
                format!("{what} is not supported [error-not-allowed]"),
            ),
        }
    }
}

impl FaceError for LivechatError {
    fn status(&self) -> StatusCode {
        match self {
            LivechatError::Unauthorized => StatusCode::UNAUTHORIZED,
            LivechatError::NoEndpoint => StatusCode::NOT_FOUND,
            LivechatError::Failure(f) => f.status(),
            LivechatError::InvalidType
            | LivechatError::Typed(..)
            | LivechatError::UserNotFound
            | LivechatError::RemoveFailed => StatusCode::BAD_REQUEST,
        }
    }

    fn body(&self) -> Value {
        match self {
            LivechatError::Unauthorized => {
                json!({"success": false, "error": LOGGED_IN, "status": "error", "message": LOGGED_IN})
            }
            LivechatError::Typed(kind, message) => {
                json!({"success": false, "error": message, "errorType": kind})
            }
            LivechatError::RemoveFailed => json!({"success": false}),
            other => json!({"success": false, "error": other.to_string()}),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            LivechatError::Failure(f) => f.retry_after(),
            _ => None,
        }
    }
}

agentgw_inbound::face_error!(LivechatError);
