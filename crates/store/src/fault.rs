//! What a database error means to a client and to an operator.
//!
//! Every error the drivers return is classified once, here: a fault of the server's that
//! passes (a full disk, a database restarting, a lock held too long) is an [`Outage`], which
//! every face answers with its 503 and `Retry-After`; anything else is a bug, a 500. Each
//! outage is counted in `agentgw_store_errors_total{cause}` and logged as one ERROR line
//! naming its cause and what to do, at most once per [`QUIET`] per cause (a full disk under
//! load must not write a line per request).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};
use std::time::{Duration, Instant};

use agentgw_core::{BackendError, Outage};
use sqlx::error::DatabaseError;

/// How long a cause stays quiet in the log after it was logged.
pub(crate) const QUIET: Duration = Duration::from_secs(10);

/// The outage behind `e`, if it is one.
pub(crate) fn classify(e: &sqlx::Error) -> Option<Outage> {
    match e {
        sqlx::Error::Database(d) => database(d.as_ref()),
        sqlx::Error::Io(io) => Some(io_outage(io)),
        sqlx::Error::PoolTimedOut => Some(Outage::PoolExhausted),
        // The pool closes when the gateway shuts down.
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => Some(Outage::Restarting),
        sqlx::Error::Tls(_) => Some(Outage::Unreachable),
        _ => None,
    }
}

/// A driver's I/O error: the network to PostgreSQL, or SQLite's file.
fn io_outage(e: &std::io::Error) -> Outage {
    use std::io::ErrorKind as K;
    match e.kind() {
        K::StorageFull | K::QuotaExceeded => Outage::DiskFull,
        K::ReadOnlyFilesystem => Outage::ReadOnly,
        K::ConnectionRefused
        | K::ConnectionReset
        | K::ConnectionAborted
        | K::NotConnected
        | K::BrokenPipe
        | K::TimedOut
        | K::UnexpectedEof
        | K::HostUnreachable
        | K::NetworkUnreachable
        | K::AddrNotAvailable => Outage::Unreachable,
        _ => Outage::IoError,
    }
}

/// A database's own error code: SQLite's extended result codes, PostgreSQL's SQLSTATE.
fn database(d: &dyn DatabaseError) -> Option<Outage> {
    let code = d.code()?;
    if d.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        let extended: i32 = code.parse().ok()?;
        return sqlite(extended);
    }
    postgres(&code)
}

/// SQLite's primary result code is the low byte of the extended one.
fn sqlite(extended: i32) -> Option<Outage> {
    const IOERR_NOMEM: i32 = 3082;
    match extended & 0xff {
        13 => Some(Outage::DiskFull), // SQLITE_FULL
        8 => Some(Outage::ReadOnly),  // SQLITE_READONLY
        10 if extended == IOERR_NOMEM => Some(Outage::Overloaded),
        10 => Some(Outage::IoError),     // SQLITE_IOERR
        5 | 6 => Some(Outage::Locked),   // SQLITE_BUSY, SQLITE_LOCKED
        14 => Some(Outage::Unreachable), // SQLITE_CANTOPEN
        7 => Some(Outage::Overloaded),   // SQLITE_NOMEM
        15 => Some(Outage::Locked),      // SQLITE_PROTOCOL (a lock race in WAL)
        _ => None,
    }
}

/// PostgreSQL's SQLSTATE classes and codes that pass.
fn postgres(code: &str) -> Option<Outage> {
    Some(match code {
        "53100" => Outage::DiskFull,
        "53300" => Outage::TooManyConnections,
        "25006" => Outage::ReadOnly, // read_only_sql_transaction: a standby
        "58030" => Outage::IoError,
        "55P03" | "57014" => Outage::Locked, // lock_not_available, a statement timeout
        "40001" | "40P01" => Outage::Contention,
        c if c.starts_with("57P") => Outage::Restarting, // admin/crash shutdown, cannot connect now
        c if c.starts_with("53") => Outage::Overloaded,
        c if c.starts_with("08") => Outage::Unreachable,
        _ => return None,
    })
}

/// Map a database error to the backend error a face renders (details are logged, not
/// shown): an outage is a 503, anything else a 500.
pub(crate) fn db_error(e: sqlx::Error) -> BackendError {
    match classify(&e) {
        Some(outage) => {
            report(outage, &e.to_string());
            BackendError::unavailable(outage, e.to_string())
        }
        None => {
            agentgw_core::telemetry::STORE_ERRORS
                .counter(["other".into()])
                .increment(1);
            BackendError::Internal(format!("database: {e}"))
        }
    }
}

/// What the operator does about `outage`, for its log line.
pub(crate) fn remedy(outage: Outage) -> &'static str {
    match outage {
        Outage::DiskFull => {
            "the disk under the store is full: writes answer 503 until space is freed (they resume by themselves); reads go on"
        }
        Outage::ReadOnly => {
            "the store cannot be written (read-only filesystem or database, or a standby): writes answer 503; remount it read-write or point the gateway at the primary"
        }
        Outage::IoError => {
            "the disk under the store failed a read or a write: requests touching it answer 503; check the device and the kernel log"
        }
        Outage::Locked => {
            "the database stayed locked past its timeout (another process, e.g. `agentgw migrate`, holds a long write): requests answer 503 until it lets go"
        }
        Outage::Unreachable => {
            "the database refused or dropped the connection: requests answer 503 while the gateway reconnects"
        }
        Outage::TooManyConnections => {
            "the database has no connection slot left: requests answer 503; raise max_connections or run fewer gateways or clients"
        }
        Outage::Restarting => {
            "the database is starting, restarting or shutting down: requests answer 503 until it is back"
        }
        Outage::Overloaded => {
            "the database ran out of memory or another resource: requests answer 503"
        }
        Outage::Contention => {
            "a transaction lost a race (deadlock or serialization failure): answered 503, a retry succeeds"
        }
        Outage::PoolExhausted => {
            "every store connection stayed busy past the acquire timeout: requests answer 503; the database is slow or overloaded"
        }
        Outage::NotConnected => {
            "the store has not been reached since the gateway started: store routes answer 503 while it retries"
        }
    }
}

/// Count an outage and log it, unless its cause was logged less than [`QUIET`] ago (then
/// the next line says how many were not logged).
pub(crate) fn report(outage: Outage, detail: &str) {
    agentgw_core::telemetry::STORE_ERRORS
        .counter([outage.as_str().into()])
        .increment(1);
    if let Some(unlogged) = LOG.due(outage) {
        tracing::error!(
            cause = outage.as_str(),
            error = %detail,
            unlogged,
            "store: {}",
            remedy(outage)
        );
    }
}

/// When each cause was last logged, and how many reports were not logged since.
struct Throttle {
    since: Instant,
    /// Milliseconds after `since` at which each cause may be logged again (0: now).
    next: [AtomicU64; Outage::ALL.len()],
    unlogged: [AtomicU64; Outage::ALL.len()],
    /// Orders the check-and-set of one cause's deadline between threads.
    gate: Mutex<()>,
}

static LOG: LazyLock<Throttle> = LazyLock::new(|| Throttle {
    since: Instant::now(),
    next: std::array::from_fn(|_| AtomicU64::new(0)),
    unlogged: std::array::from_fn(|_| AtomicU64::new(0)),
    gate: Mutex::new(()),
});

impl Throttle {
    /// `Some(reports not logged since the last line)` when `outage` may be logged now.
    fn due(&self, outage: Outage) -> Option<u64> {
        let i = outage.index();
        let now = u64::try_from(self.since.elapsed().as_millis()).unwrap_or(u64::MAX);
        if self.next[i].load(Ordering::Relaxed) > now {
            self.unlogged[i].fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let _gate = self.gate.lock().ok()?;
        if self.next[i].load(Ordering::Relaxed) > now {
            self.unlogged[i].fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let quiet = u64::try_from(QUIET.as_millis()).unwrap_or(u64::MAX);
        self.next[i].store(now.saturating_add(quiet), Ordering::Relaxed);
        Some(self.unlogged[i].swap(0, Ordering::Relaxed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_codes_name_their_cause() {
        let cases = [
            (13, Some(Outage::DiskFull)),
            (8, Some(Outage::ReadOnly)),
            (1032, Some(Outage::ReadOnly)), // READONLY_DBMOVED
            (778, Some(Outage::IoError)),   // IOERR_WRITE
            (3082, Some(Outage::Overloaded)),
            (5, Some(Outage::Locked)),
            (517, Some(Outage::Locked)), // BUSY_SNAPSHOT
            (14, Some(Outage::Unreachable)),
            (1, None),    // a plain SQL error is a bug
            (2067, None), // a unique violation is the caller's to handle
            (11, None),   // corruption: a 500, never retried into
        ];
        for (code, outage) in cases {
            assert_eq!(sqlite(code), outage, "{code}");
        }
    }

    #[test]
    fn postgres_codes_name_their_cause() {
        let cases = [
            ("53100", Some(Outage::DiskFull)),
            ("53300", Some(Outage::TooManyConnections)),
            ("53200", Some(Outage::Overloaded)),
            ("57P01", Some(Outage::Restarting)),
            ("57P03", Some(Outage::Restarting)),
            ("08006", Some(Outage::Unreachable)),
            ("25006", Some(Outage::ReadOnly)),
            ("58030", Some(Outage::IoError)),
            ("40P01", Some(Outage::Contention)),
            ("55P03", Some(Outage::Locked)),
            ("42P01", None), // undefined table: a bug
            ("23505", None),
        ];
        for (code, outage) in cases {
            assert_eq!(postgres(code), outage, "{code}");
        }
    }

    #[test]
    fn io_errors_name_their_cause() {
        use std::io::{Error, ErrorKind};
        assert_eq!(
            io_outage(&Error::from_raw_os_error(28)),
            Outage::DiskFull,
            "ENOSPC"
        );
        assert_eq!(
            io_outage(&Error::from_raw_os_error(30)),
            Outage::ReadOnly,
            "EROFS"
        );
        assert_eq!(io_outage(&Error::from_raw_os_error(5)), Outage::IoError);
        assert_eq!(
            io_outage(&Error::from(ErrorKind::ConnectionRefused)),
            Outage::Unreachable
        );
        assert_eq!(
            classify(&sqlx::Error::PoolTimedOut),
            Some(Outage::PoolExhausted)
        );
        assert_eq!(classify(&sqlx::Error::RowNotFound), None);
    }

    #[test]
    fn a_cause_is_logged_once_per_quiet_interval_and_counts_what_it_did_not_log() {
        let t = Throttle {
            since: Instant::now(),
            next: std::array::from_fn(|_| AtomicU64::new(0)),
            unlogged: std::array::from_fn(|_| AtomicU64::new(0)),
            gate: Mutex::new(()),
        };
        assert_eq!(t.due(Outage::DiskFull), Some(0));
        assert_eq!(t.due(Outage::DiskFull), None);
        assert_eq!(t.due(Outage::DiskFull), None);
        assert_eq!(t.due(Outage::Locked), Some(0), "causes are apart");
        // As if QUIET had passed.
        t.next[Outage::DiskFull.index()].store(0, Ordering::Relaxed);
        assert_eq!(t.due(Outage::DiskFull), Some(2));
    }
}
