//! WAL checkpoints on a SQLite file, off the request path.
//!
//! SQLite's own automatic checkpoint runs inside the commit of whichever write crosses 1,000
//! WAL pages, so that write (and every write queued behind it) waits for pages to be copied
//! and the database file synced. Worse, it only runs when a statement steps to its end: an
//! `INSERT … RETURNING` read with `fetch_one` never does, so a store taking only creates never
//! checkpointed at all, and its WAL grew by ~40 KiB a create without bound (1 GiB after 20,000
//! creates, every read searching a longer WAL index). Here the writer turns the automatic
//! checkpoint off and a background task checkpoints instead, in two steps:
//!
//! 1. On a reading connection, a PASSIVE checkpoint copies what it can: it waits for no one and
//!    blocks no one, so this bulk of the work costs writers nothing.
//! 2. SQLite starts a WAL again from its beginning only when a write begins with every frame
//!    copied, which under a steady stream of writes never happens by itself: the WAL would still
//!    grow forever. So once the WAL is past [`RESTART_AT`], the checkpointer takes its turn in
//!    the writers' queue and copies, on the writer's connection, the few frames written since
//!    step 1; the write after it restarts the WAL. Writes wait that long, once per restart.

use std::time::Duration;

use sqlx::AnyPool;

/// How often the WAL is copied into the database file.
pub(crate) const EVERY: Duration = Duration::from_millis(500);
/// How many WAL frames (pages of 4 KiB) make the checkpointer restart the WAL.
pub(crate) const RESTART_AT: i64 = 4096;
/// The size a WAL file is cut back to when it restarts after a burst (SQLite keeps the file).
pub(crate) const WAL_SIZE_LIMIT: i64 = 64 * 1024 * 1024;

/// The background checkpointer of one store; stops when the last handle to it is dropped.
pub(crate) struct Checkpointer(tokio::task::JoinHandle<()>);

impl Checkpointer {
    /// Checkpoint the database behind `read` and `write` every [`EVERY`] until it closes.
    pub(crate) fn start(read: AnyPool, write: AnyPool) -> Checkpointer {
        Checkpointer(tokio::spawn(async move {
            let mut tick = tokio::time::interval(EVERY);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !read.is_closed() {
                tick.tick().await;
                if let Err(e) = step(&read, &write).await {
                    // A busy or closing database: the next tick tries again.
                    tracing::debug!(error = %e, "WAL checkpoint skipped");
                }
            }
        }))
    }
}

impl Drop for Checkpointer {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// One round: copy what no reader needs; past [`RESTART_AT`], let the next write restart the WAL.
pub(crate) async fn step(read: &AnyPool, write: &AnyPool) -> Result<(), sqlx::Error> {
    if passive(read).await? > RESTART_AT {
        passive(write).await?;
    }
    Ok(())
}

/// One PASSIVE checkpoint: as much of the WAL as no reader still needs; how many frames the
/// WAL holds.
pub(crate) async fn passive(pool: &AnyPool) -> Result<i64, sqlx::Error> {
    // One row: (busy, frames in the WAL, frames copied).
    let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
        .fetch_one(pool)
        .await?;
    sqlx::Row::try_get::<i64, _>(&row, 1)
}

/// Copy the whole WAL into the database file and empty it (a clean shutdown leaves no WAL to
/// replay); waits for readers, so only when the store closes.
pub(crate) async fn truncate(pool: &AnyPool) -> Result<(), sqlx::Error> {
    sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
        .fetch_all(pool)
        .await
        .map(drop)
}
