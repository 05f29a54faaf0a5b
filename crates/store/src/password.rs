//! Password hashing: argon2id PHC strings (the `argon2` crate, RustCrypto) on a bounded pool.
//!
//! One argon2id hash with the default (OWASP) parameters holds 19 MiB while it runs. Run on
//! tokio's blocking pool, any number ran at once, each on whichever thread was free, and glibc
//! kept every thread's arena: 4 bursts of 20 password-bearing creates took the process from
//! 16 MB to 1.15 GB, never given back. Here a fixed set of threads, one per core, takes hashes
//! from a bounded queue: at most that many run at once, and a hash that finds the queue full
//! is refused at once with `BackendError::Busy` (the face's 503 with `Retry-After`) instead
//! of waiting without bound.
//!
//! Each thread also keeps its argon2 memory block while hashes keep coming and hashes into it
//! (`hash_password_into_with_memory`). Allocating and freeing 19 MiB per hash, even on two
//! threads, let glibc's heap fragment: 50 clients creating for 10 s took the process to
//! 283 MiB, kept after (bench/RESULTS.md, scenario 8). A thread that has had nothing to hash
//! for [`KEEP_IDLE`] gives its block back; each block is an `mmap` of its own (see
//! [`BLOCK_CAPACITY`]), so the memory leaves the process. A burst costs one allocation per
//! thread, and the 19 MiB per thread it needed are not held for good after it (64.3 MiB five
//! seconds after scenario 8's burst when they were). The pool has at most 8 threads, so no
//! machine holds more than 152 MiB for hashing.
//!
//! The queue is a bounded `flume` channel: its bound and `try_send` are exactly the policy,
//! and each thread waits on its own receiver with its own timeout (a `std` receiver shared
//! under a mutex kept every thread but one waiting on the lock, past any timeout). No crate's
//! pool (rayon, threadpool) offers a bounded queue that refuses.

use std::sync::OnceLock;
use std::time::Duration;

use agentgw_core::BackendError;
use agentgw_model::Password;
use argon2::password_hash::{Output, ParamsString, PasswordHash, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use flume::{Receiver, RecvTimeoutError, Sender, TrySendError};
use rand::Rng;
use tokio::sync::oneshot;

/// The most hashing threads, whatever the core count: each keeps a 19 MiB block.
const MAX_THREADS: usize = 8;
/// Hashes waiting per hashing thread before new ones are refused: a burst of 50 creates on
/// two cores waits (about a second in all) rather than failing.
const QUEUE_PER_THREAD: usize = 32;
/// How long a hashing thread keeps its memory block with nothing to hash.
const KEEP_IDLE: Duration = Duration::from_secs(2);

struct Job {
    password: Password,
    done: oneshot::Sender<Result<String, BackendError>>,
}

/// A fixed set of hashing threads fed by a bounded queue.
pub(crate) struct Hasher {
    jobs: Sender<Job>,
}

impl Hasher {
    /// `threads` hashing threads, refusing hashes past `queue` waiting ones.
    pub(crate) fn new(threads: usize, queue: usize) -> Hasher {
        Self::keeping(threads, queue, KEEP_IDLE)
    }

    /// The same, each thread giving its block back after `keep_idle` without a hash.
    fn keeping(threads: usize, queue: usize, keep_idle: Duration) -> Hasher {
        let (jobs, inbox) = flume::bounded::<Job>(queue);
        for n in 0..threads.max(1) {
            let inbox = inbox.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("agentgw-argon2-{n}"))
                .spawn(move || work(&inbox, keep_idle));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "cannot start a password hashing thread");
            }
        }
        Hasher { jobs }
    }

    /// Hash on the pool; `Busy` when the queue is full.
    pub(crate) async fn hash(&self, password: Password) -> Result<String, BackendError> {
        let (done, answer) = oneshot::channel();
        match self.jobs.try_send(Job { password, done }) {
            Ok(()) => agentgw_core::telemetry::PASSWORD_HASH_QUEUE
                .gauge([])
                .increment(1.0),
            Err(TrySendError::Full(_)) => {
                agentgw_core::telemetry::PASSWORD_HASH_REFUSED
                    .counter([])
                    .increment(1);
                return Err(BackendError::Busy);
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(BackendError::Internal("no password hashing thread".into()));
            }
        }
        answer
            .await
            .map_err(|_| BackendError::Internal("a password hashing thread stopped".into()))?
    }
}

/// A hashing thread: take the next job, skip it if its caller is gone, hash, answer; give the
/// memory block back after `keep_idle` without a job.
fn work(inbox: &Receiver<Job>, keep_idle: Duration) {
    let mut blocks: Vec<Block> = Vec::new();
    loop {
        let job = if blocks.is_empty() {
            inbox.recv().map_err(|_| RecvTimeoutError::Disconnected)
        } else {
            inbox.recv_timeout(keep_idle)
        };
        let job = match job {
            Ok(job) => job,
            Err(RecvTimeoutError::Timeout) => {
                blocks = Vec::new();
                continue;
            }
            Err(RecvTimeoutError::Disconnected) => return,
        };
        agentgw_core::telemetry::PASSWORD_HASH_QUEUE
            .gauge([])
            .decrement(1.0);
        if job.done.is_closed() {
            continue; // the request was dropped while it waited
        }
        if blocks.is_empty() {
            blocks = new_block();
        }
        let _ = job.done.send(hash_into(&job.password, &mut blocks));
    }
}

/// The capacity asked for a block: above glibc's largest dynamic mmap threshold (32 MiB).
/// A block of exactly 19 MiB is an mmap the first time, but freeing it raises the threshold
/// to its size, so the next burst's blocks came from the heap and stayed resident after it
/// (three bursts on one gateway: 25.2, 64.3, then 84.2 MiB after). Asked above 32 MiB, every
/// block is an mmap of its own, returned whole when dropped, and never moves the threshold;
/// only the 19 MiB used are ever touched, so only they are resident.
const BLOCK_CAPACITY: usize = (33 << 20) / Block::SIZE;

/// A zeroed argon2 memory block for the default parameters (see [`BLOCK_CAPACITY`]).
fn new_block() -> Vec<Block> {
    let used = Params::default().block_count();
    let mut blocks = Vec::with_capacity(used.max(BLOCK_CAPACITY));
    blocks.resize(used, Block::default());
    blocks
}

/// An argon2id PHC string of `password` with the default (OWASP) parameters and a fresh
/// salt, computed in `blocks`: the string `PasswordHasher::hash_password` would make.
fn hash_into(password: &Password, blocks: &mut [Block]) -> Result<String, BackendError> {
    let failed =
        |e: &dyn std::fmt::Display| BackendError::Internal(format!("password hashing failed: {e}"));
    let argon = Argon2::default();
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    argon
        .hash_password_into_with_memory(password.expose().as_bytes(), &salt, &mut out, blocks)
        .map_err(|e| failed(&e))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| failed(&e))?;
    let phc = PasswordHash {
        algorithm: Algorithm::Argon2id.ident(),
        version: Some(Version::V0x13.into()),
        params: ParamsString::try_from(argon.params()).map_err(|e| failed(&e))?,
        salt: Some(salt.as_salt()),
        hash: Some(Output::new(&out).map_err(|e| failed(&e))?),
    };
    Ok(phc.to_string())
}

/// The process's hashing pool: one thread per core (at most 8), shared by every store and
/// tenant.
fn pool() -> &'static Hasher {
    static POOL: OnceLock<Hasher> = OnceLock::new();
    POOL.get_or_init(|| {
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(MAX_THREADS);
        Hasher::new(threads, threads * QUEUE_PER_THREAD)
    })
}

/// Hash with argon2id and the crate's default (OWASP-recommended) parameters, on the pool.
pub(crate) async fn hash_password(password: Password) -> Result<String, BackendError> {
    pool().hash(password).await
}

/// Whether `password` matches a stored PHC hash.
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_a_full_queue_refuses_at_once() {
        let hasher = Hasher::new(1, 1);
        let phc = hasher.hash(Password::new("s3cret-pass")).await;
        assert!(
            phc.as_deref()
                .is_ok_and(|h| verify_password(h, "s3cret-pass")
                    && !verify_password(h, "s3cret-pasS")
                    && h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"))
        );
        // Salted: the same password twice is two hashes.
        let again = hasher.hash(Password::new("s3cret-pass")).await;
        assert_ne!(phc.ok(), again.ok());
        // One thread, one place in the queue: of three hashes sent together, one runs, one
        // waits, and at least one is refused without waiting.
        let results = futures_util::future::join_all(
            (0..3).map(|i| hasher.hash(Password::new(format!("password-{i}")))),
        )
        .await;
        let busy = results
            .iter()
            .filter(|r| matches!(r, Err(BackendError::Busy)))
            .count();
        let hashed = results.iter().filter(|r| r.is_ok()).count();
        assert!(busy >= 1 && hashed >= 1, "{results:?}");
        assert_eq!(busy + hashed, 3);
    }

    #[tokio::test]
    async fn a_thread_that_gave_its_block_back_hashes_again() {
        let hasher = Hasher::keeping(1, 1, Duration::from_millis(20));
        let first = hasher.hash(Password::new("first-pass")).await;
        assert!(
            first
                .as_deref()
                .is_ok_and(|h| verify_password(h, "first-pass"))
        );
        // Idle past the keep time: the thread has dropped its block, and is still there.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let second = hasher.hash(Password::new("second-pass")).await;
        assert!(
            second
                .as_deref()
                .is_ok_and(|h| verify_password(h, "second-pass")),
            "{second:?}"
        );
    }
}
