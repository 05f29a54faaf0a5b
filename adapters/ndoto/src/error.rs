//! Every failure an ndoto client can see, with Chatwoot's status codes and bodies.

use actix_web::http::StatusCode;
use agentgw_core::BackendError;
use agentgw_inbound::{Answer, BodyError, FaceError, Failure, FieldError, answer};
use serde_json::{Value, json};

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
    /// A status every face shares (agentgw_inbound's table), in Chatwoot's `{"error"}` body.
    #[error("{}", words(.0))]
    Failure(Failure),
}

/// Chatwoot's words where it has its own: Rack::Attack's throttled answer.
fn words(f: &Failure) -> String {
    match f {
        Failure::TooManyRequests { .. } => "Retry later".into(),
        other => other.message(),
    }
}

impl From<Failure> for NdotoError {
    fn from(f: Failure) -> Self {
        NdotoError::Failure(f)
    }
}

impl From<BodyError> for NdotoError {
    fn from(e: BodyError) -> Self {
        NdotoError::Failure(e.into())
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
        let invalid =
            |attribute, message| NdotoError::Validation(vec![Invalid { attribute, message }]);
        match answer(e) {
            Answer::Failure(f) => NdotoError::Failure(f),
            Answer::NotFound => NdotoError::NotFound,
            Answer::Conflict { field: "email" } => {
                invalid("email", "Email has already been taken".to_owned())
            }
            Answer::Conflict { field } => {
                invalid("base", format!("{field} has already been taken"))
            }
            Answer::Invalid { field, message } => {
                invalid(if field == "email" { "email" } else { "base" }, message)
            }
            Answer::Unsupported(what) => invalid("base", format!("{what} is not supported")),
        }
    }
}

impl FaceError for NdotoError {
    fn status(&self) -> StatusCode {
        match self {
            NdotoError::Unauthorized | NdotoError::AccountNotAccessible => StatusCode::UNAUTHORIZED,
            NdotoError::NotFound => StatusCode::NOT_FOUND,
            NdotoError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            NdotoError::Failure(f) => f.status(),
        }
    }

    fn body(&self) -> Value {
        match self {
            NdotoError::Validation(errors) => json!({
                "message": self.to_string(),
                "attributes": errors.iter().map(|e| e.attribute).collect::<Vec<_>>(),
            }),
            _ => json!({ "error": self.to_string() }),
        }
    }

    fn retry_after(&self) -> Option<u64> {
        match self {
            NdotoError::Failure(f) => f.retry_after(),
            _ => None,
        }
    }
}

agentgw_inbound::face_error!(NdotoError);
