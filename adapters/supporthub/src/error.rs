//! Every failure a supporthub client can see, with Laravel's status codes and bodies.

use actix_web::http::StatusCode;
use agentgw_core::BackendError;
use agentgw_inbound::{Answer, BodyError, FaceError, Failure, answer};
use serde_json::{Value, json};

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
    /// A filter, include or query Laravel refuses.
    #[error("{0}")]
    BadRequest(String),
    /// Laravel's words: the method, the route (relative) and what it supports.
    #[error("The {method} method is not supported for route {route}. Supported methods: {allow}.")]
    MethodNotAllowed {
        method: String,
        route: String,
        allow: String,
    },
    #[error("{0} is not supported by the helpdesk behind this gateway.")]
    NotSupported(&'static str),
    /// A status every face shares (agentgw_inbound's table), in Laravel's words.
    #[error("{}", words(.0))]
    Failure(Failure),
}

/// Laravel's words for the failures every face shares.
fn words(f: &Failure) -> String {
    match f {
        Failure::TooLarge { .. } => "The POST data is too large.".into(),
        Failure::BodyTimeout(_) => "Request Timeout".into(),
        Failure::UnsupportedMediaType(_) => "Unsupported Media Type: send application/json.".into(),
        Failure::BadGateway => "Bad gateway: the upstream helpdesk failed.".into(),
        Failure::GatewayTimeout => "Gateway Timeout".into(),
        Failure::Unavailable => "Service Unavailable".into(),
        Failure::TooManyRequests { .. } => "Too Many Attempts.".into(),
        Failure::Internal => "Server Error".into(),
        Failure::MethodNotAllowed => "Method Not Allowed.".into(),
        Failure::BadRequest(detail) => detail.clone(),
    }
}

impl SupporthubError {
    /// A backend error for the agent `id` (so a not-found names it, as Laravel does).
    pub fn for_agent(e: BackendError, id: &str) -> Self {
        match e {
            BackendError::NotFound => SupporthubError::NotFound(id.to_owned()),
            other => other.into(),
        }
    }

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
        SupporthubError::Failure(e.into())
    }
}

impl From<BackendError> for SupporthubError {
    fn from(e: BackendError) -> Self {
        let mut errors = Errors::default();
        match answer(e) {
            Answer::Failure(f) => SupporthubError::Failure(f),
            Answer::NotFound => SupporthubError::NotFound(String::new()),
            Answer::Conflict { field } => {
                errors.add(field, format!("The {field} has already been taken."));
                SupporthubError::Validation(errors)
            }
            Answer::Invalid { field, message } => {
                errors.add(&field, message);
                SupporthubError::Validation(errors)
            }
            Answer::Unsupported(what) => SupporthubError::NotSupported(what),
        }
    }
}

impl FaceError for SupporthubError {
    fn status(&self) -> StatusCode {
        match self {
            SupporthubError::Unauthenticated => StatusCode::UNAUTHORIZED,
            SupporthubError::NotFound(_) | SupporthubError::NoRoute(_) => StatusCode::NOT_FOUND,
            SupporthubError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            SupporthubError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SupporthubError::MethodNotAllowed { .. } => Failure::MethodNotAllowed.status(),
            SupporthubError::NotSupported(_) => StatusCode::NOT_IMPLEMENTED,
            SupporthubError::Failure(f) => f.status(),
        }
    }

    fn body(&self) -> Value {
        match self {
            SupporthubError::Validation(errors) => {
                json!({"message": self.to_string(), "errors": errors.to_json()})
            }
            _ => json!({"message": self.to_string()}),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            SupporthubError::Failure(f) => f.retry_after(),
            _ => None,
        }
    }
}

agentgw_inbound::face_error!(SupporthubError);
