//! The one status table: what a backend error or a failed request means on the wire, decided
//! (and logged) here once for every face. A face only words the body, in its dialect's shape;
//! the client errors whose status differs by dialect (not found, conflict, invalid,
//! unsupported) come back as an [`Answer`] for the face to render.

use actix_web::http::StatusCode;
use agentgw_core::BackendError;

use crate::BodyError;

/// A failure whose status is the same on every face.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// The body could not be read or is not a JSON object (400).
    BadRequest(String),
    /// The path exists, not with this method (405; the resource adds `Allow`).
    MethodNotAllowed,
    /// The body did not arrive within the request timeout (408; the connection is closed).
    BodyTimeout(String),
    /// The body is larger than `max_body_bytes` (413).
    TooLarge { limit: usize },
    /// A write whose body is not JSON (415).
    UnsupportedMediaType(String),
    /// The upstream failed, or answered what cannot be read (502).
    BadGateway,
    /// The upstream did not answer in time (504).
    GatewayTimeout,
    /// The store is unreachable or busy, or too much work is queued (503, `Retry-After`).
    Unavailable,
    /// The upstream's rate limit leaves no call for this long, in seconds (429,
    /// `Retry-After`); the upstream did nothing.
    TooManyRequests { retry_after: u64 },
    /// A bug or an impossible state (500); the detail is in the log only.
    Internal,
}

impl Failure {
    /// The status: the one table every face uses.
    pub fn status(&self) -> StatusCode {
        match self {
            Failure::BadRequest(_) => StatusCode::BAD_REQUEST,
            Failure::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Failure::BodyTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            Failure::TooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            Failure::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Failure::BadGateway => StatusCode::BAD_GATEWAY,
            Failure::GatewayTimeout => StatusCode::GATEWAY_TIMEOUT,
            Failure::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            Failure::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Failure::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// A plain English message, for faces that have no words of their own for it.
    pub fn message(&self) -> String {
        match self {
            Failure::BadRequest(detail)
            | Failure::BodyTimeout(detail)
            | Failure::UnsupportedMediaType(detail) => detail.clone(),
            Failure::MethodNotAllowed => "Method Not Allowed".into(),
            Failure::TooLarge { limit } => format!("Request body is larger than {limit} bytes"),
            Failure::BadGateway => "The upstream helpdesk failed".into(),
            Failure::GatewayTimeout => "The upstream helpdesk did not answer in time".into(),
            Failure::Unavailable => "Service unavailable, try again later".into(),
            Failure::TooManyRequests { retry_after } => {
                format!(
                    "Too many requests to the helpdesk behind this gateway; try again in {retry_after} s"
                )
            }
            Failure::Internal => "Internal server error".into(),
        }
    }
}

impl Failure {
    /// What the answer tells the client to wait, in seconds (`Retry-After`): a 503 a second,
    /// a 429 what the upstream's rate limit leaves.
    pub fn retry_after(&self) -> Option<u64> {
        match self {
            Failure::Unavailable => Some(crate::RETRY_AFTER_SECS),
            Failure::TooManyRequests { retry_after } => Some(*retry_after),
            _ => None,
        }
    }
}

impl From<BodyError> for Failure {
    fn from(e: BodyError) -> Self {
        match e {
            BodyError::TooLarge { limit } => Failure::TooLarge { limit },
            BodyError::Timeout { .. } => Failure::BodyTimeout(e.to_string()),
            BodyError::UnsupportedMediaType(_) => Failure::UnsupportedMediaType(e.to_string()),
            BodyError::Read(_) | BodyError::Malformed(_) | BodyError::NotAnObject => {
                Failure::BadRequest(e.to_string())
            }
        }
    }
}

/// How a face answers a backend error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// A status every face shares (already logged).
    Failure(Failure),
    /// The agent does not exist.
    NotFound,
    /// A unique field (`email`, `username`) is taken.
    Conflict { field: &'static str },
    /// A value the backend refuses, naming the field.
    Invalid { field: String, message: String },
    /// The backend cannot do this (a verb an upstream lacks).
    Unsupported(&'static str),
}

/// Decide how `e` is answered, and log what the client is not told: an upstream's failure,
/// an unavailable store, a full queue, a bug. Client errors are not logged (the request
/// line says enough).
pub fn answer(e: BackendError) -> Answer {
    match e {
        BackendError::NotFound => Answer::NotFound,
        BackendError::Conflict { field } => Answer::Conflict { field },
        BackendError::Invalid { field, message } => Answer::Invalid { field, message },
        BackendError::Unsupported(what) => Answer::Unsupported(what),
        BackendError::Upstream { status, message } => {
            tracing::warn!(?status, %message, "upstream error");
            Answer::Failure(Failure::BadGateway)
        }
        // Logged by the outbound client when the upstream starts refusing (once, not per
        // request); the client is told how long to wait.
        BackendError::RateLimited { retry_after } => {
            tracing::debug!(?retry_after, "upstream rate limit; answered 429");
            Answer::Failure(Failure::TooManyRequests {
                retry_after: agentgw_core::retry_after_secs(retry_after),
            })
        }
        BackendError::Timeout => {
            tracing::warn!("upstream timed out");
            Answer::Failure(Failure::GatewayTimeout)
        }
        BackendError::Busy => {
            tracing::info!("password hashing queue full; answered 503");
            Answer::Failure(Failure::Unavailable)
        }
        // Logged where it happened (the store, once per cause and interval; the outbound
        // client), with what the operator does about it: not again per request.
        BackendError::Unavailable { outage, detail } => {
            tracing::debug!(cause = outage.as_str(), %detail, "unavailable; answered 503");
            Answer::Failure(Failure::Unavailable)
        }
        BackendError::Internal(detail) => {
            tracing::error!(%detail, "internal error");
            Answer::Failure(Failure::Internal)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backend_errors_land_on_one_status_each() {
        let server = [
            (
                BackendError::Upstream {
                    status: Some(500),
                    message: "boom".into(),
                },
                502,
            ),
            (BackendError::Timeout, 504),
            (BackendError::Busy, 503),
            (
                BackendError::unavailable(agentgw_core::Outage::DiskFull, "SQLITE_FULL"),
                503,
            ),
            (BackendError::Internal("bug".into()), 500),
        ];
        for (e, status) in server {
            match answer(e) {
                Answer::Failure(f) => assert_eq!(f.status().as_u16(), status),
                other => panic!("{other:?} is not a shared failure"),
            }
        }
        assert_eq!(answer(BackendError::NotFound), Answer::NotFound);
        assert_eq!(
            answer(BackendError::Conflict { field: "email" }),
            Answer::Conflict { field: "email" }
        );
    }

    #[test]
    fn body_errors_are_shared_failures() {
        let cases = [
            (BodyError::TooLarge { limit: 9 }, 413),
            (
                BodyError::Timeout {
                    after: std::time::Duration::from_secs(1),
                },
                408,
            ),
            (BodyError::UnsupportedMediaType("text/plain".into()), 415),
            (BodyError::Malformed("eof".into()), 400),
            (BodyError::NotAnObject, 400),
        ];
        for (e, status) in cases {
            assert_eq!(Failure::from(e).status().as_u16(), status);
        }
    }
}
