//! Point reads on a SQLite file, run on the calling thread.
//!
//! sqlx keeps each SQLite connection on a worker thread of its own and reaches it through
//! channels: every query is two thread hand-offs, and for a read by id those cost several
//! times the query itself (a GET by id answered 12.5k req/s through sqlx against 43k for a
//! handler that reads nothing; see bench/RESULTS.md). A read by primary or unique key takes
//! microseconds in SQLite, well within what an async task may run without yielding, so these
//! reads use read-only connections of their own and run inline.
//!
//! Why it stays correct: in WAL mode a reader never waits for the writer and every statement
//! sees every transaction committed before it began, so a read after an acknowledged write
//! sees that write, from this process or another. Writes, lists and PostgreSQL stay on sqlx.
//! Any failure here (a busy database, a connection that cannot open) is not an answer: the
//! caller falls back to sqlx, which decides.

use std::cell::RefCell;
use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags, OptionalExtension, Row, ToSql};
use thread_local::ThreadLocal;

/// How long a read waits on a lock before giving way to the sqlx path.
const BUSY: Duration = Duration::from_millis(20);

/// Read-only connections to one SQLite file, one per thread that reads: a shared pool behind
/// a lock had the actix workers contend for it twice per read (a futex call per GET).
pub(crate) struct Reader {
    path: PathBuf,
    conns: ThreadLocal<RefCell<Option<Connection>>>,
}

impl Reader {
    /// A reader for the file behind a `sqlite:` URL; none for an in-memory database, whose
    /// contents only its own connection can see.
    pub fn for_url(url: &str) -> Option<Reader> {
        let file = crate::sqlite_file(url)?;
        if url.contains("mode=memory") {
            return None;
        }
        Some(Reader {
            path: PathBuf::from(file),
            conns: ThreadLocal::new(),
        })
    }

    /// The first row of `sql` with `params`, read by `read`: `Some(None)` when no row
    /// matches, `None` when the read failed and the caller should ask sqlx instead.
    pub fn row<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> Option<Option<T>> {
        match self.try_row(sql, params, read) {
            Ok(found) => Some(found),
            Err(e) => {
                tracing::debug!(error = %e, "inline SQLite read failed; asking sqlx");
                None
            }
        }
    }

    fn try_row<T>(
        &self,
        sql: &str,
        params: &[&dyn ToSql],
        read: impl FnOnce(&Row<'_>) -> rusqlite::Result<T>,
    ) -> rusqlite::Result<Option<T>> {
        let cell = self.conns.get_or_default();
        // Never borrowed twice: a read runs to its end without yielding or calling back here.
        let mut slot = cell
            .try_borrow_mut()
            .map_err(|_| rusqlite::Error::InvalidQuery)?;
        let conn = match slot.take() {
            Some(conn) => conn,
            None => self.open()?,
        };
        let found = conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.query_row(params, read).optional());
        *slot = Some(conn);
        found
    }

    fn open(&self) -> rusqlite::Result<Connection> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(BUSY)?;
        Ok(conn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_files_get_a_reader() {
        assert!(Reader::for_url("sqlite::memory:").is_none());
        assert!(Reader::for_url("sqlite://file:x?mode=memory&cache=shared").is_none());
        assert!(Reader::for_url("postgres://u@h/db").is_none());
        let r = Reader::for_url("sqlite://data/a.db?mode=rwc");
        assert_eq!(
            r.map(|r| r.path),
            Some(PathBuf::from("data/a.db")),
            "the query string is not part of the path"
        );
    }

    #[test]
    fn reads_what_another_connection_committed() -> rusqlite::Result<()> {
        let dir =
            tempfile::tempdir().map_err(|e| rusqlite::Error::InvalidPath(e.to_string().into()))?;
        let path = dir.path().join("r.db");
        let writer = Connection::open(&path)?;
        writer.execute_batch(
            "PRAGMA journal_mode = WAL; CREATE TABLE t (k INTEGER PRIMARY KEY, v TEXT);",
        )?;
        let reader = Reader::for_url(&format!("sqlite://{}", path.display()))
            .ok_or(rusqlite::Error::InvalidQuery)?;
        let read = |k: i64| {
            reader.row("SELECT v FROM t WHERE k = $1", &[&k], |r| {
                r.get::<_, String>(0)
            })
        };
        assert_eq!(read(1), Some(None));
        writer.execute("INSERT INTO t (k, v) VALUES (1, 'one')", [])?;
        assert_eq!(read(1), Some(Some("one".to_owned())));
        writer.execute("UPDATE t SET v = 'uno' WHERE k = 1", [])?;
        assert_eq!(
            read(1),
            Some(Some("uno".to_owned())),
            "a reused connection sees the new commit"
        );
        Ok(())
    }

    #[test]
    fn a_failed_read_sends_the_caller_to_sqlx_not_an_empty_answer() {
        let reader = Reader::for_url("sqlite:///nonexistent-dir-agentgw/x.db");
        let got = reader.map(|r| r.row("SELECT 1", &[], |r| r.get::<_, i64>(0)));
        assert_eq!(got, Some(None));
    }
}
