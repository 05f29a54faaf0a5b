//! Every failure a supporthub client can see, with Laravel's status codes and bodies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use agentgw_core::BackendError;
use agentgw_inbound::BodyError;
use serde_json::json;

use crate::validate::Errors;

/// A supporthub error response.
#[derive(Debug, thiserror::Error)]
pub enum SupporthubError {
    #[error("Unauthenticated.")]
    Unauthenticated,
    /// Route-model binding found no agent with this id.
    #[error("No query results for model [App\\Models\\Agent] {0}")]
    NotFound(String),
    /// No route matches the path (relative, without the leading `/`).
    #[error("The route {0} could not be found.")]
    NoRoute(String),
    #[error("{}", .0.message())]
    Validation(Errors),
    #[error("{0}")]
    BadRequest(String),
    #[error("The POST data is too large.")]
    TooLarge,
    /// Laravel's words: the method, the route (relative) and what it supports.
    #[error("The {method} method is not supported for route {route}. Supported methods: {allow}.")]
    MethodNotAllowed {
        method: String,
        route: String,
        allow: String,
    },
    #[error("Request Timeout")]
    RequestTimeout,
    #[error("Unsupported Media Type: send application/json.")]
    UnsupportedMediaType,
    #[error("{0} is not supported by the helpdesk behind this gateway.")]
    NotSupported(&'static str),
    #[error("Bad gateway: the upstream helpdesk failed.")]
    Upstream,
    #[error("Gateway Timeout")]
    Timeout,
    #[error("Service Unavailable")]
    Unavailable,
    #[error("Server Error")]
    Internal,
}

impl SupporthubError {
    /// A backend error for the agent `id` (so a not-found names it, as Laravel does).
    pub fn for_agent(e: BackendError, id: &str) -> Self {
        match e {
            BackendError::NotFound => SupporthubError::NotFound(id.to_owned()),
            other => other.into(),
        }
    }
}

impl SupporthubError {
    /// Laravel's 405 for `req`, whose route supports `allow`.
    pub fn method_not_allowed(req: &actix_web::HttpRequest, allow: &str) -> Self {
        SupporthubError::MethodNotAllowed {
            method: req.method().to_string(),
            route: req.path().trim_start_matches('/').to_owned(),
            allow: allow.to_owned(),
        }
    }
}

impl From<BodyError> for SupporthubError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { .. } => SupporthubError::TooLarge,
            BodyError::Timeout { .. } => SupporthubError::RequestTimeout,
            BodyError::UnsupportedMediaType(_) => SupporthubError::UnsupportedMediaType,
            other => SupporthubError::BadRequest(other.to_string()),
        }
    }
}

impl From<BackendError> for SupporthubError {
    fn from(e: BackendError) -> Self {
        let mut errors = Errors::default();
        match e {
            BackendError::NotFound => SupporthubError::NotFound(String::new()),
            BackendError::Conflict { field } => {
                errors.add(field, format!("The {field} has already been taken."));
                SupporthubError::Validation(errors)
            }
            BackendError::Invalid { field, message } => {
                errors.add(&field, message);
                SupporthubError::Validation(errors)
            }
            BackendError::Unsupported(what) => SupporthubError::NotSupported(what),
            BackendError::Upstream { message, .. } => {
                tracing::warn!(%message, "upstream error");
                SupporthubError::Upstream
            }
            BackendError::Timeout => SupporthubError::Timeout,
            BackendError::Busy => {
                tracing::info!("password hashing queue full; answered 503");
                SupporthubError::Unavailable
            }
            BackendError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                SupporthubError::Unavailable
            }
            BackendError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                SupporthubError::Internal
            }
        }
    }
}

impl ResponseError for SupporthubError {
    fn status_code(&self) -> StatusCode {
        match self {
            SupporthubError::Unauthenticated => StatusCode::UNAUTHORIZED,
            SupporthubError::NotFound(_) | SupporthubError::NoRoute(_) => StatusCode::NOT_FOUND,
            SupporthubError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            SupporthubError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SupporthubError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            SupporthubError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            SupporthubError::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
            SupporthubError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            SupporthubError::NotSupported(_) => StatusCode::NOT_IMPLEMENTED,
            SupporthubError::Upstream => StatusCode::BAD_GATEWAY,
            SupporthubError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            SupporthubError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            SupporthubError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            SupporthubError::Validation(errors) => {
                json!({"message": self.to_string(), "errors": errors.to_json()})
            }
            _ => json!({"message": self.to_string()}),
        };
        agentgw_inbound::error_builder(self.status_code()).json(body)
    }
}
