//! The error every backend returns; `agentgw_inbound::answer` decides its status once and
//! each face renders it in its own dialect.

/// A backend failure, tagged by what went wrong so a face can pick its status and body.
#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("agent not found")]
    NotFound,
    /// A unique field (`email`, `username`) is already taken in this tenant.
    #[error("{field} has already been taken")]
    Conflict { field: &'static str },
    /// A value the backend refuses.
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    /// The backend cannot do this at all.
    #[error("not supported by this backend: {0}")]
    Unsupported(&'static str),
    /// The upstream answered with an error or could not be reached.
    #[error("upstream error: {message}")]
    Upstream {
        status: Option<u16>,
        message: String,
    },
    /// The upstream did not answer within its timeout.
    #[error("upstream timed out")]
    Timeout,
    /// Too much work already queued (password hashing): the face's 503, to be tried again.
    #[error("busy; try again shortly")]
    Busy,
    /// The store could not be reached or failed.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A bug or an impossible state; logged, never shown in detail to a client.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<agentgw_model::Refusal> for BackendError {
    /// A value past the documented limits: the client's error, naming the canonical field.
    fn from(r: agentgw_model::Refusal) -> Self {
        BackendError::Invalid {
            message: r.to_string(),
            field: r.field,
        }
    }
}
