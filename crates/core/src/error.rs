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
    /// The upstream's rate limit leaves no call before `retry_after`, longer than the caller
    /// can wait: the face's 429 (or 503) with that `Retry-After`. The upstream did nothing.
    #[error("upstream rate limit: next call in {} s", retry_after_secs(*.retry_after))]
    RateLimited { retry_after: std::time::Duration },
    /// The upstream did not answer within its timeout.
    #[error("upstream timed out")]
    Timeout,
    /// Too much work already queued (password hashing): the face's 503, to be tried again.
    #[error("busy; try again shortly")]
    Busy,
    /// The store (or an upstream that asks for patience) cannot answer now: the face's 503,
    /// to be tried again; `outage` says why, for logs, `/readyz` and metrics.
    #[error("unavailable ({}): {detail}", outage.as_str())]
    Unavailable { outage: Outage, detail: String },
    /// A bug or an impossible state; logged, never shown in detail to a client.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Whole seconds to wait, rounded up (a client told 0 would come back at once).
pub fn retry_after_secs(wait: std::time::Duration) -> u64 {
    let whole = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    whole.max(1)
}

impl BackendError {
    /// An outage with the driver's (or peer's) own words as its detail.
    pub fn unavailable(outage: Outage, detail: impl Into<String>) -> BackendError {
        BackendError::Unavailable {
            outage,
            detail: detail.into(),
        }
    }
}

/// Why a backend cannot answer now. Every one is a 503 with `Retry-After` on every face:
/// the fault is the server's, and passes (space is freed, the database comes back).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Outage {
    /// The disk under the store is full (SQLITE_FULL, ENOSPC, PostgreSQL `53100`).
    DiskFull,
    /// The store cannot be written: a read-only filesystem or database, a standby.
    ReadOnly,
    /// The disk failed a read or a write (SQLITE_IOERR, EIO, PostgreSQL `58030`).
    IoError,
    /// The database stayed locked by another writer past its timeout.
    Locked,
    /// The database refused or dropped the connection, or did not answer.
    Unreachable,
    /// The database has no connection slot left (PostgreSQL `53300`).
    TooManyConnections,
    /// The database is starting, restarting or shutting down (PostgreSQL `57P0x`).
    Restarting,
    /// The database lacks memory or another resource (PostgreSQL class `53`).
    Overloaded,
    /// A transaction lost a race it may win when tried again (serialization, deadlock).
    Contention,
    /// Every pooled connection stayed busy past the acquire timeout.
    PoolExhausted,
    /// The gateway has not reached its store since it started (it keeps trying).
    NotConnected,
}

impl Outage {
    /// Every outage, in a fixed order (an index for per-cause state).
    pub const ALL: [Outage; 11] = [
        Outage::DiskFull,
        Outage::ReadOnly,
        Outage::IoError,
        Outage::Locked,
        Outage::Unreachable,
        Outage::TooManyConnections,
        Outage::Restarting,
        Outage::Overloaded,
        Outage::Contention,
        Outage::PoolExhausted,
        Outage::NotConnected,
    ];

    /// Its name in logs, `/readyz` and the `cause` label of metrics.
    pub fn as_str(self) -> &'static str {
        match self {
            Outage::DiskFull => "disk_full",
            Outage::ReadOnly => "read_only",
            Outage::IoError => "io_error",
            Outage::Locked => "locked",
            Outage::Unreachable => "unreachable",
            Outage::TooManyConnections => "too_many_connections",
            Outage::Restarting => "restarting",
            Outage::Overloaded => "overloaded",
            Outage::Contention => "contention",
            Outage::PoolExhausted => "pool_exhausted",
            Outage::NotConnected => "not_connected",
        }
    }

    /// Its position in [`Outage::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_lists_every_outage_at_its_index() {
        for (i, o) in Outage::ALL.iter().enumerate() {
            assert_eq!(o.index(), i, "{o:?}");
        }
        let names: std::collections::HashSet<_> = Outage::ALL.iter().map(|o| o.as_str()).collect();
        assert_eq!(names.len(), Outage::ALL.len(), "names are distinct");
    }
}
