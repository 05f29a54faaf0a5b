//! Every failure an ndoto client can see, with Chatwoot's status codes and bodies.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use agentgw_core::BackendError;
use agentgw_inbound::{BodyError, FieldError};
use serde_json::json;

use crate::mapping::Invalid;

/// An ndoto error response.
#[derive(Debug, thiserror::Error)]
pub enum NdotoError {
    #[error("Invalid Access Token")]
    Unauthorized,
    #[error("You are not authorized to access this account")]
    AccountNotAccessible,
    #[error("Resource could not be found")]
    NotFound,
    #[error("{}", .0.iter().map(|i| i.message.as_str()).collect::<Vec<_>>().join(", "))]
    Validation(Vec<Invalid>),
    #[error("{0}")]
    BadRequest(String),
    #[error("Request body is larger than {0} bytes")]
    TooLarge(usize),
    #[error("Method Not Allowed")]
    MethodNotAllowed,
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    Upstream(String),
    #[error("The upstream helpdesk did not answer in time")]
    Timeout,
    #[error("Service unavailable, try again later")]
    Unavailable,
    #[error("Internal server error")]
    Internal,
}

impl From<BodyError> for NdotoError {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { limit } => NdotoError::TooLarge(limit),
            BodyError::Timeout { .. } => NdotoError::RequestTimeout(e.to_string()),
            BodyError::UnsupportedMediaType(_) => NdotoError::UnsupportedMediaType(e.to_string()),
            other => NdotoError::BadRequest(other.to_string()),
        }
    }
}

impl From<FieldError> for NdotoError {
    fn from(e: FieldError) -> Self {
        let attribute = match e.field.as_str() {
            "name" => "name",
            "email" => "email",
            "role" => "role",
            "availability" | "availability_status" => "availability",
            "auto_offline" => "auto_offline",
            _ => "base",
        };
        let human = attribute.replace('_', " ");
        let mut human_chars = human.chars();
        let capitalised: String = human_chars
            .next()
            .map(|c| c.to_uppercase().chain(human_chars).collect())
            .unwrap_or_default();
        NdotoError::Validation(vec![Invalid {
            attribute,
            message: format!("{capitalised} has the wrong type ({})", e.detail),
        }])
    }
}

impl From<BackendError> for NdotoError {
    fn from(e: BackendError) -> Self {
        match e {
            BackendError::NotFound => NdotoError::NotFound,
            BackendError::Conflict { field } => {
                let (attribute, message) = match field {
                    "email" => ("email", "Email has already been taken".to_owned()),
                    other => ("base", format!("{other} has already been taken")),
                };
                NdotoError::Validation(vec![Invalid { attribute, message }])
            }
            BackendError::Invalid { field, message } => NdotoError::Validation(vec![Invalid {
                attribute: if field == "email" { "email" } else { "base" },
                message,
            }]),
            BackendError::Unsupported(what) => NdotoError::Validation(vec![Invalid {
                attribute: "base",
                message: format!("{what} is not supported"),
            }]),
            BackendError::Upstream { message, .. } => {
                tracing::warn!(%message, "upstream error");
                NdotoError::Upstream("The upstream helpdesk failed".into())
            }
            BackendError::Timeout => NdotoError::Timeout,
            BackendError::Busy => {
                tracing::info!("password hashing queue full; answered 503");
                NdotoError::Unavailable
            }
            BackendError::Unavailable(detail) => {
                tracing::warn!(%detail, "store unavailable");
                NdotoError::Unavailable
            }
            BackendError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                NdotoError::Internal
            }
        }
    }
}

impl ResponseError for NdotoError {
    fn status_code(&self) -> StatusCode {
        match self {
            NdotoError::Unauthorized | NdotoError::AccountNotAccessible => StatusCode::UNAUTHORIZED,
            NdotoError::NotFound => StatusCode::NOT_FOUND,
            NdotoError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            NdotoError::BadRequest(_) => StatusCode::BAD_REQUEST,
            NdotoError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            NdotoError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            NdotoError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            NdotoError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            NdotoError::Upstream(_) => StatusCode::BAD_GATEWAY,
            NdotoError::Timeout => StatusCode::GATEWAY_TIMEOUT,
            NdotoError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            NdotoError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let body = match self {
            NdotoError::Validation(errors) => json!({
                "message": self.to_string(),
                "attributes": errors.iter().map(|e| e.attribute).collect::<Vec<_>>(),
            }),
            _ => json!({ "error": self.to_string() }),
        };
        agentgw_inbound::error_builder(self.status_code()).json(body)
    }
}
